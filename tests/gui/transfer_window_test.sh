#!/usr/bin/env bash
# transfer_window_test.sh GUI CHECKER XML PREFIX: the real window under Xvfb
# runs a repeating transfer (xfer's cpu engine on a regular file, started by
# --transfer as the run controls start one) and must draw its bandwidth plot:
# the bandwidth line's colour in the Live plots panel (it appears nowhere
# else), every panel with content, and, from the layout the window wrote, the
# run's rows verified with a bandwidth above 0 and at least 3 points per series.
set -u
gui=$1 checker=$2 xml=$3 prefix=$4
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-gui-xfer.XXXXXX")
trap 'rm -rf "$dir"' EXIT
head -c 65536 /dev/zero >"$dir/data"
failed=0
"$here/screenshot_test.sh" "$prefix" "$checker" --expect "Live plots=217,115,255~24:60" -- \
  "$gui" --hwloc-xml "$xml" \
  --transfer "cpu,file=$dir/data,size=64K,width=8+memcpy,direction=write,seconds=0.05,repeat" || failed=1
layout=$prefix.json
if [ -s "$layout" ]; then
  jq -c '.run' "$layout"
  jq -e '.run.kind == "transfer" and .run.runs >= 3' "$layout" >/dev/null && echo "ok: 3 or more transfer runs" ||
    { echo "FAIL: the transfer did not run 3 times: $(jq -c .run "$layout")"; failed=1; }
  jq -e '[.run.rows[] | .status == "ok" and .verified == true and .bytes_per_second > 0] | length == 2 and all' \
    "$layout" >/dev/null && echo "ok: both rows ran, verified, bandwidth above 0" ||
    { echo "FAIL: rows: $(jq -c .run.rows "$layout")"; failed=1; }
  jq -e '.series.bandwidth | length == 2 and ([.[]] | all(. >= 3))' "$layout" >/dev/null &&
    echo "ok: two bandwidth series of 3 or more points" ||
    { echo "FAIL: series: $(jq -c .series "$layout")"; failed=1; }
else
  echo "FAIL: no layout written"
  failed=1
fi
# Bad input before any window opens: one line, exit 2.
"$gui" --hwloc-xml "$xml" --transfer "cpu,file=$dir/data,size=0" >"$dir/out" 2>"$dir/err"
rc=$?
if [ $rc = 2 ] && [ ! -s "$dir/out" ] && [ "$(wc -l <"$dir/err")" = 1 ] &&
  grep -q "^p2pscope-gui: --transfer: the transfer size must be above 0$" "$dir/err"; then
  echo "ok: size 0 refused: $(cat "$dir/err")"
else
  echo "FAIL: size 0: exit $rc, stderr: $(cat "$dir/err")"
  failed=1
fi
[ $failed = 0 ] && echo PASS || echo FAILED
exit $failed
