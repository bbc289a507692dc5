#!/usr/bin/env bash
# The kernel NVMe engine in the lab, under IOMMU off, strict and lazy: one
# boot each. In every boot:
#  - NVMe to RAM and RAM to NVMe (the NVMe under the switch), queue depth 4,
#    128 KiB bios, every byte verified against a pattern written first;
#  - NVMe to p2pmem and p2pmem to NVMe: the p2pmem is the CMB of the other
#    NVMe under the same switch, so each bio is a device-to-device DMA.
#    Without an IOMMU the data arrives and verifies. With QEMU's IOMMU the
#    switch-local P2P is translated (QEMU does not route it below the IOMMU),
#    the IOMMU drops it while the bio completes with success: the result must
#    be "fault: DMA fault at ...", found in the guest's kernel log, with the
#    data not verified, exit status 3, and never a hang.
#  - in the strict boot, the solo NVMe (own root port) with the CMB's p2pmem:
#    the kernel refuses P2PDMA across Intel host bridges: -EREMOTEIO reported.
# On the debug kernel (KASAN, lockdep, DMA-API debugging, kmemleak) the same
# runs must leave no report but the provoked DMAR faults, and no leak.
#   tests/xfer/lab_nvme.sh [--kernel-version V] [release|debug] [lab/run options...]
source "$(dirname "$0")/../lab/lib.sh"
version=6.1 variant=release
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
case "${1:-}" in release|debug) variant=$1; shift ;; esac
tl_build "$version" "$variant"
cat >"$tl_dir/nvme-guest.sh" <<'GUEST'
R=$P2PSCOPE_RESULTS
# the NVMe has its own driver: transfers borrow it
insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
ns() { ls "/sys/bus/pci/devices/$1/nvme/"*/ | grep -m1 '^nvme.*n1$'; }
peer=/dev/$(ns "$P2PSCOPE_LAB_NVME_PEER")
solo=/dev/$(ns "$P2PSCOPE_LAB_NVME_SOLO")
cmb=$P2PSCOPE_LAB_NVME_CMB
x() { name=$1; shift; p2pscope xfer --engine nvme --size 128K --queue-depth 4 --destructive --format json "$@" \
        >"$R/$name.json" 2>"$R/$name.err"; echo $? >"$R/$name.rc"; }
x ram-read --block "$peer" --iterations 64
x ram-write --block "$peer" --direction write --iterations 64 --offset 16M
# Intel's driver prints at most 10 DMAR fault reports per 5 s: each faulting
# run starts after that window, so that its faults are in the log.
pause() { [ "$P2PSCOPE_LAB_IOMMU" = off ] || sleep 6; }
x p2p-read --block "$peer" --memory p2pmem --peer "$cmb" --iterations 16 --offset 32M
pause
x p2p-write --block "$peer" --memory p2pmem --peer "$cmb" --direction write --iterations 16 --offset 48M
pause
p2pscope xfer --engine nvme --block "$peer" --memory p2pmem --peer "$cmb" --size 128K --iterations 4 --destructive \
  >"$R/p2p-read.txt" 2>&1
[ "$P2PSCOPE_LAB_IOMMU" = strict ] && x solo-p2p --block "$solo" --memory p2pmem --peer "$cmb" --iterations 4
exit 0
GUEST
modes="off strict lazy"
# The debug kernel boots and runs several times slower: lazy adds nothing there
# that strict does not already exercise.
[ "$variant" = debug ] && modes="off strict"
for mode in $modes; do
  "$LAB" -q --kernel-version "$version" --kernel "$variant" --out "$tl_dir/$mode" --timeout 600 --iommu "$mode" "$@" --add "$ko" --add "$bin" \
    --add "$tl_dir/nvme-guest.sh" -- sh nvme-guest.sh >"$tl_dir/$mode.stdout" 2>"$tl_dir/$mode.stderr"
  rc=$?
  [ -s "$tl_dir/$mode.stderr" ] && sed 's/^/  stderr | /' "$tl_dir/$mode.stderr"
  expect_eq "iommu $mode: the guest script ran" "$rc" 0
  r=$tl_dir/$mode/results
  for t in ram-read ram-write; do
    expect_eq "iommu $mode: $t exit status" "$(cat "$r/$t.rc" 2>/dev/null)" 0
    jcheck "iommu $mode: $t moved 64 x 128 KiB, verified" "$r/$t.json" \
      '.results[0] | .status == "ok" and .verified == true and .transfers == 64 and .bytes_per_second > 0 and .latency_ns.p50 > 0'
  done
  if [ "$mode" = off ]; then
    for t in p2p-read p2p-write; do
      expect_eq "iommu off: $t exit status" "$(cat "$r/$t.rc" 2>/dev/null)" 0
      jcheck "iommu off: $t device to device, data verified" "$r/$t.json" \
        '.results[0] | .status == "ok" and .verified == true and .transfers == 16'
    done
    jcheck "iommu off: p2p path is the switch (PIX, BUS_ADDR)" "$r/p2p-read.json" \
      '.path.path_class == "PIX" and .path.p2pdma_verdict == "BUS_ADDR" and (.path.bdfs | length) == 2'
  else
    for t in p2p-read p2p-write; do
      expect_eq "iommu $mode: $t exit status (a fault)" "$(cat "$r/$t.rc" 2>/dev/null)" 3
      jcheck "iommu $mode: $t reported as a DMA fault from the kernel log, data not verified" "$r/$t.json" \
        '.results[0] | (.status | test("^fault: DMA fault at 0x[0-9a-f]+ \\(DMAR: ")) and .verified == false'
    done
    check "iommu $mode: the text report says where the DMA faulted" grep -q "fault: DMA fault at 0x" "$r/p2p-read.txt" ||
      sed 's/^/  p2p-read.txt | /' "$r/p2p-read.txt"
    check "iommu $mode: the guest log holds the DMAR fault" grep -q "DMAR: \[DMA" "$tl_dir/$mode/dmesg.txt"
  fi
  if [ "$mode" = strict ]; then
    expect_eq "solo NVMe <- CMB p2pmem across the host bridge: exit status" "$(cat "$r/solo-p2p.rc" 2>/dev/null)" 3
    jcheck "solo NVMe <- CMB p2pmem: the kernel refuses (-EREMOTEIO; -EINVAL from 7.2's scatterlist-free block layer), as the prober predicts" "$r/solo-p2p.json" \
      '(.results[0].status | test("^error: -E(REMOTEIO|INVAL) at byte [0-9]+: the kernel allows no P2PDMA between 0000:03:00.0.s memory and 0000:05:00.0")) and .path.p2pdma_verdict == "NOT_SUPPORTED"'
  fi
  for t in ram-read ram-write p2p-read p2p-write solo-p2p; do
    [ -s "$r/$t.json" ] && jq -r --arg m "$mode" --arg t "$t" '.results[0] | "  \($m) \($t): \(.label): \(.bytes_per_second / 1e6 | . * 10 | round / 10) MB/s, p50 \(.latency_ns.p50 / 1000 | round) us, p99 \(.latency_ns.p99 / 1000 | round) us, verified \(.verified); \(.status | .[0:110])"' "$r/$t.json"
  done
  # The DMAR faults are the ones provoked above; nothing else may be there.
  expect_eq "iommu $mode: no bug/warning lines in the kernel log but the provoked DMAR faults" \
    "$(jget "$tl_dir/$mode/lab.json" '[.kernel_log_alert_lines[] | select(test("DMAR: ") | not)] | length')" 0
  [ "$variant" = debug ] && expect_eq "iommu $mode: kmemleak suspects" "$(jget "$tl_dir/$mode/lab.json" .guest.kmemleak_suspects)" 0
  lab_timings "$tl_dir/$mode"
done
tl_finish
