// SPDX-License-Identifier: GPL-2.0
/*
 * Compile-only check of uapi/p2pscope.h from user space, as C99, C++11 and
 * (where 32-bit headers exist) -m32: the layout must be the same everywhere,
 * so that 32-bit programs work through compat_ioctl unchanged.
 */
#include <stddef.h>
#include "../uapi/p2pscope.h"

#ifdef __cplusplus
#define CHECK(x) static_assert(x, #x)
#else
#define CHECK(x) _Static_assert(x, #x)
#endif

CHECK(sizeof(struct p2pscope_pci_addr) == 16);
CHECK(sizeof(struct p2pscope_version) == 176);
CHECK(sizeof(struct p2pscope_caps) == 360);
CHECK(sizeof(struct p2pscope_bar) == 32);
CHECK(sizeof(struct p2pscope_dev_query) == 432);
CHECK(sizeof(struct p2pscope_stats) == 32);
CHECK(sizeof(struct p2pscope_map_bench) == 624);
CHECK(offsetof(struct p2pscope_map_bench, status) == 192);
CHECK(offsetof(struct p2pscope_map_bench, map) == 264);
CHECK(offsetof(struct p2pscope_map_bench, reason) == 328);
CHECK(offsetof(struct p2pscope_map_bench, preempted_windows) == 560);
CHECK(offsetof(struct p2pscope_map_bench, dmabuf_fd) == 92);
CHECK(offsetof(struct p2pscope_caps, timer_overhead_ns) == 72);
CHECK(offsetof(struct p2pscope_dev_query, dma_mask) == 80);
CHECK(P2PSCOPE_HIST_BUCKETS == 2304);
CHECK(sizeof(struct p2pscope_xfer_block) == 608);
CHECK(offsetof(struct p2pscope_xfer_block, status) == 152);
CHECK(offsetof(struct p2pscope_xfer_block, latency) == 280);
CHECK(sizeof(struct p2pscope_xfer_dma) == 592);
CHECK(offsetof(struct p2pscope_xfer_dma, status) == 144);
CHECK(P2PSCOPE_API_COUNT <= 16 && P2PSCOPE_MEM_COUNT <= 16);

int p2pscope_uapi_check(void);
int p2pscope_uapi_check(void)
{
	return (int)(p2pscope_hist_bucket_low_ns(100) +
		     p2pscope_hist_bucket_high_ns(P2PSCOPE_HIST_BUCKETS - 1));
}
