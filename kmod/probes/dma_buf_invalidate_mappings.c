// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_BUF_INVALIDATE_MAPPINGS: a dynamic importer's notification
 * that the exporter revokes or moves the buffer is
 * dma_buf_attach_ops.invalidate_mappings (Linux 7.x); before, move_notify.
 */
#include <linux/dma-buf.h>

static void p2pscope_probe_notify(struct dma_buf_attachment *att)
{
}

static const struct dma_buf_attach_ops __used p2pscope_probe_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = p2pscope_probe_notify,
};
