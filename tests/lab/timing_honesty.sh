#!/usr/bin/env bash
# What inflates a timed window is counted, and elapsed time is the sampling
# phase only. In one boot:
#   - quiet: elapsed_ns covers at least every timed map and unmap (one thread:
#     the windows lie inside the phase) and not the threads' calibration or
#     freeing (a 256 MiB run's elapsed stays within 10 % of its timed sum plus
#     the loop's own cost);
#   - a CPU hog pinned beside each sampling thread: preempted_windows > 0 (a
#     preemptible kernel switches the sampling thread out inside windows).
#   tests/lab/timing_honesty.sh [--kernel-version V]   (7.2 by default: lazy preemption)
source "$(dirname "$0")/lib.sh"
version=7.2
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
set -e
dev=$P2PSCOPE_LAB_TESTDEV
insmod /lab/add/p2pscope.ko
lab-bind "$dev" p2pscope >/dev/null
R=$P2PSCOPE_RESULTS
p2pscope map --device "$dev" --api map_single --memory ram --size 4K --iterations 20000 --format json >"$R/quiet.json"
p2pscope map --device "$dev" --api map_sgtable --memory ram --size 256M --segments 65536 --iterations 2 \
  --format json >"$R/big.json"
for cpu in 0 1; do taskset -c $cpu sh -c 'while :; do :; done' & done
p2pscope map --device "$dev" --api map_single --memory ram --size 4K --threads 2 --seconds 3 --format json >"$R/hogged.json"
kill $(jobs -p)
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 "$@" \
  --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the runs completed in the lab (Linux $version)" "$?" 0
r=$tl_dir/run/results
for f in quiet big hogged; do
  jq -r --arg f "$f" '.results[0] | "  \($f): \(.status) elapsed \(.elapsed_ns) ns, timed \((.map.mean_ns * .map.count + .unmap.mean_ns * .unmap.count) | floor) ns, preempted windows \(.preempted_windows), clock steps back \(.clock_steps_back)"' "$r/$f.json" 2>/dev/null
done
jcheck "quiet: elapsed covers every timed window" "$r/quiet.json" \
  '.results[0] | .status == "ok" and .elapsed_ns >= 0.999 * (.map.mean_ns * .map.count + .unmap.mean_ns * .unmap.count)'
jcheck "256 MiB: elapsed is the sampling phase, not allocation or freeing (within 10 % of the timed windows)" \
  "$r/big.json" \
  '.results[0] | .status == "ok" and .elapsed_ns <= 1.10 * (.map.mean_ns * .map.count + .unmap.mean_ns * .unmap.count)'
jcheck "CPU hogs beside the sampling threads: preempted windows counted" "$r/hogged.json" \
  '.results[0] | .status == "ok" and .preempted_windows > 0'
jcheck "no clock stepped back" "$r/hogged.json" '.results[0].clock_steps_back == 0'
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
