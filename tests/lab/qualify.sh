#!/usr/bin/env bash
# The main job in the lab: lab/qualify.sh (what scripts/main.sh runs on a host
# that cannot load modules) qualifies the virtual server and brings back a
# report that says what a real engineer needs to know, with real measurements:
#  - the two NVMe under the switch: P2PDMA BUS_ADDR, links fine, the map of the
#    CMB's p2pmem measured, and the P2P transfer FAILS: QEMU's IOMMU drops the
#    switch-local DMA (a DMA fault from the guest's log, data not arrived);
#  - the solo NVMe with either of them: NOT_SUPPORTED across the Intel host
#    bridge, and the kernel refuses the real mapping and transfer alike;
#  - exit status 1, JSON on stdout only.
#   tests/lab/qualify.sh [lab/run options...]
source "$(dirname "$0")/lib.sh"
"$tl_repo/lab/qualify.sh" "$@" -- --format json >"$tl_dir/report.json" 2>"$tl_dir/stderr"
rc=$?
sed 's/^/  stderr | /' "$tl_dir/stderr" | grep -v build-module.sh
expect_eq "qualify exits 1: checks failed" "$rc" 1
r=$tl_dir/report.json
jcheck "the report is qualify's JSON: 3 NVMe pairs, result fail" "$r" \
  '.schema == "p2pscope.qualify/1" and .result == "fail" and (.pairs | length) == 3 and ([.pairs[].classes] | unique) == ["nvme-nvme"]'
pair() { echo ".pairs[] | select(.a == \"$1\" and .b == \"$2\")"; }
chk() { echo "[.checks[] | select(.check == \"$1\")][0]"; }
sw=$(pair 0000:03:00.0 0000:04:00.0)
jcheck "switch pair: PIX, BUS_ADDR, p2pdma and links pass" "$r" \
  "$sw | .path == \"PIX\" and .p2pdma_verdict == \"BUS_ADDR\" and ($(chk p2pdma).result == \"pass\") and ($(chk links).result == \"pass\")"
jcheck "switch pair: map p99 of the CMB's p2pmem measured (ns, against the bound)" "$r" \
  "$sw | $(chk map) | .measured > 0 and .unit == \"ns\" and (.reason | test(\"map_sgtable by 0000:04:00.0 of 0000:03:00.0.s p2pmem\"))"
jcheck "switch pair: the P2P transfer fails with the DMA fault from the kernel log" "$r" \
  "$sw | $(chk transfer) | .result == \"fail\" and (.reason | test(\"engine nvme read .* fault: DMA fault at 0x[0-9a-f]+ \\\\(DMAR: \"))"
jcheck "switch pair: AER counters read live before and after its measurements, none grew" "$r" \
  "$sw | $(chk aer) | .result == \"pass\" and (.reason | test(\"no new AER error on [0-9]+ functions of the path during the measurements\"))"
jcheck "switch pair: QEMU's NVMe reads 128 bytes per request: mps_mrrs fails with a setpci fix" "$r" \
  "$sw | $(chk mps_mrrs) | .result == \"fail\" and (.reason | test(\"0000:03:00.0 128\")) and (.remedy | test(\"setpci -s 0000:03:00.0 CAP_EXP[+]08.w=2000:7000\"))"
jcheck "switch pair: the guest's IOMMU domains are DMA (translated), allowed by default" "$r" \
  "$sw | $(chk iommu) | .result == \"pass\" and (.reason | test(\"0000:03:00.0 DMA\"))"
for b in 0000:03:00.0 0000:04:00.0; do
  solo=$(pair "$b" 0000:05:00.0)
  jcheck "$b with the solo NVMe: NOT_SUPPORTED across the host bridge, p2pdma fails with the whitelist reason" "$r" \
    "$solo | .path == \"PHB\" and .result == \"fail\" and ($(chk p2pdma) | .result == \"fail\" and (.reason | test(\"not on the kernel.s P2PDMA host bridge whitelist\")))"
done
jcheck "CMB with the solo NVMe: the kernel refuses the real map and transfer (-EREMOTEIO)" "$r" \
  "$(pair 0000:03:00.0 0000:05:00.0) | ($(chk map) | .result == \"fail\" and (.reason | test(\"EREMOTEIO\"))) and ($(chk transfer) | .result == \"fail\" and (.reason | test(\"EREMOTEIO\")))"
jq -r '.pairs[] | "  \(.result | ascii_upcase) \(.a) \(.b) \(.path) \(.p2pdma_verdict): " + ([.checks[] | "\(.check) \(.result)"] | join(", "))' "$r" 2>/dev/null
tl_finish
