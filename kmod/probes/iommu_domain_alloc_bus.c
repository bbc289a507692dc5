// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IOMMU_DOMAIN_ALLOC_BUS: unmanaged IOMMU domains from
 * iommu_domain_alloc(bus), attached with iommu_attach_device (before 6.13).
 * p2pscope-probe-symbols: iommu_domain_alloc iommu_domain_free iommu_attach_device
 * p2pscope-probe-symbols: iommu_detach_device iommu_map iommu_unmap
 */
#include <linux/iommu.h>

#if !IS_ENABLED(CONFIG_IOMMU_API)
#error "kernel built without CONFIG_IOMMU_API"
#endif

static int __maybe_unused p2pscope_probe(struct device *dev)
{
	struct iommu_domain *domain = iommu_domain_alloc(dev->bus);
	int ret;

	if (!domain)
		return -ENODEV;
	ret = iommu_attach_device(domain, dev);
	if (!ret)
		iommu_detach_device(domain, dev);
	iommu_domain_free(domain);
	return ret;
}
