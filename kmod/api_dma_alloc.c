// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the DMA allocators' own memory: dma_alloc_coherent and
 * dma_alloc_noncontiguous (Linux 5.13).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/gfp.h>

#include "p2pscope_internal.h"
#include "api.h"

/* ---- dma_alloc_coherent ------------------------------------------------- */

static int p2pscope_alloc_coherent(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->cpu_addr = dma_alloc_coherent(run->dev, run->size, &t->addr,
					 GFP_KERNEL | __GFP_NOWARN);
	return t->cpu_addr ? 0 : -ENOMEM;
}

static void p2pscope_free_coherent(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_free_coherent(run->dev, run->size, t->cpu_addr, t->addr);
	t->cpu_addr = NULL;
}

static void p2pscope_inspect_coherent(struct p2pscope_thread *t)
{
	t->mapped_segments = 1;
}

/* ---- dma_alloc_noncontiguous -------------------------------------------- */

#ifdef P2PSCOPE_HAVE_DMA_ALLOC_NONCONTIGUOUS
static int p2pscope_alloc_noncontig(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	t->sgt_out = dma_alloc_noncontiguous(run->dev, run->size, run->dir,
					     GFP_KERNEL | __GFP_NOWARN, 0);
	return t->sgt_out ? 0 : -ENOMEM;
}

static void p2pscope_free_noncontig(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	dma_free_noncontiguous(run->dev, run->size, t->sgt_out, run->dir);
	t->sgt_out = NULL;
}

static void p2pscope_inspect_noncontig(struct p2pscope_thread *t)
{
	t->mapped_segments = t->sgt_out->nents;
}
#endif

const struct p2pscope_api p2pscope_api_alloc_coherent = {
	.id		= P2PSCOPE_API_ALLOC_COHERENT,
	.name		= "dma_alloc_coherent",
	.mem_mask	= MEM(RAM) | MEM(ENCRYPTED),
	.takes		= "the allocator's own RAM (RAM, ENCRYPTED)",
	.single_range	= true,
	.allocates	= true,
	.no_direction	= true,
	.map		= p2pscope_alloc_coherent,
	.unmap		= p2pscope_free_coherent,
	.inspect	= p2pscope_inspect_coherent,
};

const struct p2pscope_api p2pscope_api_alloc_noncontig = {
	.id		= P2PSCOPE_API_ALLOC_NONCONTIG,
	.name		= "dma_alloc_noncontiguous",
	.mem_mask	= MEM(RAM) | MEM(ENCRYPTED),
	.takes		= "the allocator's own RAM (RAM, ENCRYPTED)",
	.decides_segments = true,
	.allocates	= true,
#ifdef P2PSCOPE_HAVE_DMA_ALLOC_NONCONTIGUOUS
	.map		= p2pscope_alloc_noncontig,
	.unmap		= p2pscope_free_noncontig,
	.inspect	= p2pscope_inspect_noncontig,
#else
	.missing	= "kernel has no dma_alloc_noncontiguous (Linux 5.13 and later do)",
#endif
};
