// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_IMPORT_NS_TOKEN: MODULE_IMPORT_NS() takes a bare token
 * (before Linux 6.13); later kernels want a string literal and reject this.
 */
#include <linux/module.h>

MODULE_IMPORT_NS(DMA_BUF);
