#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lab-selftest.sh: p2pscope's robustness checks, in the lab guest:
#
#   lab/run --add "$(lab/build-module.sh VARIANT)" --add kmod/tests/p2pscope-map \
#       --add kmod/tests/p2pscope-fuzz --add kmod/tests/p2pscope-eperm \
#       --add kmod/tests/lab-selftest.sh -- sh /lab/add/lab-selftest.sh [FUZZ_COUNT]
#
# root-only access (p2pscope-eperm), SIGKILL during a 30 s run (must end
# within a few seconds) and during a block transfer with bios in flight, a
# second run on a busy device (-EBUSY), the
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

p2pscope-map run --dev "$t" --api map_single --mem ram --iterations 1000000000 \
	--duration-ms 30000 >/tmp/killed.txt 2>&1 &
pid=$!
sleep 2
p2pscope-map run --dev "$t" --api map_page --mem ram --iterations 10 >/tmp/busy.txt 2>&1
grep -q "Device or resource busy" /tmp/busy.txt
check $? "a second run on a busy device gets -EBUSY"
start=$(cut -d. -f1 /proc/uptime)
kill -9 $pid
wait $pid
end=$(cut -d. -f1 /proc/uptime)
[ $((end - start)) -le 5 ]
check $? "SIGKILL ends a 30 s run within 5 s (took $((end - start)) s)"
p2pscope-map run --dev "$t" --api map_page --mem ram --iterations 1000 | grep -q "status=none"
check $? "the device measures again after the kill"

# Transfers: the switch NVMe's namespace is scratch space (the fuzzer writes it).
ns=$(ls "/sys/bus/pci/devices/$P2PSCOPE_LAB_NVME_PEER/nvme/"*/ | grep -m1 '^nvme.*n1$')
blk=$(cat "/sys/class/block/$ns/dev")
p2pscope-map block "$blk" --iterations 1000000000 --duration-ms 30000 --qd 8 >/tmp/xkilled.txt 2>&1 &
pid=$!
sleep 2
start=$(cut -d. -f1 /proc/uptime)
kill -9 $pid
wait $pid
end=$(cut -d. -f1 /proc/uptime)
[ $((end - start)) -le 5 ]
check $? "SIGKILL ends a 30 s block transfer (8 bios in flight) within 5 s (took $((end - start)) s)"
p2pscope-map block "$blk" --verify --iterations 64 | grep -q "status=none .* verify=1"
check $? "the namespace transfers and verifies again after the kill"

p2pscope-fuzz -n "$count" -d "$t" -b "$blk" -j 2
check $? "fuzzer: $count ioctls x 2 processes, transfers included"

lab-bind "$t" - >/dev/null
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
