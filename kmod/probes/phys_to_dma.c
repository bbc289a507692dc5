// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_PHYS_TO_DMA: bounce detection by address, without swiotlb
 * internals (is_swiotlb_buffer() is gone in 6.12).  A mapping that did not
 * bounce carries the buffer's own address: on the direct path the DMA
 * address is phys_to_dma() of the buffer (dma-direct.h, inline); behind an
 * IOMMU DMA domain iommu_iova_to_phys() takes the IOVA back to the buffer.
 * A bounced one points at the bounce slot instead.
 */
#include <linux/dma-direct.h>
#include <linux/iommu.h>

static int __used p2pscope_probe(struct device *dev, dma_addr_t addr,
				 phys_addr_t phys)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (domain && (domain->type & __IOMMU_DOMAIN_PAGING))
		return iommu_iova_to_phys(domain, addr) != phys;
	return addr != phys_to_dma(dev, phys);
}
