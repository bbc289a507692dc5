#!/usr/bin/env bash
# Configures and builds p2pscope into build/.
#   scripts/build.sh [--main] [extra cmake arguments]
#     --main  only the p2pscope command (what the main job runs); a new tree
#             is configured without the other parts and the tests, one
#             configured with them keeps them. Otherwise every part and the tests.
# On a terminal, one live line with the build's progress; otherwise one line
# with its duration when it ends.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
parts=(-DP2PSCOPE_TESTS=ON -DP2PSCOPE_BENCH=ON -DP2PSCOPE_GUI=ON -DP2PSCOPE_EXPORTER=ON) target=()
if [ "${1:-}" = --main ]; then
  shift
  target=(--target p2pscope)
  # A tree already configured with every part keeps them (its tests stay).
  if grep -q '^P2PSCOPE_TESTS:BOOL=ON' "$top/build/CMakeCache.txt" 2>/dev/null; then parts=()
  else parts=(-DP2PSCOPE_TESTS=OFF -DP2PSCOPE_BENCH=OFF -DP2PSCOPE_GUI=OFF -DP2PSCOPE_EXPORTER=OFF); fi
fi
log=$top/build/build.log
mkdir -p "$top/build"
t0=$SECONDS
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${parts[@]}" "$@" >"$log" 2>&1 ||
  { tail -n 30 "$log" >&2; echo "build: cmake failed (log: $log)" >&2; exit 1; }
rc=0
if [ -t 2 ]; then
  # CMake's Makefiles print "[ 42%] Building CXX object ..." per file.
  set +e   # the build's own status, from PIPESTATUS
  cmake --build "$top/build" -j"$(nproc)" "${target[@]}" -- --no-print-directory 2>&1 | tee -a "$log" |
    while IFS= read -r line; do
      case "$line" in "["*"%]"*) printf '\r\033[Kbuild: %s %ds' "$(printf '%s' "$line" | cut -c1-$((${COLUMNS:-100} - 16)))" $((SECONDS - t0)) >&2 ;; esac
    done
  rc=${PIPESTATUS[0]}
  set -e
  printf '\r\033[K' >&2
else
  cmake --build "$top/build" -j"$(nproc)" "${target[@]}" -- --no-print-directory >>"$log" 2>&1 || rc=$?
fi
if [ $rc != 0 ]; then
  grep -E 'error|Error' "$log" | head -n 20 >&2
  echo "build: failed (log: $log)" >&2
  exit 1
fi
[ $((SECONDS - t0)) -lt 5 ] || echo "build: $([ ${#target[@]} -gt 0 ] && echo 'the p2pscope command' || echo 'every part') built in $((SECONDS - t0)) s" >&2
