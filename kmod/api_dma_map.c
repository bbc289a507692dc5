// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the streaming mappings: dma_map_page, dma_map_single,
 * dma_map_sgtable, dma_map_resource and dma_map_phys (Linux 6.18).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#include "p2pscope_internal.h"
#include "api.h"

/* ---- dma_map_page / dma_map_single -------------------------------------- */

static int p2pscope_map_page(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->addr = dma_map_page_attrs(run->dev, t->segs[0].page,
				     t->segs[0].offset, run->size, run->dir,
				     run->attrs);
	return dma_mapping_error(run->dev, t->addr);
}

static void p2pscope_unmap_page(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_unmap_page_attrs(run->dev, t->addr, run->size, run->dir,
			     run->attrs);
}

static int p2pscope_map_single(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->addr = dma_map_single_attrs(run->dev,
				       page_address(t->segs[0].page) +
				       t->segs[0].offset,
				       run->size, run->dir, run->attrs);
	return dma_mapping_error(run->dev, t->addr);
}

static void p2pscope_unmap_single(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_unmap_single_attrs(run->dev, t->addr, run->size, run->dir,
			       run->attrs);
}

static void p2pscope_inspect_single(struct p2pscope_thread *t)
{
	t->mapped_segments = 1;
	p2pscope_inspect_addr(t, t->addr, t->segs[0].phys);
}

/* ---- dma_map_sgtable ---------------------------------------------------- */

static int p2pscope_map_sgtable(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	return dma_map_sgtable(run->dev, &t->sgt, run->dir, run->attrs);
}

static void p2pscope_unmap_sgtable(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_unmap_sgtable(run->dev, &t->sgt, run->dir, run->attrs);
}

static void p2pscope_inspect_sgtable(struct p2pscope_thread *t)
{
	p2pscope_inspect_sgt(t, &t->sgt);
}

/* ---- dma_map_resource --------------------------------------------------- */

static int p2pscope_map_resource(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->addr = dma_map_resource(run->dev, t->segs[0].phys, run->size,
				   run->dir, run->attrs);
	return dma_mapping_error(run->dev, t->addr);
}

static void p2pscope_unmap_resource(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_unmap_resource(run->dev, t->addr, run->size, run->dir, run->attrs);
}

static void p2pscope_inspect_resource(struct p2pscope_thread *t)
{
	t->mapped_segments = 1;
}

/* ---- dma_map_phys (Linux 6.18) ------------------------------------------ */

#ifdef P2PSCOPE_HAVE_DMA_MAP_PHYS
/* BAR memory has no struct page and must not be touched by the CPU: MMIO */
static int p2pscope_phys_run_setup(struct p2pscope_run *run)
{
	if (run->req->mem == P2PSCOPE_MEM_BAR)
		run->attrs |= DMA_ATTR_MMIO;
	return 0;
}

static int p2pscope_map_phys(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->addr = dma_map_phys(run->dev, t->segs[0].phys, run->size, run->dir,
			       run->attrs);
	return dma_mapping_error(run->dev, t->addr);
}

static void p2pscope_unmap_phys(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_unmap_phys(run->dev, t->addr, run->size, run->dir, run->attrs);
}

static void p2pscope_inspect_phys(struct p2pscope_thread *t)
{
	t->mapped_segments = 1;
	if (t->run->req->mem != P2PSCOPE_MEM_BAR)
		p2pscope_inspect_addr(t, t->addr, t->segs[0].phys);
}
#endif

const struct p2pscope_api p2pscope_api_map_page = {
	.id		= P2PSCOPE_API_MAP_PAGE,
	.name		= "dma_map_page",
	.mem_mask	= MEM_PAGES,
	.takes		= "memory with struct pages from the page allocator (RAM, RAM_HUGE, BOUNCE, ENCRYPTED); P2PDMA pages go through dma_map_sgtable",
	.single_range	= true,
	.map		= p2pscope_map_page,
	.unmap		= p2pscope_unmap_page,
	.inspect	= p2pscope_inspect_single,
};

const struct p2pscope_api p2pscope_api_map_single = {
	.id		= P2PSCOPE_API_MAP_SINGLE,
	.name		= "dma_map_single",
	.mem_mask	= MEM_PAGES,
	.takes		= "kernel-mapped RAM (RAM, RAM_HUGE, BOUNCE, ENCRYPTED)",
	.single_range	= true,
	.map		= p2pscope_map_single,
	.unmap		= p2pscope_unmap_single,
	.inspect	= p2pscope_inspect_single,
};

const struct p2pscope_api p2pscope_api_map_sgtable = {
	.id		= P2PSCOPE_API_MAP_SGTABLE,
	.name		= "dma_map_sgtable",
	.mem_mask	= MEM_PAGES | MEM(P2PMEM),
	.takes		= "memory with struct pages (RAM, RAM_HUGE, BOUNCE, ENCRYPTED, P2PMEM)",
	.builds_sgt	= true,
	.map		= p2pscope_map_sgtable,
	.unmap		= p2pscope_unmap_sgtable,
	.inspect	= p2pscope_inspect_sgtable,
};

const struct p2pscope_api p2pscope_api_map_resource = {
	.id		= P2PSCOPE_API_MAP_RESOURCE,
	.name		= "dma_map_resource",
	.mem_mask	= MEM(BAR),
	.takes		= "a physical MMIO range without struct pages (BAR)",
	.single_range	= true,
	.mmio_only	= true,
	.map		= p2pscope_map_resource,
	.unmap		= p2pscope_unmap_resource,
	.inspect	= p2pscope_inspect_resource,
};

const struct p2pscope_api p2pscope_api_map_phys = {
	.id		= P2PSCOPE_API_MAP_PHYS,
	.name		= "dma_map_phys",
	.mem_mask	= MEM_PAGES | MEM(BAR),
	.takes		= "a physical range: RAM (RAM, RAM_HUGE, BOUNCE, ENCRYPTED) or a BAR without struct pages (BAR, mapped with DMA_ATTR_MMIO); P2PDMA pages need the provider's bookkeeping (pci_p2pdma_state) that p2pscope does not do",
	.single_range	= true,
#ifdef P2PSCOPE_HAVE_DMA_MAP_PHYS
	.run_setup	= p2pscope_phys_run_setup,
	.map		= p2pscope_map_phys,
	.unmap		= p2pscope_unmap_phys,
	.inspect	= p2pscope_inspect_phys,
#else
	.missing	= "kernel has no dma_map_phys / DMA_ATTR_MMIO (Linux 6.18 and later have them)",
#endif
};
