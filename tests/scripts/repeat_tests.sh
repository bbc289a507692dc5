#!/usr/bin/env bash
# repeat_tests.sh SOURCE_DIR: scripts/repeat-tests.sh against a small ctest
# tree of its own: a test that always passes, one that fails on its second
# run only, and two that sleep side by side. The pass counts and the exit
# status must say which flaked; -j must run tests at once; bad usage is
# exit 2 with one line.
set -u
top=$1
script=$top/scripts/repeat-tests.sh
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src" "$work/build"
cat >"$work/src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(repeat_probe NONE)
enable_testing()
add_test(NAME t.steady COMMAND true)
# Fails on exactly its second run: a counter file in the build tree.
add_test(NAME t.flaky COMMAND sh -c "n=\\\$(cat runs 2>/dev/null || echo 0); n=\\\$((n + 1)); echo \\\$n > runs; [ \\\$n != 2 ]")
add_test(NAME t.sleep_a COMMAND sh -c "date +%s.%N > a.start; sleep 1; date +%s.%N > a.end")
add_test(NAME t.sleep_b COMMAND sh -c "date +%s.%N > b.start; sleep 1; date +%s.%N > b.end")
CMAKE
cmake -S "$work/src" -B "$work/build" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; bad "cmake"; exit 1; }

"$script" -n 3 --build "$work/build" --out "$work/logs" '^t\.(steady|flaky)$' >"$work/out" 2>&1; rc=$?
cat "$work/out"
[ $rc = 1 ] && ok "a test that failed once: exit 1" || bad "a test that failed once: exit $rc, wanted 1"
grep -qE '^ +3/3 +t\.steady$' "$work/out" && ok "t.steady 3/3" || bad "t.steady not counted 3/3"
grep -qE '^ +2/3 +t\.flaky$' "$work/out" && ok "t.flaky 2/3" || bad "t.flaky not counted 2/3"
grep -q '^round 2/3: .*FAILED:t\.flaky' "$work/out" && ok "round 2 names the failure" || bad "round 2 does not name t.flaky"
[ -f "$work/logs/round-2.log" ] && ok "each round's log kept" || bad "no round-2.log in --out"

"$script" -n 1 -j 2 --build "$work/build" '^t\.sleep_' >"$work/out" 2>&1; rc=$?
[ $rc = 0 ] && ok "all passed: exit 0" || { cat "$work/out"; bad "all passed: exit $rc, wanted 0"; }
# With -j 2 each sleep starts before the other ends.
if awk -v as="$(cat "$work/build/a.start")" -v ae="$(cat "$work/build/a.end")" \
       -v bs="$(cat "$work/build/b.start")" -v be="$(cat "$work/build/b.end")" \
       'BEGIN { exit !(as < be && bs < ae) }'; then
  ok "-j 2 runs two tests at once"
else
  bad "-j 2 ran the two sleeps one after the other"
fi

for args in "-n 0 x" "-j 0 x" "-j" "--busy -1 x" "--nope x" "" "-n 1 --build $work/none x" "-n 1 --build $work/build nomatch"; do
  # shellcheck disable=SC2086  # the arguments are split on purpose
  "$script" $args >"$work/out" 2>"$work/err"; rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q '^repeat-tests.sh: ' "$work/err"; then
    ok "'$args': exit 2, $(cat "$work/err")"
  else
    bad "'$args': exit $rc, stderr: $(cat "$work/err")"
  fi
done

[ $fails = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
[ $fails = 0 ]
