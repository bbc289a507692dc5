#!/usr/bin/env bash
# Bandwidth and latency of every transfer engine the lab can run, by
# p2pscope-bench in the lab with the IOMMU off (so that switch-local P2P data
# arrives; QEMU's IOMMU drops it, tests/xfer/lab_nvme.sh):
#  - cpu on the CMB BAR of $P2PSCOPE_LAB_NVME_CMB (the 64 MiB BAR, 32 MiB in,
#    clear of the nvme driver's queues): uc and wc, read and write, widths
#    4, 8, 16 and memcpy, 64 KiB, every transfer verified;
#  - nvme (p2pscope.ko's bios) on the NVMe beside it under the switch, into RAM
#    and into the CMB's p2pmem (device to device), read and write, queue
#    depths 1 and 4, 128 KiB bios, verified (--destructive: the lab's disks
#    are scratch);
#  - dmaengine, p2pmem-odirect and gpu, which the lab cannot run, as the
#    context lines that say why.
# Prints one table row per benchmark (engine, config, MB/s, p50, p99,
# verified/status) and the waived engines. The JSON reports stay in the
# output directory: results/cpu.json, results/kernel.json.
#   bench/lab-xfer-bench.sh [lab/run options...]     (after scripts/build.sh)
# P2PSCOPE_BENCH_BIN overrides build/bench/p2pscope-bench; P2PSCOPE_XFER_BENCH_OUT
# names the output directory (default: a new one under $TMPDIR, kept).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${P2PSCOPE_BENCH_BIN:-$top/build/bench/p2pscope-bench}
[ -x "$bin" ] || { echo "lab-xfer-bench: build first (scripts/build.sh)" >&2; exit 2; }
command -v jq >/dev/null || { echo "lab-xfer-bench: needs jq" >&2; exit 2; }
out=${P2PSCOPE_XFER_BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-xfer-bench.XXXXXX")}
mkdir -p "$out"
ko=$("$top/lab/build-module.sh" release | head -n 1)
cat >"$out/xfer-bench-guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
cmb=$P2PSCOPE_LAB_NVME_CMB
# the NVMe has its own driver: transfers borrow it
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
# The CMB is the BAR of exactly 64 MiB.
i=0; bar=
while read -r s e f; do
  if [ $((e - s + 1)) = 67108864 ] && [ "$s" != 0x0000000000000000 ]; then bar=$i; fi
  i=$((i + 1))
done <"/sys/bus/pci/devices/$cmb/resource"
[ -n "$bar" ] || { echo "no 64 MiB BAR on $cmb" >&2; exit 1; }
peer=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
gbench="--benchmark_min_time=0.05 --benchmark_out_format=json"
p2pscope-bench --no-map --no-papi-uncore --engines cpu --device "$cmb" --bar "$bar" --memory uc,wc --directions read,write \
  --widths 4,8,16,memcpy --sizes 64K --offset 32M --transfers 10 --destructive \
  $gbench --benchmark_out="$R/cpu.json" >"$R/cpu.out" 2>"$R/cpu.err"
echo $? >"$R/cpu.rc"
p2pscope-bench --no-map --no-papi-uncore --engines nvme,dmaengine,p2pmem-odirect,gpu --device "$cmb" --block "$peer" --peer "$cmb" \
  --memory ram,p2pmem,ram-to-ram,pinned --directions read,write,h2d --queue-depths 1,4 --sizes 128K --offset 16M \
  --transfers 32 --destructive $gbench --benchmark_out="$R/kernel.json" >"$R/kernel.out" 2>"$R/kernel.err"
echo $? >"$R/kernel.rc"
exit 0
GUEST
rc=0
"$top/lab/run" -q --iommu off --out "$out/lab" --timeout 600 "$@" --add "$ko" --add "$bin" \
  --add "$out/xfer-bench-guest.sh" -- sh xfer-bench-guest.sh >"$out/stdout" 2>"$out/stderr" || rc=$?
r=$out/lab/results
echo "lab-xfer-bench: lab exit $rc; cpu run exit $(cat "$r/cpu.rc" 2>/dev/null || echo -), kernel engines' run exit $(cat "$r/kernel.rc" 2>/dev/null || echo -); output in $out"
for f in cpu kernel; do  # Google Benchmark's own lines go to stderr too: shown only when the run failed
  [ "$(cat "$r/$f.rc" 2>/dev/null)" = 0 ] || sed "s/^/  $f stderr | /" "$r/$f.err" 2>/dev/null
done
printf '%-14s %-44s %10s %10s %10s  %s\n' engine config MB/s "p50 us" "p99 us" verified/status
for f in cpu kernel; do
  [ -s "$r/$f.json" ] || continue
  jq -r '.benchmarks[] | select(.run_type == "iteration") |
    (.run_name | sub("/manual_time$"; "") | split("/")) as $n |
    [$n[1], ($n[2:] | join("/")),
     (if .error_occurred then "-" else (.bytes_per_second / 1e6 | . * 10 | round / 10 | tostring) end),
     (if .error_occurred then "-" else (.p50_ns / 1e3 | . * 10 | round / 10 | tostring) end),
     (if .error_occurred then "-" else (.p99_ns / 1e3 | . * 10 | round / 10 | tostring) end),
     (if .error_occurred then "error: " + .error_message
      elif .verified == 1 then "verified" elif .verified == 0 then "NOT verified" else "unverified" end)] |
    @tsv' "$r/$f.json" | while IFS=$'\t' read -r e c b p50 p99 v; do
      printf '%-14s %-44s %10s %10s %10s  %s\n' "$e" "$c" "$b" "$p50" "$p99" "$v"
    done
  jq -r '.context | to_entries[] | select((.key | startswith("xfer")) and (.value | startswith("waived: "))) |
    "\(.key | sub("^xfer "; "") | .[0:14])|\(.value)"' "$r/$f.json" | while IFS='|' read -r e why; do
      printf '%-14s %-44s %10s %10s %10s  %s\n' "$e" - - - - "$why"
    done
done
jq -r '"context: kernel \(.context.kernel_release), IOMMU \(.context.iommu_mode), \(.context.cpu_model), \(.context.papi)"' \
  "$r/kernel.json" 2>/dev/null || true
exit $rc
