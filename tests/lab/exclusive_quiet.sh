#!/usr/bin/env bash
# An exclusive device is quiet and decoded: binding it to p2pscope turns off
# bus mastering that a previous owner left on (the device could otherwise
# write memory p2pscope maps for it); before a copy touches its BAR the
# module turns memory decoding on (a BAR with decoding off does not answer).
# The lab has no dmaengine channel, so the copy itself is refused
# (NO_DMA_CHANNEL), after the BAR was made to answer.
#   tests/lab/exclusive_quiet.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build_tool "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
dev=$P2PSCOPE_LAB_TESTDEV
cfg=/sys/bus/pci/devices/$dev/config
cmd() { od -An -tx2 -j4 -N2 "$cfg" | tr -d ' '; }
setcmd() { printf "$1" | dd of="$cfg" bs=1 seek=4 conv=notrunc 2>/dev/null; }
insmod /lab/add/p2pscope.ko || exit 1
lab-bind "$dev" - >/dev/null
setcmd '\006\000'          # memory decoding and bus mastering on, as a careless owner left it
cmd >"$R/before-bind"
lab-bind "$dev" p2pscope >/dev/null || exit 1
cmd >"$R/after-bind"
setcmd '\000\000'          # decoding off
cmd >"$R/before-copy"
# the module's XFER_DMA itself (p2pscope xfer stops earlier where /sys/class/dma is empty)
p2pscope-map dma "$dev" 0 >"$R/copy.txt" 2>&1
cmd >"$R/after-copy"
dmesg | grep -c "bus mastering was on: turned off" >"$R/logged"
exit 0
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 "$@" \
  --add "$ko" --add "$tool" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the guest script ran" "$?" 0
r=$tl_dir/run/results
for f in before-bind after-bind before-copy after-copy; do echo "  command register $f: 0x$(cat "$r/$f" 2>/dev/null)"; done
sed 's/^/  copy: /' "$r/copy.txt" 2>/dev/null
bit() { [ -n "$(cat "$r/$1" 2>/dev/null)" ] && [ $(( 0x$(cat "$r/$1") & $2 )) -ne 0 ]; }
check "set up: bus mastering on before binding" bit before-bind 4
check "bound to p2pscope: bus mastering off" eval '! bit after-bind 4'
expect_eq "the kernel log says bus mastering was turned off" "$(cat "$r/logged" 2>/dev/null)" 1
check "set up: memory decoding off before the copy" eval '! bit before-copy 2'
check "the copy's setup turned memory decoding on" bit after-copy 2
check "bus mastering still off after the copy's setup" eval '! bit after-copy 4'
check "the copy itself is refused: the lab has no dmaengine channel" grep -q "status=no_dma_channel" "$r/copy.txt"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
