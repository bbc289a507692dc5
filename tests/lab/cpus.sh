#!/usr/bin/env bash
# Sampling threads stay off CPUs set aside for latency-critical work. The lab
# boots with CPU 1 isolated (isolcpus=1): by default a run takes housekeeping
# CPUs only (one thread on CPU 0; two threads refused with the reason); a CPU
# list puts threads where it says, isolated CPUs included, and every result
# lists the CPUs used; a CPU list that names an offline CPU or one CPU twice is
# bad input (exit 2).
#   tests/lab/cpus.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
dev=$P2PSCOPE_LAB_TESTDEV
R=$P2PSCOPE_RESULTS
insmod /lab/add/p2pscope.ko
lab-bind "$dev" p2pscope >/dev/null
cat /sys/devices/system/cpu/isolated >"$R/isolated"
m() { name=$1; shift
  p2pscope map --device "$dev" --api map_single --memory ram --iterations 1000 --format json "$@" \
    >"$R/$name.json" 2>"$R/$name.err"; echo $? >"$R/$name.rc"; }
m default
m two --threads 2
m isolated --cpus 1
m both --cpus 1,0
m twice --cpus 0,0
m offline --cpus 7
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 --append isolcpus=1 "$@" \
  --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the runs completed in the lab (Linux $version, isolcpus=1)" "$?" 0
r=$tl_dir/run/results
expect_eq "the guest's isolated CPUs" "$(cat "$r/isolated" 2>/dev/null)" 1
for f in default two isolated both; do
  jq -r --arg f "$f" '.results[0] | "  \($f): \(.status) cpus \(.cpus) \(.reason)"' "$r/$f.json" 2>/dev/null
done
jcheck "default: one thread on the housekeeping CPU 0" "$r/default.json" '.results[0] | .status == "ok" and .cpus == [0]'
jcheck "default, two threads: refused, one housekeeping CPU" "$r/two.json" \
  '.results[0] | .status == "waived" and .reason_code == "cpus" and .cpus == []'
jcheck "--cpus 1: on the isolated CPU, as asked" "$r/isolated.json" '.results[0] | .status == "ok" and .cpus == [1]'
jcheck "--cpus 1,0: two threads, in that order" "$r/both.json" \
  '.results[0] | .status == "ok" and .cpus == [1, 0] and .threads_run == 2'
for f in twice offline; do
  expect_eq "--cpus ($f): bad input, exit 2" "$(cat "$r/$f.rc" 2>/dev/null)" 2
  check "--cpus ($f): one line on stderr" test "$(wc -l <"$r/$f.err")" = 1
done
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
