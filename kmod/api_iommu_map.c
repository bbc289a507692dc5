// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the IOMMU API's two steps: an unmanaged paging domain with
 * a fixed IOVA window per thread, then iommu_map / iommu_unmap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "p2pscope_internal.h"
#include "api.h"

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

const struct p2pscope_api p2pscope_api_iommu_domain = {
	.id		= P2PSCOPE_API_IOMMU_DOMAIN,
	.name		= "iommu_map",
	.mem_mask	= MEM(RAM) | MEM(RAM_HUGE) | MEM(ENCRYPTED) |
			  MEM(P2PMEM) | MEM(BAR),
	.takes		= "physical ranges (RAM, RAM_HUGE, ENCRYPTED, P2PMEM, BAR); IOMMU translation never bounces",
	.page_segments	= true,
	.own_domain	= true,
	.exclusive_only	= true,
#ifdef P2PSCOPE_HAVE_UNMANAGED
	.run_setup	= p2pscope_unmanaged_run_setup,
	.run_teardown	= p2pscope_unmanaged_run_teardown,
	.prepare	= p2pscope_unmanaged_prepare,
	.map		= p2pscope_unmanaged_map,
	.unmap		= p2pscope_unmanaged_unmap,
	.inspect	= p2pscope_inspect_linked,
#else
	.missing	= "kernel built without the IOMMU API (CONFIG_IOMMU_API)",
#endif
};
