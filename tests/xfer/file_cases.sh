#!/usr/bin/env bash
# file_cases.sh P2PSCOPE: p2pscope xfer's CPU engine on a regular file (memory
# file), no device needed: every width reads and writes and verifies; a mapping
# past the file's end faults with SIGBUS, reported per width, exit status 3,
# the process alive to say so; --fault-test faults at the guard page.
set -u
bin=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-xfer.XXXXXX")
trap 'rm -rf "$dir"' EXIT
failed=0
ok() { echo "ok: $*"; }
notok() { echo "FAIL: $*"; failed=1; }
head -c 65536 /dev/zero >"$dir/data"

for dir_ in read write; do
  "$bin" xfer --engine cpu --file "$dir/data" --size 64K --width all --direction $dir_ --iterations 20 --format json \
    >"$dir/$dir_.json" 2>"$dir/$dir_.err"
  rc=$?
  [ $rc = 0 ] && ok "$dir_ on a file: exit 0" || { notok "$dir_ on a file: exit $rc"; cat "$dir/$dir_.err"; }
  jq -e '[.results[] | select(.status == "ok") | .verified] | length >= 6 and all' "$dir/$dir_.json" >/dev/null &&
    ok "$dir_: every width that ran verified" || notok "$dir_: not every width verified"
  jq -e '[.results[] | select(.status != "ok") | .status | startswith("waived: this CPU lacks")] | all' \
    "$dir/$dir_.json" >/dev/null && ok "$dir_: the others are waived for the CPU" || notok "$dir_: a width neither ran nor was waived"
  jq -r '.results[] | "  \(.label): \(.status) \(.bytes_per_second / 1e9 | . * 100 | round / 100) GB/s p50 \(.latency_ns.p50) ns"' "$dir/$dir_.json"
done

# 4 KiB of file under a 64 KiB mapping: SIGBUS at offset 0x1000.
head -c 4096 /dev/zero >"$dir/short"
"$bin" xfer --engine cpu --file "$dir/short" --size 64K --width 8,memcpy --direction write --iterations 2 \
  >"$dir/short.out" 2>"$dir/short.err"
rc=$?
[ $rc = 3 ] && ok "past EOF: exit 3" || notok "past EOF: exit $rc, expected 3"
grep -q "fault: SIGBUS at offset 0x1000 with 8-byte writes" "$dir/short.out" && ok "8-byte writes: SIGBUS reported" ||
  notok "8-byte writes: no SIGBUS line"
grep -q "fault: SIGBUS at offset 0x1000 with memcpy writes" "$dir/short.out" && ok "memcpy: SIGBUS reported (the tool went on)" ||
  notok "memcpy: no SIGBUS line"
grep -q "measurement(s) faulted" "$dir/short.err" && ok "one line on stderr" || notok "stderr: $(cat "$dir/short.err")"
sed 's/^/  | /' "$dir/short.out"

# --fault-test: each transfer runs into the guard page after the mapping.
"$bin" xfer --engine cpu --file "$dir/data" --size 64K --width 4,16 --fault-test --iterations 1 >"$dir/ft.out" 2>&1
rc=$?
[ $rc = 3 ] && ok "--fault-test: exit 3" || notok "--fault-test: exit $rc"
grep -q "fault: SIGSEGV at offset 0x10000 (outside the mapping) with 16-byte reads" "$dir/ft.out" &&
  ok "--fault-test: SIGSEGV at the guard page reported" || notok "--fault-test output"
sed 's/^/  | /' "$dir/ft.out"
# Bad selections against a made-up sysfs tree: one line, exit 2.
fake=$dir/root/sys/bus/pci/devices/0000:01:00.0
mkdir -p "$fake"
printf '%s\n' "0x00000000fe000000 0x00000000fe003fff 0x0000000000040200" "0x0000000000000000 0x0000000000000000 0x0000000000000000" \
  "0x000000000000e000 0x000000000000e0ff 0x0000000000040101" >"$fake/resource"
: >"$fake/resource0"
bad() {  # bad REGEX ARGS...: exit 2, nothing on stdout, REGEX on the one stderr line
  local re=$1; shift
  "$bin" xfer --engine cpu --sysfs-root "$dir/root" "$@" >"$dir/bad.out" 2>"$dir/bad.err"
  local rc=$?
  if [ $rc = 2 ] && [ ! -s "$dir/bad.out" ] && [ "$(wc -l <"$dir/bad.err")" = 1 ] && grep -Eq "$re" "$dir/bad.err"; then
    ok "bad input: $(cat "$dir/bad.err")"
  else
    notok "bad input ($*): exit $rc, stderr: $(cat "$dir/bad.err")"
  fi
}
bad "^p2pscope xfer: 0000:01:00.0 has no BAR 1 \\(not implemented, size 0\\)" --device 01:00.0 --bar 1
bad "^p2pscope xfer: 0000:01:00.0 has no BAR 4" --device 01:00.0 --bar 4
bad "^p2pscope xfer: BAR 2 of 0000:01:00.0 is an I/O port BAR" --device 01:00.0 --bar 2
bad "^p2pscope xfer: BAR 0 of 0000:01:00.0 is not prefetchable" --device 01:00.0 --bar 0 --memory wc
bad "^p2pscope xfer: offset \\+ size \\(20480\\) exceed BAR 0 of 0000:01:00.0 \\(16384 bytes\\)" --device 01:00.0 --bar 0 --size 4K --offset 16K
bad "^p2pscope xfer: engine cpu: memory uc needs --bar 0..5" --device 01:00.0
bad "^p2pscope xfer: engine cpu: --direction must be read or write" --device 01:00.0 --bar 0 --direction h2d
# A read of a BAR a driver owns writes nothing into it unless --destructive:
# it is read only, and not verified (the pattern would be a write).
head -c 16384 /dev/urandom >"$fake/resource0"
mkdir -p "$dir/root/sys/bus/pci/drivers/nvme"
ln -s ../../../../bus/pci/drivers/nvme "$fake/driver"
before=$(md5sum <"$fake/resource0")
"$bin" xfer --engine cpu --sysfs-root "$dir/root" --device 01:00.0 --bar 0 --size 4K --iterations 2 >"$dir/drv.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "not verified: checking a read writes a pattern first, into BAR 0 of driver nvme (pass --destructive)" "$dir/drv.out" &&
  [ "$(md5sum <"$fake/resource0")" = "$before" ] &&
  ok "reading a driver's BAR without --destructive: read only, not verified, the BAR unchanged" ||
  notok "reading a driver's BAR without --destructive: exit $rc, $(grep -m1 8-byte "$dir/drv.out")"
"$bin" xfer --engine cpu --sysfs-root "$dir/root" --device 01:00.0 --bar 0 --size 4K --iterations 2 --destructive \
  >"$dir/drv.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -Eq "^8-byte .* yes +ok" "$dir/drv.out" && [ "$(md5sum <"$fake/resource0")" != "$before" ] &&
  ok "with --destructive: the pattern is written and the read verified" ||
  notok "reading a driver's BAR with --destructive: exit $rc, $(grep -m1 8-byte "$dir/drv.out")"
[ $failed = 0 ] && echo "PASS" || echo "FAILED"
exit $failed
