#!/usr/bin/env bash
# Time limits end every run, and each way of ending says what happened:
#  - a guest command that outlives --timeout is killed in the guest: exit 124,
#    outcome "timeout", dmesg still comes back;
#  - a boot that never reaches the command (QEMU started with its CPUs stopped,
#    -S) is stopped at --boot-timeout and retried --boot-retries times: exit 124,
#    outcome "boot_hang";
#  - a guest that dies before the command starts (here: rdinit=/nonexistent, so
#    the kernel panics for want of an init; in the wild, multi-threaded TCG's
#    int3 at a patch site) is retried like a hung boot: exit 3, outcome
#    "boot_failure", the panic named on stderr and in lab.json;
#  - a guest that freezes while the command runs (QEMU monitor "stop") is killed
#    by the host at --timeout + 2 x --boot-timeout: exit 124, "host_timeout".
# No QEMU is left behind in any case.
source "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$LAB" --out "$tl_dir/sleep" --timeout 20 -- sleep 1000 2>"$tl_dir/sleep.stderr"
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "exit status on a guest timeout" "$rc" 124
check "stderr says TIMEOUT" grep -q 'TIMEOUT' "$tl_dir/sleep.stderr"
expect_eq "lab.json outcome" "$(jget "$tl_dir/sleep/lab.json" .outcome)" timeout
check "dmesg still came back" grep -q 'Linux version' "$tl_dir/sleep/dmesg.txt"
check "ended within 120 s of wall time (took ${took} s)" [ "$took" -lt 120 ]
check "no QEMU of this run left running" no_qemu_left "$tl_dir/sleep"
lab_timings "$tl_dir/sleep"

start=$(date +%s)
"$LAB" --out "$tl_dir/hang" --timeout 5 --boot-timeout 10 --boot-retries 1 --qemu-arg -S -- true 2>"$tl_dir/hang.stderr"
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "exit status when the boot hangs" "$rc" 124
expect_eq "lab.json outcome" "$(jget "$tl_dir/hang/lab.json" .outcome)" boot_hang
expect_eq "boot attempts (one retry)" "$(jget "$tl_dir/hang/lab.json" .boot_attempts)" 2
check "stderr says BOOT HANG and that it retried" bash -c "grep -q 'BOOT HANG' '$tl_dir/hang.stderr' && grep -q 'retrying' '$tl_dir/hang.stderr'"
check "the hung attempt's console log is kept" test -f "$tl_dir/hang/console.boot-hang-1.log"
check "ended near 2 x 10 s (took ${took} s)" [ "$took" -lt 60 ]
check "no QEMU of this run left running" no_qemu_left "$tl_dir/hang"

"$LAB" --out "$tl_dir/dies" --timeout 5 --boot-retries 1 --append rdinit=/nonexistent -- true 2>"$tl_dir/dies.stderr"
rc=$?
expect_eq "exit status when every boot dies before the command" "$rc" 3
expect_eq "lab.json outcome" "$(jget "$tl_dir/dies/lab.json" .outcome)" boot_failure
expect_eq "boot attempts (one retry)" "$(jget "$tl_dir/dies/lab.json" .boot_attempts)" 2
jcheck "lab.json names the panic of each attempt" "$tl_dir/dies/lab.json" \
  '[.boot_retries[] | select(.kind == "failure" and (.reason | test("Kernel panic")))] | length == 2'
check "stderr says BOOT FAILURE with the panic, and that it retried" bash -c \
  "grep -q 'BOOT FAILURE: the guest died before the command started: .*Kernel panic' '$tl_dir/dies.stderr' && grep -q 'retrying' '$tl_dir/dies.stderr'"
check "each attempt's console log is kept" test -f "$tl_dir/dies/console.boot-failure-1.log" -a -f "$tl_dir/dies/console.boot-failure-2.log"
check "no QEMU of this run left running" no_qemu_left "$tl_dir/dies"

sock=$tl_dir/mon.sock
start=$(date +%s)
"$LAB" --out "$tl_dir/frozen" --timeout 5 --boot-timeout 40 --monitor-socket "$sock" -- sleep 3 2>"$tl_dir/frozen.stderr" &
labpid=$!
for _ in $(seq 1 400); do
  grep -q 'lab-init: running command' "$tl_dir/frozen/console.log" 2>/dev/null && break
  sleep 0.2
done
"$HMP" "$sock" stop >/dev/null
wait $labpid
rc=$?
took=$(( $(date +%s) - start ))
expect_eq "exit status when the guest freezes (monitor 'stop')" "$rc" 124
expect_eq "lab.json outcome" "$(jget "$tl_dir/frozen/lab.json" .outcome)" host_timeout
check "stderr says the guest did not finish" grep -q 'did not finish' "$tl_dir/frozen.stderr"
check "host ended QEMU near 5 + 2 x 40 s (took ${took} s)" bash -c "[ $took -ge 80 ] && [ $took -lt 120 ]"
check "no QEMU of this run left running" no_qemu_left "$tl_dir/frozen"
tl_finish
