// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_SWIOTLB_QUERY: whether a DMA address is a swiotlb bounce
 * slot (is_swiotlb_buffer(dev, phys) on dma_to_phys()), and whether the
 * device bounces everything (is_swiotlb_force_bounce), up to Linux 6.11.
 */
#include <linux/dma-direct.h>
#include <linux/swiotlb.h>

#if !IS_ENABLED(CONFIG_SWIOTLB)
#error "kernel built without CONFIG_SWIOTLB"
#endif

static int __used p2pscope_probe(struct device *dev, dma_addr_t addr)
{
	bool (*buffer)(struct device *, phys_addr_t) = is_swiotlb_buffer;
	bool (*force)(struct device *) = is_swiotlb_force_bounce;

	return buffer(dev, dma_to_phys(dev, addr)) + force(dev) +
		is_swiotlb_active(dev);
}
