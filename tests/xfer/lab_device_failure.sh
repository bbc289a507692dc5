#!/usr/bin/env bash
# A failing device never hangs a block transfer, its process or its removal
# (issue 13.1).  While p2pscope reads the peer NVMe in the lab, the host:
#  stall:   throttles the NVMe's backing file to 1 byte/s (a device that stops
#           completing I/O): the run ends by itself with the reason, its bios
#           left to end later; once the host lets I/O flow, the module frees
#           them and says so;
#  kill:    stalls it again and the guest kills the process with SIGKILL: it
#           is gone within a second or two;
#  aer:     injects a fatal uncorrectable error (DLP) on the NVMe's switch
#           port: the kernel's AER recovery resets the link and the NVMe
#           driver retries (its submissions wait meanwhile); the module's
#           watch sees the function in recovery and stops the run within
#           seconds with the reason (and p2pscope xfer would also see the
#           port's AER counter grow);
#  provider: removes the CMB NVMe while the peer reads into its p2pmem: the
#           run stops at once (device_gone) and the removal goes on (QEMU's
#           NVMe model may keep a DMA into the vanished BAR hanging until the
#           driver resets it: the module then frees those buffers later);
#  remove:  removes an NVMe (device_del; the solo one: the peer may still be
#           recovering) during a RAM read: the run ends with device_gone.
# Then, once every bio left in flight has ended, the module unloads and the
# kernel log is clean.  No IOMMU: P2P through
# the lab's switch faults under one (tests/xfer/lab_nvme.sh), which is not
# what this test is about.
#   tests/xfer/lab_device_failure.sh [--kernel-version V] [release|debug]
source "$(dirname "$0")/../lab/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
variant=${1:-release}; [ $# -gt 0 ] && shift
tl_build "$version" "$variant"
cat >"$tl_dir/guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
peer=$P2PSCOPE_LAB_NVME_PEER cmb=$P2PSCOPE_LAB_NVME_CMB solo=$P2PSCOPE_LAB_NVME_SOLO
mark() { echo "p2pscope-devfail: $*" >/dev/kmsg; }
now() { cut -d' ' -f1 /proc/uptime | tr -d .; }	# centiseconds
namespace() { echo "/dev/$(ls "/sys/bus/pci/devices/$1/nvme/"*/ | grep -m1 '^nvme.*n1$')"; }
ns=$(namespace "$peer")
# wait_for PATTERN COUNT SECONDS: until dmesg has COUNT lines matching PATTERN
wait_for() {
  n=0
  while [ "$(dmesg | grep -c "$1")" -lt "$2" ] && [ $n -lt "$3" ]; do sleep 1; n=$((n + 1)); done
}
reads() { set -- $(cat "/sys/block/${ns#/dev/}/stat"); echo "$1"; }	# completed
# start NAME ARGS...: one transfer in the background, its time counted from now
start() {
  name=$1; shift
  p2pscope xfer --engine nvme --block "$ns" --direction read --size 128K  --queue-depth 8 \
    --format json "$@" >"$R/$name.json" 2>"$R/$name.err" &
  pid=$!
  t0=$(now)
}
# run NAME ARGS...: start it and say "NAME measuring" once its measured reads
# flow, so that what the host does next hits the run: starting a transfer can
# take seconds (a debug kernel on a loaded host took 10 s, and an AER recovery
# of 5 s came and went before it).  Its time counts from then (at most 60 s
# later), as the host's action does.
run() {
  r0=$(reads) w0=$(now)
  start "$@"
  while [ "$(reads)" -lt $((r0 + 16)) ] && [ $(($(now) - w0)) -lt 6000 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.1
  done
  t0=$(now)
  mark "$name measuring"
}
finish() {
  wait $pid; echo $? >"$R/$1.rc"
  echo $(( ($(now) - t0) * 10 )) >"$R/$1.ms"
  mark "$1 returned"
}
gone() {	# the removal goes on after the run: up to 60 s for the function to go
  n=0
  while [ -e "/sys/bus/pci/devices/$1" ] && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done
  [ -e "/sys/bus/pci/devices/$1" ] && echo present || echo removed
}
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
# When the host lets I/O flow again, QEMU does not always restart at once
# what its throttle queued; the NVMe driver's own timeout (abort at 30 s, reset
# at 60 s) then ends those bios, as on a real server.

run aer --seconds 60; finish aer

start stall --seconds 60; mark "stall measuring"; finish stall
wait_for "last bio left in flight has ended" 1 90

# Only the AER phase waits for flowing reads: after a throttle QEMU may hold
# the peer's I/O until the NVMe driver resets the controller, and a run whose
# reads never flow ends by itself before the host acts.
start kill --seconds 60
mark "kill measuring"
# kill once the host's throttle holds: no read completed for 2 s, some in flight
stat=/sys/block/${ns#/dev/}/stat
last=-1 same=0 n=0
while [ $same -lt 4 ] && [ $n -lt 120 ]; do
  sleep 0.5; n=$((n + 1))
  set -- $(cat "$stat"); done_now=$1 inflight=$9
  if [ "$done_now" = "$last" ] && [ "$inflight" -gt 0 ]; then same=$((same + 1)); else same=0; fi
  last=$done_now
done
k0=$(now); kill -9 $pid; wait $pid; echo $? >"$R/kill.rc"
echo $(( ($(now) - k0) * 10 )) >"$R/kill.ms"
mark "kill returned"
wait_for "last bio left in flight has ended" "$(dmesg | grep -c 'still in flight after')" 90

start provider --seconds 60 --memory p2pmem --peer "$cmb"; mark "provider measuring"; finish provider
gone "$cmb" >"$R/cmb"
ns=$(namespace "$solo")
start remove --seconds 60; mark "remove measuring"; finish remove
gone "$solo" >"$R/solo"

dmesg | grep -E "p2pscope|nvme|pcieport|AER" >"$R/log.txt"
# (the module stays loaded while bios it left in flight have not ended)
n=0
until rmmod p2pscope 2>/dev/null; do sleep 2; n=$((n + 1)); [ $n -lt 60 ] || break; done
lsmod | grep -q '^p2pscope ' || echo ok >"$R/rmmod"
exit 0
GUEST
sock=$tl_dir/mon.sock
"$LAB" -q --kernel-version "$version" --kernel "$variant" --iommu off --out "$tl_dir/run" --timeout 900 --monitor-socket "$sock" "$@" \
  --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr" &
lab=$!
# on MARK in the guest's console: wait DELAY s, then send the monitor COMMAND
on() {
  local n=0
  until grep -q "p2pscope-devfail: $1" "$tl_dir/run/console.log" 2>/dev/null; do
    kill -0 $lab 2>/dev/null || { notok "the guest never said '$1'"; return 1; }
    sleep 0.5; n=$((n + 1)); [ $n -lt 2400 ] || { notok "no '$1' within 20 min"; return 1; }
  done
  sleep "$2"; shift 2
  "$HMP" "$sock" "$@" >>"$tl_dir/hmp.txt" 2>&1 || notok "monitor: $*"
}
unthrottled="block_set_io_throttle nvme-peer-ns 0 0 0 0 0 0"
# (a limit far above the device first: QEMU restarts its queue on a change)
limitless="block_set_io_throttle nvme-peer-ns 1000000000000 0 0 0 0 0"
on "aer measuring" 3 pcie_aer_inject_error sw-dp1 DLP
on "stall measuring" 2 block_set_io_throttle nvme-peer-ns 1 0 0 0 0 0
on "stall returned" 0 $limitless; "$HMP" "$sock" $unthrottled >>"$tl_dir/hmp.txt" 2>&1
on "kill measuring" 2 block_set_io_throttle nvme-peer-ns 1 0 0 0 0 0
on "kill returned" 0 $limitless; "$HMP" "$sock" $unthrottled >>"$tl_dir/hmp.txt" 2>&1
on "provider measuring" 3 device_del nvme-cmb
on "remove measuring" 3 device_del nvme-solo
wait $lab
expect_eq "the guest script ran" "$?" 0
r=$tl_dir/run/results
for f in aer stall provider remove; do
  echo "  $f: exit $(cat "$r/$f.rc" 2>/dev/null), $(cat "$r/$f.ms" 2>/dev/null) ms: $(jq -r '.results[0].status' "$r/$f.json" 2>/dev/null || cat "$r/$f.err")"
done
echo "  kill: exit $(cat "$r/kill.rc" 2>/dev/null) $(cat "$r/kill.ms" 2>/dev/null) ms after SIGKILL"
sed 's/^/  log: /' "$r/log.txt" 2>/dev/null | grep -E "p2pscope|AER|pcieport|nvme.*(reset|timeout|abort)" | head -40
# stall
jcheck "stall: the run stopped because no I/O completed" "$r/stall.json" \
  '.results[0].status | contains("no I/O completed for 10 s")'
check "stall: it ended long before its 60 s (within 30 s)" test "$(cat "$r/stall.ms" 2>/dev/null || echo 99999)" -lt 30000
check "stall: the bios still in flight were left to end later" grep -q "still in flight after" "$r/log.txt"
# (stall and kill leave bios in flight; the provider phase may, see above)
left=$(grep -c "still in flight after" "$r/log.txt" 2>/dev/null)
check "stall, kill: both runs left their bios in flight ($left runs in all)" test "${left:-0}" -ge 2
expect_eq "every run that left bios in flight had its buffers freed once they ended" \
  "$(grep -c "last bio left in flight has ended" "$r/log.txt" 2>/dev/null)" "$left"
# kill
expect_eq "kill: SIGKILL ended the process" "$(cat "$r/kill.rc" 2>/dev/null)" 137
check "kill: within 2 s" test "$(cat "$r/kill.ms" 2>/dev/null || echo 99999)" -lt 2000
# aer
check "aer: the error reached the kernel's AER driver" grep -qiE "AER:.*(Uncorrect|Fatal)" "$r/log.txt"
jcheck "aer: the run stopped with the reason: the NVMe entered error recovery" "$r/aer.json" \
  '.results[0].status | startswith("error: ") and contains("entered PCIe error recovery")'
check "aer: within 30 s of its 60" test "$(cat "$r/aer.ms" 2>/dev/null || echo 99999)" -lt 30000
# provider
jcheck "provider: the run stopped: the provider was removed" "$r/provider.json" \
  '.results[0].status | contains("the p2pmem provider, was unbound or removed")'
check "provider: within 30 s" test "$(cat "$r/provider.ms" 2>/dev/null || echo 99999)" -lt 30000
# From the unbind's notice to the run letting go: the measuring loop looks
# every round, also while completions keep coming (it once waited for the
# completion list to run dry: 20 s on the debug kernel under load).
letgo=$(awk -F'[][]' '/stopping the measurement that uses this device/ { t0 = $2 }
                      /the measurement stopped and let go of this device/ && t0 != "" { printf "%d", ($2 - t0) * 1000; exit }' \
        "$r/log.txt" 2>/dev/null)
seen=${letgo:+$letgo ms}
check "provider: the run let go of it within 5 s of being told (${seen:-the notice or the let-go line is not in the log})" \
  test "${letgo:-99999}" -lt 5000
expect_eq "provider: the CMB NVMe is gone" "$(cat "$r/cmb" 2>/dev/null)" removed
# remove
# (6.1 removes the driver first and its bios fail; 7.2's pciehp powers the slot
# off while they are in flight, and the run sees the disk going and no answer)
jcheck "remove: the run ended with device_gone" "$r/remove.json" \
  '.results[0].status | test("block device [0-9]+:[0-9]+ (was|is being) removed")'
check "remove: within 30 s" test "$(cat "$r/remove.ms" 2>/dev/null || echo 99999)" -lt 30000
expect_eq "remove: the NVMe is gone" "$(cat "$r/solo" 2>/dev/null)" removed
expect_eq "the module unloads afterwards" "$(cat "$r/rmmod" 2>/dev/null)" ok
# (on 6.1's debug kernel, pciehp's own lockdep report on every hot-unplug is not p2pscope's)
check "no bug/fault lines in the kernel log ($(jget "$tl_dir/run/lab.json" .kernel_log_alerts) alerts)" \
  lab_alerts_besides_pciehp "$tl_dir/run/dmesg.txt"
tl_finish
