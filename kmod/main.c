// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: kernel helper for characterising PCIe P2P DMA paths.
 *
 * /dev/p2pscope (root only) takes the ioctls of uapi/p2pscope.h.  This file
 * holds the module's entry points, the character device and the commands
 * that only describe the module and the kernel (VERSION, CAPS).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#include "p2pscope_internal.h"

bool p2pscope_allow_borrowed;
module_param_named(allow_borrowed, p2pscope_allow_borrowed, bool, 0644);
MODULE_PARM_DESC(allow_borrowed,
		 "Allow map/unmap measurements on devices bound to other drivers (default: no)");

int p2pscope_refuse(struct p2pscope_outcome *out, u32 status, int err,
		    const char *fmt, ...)
{
	va_list args;

	/* The first reason found is the one reported. */
	if (out->status != P2PSCOPE_REASON_NONE)
		return P2PSCOPE_REFUSED;
	out->status = status;
	out->error = err < 0 ? -err : err;
	va_start(args, fmt);
	vscnprintf(out->text, sizeof(out->text), fmt, args);
	va_end(args);
	return P2PSCOPE_REFUSED;
}

void p2pscope_stamp(char *release, size_t release_len, char *version,
		    size_t version_len)
{
	strscpy(release, utsname()->release, release_len);
	strscpy(version, P2PSCOPE_MODULE_VERSION, version_len);
}

static long p2pscope_ioctl_version(void __user *argp)
{
	struct p2pscope_version v;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (!p2pscope_zero(v.reserved, sizeof(v.reserved)))
		return p2pscope_einval("VERSION", "reserved", "%s",
				       "non-zero (must be zero)");
	memset(&v, 0, sizeof(v));
	v.abi_major = P2PSCOPE_ABI_MAJOR;
	v.abi_minor = P2PSCOPE_ABI_MINOR;
	strscpy(v.module_version, P2PSCOPE_MODULE_VERSION,
		sizeof(v.module_version));
	strscpy(v.kernel_release, utsname()->release, sizeof(v.kernel_release));
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

static u64 p2pscope_features(void)
{
	u64 f = 0;

#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	f |= P2PSCOPE_FEAT_P2PDMA;
#endif
#ifdef P2PSCOPE_HAVE_DMA_BUF
	f |= P2PSCOPE_FEAT_DMABUF;
#endif
#ifdef P2PSCOPE_HAVE_DMA_BUF_MAP_UNLOCKED
	f |= P2PSCOPE_FEAT_DMABUF_UNLOCKED;
#endif
#ifdef P2PSCOPE_HAVE_DMA_ALLOC_NONCONTIGUOUS
	f |= P2PSCOPE_FEAT_ALLOC_NONCONTIG;
#endif
#ifdef P2PSCOPE_HAVE_DMA_IOVA
	f |= P2PSCOPE_FEAT_DMA_IOVA;
#endif
#ifdef P2PSCOPE_HAVE_DMA_MAP_PHYS
	f |= P2PSCOPE_FEAT_DMA_MAP_PHYS;
#if defined(P2PSCOPE_HAVE_DMA_IOVA)
	f |= P2PSCOPE_FEAT_DMA_ATTR_MMIO;
#endif
#endif
#if defined(P2PSCOPE_HAVE_IOMMU_DOMAIN_ALLOC_BUS) || \
	defined(P2PSCOPE_HAVE_IOMMU_PAGING_DOMAIN_ALLOC)
	f |= P2PSCOPE_FEAT_IOMMU_UNMANAGED;
#endif
#ifdef P2PSCOPE_HAVE_PHYS_TO_DMA
	f |= P2PSCOPE_FEAT_SWIOTLB_QUERY;
#endif
#ifdef P2PSCOPE_HAVE_CC_PLATFORM
	f |= P2PSCOPE_FEAT_CC_PLATFORM;
#endif
#if defined(P2PSCOPE_HAVE_SG_IS_DMA_BUS_ADDRESS) || \
	defined(P2PSCOPE_HAVE_SG_DMA_IS_BUS_ADDRESS)
	if (IS_ENABLED(CONFIG_PCI_P2PDMA))
		f |= P2PSCOPE_FEAT_SG_BUS_ADDRESS;
#endif
	return f;
}

static u64 p2pscope_platform(void)
{
	u64 p = 0;

#ifdef P2PSCOPE_HAVE_CC_PLATFORM
	if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		p |= P2PSCOPE_PLAT_MEM_ENCRYPT;
#endif
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG))
		p |= P2PSCOPE_PLAT_DMA_API_DEBUG;
	if (IS_ENABLED(CONFIG_KASAN))
		p |= P2PSCOPE_PLAT_KASAN;
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		p |= P2PSCOPE_PLAT_LOCKDEP;
	if (IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		p |= P2PSCOPE_PLAT_KMEMLEAK;
	if (READ_ONCE(p2pscope_allow_borrowed))
		p |= P2PSCOPE_PLAT_ALLOW_BORROWED;
	return p;
}

static long p2pscope_ioctl_caps(void __user *argp)
{
	struct p2pscope_caps *c;
	const char *why;
	long ret;
	u32 i;

	c = memdup_user(argp, sizeof(*c));
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (c->reserved0 || !p2pscope_zero(c->reserved, sizeof(c->reserved))) {
		ret = p2pscope_einval("CAPS", "reserved", "%s",
				      "non-zero (must be zero)");
		goto out;
	}
	memset(c, 0, sizeof(*c));
	c->features = p2pscope_features();
	c->platform = p2pscope_platform();
	c->online_cpus = num_online_cpus();
	c->max_threads = c->online_cpus;
	c->max_duration_ns = P2PSCOPE_MAX_DURATION_NS;
	c->max_iterations = P2PSCOPE_MAX_ITERATIONS;
	c->max_size_bytes = P2PSCOPE_MAX_SIZE_BYTES;
	c->max_segments = P2PSCOPE_MAX_SEGMENTS;
	c->max_hold_ns = P2PSCOPE_MAX_HOLD_NS;
	c->hist_buckets = P2PSCOPE_HIST_BUCKETS;
	c->hist_sub_bits = P2PSCOPE_HIST_SUB_BITS;
	c->default_clock = p2pscope_default_clock();
	c->budget_swiotlb_pct = P2PSCOPE_BUDGET_SWIOTLB_PCT;
	c->budget_iova_pct = P2PSCOPE_BUDGET_IOVA_PCT;
	c->budget_p2pmem_pct = P2PSCOPE_BUDGET_P2PMEM_PCT;
	c->budget_dma_alloc_pct = P2PSCOPE_BUDGET_DMA_ALLOC_PCT;
	for (i = P2PSCOPE_CLOCK_LOCAL; i < P2PSCOPE_CLOCK_COUNT; i++)
		c->timer_overhead_ns[i] =
			DIV_ROUND_CLOSEST_ULL(p2pscope_timer_overhead_ps(i), 1000);
	for (i = 0; i < ARRAY_SIZE(c->api_reason); i++)
		c->api_reason[i] = i && i < P2PSCOPE_API_COUNT ?
			p2pscope_api_unavailable(i, &why) : P2PSCOPE_NONE_U32;
	for (i = 0; i < ARRAY_SIZE(c->mem_reason); i++)
		c->mem_reason[i] = i && i < P2PSCOPE_MEM_COUNT ?
			p2pscope_mem_unavailable(i, &why) : P2PSCOPE_NONE_U32;
	ret = copy_to_user(argp, c, sizeof(*c)) ? -EFAULT : 0;
out:
	kfree(c);
	return ret;
}

static long p2pscope_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case P2PSCOPE_IOC_VERSION:
	case P2PSCOPE_IOC_CAPS:
	case P2PSCOPE_IOC_DEV_QUERY:
	case P2PSCOPE_IOC_MAP_BENCH:
	case P2PSCOPE_IOC_XFER_BLOCK:
	case P2PSCOPE_IOC_XFER_DMA:
		break;
	default:
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case P2PSCOPE_IOC_VERSION:
		return p2pscope_ioctl_version(argp);
	case P2PSCOPE_IOC_CAPS:
		return p2pscope_ioctl_caps(argp);
	case P2PSCOPE_IOC_DEV_QUERY:
		return p2pscope_ioctl_dev_query(argp);
	case P2PSCOPE_IOC_XFER_BLOCK:
		return p2pscope_ioctl_xfer_block(argp);
	case P2PSCOPE_IOC_XFER_DMA:
		return p2pscope_ioctl_xfer_dma(argp);
	default:
		return p2pscope_ioctl_map_bench(argp);
	}
}

static int p2pscope_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static const struct file_operations p2pscope_fops = {
	.owner		= THIS_MODULE,
	.open		= p2pscope_open,
	.unlocked_ioctl	= p2pscope_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice p2pscope_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "p2pscope",
	.fops	= &p2pscope_fops,
	.mode	= 0600,
};

/* The layout of the UAPI structures is part of the ABI: keep it fixed. */
static void __init p2pscope_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct p2pscope_pci_addr) != 16);
	BUILD_BUG_ON(sizeof(struct p2pscope_version) != 176);
	BUILD_BUG_ON(sizeof(struct p2pscope_caps) != 360);
	BUILD_BUG_ON(sizeof(struct p2pscope_bar) != 32);
	BUILD_BUG_ON(sizeof(struct p2pscope_dev_query) != 432);
	BUILD_BUG_ON(sizeof(struct p2pscope_stats) != 32);
	BUILD_BUG_ON(sizeof(struct p2pscope_map_bench) != 624);
	BUILD_BUG_ON(offsetof(struct p2pscope_map_bench, status) != 192);
	BUILD_BUG_ON(P2PSCOPE_API_COUNT > ARRAY_SIZE(((struct p2pscope_caps *)0)->api_reason));
	BUILD_BUG_ON(P2PSCOPE_MEM_COUNT > ARRAY_SIZE(((struct p2pscope_caps *)0)->mem_reason));
	BUILD_BUG_ON(P2PSCOPE_CLOCK_COUNT > ARRAY_SIZE(((struct p2pscope_caps *)0)->timer_overhead_ns));
	BUILD_BUG_ON(P2PSCOPE_HIST_BUCKETS != 2304);
	BUILD_BUG_ON(sizeof(struct p2pscope_xfer_block) != 608);
	BUILD_BUG_ON(offsetof(struct p2pscope_xfer_block, status) != 152);
	BUILD_BUG_ON(sizeof(struct p2pscope_xfer_dma) != 592);
	BUILD_BUG_ON(offsetof(struct p2pscope_xfer_dma, status) != 144);
}

static int __init p2pscope_init(void)
{
	int ret;

	p2pscope_check_abi();
	ret = p2pscope_xfer_block_init();
	if (ret)
		return ret;
	ret = p2pscope_dev_init();
	if (ret)
		goto fail_dev;
	ret = misc_register(&p2pscope_misc);
	if (ret)
		goto fail_misc;
	pr_info("version %s, ABI %u.%u, features 0x%llx, allow_borrowed=%d\n",
		P2PSCOPE_MODULE_VERSION, P2PSCOPE_ABI_MAJOR, P2PSCOPE_ABI_MINOR,
		p2pscope_features(), p2pscope_allow_borrowed);
	if (p2pscope_test_slowdown_pct)
		pr_warn("test_slowdown_pct=%u: every timed map is made slower, for tests of regression gates only; every result says so\n",
			min(p2pscope_test_slowdown_pct, 1000U));
	return 0;

fail_misc:
	p2pscope_dev_exit();
fail_dev:
	p2pscope_xfer_block_exit();
	return ret;
}

static void __exit p2pscope_exit(void)
{
	misc_deregister(&p2pscope_misc);
	p2pscope_dev_exit();
	p2pscope_xfer_block_exit();
}

module_init(p2pscope_init);
module_exit(p2pscope_exit);

MODULE_DESCRIPTION("p2pscope: PCIe P2P DMA path characterisation helper");
MODULE_AUTHOR("The p2pscope authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PSCOPE_MODULE_VERSION);
#ifdef P2PSCOPE_HAVE_DMA_BUF
#ifdef P2PSCOPE_HAVE_IMPORT_NS_TOKEN
MODULE_IMPORT_NS(DMA_BUF);
#else
MODULE_IMPORT_NS("DMA_BUF");
#endif
#endif
