#!/usr/bin/env bash
# Control for kmod/tests/lab-hotplug.sh, which passes over exactly one lockdep
# report: on the debug kernel, 6.1's pciehp reports a possible circular locking
# dependency between its reset_lock and pci_rescan_remove_lock on every
# hot-unplug. This test unplugs pci-testdev with p2pscope never loaded and
# checks that the kernel alone produces that report (the kernel stays
# untainted), so the exclusion hides nothing of p2pscope's. Should a kernel
# fix it, this test fails and the exclusion must go.
source "$(dirname "$0")/lib.sh"
sock=$tl_dir/mon.sock
cat >"$tl_dir/guest.sh" <<'GUEST'
echo LAB-CONTROL-READY
i=0
while [ -e "/sys/bus/pci/devices/$P2PSCOPE_LAB_TESTDEV" ] && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
sleep 5
! grep -q '^p2pscope ' /proc/modules
GUEST
"$LAB" -q --kernel debug --no-kmemleak --out "$tl_dir/run" --timeout 600 --monitor-socket "$sock" \
  --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr" &
labpid=$!
ready=0
for _ in $(seq 1 2400); do
  grep -q LAB-CONTROL-READY "$tl_dir/run/console.log" 2>/dev/null && { ready=1; break; }
  kill -0 $labpid 2>/dev/null || break
  sleep 0.5
done
expect_eq "the debug guest is up" "$ready" 1
"$HMP" "$sock" device_del testdev
expect_eq "device_del testdev accepted" "$?" 0
wait $labpid
expect_eq "the guest saw the removal, p2pscope never loaded" "$?" 0
d=$tl_dir/run/dmesg.txt
splat=$(sed -n '/possible circular locking dependency detected/,/<\/TASK>/p' "$d")
check "lockdep reports a possible circular locking dependency without p2pscope" test -n "$splat"
check "it involves pciehp's reset_lock and pci_rescan_remove_lock" \
  bash -c "grep -q reset_lock <<<\"\$1\" && grep -q pci_rescan_remove_lock <<<\"\$1\"" _ "$splat"
check "the kernel is not tainted (no out-of-tree module)" bash -c "grep -A1 'possible circular locking' '$d' | grep -q 'Not tainted'"
tl_finish
