#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest half of lab-hotplug.sh: measures while the host removes devices.
# Phase 0 (guest only): drivers are unbound through sysfs during runs:
# pci-testdev from p2pscope (exclusive), the solo NVMe from nvme (borrowed).
# Phase 1: pci-testdev (exclusive) is unplugged during a map_single run.
# Phase 2: the CMB NVMe (p2pmem provider) is unplugged while its peer
# (borrowed) maps its p2pmem.  Each run must end with status=device_gone and
# keep its samples; the kernel must then finish the unbind or removal.
t=$P2PSCOPE_LAB_TESTDEV cmb=$P2PSCOPE_LAB_NVME_CMB peer=$P2PSCOPE_LAB_NVME_PEER
solo=$P2PSCOPE_LAB_NVME_SOLO
mark() { echo "p2pscope-hotplug: $*" >/dev/kmsg; }
gone() {	# wait up to 60 s for a device to disappear
	n=0
	while [ -e "/sys/bus/pci/devices/$1" ] && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done
	[ ! -e "/sys/bus/pci/devices/$1" ]
}

insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
lab-bind "$t" p2pscope >/dev/null || exit 1

(sleep 3; echo "$t" >/sys/bus/pci/drivers/p2pscope/unbind) &
p2pscope-map run --dev "$t" --api iommu_domain --mem ram --size 4K \
	--iterations 1000000000 --duration-ms 40000
wait
[ -e "/sys/bus/pci/devices/$t/driver" ] && echo "phase0: $t still bound" || echo "phase0: $t unbound"
(sleep 3; echo "$solo" >/sys/bus/pci/drivers/nvme/unbind) &
p2pscope-map run --dev "$solo" --api map_single --mem ram --size 4K \
	--iterations 1000000000 --duration-ms 40000
wait
[ -e "/sys/bus/pci/devices/$solo/driver" ] && echo "phase0: $solo still bound" || echo "phase0: $solo unbound"
lab-bind "$t" p2pscope >/dev/null || exit 1

mark "phase1 measuring"
p2pscope-map run --dev "$t" --api map_single --mem ram --size 4K \
	--iterations 1000000000 --duration-ms 40000 --threads 2
gone "$t" && echo "phase1: $t removed" || echo "phase1: $t still present"

mark "phase2 measuring"
p2pscope-map run --dev "$peer" --api map_sgtable --mem p2pmem --peer "$cmb" \
	--size 64K --segments 16 --iterations 1000000000 --duration-ms 40000
gone "$cmb" && echo "phase2: $cmb removed" || echo "phase2: $cmb still present"

rmmod p2pscope && echo "rmmod: ok"
