/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pscope: what the mapping APIs' files (api*.c) share.  The table in
 * api.c names one struct p2pscope_api per UAPI API number.
 */
#ifndef P2PSCOPE_API_H
#define P2PSCOPE_API_H

#include "p2pscope_internal.h"

/* The memory kinds an API maps, as its mem_mask. */
#define MEM(x)		BIT(P2PSCOPE_MEM_##x)
#define MEM_PAGES	(MEM(RAM) | MEM(RAM_HUGE) | MEM(BOUNCE) | MEM(ENCRYPTED))

/* inspect() helpers: bounced or not, P2P map type, segments mapped */
void p2pscope_inspect_addr(struct p2pscope_thread *t, dma_addr_t addr,
			   phys_addr_t phys);
void p2pscope_inspect_sgt(struct p2pscope_thread *t, struct sg_table *sgt);
void p2pscope_inspect_linked(struct p2pscope_thread *t);

extern const struct p2pscope_api p2pscope_api_map_page;
extern const struct p2pscope_api p2pscope_api_map_single;
extern const struct p2pscope_api p2pscope_api_map_sgtable;
extern const struct p2pscope_api p2pscope_api_map_resource;
extern const struct p2pscope_api p2pscope_api_map_phys;
extern const struct p2pscope_api p2pscope_api_alloc_coherent;
extern const struct p2pscope_api p2pscope_api_alloc_noncontig;
extern const struct p2pscope_api p2pscope_api_dmabuf;
extern const struct p2pscope_api p2pscope_api_iova_link;
extern const struct p2pscope_api p2pscope_api_iommu_domain;

#endif
