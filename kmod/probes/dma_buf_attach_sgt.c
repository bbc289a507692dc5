// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_BUF_ATTACH_SGT: the dma-buf core may keep a mapping in the
 * attachment (dma_buf_attachment.sgt): made at attach time when importer and
 * exporter differ in being dynamic, or at the first map when the exporter
 * caches.  Maps after that are lookups (Linux 7.x no longer caches).
 */
#include <linux/dma-buf.h>

static bool __used p2pscope_probe(const struct dma_buf_attachment *att)
{
	return att->sgt != NULL;
}
