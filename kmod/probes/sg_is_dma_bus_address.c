// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_SG_IS_DMA_BUS_ADDRESS: a mapped scatterlist entry tells
 * whether P2PDMA mapped it with a PCI bus address (Linux 6.2, 6.1.y).
 */
#include <linux/scatterlist.h>

static int __used p2pscope_probe(struct scatterlist *sg)
{
	return sg_is_dma_bus_address(sg);
}
