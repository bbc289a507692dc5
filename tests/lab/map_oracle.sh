#!/usr/bin/env bash
# Oracle for p2pscope map: in one lab boot, the 4 KiB dma_map_single mean of
# p2pscope and of the kernel's own dma_map_benchmark (its selftest tool, on the
# same pci-testdev) agree within 15 %. p2pscope times with the same clock as
# the kernel's tool (ktime_get_ns) and dirties the buffer before each map as it does. Both run 1 thread for the same time,
# five times each, interleaved, so drift in the emulator hits both alike; the
# median of the per-round ratios is compared.
#   tests/lab/map_oracle.sh [lab/run options...]
source "$(dirname "$0")/lib.sh"
bin=${P2PSCOPE_BIN:-$tl_repo/build/cli/p2pscope}
check "p2pscope is built ($bin)" test -x "$bin"
ko=$("$tl_repo/lab/build-module.sh" release 2>"$tl_dir/build.stderr" | head -n 1)
check "the module is built against the lab kernel" test -f "$ko"
[ -x "$bin" ] && [ -f "$ko" ] || tl_finish
cat >"$tl_dir/oracle-guest.sh" <<'GUEST'
set -e
dev=$P2PSCOPE_LAB_TESTDEV
insmod /lab/add/p2pscope.ko
for round in 1 2 3 4 5; do
  lab-bind "$dev" dma_map_benchmark >/dev/null
  dma_map_benchmark -t 1 -s 3 -g 1 -d 0 >"$P2PSCOPE_RESULTS/kernel-$round.txt"
  lab-bind "$dev" p2pscope >/dev/null
  p2pscope map --device "$dev" --api map_single --memory ram --size 4K --seconds 3 --clock monotonic --dirty --format json \
    >"$P2PSCOPE_RESULTS/p2pscope-$round.json"
done
lab-bind "$dev" - >/dev/null
GUEST
"$LAB" -q --out "$tl_dir/run" --timeout 300 "$@" --add "$ko" --add "$bin" --add "$tl_dir/oracle-guest.sh" \
  -- sh oracle-guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "both benchmarks ran in the lab" "$rc" 0
r=$tl_dir/run/results
# dma_map_benchmark prints "average map latency(us):2.1 standard deviation:1.8"
kernel_us=$(cat "$r"/kernel-*.txt 2>/dev/null | sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p' |
  awk '{s+=$1; n++} END {if (n) printf "%.3f", s/n}')
ours_us=$(jq -s '[.[].results[0].map.mean_ns] | add / length / 1000' "$r"/p2pscope-*.json 2>/dev/null)
echo "  4 KiB dma_map_single mean: dma_map_benchmark ${kernel_us:-?} us, p2pscope ${ours_us:-?} us"
grep -h 'average' "$r"/kernel-*.txt 2>/dev/null | sed 's/^/  kernel | /'
jq -r '.results[0] | "  p2pscope | map p50 \(.map.p50_ns) ns p99 \(.map.p99_ns) ns mean \(.map.mean_ns) ns, timer overhead \(.timer_overhead_ns) ns, IOMMU \(.iommu_domain_type), \(.mode)"' "$r"/p2pscope-*.json 2>/dev/null
# Each round's two runs are back to back, so the guest's speed (TCG switches
# between speeds for seconds at a time) is most alike within a round: compare
# round by round and take the median of the five ratios.
ratios=$(for i in 1 2 3 4 5; do
  k=$(sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p' "$r/kernel-$i.txt" 2>/dev/null)
  o=$(jq '.results[0].map.mean_ns / 1000' "$r/p2pscope-$i.json" 2>/dev/null)
  [ -n "$k" ] && [ -n "$o" ] && awk -v a="$o" -v b="$k" 'BEGIN { if (b > 0) printf "%.4f\n", a / b }'
done | sort -g)
echo "  per-round ratios p2pscope / kernel: $(echo $ratios)"
median=$(echo "$ratios" | awk 'NF {v[++n] = $1} END {if (n == 5) print v[3]}')
if [ -n "$median" ]; then
  check "the median round agrees within 15 % (ratio $median)" \
    awk -v m="$median" 'BEGIN { exit !(m >= 0.85 && m <= 1.15) }'
else
  notok "all five rounds' means were read"
fi
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
