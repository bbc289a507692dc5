#!/usr/bin/env bash
# What a kernel upgrade does to P2P DMA costs: the same map and transfer
# matrix, measured by p2pscope-bench in the lab on each kernel (Debian 12's
# 6.1, Debian 13's 6.12, 7.2), printed side by side, then `p2pscope compare`
# of the oldest against each newer one (what the upgrade costs or saves).
#   bench/lab-kernels-bench.sh [--kernels "6.1 6.12 7.2"] [--out DIR] [lab/run options...]
# Map: every API on one page of RAM for pci-testdev (bound to p2pscope) and the
# switch NVMe (borrowed), and the CMB's p2pmem for the NVMe (waived where the
# kernel lacks the API); transfers: the nvme engine reading 4 KiB and 128 KiB
# (queue depth 4) from the switch NVMe into RAM (not into p2pmem: QEMU's IOMMU
# faults that DMA, and the emulated NVMe then times out). IOMMU strict, 5
# repetitions; TCG's figures are for comparing kernels, not with hardware.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernels="6.1 6.12 7.2" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --kernels) kernels=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
bench=${P2PSCOPE_BENCH_BIN:-$top/build/bench/p2pscope-bench}
cli=${P2PSCOPE_BIN:-$top/build/cli/p2pscope}
[ -x "$bench" ] && [ -x "$cli" ] || { echo "lab-kernels-bench: build first (scripts/build.sh)" >&2; exit 2; }
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-kernels.XXXXXX")}
mkdir -p "$out"
cat >"$out/guest.sh" <<'GUEST'
set -e
t=$P2PSCOPE_LAB_TESTDEV
insmod /lab/add/p2pscope.ko allow_borrowed=1
lab-bind "$t" p2pscope >/dev/null
peer_ns=$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
b() { p2pscope-bench --no-papi-uncore --queue-depths 4 --transfers 32 --map-samples 20000 "$@" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=false --benchmark_out_format=json >/dev/null; }
b --device "$t,$P2PSCOPE_LAB_NVME_PEER" --apis all --memory ram,p2pmem --sizes 4K --peer "$P2PSCOPE_LAB_NVME_CMB" \
  --benchmark_filter='^map/' --benchmark_out="$P2PSCOPE_RESULTS/map.json"
b --device "$P2PSCOPE_LAB_NVME_PEER" --no-map --engines nvme --memory ram --block "/dev/$peer_ns" --sizes 4K,128K \
  --benchmark_out="$P2PSCOPE_RESULTS/xfer.json"
GUEST
for v in $kernels; do
  ko=$("$top/lab/build-module.sh" --version "$v" release | head -n 1)
  echo "lab-kernels-bench: Linux $v ..." >&2
  "$top/lab/run" -q --kernel-version "$v" --out "$out/$v" --timeout 900 "$@" --add "$ko" --add "$bench" \
    --add "$out/guest.sh" -- sh guest.sh >"$out/$v.log" 2>&1 || { echo "lab-kernels-bench: the run on $v failed (see $out/$v.log)" >&2; exit 1; }
  jq -s '.[0] + {benchmarks: (.[0].benchmarks + .[1].benchmarks)}' "$out/$v/results/map.json" \
    "$out/$v/results/xfer.json" >"$out/$v.json"
done
python3 - "$out" $kernels <<'PY'
import json, statistics, sys
out, kernels = sys.argv[1], sys.argv[2:]
rows, release = {}, {}
for k in kernels:
    doc = json.load(open(f"{out}/{k}.json"))
    release[k] = doc["context"].get("kernel_release", k)
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration": continue
        name = b["run_name"].removesuffix("/manual_time")
        rows.setdefault(name, {}).setdefault(k, []).append(b)
def cell(bs):
    if not bs: return "-"
    if any(b.get("error_occurred") for b in bs):
        return "waived"
    if "unmap_p50_ns" in bs[0]:
        return f"{statistics.median(b['p50_ns'] for b in bs):.0f}/{statistics.median(b['unmap_p50_ns'] for b in bs):.0f} ns"
    if "bytes_per_second" in bs[0]:
        return f"{statistics.median(b['bytes_per_second'] for b in bs) / 1e6:.1f} MB/s"
    return f"{statistics.median(b['real_time'] for b in bs):.0f} {bs[0].get('time_unit', '')}"
w = max(len(n) for n in rows)
print("map: p50 map/unmap per sample; transfers: median bandwidth (5 repetitions, lab under TCG)")
print(f"{'benchmark':<{w}}  " + "  ".join(f"{'Linux ' + release[k]:>22}" for k in kernels))
for name in sorted(rows):
    print(f"{name:<{w}}  " + "  ".join(f"{cell(rows[name].get(k, [])):>22}" for k in kernels))
PY
base=${kernels%% *}
for v in ${kernels#* }; do
  [ "$v" = "$base" ] && continue
  echo
  echo "## Linux $base -> $v (p2pscope compare, real_time per measurement, lower is better)"
  "$cli" compare "$out/$base.json" "$out/$v.json" || true
done
echo
echo "reports: $out/<kernel>.json"
