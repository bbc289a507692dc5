#!/usr/bin/env bash
# Borrowed means borrowed. Loaded as by default (allow_borrowed=0), p2pscope.ko
# touches no device bound to another driver, whatever the command and whatever
# role the device plays: a block transfer on the NVMe (nvme's), the CMB as
# p2pmem provider, the CMB's BAR as raw memory for a device that is ours. With
# allow_borrowed=1 those run. A device whose driver manages its DMA itself
# (vfio-pci) is refused even then: its DMA is not the DMA API's.
# (An AMD host bridge, so that the kernel itself allows the p2pmem path.)
#   tests/lab/borrowed.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
dev=$P2PSCOPE_LAB_TESTDEV cmb=$P2PSCOPE_LAB_NVME_CMB
ns=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
lab-bind "$dev" p2pscope >/dev/null 2>&1 || true
all() {  # all SUFFIX: every role a borrowed device can play
  p2pscope xfer --engine nvme --block "$ns" --size 128K --iterations 4 --no-verify --format json \
    >"$R/xfer-$1.json" 2>"$R/xfer-$1.err"
  p2pscope map --device "$dev" --api map_sgtable --memory p2pmem --peer "$cmb" --iterations 100 --format json \
    >"$R/p2pmem-$1.json" 2>"$R/p2pmem-$1.err"
  p2pscope map --device "$dev" --api map_resource --memory bar --peer "$cmb" --bar 0 --iterations 100 --format json \
    >"$R/bar-$1.json" 2>"$R/bar-$1.err"
}
insmod /lab/add/p2pscope.ko || exit 1
lab-bind "$dev" p2pscope >/dev/null || exit 1
all off
rmmod p2pscope
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
lab-bind "$dev" p2pscope >/dev/null || exit 1
all on
lab-bind "$P2PSCOPE_LAB_NVME_SOLO" vfio-pci >/dev/null || exit 1
p2pscope map --device "$P2PSCOPE_LAB_NVME_SOLO" --api map_single --memory ram --iterations 100 --format json \
  >"$R/vfio.json" 2>"$R/vfio.err"
exit 0
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 --iommu strict --cpu amd "$@" \
  --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the guest script ran" "$?" 0
r=$tl_dir/run/results
for f in xfer-off p2pmem-off bar-off xfer-on p2pmem-on bar-on vfio; do
  jq -r --arg f "$f" '"  \($f): \(.results[0].status) \(.results[0].reason_code // "") \(.results[0].reason // "")"' \
    "$r/$f.json" 2>/dev/null || sed "s/^/  $f: /" "$r/$f.err"
done
jcheck "allow_borrowed=0: no block transfer on a device nvme owns" "$r/xfer-off.json" \
  '.results[0].status | startswith("waived: ") and contains("borrowed mode is off")'
jcheck "allow_borrowed=0: no p2pmem from a provider nvme owns" "$r/p2pmem-off.json" \
  '.results[0] | .status == "waived" and .reason_code == "borrowed_disabled"'
jcheck "allow_borrowed=0: no raw BAR of a device nvme owns" "$r/bar-off.json" \
  '.results[0] | .status == "waived" and .reason_code == "borrowed_disabled"'
jcheck "allow_borrowed=1: the block transfer runs" "$r/xfer-on.json" '.results[0].status == "ok"'
jcheck "allow_borrowed=1: p2pmem from the borrowed provider maps" "$r/p2pmem-on.json" '.results[0].status == "ok"'
jcheck "allow_borrowed=1: the borrowed BAR maps" "$r/bar-on.json" '.results[0].status == "ok"'
jcheck "a device bound to vfio-pci: refused even with allow_borrowed=1 (dma_owned)" "$r/vfio.json" \
  '.results[0] | .status == "waived" and .reason_code == "dma_owned"'
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
