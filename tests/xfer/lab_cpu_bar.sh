#!/usr/bin/env bash
# p2pscope xfer in the lab: the CPU engine on the NVMe controller memory
# buffer's BAR (the 64 MiB BAR of $P2PSCOPE_LAB_NVME_CMB, found from sysfs),
# reads and writes, uncached and write-combining, at every access width; each
# width that the guest CPU has runs and verifies, the rest are waived with the
# reason. A deliberate access past the mapping is caught. The p2pmem O_DIRECT
# engine is waived on the lab's 6.1 kernel with the reason.
#   tests/xfer/lab_cpu_bar.sh [lab/run options...]
source "$(dirname "$0")/../lab/lib.sh"
bin=${P2PSCOPE_BIN:-$tl_repo/build/cli/p2pscope}
check "p2pscope is built ($bin)" test -x "$bin"
[ -x "$bin" ] || tl_finish
cat >"$tl_dir/xfer-guest.sh" <<'GUEST'
dev=$P2PSCOPE_LAB_NVME_CMB
R=$P2PSCOPE_RESULTS
# The CMB is the BAR of exactly 64 MiB (cmb_size_mb=64), BAR 2 or 4.
i=0; bar=
while read -r s e f; do
  if [ $((e - s + 1)) = 67108864 ] && [ "$s" != 0x0000000000000000 ]; then bar=$i; fi
  i=$((i + 1))
done <"/sys/bus/pci/devices/$dev/resource"
echo "$bar" >"$R/bar"
lspci -v -s "$dev" >"$R/lspci.txt" 2>&1
grep -o 'avx512f\|avx2\|sse2' /proc/cpuinfo | sort -u >"$R/cpuflags"
uname -r >"$R/uname"
# 32 MiB into the buffer: clear of the submission queues the nvme driver keeps there.
for mem in uc wc; do
  for d in read write; do
    p2pscope xfer --engine cpu --device "$dev" --bar "$bar" --memory $mem --direction $d --width all \
      --size 64K --offset 32M --iterations 5 --destructive --format json >"$R/$mem-$d.json" 2>"$R/$mem-$d.err"
    echo $? >"$R/$mem-$d.rc"
  done
done
p2pscope xfer --engine cpu --device "$dev" --bar "$bar" --direction read --width all --size 64K --offset 32M \
  --iterations 5 >"$R/uc-read.txt" 2>&1
p2pscope xfer --engine cpu --device "$dev" --bar "$bar" --width 8,32 --size 64K --offset 32M --iterations 1 \
  --fault-test >"$R/fault.txt" 2>&1
echo $? >"$R/fault.rc"
# A write to the driver's BAR without --destructive is refused as bad input.
p2pscope xfer --engine cpu --device "$dev" --bar "$bar" --direction write --size 64K >/dev/null 2>"$R/guard.err"
echo $? >"$R/guard.rc"
peer_ns=
for b in /sys/class/block/nvme*n1; do
  case $(readlink -f "$b") in *"$P2PSCOPE_LAB_NVME_PEER"*) peer_ns=/dev/${b##*/} ;; esac
done
p2pscope xfer --engine p2pmem-odirect --device "$dev" --source-block "$peer_ns" --direction read --size 64K \
  --format json >"$R/odirect.json" 2>"$R/odirect.err"
echo $? >"$R/odirect.rc"
p2pscope xfer --engine cpu --device "$dev" --memory p2pmem --size 64K >"$R/p2pmem.txt" 2>&1
echo $? >"$R/p2pmem.rc"
exit 0
GUEST
"$LAB" -q --out "$tl_dir/run" --timeout 600 "$@" --add "$bin" --add "$tl_dir/xfer-guest.sh" \
  -- sh xfer-guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
rc=$?
[ -s "$tl_dir/stderr" ] && sed 's/^/  stderr | /' "$tl_dir/stderr"
expect_eq "the guest script ran" "$rc" 0
r=$tl_dir/run/results
bar=$(cat "$r/bar" 2>/dev/null)
check "the CMB's BAR was found (BAR ${bar:-?})" test -n "$bar"
echo "  guest CPU flags: $(tr '\n' ' ' <"$r/cpuflags" 2>/dev/null); kernel $(cat "$r/uname" 2>/dev/null)"
for f in uc-read uc-write wc-read wc-write; do
  expect_eq "$f: exit status" "$(cat "$r/$f.rc" 2>/dev/null)" 0
  [ -s "$r/$f.err" ] && sed 's/^/  stderr | /' "$r/$f.err"
  jcheck "$f: schema and path" "$r/$f.json" '.schema == "p2pscope.xfer/1" and (.path.bdfs | length) == 1 and .path.link_ceiling_bytes_per_s != null'
  jcheck "$f: 1, 2, 4, 8, 16 bytes and memcpy ran and verified" "$r/$f.json" \
    '[.results[] | select(.label != "32-byte" and .label != "64-byte") | .status == "ok" and .verified == true] | length == 6 and all'
  for w in 32 64; do
    flag=$([ $w = 32 ] && echo avx2 || echo avx512f)
    if grep -qx $flag "$r/cpuflags" 2>/dev/null; then
      jcheck "$f: $w-byte ran and verified (guest has $flag)" "$r/$f.json" ".results[] | select(.label == \"$w-byte\") | .status == \"ok\" and .verified == true"
    else
      jcheck "$f: $w-byte waived (guest lacks $flag)" "$r/$f.json" ".results[] | select(.label == \"$w-byte\") | .status | startswith(\"waived: this CPU lacks\")"
    fi
  done
  jq -r --arg f "$f" '"  \($f): " + ([.results[] | "\(.label) " + (if .status == "ok" then "\(.bytes_per_second / 1e6 | . * 100 | round / 100) MB/s (p50 \(.latency_ns.p50 / 1000 | round) us)" else "waived" end)] | join(", "))' "$r/$f.json" 2>/dev/null
done
jq -r '"  path: \(.path.bdfs[0]) ceiling \(.path.link_ceiling_link) = \(.path.link_ceiling_bytes_per_s / 1e9) GB/s; \(.path.path_note)"' "$r/uc-read.json" 2>/dev/null
sed 's/^/  | /' "$r/uc-read.txt" 2>/dev/null
# The driver's BAR read without --destructive: read, not written, so not verified.
check "reading the driver's BAR without --destructive writes nothing: not verified, and says why" \
  grep -q "not verified: checking a read writes a pattern first, into BAR $bar of driver nvme (pass --destructive)" "$r/uc-read.txt"
expect_eq "--fault-test: exit 3" "$(cat "$r/fault.rc" 2>/dev/null)" 3
check "--fault-test: the fault is reported with the width" grep -q "fault: SIGSEGV at offset 0x10000 (outside the mapping) with 32-byte reads\|fault: SIGSEGV at offset 0x10000 (outside the mapping) with 8-byte reads" "$r/fault.txt"
grep fault "$r/fault.txt" | sed 's/^/  | /'
expect_eq "writing the driver's BAR without --destructive: exit 2" "$(cat "$r/guard.rc" 2>/dev/null)" 2
sed 's/^/  | /' "$r/guard.err" 2>/dev/null
expect_eq "p2pmem-odirect: exit 0 (waived)" "$(cat "$r/odirect.rc" 2>/dev/null)" 0
jcheck "p2pmem-odirect: waived on 6.1 with the reason" "$r/odirect.json" \
  '.status | test("^waived: user-space p2pmem \\(mmap of sysfs p2pmem/allocate\\) needs Linux 6.2 or later; this kernel is 6\\.1\\.")'
jq -r '"  odirect: \(.status); path \(.path.bdfs | join(" <-> ")) \(.path.path_class) \(.path.p2pdma_verdict)"' "$r/odirect.json" 2>/dev/null
sed 's/^/  stderr | /' "$r/odirect.err" 2>/dev/null
expect_eq "cpu on p2pmem: exit 0 (waived)" "$(cat "$r/p2pmem.rc" 2>/dev/null)" 0
check "cpu on p2pmem: waived on 6.1" grep -q "^waived: user-space p2pmem" "$r/p2pmem.txt"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
lab_timings "$tl_dir/run"
tl_finish
