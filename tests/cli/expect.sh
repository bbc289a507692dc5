#!/usr/bin/env bash
# expect.sh STATUS STREAM REGEX -- COMMAND...
# Runs COMMAND; passes when it exits with STATUS and STREAM (stdout or stderr)
# matches the extended regex. For STATUS 2 (bad input) it also demands exactly
# one line on stderr and nothing on stdout: one clear error, no partial report.
# Other non-zero statuses (1: a regression found; 3: could not run) may come
# with a report, and still end with one line on stderr.
set -u
want=$1 stream=$2 regex=$3; shift 3
[ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
fail() { echo "FAIL: $*"; echo "--- command: $*"; echo "--- stdout:"; head -c 2000 "$out"; echo "--- stderr:"; cat "$err"; exit 1; }
[ "$got" = "$want" ] || fail "exit status $got, expected $want"
file=$out; [ "$stream" = stderr ] && file=$err
grep -Eq -- "$regex" "$file" || fail "$stream does not match /$regex/"
if [ "$want" != 0 ]; then
  [ "$(wc -l <"$err")" = 1 ] || fail "expected exactly one line on stderr"
fi
if [ "$want" = 2 ] && [ -s "$out" ]; then fail "expected no output on stdout after bad input"; fi
echo "ok: exit $got, $stream matches /$regex/"
