/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by p2pscope's in-guest test programs (static binaries for
 * the busybox lab).  Not a library for the project's tools: those include
 * uapi/p2pscope.h themselves.
 */
#ifndef P2PSCOPE_TEST_H
#define P2PSCOPE_TEST_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../uapi/p2pscope.h"

static const char *const api_names[P2PSCOPE_API_COUNT] = {
	[P2PSCOPE_API_MAP_PAGE]		= "map_page",
	[P2PSCOPE_API_MAP_SINGLE]	= "map_single",
	[P2PSCOPE_API_MAP_SGTABLE]	= "map_sgtable",
	[P2PSCOPE_API_MAP_RESOURCE]	= "map_resource",
	[P2PSCOPE_API_ALLOC_COHERENT]	= "alloc_coherent",
	[P2PSCOPE_API_ALLOC_NONCONTIG]	= "alloc_noncontig",
	[P2PSCOPE_API_DMABUF]		= "dmabuf",
	[P2PSCOPE_API_IOVA_LINK]	= "iova_link",
	[P2PSCOPE_API_IOMMU_DOMAIN]	= "iommu_domain",
	[P2PSCOPE_API_MAP_PHYS]		= "map_phys",
};

static const char *const mem_names[P2PSCOPE_MEM_COUNT] = {
	[P2PSCOPE_MEM_RAM]		= "ram",
	[P2PSCOPE_MEM_RAM_HUGE]		= "ram_huge",
	[P2PSCOPE_MEM_P2PMEM]		= "p2pmem",
	[P2PSCOPE_MEM_BAR]		= "bar",
	[P2PSCOPE_MEM_BOUNCE]		= "bounce",
	[P2PSCOPE_MEM_DMABUF]		= "dmabuf",
	[P2PSCOPE_MEM_ENCRYPTED]	= "encrypted",
};

static const char *const reason_names[P2PSCOPE_REASON_COUNT] = {
	"none", "no_kernel_support", "combination", "needs_exclusive",
	"borrowed_disabled", "device_unbound", "device_gone", "no_iommu",
	"iommu_unsuitable", "no_p2pmem", "p2p_not_supported", "bar_unsuitable",
	"no_memory", "dma_mask", "no_bounce", "no_mem_encrypt", "dmabuf",
	"device_limit", "map_failed", "block_unsuitable", "io_failed",
	"no_dma_channel", "cpus", "dma_owned", "budget", "lockdown",
};

static const char *const iommu_names[] = {
	"none", "blocked", "identity", "unmanaged", "DMA", "DMA-FQ", "other",
};

static const char *const mode_names[] = { "none", "exclusive", "borrowed" };
static const char *const p2p_names[] = {
	"none", "bus_addr", "thru_host_bridge", "not_supported", "unknown",
};
static const char *const clock_names[] = {
	"default", "local", "monotonic", "monotonic_fast",
};

#define NAME(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) && tab[i] ? tab[i] : "?")

static inline int lookup(const char *const *tab, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (tab[i] && !strcasecmp(tab[i], s))
			return (int)i;
	return -1;
}

/* "0000:01:00.0" or "01:00.0" */
static inline int parse_bdf(const char *s, struct p2pscope_pci_addr *a)
{
	unsigned int d = 0, b, dev, f;

	if (sscanf(s, "%x:%x:%x.%x", &d, &b, &dev, &f) != 4) {
		d = 0;
		if (sscanf(s, "%x:%x.%x", &b, &dev, &f) != 3)
			return -1;
	}
	a->domain = d;
	a->bus = b;
	a->device = dev;
	a->function = f;
	return 0;
}

static inline int open_dev(void)
{
	int fd = open(P2PSCOPE_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", P2PSCOPE_DEVICE_PATH,
			strerror(errno));
		exit(2);
	}
	return fd;
}

/* Smallest value v such that at least q of the samples are <= v. */
static inline uint64_t hist_quantile(const uint64_t *h, uint64_t count,
				     double q, uint64_t max_ns)
{
	uint64_t want = (uint64_t)(q * (double)count + 0.5), seen = 0;
	uint32_t i;

	if (want < 1)
		want = 1;
	for (i = 0; i < P2PSCOPE_HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want) {
			uint64_t hi = p2pscope_hist_bucket_high_ns(i);

			return hi < max_ns ? hi : max_ns;
		}
	}
	return max_ns;
}

#endif /* P2PSCOPE_TEST_H */
