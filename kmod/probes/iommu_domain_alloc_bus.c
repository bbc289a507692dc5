// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IOMMU_DOMAIN_ALLOC_BUS: unmanaged IOMMU domains from
 * iommu_domain_alloc(bus), attached with iommu_attach_device (before 6.13),
 * with the calls the module makes on them (iommu_map's form is probed by
 * iommu_map_gfp).
 */
#include <linux/iommu.h>

#if !IS_ENABLED(CONFIG_IOMMU_API)
#error "kernel built without CONFIG_IOMMU_API"
#endif

static int __used p2pscope_probe(struct device *dev, unsigned long iova)
{
	struct iommu_domain *domain = iommu_domain_alloc(dev->bus);
	struct iommu_group *group = iommu_group_get(dev);
	void *map = iommu_map;
	LIST_HEAD(regions);
	int ret;

	if (!domain)
		return -ENODEV;
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
