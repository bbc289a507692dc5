#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lab-hotplug.sh [--kernel-version V] [release|debug]: device removal while p2pscope measures.
# Boots the lab with a monitor socket and runs lab-hotplug-guest.sh, which
# first unbinds drivers through sysfs during runs; then this script unplugs
# pci-testdev, then the CMB NVMe, each while a measurement uses it.  Passes
# when all four measurements report status=device_gone with samples, the
# devices are unbound or gone, the module unloads and the kernel log has no
# alerts.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/lab/lib.sh"
version=6.1
if [ "${1:-}" = --kernel-version ]; then version=$2; shift 2; fi
variant=${1:-release}
cd "$repo"

make -s -C kmod/tests p2pscope-map >/dev/null || exit 1
ko=$(lab/build-module.sh --version "$version" "$variant") || exit 1
out=$(mktemp -d "${TMPDIR:-/tmp}/p2pscope-hotplug.XXXXXX")
sock=$out/monitor.sock

lab/run --out "$out" --kernel-version "$version" --kernel "$variant" --timeout 300 --monitor-socket "$sock" \
	--add "$ko" --add kmod/tests/p2pscope-map --add kmod/tests/lab-hotplug-guest.sh \
	-- sh /lab/add/lab-hotplug-guest.sh >"$out/run.txt" 2>&1 &
lab=$!

wait_mark() {	# wait for a marker in the guest's console, up to 600 s
	local n=0
	until grep -q "p2pscope-hotplug: $1" "$out/console.log" 2>/dev/null; do
		kill -0 "$lab" 2>/dev/null || return 1
		sleep 1; n=$((n + 1)); [ $n -lt 600 ] || return 1
	done
}
fail=0
if wait_mark "phase1 measuring"; then
	sleep 3; lab/hmp "$sock" device_del testdev || fail=1
else
	echo "lab-hotplug: phase 1 never started" >&2; fail=1
fi
if wait_mark "phase2 measuring"; then
	sleep 3; lab/hmp "$sock" device_del nvme-cmb || fail=1
else
	echo "lab-hotplug: phase 2 never started" >&2; fail=1
fi
wait "$lab"; rc=$?
cat "$out/run.txt"

[ $rc = 0 ] || fail=1
[ "$(grep -c 'status=device_gone' "$out/run.txt")" = 4 ] || fail=1
[ "$(grep -c 'phase0: .* unbound' "$out/run.txt")" = 2 ] || fail=1
grep 'status=device_gone' "$out/run.txt" | grep -q 'map_count=0 ' && fail=1
grep -q 'phase1: .* removed' "$out/run.txt" || fail=1
grep -q 'phase2: .* removed' "$out/run.txt" || fail=1
grep -q 'rmmod: ok' "$out/run.txt" || fail=1
# Kernel log alerts fail the test, except 6.1's own pciehp lockdep report on
# every hot-unplug (lab/lib.sh: lab_alerts_besides_pciehp).
if ! grep -q '"kernel_log_alerts": 0' "$out/lab.json"; then
	if lab_alerts_besides_pciehp "$out/dmesg.txt"; then
		echo "lab-hotplug: note: lockdep's report on pciehp's own reset_lock/pci_rescan_remove_lock order (not p2pscope)"
	else
		fail=1
	fi
fi
echo "lab-hotplug: $([ $fail = 0 ] && echo PASSED || echo FAILED) (output in $out)"
exit $fail
