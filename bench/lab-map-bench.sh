#!/usr/bin/env bash
# Runs p2pscope_map_bench in the lab against pci-testdev and prints its figures.
#   bench/lab-map-bench.sh [lab/run options...]     (after scripts/build.sh)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bench/p2pscope_map_bench
[ -x "$bin" ] || { echo "lab-map-bench: build first (scripts/build.sh)" >&2; exit 2; }
ko=$("$top/lab/build-module.sh" release | head -n 1)
exec "$top/lab/run" -q --timeout 300 "$@" --add "$ko" --add "$bin" -- sh -c \
  'insmod /lab/add/p2pscope.ko && lab-bind "$P2PSCOPE_LAB_TESTDEV" p2pscope >/dev/null &&
   p2pscope_map_bench --device "$P2PSCOPE_LAB_TESTDEV" --benchmark_counters_tabular=true'
