#!/usr/bin/env bash
# Runs chosen tests N times in a row and prints how often each passed: the
# proof that a test does not flake (a test that fails once in twenty runs is
# broken). Each round is one `ctest -R REGEX` in the build tree; the rounds'
# logs are kept.
#   scripts/repeat-tests.sh [-n N] [-j J] [--busy K] [--build DIR] [--out DIR] REGEX
#     -n N        rounds (default 10)
#     -j J        run J tests at once, as scripts/test.sh does with one per
#                 core (default 1)
#     --busy K    keep K CPU-bound busy loops running meanwhile, so the tests
#                 share the machine as they do in CI (default 0)
#     --build DIR the build tree (default build/)
#     --out DIR   where each round's ctest log goes (default a new temp dir)
# Exit status: 0 when every test passed every round, 1 otherwise, 2 bad usage.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=10 jobs=1 busy=0 build=$top/build out= regex=
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
bad() { echo "repeat-tests.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -n) [ $# -ge 2 ] || bad "-n needs a value"; n=$2; shift 2 ;;
    -j) [ $# -ge 2 ] || bad "-j needs a value"; jobs=$2; shift 2 ;;
    --busy) [ $# -ge 2 ] || bad "--busy needs a value"; busy=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || bad "--build needs a value"; build=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || bad "--out needs a value"; out=$2; shift 2 ;;
    -*) bad "unknown option '$1' (see --help)" ;;
    *) [ -z "$regex" ] || bad "one REGEX only"; regex=$1; shift ;;
  esac
done
[ -n "$regex" ] || bad "no REGEX given (see --help)"
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || bad "-n wants a positive whole number, not '$n'"
[[ $jobs =~ ^[0-9]+$ ]] && [ "$jobs" -gt 0 ] || bad "-j wants a positive whole number, not '$jobs'"
[[ $busy =~ ^[0-9]+$ ]] || bad "--busy wants a whole number, not '$busy'"
[ -f "$build/CTestTestfile.cmake" ] || bad "no ctest tree in '$build' (run scripts/build.sh)"
mapfile -t tests < <(cd "$build" && ctest -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: //p')
[ ${#tests[@]} -gt 0 ] || bad "no test matches '$regex'"
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-repeat.XXXXXX")
mkdir -p "$out"

pids=()
stop_busy() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap stop_busy EXIT
for ((i = 0; i < busy; i++)); do sh -c 'while :; do :; done' & pids+=($!); done

declare -A pass=()
for t in "${tests[@]}"; do pass[$t]=0; done
echo "repeat-tests: ${#tests[@]} test(s) x $n round(s), $jobs at once, $busy busy loop(s); logs in $out"
for ((r = 1; r <= n; r++)); do
  t0=$SECONDS
  (cd "$build" && ctest -R "$regex" -j"$jobs" --output-on-failure) >"$out/round-$r.log" 2>&1
  line=
  for t in "${tests[@]}"; do
    # ctest's summary line: "  1/3 Test #12: lab.smoke ........   Passed   41.2 sec"
    if grep -qE "Test +#[0-9]+: $(printf '%s' "$t" | sed 's/[.[\*^$]/\\&/g') \.*.* Passed" "$out/round-$r.log"; then
      pass[$t]=$((pass[$t] + 1))
    else
      line+=" FAILED:$t"
    fi
  done
  echo "round $r/$n: $((SECONDS - t0)) s${line}"
done
echo "passes out of $n:"
all=0
for t in "${tests[@]}"; do
  printf '  %3d/%d  %s\n' "${pass[$t]}" "$n" "$t"
  [ "${pass[$t]}" = "$n" ] || all=1
done
exit $all
