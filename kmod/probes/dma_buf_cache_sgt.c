// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_BUF_CACHE_SGT: an exporter may cache the mapping of an
 * attachment (dma_buf_ops.cache_sgt_mapping): maps after the first are then
 * lookups, and the real unmap happens at detach.
 */
#include <linux/dma-buf.h>

static int __used p2pscope_probe(const struct dma_buf *buf)
{
	return buf->ops->cache_sgt_mapping;
}
