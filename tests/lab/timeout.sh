#!/usr/bin/env bash
# A guest command that outlives --timeout is killed in the guest: lab/run exits
# 124, says so, and still brings back dmesg; QEMU is gone afterwards.
source "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$LAB" --out "$tl_dir/sleep" --timeout 20 -- sleep 1000 2>"$tl_dir/stderr"
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "exit status on a guest timeout" "$rc" 124
check "stderr says TIMEOUT" grep -q 'TIMEOUT' "$tl_dir/stderr"
expect_eq "lab.json outcome" "$(jget "$tl_dir/sleep/lab.json" .outcome)" timeout
check "dmesg still came back" grep -q 'Linux version' "$tl_dir/sleep/dmesg.txt"
check "ended within 120 s of wall time (took ${took} s)" [ "$took" -lt 120 ]
check "no QEMU of this run left running" no_qemu_left "$tl_dir/sleep"
lab_timings "$tl_dir/sleep"

# The host-side watchdog: a guest that never finishes (here QEMU starts with
# its CPUs stopped, -S) must still end QEMU, with status 124, at --timeout plus
# --boot-timeout.
start=$(date +%s)
"$LAB" --out "$tl_dir/hang" --timeout 5 --boot-timeout 10 --qemu-arg -S -- true 2>"$tl_dir/hang.stderr"
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "exit status when the host watchdog kills QEMU" "$rc" 124
expect_eq "lab.json outcome" "$(jget "$tl_dir/hang/lab.json" .outcome)" host_timeout
check "stderr says the guest did not finish" grep -q 'did not finish' "$tl_dir/hang.stderr"
check "host watchdog ended QEMU near 15 s (took ${took} s)" [ "$took" -lt 60 ]
check "no QEMU of this run left running" no_qemu_left "$tl_dir/hang"
tl_finish
