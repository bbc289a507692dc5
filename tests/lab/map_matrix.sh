#!/usr/bin/env bash
# p2pscope map's whole API x memory matrix in the lab, through the C++ CLI:
# on pci-testdev (exclusive) every combination either runs with a sane
# histogram or is waived with its reason, and the combinations the lab can
# provide do run (the CMB NVMe's BAR0, 16 KiB, is the raw BAR); on its switch peer (borrowed) the p2pmem
# scatterlist maps as BUS_ADDR; the dma_iova_* path runs on 7.2 and is waived
# before it (6.16), encrypted memory is waived where the platform has none.
#   tests/lab/map_matrix.sh [--kernel-version V] [release|debug] [lab/run options...]
# On the debug kernel (KASAN, lockdep, DMA-API debugging, kmemleak) the log must
# stay clean and kmemleak must find nothing.
source "$(dirname "$0")/lib.sh"
version=6.1 variant=release
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
case "${1:-}" in release|debug) variant=$1; shift;; esac
tl_build "$version" "$variant"
cat >"$tl_dir/matrix-guest.sh" <<'GUEST'
set -e
t=$P2PSCOPE_LAB_TESTDEV
insmod /lab/add/p2pscope.ko allow_borrowed=1
lab-bind "$t" p2pscope >/dev/null
p2pscope map --device "$t" --api all --memory all --peer "$P2PSCOPE_LAB_NVME_CMB" --bar 0 \
  --size 16K --segments 4 --iterations 2000 --format json >"$P2PSCOPE_RESULTS/testdev.json"
p2pscope map --device "$t" --api iova_link --iova per_request --memory ram,bar --peer "$P2PSCOPE_LAB_NVME_CMB" \
  --bar 0 --size 16K --segments 4 --iterations 2000 --format json >"$P2PSCOPE_RESULTS/per-request.json"
p2pscope map --device "$P2PSCOPE_LAB_NVME_PEER" --api map_sgtable --memory p2pmem --peer "$P2PSCOPE_LAB_NVME_CMB" \
  --size 64K --segments 16 --iterations 2000 --format json >"$P2PSCOPE_RESULTS/peer.json"
lab-bind "$t" - >/dev/null
rmmod p2pscope
GUEST
"$LAB" -q --kernel-version "$version" --kernel "$variant" --out "$tl_dir/run" --timeout 1200 "$@" --add "$ko" --add "$bin" --add "$tl_dir/matrix-guest.sh" \
  -- sh matrix-guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "the matrix ran in the lab" "$rc" 0
r=$tl_dir/run/results
# lab/run --iommu lazy gives the devices a flush-queue domain
want_domain=DMA
[[ " $* " == *" --iommu lazy "* ]] && want_domain=DMA-FQ
jq -r '.results[] | "  \(.api) x \(.memory): \(.status) \(if .status == "ok" then "map p50 \(.map.p50_ns) ns p99 \(.map.p99_ns) ns" else .reason end)"' \
  "$r/testdev.json" 2>/dev/null
expect_eq "combinations reported (10 APIs x 7 memory types)" "$(jq '.results | length' "$r/testdev.json")" 70
# A sample may take long on a busy host, and far longer under the debug
# kernel's checks (seen: 2.6 s), but never beyond the module's 60 s run limit.
max_ns=1e9
[ "$variant" = debug ] && max_ns=6e10
sane='def sane(h): h.count > 0 and h.min_ns > 0 and h.min_ns <= h.p50_ns and h.p50_ns <= h.p90_ns
        and h.p90_ns <= h.p99_ns and h.p99_ns <= h.p999_ns and h.p999_ns <= h.max_ns
        and h.mean_ns >= h.min_ns and h.mean_ns <= h.max_ns and h.max_ns < '"$max_ns"';'
jcheck "every result ran with a sane map and unmap histogram, or was waived with a reason" "$r/testdev.json" \
  "$sane"' all(.results[]; (.status == "ok" and sane(.map) and sane(.unmap) and .mode == "exclusive")
                           or (.status == "waived" and (.reason | length) > 0 and .reason_code != "none"))'
for combo in map_page:ram map_page:ram_huge map_single:ram map_single:ram_huge map_sgtable:ram map_sgtable:ram_huge \
             map_resource:bar alloc_coherent:ram alloc_noncontig:ram dmabuf:dmabuf iommu_domain:ram \
             iommu_domain:ram_huge iommu_domain:p2pmem iommu_domain:bar; do
  jcheck "${combo/:/ x } runs" "$r/testdev.json" \
    ".results[] | select(.api == \"${combo%%:*}\" and .memory == \"${combo##*:}\") | .status == \"ok\""
done
jcheck "every result names the kernel it ran on ($version)" "$r/testdev.json" \
  "all(.results[]; .kernel_release | startswith(\"$version.\"))"
if [ "$version" = 7.2 ]; then
  for combo in iova_link:ram iova_link:ram_huge iova_link:bar map_phys:ram map_phys:ram_huge map_phys:bar; do
    jcheck "${combo/:/ x } runs (dma_iova_* 6.16+, dma_map_phys and DMA_ATTR_MMIO 6.18+)" "$r/testdev.json" \
      ".results[] | select(.api == \"${combo%%:*}\" and .memory == \"${combo##*:}\") | .status == \"ok\""
  done
  jcheck "iova_link per request runs for RAM and BAR (try_alloc + link + sync, destroy)" "$r/per-request.json" \
    "$sane"' [.results[] | select(.status == "ok" and .iova == "per_request" and sane(.map))] | length == 2'
  # dma_iova_unlink flushes at once; dma_iova_destroy and the DMA API's unmaps leave it to a flush queue
  domain=$(jq -r '.results[0].iommu_domain_type' "$r/per-request.json")
  lazy=strict; [ "$domain" = DMA-FQ ] && lazy=deferred
  jcheck "reused IOVA space: unlink flushes strictly ($domain domain)" "$r/testdev.json" \
    'all(.results[] | select(.api == "iova_link" and .status == "ok"); .iova == "reused" and .iotlb_flush == "strict")'
  jcheck "per request: destroy's flush is $lazy ($domain domain)" "$r/per-request.json" \
    "all(.results[]; .iotlb_flush == \"$lazy\")"
  jcheck "map_phys and map_single unmaps flush $lazy ($domain domain)" "$r/testdev.json" \
    "all(.results[] | select((.api == \"map_phys\" or .api == \"map_single\") and .status == \"ok\"); .iotlb_flush == \"$lazy\")"
else
  jcheck "iova_link is waived before 6.16: no dma_iova_* API" "$r/testdev.json" \
    'all(.results[] | select(.api == "iova_link"); .reason_code == "no_kernel_support" or .reason_code == "combination")'
  jcheck "map_phys is waived before 6.18: no dma_map_phys" "$r/testdev.json" \
    'all(.results[] | select(.api == "map_phys"); .reason_code == "no_kernel_support" or .reason_code == "combination")'
fi
jcheck "behind the IOMMU nothing bounces, and every page- or address-mapped result says so" "$r/testdev.json" \
  'all(.results[] | select(.status == "ok"); .bounced == false)'
jcheck "iommu_map (unmanaged domain) flushes strictly" "$r/testdev.json" \
  'all(.results[] | select(.api == "iommu_domain" and .status == "ok"); .iotlb_flush == "strict")'
jcheck "encrypted memory is waived: the platform has none" "$r/testdev.json" \
  'all(.results[] | select(.memory == "encrypted"); .reason_code == "no_mem_encrypt" or .reason_code == "combination" or .reason_code == "no_kernel_support")'
jcheck "p2pmem from pci-testdev's own root port is refused by the kernel (Intel CPU, not whitelisted)" "$r/testdev.json" \
  '.results[] | select(.api == "map_sgtable" and .memory == "p2pmem") | .reason_code == "p2p_not_supported"'
jcheck "IOVA-mapped results say the device's IOMMU domain is $want_domain" "$r/testdev.json" \
  "all(.results[] | select(.status == \"ok\"); .iommu_domain_type == \"$want_domain\")"
jcheck "the switch peer maps the CMB's p2pmem by bus address (borrowed)" "$r/peer.json" \
  "$sane"' .results[0] | .status == "ok" and .p2p_map_type == "BUS_ADDR" and .mode == "borrowed" and sane(.map)'
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
if [ "$variant" = debug ]; then
  expect_eq "kmemleak suspects" "$(jget "$tl_dir/run/lab.json" .guest.kmemleak_suspects)" 0
fi
lab_timings "$tl_dir/run"
tl_finish
