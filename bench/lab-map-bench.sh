#!/usr/bin/env bash
# Runs p2pscope-bench's map benchmarks in the lab against pci-testdev bound to
# p2pscope: the module's fastest paths (one page of RAM through dma_map_single
# and dma_map_page), 200000 map+unmap samples per measurement, and prints the
# figures against their targets on ordinary x86 hardware.
#   bench/lab-map-bench.sh [lab/run options...]     (after scripts/build.sh)
# P2PSCOPE_BENCH_BIN overrides build/bench/p2pscope-bench.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${P2PSCOPE_BENCH_BIN:-$top/build/bench/p2pscope-bench}
[ -x "$bin" ] || { echo "lab-map-bench: build first (scripts/build.sh)" >&2; exit 2; }
ko=$("$top/lab/build-module.sh" release | head -n 1)
"$top/lab/run" -q --timeout 300 "$@" --add "$ko" --add "$bin" -- sh -c \
  'insmod /lab/add/p2pscope.ko && lab-bind "$P2PSCOPE_LAB_TESTDEV" p2pscope >/dev/null &&
   p2pscope-bench --device "$P2PSCOPE_LAB_TESTDEV" --apis map_single,map_page --memory ram --sizes 4K \
     --map-samples 200000 --no-papi-uncore --benchmark_filter=^map/ --benchmark_repetitions=3 \
     --benchmark_counters_tabular=true'
echo "targets (ordinary x86 hardware): samples_per_s >= 1e6 per core, timer_overhead_ns <= 15"
