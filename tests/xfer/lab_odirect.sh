#!/usr/bin/env bash
# The p2pmem-odirect engine for real (Linux 6.2 and later; the lab's 6.12 and
# 7.2 kernels), IOMMU off so that the switch-local P2P arrives (with QEMU's
# IOMMU on it faults: LAB-FACTS): random data written to the switch NVMe's
# namespace is read with O_DIRECT into the CMB's p2pmem (mmap of sysfs
# p2pmem/allocate) and written from there to the CMB NVMe's own namespace, as
# the kernel's p2pmem-test does; every transfer verified (the p2pmem and the
# destination hold the source's bytes). Then `p2pscope qualify` of the pair
# without p2pscope.ko: its transfer check measures with this engine.
#   tests/xfer/lab_odirect.sh --kernel-version V [lab/run options...]
source "$(dirname "$0")/../lab/lib.sh"
version=6.12
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
bin=${P2PSCOPE_BIN:-$tl_repo/build/cli/p2pscope}
check "p2pscope is built ($bin)" test -x "$bin"
[ -x "$bin" ] || tl_finish
cat >"$tl_dir/odirect-guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
ns() { for b in /sys/class/block/nvme*n1; do case $(readlink -f "$b") in *"$1"*) echo "/dev/${b##*/}"; return;; esac; done; }
src=$(ns "$P2PSCOPE_LAB_NVME_PEER") dst=$(ns "$P2PSCOPE_LAB_NVME_CMB")
uname -r >"$R/uname"
# 1 MiB of random data at 64 MiB into the source, on the device before the engine reads it
dd if=/dev/urandom of="$src" bs=65536 count=16 seek=1024 2>/dev/null && sync && echo 3 >/proc/sys/vm/drop_caches
p2pscope xfer --engine p2pmem-odirect --device "$P2PSCOPE_LAB_NVME_CMB" --source-block "$src" \
  --destination-block "$dst" --destructive --size 256K --offset 64M --iterations 16 --format json \
  >"$R/copy.json" 2>"$R/copy.err"
echo $? >"$R/copy.rc"
p2pscope xfer --engine p2pmem-odirect --device "$P2PSCOPE_LAB_NVME_CMB" --source-block "$src" --direction read \
  --size 1M --offset 64M --iterations 8 --format json >"$R/read.json" 2>"$R/read.err"
echo $? >"$R/read.rc"
p2pscope qualify --devices "$P2PSCOPE_LAB_NVME_PEER,$P2PSCOPE_LAB_NVME_CMB" --no-map --format json \
  >"$R/qualify.json" 2>"$R/qualify.err"
echo $? >"$R/qualify.rc"
exit 0
GUEST
"$LAB" -q --kernel-version "$version" --iommu off --out "$tl_dir/run" --timeout 600 "$@" --add "$bin" \
  --add "$tl_dir/odirect-guest.sh" -- sh odirect-guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "the guest script ran" "$rc" 0
r=$tl_dir/run/results
check "the guest ran Linux $version ($(cat "$r/uname" 2>/dev/null))" grep -q "^$version\." "$r/uname"
for t in copy read; do
  expect_eq "$t: exit status" "$(cat "$r/$t.rc" 2>/dev/null)" 0
  [ -s "$r/$t.err" ] && sed 's/^/  stderr | /' "$r/$t.err"
done
jcheck "copy: NVMe -> CMB p2pmem -> NVMe, 16 x 256 KiB, every transfer verified" "$r/copy.json" \
  '.results[0] | .status == "ok" and .verified == true and .transfers == 16 and .label == "block->p2pmem->block" and .bytes_per_second > 0'
jcheck "read: NVMe -> CMB p2pmem, 8 x 1 MiB, verified" "$r/read.json" \
  '.results[0] | .status == "ok" and .verified == true and .transfers == 8 and .bytes_per_second > 0'
jcheck "the path is the switch (PIX, BUS_ADDR)" "$r/copy.json" '.path.path_class == "PIX" and .path.p2pdma_verdict == "BUS_ADDR"'
jq -r '.results[0] | "  \(.label): \(.bytes_per_second / 1e6 | . * 10 | round / 10) MB/s, p50 \(.latency_ns.p50 / 1000 | round) us, verified \(.verified)"' \
  "$r/copy.json" "$r/read.json" 2>/dev/null
# The lab's emulated NVMe moves a fraction of what its link allows: whether the
# pair passes is the thresholds' business; what counts here is that the engine measured.
check "qualify: exit status 0 or 1 (a verdict, not an error: $(cat "$r/qualify.rc" 2>/dev/null))" grep -qx "[01]" "$r/qualify.rc"
jcheck "qualify: the transfer check measured with p2pmem-odirect (no module loaded)" "$r/qualify.json" \
  '[.pairs[].checks[] | select(.check == "transfer")] | length == 1 and (.[0].result == "pass" or .[0].result == "fail") and .[0].measured > 0 and (.[0].reason | test("engine p2pmem-odirect"))'
jq -r '.pairs[].checks[] | select(.check == "transfer") | "  qualify transfer: \(.result): \(.reason)"' "$r/qualify.json" 2>/dev/null
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
lab_timings "$tl_dir/run"
tl_finish
