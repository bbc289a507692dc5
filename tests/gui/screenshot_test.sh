#!/usr/bin/env bash
# screenshot_test.sh PREFIX CHECKER [CHECKER ARGS...] -- GUI [GUI ARGS...]
# Opens the GUI on a private Xvfb display (with-xvfb.sh), saves a screenshot
# as PREFIX.png with its panel layout in PREFIX.json, and checks it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=$1 checker=$2
shift 2
check_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do check_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
rm -f "$prefix.png" "$prefix.json"
"$here/with-xvfb.sh" "$@" --screenshot "$prefix.png" --layout-json "$prefix.json"
"$checker" "$prefix.png" "$prefix.json" "${check_args[@]}"
