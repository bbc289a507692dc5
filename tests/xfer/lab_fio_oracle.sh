#!/usr/bin/env bash
# Oracle for the kernel NVMe engine: in one lab boot, its NVMe-to-RAM
# bandwidth and fio's (Debian's fio, libaio, O_DIRECT) with the same block
# size (1 MiB), queue depth (4), device (the solo NVMe) and range agree within
# 10 %: three runs of 3 s each, interleaved, medians compared.
#
# The namespaces are throttled to 200 MB/s (lab/run --nvme-bps) so that the
# device bounds bandwidth, as flash does on a real server. Unthrottled, the
# emulated CPU is the bottleneck and the two differ by design: fio pins user
# pages and makes system calls for every I/O, which costs hundreds of
# microseconds under TCG; the kernel engine does neither. A second boot
# without the throttle prints that ratio as a figure (not a pass/fail check).
#   tests/xfer/lab_fio_oracle.sh [lab/run options...]
source "$(dirname "$0")/../lab/lib.sh"
bin=${P2PSCOPE_BIN:-$tl_repo/build/cli/p2pscope}
fio=$(command -v fio)
check "p2pscope is built ($bin)" test -x "$bin"
check "fio is installed" test -n "$fio"
ko=$("$tl_repo/lab/build-module.sh" release 2>"$tl_dir/build.stderr" | head -n 1)
check "the module is built against the lab kernel" test -f "$ko"
[ -x "$bin" ] && [ -f "$ko" ] && [ -n "$fio" ] || tl_finish
cat >"$tl_dir/oracle-guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
# the NVMe has its own driver: transfers borrow it
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
ns=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_SOLO/nvme/"*/ | grep -m1 '^nvme.*n1$')
# A run that failed: give the NVMe driver's I/O timeout (30 s) the time to
# say, in the kernel log, what became of any command still outstanding.
stuck() { echo "$1 exited with $2" >>"$R/$3"; sleep 35; exit 1; }
for i in 1 2 3; do
  fio --name=oracle --filename="$ns" --rw=read --bs=1M --iodepth=4 --ioengine=libaio --direct=1 --size=64M \
    --time_based --runtime=3 --output-format=json >"$R/fio-$i.json" 2>>"$R/fio.err" || stuck "fio run $i" $? fio.err
  p2pscope xfer --engine nvme --block "$ns" --size 1M --queue-depth 4 --span 64M --seconds 3 --no-verify \
    --format json >"$R/nvme-$i.json" 2>>"$R/nvme.err" || stuck "nvme run $i" $? nvme.err
done
GUEST
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
for variant in throttled free; do
  opts=(); [ $variant = throttled ] && opts=(--nvme-bps 200000000)
  "$LAB" -q --out "$tl_dir/$variant" --timeout 300 "${opts[@]}" "$@" --add "$ko" --add "$bin" --add "$fio" \
    --add "$tl_dir/oracle-guest.sh" -- sh oracle-guest.sh >"$tl_dir/$variant.stdout" 2>"$tl_dir/$variant.stderr"
  rc=$?
  [ -s "$tl_dir/$variant.stderr" ] && sed 's/^/  stderr | /' "$tl_dir/$variant.stderr"
  expect_eq "$variant: fio and the nvme engine ran in one boot" "$rc" 0 ||
    tl_show_guest "$tl_dir/$variant" 'nvme.*(timeout|abort|reset|error)|XFER_BLOCK|I/O error' fio.err nvme.err
  r=$tl_dir/$variant/results
  for f in "$r"/fio-*.json; do jq -r '"  fio | \(.jobs[0].read.bw_bytes / 1e6 | round) MB/s, clat p50 \(.jobs[0].read.clat_ns.percentile."50.000000" / 1000 | round) us"' "$f" 2>/dev/null; done
  for f in "$r"/nvme-*.json; do jq -r '.results[0] | "  nvme | \(.bytes_per_second / 1e6 | round) MB/s, p50 \(.latency_ns.p50 / 1000 | round) us, \(.transfers) bios, \(.status)"' "$f" 2>/dev/null; done
  lab_timings "$tl_dir/$variant"
  # The medians compare three whole runs of each, or nothing.
  [ "$rc" = 0 ] || continue
  fio_bw=$(for f in "$r"/fio-*.json; do jq '.jobs[0].read.bw_bytes' "$f" 2>/dev/null; done | median)
  ours_bw=$(for f in "$r"/nvme-*.json; do jq '.results[0].bytes_per_second' "$f" 2>/dev/null; done | median)
  if [ -z "$fio_bw" ] || [ -z "$ours_bw" ]; then notok "$variant: both bandwidths measured"; continue; fi
  echo "  $variant: 1 MiB reads at queue depth 4, median of 3: fio $(awk -v b="$fio_bw" 'BEGIN{printf "%.1f", b/1e6}') MB/s, p2pscope nvme $(awk -v b="$ours_bw" 'BEGIN{printf "%.1f", b/1e6}') MB/s"
  ratio=$(awk -v a="$ours_bw" -v b="$fio_bw" 'BEGIN { printf "%.3f", a / b }')
  if [ $variant = throttled ]; then
    check "throttled: the nvme engine's bandwidth is within 10 % of fio's (ratio $ratio)" \
      awk -v r="$ratio" 'BEGIN { exit !(r >= 0.9 && r <= 1.1) }'
  else
    echo "  figure: unthrottled (CPU-bound under TCG) nvme engine / fio = $ratio"
  fi
done
tl_finish
