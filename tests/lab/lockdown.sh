#!/usr/bin/env bash
# Kernel lockdown is respected: a copy into a device's BAR (XFER_DMA) is the
# raw PCI access lockdown takes from root, so once the kernel is locked down
# (integrity, raised at run time through securityfs after the module loaded:
# lockdown refuses unsigned modules) the module refuses it with the reason
# `lockdown` before it touches the device (memory decoding stays off). The
# control, before lockdown: the same request gets as far as the lab allows
# (no dmaengine channel) and turns decoding on. Needs a kernel with the
# lockdown LSM (the lab's 7.2).
#   tests/lab/lockdown.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=7.2
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build_tool "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
dev=$P2PSCOPE_LAB_TESTDEV
cfg=/sys/bus/pci/devices/$dev/config
decode() { echo $(( 0x$(od -An -tx2 -j4 -N2 "$cfg" | tr -d ' ') & 2 )); }
decode_off() { printf '\000\000' | dd of="$cfg" bs=1 seek=4 conv=notrunc 2>/dev/null; }
insmod /lab/add/p2pscope.ko || exit 1
lab-bind "$dev" p2pscope >/dev/null || exit 1
decode_off
p2pscope-map dma "$dev" 0 >"$R/open.txt" 2>&1
decode >"$R/open-decode"
decode_off
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
cat /sys/kernel/security/lockdown >"$R/lockdown-before" 2>&1
echo integrity >/sys/kernel/security/lockdown
cat /sys/kernel/security/lockdown >"$R/lockdown-after" 2>&1
p2pscope-map dma "$dev" 0 >"$R/locked.txt" 2>&1
decode >"$R/locked-decode"
exit 0
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 "$@" \
  --add "$ko" --add "$tool" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the guest script ran" "$?" 0
r=$tl_dir/run/results
sed 's/^/  before lockdown: /' "$r/open.txt" 2>/dev/null
sed 's/^/  locked down: /' "$r/locked.txt" 2>/dev/null
echo "  lockdown: $(cat "$r/lockdown-before" 2>/dev/null) -> $(cat "$r/lockdown-after" 2>/dev/null)"
check "control: before lockdown the copy's setup goes on (no dmaengine channel in the lab)" grep -q "status=no_dma_channel" "$r/open.txt"
expect_eq "control: and it turned memory decoding on" "$(cat "$r/open-decode" 2>/dev/null)" 2
check "the kernel is now locked down (integrity)" grep -q '\[integrity\]' "$r/lockdown-after"
check "locked down: the copy is refused with the reason" grep -q "status=lockdown" "$r/locked.txt"
check "locked down: the reason says why" grep -q "the kernel is locked down: no direct access to" "$r/locked.txt"
expect_eq "locked down: the device was not touched (decoding still off)" "$(cat "$r/locked-decode" 2>/dev/null)" 0
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
