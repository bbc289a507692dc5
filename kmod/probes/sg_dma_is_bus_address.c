// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_SG_DMA_IS_BUS_ADDRESS: the same as sg_is_dma_bus_address
 * under its later name.
 */
#include <linux/scatterlist.h>

static int __used p2pscope_probe(struct scatterlist *sg)
{
	return sg_dma_is_bus_address(sg);
}
