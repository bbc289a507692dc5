#!/usr/bin/env bash
# Bounce buffers are detected on every kernel without swiotlb internals (6.12
# unexported is_swiotlb_buffer): with swiotlb=force and no IOMMU every streaming
# mapping bounces, and p2pscope must say so for each API that maps by page or
# address (the DMA address does not translate back to the buffer). The control,
# nothing bounces behind an IOMMU, is in map_matrix.sh.
#   tests/lab/bounce.sh [--kernel-version V]
source "$(dirname "$0")/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
apis=map_single,map_page,map_sgtable
[ "$version" = 7.2 ] && apis=$apis,map_phys
cat >"$tl_dir/bounce-guest.sh" <<GUEST
set -e
insmod /lab/add/p2pscope.ko
lab-bind "\$P2PSCOPE_LAB_TESTDEV" p2pscope >/dev/null
p2pscope map --device "\$P2PSCOPE_LAB_TESTDEV" --api $apis --memory bounce,ram --size 4K --iterations 2000 \
  --format json >"\$P2PSCOPE_RESULTS/bounce.json"
GUEST
"$LAB" -q --kernel-version "$version" --iommu off --swiotlb-force --out "$tl_dir/run" --timeout 300 "$@" \
  --add "$ko" --add "$bin" --add "$tl_dir/bounce-guest.sh" -- sh bounce-guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the maps ran in the lab (Linux $version, swiotlb=force, no IOMMU)" "$?" 0
r=$tl_dir/run/results/bounce.json
jq -r '.results[] | "  \(.api) x \(.memory): \(.status) bounced=\(.bounced) p50 \(.map.p50_ns) ns"' "$r" 2>/dev/null
n=$(( $(tr -cd , <<<"$apis" | wc -c) + 1 ))
jcheck "all $n APIs x bounce and ram ran and were seen bouncing" "$r" \
  "[.results[] | select(.status == \"ok\" and .bounced == true)] | length == $((2 * n))"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
