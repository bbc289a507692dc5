// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IOMMU_MAP_GFP: iommu_map() takes a gfp_t (Linux 6.3).
 */
#include <linux/iommu.h>

static int __used p2pscope_probe(struct iommu_domain *domain, phys_addr_t phys)
{
	return iommu_map(domain, 0x100000, phys, PAGE_SIZE,
			 IOMMU_READ | IOMMU_WRITE, GFP_KERNEL);
}
