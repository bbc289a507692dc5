#!/usr/bin/env bash
# A destructive transfer never writes under someone else's feet: while another
# process holds the NVMe namespace open (a plain read-only open, as a database
# or a backup tool would), p2pscope's write is refused with the reason and the
# device's bytes are unchanged; with --force it runs; every destructive run
# logs the byte range it may overwrite.
#   tests/xfer/lab_destructive.sh [--kernel-version V]
source "$(dirname "$0")/../lab/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
tl_build "$version"
cat >"$tl_dir/guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
# the NVMe has its own driver: transfers borrow it
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
ns=/dev/$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
x() { name=$1; shift; p2pscope xfer --engine nvme --block "$ns" --direction write --size 128K --iterations 8 \
        --offset 64M --destructive --format json "$@" >"$R/$name.json" 2>"$R/$name.err"; echo $? >"$R/$name.rc"; }
dd if="$ns" bs=128K skip=512 count=8 2>/dev/null | md5sum >"$R/before.md5"
sleep 60 <"$ns" &
holder=$!
sleep 1
x held
dd if="$ns" bs=128K skip=512 count=8 2>/dev/null | md5sum >"$R/after-refusal.md5"
x forced --force
kill $holder
wait $holder 2>/dev/null
x free
dmesg | grep "XFER_BLOCK may overwrite" >"$R/log.txt"
exit 0
GUEST
"$LAB" -q --kernel-version "$version" --out "$tl_dir/run" --timeout 300 "$@" --add "$ko" --add "$bin" \
  --add "$tl_dir/guest.sh" -- sh guest.sh >"$tl_dir/stdout" 2>"$tl_dir/stderr"
expect_eq "the guest script ran" "$?" 0
r=$tl_dir/run/results
for f in held forced free; do
  jq -r --arg f "$f" '"  \($f): \(.results[0].status)"' "$r/$f.json" 2>/dev/null || sed 's/^/  '"$f"': /' "$r/$f.err"
done
jcheck "held open elsewhere: the write is refused, the reason names the other opener" "$r/held.json" \
  '.results[0].status | startswith("waived: block device") and contains("open elsewhere (1 other opener)")'
check "held open elsewhere: the device's bytes are unchanged" cmp -s "$r/before.md5" "$r/after-refusal.md5"
expect_eq "--force: the write runs while the device is held" "$(cat "$r/forced.rc" 2>/dev/null)" 0
expect_eq "no other opener: the write runs" "$(cat "$r/free.rc" 2>/dev/null)" 0
expect_eq "each run that wrote logged its byte range" "$(grep -c "may overwrite bytes 67108864..67239935 of block device" "$r/log.txt" 2>/dev/null)" 2
check "the forced run says so in the log" grep -q "forced: it is open elsewhere" "$r/log.txt"
expect_eq "no bug/fault lines in the kernel log" "$(jget "$tl_dir/run/lab.json" .kernel_log_alerts)" 0
tl_finish
