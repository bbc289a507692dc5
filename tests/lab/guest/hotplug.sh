#!/bin/sh
# Runs inside the lab guest, started by tests/lab/hotplug.sh: announces itself,
# then waits for the host to remove pci-testdev through the QEMU monitor.
test=$P2PSCOPE_LAB_TESTDEV
[ -n "$test" ] || { echo "FAIL: no testdev"; exit 1; }
[ -d /sys/bus/pci/devices/$test ] && echo "ok: testdev present at $test before removal"
echo "LAB-HOTPLUG-READY"
n=0
while [ -d /sys/bus/pci/devices/$test ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
if [ -d /sys/bus/pci/devices/$test ]; then echo "FAIL: testdev still present after 60 s"; exit 1; fi
echo "ok: testdev $test gone after $((n / 10)) s"
echo "{\"testdev\": \"$test\", \"removed_after_s\": $((n / 10))}" >"$P2PSCOPE_RESULTS/hotplug.json"
