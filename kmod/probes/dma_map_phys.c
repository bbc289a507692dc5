// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_MAP_PHYS: dma_map_phys / dma_unmap_phys and
 * DMA_ATTR_MMIO of Linux 6.18, with exactly these signatures: a physical
 * range mapped without a struct page, MMIO (a BAR) marked as such.
 */
#include <linux/dma-mapping.h>

static int __used p2pscope_probe(struct device *dev, phys_addr_t phys)
{
	dma_addr_t (*map)(struct device *, phys_addr_t, size_t,
			  enum dma_data_direction, unsigned long) = dma_map_phys;
	void (*unmap)(struct device *, dma_addr_t, size_t,
		      enum dma_data_direction, unsigned long) = dma_unmap_phys;
	dma_addr_t addr = map(dev, phys, PAGE_SIZE, DMA_TO_DEVICE, DMA_ATTR_MMIO);

	if (dma_mapping_error(dev, addr))
		return -EIO;
	unmap(dev, addr, PAGE_SIZE, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	return 0;
}
