// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IOMMU_PAGING_DOMAIN_ALLOC: unmanaged IOMMU domains from
 * iommu_paging_domain_alloc(dev), which returns an ERR_PTR (Linux 6.11).
 * p2pscope-probe-symbols: iommu_paging_domain_alloc_flags iommu_domain_free
 * p2pscope-probe-symbols: iommu_attach_device iommu_detach_device iommu_map iommu_unmap
 */
#include <linux/err.h>
#include <linux/iommu.h>

#if !IS_ENABLED(CONFIG_IOMMU_API)
#error "kernel built without CONFIG_IOMMU_API"
#endif

static int __maybe_unused p2pscope_probe(struct device *dev)
{
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);
	int ret;

	if (IS_ERR(domain))
		return PTR_ERR(domain);
	ret = iommu_attach_device(domain, dev);
	if (!ret)
		iommu_detach_device(domain, dev);
	iommu_domain_free(domain);
	return ret;
}
