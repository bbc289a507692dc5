#!/usr/bin/env bash
# bench/lab-xfer-bench.sh in the lab, its p2pscope-bench JSON checked with jq:
# every engine the lab can run has its benchmarks with bytes_per_second > 0
# and verified data (cpu on the CMB BAR: uc/wc x read/write x 4 widths; nvme
# into RAM and into the CMB's p2pmem: read/write x queue depth 1 and 4), the
# names carry engine, memory, direction, width or queue depth and size, and
# the engines the lab cannot run (dmaengine, p2pmem-odirect, gpu) appear as
# context lines with their reasons.
#   tests/bench/lab_xfer_bench.sh [lab/run options...]
source "$(dirname "$0")/../lab/lib.sh"
export P2PSCOPE_BENCH_BIN=${P2PSCOPE_BENCH_BIN:-$tl_repo/build/bench/p2pscope-bench}
check "p2pscope-bench is built ($P2PSCOPE_BENCH_BIN)" test -x "$P2PSCOPE_BENCH_BIN"
[ -x "$P2PSCOPE_BENCH_BIN" ] || tl_finish
P2PSCOPE_XFER_BENCH_OUT=$tl_dir/out "$tl_repo/bench/lab-xfer-bench.sh" "$@" >"$tl_dir/table.txt" 2>&1
expect_eq "bench/lab-xfer-bench.sh: exit status" "$?" 0
sed 's/^/  /' "$tl_dir/table.txt"
r=$tl_dir/out/lab/results
expect_eq "cpu run: exit status" "$(cat "$r/cpu.rc" 2>/dev/null)" 0
expect_eq "kernel engines' run: exit status" "$(cat "$r/kernel.rc" 2>/dev/null)" 0
it='[.benchmarks[] | select(.run_type == "iteration")]'
cpu="$it | map(select(.run_name | startswith(\"xfer/cpu/\")))"
jcheck "cpu: 16 benchmarks (uc, wc x read, write x 4, 8, 16, memcpy) at 64 KiB" "$r/cpu.json" \
  "[$cpu[] | .run_name | capture(\"^xfer/cpu/[0-9a-f:.]+/(?<m>uc|wc)/(?<d>read|write)/(?<w>4|8|16|memcpy)/65536/manual_time$\") | \"\\(.m)\\(.d)\\(.w)\"] | unique | length == 16"
jcheck "cpu: every benchmark moved data (bytes_per_second > 0, p50 > 0) and verified" "$r/cpu.json" \
  "$cpu | length == 16 and all((.error_occurred | not) and .bytes_per_second > 0 and .p50_ns > 0 and .verified == 1)"
nvme="$it | map(select(.run_name | startswith(\"xfer/nvme/\")))"
jcheck "nvme: 8 benchmarks (ram, p2pmem x read, write x qd1, qd4) of 128 KiB bios" "$r/kernel.json" \
  "[$nvme[] | .run_name | capture(\"^xfer/nvme/nvme[0-9]+n1/(?<m>ram|p2pmem)/(?<d>read|write)/(?<q>qd1|qd4)/131072/manual_time$\") | \"\\(.m)\\(.d)\\(.q)\"] | unique | length == 8"
jcheck "nvme: every benchmark moved data (bytes_per_second > 0) and verified" "$r/kernel.json" \
  "$nvme | length == 8 and all((.error_occurred | not) and .bytes_per_second > 0 and .p50_ns > 0 and .p99_ns >= .p50_ns and .verified == 1 and .transfers == 32)"
jcheck "nvme into p2pmem: the path is the switch (label)" "$r/kernel.json" \
  "$nvme | map(select(.run_name | contains(\"/p2pmem/\"))) | length == 4 and all(.label | length > 0)"
jcheck "dmaengine waived: no DMA_MEMCPY channel" "$r/kernel.json" \
  '.context["xfer dmaengine"] | startswith("waived: no dmaengine channels on this machine")'
jcheck "p2pmem-odirect waived: user-space p2pmem needs 6.2" "$r/kernel.json" \
  '.context["xfer p2pmem-odirect"] | startswith("waived: user-space p2pmem")'
jcheck "gpu waived: no CUDA" "$r/kernel.json" '.context["xfer gpu"] | startswith("waived: no CUDA")'
jcheck "context: the IOMMU is off" "$r/kernel.json" '.context.iommu_mode | startswith("off:")'
check "the table lists the waived engines" grep -q "^dmaengine .*waived: no dmaengine channels" "$tl_dir/table.txt"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/out/lab/lab.json" .kernel_log_alerts)" 0
lab_timings "$tl_dir/out/lab"
tl_finish
