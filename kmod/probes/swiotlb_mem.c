// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_SWIOTLB_MEM: a device's swiotlb (dev->dma_io_tlb_mem, struct
 * io_tlb_mem of linux/swiotlb.h) can be asked whether it has slots, which is
 * all is_swiotlb_active() does, where that is not exported (6.12 and later);
 * and is_swiotlb_force_bounce(dev), inline, whether it bounces everything.
 */
#include <linux/device.h>
#include <linux/swiotlb.h>

#if !IS_ENABLED(CONFIG_SWIOTLB)
#error "kernel built without CONFIG_SWIOTLB"
#endif

static int __used p2pscope_probe(struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return (mem && READ_ONCE(mem->nslabs)) + is_swiotlb_force_bounce(dev);
}
