// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_PAGE_PGMAP: page_pgmap(), the dev_pagemap of a ZONE_DEVICE
 * page (6.14 and later; before, the page's pgmap field).
 */
#include <linux/memremap.h>
#include <linux/mm.h>

static struct dev_pagemap * __used p2pscope_probe(struct page *page)
{
	return page_pgmap(page);
}
