// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMAENGINE_MEMCPY: dmaengine clients (CONFIG_DMA_ENGINE):
 * request a channel by capability, prepare, submit and wait for a memcpy.
 */
#include <linux/dmaengine.h>
#include <linux/err.h>

#if !IS_ENABLED(CONFIG_DMA_ENGINE)
#error "kernel built without CONFIG_DMA_ENGINE"
#endif

static int __used p2pscope_probe(dma_addr_t dst, dma_addr_t src, size_t len)
{
	struct dma_async_tx_descriptor *tx;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	dma_cookie_t cookie;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(chan))
		return PTR_ERR(chan);
	tx = dmaengine_prep_dma_memcpy(chan, dst, src, len, DMA_PREP_INTERRUPT);
	cookie = tx ? dmaengine_submit(tx) : -ENOMEM;
	dma_async_issue_pending(chan);
	if (dma_submit_error(cookie) || dma_sync_wait(chan, cookie) != DMA_COMPLETE)
		cookie = -EIO;
	dma_release_channel(chan);
	return cookie < 0 ? cookie : 0;
}
