// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_DMA_IOVA: the two-step IOVA DMA API of Linux 6.16
 * (dma_iova_try_alloc, dma_iova_link, dma_iova_sync, dma_iova_unlink,
 * dma_iova_free, dma_iova_destroy), with exactly these signatures.
 */
#include <linux/dma-mapping.h>

#if !IS_ENABLED(CONFIG_IOMMU_DMA)
#error "kernel built without CONFIG_IOMMU_DMA (dma_iova_* are stubs)"
#endif

static int __used p2pscope_probe(struct device *dev, phys_addr_t phys)
{
	bool (*try_alloc)(struct device *, struct dma_iova_state *,
			  phys_addr_t, size_t) = dma_iova_try_alloc;
	int (*link)(struct device *, struct dma_iova_state *, phys_addr_t,
		    size_t, size_t, enum dma_data_direction,
		    unsigned long) = dma_iova_link;
	int (*sync)(struct device *, struct dma_iova_state *, size_t,
		    size_t) = dma_iova_sync;
	void (*unlink)(struct device *, struct dma_iova_state *, size_t,
		       size_t, enum dma_data_direction,
		       unsigned long) = dma_iova_unlink;
	void (*free)(struct device *, struct dma_iova_state *) = dma_iova_free;
	void (*destroy)(struct device *, struct dma_iova_state *, size_t,
			enum dma_data_direction, unsigned long) = dma_iova_destroy;
	struct dma_iova_state state = { };
	dma_addr_t addr;
	int ret;

	if (!try_alloc(dev, &state, phys, PAGE_SIZE))
		return -EOPNOTSUPP;
	if (!dma_use_iova(&state))
		return -EINVAL;
	addr = state.addr;
	ret = link(dev, &state, phys, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
	if (!ret)
		ret = sync(dev, &state, 0, PAGE_SIZE);
	if (!ret)
		unlink(dev, &state, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
	free(dev, &state);
	destroy(dev, &state, 0, DMA_TO_DEVICE, 0);
	return ret + (int)addr;
}
