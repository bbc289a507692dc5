// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the mapping APIs' table and what they share.
 *
 * Each API is one struct p2pscope_api of ops (as the kernel's
 * dma_map_benchmark does in its newer form, and fio's engines do), in the
 * file of its family: api_dma_map.c (dma_map_page, _single, _sgtable,
 * _resource, _phys), api_dma_alloc.c (dma_alloc_coherent, _noncontiguous),
 * api_dmabuf.c, api_dma_iova.c (dma_iova_*) and api_iommu_map.c (iommu_map
 * on an unmanaged domain).  An API this kernel lacks keeps its row, without
 * ops, and says why in .missing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/dma-direct.h>
#include <linux/iommu.h>
#include <linux/memremap.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include "p2pscope_internal.h"
#include "api.h"

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

void p2pscope_inspect_addr(struct p2pscope_thread *t, dma_addr_t addr,
			   phys_addr_t phys)
{
	bool bounced = false;

	if (p2pscope_check_bounce(t->run->dev, addr, phys, &bounced)) {
		t->bounce_checked = true;
		t->bounced = bounced;
	}
}

void p2pscope_inspect_sgt(struct p2pscope_thread *t, struct sg_table *sgt)
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

/* For the APIs that map every segment into one range of their own. */
void p2pscope_inspect_linked(struct p2pscope_thread *t)
{
	t->mapped_segments = t->nsegs;
}

static const struct p2pscope_api *const p2pscope_apis[P2PSCOPE_API_COUNT] = {
	[P2PSCOPE_API_MAP_PAGE]		= &p2pscope_api_map_page,
	[P2PSCOPE_API_MAP_SINGLE]	= &p2pscope_api_map_single,
	[P2PSCOPE_API_MAP_SGTABLE]	= &p2pscope_api_map_sgtable,
	[P2PSCOPE_API_MAP_RESOURCE]	= &p2pscope_api_map_resource,
	[P2PSCOPE_API_ALLOC_COHERENT]	= &p2pscope_api_alloc_coherent,
	[P2PSCOPE_API_ALLOC_NONCONTIG]	= &p2pscope_api_alloc_noncontig,
	[P2PSCOPE_API_DMABUF]		= &p2pscope_api_dmabuf,
	[P2PSCOPE_API_IOVA_LINK]	= &p2pscope_api_iova_link,
	[P2PSCOPE_API_IOMMU_DOMAIN]	= &p2pscope_api_iommu_domain,
	[P2PSCOPE_API_MAP_PHYS]		= &p2pscope_api_map_phys,
};

const struct p2pscope_api *p2pscope_api_get(u32 id)
{
	if (!id || id >= P2PSCOPE_API_COUNT)
		return NULL;
	return p2pscope_apis[id];
}

u32 p2pscope_api_unavailable(u32 id, const char **why)
{
	const struct p2pscope_api *api = p2pscope_api_get(id);

	if (api && api->map)
		return P2PSCOPE_REASON_NONE;
	*why = api && api->missing ? api->missing : "unknown API";
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
