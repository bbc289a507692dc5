#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lab-matrix.sh: run every API x memory combination the lab offers, in the
# lab guest (busybox sh), and print one result line per case.  From the host:
#
#   lab/run --add "$(lab/build-module.sh release)" --add kmod/tests/p2pscope-map \
#       --add kmod/tests/lab-matrix.sh -- sh /lab/add/lab-matrix.sh [ITERATIONS]
#
# Uses the lab's devices: pci-testdev bound to p2pscope (exclusive), the NVMe
# with the CMB (p2pmem provider, BAR owner), its peer under the same switch
# and the NVMe on its own root port (both borrowed, with allow_borrowed=1).
# Results also go to $P2PSCOPE_RESULTS/matrix.txt when that is set.

iters=${1:-20000}
t=$P2PSCOPE_LAB_TESTDEV cmb=$P2PSCOPE_LAB_NVME_CMB
peer=$P2PSCOPE_LAB_NVME_PEER solo=$P2PSCOPE_LAB_NVME_SOLO
out=${P2PSCOPE_RESULTS:-/tmp}/matrix.txt
: >"$out"

insmod /lab/add/p2pscope.ko allow_borrowed=1 || exit 1
lab-bind "$t" p2pscope >/dev/null || exit 1

case_() {
	name=$1
	shift
	line=$(p2pscope-map run --iterations "$iters" --duration-ms 3000 "$@" 2>&1)
	echo "$name: $line" | tee -a "$out"
}

echo "# lab: iommu=$P2PSCOPE_LAB_IOMMU swiotlb=$P2PSCOPE_LAB_SWIOTLB cpu=$P2PSCOPE_LAB_CPU kernel=$P2PSCOPE_LAB_KERNEL" | tee -a "$out"
p2pscope-map version | tee -a "$out"
p2pscope-map query "$t" | head -n 1 | tee -a "$out"

# exclusive: pci-testdev
for api in map_page map_single; do
	for mem in ram ram_huge bounce encrypted; do
		case_ "excl $api $mem 4K" --dev "$t" --api $api --mem $mem --size 4K
	done
	case_ "excl $api ram 64K" --dev "$t" --api $api --mem ram --size 64K
	case_ "excl $api p2pmem (refused)" --dev "$t" --api $api --mem p2pmem --size 4K
done
case_ "excl map_single ram 4K 2 threads" --dev "$t" --api map_single --mem ram --size 4K --threads 2
case_ "excl map_single ram 4K clock=monotonic" --dev "$t" --api map_single --mem ram --size 4K --clock monotonic
case_ "excl map_single ram 4K skip-sync" --dev "$t" --api map_single --mem ram --size 4K --skip-sync
case_ "excl map_single ram 4K to-device dirty" --dev "$t" --api map_single --mem ram --size 4K --dir to --dirty
case_ "excl map_sgtable ram 64K/1" --dev "$t" --api map_sgtable --mem ram --size 64K --segments 1
case_ "excl map_sgtable ram 64K/16" --dev "$t" --api map_sgtable --mem ram --size 64K --segments 16
case_ "excl map_sgtable ram_huge 2M/512" --dev "$t" --api map_sgtable --mem ram_huge --size 2M --segments 512
case_ "excl map_sgtable ram_huge 4000/40" --dev "$t" --api map_sgtable --mem ram_huge --size 4000 --segments 40
case_ "excl map_sgtable bounce 64K/16" --dev "$t" --api map_sgtable --mem bounce --size 64K --segments 16
case_ "excl map_sgtable p2pmem(auto) 64K/16" --dev "$t" --api map_sgtable --mem p2pmem --size 64K --segments 16
case_ "excl map_sgtable p2pmem(cmb) 64K/16" --dev "$t" --api map_sgtable --mem p2pmem --size 64K --segments 16 --peer "$cmb"
case_ "excl map_resource bar cmb BAR0 16K" --dev "$t" --api map_resource --mem bar --peer "$cmb" --bar 0 --size 16K
case_ "excl map_resource bar cmb BAR0 4K 2 threads" --dev "$t" --api map_resource --mem bar --peer "$cmb" --bar 0 --size 4K --threads 2
case_ "excl map_resource bar cmb BAR2 (pages)" --dev "$t" --api map_resource --mem bar --peer "$cmb" --bar 2 --size 64K
case_ "excl map_resource ram (refused)" --dev "$t" --api map_resource --mem ram --size 4K
case_ "excl alloc_coherent ram 4K" --dev "$t" --api alloc_coherent --mem ram --size 4K
case_ "excl alloc_coherent ram 64K" --dev "$t" --api alloc_coherent --mem ram --size 64K
case_ "excl alloc_noncontig ram 64K" --dev "$t" --api alloc_noncontig --mem ram --size 64K
case_ "excl dmabuf udmabuf 1M" --dev "$t" --api dmabuf --mem dmabuf --udmabuf 1M
case_ "excl iova_link ram 64K/16" --dev "$t" --api iova_link --mem ram --size 64K --segments 16
case_ "excl iommu_domain ram 4K" --dev "$t" --api iommu_domain --mem ram --size 4K
case_ "excl iommu_domain ram 64K/16" --dev "$t" --api iommu_domain --mem ram --size 64K --segments 16
case_ "excl iommu_domain ram_huge 2M/1" --dev "$t" --api iommu_domain --mem ram_huge --size 2M --segments 1
case_ "excl iommu_domain p2pmem(cmb) 64K/16" --dev "$t" --api iommu_domain --mem p2pmem --size 64K --segments 16 --peer "$cmb"
case_ "excl iommu_domain bar cmb BAR0 16K/4" --dev "$t" --api iommu_domain --mem bar --peer "$cmb" --bar 0 --size 16K --segments 4
case_ "excl iommu_domain ram 4K 2 threads" --dev "$t" --api iommu_domain --mem ram --size 4K --threads 2

# borrowed: the NVMe devices keep the nvme driver
case_ "borr peer map_single ram 4K" --dev "$peer" --api map_single --mem ram --size 4K
case_ "borr peer map_sgtable p2pmem(cmb) 64K/16" --dev "$peer" --api map_sgtable --mem p2pmem --size 64K --segments 16 --peer "$cmb"
case_ "borr peer map_sgtable p2pmem(auto) 64K/16" --dev "$peer" --api map_sgtable --mem p2pmem --size 64K --segments 16
case_ "borr solo map_sgtable p2pmem(cmb) 64K/16" --dev "$solo" --api map_sgtable --mem p2pmem --size 64K --segments 16 --peer "$cmb"
case_ "borr solo map_resource bar cmb BAR0 16K" --dev "$solo" --api map_resource --mem bar --peer "$cmb" --bar 0 --size 16K
case_ "borr peer dmabuf udmabuf 1M" --dev "$peer" --api dmabuf --mem dmabuf --udmabuf 1M
case_ "borr peer iommu_domain (refused)" --dev "$peer" --api iommu_domain --mem ram --size 4K
case_ "borr peer bounce mask (refused)" --dev "$peer" --api map_single --mem bounce --size 4K

# the kernel's own benchmark on the same device, for comparison
lab-bind "$t" dma_map_benchmark >/dev/null 2>&1 &&
	dma_map_benchmark -t 1 -s 2 -g 1 2>&1 | tail -n 3 | sed 's/^/dma_map_benchmark: /' | tee -a "$out"
lab-bind "$t" - >/dev/null 2>&1
rmmod p2pscope && echo "rmmod: ok" | tee -a "$out"
