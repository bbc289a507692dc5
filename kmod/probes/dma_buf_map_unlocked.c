// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_BUF_MAP_UNLOCKED: dma_buf_map_attachment_unlocked(),
 * which takes the reservation lock itself (Linux 6.2, backported to 6.1.y).
 */
#include <linux/dma-buf.h>
#include <linux/err.h>

static int __used p2pscope_probe(struct dma_buf_attachment *att)
{
	struct sg_table *sgt = dma_buf_map_attachment_unlocked(att, DMA_TO_DEVICE);

	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_TO_DEVICE);
	return 0;
}
