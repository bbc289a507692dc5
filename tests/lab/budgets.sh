#!/usr/bin/env bash
# A run holds its mappings for up to a minute, so what it maps at once
# (threads x size) stays within a budget of what other drivers share:
#   - swiotlb: with a 2 MiB pool and every mapping bouncing (swiotlb=1024,force,
#     no IOMMU), a quarter (512 KiB) may be held: 2 threads x 256 KiB run,
#     1 MiB is refused (reason budget);
#   - IOVA space: a device with a 28-bit DMA mask behind the IOMMU (256 MiB of
#     IOVA for all its users) may hold 12 % (about 32 MiB): 16 MiB runs, 64 MiB
#     is refused.
#   tests/lab/budgets.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
dev=$P2PSCOPE_LAB_TESTDEV
R=$P2PSCOPE_RESULTS
insmod /lab/add/p2pscope.ko || exit 1
lab-bind "$dev" p2pscope >/dev/null || exit 1
m() { name=$1; shift; p2pscope map --device "$dev" --api map_sgtable --memory ram --iterations 50 --format json "$@" \
        >"$R/$name.json" 2>"$R/$name.err"; }
if [ "$P2PSCOPE_LAB_IOMMU" = off ]; then
  m swiotlb-within --size 256K --segments 4 --threads 2
  m swiotlb-beyond --size 1M --segments 16
else
  m iova-within --size 16M --segments 256 --dma-mask-bits 28
  m iova-beyond --size 64M --segments 1024 --dma-mask-bits 28
fi
exit 0
GUEST
run() {  # NAME LAB-ARGS...
  local name=$1; shift
  "$LAB" -q --kernel-version "$version" --out "$tl_dir/$name" --timeout 300 "$@" \
    --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/$name.stdout" 2>"$tl_dir/$name.stderr"
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
run iova --iommu strict
r=$tl_dir/iova/results
jcheck "IOVA: 16 MiB below a 28-bit mask runs" "$r/iova-within.json" '.results[0].status == "ok"'
jcheck "IOVA: 64 MiB below a 28-bit mask is refused (budget)" "$r/iova-beyond.json" \
  '.results[0] | .status == "waived" and .reason_code == "budget"'
tl_finish
