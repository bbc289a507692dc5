#!/usr/bin/env bash
# The module builds, with W=1 and no warning, against the built 6.12 and 7.2
# trees in the cache (lab/build-kernel.sh or by hand: a tree built with O= and
# its Module.symvers, marked done by .p2pscope-built), and its probes pick the
# forms of the APIs that moved on those kernels.  Kernels that are not there
# are skipped; with none at all the test is skipped (exit 77).
#   tests/kmod/newer_kernels.sh [KERNEL-OBJECT-DIR...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${P2PSCOPE_CACHE:-$HOME/.cache/p2pscope}
fail() { echo "FAIL: $*"; exit 1; }
if [ $# -gt 0 ]; then
  trees=("$@")
else
  trees=()
  for v in 6.12 7.2; do
    t=$(ls -1d "$cache"/kernel/"$v"-release-*/ 2>/dev/null | while read -r d; do
          [ -f "$d/.p2pscope-built" ] && [ -f "$d/Module.symvers" ] && echo "${d%/}"; done | tail -n 1)
    if [ -n "$t" ]; then trees+=("$t"); else echo "skip: no built $v tree under $cache/kernel"; fi
  done
fi
[ ${#trees[@]} -gt 0 ] || { echo "SKIP: no 6.12 or 7.2 kernel tree"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-kmod-newer.XXXXXX")
trap 'rm -rf "$work"' EXIT
for k in "${trees[@]}"; do
  rel=$(cat "$k/include/config/kernel.release" 2>/dev/null) || fail "$k is not a configured kernel tree"
  b=$work/$rel
  mkdir -p "$b"
  (cd "$top" && git ls-files -z --cached --others --exclude-standard kmod | xargs -0 cp --parents -t "$b") ||
    fail "cannot copy kmod/"
  make -C "$b/kmod" KDIR="$k" W=1 >"$b/build.log" 2>&1 || { tail -n 30 "$b/build.log"; fail "build against $rel failed"; }
  [ -f "$b/kmod/p2pscope.ko" ] || fail "no p2pscope.ko for $rel"
  if grep -E 'warning:' "$b/build.log"; then fail "the build against $rel printed warnings"; fi
  echo "ok: p2pscope.ko built against $rel, no warnings with W=1"
  feat=$b/kmod/p2pscope_features.h
  cfg() { grep -q "^CONFIG_$1=y" "$k/.config"; }
  present() { grep -q "^#define P2PSCOPE_HAVE_$1 1" "$feat" || { cat "$feat"; fail "$rel: probe $1 should be true"; }; }
  absent() { ! grep -q "^#define P2PSCOPE_HAVE_$1 " "$feat" || { cat "$feat"; fail "$rel: probe $1 should be false"; }; }
  # Common to 6.12 and 7.2: swiotlb state without is_swiotlb_active (unexported),
  # bounce detection by address, the later block-device open and dma-buf namespace.
  absent SWIOTLB_ACTIVE
  cfg SWIOTLB && present SWIOTLB_MEM
  present PHYS_TO_DMA
  present BDEV_FILE_OPEN_BY_DEV
  absent BLKDEV_GET_BY_DEV
  present SG_DMA_IS_BUS_ADDRESS
  cfg IOMMU_API && present IOMMU_PAGING_DOMAIN_ALLOC
  cfg PCI_P2PDMA && present PCI_P2PDMA
  case "$rel" in
    6.12*)
      cfg PCI_P2PDMA && present PCI_HAS_P2PMEM
      absent DMA_IOVA
      present IMPORT_NS_TOKEN
      ;;
    7.*)
      absent PCI_HAS_P2PMEM      # static in drivers/pci/p2pdma.c
      cfg IOMMU_DMA && present DMA_IOVA
      absent IMPORT_NS_TOKEN
      absent DMA_BUF_CACHE_SGT
      absent IOMMU_DOMAIN_ALLOC_BUS
      ;;
  esac
  echo "ok: $rel: probes pick the APIs of this kernel"
  # Every symbol the module needs is exported (modpost would have said so).
  if grep -E 'ERROR: modpost|undefined!' "$b/build.log"; then fail "$rel: unresolved symbols"; fi
done
echo "PASS: newer_kernels"
