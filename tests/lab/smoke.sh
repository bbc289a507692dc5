#!/usr/bin/env bash
# Lab smoke test: boots the release kernel with a strict IOMMU and checks, in the
# guest (tests/lab/guest/smoke.sh), the topology, p2pmem, IOMMU groups and the
# kernel's dma_map_benchmark; on the host, that results, dmesg and timings came back.
#   tests/lab/smoke.sh [lab/run options...]   e.g. --iommu lazy, --cpu amd
source "$(dirname "$0")/lib.sh"
"$LAB" -q --out "$tl_dir/run" --timeout 120 "$@" --add "$tl_repo/tests/lab/guest/smoke.sh" -- sh smoke.sh \
  >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
sed 's/^/  guest | /' "$tl_dir/stdout"
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "guest checks passed (lab/run exit status)" "$rc" 0
j=$tl_dir/run/results/smoke.json
jcheck "results/smoke.json came back and parses" "$j" 'type == "object"'
expect_eq "results: p2pmem size" "$(jget "$j" .p2pmem_size)" 67108864
jcheck "results: map mean is a number" "$j" '.dma_map_benchmark.map_mean_us | type == "number"'
check "dmesg.txt came back" grep -q 'Linux version' "$tl_dir/run/dmesg.txt"
check "console.log has the boot" grep -q 'Linux version' "$tl_dir/run/console.log"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
jcheck "lab.json has a boot time" "$tl_dir/run/lab.json" '.timings.guest_boot_to_init_s > 0'
lab_timings "$tl_dir/run"
tl_finish
