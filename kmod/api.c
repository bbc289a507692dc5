// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the mapping APIs, one ops table each (as the kernel's
 * dma_map_benchmark does in its newer form, and fio's engines do).
 *
 * map() and unmap() are what the sample loop times; they must not print,
 * allocate p2pscope's own memory, or take locks of p2pscope's own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/memremap.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "p2pscope_internal.h"

#define MEM(x)		BIT(P2PSCOPE_MEM_##x)
#define MEM_PAGES	(MEM(RAM) | MEM(RAM_HUGE) | MEM(BOUNCE) | MEM(ENCRYPTED))

const char *p2pscope_api_name(u32 api)
{
	const struct p2pscope_api *a = p2pscope_api_get(api);

	return a ? a->name : "?";
}

const char *p2pscope_mem_name(u32 mem)
{
	static const char * const names[P2PSCOPE_MEM_COUNT] = {
		[P2PSCOPE_MEM_RAM]		= "RAM",
		[P2PSCOPE_MEM_RAM_HUGE]		= "RAM_HUGE",
		[P2PSCOPE_MEM_P2PMEM]		= "P2PMEM",
		[P2PSCOPE_MEM_BAR]		= "BAR",
		[P2PSCOPE_MEM_BOUNCE]		= "BOUNCE",
		[P2PSCOPE_MEM_DMABUF]		= "DMABUF",
		[P2PSCOPE_MEM_ENCRYPTED]	= "ENCRYPTED",
	};

	return mem && mem < P2PSCOPE_MEM_COUNT ? names[mem] : "?";
}

/*
 * Whether dma-direct or the IOMMU bounced the mapping at @addr of the buffer
 * at CPU physical address @phys through swiotlb; false when this cannot be
 * told.  Bounced or not is read from the address, not from swiotlb's
 * internals: a mapping that did not bounce carries the buffer's own address.
 * On the direct path (no IOMMU, or an identity domain) its DMA address is
 * phys_to_dma() of the buffer, as dma-direct computes it (including the
 * memory-encryption bit and the device's dma_range_map); behind an IOMMU DMA
 * domain the IOVA translates back to the buffer (iommu_iova_to_phys).  A
 * bounced mapping points at a swiotlb slot instead, which is never the
 * buffer.  Other dma_map_ops (Xen, ...) translate in ways of their own: not
 * told.
 */
bool p2pscope_check_bounce(struct device *dev, dma_addr_t addr,
			   phys_addr_t phys, bool *bounced)
{
#ifdef P2PSCOPE_HAVE_PHYS_TO_DMA
	struct iommu_domain *domain;
	phys_addr_t back;

	switch (p2pscope_dma_path(dev)) {
	case P2PSCOPE_DMA_PATH_IOMMU:
		domain = iommu_get_domain_for_dev(dev);
		if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
			return false;
		back = iommu_iova_to_phys(domain, addr);
		if (!back)
			return false;
		*bounced = back != phys;
		return true;
	case P2PSCOPE_DMA_PATH_DIRECT:
		*bounced = addr != phys_to_dma(dev, phys);
		return true;
	default:
		return false;
	}
#else
	return false;
#endif
}

static void p2pscope_inspect_addr(struct p2pscope_thread *t, dma_addr_t addr,
				  phys_addr_t phys)
{
	bool bounced = false;

	if (p2pscope_check_bounce(t->run->dev, addr, phys, &bounced)) {
		t->bounce_checked = true;
		t->bounced = bounced;
	}
}

static void p2pscope_inspect_sgt(struct p2pscope_thread *t,
				 struct sg_table *sgt)
{
	struct scatterlist *sg = sgt->sgl;

	t->mapped_segments = sgt->nents;
	if (!sgt->nents)
		return;
	if (sg_page(sg) && is_pci_p2pdma_page(sg_page(sg))) {
#if defined(P2PSCOPE_HAVE_SG_IS_DMA_BUS_ADDRESS)
		t->p2p_map_type = sg_is_dma_bus_address(sg) ?
			P2PSCOPE_P2P_BUS_ADDR : P2PSCOPE_P2P_THRU_HOST_BRIDGE;
#elif defined(P2PSCOPE_HAVE_SG_DMA_IS_BUS_ADDRESS)
		t->p2p_map_type = sg_dma_is_bus_address(sg) ?
			P2PSCOPE_P2P_BUS_ADDR : P2PSCOPE_P2P_THRU_HOST_BRIDGE;
#else
		t->p2p_map_type = P2PSCOPE_P2P_UNKNOWN;
#endif
		return;
	}
	/* The first DMA segment starts with the first entry's bytes. */
	if (sg_page(sg))
		p2pscope_inspect_addr(t, sg_dma_address(sg), sg_phys(sg));
}

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

/* ---- dma-buf import ----------------------------------------------------- */

#ifdef P2PSCOPE_HAVE_DMA_BUF
/*
 * The exporter revokes the buffer (its device is reset, its memory decoding
 * disabled, or it is unbound) and waits, bounded by our hold, until every
 * mapping is unmapped; maps fail from then on.  Called with the reservation
 * lock held: only note it.
 */
static void p2pscope_dmabuf_revoked(struct dma_buf_attachment *attach)
{
	struct p2pscope_run *run = attach->importer_priv;

	WRITE_ONCE(run->dmabuf_revoked, true);
}

/*
 * A dma-buf of a peer device's memory (a BAR exported by vfio-pci, a GPU's
 * VRAM) is handed only to an importer that declares it can reach peer
 * memory (allow_peer2peer) and gives the buffer back on notice.
 */
static const struct dma_buf_attach_ops p2pscope_dmabuf_p2p_importer = {
	.allow_peer2peer	= true,
#ifdef P2PSCOPE_HAVE_DMA_BUF_INVALIDATE_MAPPINGS
	.invalidate_mappings	= p2pscope_dmabuf_revoked,
#else
	.move_notify		= p2pscope_dmabuf_revoked,
#endif
};

static int p2pscope_dmabuf_attach(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	struct dma_buf_attachment *attach;

	if (run->peer)
		attach = dma_buf_dynamic_attach(run->dmabuf, run->dev,
						&p2pscope_dmabuf_p2p_importer,
						run);
	else
		attach = dma_buf_attach(run->dmabuf, run->dev);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
	t->attach = attach;
	return 0;
}

static void p2pscope_dmabuf_detach(struct p2pscope_thread *t)
{
	if (t->attach)
		dma_buf_detach(t->run->dmabuf, t->attach);
	t->attach = NULL;
}

static int p2pscope_dmabuf_prepare(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	int ret;

	/* Attach once; or, to see if it works, once now and per sample later. */
	ret = p2pscope_dmabuf_attach(t);
	if (ret == -EOPNOTSUPP && !run->peer)
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_DMABUF, ret,
				       "the dma-buf's exporter refused %s as a plain importer (-EOPNOTSUPP): a dma-buf of device memory needs its device named as the peer",
				       pci_name(run->pdev));
	if (ret)
		return p2pscope_refuse(&t->out, P2PSCOPE_REASON_DMABUF, ret,
				       "dma_buf_attach to %s failed (%d)",
				       pci_name(run->pdev), ret);
#ifdef P2PSCOPE_HAVE_DMA_BUF_ATTACH_SGT
	/* The core mapped at attach and keeps it: map per sample to time it. */
	if (((struct dma_buf_attachment *)t->attach)->sgt)
		run->dmabuf_reattach = true;
#endif
	if (run->dmabuf_reattach)
		p2pscope_dmabuf_detach(t);
	return 0;
}

/*
 * map: dma_buf_map_attachment; when the exporter caches mappings, preceded
 * by dma_buf_attach, since only the first map of an attachment maps.
 */
static int p2pscope_dmabuf_map(struct p2pscope_thread *t)
{
	struct sg_table *sgt;
	int ret;

	if (t->run->dmabuf_reattach) {
		ret = p2pscope_dmabuf_attach(t);
		if (ret)
			return ret;
	}
#ifdef P2PSCOPE_HAVE_DMA_BUF_MAP_UNLOCKED
	sgt = dma_buf_map_attachment_unlocked(t->attach, t->run->dir);
#else
	dma_resv_lock(t->run->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(t->attach, t->run->dir);
	dma_resv_unlock(t->run->dmabuf->resv);
#endif
	if (IS_ERR(sgt)) {
		if (t->run->dmabuf_reattach)
			p2pscope_dmabuf_detach(t);
		return PTR_ERR(sgt);
	}
	t->sgt_out = sgt;
	return 0;
}

/* unmap: dma_buf_unmap_attachment, then dma_buf_detach if attached per sample */
static void p2pscope_dmabuf_unmap(struct p2pscope_thread *t)
{
#ifdef P2PSCOPE_HAVE_DMA_BUF_MAP_UNLOCKED
	dma_buf_unmap_attachment_unlocked(t->attach, t->sgt_out, t->run->dir);
#else
	dma_resv_lock(t->run->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(t->attach, t->sgt_out, t->run->dir);
	dma_resv_unlock(t->run->dmabuf->resv);
#endif
	t->sgt_out = NULL;
	if (t->run->dmabuf_reattach)
		p2pscope_dmabuf_detach(t);
}

/*
 * A peer's dma-buf carries DMA addresses only (no pages).  Which path the
 * exporter chose shows in the address: a PCI bus address inside one of the
 * peer's BARs (BUS_ADDR, routed below the host bridge), or an IOVA that the
 * importer's IOMMU translates back into the peer's BAR (THRU_HOST_BRIDGE).
 * dma-iommu reserves the host bridge windows in every IOVA space, so the two
 * cannot be confused.  Without an IOMMU both are the same number on a host
 * bridge without offset: then the route decides, as in the kernel's
 * calc_map_type_and_dist() without ACS redirection (which the kernel sets up
 * only for an IOMMU): a bridge above both devices, or the host bridge.
 */
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
static int p2pscope_peer_bar_of(struct pci_dev *peer, u64 addr,
				bool bus_address)
{
	struct pci_bus_region region;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &peer->resource[i];

		if (!(r->flags & IORESOURCE_MEM) || !resource_size(r))
			continue;
		if (!bus_address) {
			if (addr >= r->start && addr <= r->end)
				return i;
			continue;
		}
		pcibios_resource_to_bus(peer->bus, &region, r);
		if (addr >= region.start && addr <= region.end)
			return i;
	}
	return -1;
}

static bool p2pscope_common_bridge(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up, *bb;

	for (up = pci_upstream_bridge(a); up; up = pci_upstream_bridge(up))
		for (bb = pci_upstream_bridge(b); bb; bb = pci_upstream_bridge(bb))
			if (bb == up)
				return true;
	return false;
}

static u32 p2pscope_dmabuf_p2p_type(struct p2pscope_run *run, dma_addr_t addr)
{
	struct iommu_domain *domain;
	phys_addr_t back;

	if (p2pscope_peer_bar_of(run->peer, addr, true) >= 0) {
		if (p2pscope_dma_path(run->dev) != P2PSCOPE_DMA_PATH_DIRECT)
			return P2PSCOPE_P2P_BUS_ADDR;
		return p2pscope_common_bridge(run->peer, run->pdev) ?
			P2PSCOPE_P2P_BUS_ADDR : P2PSCOPE_P2P_THRU_HOST_BRIDGE;
	}
	if (p2pscope_dma_path(run->dev) != P2PSCOPE_DMA_PATH_IOMMU)
		return P2PSCOPE_P2P_UNKNOWN;
	domain = iommu_get_domain_for_dev(run->dev);
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return P2PSCOPE_P2P_UNKNOWN;
	back = iommu_iova_to_phys(domain, addr);
	return p2pscope_peer_bar_of(run->peer, back, false) >= 0 ?
		P2PSCOPE_P2P_THRU_HOST_BRIDGE : P2PSCOPE_P2P_UNKNOWN;
}
#endif

static void p2pscope_dmabuf_inspect(struct p2pscope_thread *t)
{
	p2pscope_inspect_sgt(t, t->sgt_out);
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	if (t->run->peer && t->sgt_out->nents)
		t->p2p_map_type = p2pscope_dmabuf_p2p_type(t->run,
					sg_dma_address(t->sgt_out->sgl));
#endif
}
#endif

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

/* ---- IOMMU API two-step: unmanaged domain, fixed IOVA windows ------------ */

#if defined(P2PSCOPE_HAVE_IOMMU_PAGING_DOMAIN_ALLOC) || \
	defined(P2PSCOPE_HAVE_IOMMU_DOMAIN_ALLOC_BUS)
#define P2PSCOPE_HAVE_UNMANAGED 1

static int p2pscope_count_group_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static unsigned int p2pscope_group_devices(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	unsigned int n = 0;

	if (group) {
		iommu_group_for_each_dev(group, &n, p2pscope_count_group_dev);
		iommu_group_put(group);
	}
	return n;
}

/* Whether [start, start + len) overlaps a reserved region of the group. */
static bool p2pscope_iova_reserved(struct device *dev, u64 start, u64 len)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct iommu_resv_region *r;
	LIST_HEAD(regions);
	bool hit = false;

	if (!group)
		return false;
	iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry(r, &regions, list) {
		if (start < r->start + r->length && r->start < start + len)
			hit = true;
	}
	iommu_put_resv_regions(dev, &regions);
	iommu_group_put(group);
	return hit;
}

/*
 * One IOVA window per thread, 2 MiB aligned, inside the domain's aperture
 * and the device's DMA mask, clear of reserved regions (MSI, RMRR...).
 */
static int p2pscope_pick_iova(struct p2pscope_run *run,
			      struct iommu_domain *domain)
{
	static const u64 bases[] = { SZ_4G, SZ_16M };
	u64 stride = ALIGN(run->size, SZ_2M);
	u64 total = stride * run->nthreads;
	u64 lo = domain->geometry.aperture_start;
	u64 hi = domain->geometry.aperture_end ?: U64_MAX;
	unsigned int i;

	hi = min_t(u64, hi, dma_get_mask(run->dev));
	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		u64 base = ALIGN(max_t(u64, bases[i], lo), SZ_2M);

		if (base > hi || total - 1 > hi - base)
			continue;
		if (p2pscope_iova_reserved(run->dev, base, total))
			continue;
		run->iova_base = base;
		run->iova_stride = stride;
		return 0;
	}
	return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE, 0,
			       "no free IOVA window of %u x %llu bytes in the domain's aperture [%#llx, %#llx] below the DMA mask",
			       run->nthreads, stride, lo, hi);
}

static int p2pscope_unmanaged_run_setup(struct p2pscope_run *run)
{
	struct iommu_domain *domain;
	int ret;

	if (p2pscope_iommu_domain_type(run->dev) == P2PSCOPE_IOMMU_NONE)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_IOMMU, 0,
				       "device has no IOMMU domain (%s is not behind an enabled IOMMU)",
				       pci_name(run->pdev));
#ifdef P2PSCOPE_HAVE_IOMMU_PAGING_DOMAIN_ALLOC
	domain = iommu_paging_domain_alloc(run->dev);
	if (IS_ERR(domain))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE,
				       PTR_ERR(domain),
				       "iommu_paging_domain_alloc failed (%ld)",
				       PTR_ERR(domain));
#else
	domain = iommu_domain_alloc(run->dev->bus);
	if (!domain)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE,
				       -ENOMEM, "iommu_domain_alloc failed");
#endif
	run->domain = domain;
	ret = p2pscope_pick_iova(run, domain);
	if (ret)
		return ret;
	ret = iommu_attach_device(domain, run->dev);
	if (ret)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IOMMU_UNSUITABLE, ret,
				       "iommu_attach_device failed (%d); the IOMMU group of %s has %u device(s), an unmanaged domain needs one",
				       ret, pci_name(run->pdev),
				       p2pscope_group_devices(run->dev));
	run->domain_attached = true;

	switch (run->dir) {
	case DMA_TO_DEVICE:
		run->iommu_prot = IOMMU_READ;
		break;
	case DMA_FROM_DEVICE:
		run->iommu_prot = IOMMU_WRITE;
		break;
	default:
		run->iommu_prot = IOMMU_READ | IOMMU_WRITE;
		break;
	}
	/* as dma-iommu maps for the device (dma_info_to_prot) */
	if (dev_is_dma_coherent(run->dev))
		run->iommu_prot |= IOMMU_CACHE;
	if (run->req->mem == P2PSCOPE_MEM_BAR ||
	    run->req->mem == P2PSCOPE_MEM_P2PMEM)
		run->iommu_prot |= IOMMU_MMIO;
	return 0;
}

static void p2pscope_unmanaged_run_teardown(struct p2pscope_run *run)
{
	if (run->domain_attached)
		iommu_detach_device(run->domain, run->dev);
	run->domain_attached = false;
	if (run->domain)
		iommu_domain_free(run->domain);
	run->domain = NULL;
}

static int p2pscope_unmanaged_prepare(struct p2pscope_thread *t)
{
	t->iommu_iova = t->run->iova_base + t->idx * t->run->iova_stride;
	return 0;
}

/* map: iommu_map every segment (each call syncs the IOTLB as needed) */
static int p2pscope_unmanaged_map(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	size_t off = 0;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < t->nsegs; i++) {
#ifdef P2PSCOPE_HAVE_IOMMU_MAP_GFP
		ret = iommu_map(run->domain, t->iommu_iova + off,
				t->segs[i].phys, t->segs[i].len,
				run->iommu_prot, GFP_KERNEL);
#else
		ret = iommu_map(run->domain, t->iommu_iova + off,
				t->segs[i].phys, t->segs[i].len,
				run->iommu_prot);
#endif
		if (ret)
			break;
		off += t->segs[i].len;
	}
	if (ret && off)
		iommu_unmap(run->domain, t->iommu_iova, off);
	return ret;
}

/* unmap: one iommu_unmap of the window, with its IOTLB invalidation */
static void p2pscope_unmanaged_unmap(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;

	if (iommu_unmap(run->domain, t->iommu_iova, run->size) != run->size)
		t->unmap_failed = true;
}
#endif

static void __maybe_unused p2pscope_inspect_linked(struct p2pscope_thread *t)
{
	t->mapped_segments = t->nsegs;
}

static const struct p2pscope_api p2pscope_apis[P2PSCOPE_API_COUNT] = {
	[P2PSCOPE_API_MAP_PAGE] = {
		.id		= P2PSCOPE_API_MAP_PAGE,
		.name		= "dma_map_page",
		.mem_mask	= MEM_PAGES,
		.takes		= "memory with struct pages from the page allocator (RAM, RAM_HUGE, BOUNCE, ENCRYPTED); P2PDMA pages go through dma_map_sgtable",
		.single_range	= true,
		.map		= p2pscope_map_page,
		.unmap		= p2pscope_unmap_page,
		.inspect	= p2pscope_inspect_single,
	},
	[P2PSCOPE_API_MAP_SINGLE] = {
		.id		= P2PSCOPE_API_MAP_SINGLE,
		.name		= "dma_map_single",
		.mem_mask	= MEM_PAGES,
		.takes		= "kernel-mapped RAM (RAM, RAM_HUGE, BOUNCE, ENCRYPTED)",
		.single_range	= true,
		.map		= p2pscope_map_single,
		.unmap		= p2pscope_unmap_single,
		.inspect	= p2pscope_inspect_single,
	},
	[P2PSCOPE_API_MAP_SGTABLE] = {
		.id		= P2PSCOPE_API_MAP_SGTABLE,
		.name		= "dma_map_sgtable",
		.mem_mask	= MEM_PAGES | MEM(P2PMEM),
		.takes		= "memory with struct pages (RAM, RAM_HUGE, BOUNCE, ENCRYPTED, P2PMEM)",
		.map		= p2pscope_map_sgtable,
		.unmap		= p2pscope_unmap_sgtable,
		.inspect	= p2pscope_inspect_sgtable,
	},
	[P2PSCOPE_API_MAP_RESOURCE] = {
		.id		= P2PSCOPE_API_MAP_RESOURCE,
		.name		= "dma_map_resource",
		.mem_mask	= MEM(BAR),
		.takes		= "a physical MMIO range without struct pages (BAR)",
		.single_range	= true,
		.map		= p2pscope_map_resource,
		.unmap		= p2pscope_unmap_resource,
		.inspect	= p2pscope_inspect_resource,
	},
	[P2PSCOPE_API_ALLOC_COHERENT] = {
		.id		= P2PSCOPE_API_ALLOC_COHERENT,
		.name		= "dma_alloc_coherent",
		.mem_mask	= MEM(RAM) | MEM(ENCRYPTED),
		.takes		= "the allocator's own RAM (RAM, ENCRYPTED)",
		.single_range	= true,
		.allocates	= true,
		.map		= p2pscope_alloc_coherent,
		.unmap		= p2pscope_free_coherent,
		.inspect	= p2pscope_inspect_coherent,
	},
	[P2PSCOPE_API_ALLOC_NONCONTIG] = {
		.id		= P2PSCOPE_API_ALLOC_NONCONTIG,
		.name		= "dma_alloc_noncontiguous",
		.mem_mask	= MEM(RAM) | MEM(ENCRYPTED),
		.takes		= "the allocator's own RAM (RAM, ENCRYPTED)",
		.allocates	= true,
#ifdef P2PSCOPE_HAVE_DMA_ALLOC_NONCONTIGUOUS
		.map		= p2pscope_alloc_noncontig,
		.unmap		= p2pscope_free_noncontig,
		.inspect	= p2pscope_inspect_noncontig,
#endif
	},
	[P2PSCOPE_API_DMABUF] = {
		.id		= P2PSCOPE_API_DMABUF,
		.name		= "dma_buf_map_attachment",
		.mem_mask	= MEM(DMABUF),
		.takes		= "a dma-buf (DMABUF)",
#ifdef P2PSCOPE_HAVE_DMA_BUF
		.prepare	= p2pscope_dmabuf_prepare,
		.unprepare	= p2pscope_dmabuf_detach,
		.map		= p2pscope_dmabuf_map,
		.unmap		= p2pscope_dmabuf_unmap,
		.inspect	= p2pscope_dmabuf_inspect,
#endif
	},
	[P2PSCOPE_API_IOVA_LINK] = {
		.id		= P2PSCOPE_API_IOVA_LINK,
		.name		= "dma_iova_link",
		.mem_mask	= MEM(RAM) | MEM(RAM_HUGE) | MEM(ENCRYPTED) | MEM(BAR),
		.takes		= "RAM (RAM, RAM_HUGE, ENCRYPTED) and BAR ranges (with DMA_ATTR_MMIO); IOMMU translation never bounces, and P2PDMA pages need the provider's bookkeeping (pci_p2pdma_state) that p2pscope does not do",
		.page_segments	= true,
#ifdef P2PSCOPE_HAVE_DMA_IOVA
		.run_setup	= p2pscope_iova_run_setup,
		.prepare	= p2pscope_iova_prepare,
		.unprepare	= p2pscope_iova_unprepare,
		.map		= p2pscope_iova_map,
		.unmap		= p2pscope_iova_unmap,
		.inspect	= p2pscope_inspect_linked,
#endif
	},
	[P2PSCOPE_API_IOMMU_DOMAIN] = {
		.id		= P2PSCOPE_API_IOMMU_DOMAIN,
		.name		= "iommu_map",
		.mem_mask	= MEM(RAM) | MEM(RAM_HUGE) | MEM(ENCRYPTED) |
				  MEM(P2PMEM) | MEM(BAR),
		.takes		= "physical ranges (RAM, RAM_HUGE, ENCRYPTED, P2PMEM, BAR); IOMMU translation never bounces",
		.page_segments	= true,
		.exclusive_only	= true,
#ifdef P2PSCOPE_HAVE_UNMANAGED
		.run_setup	= p2pscope_unmanaged_run_setup,
		.run_teardown	= p2pscope_unmanaged_run_teardown,
		.prepare	= p2pscope_unmanaged_prepare,
		.map		= p2pscope_unmanaged_map,
		.unmap		= p2pscope_unmanaged_unmap,
		.inspect	= p2pscope_inspect_linked,
#endif
	},
	[P2PSCOPE_API_MAP_PHYS] = {
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
#endif
	},
};

const struct p2pscope_api *p2pscope_api_get(u32 id)
{
	if (!id || id >= P2PSCOPE_API_COUNT)
		return NULL;
	return &p2pscope_apis[id];
}

u32 p2pscope_api_unavailable(u32 id, const char **why)
{
	const struct p2pscope_api *api = p2pscope_api_get(id);

	if (api && api->map)
		return P2PSCOPE_REASON_NONE;
	switch (id) {
	case P2PSCOPE_API_ALLOC_NONCONTIG:
		*why = "kernel has no dma_alloc_noncontiguous (Linux 5.13 and later do)";
		break;
	case P2PSCOPE_API_DMABUF:
		*why = "kernel built without dma-buf support (CONFIG_DMA_SHARED_BUFFER)";
		break;
	case P2PSCOPE_API_IOVA_LINK:
		*why = "kernel has no dma_iova_* two-step API (Linux 6.16 and later with CONFIG_IOMMU_DMA have it)";
		break;
	case P2PSCOPE_API_IOMMU_DOMAIN:
		*why = "kernel built without the IOMMU API (CONFIG_IOMMU_API)";
		break;
	case P2PSCOPE_API_MAP_PHYS:
		*why = "kernel has no dma_map_phys / DMA_ATTR_MMIO (Linux 6.18 and later have them)";
		break;
	default:
		*why = "unknown API";
		break;
	}
	return P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
}

u32 p2pscope_mem_unavailable(u32 mem, const char **why)
{
	switch (mem) {
#ifndef P2PSCOPE_HAVE_PCI_P2PDMA
	case P2PSCOPE_MEM_P2PMEM:
		*why = "kernel built without CONFIG_PCI_P2PDMA";
		return P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
#endif
#ifndef P2PSCOPE_HAVE_DMA_BUF
	case P2PSCOPE_MEM_DMABUF:
		*why = "kernel built without dma-buf support (CONFIG_DMA_SHARED_BUFFER)";
		return P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
#endif
#ifndef P2PSCOPE_HAVE_SWIOTLB_STATE
	case P2PSCOPE_MEM_BOUNCE:
		*why = "kernel built without CONFIG_SWIOTLB, or its swiotlb state is unknown to p2pscope";
		return P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
#endif
	case P2PSCOPE_MEM_ENCRYPTED:
#ifdef P2PSCOPE_HAVE_CC_PLATFORM
		if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
			return P2PSCOPE_REASON_NONE;
#endif
		*why = "platform has no memory encryption";
		return P2PSCOPE_REASON_NO_MEM_ENCRYPT;
	default:
		return P2PSCOPE_REASON_NONE;
	}
}
