// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the two-step DMA API (Linux 6.16): dma_iova_try_alloc once
 * (or per request), then dma_iova_link every segment and one dma_iova_sync.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "p2pscope_internal.h"
#include "api.h"

/* ---- dma_iova_* two-step API (Linux 6.16) -------------------------------- */

#ifdef P2PSCOPE_HAVE_DMA_IOVA
static int p2pscope_iova_run_setup(struct p2pscope_run *run)
{
	if (p2pscope_dma_path(run->dev) != P2PSCOPE_DMA_PATH_IOMMU)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE, 0,
				       "dma_iova_* needs an IOMMU DMA domain; %s's domain is %s",
				       pci_name(run->pdev),
				       p2pscope_iommu_domain_name(p2pscope_iommu_domain_type(run->dev)));
	run->iova_per_request = run->req->flags & P2PSCOPE_MAP_F_IOVA_PER_REQUEST;
	if (run->req->mem == P2PSCOPE_MEM_BAR) {
#ifdef P2PSCOPE_HAVE_DMA_MAP_PHYS
		/* MMIO: no CPU cache maintenance, IOMMU_MMIO protection */
		run->attrs |= DMA_ATTR_MMIO;
#else
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_KERNEL_SUPPORT, 0,
				       "linking a BAR into IOVA space needs DMA_ATTR_MMIO (Linux 6.18 and later)");
#endif
	}
	return 0;
}

static bool p2pscope_iova_alloc(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	memset(t->iova_state, 0, sizeof(struct dma_iova_state));
	return dma_iova_try_alloc(run->dev, t->iova_state, t->segs[0].phys,
				  run->size);
}

static int p2pscope_iova_prepare(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	struct dma_iova_state *state;

	state = kzalloc(sizeof(*state), GFP_KERNEL);
	if (!state)
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY,
				       -ENOMEM, "no memory for the IOVA state");
	t->iova_state = state;
	/* Per request the space is allocated in every sample; try once here. */
	if (!p2pscope_iova_alloc(t)) {
		kfree(state);
		t->iova_state = NULL;
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE, 0,
				       "dma_iova_try_alloc(%llu bytes) failed for %s: no IOVA-based mapping for this device",
				       run->size, pci_name(run->pdev));
	}
	if (run->iova_per_request)
		dma_iova_free(run->dev, state);
	return 0;
}

static void p2pscope_iova_unprepare(struct p2pscope_thread *t)
{
	if (!t->iova_state)
		return;
	if (!t->run->iova_per_request)
		dma_iova_free(t->run->dev, t->iova_state);
	kfree(t->iova_state);
	t->iova_state = NULL;
}

/*
 * map: (per request: allocate the IOVA space,) link every segment, then one
 * sync (the IOTLB flush) for the range
 */
static int p2pscope_iova_map(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	struct dma_iova_state *state = t->iova_state;
	size_t off = 0;
	unsigned int i;
	int ret = 0;

	if (run->iova_per_request && !p2pscope_iova_alloc(t))
		return -ENOMEM;
	for (i = 0; i < t->nsegs; i++) {
		ret = dma_iova_link(run->dev, state, t->segs[i].phys, off,
				    t->segs[i].len, run->dir, run->attrs);
		if (ret)
			break;
		off += t->segs[i].len;
	}
	if (!ret)
		ret = dma_iova_sync(run->dev, state, 0, off);
	if (ret && run->iova_per_request)
		dma_iova_destroy(run->dev, state, off, run->dir, run->attrs);
	else if (ret && off)
		dma_iova_unlink(run->dev, state, 0, off, run->dir, run->attrs);
	return ret;
}

/* unmap: unlink (reused space) or unlink and free the space (per request) */
static void p2pscope_iova_unmap(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	if (run->iova_per_request)
		dma_iova_destroy(run->dev, t->iova_state, run->size, run->dir,
				 run->attrs);
	else
		dma_iova_unlink(run->dev, t->iova_state, 0, run->size,
				run->dir, run->attrs);
}
#endif

const struct p2pscope_api p2pscope_api_iova_link = {
	.id		= P2PSCOPE_API_IOVA_LINK,
	.name		= "dma_iova_link",
	.mem_mask	= MEM(RAM) | MEM(RAM_HUGE) | MEM(ENCRYPTED) | MEM(BAR),
	.takes		= "RAM (RAM, RAM_HUGE, ENCRYPTED) and BAR ranges (with DMA_ATTR_MMIO); IOMMU translation never bounces, and P2PDMA pages need the provider's bookkeeping (pci_p2pdma_state) that p2pscope does not do",
	.page_segments	= true,
	.holds_iova	= true,
#ifdef P2PSCOPE_HAVE_DMA_IOVA
	.run_setup	= p2pscope_iova_run_setup,
	.prepare	= p2pscope_iova_prepare,
	.unprepare	= p2pscope_iova_unprepare,
	.map		= p2pscope_iova_map,
	.unmap		= p2pscope_iova_unmap,
	.inspect	= p2pscope_inspect_linked,
#else
	.missing	= "kernel has no dma_iova_* two-step API (Linux 6.16 and later with CONFIG_IOMMU_DMA have it)",
#endif
};
