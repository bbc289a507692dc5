// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the memory a measurement maps.
 *
 * Run-level setup (in the ioctl's context) decides where memory comes from
 * and refuses, with a reason, what cannot work here.  Every thread then
 * allocates its own buffers on its own NUMA node and describes them as
 * segments; the API code maps segments (or a scatterlist built from them).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/cc_platform.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/topology.h>

#include "p2pscope_internal.h"

#define P2PSCOPE_HUGE_ORDER	(PMD_SHIFT - PAGE_SHIFT)
#define P2PSCOPE_HUGE_SIZE	(PAGE_SIZE << P2PSCOPE_HUGE_ORDER)
/* Pages below the bounce limit tried and set aside before giving up. */
#define P2PSCOPE_BOUNCE_TRIES	64

#define P2PSCOPE_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

static bool p2pscope_mem_is_ram(u32 mem)
{
	return mem == P2PSCOPE_MEM_RAM || mem == P2PSCOPE_MEM_RAM_HUGE ||
	       mem == P2PSCOPE_MEM_BOUNCE || mem == P2PSCOPE_MEM_ENCRYPTED;
}

static int p2pscope_setup_p2pmem(struct p2pscope_run *run)
{
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	struct pci_dev *provider = run->peer;
	int dist;

	if (!provider) {
		provider = pci_p2pmem_find(run->dev);
		if (!provider)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, 0,
					       "no published p2pmem provider has a P2P path to %s (pci_p2pmem_find found none)",
					       pci_name(run->pdev));
		run->peer = provider;	/* takes over the reference */
	}
	dist = pci_p2pdma_distance(provider, run->dev, false);
	run->p2p_distance = dist < 0 ? P2PSCOPE_NONE_U32 : dist;
	return p2pscope_hold_peer(&run->hold, provider, true, &run->out);
#else
	return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_KERNEL_SUPPORT, 0,
			       "kernel built without CONFIG_PCI_P2PDMA");
#endif
}

static int p2pscope_setup_bar(struct p2pscope_run *run)
{
	const struct p2pscope_map_bench *req = run->req;
	struct pci_dev *owner = run->peer;
	u64 off = req->bar_offset_bytes;
	struct resource *r = &owner->resource[req->bar];
	u64 len = pci_resource_len(owner, req->bar);
	unsigned long pfn, first, last;
	u64 span;

	if (!(r->flags & IORESOURCE_MEM) || !len)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
				       "BAR%u of %s is not a memory BAR",
				       req->bar, pci_name(owner));
	/* Like RAM, every thread maps its own range: consecutive slices. */
	run->bar_stride = run->nthreads > 1 ? PAGE_ALIGN(run->size) : run->size;
	span = run->bar_stride * (run->nthreads - 1) + run->size;
	if (off >= len || span > len - off)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
				       "BAR%u of %s has %llu bytes: offset %llu + %u thread(s) x %llu bytes does not fit",
				       req->bar, pci_name(owner), len, off,
				       run->nthreads, run->size);
	run->bar_phys = pci_resource_start(owner, req->bar) + off;
	if (run->api->page_segments && (run->bar_phys & ~PAGE_MASK))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
				       "%s maps whole pages: bar_offset_bytes %llu is not page aligned",
				       run->api->name, off);
	/*
	 * dma_map_resource() is for MMIO without struct pages; it refuses
	 * (with a kernel warning) memory that has them, such as a BAR range
	 * published as p2pmem.  dma_map_phys() and dma_iova_link() with
	 * DMA_ATTR_MMIO would map such pages behind P2PDMA's back (its
	 * provider's reference and map type).  Find out first.
	 */
	if (!run->api->own_domain) {
		first = PHYS_PFN(run->bar_phys);
		last = PHYS_PFN(run->bar_phys + span - 1);
		for (pfn = first; pfn <= last; pfn++) {
			if (!pfn_valid(pfn))
				continue;
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
					       "BAR%u of %s has struct pages at %#llx (p2pmem?): %s takes only page-less MMIO; use mem=P2PMEM",
					       req->bar, pci_name(owner),
					       (u64)PFN_PHYS(pfn), run->api->name);
		}
	}
	return p2pscope_hold_peer(&run->hold, owner, false, &run->out);
}

static int p2pscope_setup_bounce(struct p2pscope_run *run)
{
#ifdef P2PSCOPE_HAVE_SWIOTLB_STATE
	u32 path = p2pscope_dma_path(run->dev);

	if (path == P2PSCOPE_DMA_PATH_IOMMU && !run->pdev->untrusted)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_BOUNCE, 0,
				       "%s's DMA goes through an IOMMU DMA domain (%s): mappings get IOVAs below the mask, nothing bounces",
				       pci_name(run->pdev),
				       p2pscope_iommu_domain_name(p2pscope_iommu_domain_type(run->dev)));
	if (!p2pscope_swiotlb_active(run->dev))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_BOUNCE, 0,
				       "swiotlb is not active for %s: there are no bounce buffers",
				       pci_name(run->pdev));
	if (is_swiotlb_force_bounce(run->dev)) {
		run->bounce_any = true;
		return 0;
	}
	run->bounce_mask = DMA_BIT_MASK(run->req->dma_mask_bits ?: 32);
	return 0;
#else
	return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_KERNEL_SUPPORT, 0,
			       "kernel built without CONFIG_SWIOTLB");
#endif
}

static int p2pscope_setup_dmabuf(struct p2pscope_run *run)
{
#ifdef P2PSCOPE_HAVE_DMA_BUF
	struct dma_buf *buf = dma_buf_get(run->req->dmabuf_fd);

	if (IS_ERR(buf))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DMABUF,
				       PTR_ERR(buf),
				       "fd %d is not a dma-buf (dma_buf_get: %ld)",
				       run->req->dmabuf_fd, PTR_ERR(buf));
	run->dmabuf = buf;
	run->size = buf->size;
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	/* a peer's memory: what the kernel allows between the two */
	if (run->peer) {
		int dist = pci_p2pdma_distance(run->peer, run->dev, false);

		run->p2p_distance = dist < 0 ? P2PSCOPE_NONE_U32 : dist;
	}
#endif
#ifdef P2PSCOPE_HAVE_DMA_BUF_CACHE_SGT
	/*
	 * An exporter that caches the mapping maps once per attachment: to
	 * time the real work, each sample attaches and detaches as well.
	 */
	run->dmabuf_reattach = buf->ops->cache_sgt_mapping;
#endif
	return 0;
#else
	return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_KERNEL_SUPPORT, 0,
			       "kernel built without dma-buf support");
#endif
}

int p2pscope_mem_run_setup(struct p2pscope_run *run)
{
	u32 mem = run->req->mem;

	if (mem == P2PSCOPE_MEM_RAM_HUGE &&
	    (run->seg_len > P2PSCOPE_HUGE_SIZE ||
	     (run->api->single_range && run->size > P2PSCOPE_HUGE_SIZE)))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "a RAM_HUGE range must fit in one %lu-byte page",
				       P2PSCOPE_HUGE_SIZE);
	if (p2pscope_mem_is_ram(mem) && !run->api->allocates &&
	    run->size * run->nthreads >
	    ((u64)totalram_pages() << PAGE_SHIFT) / 2)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_MEMORY, 0,
				       "%u threads x %llu bytes is more than half of the RAM",
				       run->nthreads, run->size);

	switch (mem) {
	case P2PSCOPE_MEM_P2PMEM:
		return p2pscope_setup_p2pmem(run);
	case P2PSCOPE_MEM_BAR:
		return p2pscope_setup_bar(run);
	case P2PSCOPE_MEM_BOUNCE:
		return p2pscope_setup_bounce(run);
	case P2PSCOPE_MEM_DMABUF:
		return p2pscope_setup_dmabuf(run);
	case P2PSCOPE_MEM_ENCRYPTED:
#ifdef P2PSCOPE_HAVE_CC_PLATFORM
		if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
			return 0;
#endif
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_MEM_ENCRYPT, 0,
				       "platform has no memory encryption (cc_platform_has(CC_ATTR_MEM_ENCRYPT) is false)");
	default:
		return 0;
	}
}

void p2pscope_mem_run_teardown(struct p2pscope_run *run)
{
#ifdef P2PSCOPE_HAVE_DMA_BUF
	if (run->dmabuf)
		dma_buf_put(run->dmabuf);
	run->dmabuf = NULL;
#endif
}

/*
 * One page allocation for thread @t.  Bounce memory must lie entirely above
 * the bounce limit: pages below it are set aside (so the allocator does not
 * hand them out again) and freed once a good one is found or we give up.
 */
static struct page *p2pscope_alloc_chunk(struct p2pscope_thread *t,
					 unsigned int order)
{
	struct p2pscope_run *run = t->run;
	int node = cpu_to_node(t->cpu);
	gfp_t gfp = P2PSCOPE_GFP;
	struct page *reject[P2PSCOPE_BOUNCE_TRIES];
	struct page *page = NULL;
	unsigned int n = 0, i;

	if (run->req->mem == P2PSCOPE_MEM_RAM_HUGE)
		gfp |= __GFP_COMP;
	if (run->req->mem != P2PSCOPE_MEM_BOUNCE || run->bounce_any)
		return alloc_pages_node(node, gfp, order);

	while (n < ARRAY_SIZE(reject)) {
		page = alloc_pages_node(node, gfp, order);
		if (!page || page_to_phys(page) > run->bounce_mask)
			break;
		reject[n++] = page;
		page = NULL;
	}
	for (i = 0; i < n; i++)
		__free_pages(reject[i], order);
	return page;
}

static int p2pscope_alloc_ram(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	bool huge = run->req->mem == P2PSCOPE_MEM_RAM_HUGE;
	unsigned int per_chunk, stride, i;
	size_t chunk_len;

	/*
	 * Segments carved from one huge page start on cache lines of their
	 * own: two mappings sharing a cache line break the DMA API's rules
	 * (and DMA-API debugging says so).
	 */
	stride = ALIGN(run->seg_len, max_t(unsigned int, L1_CACHE_BYTES,
					   dma_get_cache_alignment()));
	if (huge) {
		t->chunk_order = P2PSCOPE_HUGE_ORDER;
		per_chunk = P2PSCOPE_HUGE_SIZE / stride;
	} else if (run->api->single_range) {
		t->chunk_order = get_order(run->size);
		per_chunk = 1;
	} else {
		t->chunk_order = get_order(run->seg_len);
		per_chunk = 1;
	}
	chunk_len = PAGE_SIZE << t->chunk_order;
	t->nchunks = DIV_ROUND_UP(t->nsegs, per_chunk);
	t->chunks = kvcalloc(t->nchunks, sizeof(*t->chunks), GFP_KERNEL);
	if (!t->chunks)
		return -ENOMEM;
	for (i = 0; i < t->nchunks; i++) {
		cond_resched();
		t->chunks[i] = p2pscope_alloc_chunk(t, t->chunk_order);
		if (t->chunks[i])
			continue;
		if (run->req->mem == P2PSCOPE_MEM_BOUNCE)
			return p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_BOUNCE, -ENOMEM,
					       "no free RAM above the %u-bit DMA mask for a %zu-byte buffer",
					       fls64(run->bounce_mask), chunk_len);
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY, -ENOMEM,
				       "alloc_pages(order %u) failed on node %d",
				       t->chunk_order, cpu_to_node(t->cpu));
	}
	for (i = 0; i < t->nsegs; i++) {
		struct p2pscope_seg *s = &t->segs[i];
		size_t off = (size_t)(i % per_chunk) * stride;

		s->page = t->chunks[i / per_chunk] + (off >> PAGE_SHIFT);
		s->offset = off & ~PAGE_MASK;
		s->len = run->seg_len;
		s->phys = page_to_phys(s->page) + s->offset;
	}
	return 0;
}

static int p2pscope_alloc_p2pmem(struct p2pscope_thread *t)
{
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	struct p2pscope_run *run = t->run;
	unsigned int i;

	for (i = 0; i < t->nsegs; i++) {
		struct p2pscope_seg *s = &t->segs[i];
		void *addr;

		cond_resched();
		addr = pci_alloc_p2pmem(run->peer, run->seg_len);

		if (!addr)
			return p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY, -ENOMEM,
					       "pci_alloc_p2pmem(%u bytes) failed on %s after %u segments (pool exhausted?)",
					       run->seg_len, pci_name(run->peer), i);
		s->page = virt_to_page(addr);
		s->offset = offset_in_page(addr);
		s->len = run->seg_len;
		s->phys = page_to_phys(s->page) + s->offset;
		/* Other users share the pool: all threads' segments within the budget. */
		if (!i && p2pscope_check_p2pmem_budget(addr,
				(u64)run->nthreads * t->nsegs * run->seg_len,
				run->peer, &t->out))
			return P2PSCOPE_REFUSED;
	}
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

int p2pscope_mem_alloc(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	unsigned int i;
	int ret = 0;

	/* The DMA allocator and the dma-buf exporter bring their own. */
	if (run->api->allocates || run->req->mem == P2PSCOPE_MEM_DMABUF)
		return 0;

	t->nsegs = run->nsegs;
	t->segs = kvcalloc(t->nsegs, sizeof(*t->segs), GFP_KERNEL);
	if (!t->segs)
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY, -ENOMEM,
				       "no memory for %u segment descriptors",
				       t->nsegs);
	switch (run->req->mem) {
	case P2PSCOPE_MEM_P2PMEM:
		ret = p2pscope_alloc_p2pmem(t);
		break;
	case P2PSCOPE_MEM_BAR:
		for (i = 0; i < t->nsegs; i++) {
			t->segs[i].phys = run->bar_phys +
					  (u64)t->idx * run->bar_stride +
					  (u64)i * run->seg_len;
			t->segs[i].len = run->seg_len;
		}
		break;
	default:
		ret = p2pscope_alloc_ram(t);
		break;
	}
	if (ret)
		goto fail;

	if (run->api->builds_sgt) {
		struct scatterlist *sg;

		ret = sg_alloc_table(&t->sgt, t->nsegs, GFP_KERNEL);
		if (ret)
			goto fail;
		t->sgt_built = true;
		for_each_sgtable_sg(&t->sgt, sg, i)
			sg_set_page(sg, t->segs[i].page, t->segs[i].len,
				    t->segs[i].offset);
	}
	return 0;
fail:
	if (ret != P2PSCOPE_REFUSED)
		ret = p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY, ret,
				      "allocating the buffers failed (%d)", ret);
	return ret;
}

void p2pscope_mem_free(struct p2pscope_thread *t)
{
	unsigned int i;

	if (t->sgt_built)
		sg_free_table(&t->sgt);
	t->sgt_built = false;
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	if (t->run->req->mem == P2PSCOPE_MEM_P2PMEM && t->segs) {
		for (i = 0; i < t->nsegs && t->segs[i].page; i++)
			pci_free_p2pmem(t->run->peer,
					page_address(t->segs[i].page) +
					t->segs[i].offset, t->segs[i].len);
	}
#endif
	if (t->chunks) {
		for (i = 0; i < t->nchunks && t->chunks[i]; i++)
			__free_pages(t->chunks[i], t->chunk_order);
	}
	kvfree(t->chunks);
	t->chunks = NULL;
	kvfree(t->segs);
	t->segs = NULL;
}

/* P2PSCOPE_MAP_F_DIRTY: write the buffer as a CPU producer would. */
void p2pscope_mem_dirty(struct p2pscope_thread *t)
{
	unsigned int i;

	for (i = 0; i < t->nsegs; i++)
		memset(page_address(t->segs[i].page) + t->segs[i].offset, 0x66,
		       t->segs[i].len);
}
