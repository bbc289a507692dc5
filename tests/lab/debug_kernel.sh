#!/usr/bin/env bash
# The debug kernel (KASAN, lockdep, DMA-API debugging, kmemleak) boots in the lab,
# passes the guest smoke checks (tests/lab/guest/smoke.sh: topology, p2pmem,
# IOMMU groups, dma_map_benchmark on pci-testdev), and reports nothing: no
# KASAN, lockdep or DMA-API findings, no kmemleak suspects.
source "$(dirname "$0")/lib.sh"
"$LAB" -q --kernel debug --out "$tl_dir/run" --timeout 600 "$@" \
  --add "$tl_repo/tests/lab/guest/smoke.sh" -- sh smoke.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
grep -E '^(ok|FAIL)|latency' "$tl_dir/stdout" | sed 's/^/  guest | /'
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "guest smoke checks passed on the debug kernel" "$rc" 0
j=$tl_dir/run/lab.json
check "the guest ran the debug kernel (KASAN in its log)" grep -q 'KernelAddressSanitizer initialized' "$tl_dir/run/dmesg.txt"
check "kmemleak is on" grep -q 'kmemleak: Kernel memory leak detector initialized' "$tl_dir/run/dmesg.txt"
expect_eq "kmemleak suspects" "$(jget "$j" .guest.kmemleak_suspects)" 0
expect_eq "bug/fault lines in the kernel log (KASAN, lockdep, DMA-API...)" "$(jget "$j" .kernel_log_alerts)" 0
lab_timings "$tl_dir/run"
tl_finish
