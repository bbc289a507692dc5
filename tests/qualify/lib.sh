# shellcheck shell=bash
# Sourced by qualify's command-line tests: check (tests/cli/expect.sh, counted)
# and jqcheck, each adding to $fails; a temporary $dir removed on exit.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { "$expect" "$@" || fails=$((fails + 1)); }
jqcheck() {  # jqcheck NAME FILTER -- COMMAND...: the command's JSON satisfies FILTER
    local name=$1 filter=$2; shift 3
    if "$@" 2>/dev/null | jq -e "$filter" >/dev/null; then echo "ok: $name"; else
        echo "FAIL: $name: JSON does not satisfy $filter"; "$@" 2>&1 | head -c 3000; fails=$((fails + 1)); fi
}
