#!/usr/bin/env bash
# A peer's BAR as a P2P dma-buf (Linux 6.19+): vfio-pci exports the CMB BAR of
# the lab's NVMe (VFIO_DEVICE_FEATURE_DMA_BUF), p2pscope.ko imports it as a
# P2P importer for another device and maps it, and the verdict says which path
# the exporter chose, read from the address the importer got:
#   - no IOMMU (vfio's no-IOMMU mode), importer under the same switch: a PCI bus
#     address inside the CMB's BAR (BUS_ADDR);
#   - no IOMMU, importer on its own root port of an Intel host bridge the
#     kernel does not whitelist: refused (NOT_SUPPORTED), as the kernel's
#     pci_p2pdma_distance says;
#   - strict IOMMU, AMD CPU (the kernel allows the host bridge), importer on its
#     own root port: an IOVA that the importer's IOMMU translates back into the
#     CMB's BAR (THRU_HOST_BRIDGE), one segment.
#   tests/lab/vfio_dmabuf.sh [--kernel-version V]   (7.2 by default)
source "$(dirname "$0")/lib.sh"
version=7.2
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"

# guest.sh NAME IMPORTER...: exports the CMB BAR (2) by vfio-pci and maps it
# for each importer (a variable name of lab/run's environment)
cat >"$tl_dir/guest.sh" <<'GUEST'
set -e
insmod /lab/add/p2pscope.ko
# VFIO's rule: every device of the exporter's IOMMU group (the switch's, behind
# an IOMMU) bound to vfio-pci or to none
lab-bind "$P2PSCOPE_LAB_NVME_PEER" - >/dev/null
lab-bind "$P2PSCOPE_LAB_NVME_CMB" vfio-pci >/dev/null
for who in "$@"; do
  eval dev=\$$who
  lab-bind "$dev" p2pscope >/dev/null
  p2pscope map --device "$dev" --api dmabuf --memory dmabuf --dmabuf vfio --peer "$P2PSCOPE_LAB_NVME_CMB" \
    --bar 2 --bar-offset 1M --size 1M --iterations 500 --format json >"$P2PSCOPE_RESULTS/$who.json" || true
done
GUEST

# run NAME LAB-ARGS... -- IMPORTERS...
run() {
  local name=$1; shift
  local args=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
  "$LAB" -q --kernel-version "$version" --out "$tl_dir/$name" --timeout 300 "${args[@]}" \
    --add "$ko" --add "$bin" --add "$tl_dir/guest.sh" -- sh guest.sh "$@" >"$tl_dir/$name.stdout" 2>"$tl_dir/$name.stderr"
  expect_eq "lab run '$name' completed" "$?" 0
  for who in "$@"; do
    jq -r --arg w "$who" '.results[] | "  \($w): \(.status) \(.p2p_map_type) segments=\(.segments) p50 map \(.map.p50_ns // "-") ns: \(.reason)"' \
      "$tl_dir/$name/results/$who.json" 2>/dev/null
  done
  expect_eq "no bug/fault lines in the kernel log ($name)" "$(jget "$tl_dir/$name/lab.json" .kernel_log_alerts)" 0
}

run noiommu --iommu off --append vfio.enable_unsafe_noiommu_mode=1 -- \
  P2PSCOPE_LAB_NVME_PEER P2PSCOPE_LAB_NVME_SOLO
r=$tl_dir/noiommu/results
jcheck "no IOMMU, same switch: mapped as a PCI bus address (BUS_ADDR)" "$r/P2PSCOPE_LAB_NVME_PEER.json" \
  '.results[0] | .status == "ok" and .p2p_map_type == "BUS_ADDR" and .map.count == 500'
jcheck "no IOMMU, own root port, Intel host bridge: refused as the kernel decides (NOT_SUPPORTED)" \
  "$r/P2PSCOPE_LAB_NVME_SOLO.json" \
  '.results[0] | .status == "waived" and .reason_code == "p2p_not_supported" and .p2p_map_type == "NOT_SUPPORTED"'

run iommu_amd --iommu strict --cpu amd -- P2PSCOPE_LAB_NVME_SOLO
r=$tl_dir/iommu_amd/results
jcheck "strict IOMMU, AMD host bridge, own root port: an IOVA into the BAR (THRU_HOST_BRIDGE), one segment" \
  "$r/P2PSCOPE_LAB_NVME_SOLO.json" \
  '.results[0] | .status == "ok" and .p2p_map_type == "THRU_HOST_BRIDGE" and .segments == 1 and .map.count == 500'
tl_finish
