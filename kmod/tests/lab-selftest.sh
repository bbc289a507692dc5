#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lab-selftest.sh: p2pscope's robustness checks, in the lab guest:
#
#   lab/run --add "$(lab/build-module.sh VARIANT)" --add kmod/tests/p2pscope-map \
#       --add kmod/tests/p2pscope-fuzz --add kmod/tests/p2pscope-eperm \
#       --add kmod/tests/lab-selftest.sh -- sh /lab/add/lab-selftest.sh [FUZZ_COUNT]
#
# root-only access (p2pscope-eperm), SIGKILL during a 60 s run (must end
# within 10 s) and during a block transfer with bios in flight, a second run
# on a busy device (-EBUSY, once the module reports the first running), the
# malformed-ioctl fuzzer (two processes), unloading, and ten load/unload cycles.  Prints PASSED or
# FAILED and exits accordingly.
count=${1:-100000}
t=$P2PSCOPE_LAB_TESTDEV
fail=0
check() { if [ "$1" = 0 ]; then echo "ok: $2"; else echo "FAIL: $2"; fail=1; fi; }

insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
lab-bind "$t" p2pscope >/dev/null || exit 1

p2pscope-eperm
check $? "non-root gets -EPERM"

# running DEV: true once the module says a measurement holds DEV (DEV_QUERY's
# P2PSCOPE_DEV_F_RUNNING), waiting at most 30 s: a slow guest starts late.
running() {
	for _ in $(seq 1 300); do
		f=$(p2pscope-map query "$1" | sed -n 's/.* flags=\(0x[0-9a-f]*\) .*/\1/p')
		[ -n "$f" ] && [ $((f & 0x80)) != 0 ] && return 0
		sleep 0.1
	done
	return 1
}
# uptime_cs: the guest's uptime in hundredths of a second.
uptime_cs() { tr -d . </proc/uptime | cut -d' ' -f1; }

p2pscope-map run --dev "$t" --api map_single --mem ram --iterations 1000000000 \
	--duration-ms 60000 >/tmp/killed.txt 2>&1 &
pid=$!
running "$t"
check $? "the module reports the 60 s run as running"
p2pscope-map run --dev "$t" --api map_page --mem ram --iterations 10 >/tmp/busy.txt 2>&1
grep -q "Device or resource busy" /tmp/busy.txt
check $? "a second run on a busy device gets -EBUSY"
start=$(uptime_cs)
kill -9 $pid
wait $pid
end=$(uptime_cs)
# The run had 55 s or more to go: ending within 10 s is the signal's doing.
[ $((end - start)) -le 1000 ]
check $? "SIGKILL ends a 60 s run within 10 s (took $(((end - start) * 10)) ms)"
p2pscope-map run --dev "$t" --api map_page --mem ram --iterations 1000 | grep -q "status=none"
check $? "the device measures again after the kill"

# Transfers: the switch NVMe's namespace is scratch space (the fuzzer writes it).
ns=$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
blk=$(cat "/sys/class/block/$ns/dev")
p2pscope-map block "$blk" --iterations 1000000000 --duration-ms 60000 --qd 8 >/tmp/xkilled.txt 2>&1 &
pid=$!
# Bios in flight: the namespace's inflight counters (reads, writes) say so.
inflight=0
for _ in $(seq 1 300); do
	set -- $(cat "/sys/class/block/$ns/inflight")
	[ $(($1 + $2)) -gt 0 ] && inflight=1 && break
	sleep 0.1
done
check $((1 - inflight)) "the block transfer has bios in flight"
start=$(uptime_cs)
kill -9 $pid
wait $pid
end=$(uptime_cs)
[ $((end - start)) -le 1000 ]
check $? "SIGKILL ends a 60 s block transfer (8 bios in flight) within 10 s (took $(((end - start) * 10)) ms)"
# Bios still in flight 0.5 s after the kill (a loaded host's emulated NVMe is
# slow) are left to the block layer, and the module keeps the namespace open
# until the last ends: a write meanwhile is refused, "open elsewhere". That is
# the module doing its job; wait for it (bounded), then write and verify.
for _ in $(seq 1 300); do
	p2pscope-map block "$blk" --verify --iterations 64 >/tmp/verify.txt 2>&1
	grep -q "open elsewhere" /tmp/verify.txt || break
	sleep 0.1
done
grep -q "status=none .* verify=1" /tmp/verify.txt
check $? "the namespace transfers and verifies again after the kill"

p2pscope-fuzz -n "$count" -d "$t" -b "$blk" -j 2
check $? "fuzzer: $count ioctls x 2 processes, transfers included"

# The module stays loaded while bios a run left in flight are out (it holds a
# reference until the last ends): wait for them, at most 30 s, before unloading.
idle() {
	for _ in $(seq 1 300); do
		[ "$(cat /sys/module/p2pscope/refcnt)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
lab-bind "$t" - >/dev/null
idle
check $? "no reference to the module is left (refcnt $(cat /sys/module/p2pscope/refcnt))"
rmmod p2pscope
check $? "rmmod"

# Ten load/unload cycles, each binding the device, measuring and unbinding.
cycles=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	insmod /lab/add/p2pscope.ko || break
	lab-bind "$t" p2pscope >/dev/null || break
	p2pscope-map run --dev "$t" --api map_single --mem ram --iterations 1000 | grep -q "status=none" || break
	lab-bind "$t" - >/dev/null || break
	rmmod p2pscope || break
	cycles=$i
done
[ "$cycles" = 10 ]
check $? "10 insmod / bind / measure / unbind / rmmod cycles ($cycles done)"
! grep -q '^p2pscope ' /proc/modules
check $? "the module is unloaded at the end"
[ $fail = 0 ] && echo PASSED || echo FAILED
exit $fail
