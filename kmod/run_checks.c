// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: MAP_BENCH's checks of whether a request can run here, before
 * anything is mapped: what the request, the kernel and the mode decide
 * alone, then (once the DMA mask is set) the device's limits and the
 * budgets of what other drivers share.  A refusal carries its reason.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/swiotlb.h>

#include "p2pscope_internal.h"

/* What can be decided from the request, the kernel and the mode alone. */
int p2pscope_check_request(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	u32 mem = run->req->mem;
	const char *why = "";
	u32 reason;

	reason = p2pscope_api_unavailable(api->id, &why);
	if (reason)
		return p2pscope_refuse(&run->out, reason, 0, "%s: %s",
				       api->name, why);
	reason = p2pscope_mem_unavailable(mem, &why);
	if (reason)
		return p2pscope_refuse(&run->out, reason, 0, "%s memory: %s",
				       p2pscope_mem_name(mem), why);
	if (!(api->mem_mask & BIT(mem)))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "%s does not take %s memory: it takes %s",
				       api->name, p2pscope_mem_name(mem),
				       api->takes);
	if ((run->req->flags & P2PSCOPE_MAP_F_DIRTY) &&
	    (api->allocates || mem == P2PSCOPE_MEM_P2PMEM ||
	     mem == P2PSCOPE_MEM_BAR || mem == P2PSCOPE_MEM_DMABUF))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "P2PSCOPE_MAP_F_DIRTY needs RAM that p2pscope allocates, not %s memory with %s",
				       p2pscope_mem_name(mem), api->name);
	/*
	 * All threads map the same dma-buf.  DMA-API debugging counts such
	 * overlapping mappings (and complains about them unless the exporter
	 * skips CPU syncs, and beyond 7 in any case): keep to one thread.
	 */
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG) && mem == P2PSCOPE_MEM_DMABUF &&
	    run->nthreads > 1)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "with DMA-API debugging on, one thread at a time maps a dma-buf (its mappings would overlap)");
	if ((run->req->flags & P2PSCOPE_MAP_F_IOVA_PER_REQUEST) &&
	    !api->holds_iova)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "P2PSCOPE_MAP_F_IOVA_PER_REQUEST is for dma_iova_link, not %s",
				       api->name);
	if (api->page_segments && run->seg_len % PAGE_SIZE)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "%s links whole pages: a segment of %u bytes is not a multiple of %lu",
				       api->name, run->seg_len, PAGE_SIZE);
	if (run->mode == P2PSCOPE_MODE_BORROWED && api->exclusive_only)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NEEDS_EXCLUSIVE, 0,
				       "%s attaches its own IOMMU domain to the device: bind %s to p2pscope (exclusive mode)",
				       api->name, pci_name(run->pdev));
	return 0;
}

/*
 * A run holds its mappings for up to 60 s.  What it maps at once (threads x
 * size) must leave most of what other drivers share to them: the device's
 * swiotlb pool when its streaming mappings bounce (BOUNCE memory, or every
 * mapping under swiotlb=force, as in an encrypted guest), and the IOVA space
 * below its DMA mask behind an IOMMU (a 32-bit device's is 4 GiB for all its
 * users).  An API with a domain of its own (own_domain) takes neither.
 */
static int p2pscope_check_budgets(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	struct device *dev = run->dev;
	u64 held = (u64)run->nthreads * run->size;
	struct sysinfo ram;
	u64 budget;

	/* The DMA allocators take pages (or CMA, which RAM also counts). */
	if (api->allocates) {
		si_meminfo(&ram);
		budget = div_u64((u64)ram.totalram * ram.mem_unit *
				 P2PSCOPE_BUDGET_DMA_ALLOC_PCT, 100);
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes allocated at once by %s; RAM is %llu bytes: %u %% budget",
					       held, api->name,
					       (u64)ram.totalram * ram.mem_unit,
					       P2PSCOPE_BUDGET_DMA_ALLOC_PCT);
	}

#if defined(P2PSCOPE_HAVE_SWIOTLB_MEM) && defined(P2PSCOPE_HAVE_SWIOTLB_STATE)
	/* Pages of RAM bounce; P2P memory maps to a bus address or through the IOMMU. */
	if (!api->allocates && !api->own_domain &&
	    (run->req->mem == P2PSCOPE_MEM_BOUNCE ||
	     (is_swiotlb_force_bounce(dev) && run->req->mem != P2PSCOPE_MEM_P2PMEM &&
	      run->req->mem != P2PSCOPE_MEM_BAR && run->req->mem != P2PSCOPE_MEM_DMABUF))) {
		struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
		u64 pool = mem ? (u64)READ_ONCE(mem->nslabs) << IO_TLB_SHIFT : 0;

		budget = div_u64(pool * P2PSCOPE_BUDGET_SWIOTLB_PCT, 100);
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes mapped at once would bounce; %s's swiotlb pool is %llu: %u %% budget",
					       held, pci_name(run->pdev), pool,
					       P2PSCOPE_BUDGET_SWIOTLB_PCT);
	}
#endif
	if (!api->own_domain &&
	    p2pscope_dma_path(dev) == P2PSCOPE_DMA_PATH_IOMMU) {
		/* (mask + 1) x pct / 100, without overflowing a 64-bit mask */
		budget = div_u64((dma_get_mask(dev) >> 7) + 1, 100) *
			 P2PSCOPE_BUDGET_IOVA_PCT << 7;
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes mapped at once; IOVA space below %s's mask 0x%llx: %u %% budget",
					       held, pci_name(run->pdev),
					       dma_get_mask(dev), P2PSCOPE_BUDGET_IOVA_PCT);
	}
	return 0;
}

/* Limits of the device's DMA, known once the mask is set. */
int p2pscope_check_limits(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	struct device *dev = run->dev;
	size_t max;

	if (api->single_range && !api->allocates && !api->mmio_only) {
		max = dma_max_mapping_size(dev);
		if (run->size > max)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, 0,
					       "%llu bytes is more than %s maps at once for %s (dma_max_mapping_size %zu)",
					       run->size, api->name,
					       pci_name(run->pdev), max);
	}
	if (api->builds_sgt && run->seg_len > dma_get_max_seg_size(dev))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, 0,
				       "a %u-byte segment is longer than %s takes (dma_get_max_seg_size %u)",
				       run->seg_len, pci_name(run->pdev),
				       dma_get_max_seg_size(dev));
	return p2pscope_check_budgets(run);
}
