// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: importing a dma-buf: dma_buf_map_attachment, as a plain
 * importer or as a P2P importer of a peer device's memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include "p2pscope_internal.h"
#include "api.h"

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

const struct p2pscope_api p2pscope_api_dmabuf = {
	.id		= P2PSCOPE_API_DMABUF,
	.name		= "dma_buf_map_attachment",
	.mem_mask	= MEM(DMABUF),
	.takes		= "a dma-buf (DMABUF)",
	.decides_segments = true,
#ifdef P2PSCOPE_HAVE_DMA_BUF
	.prepare	= p2pscope_dmabuf_prepare,
	.unprepare	= p2pscope_dmabuf_detach,
	.map		= p2pscope_dmabuf_map,
	.unmap		= p2pscope_dmabuf_unmap,
	.inspect	= p2pscope_dmabuf_inspect,
#else
	.missing	= "kernel built without dma-buf support (CONFIG_DMA_SHARED_BUFFER)",
#endif
};
