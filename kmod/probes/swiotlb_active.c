// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_SWIOTLB_ACTIVE: is_swiotlb_active(dev), whether a device has
 * bounce buffers, and is_swiotlb_force_bounce(dev), whether it bounces
 * everything.  is_swiotlb_active() is not exported any more in 6.12; the
 * swiotlb_mem probe covers those kernels.
 */
#include <linux/swiotlb.h>

#if !IS_ENABLED(CONFIG_SWIOTLB)
#error "kernel built without CONFIG_SWIOTLB"
#endif

static int __used p2pscope_probe(struct device *dev)
{
	return is_swiotlb_active(dev) + is_swiotlb_force_bounce(dev);
}
