// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_CC_PLATFORM: cc_platform_has(CC_ATTR_MEM_ENCRYPT) answers
 * whether the platform encrypts memory (CONFIG_ARCH_HAS_CC_PLATFORM).
 */
#include <linux/cc_platform.h>

#if !IS_ENABLED(CONFIG_ARCH_HAS_CC_PLATFORM)
#error "cc_platform_has() is a stub on this kernel"
#endif

static int __used p2pscope_probe(void)
{
	return cc_platform_has(CC_ATTR_MEM_ENCRYPT);
}
