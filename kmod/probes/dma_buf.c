// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_BUF: import a dma-buf by file descriptor, attach a
 * device, map and unmap the attachment (CONFIG_DMA_SHARED_BUFFER).
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>

#if !IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
#error "kernel built without CONFIG_DMA_SHARED_BUFFER"
#endif

static int __used p2pscope_probe(int fd, struct device *dev)
{
	struct dma_buf *buf = dma_buf_get(fd);
	struct dma_buf_attachment *att;
	struct sg_table *sgt;

	if (IS_ERR(buf))
		return PTR_ERR(buf);
	att = dma_buf_attach(buf, dev);
	if (!IS_ERR(att)) {
		dma_resv_lock(buf->resv, NULL);
		sgt = dma_buf_map_attachment(att, DMA_BIDIRECTIONAL);
		if (!IS_ERR(sgt))
			dma_buf_unmap_attachment(att, sgt, DMA_BIDIRECTIONAL);
		dma_resv_unlock(buf->resv);
		dma_buf_detach(buf, att);
	}
	dma_buf_put(buf);
	return 0;
}
