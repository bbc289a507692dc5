// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: what a device's DMA looks like, and DEV_QUERY, which reports it:
 * the IOMMU domain and DMA path, swiotlb, the p2pmem a provider publishes,
 * the BARs, the IOMMU group, and the mode p2pscope would use the device in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>

#include "p2pscope_internal.h"

u32 p2pscope_iommu_domain_type(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (!domain)
		return P2PSCOPE_IOMMU_NONE;
	switch (domain->type) {
	case IOMMU_DOMAIN_BLOCKED:
		return P2PSCOPE_IOMMU_BLOCKED;
	case IOMMU_DOMAIN_IDENTITY:
		return P2PSCOPE_IOMMU_IDENTITY;
	case IOMMU_DOMAIN_UNMANAGED:
		return P2PSCOPE_IOMMU_UNMANAGED;
	case IOMMU_DOMAIN_DMA:
		return P2PSCOPE_IOMMU_DMA;
	case IOMMU_DOMAIN_DMA_FQ:
		return P2PSCOPE_IOMMU_DMA_FQ;
	default:
		return P2PSCOPE_IOMMU_OTHER;
	}
}

const char *p2pscope_iommu_domain_name(u32 type)
{
	static const char * const names[] = {
		[P2PSCOPE_IOMMU_NONE]		= "none",
		[P2PSCOPE_IOMMU_BLOCKED]	= "blocked",
		[P2PSCOPE_IOMMU_IDENTITY]	= "identity",
		[P2PSCOPE_IOMMU_UNMANAGED]	= "unmanaged",
		[P2PSCOPE_IOMMU_DMA]		= "DMA",
		[P2PSCOPE_IOMMU_DMA_FQ]		= "DMA-FQ",
		[P2PSCOPE_IOMMU_OTHER]		= "other",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "?";
}

u32 p2pscope_dma_path(struct device *dev)
{
	u32 type = p2pscope_iommu_domain_type(dev);

	/*
	 * dma-iommu is reached through dma_map_ops up to 6.11 and directly
	 * later; either way the device's domain is a DMA API domain.
	 */
	if (type == P2PSCOPE_IOMMU_DMA || type == P2PSCOPE_IOMMU_DMA_FQ)
		return P2PSCOPE_DMA_PATH_IOMMU;
	if (get_dma_ops(dev))
		return P2PSCOPE_DMA_PATH_OPS;
	return P2PSCOPE_DMA_PATH_DIRECT;
}

#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
/*
 * Whether @pdev publishes p2pmem.  pci_has_p2pmem() says so where it is
 * exported; where it is not (static in 7.2), ask pci_p2pmem_find_many(),
 * which considers published providers only, for the one closest to @pdev
 * itself: a device is at distance 0 from itself, every other one at 2 or
 * more, so it finds @pdev exactly when @pdev publishes.  (Not when @pdev's
 * own ACS redirects its requests upstream to a host bridge off the P2PDMA
 * allowlist: such a provider can serve no client, itself included.)  Costs a
 * walk of the PCI devices: for setup and queries, never in a timed path.
 */
/*
 * The p2pmem pool @addr (from pci_alloc_p2pmem()) came from, in bytes: the
 * ranges of its pages' dev_pagemap, which is what the provider published
 * with one pci_p2pdma_add_resource().
 */
u64 p2pscope_p2pmem_pool_bytes(const void *addr)
{
	struct page *page = virt_to_page(addr);
#ifdef P2PSCOPE_HAVE_PAGE_PGMAP
	const struct dev_pagemap *pgmap = page_pgmap(page);
#else
	const struct dev_pagemap *pgmap = page->pgmap;
#endif
	u64 bytes = 0;
	int i;

	for (i = 0; i < pgmap->nr_range; i++)
		bytes += range_len(&pgmap->ranges[i]);
	return bytes;
}

/* Refused (P2PSCOPE_REASON_BUDGET) when a run would hold @held bytes of that pool. */
int p2pscope_check_p2pmem_budget(const void *addr, u64 held,
				 struct pci_dev *provider,
				 struct p2pscope_outcome *out)
{
	u64 pool = p2pscope_p2pmem_pool_bytes(addr);

	if (held <= div_u64(pool * P2PSCOPE_BUDGET_P2PMEM_PCT, 100))
		return 0;
	return p2pscope_refuse(out, P2PSCOPE_REASON_BUDGET, 0,
			       "%llu bytes of p2pmem at once; %s's pool is %llu: %u %% budget",
			       held, pci_name(provider), pool,
			       P2PSCOPE_BUDGET_P2PMEM_PCT);
}

bool p2pscope_p2pmem_published(struct pci_dev *pdev)
{
#ifdef P2PSCOPE_HAVE_PCI_HAS_P2PMEM
	return pci_has_p2pmem(pdev);
#else
	struct device *self = &pdev->dev;
	struct pci_dev *found = pci_p2pmem_find_many(&self, 1);
	bool published = found == pdev;

	pci_dev_put(found);
	return published;
#endif
}
#endif

#ifdef P2PSCOPE_HAVE_SWIOTLB_STATE
/* Whether @dev has swiotlb bounce buffers at all. */
bool p2pscope_swiotlb_active(struct device *dev)
{
#ifdef P2PSCOPE_HAVE_SWIOTLB_ACTIVE
	return is_swiotlb_active(dev);
#else
	/* What is_swiotlb_active() does; it is not exported any more. */
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && READ_ONCE(mem->nslabs);
#endif
}
#endif

static int p2pscope_count_dev(struct device *dev, void *data)
{
	(*(u32 *)data)++;
	return 0;
}

static void p2pscope_query_bars(struct pci_dev *pdev, struct p2pscope_bar *bars)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &pdev->resource[i];
		struct p2pscope_bar *b = &bars[i];

		if (!r->flags || !pci_resource_len(pdev, i))
			continue;
		b->start_phys = pci_resource_start(pdev, i);
		b->bus_addr = pci_bus_address(pdev, i);
		b->len_bytes = pci_resource_len(pdev, i);
		if (r->flags & IORESOURCE_MEM)
			b->flags |= P2PSCOPE_BAR_F_MEM;
		if (r->flags & IORESOURCE_IO)
			b->flags |= P2PSCOPE_BAR_F_IO;
		if (r->flags & IORESOURCE_PREFETCH)
			b->flags |= P2PSCOPE_BAR_F_PREFETCH;
		if (r->flags & IORESOURCE_MEM_64)
			b->flags |= P2PSCOPE_BAR_F_64BIT;
		if ((r->flags & IORESOURCE_MEM) &&
		    pfn_valid(PHYS_PFN(b->start_phys)))
			b->flags |= P2PSCOPE_BAR_F_PAGES;
	}
}

int p2pscope_check_pci_addr(const char *cmd, const char *field,
			    const struct p2pscope_pci_addr *a)
{
	if (a->domain > 0x7fffffff || a->bus > 0xff || a->device > 0x1f ||
	    a->function > 7)
		return p2pscope_einval(cmd, field,
				       "%x:%x:%x.%x (domain <= 0x7fffffff, bus <= 0xff, device <= 0x1f, function <= 7)",
				       a->domain, a->bus, a->device, a->function);
	return 0;
}

long p2pscope_ioctl_dev_query(void __user *argp)
{
	struct p2pscope_outcome why = { };
	struct p2pscope_dev_query *q;
	struct pci_dev *pdev, *peer = NULL;
	struct iommu_group *group;
	struct device *dev;
	long ret;

	q = memdup_user(argp, sizeof(*q));
	if (IS_ERR(q))
		return PTR_ERR(q);
	ret = p2pscope_check_pci_addr("DEV_QUERY", "addr", &q->addr);
	if (ret)
		goto out;
	if (q->flags & ~P2PSCOPE_QUERY_F_PEER) {
		ret = p2pscope_einval("DEV_QUERY", "flags", "0x%x (known: 0x%x)",
				      q->flags, P2PSCOPE_QUERY_F_PEER);
		goto out;
	}
	if (q->flags & P2PSCOPE_QUERY_F_PEER)
		ret = p2pscope_check_pci_addr("DEV_QUERY", "peer", &q->peer);
	else if (memchr_inv(&q->peer, 0, sizeof(q->peer)))
		ret = p2pscope_einval("DEV_QUERY", "peer", "%s",
				      "set without P2PSCOPE_QUERY_F_PEER (must be zero)");
	if (ret)
		goto out;
	if (q->reserved0 || memchr_inv(q->reserved, 0, sizeof(q->reserved))) {
		ret = p2pscope_einval("DEV_QUERY", "reserved", "%s",
				      "non-zero (must be zero)");
		goto out;
	}

	pdev = p2pscope_pci_get(&q->addr);
	if (!pdev) {
		ret = -ENODEV;
		goto out;
	}
	if (q->flags & P2PSCOPE_QUERY_F_PEER) {
		peer = p2pscope_pci_get(&q->peer);
		if (!peer) {
			ret = -ENODEV;
			goto put;
		}
	}
	dev = &pdev->dev;

	memset((u8 *)q + offsetof(struct p2pscope_dev_query, mode), 0,
	       offsetof(struct p2pscope_dev_query, reserved) -
	       offsetof(struct p2pscope_dev_query, mode));

	device_lock(dev);
	q->mode = p2pscope_mode_of(pdev, &why);
	q->mode_reason = why.status;
	if (dev->driver) {
		q->dev_flags |= P2PSCOPE_DEV_F_BOUND;
		strscpy(q->driver, dev->driver->name, sizeof(q->driver));
	}
	device_unlock(dev);
	if (p2pscope_held(pdev, true))
		q->dev_flags |= P2PSCOPE_DEV_F_RUNNING;

	q->vendor_id = pdev->vendor;
	q->device_id = pdev->device;
	q->class_code = pdev->class;
	q->numa_node = dev_to_node(dev) == NUMA_NO_NODE ? P2PSCOPE_NONE_U32 :
		       dev_to_node(dev);
	q->iommu_domain_type = p2pscope_iommu_domain_type(dev);
	q->iommu_group = P2PSCOPE_NONE_U32;
	group = iommu_group_get(dev);
	if (group) {
		q->iommu_group = iommu_group_id(group);
		iommu_group_for_each_dev(group, &q->iommu_group_devices,
					 p2pscope_count_dev);
		iommu_group_put(group);
	}
	if (device_iommu_mapped(dev))
		q->dev_flags |= P2PSCOPE_DEV_F_IOMMU_MAPPED;
	q->dma_path = p2pscope_dma_path(dev);
	q->dma_mask = dev->dma_mask ? dma_get_mask(dev) : 0;
	q->coherent_dma_mask = dev->coherent_dma_mask;
	q->max_mapping_size_bytes = dma_max_mapping_size(dev);
	q->opt_mapping_size_bytes = dma_opt_mapping_size(dev);
	q->max_segment_size_bytes = dma_get_max_seg_size(dev);
	q->segment_boundary_mask = dma_get_seg_boundary(dev);
	q->merge_boundary_mask = dma_get_merge_boundary(dev);
	if (dev_is_dma_coherent(dev))
		q->dev_flags |= P2PSCOPE_DEV_F_DMA_COHERENT;
#ifdef P2PSCOPE_HAVE_SWIOTLB_STATE
	if (p2pscope_swiotlb_active(dev))
		q->dev_flags |= P2PSCOPE_DEV_F_SWIOTLB_ACTIVE;
	if (is_swiotlb_force_bounce(dev))
		q->dev_flags |= P2PSCOPE_DEV_F_SWIOTLB_FORCE;
#endif
#ifdef P2PSCOPE_HAVE_DMA_PCI_P2PDMA_SUPPORTED
	if (dma_pci_p2pdma_supported(dev))
		q->dev_flags |= P2PSCOPE_DEV_F_P2PDMA_CLIENT;
#endif
	q->p2p_distance = P2PSCOPE_NONE_U32;
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	if (p2pscope_p2pmem_published(pdev))
		q->dev_flags |= P2PSCOPE_DEV_F_P2PMEM_PUBLISHED;
	if (peer) {
		int dist = pci_p2pdma_distance(peer, dev, false);

		if (dist >= 0)
			q->p2p_distance = dist;
	}
#endif
	p2pscope_query_bars(pdev, q->bars);

	ret = copy_to_user(argp, q, sizeof(*q)) ? -EFAULT : 0;
	pci_dev_put(peer);
put:
	pci_dev_put(pdev);
out:
	kfree(q);
	return ret;
}
