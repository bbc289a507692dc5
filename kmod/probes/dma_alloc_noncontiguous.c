// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_ALLOC_NONCONTIGUOUS: dma_alloc_noncontiguous() and
 * dma_free_noncontiguous() (Linux 5.13).
 */
#include <linux/dma-mapping.h>

static int __used p2pscope_probe(struct device *dev)
{
	struct sg_table *sgt;

	sgt = dma_alloc_noncontiguous(dev, PAGE_SIZE, DMA_BIDIRECTIONAL,
				      GFP_KERNEL, 0);
	if (!sgt)
		return -ENOMEM;
	dma_free_noncontiguous(dev, PAGE_SIZE, sgt, DMA_BIDIRECTIONAL);
	return 0;
}
