#!/usr/bin/env bash
# A run holds its mappings for up to a minute, so what it maps at once
# (threads x size) stays within a budget of what other drivers share:
#   - swiotlb: with a 2 MiB pool and every mapping bouncing (swiotlb=1024,force,
#     no IOMMU), a quarter (512 KiB) may be held: 2 threads x 256 KiB run,
#     1 MiB is refused (reason budget);
#   - IOVA space: a device with a 28-bit DMA mask behind the IOMMU (256 MiB of
#     IOVA for all its users) may hold 12 % (about 32 MiB): 16 MiB runs, 64 MiB
#     is refused;
#   - p2pmem: the CMB NVMe publishes a 64 MiB pool; a run may take half:
#     2 threads x 8 MiB run, 2 x 24 MiB are refused, and so is a block
#     transfer whose 64 buffers of 1 MiB would take the whole pool;
#   - the DMA allocators: a tenth of the 2 GiB guest's RAM: 2 x 4 MiB of
#     dma_alloc_coherent run, 2 x 128 MiB are refused.
#   tests/lab/budgets.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
tl_build_tool "$version"   # and the module's own test tool, for the capabilities
cat >"$tl_dir/guest.sh" <<'GUEST'
dev=$P2PSCOPE_LAB_TESTDEV
R=$P2PSCOPE_RESULTS
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1   # the NVMe peer is borrowed
lab-bind "$dev" p2pscope >/dev/null || exit 1
m() { name=$1; shift; p2pscope map --device "$dev" --api map_sgtable --memory ram --iterations 50 --format json "$@" \
        >"$R/$name.json" 2>"$R/$name.err"; }
if [ "$P2PSCOPE_LAB_IOMMU" = off ]; then
  m swiotlb-within --size 256K --segments 4 --threads 2
  m swiotlb-beyond --size 1M --segments 16
  p() { name=$1; shift; p2pscope map --device "$P2PSCOPE_LAB_NVME_PEER" --api map_sgtable --memory p2pmem \
          --peer "$P2PSCOPE_LAB_NVME_CMB" --iterations 20 --format json "$@" >"$R/$name.json" 2>"$R/$name.err"; }
  p p2pmem-within --size 8M --segments 128 --threads 2
  p p2pmem-beyond --size 24M --segments 384 --threads 2
  ns=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
  p2pscope xfer --engine nvme --block "$ns" --memory p2pmem --peer "$P2PSCOPE_LAB_NVME_CMB" --size 1M \
    --queue-depth 64 --iterations 64 --format json >"$R/p2pmem-xfer-beyond.json" 2>"$R/p2pmem-xfer-beyond.err"
  p2pscope-map caps | grep -oE 'budget_(p2pmem|dma_alloc)_pct=[0-9]+' >"$R/caps.txt"
else
  m iova-within --size 16M --segments 256 --dma-mask-bits 28
  m iova-beyond --size 64M --segments 1024 --dma-mask-bits 28
  c() { name=$1; shift; p2pscope map --device "$dev" --api alloc_coherent --iterations 20 --format json "$@" \
          >"$R/$name.json" 2>"$R/$name.err"; }
  c coherent-within --size 4M --threads 2
  c coherent-beyond --size 128M --threads 2
fi
exit 0
GUEST
run() {  # NAME LAB-ARGS...
  local name=$1; shift
  "$LAB" -q --kernel-version "$version" --out "$tl_dir/$name" --timeout 300 "$@" \
    --add "$ko" --add "$bin" --add "$tool" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/$name.stdout" 2>"$tl_dir/$name.stderr"
  expect_eq "lab run '$name' completed" "$?" 0
  for f in "$tl_dir/$name/results/"*.json; do
    jq -r --arg f "$(basename "$f" .json)" '.results[0] | "  \($f): \(.status) \(.reason_code) \(.reason)"' "$f" 2>/dev/null
  done
  expect_eq "no bug/fault lines in the kernel log ($name)" "$(jget "$tl_dir/$name/lab.json" .kernel_log_alerts)" 0
}
run swiotlb --iommu off --append swiotlb=1024,force
r=$tl_dir/swiotlb/results
jcheck "swiotlb: 2 x 256 KiB bouncing (a quarter of 2 MiB) runs" "$r/swiotlb-within.json" \
  '.results[0] | .status == "ok" and .bounced == true'
jcheck "swiotlb: 1 MiB at once is refused (budget)" "$r/swiotlb-beyond.json" \
  '.results[0] | .status == "waived" and .reason_code == "budget"'
jcheck "p2pmem: 2 x 8 MiB of the 64 MiB pool runs" "$r/p2pmem-within.json" '.results[0].status == "ok"'
jcheck "p2pmem: 2 x 24 MiB is refused (budget), the pool named" "$r/p2pmem-beyond.json" \
  '.results[0] | .status == "waived" and .reason_code == "budget" and (.reason | contains("pool is 67108864"))'
jcheck "p2pmem: a block transfer's 64 x 1 MiB buffers are refused (budget)" "$r/p2pmem-xfer-beyond.json" \
  '.results[0].status | startswith("waived: 67108864 bytes of p2pmem at once")'
expect_eq "the capabilities report the p2pmem and DMA allocator budgets" "$(cat "$r/caps.txt" 2>/dev/null | tr '\n' ' ')" \
  "budget_p2pmem_pct=50 budget_dma_alloc_pct=10 "
run iova --iommu strict
r=$tl_dir/iova/results
jcheck "IOVA: 16 MiB below a 28-bit mask runs" "$r/iova-within.json" '.results[0].status == "ok"'
jcheck "IOVA: 64 MiB below a 28-bit mask is refused (budget)" "$r/iova-beyond.json" \
  '.results[0] | .status == "waived" and .reason_code == "budget"'
jcheck "dma_alloc_coherent: 2 x 4 MiB runs" "$r/coherent-within.json" '.results[0].status == "ok"'
jcheck "dma_alloc_coherent: 2 x 128 MiB is refused (budget), RAM named" "$r/coherent-beyond.json" \
  '.results[0] | .status == "waived" and .reason_code == "budget" and (.reason | contains("RAM is"))'
tl_finish
