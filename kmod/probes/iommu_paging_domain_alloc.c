// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IOMMU_PAGING_DOMAIN_ALLOC: unmanaged IOMMU domains from
 * iommu_paging_domain_alloc(dev), which returns an ERR_PTR (Linux 6.11),
 * with the calls the module makes on them (iommu_map's form is probed by
 * iommu_map_gfp).
 */
#include <linux/err.h>
#include <linux/iommu.h>

#if !IS_ENABLED(CONFIG_IOMMU_API)
#error "kernel built without CONFIG_IOMMU_API"
#endif

static int __used p2pscope_probe(struct device *dev, unsigned long iova)
{
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);
	struct iommu_group *group = iommu_group_get(dev);
	void *map = iommu_map;
	LIST_HEAD(regions);
	int ret;

	if (IS_ERR(domain))
		return PTR_ERR(domain);
	if (group) {
		iommu_get_group_resv_regions(group, &regions);
		iommu_put_resv_regions(dev, &regions);
		iommu_group_put(group);
	}
	ret = iommu_attach_device(domain, dev);
	if (!ret) {
		ret = iommu_unmap(domain, iova, PAGE_SIZE) + !map;
		iommu_detach_device(domain, dev);
	}
	iommu_domain_free(domain);
	return ret;
}
