#!/usr/bin/env bash
# The main job: set up, build, and run p2pscope's report on this machine.
#   scripts/main.sh [p2pscope topo options]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
exec "$top/build/cli/p2pscope" topo "$@"
