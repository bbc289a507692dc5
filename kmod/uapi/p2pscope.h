/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * p2pscope: the whole contract between the p2pscope kernel module
 * (/dev/p2pscope) and user space.
 *
 * Rules every structure here follows (Documentation/driver-api/ioctl.rst):
 *  - only fixed-width fields (__u32, __u64; char arrays for NUL-terminated
 *    text), every member naturally aligned, no implicit padding, no
 *    pointers (user pointers travel as __u64), no enums or bitfields;
 *  - units are part of field names (_ns, _bytes);
 *  - every field named reserved* must be zero when passed in, or the command
 *    fails with -EINVAL; the kernel writes zeros there.  New fields are
 *    carved out of the reserved space, with zero meaning "as before", so
 *    the structures and command numbers never change size;
 *  - every command is _IOWR, needs CAP_SYS_ADMIN (-EPERM) and an unknown
 *    command fails with -ENOTTY.  A field with a bad value fails with
 *    -EINVAL and a kernel log line naming the field and the value.
 *
 * A request the module understands but cannot carry out on this kernel,
 * platform or device (no P2PDMA, no IOMMU, no published p2pmem...) is not an
 * error: the command succeeds and the result says why nothing was measured
 * (status, a P2PSCOPE_REASON_* code, and reason, a line of text).
 *
 * Compiles in user space (C and C++) as well as in the kernel.
 */
#ifndef _UAPI_LINUX_P2PSCOPE_H
#define _UAPI_LINUX_P2PSCOPE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define P2PSCOPE_DEVICE_PATH	"/dev/p2pscope"

/*
 * ABI version.  The major number changes only if a command changes meaning
 * (never so far); the minor number grows when fields are taken out of the
 * reserved space or commands are added.
 */
#define P2PSCOPE_ABI_MAJOR	1
#define P2PSCOPE_ABI_MINOR	4

/* Text fields: always NUL-terminated by the kernel. */
#define P2PSCOPE_VERSION_LEN	32	/* module version */
#define P2PSCOPE_RELEASE_LEN	72	/* kernel release (utsname()->release) */
#define P2PSCOPE_REASON_LEN	128	/* why a measurement did not run */
#define P2PSCOPE_DRIVER_LEN	32	/* name of a PCI device's driver */

/* A PCI function, domain:bus:device.function. */
struct p2pscope_pci_addr {
	__u32 domain;		/* 0 .. 0x7fffffff */
	__u32 bus;		/* 0 .. 255 */
	__u32 device;		/* 0 .. 31 */
	__u32 function;		/* 0 .. 7 */
};

/*
 * How p2pscope holds the device under test; stated in every result.
 *  EXCLUSIVE  the device is bound to the p2pscope PCI driver (driver_override
 *             + bind): every measurement is allowed.
 *  BORROWED   the device stays with its own driver: only mapping and
 *             unmapping, never DMA to or from it, no DMA mask changes, no
 *             IOMMU domain changes.  Off unless the module is loaded with
 *             allow_borrowed=1.
 */
#define P2PSCOPE_MODE_NONE		0	/* not measurable (see mode_reason) */
#define P2PSCOPE_MODE_EXCLUSIVE		1
#define P2PSCOPE_MODE_BORROWED		2

/* Type of the IOMMU domain the device's DMA goes through. */
#define P2PSCOPE_IOMMU_NONE		0	/* no IOMMU group: dma-direct */
#define P2PSCOPE_IOMMU_BLOCKED		1
#define P2PSCOPE_IOMMU_IDENTITY		2	/* passthrough */
#define P2PSCOPE_IOMMU_UNMANAGED	3	/* owned by an IOMMU API user */
#define P2PSCOPE_IOMMU_DMA		4	/* DMA API, strict invalidation */
#define P2PSCOPE_IOMMU_DMA_FQ		5	/* DMA API, flush queue (lazy) */
#define P2PSCOPE_IOMMU_OTHER		6	/* a type this module does not know */

/* Which implementation the device's DMA API calls reach. */
#define P2PSCOPE_DMA_PATH_DIRECT	1	/* dma-direct (maybe swiotlb) */
#define P2PSCOPE_DMA_PATH_IOMMU		2	/* IOMMU DMA (dma-iommu) */
#define P2PSCOPE_DMA_PATH_OPS		3	/* other dma_map_ops */

/* Clocks for the per-sample timestamps. */
/* in: let the module pick: LOCAL, or MONOTONIC where LOCAL ticks coarsely */
#define P2PSCOPE_CLOCK_DEFAULT		0
#define P2PSCOPE_CLOCK_LOCAL		1	/* sched_clock(): the CPU's clock, TSC on x86 */
#define P2PSCOPE_CLOCK_MONOTONIC	2	/* ktime_get_ns(): CLOCK_MONOTONIC */
#define P2PSCOPE_CLOCK_MONOTONIC_FAST	3	/* ktime_get_mono_fast_ns() */
#define P2PSCOPE_CLOCK_COUNT		4

/*
 * Reason codes: why a measurement did not run, or stopped early.  Each comes
 * with a line of text in the result's reason field.
 */
#define P2PSCOPE_REASON_NONE			0  /* ran to completion */
#define P2PSCOPE_REASON_NO_KERNEL_SUPPORT	1  /* kernel built without it */
#define P2PSCOPE_REASON_COMBINATION		2  /* API cannot take this memory */
#define P2PSCOPE_REASON_NEEDS_EXCLUSIVE		3  /* not allowed on a borrowed device */
#define P2PSCOPE_REASON_BORROWED_DISABLED	4  /* device has another driver, allow_borrowed=0 */
#define P2PSCOPE_REASON_DEVICE_UNBOUND		5  /* device has no driver at all */
#define P2PSCOPE_REASON_DEVICE_GONE		6  /* unbound or removed while measuring */
#define P2PSCOPE_REASON_NO_IOMMU		7  /* device has no IOMMU domain */
#define P2PSCOPE_REASON_IOMMU_UNSUITABLE	8  /* wrong domain type, shared group... */
#define P2PSCOPE_REASON_NO_P2PMEM		9  /* no published p2pmem provider */
#define P2PSCOPE_REASON_P2P_NOT_SUPPORTED	10 /* the kernel refuses this P2P path */
#define P2PSCOPE_REASON_BAR_UNSUITABLE		11 /* BAR missing, too small, page-backed */
#define P2PSCOPE_REASON_NO_MEMORY		12 /* allocation failed */
#define P2PSCOPE_REASON_DMA_MASK		13 /* the DMA mask could not be set */
#define P2PSCOPE_REASON_NO_BOUNCE		14 /* bouncing cannot be arranged */
#define P2PSCOPE_REASON_NO_MEM_ENCRYPT		15 /* platform has no memory encryption */
#define P2PSCOPE_REASON_DMABUF			16 /* fd is not a usable dma-buf */
#define P2PSCOPE_REASON_DEVICE_LIMIT		17 /* beyond the device's DMA limits */
#define P2PSCOPE_REASON_MAP_FAILED		18 /* a map call failed (error holds errno) */
/* ABI 1.1: transfers */
#define P2PSCOPE_REASON_BLOCK_UNSUITABLE	19 /* block device missing, in use, too small */
#define P2PSCOPE_REASON_IO_FAILED		20 /* an I/O or copy failed (error holds errno) */
#define P2PSCOPE_REASON_NO_DMA_CHANNEL		21 /* no dmaengine channel can copy */
/* ABI 1.3: more threads than housekeeping CPUs (isolcpus, nohz_full) */
#define P2PSCOPE_REASON_CPUS			22
/*
 * ABI 1.3: the device's DMA is not the kernel DMA API's: its driver manages
 * DMA itself (driver_managed_dma: vfio-pci hands it to user space, pci-stub),
 * so a measurement would time a domain the device does not use.
 */
#define P2PSCOPE_REASON_DMA_OWNED		23
/*
 * ABI 1.3: the run would hold more of a resource other drivers share than
 * its budget (caps.budget_*_pct): the swiotlb pool, the IOVA space its DMA
 * mask leaves; ABI 1.4: the p2pmem pool, RAM for the DMA allocators.
 */
#define P2PSCOPE_REASON_BUDGET			24
/*
 * ABI 1.4: kernel lockdown (integrity or confidentiality) forbids what the
 * request needs: user space's direct access to a device's BAR.
 */
#define P2PSCOPE_REASON_LOCKDOWN		25
#define P2PSCOPE_REASON_COUNT			26

/*
 * P2PSCOPE_IOC_VERSION: ABI version and identification.  Call it first; a
 * tool built for another ABI major must stop.
 */
struct p2pscope_version {
	__u32 abi_major;				/* out */
	__u32 abi_minor;				/* out */
	char module_version[P2PSCOPE_VERSION_LEN];	/* out */
	char kernel_release[P2PSCOPE_RELEASE_LEN];	/* out */
	__u64 reserved[8];				/* zero */
};

/*
 * Mapping APIs (struct p2pscope_map_bench.api).  "map" and "unmap" are the
 * two timed halves of each sample:
 *
 *  MAP_PAGE          dma_map_page_attrs / dma_unmap_page_attrs
 *  MAP_SINGLE        dma_map_single_attrs / dma_unmap_single_attrs
 *  MAP_SGTABLE       dma_map_sgtable / dma_unmap_sgtable, segments entries;
 *                    with MEM_P2PMEM this is the P2PDMA scatterlist path
 *  MAP_RESOURCE      dma_map_resource / dma_unmap_resource of a BAR range
 *                    (no struct page)
 *  ALLOC_COHERENT    dma_alloc_coherent / dma_free_coherent
 *  ALLOC_NONCONTIG   dma_alloc_noncontiguous / dma_free_noncontiguous
 *  DMABUF            dma_buf_map_attachment{_unlocked} / ..._unmap_...
 *                    of an attachment made once per thread
 *  IOVA_LINK         two-step (Linux 6.16 and later), two ways:
 *                    reused IOVA space (default): allocated once per thread
 *                    with dma_iova_try_alloc; map = dma_iova_link of every
 *                    segment + dma_iova_sync, unmap = dma_iova_unlink (which
 *                    flushes the IOTLB at once, flush queue or not);
 *                    per request (P2PSCOPE_MAP_F_IOVA_PER_REQUEST), as the
 *                    block layer does: map = dma_iova_try_alloc + link +
 *                    sync, unmap = dma_iova_destroy (unlink and free the
 *                    IOVA: the flush is deferred on a flush-queue domain).
 *                    MEM_BAR is linked with DMA_ATTR_MMIO (6.18 and later)
 *  IOMMU_DOMAIN      two-step through the IOMMU API: an unmanaged domain is
 *                    allocated and attached to the (exclusive) device for the
 *                    run, every thread owns a fixed IOVA window; map =
 *                    iommu_map of every segment, unmap = iommu_unmap of the
 *                    window (both include the IOTLB maintenance)
 *  MAP_PHYS          dma_map_phys / dma_unmap_phys (Linux 6.18 and later):
 *                    a physical range; RAM as it is, MEM_BAR (no struct
 *                    page) with DMA_ATTR_MMIO, the successor of
 *                    dma_map_resource (ABI 1.2)
 */
#define P2PSCOPE_API_MAP_PAGE		1
#define P2PSCOPE_API_MAP_SINGLE		2
#define P2PSCOPE_API_MAP_SGTABLE	3
#define P2PSCOPE_API_MAP_RESOURCE	4
#define P2PSCOPE_API_ALLOC_COHERENT	5
#define P2PSCOPE_API_ALLOC_NONCONTIG	6
#define P2PSCOPE_API_DMABUF		7
#define P2PSCOPE_API_IOVA_LINK		8
#define P2PSCOPE_API_IOMMU_DOMAIN	9
#define P2PSCOPE_API_MAP_PHYS		10	/* ABI 1.2 */
#define P2PSCOPE_API_COUNT		11	/* 0 is not an API */

/*
 * Memory types (struct p2pscope_map_bench.mem).
 *
 *  RAM         normal RAM in base pages: one high-order allocation for the
 *              single-buffer APIs, one allocation per segment otherwise
 *  RAM_HUGE    normal RAM in 2 MiB compound pages (alloc_pages(__GFP_COMP,
 *              order 9)); buffers and segments are carved out of them
 *  P2PMEM      PCI P2PDMA memory (pci_alloc_p2pmem) from the provider given
 *              in peer, or the closest published one (pci_p2pmem_find)
 *  BAR         a raw BAR range: pci_resource_start(peer, bar) +
 *              bar_offset_bytes, no struct page; with several threads each
 *              maps its own slice (thread i at + i * size, page aligned)
 *  BOUNCE      RAM above the DMA mask (dma_mask_bits, 32 unless given), so
 *              that dma-direct bounces it through swiotlb; plain RAM when
 *              the kernel forces bouncing (swiotlb=force)
 *  DMABUF      the dma-buf whose file descriptor is dmabuf_fd; with
 *              MAP_F_PEER (ABI 1.3) it holds peer's memory (a BAR that
 *              vfio-pci exports, a GPU's VRAM): the module attaches as a
 *              P2P importer (allow_peer2peer, revocable) and p2p_map_type
 *              says which path the exporter mapped
 *  ENCRYPTED   RAM on a platform with memory encryption
 *              (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
 *
 * For the allocating APIs (ALLOC_*) memory is the allocator's: mem must be
 * RAM or ENCRYPTED.
 */
#define P2PSCOPE_MEM_RAM		1
#define P2PSCOPE_MEM_RAM_HUGE		2
#define P2PSCOPE_MEM_P2PMEM		3
#define P2PSCOPE_MEM_BAR		4
#define P2PSCOPE_MEM_BOUNCE		5
#define P2PSCOPE_MEM_DMABUF		6
#define P2PSCOPE_MEM_ENCRYPTED		7
#define P2PSCOPE_MEM_COUNT		8	/* 0 is not a memory type */

/* DMA direction (values as in the kernel's dma_map_benchmark). */
#define P2PSCOPE_DIR_BIDIRECTIONAL	0
#define P2PSCOPE_DIR_TO_DEVICE		1
#define P2PSCOPE_DIR_FROM_DEVICE	2

/* Compile-time features of this build of the module (caps.features). */
#define P2PSCOPE_FEAT_P2PDMA		(1ULL << 0)  /* CONFIG_PCI_P2PDMA, pci_p2pmem_* */
#define P2PSCOPE_FEAT_DMABUF		(1ULL << 1)  /* dma-buf import */
#define P2PSCOPE_FEAT_DMABUF_UNLOCKED	(1ULL << 2)  /* dma_buf_map_attachment_unlocked */
#define P2PSCOPE_FEAT_ALLOC_NONCONTIG	(1ULL << 3)  /* dma_alloc_noncontiguous */
#define P2PSCOPE_FEAT_DMA_IOVA		(1ULL << 4)  /* dma_iova_* two-step API */
#define P2PSCOPE_FEAT_IOMMU_UNMANAGED	(1ULL << 5)  /* iommu domain alloc + attach */
#define P2PSCOPE_FEAT_SWIOTLB_QUERY	(1ULL << 6)  /* bounce detection */
#define P2PSCOPE_FEAT_CC_PLATFORM	(1ULL << 7)  /* cc_platform_has() */
#define P2PSCOPE_FEAT_SG_BUS_ADDRESS	(1ULL << 8)  /* P2P map type readable from sg */
#define P2PSCOPE_FEAT_DMA_MAP_PHYS	(1ULL << 9)  /* dma_map_phys, DMA_ATTR_MMIO */
#define P2PSCOPE_FEAT_DMA_ATTR_MMIO	(1ULL << 10) /* dma_iova_link of MMIO (BAR) */

/* Facts about the running kernel and platform (caps.platform). */
#define P2PSCOPE_PLAT_MEM_ENCRYPT	(1ULL << 0)  /* CC_ATTR_MEM_ENCRYPT */
#define P2PSCOPE_PLAT_DMA_API_DEBUG	(1ULL << 1)  /* timings include DMA-API debug */
#define P2PSCOPE_PLAT_KASAN		(1ULL << 2)
#define P2PSCOPE_PLAT_LOCKDEP		(1ULL << 3)
#define P2PSCOPE_PLAT_KMEMLEAK		(1ULL << 4)
#define P2PSCOPE_PLAT_ALLOW_BORROWED	(1ULL << 5)  /* module parameter */

/*
 * Histograms: log-linear (HdrHistogram style).  Values below 64 ns have one
 * bucket each; above, every power of two [2^e, 2^(e+1)) for e = 6 .. 40 is
 * split into 64 equal buckets, so a bucket is at most 1/64 (1.6 %) of its
 * value wide.  Values of 2^41 ns (about 36 minutes) and more land in the
 * last bucket.  The exact min, max, sum and count come with every result.
 */
#define P2PSCOPE_HIST_SUB_BITS		6
#define P2PSCOPE_HIST_SUB_COUNT		(1U << P2PSCOPE_HIST_SUB_BITS)
#define P2PSCOPE_HIST_MAX_EXP		40
#define P2PSCOPE_HIST_BUCKETS		(P2PSCOPE_HIST_SUB_COUNT + \
					 (P2PSCOPE_HIST_MAX_EXP - P2PSCOPE_HIST_SUB_BITS + 1) * \
					 P2PSCOPE_HIST_SUB_COUNT)	/* 2304 */

/* Smallest value (ns) counted in bucket @i. */
static inline __u64 p2pscope_hist_bucket_low_ns(__u32 i)
{
	__u32 group, sub;

	if (i < P2PSCOPE_HIST_SUB_COUNT)
		return i;
	group = (i - P2PSCOPE_HIST_SUB_COUNT) >> P2PSCOPE_HIST_SUB_BITS;
	sub = (i - P2PSCOPE_HIST_SUB_COUNT) & (P2PSCOPE_HIST_SUB_COUNT - 1);
	return (__u64)(P2PSCOPE_HIST_SUB_COUNT + sub) << group;
}

/* Largest value (ns) counted in bucket @i (the last bucket is open-ended). */
static inline __u64 p2pscope_hist_bucket_high_ns(__u32 i)
{
	if (i < P2PSCOPE_HIST_SUB_COUNT)
		return i;
	if (i >= P2PSCOPE_HIST_BUCKETS - 1)
		return ~(__u64)0;
	return p2pscope_hist_bucket_low_ns(i + 1) - 1;
}

/*
 * P2PSCOPE_IOC_CAPS: what this module, kernel and platform can do.
 * api_reason[P2PSCOPE_API_x] and mem_reason[P2PSCOPE_MEM_x] hold 0 when the
 * API or memory type is available in principle (a device may still lack
 * what it needs), or the P2PSCOPE_REASON_* that rules it out everywhere.
 */
struct p2pscope_caps {
	__u64 features;			/* out: P2PSCOPE_FEAT_* */
	__u64 platform;			/* out: P2PSCOPE_PLAT_* */
	__u32 online_cpus;		/* out */
	__u32 max_threads;		/* out: == online_cpus */
	__u64 max_duration_ns;		/* out: hard limit of one measurement */
	__u64 max_iterations;		/* out: per thread */
	__u64 max_size_bytes;		/* out: per thread and sample */
	__u32 max_segments;		/* out */
	__u32 max_hold_ns;		/* out */
	__u32 hist_buckets;		/* out: P2PSCOPE_HIST_BUCKETS */
	__u32 hist_sub_bits;		/* out: P2PSCOPE_HIST_SUB_BITS */
	__u32 default_clock;		/* out: P2PSCOPE_CLOCK_* */
	__u32 reserved0;		/* zero */
	/*
	 * Fixed sizes, not the enums' counts: a new clock, API or memory type
	 * must not move the fields after them (the module checks they fit).
	 */
	__u64 timer_overhead_ns[4];	/* out: indexed by P2PSCOPE_CLOCK_*: cost of one read, now */
	__u32 api_reason[16];		/* out: indexed by P2PSCOPE_API_* */
	__u32 mem_reason[16];		/* out: indexed by P2PSCOPE_MEM_* */
	/*
	 * Budgets (ABI 1.3): the most a run holds mapped at once (threads x
	 * size), in percent of the device's swiotlb pool when its mappings
	 * bounce, and of the IOVA space below its DMA mask behind an IOMMU.
	 */
	__u32 budget_swiotlb_pct;	/* out */
	__u32 budget_iova_pct;		/* out */
	/*
	 * ABI 1.4: of the p2pmem pool a run's memory comes from, and of the
	 * RAM the DMA allocators (dma_alloc_coherent, _noncontiguous) take.
	 */
	__u32 budget_p2pmem_pct;	/* out */
	__u32 budget_dma_alloc_pct;	/* out */
	__u64 reserved[14];		/* zero */
};

/* BAR description in struct p2pscope_dev_query. */
#define P2PSCOPE_BAR_F_MEM		(1U << 0)
#define P2PSCOPE_BAR_F_IO		(1U << 1)
#define P2PSCOPE_BAR_F_PREFETCH		(1U << 2)
#define P2PSCOPE_BAR_F_64BIT		(1U << 3)
#define P2PSCOPE_BAR_F_PAGES		(1U << 4)  /* has struct pages (p2pmem) */

struct p2pscope_bar {
	__u64 start_phys;		/* CPU physical address, 0 if unset */
	__u64 bus_addr;			/* PCI bus address */
	__u64 len_bytes;
	__u32 flags;			/* P2PSCOPE_BAR_F_* */
	__u32 reserved;			/* zero */
};

/* struct p2pscope_dev_query.flags (in) */
#define P2PSCOPE_QUERY_F_PEER		(1U << 0)  /* peer is valid: report p2p_distance */

/* struct p2pscope_dev_query.dev_flags (out) */
#define P2PSCOPE_DEV_F_BOUND		(1U << 0)  /* has a driver */
#define P2PSCOPE_DEV_F_P2PMEM_PUBLISHED	(1U << 1)  /* publishes p2pmem */
#define P2PSCOPE_DEV_F_P2PDMA_CLIENT	(1U << 2)  /* dma_pci_p2pdma_supported() */
#define P2PSCOPE_DEV_F_SWIOTLB_ACTIVE	(1U << 3)
#define P2PSCOPE_DEV_F_SWIOTLB_FORCE	(1U << 4)  /* every mapping bounces */
#define P2PSCOPE_DEV_F_DMA_COHERENT	(1U << 5)
#define P2PSCOPE_DEV_F_IOMMU_MAPPED	(1U << 6)  /* device_iommu_mapped() */
#define P2PSCOPE_DEV_F_RUNNING		(1U << 7)  /* a measurement is running */

#define P2PSCOPE_NONE_U32		0xffffffffU  /* "no value" in __u32 outputs */

/*
 * P2PSCOPE_IOC_DEV_QUERY: what p2pscope sees of one PCI device.
 */
struct p2pscope_dev_query {
	struct p2pscope_pci_addr addr;	/* in */
	struct p2pscope_pci_addr peer;	/* in, with P2PSCOPE_QUERY_F_PEER */
	__u32 flags;			/* in: P2PSCOPE_QUERY_F_* */
	__u32 mode;			/* out: P2PSCOPE_MODE_* a measurement gets */
	__u32 mode_reason;		/* out: P2PSCOPE_REASON_* when mode is NONE */
	__u32 dev_flags;		/* out: P2PSCOPE_DEV_F_* */
	__u32 vendor_id;		/* out */
	__u32 device_id;		/* out */
	__u32 class_code;		/* out: 24-bit class */
	__u32 numa_node;		/* out, P2PSCOPE_NONE_U32 if none */
	__u32 iommu_domain_type;	/* out: P2PSCOPE_IOMMU_* */
	__u32 iommu_group;		/* out: group id, P2PSCOPE_NONE_U32 if none */
	__u32 iommu_group_devices;	/* out: devices in the group */
	__u32 dma_path;			/* out: P2PSCOPE_DMA_PATH_* */
	__u64 dma_mask;			/* out */
	__u64 coherent_dma_mask;	/* out */
	__u64 max_mapping_size_bytes;	/* out: dma_max_mapping_size() */
	__u64 opt_mapping_size_bytes;	/* out: dma_opt_mapping_size() */
	__u64 max_segment_size_bytes;	/* out: dma_get_max_seg_size() */
	__u64 segment_boundary_mask;	/* out: dma_get_seg_boundary() */
	__u64 merge_boundary_mask;	/* out: dma_get_merge_boundary(), 0: none */
	/* out: pci_p2pdma_distance(peer, addr), P2PSCOPE_NONE_U32 if none */
	__u32 p2p_distance;
	__u32 reserved0;		/* zero */
	char driver[P2PSCOPE_DRIVER_LEN];	/* out: "" when unbound */
	struct p2pscope_bar bars[6];	/* out: standard BARs 0..5 */
	__u64 reserved[8];		/* zero */
};

/* struct p2pscope_map_bench.flags (in) */
#define P2PSCOPE_MAP_F_PEER		(1U << 0)  /* peer is valid */
#define P2PSCOPE_MAP_F_SKIP_CPU_SYNC	(1U << 1)  /* DMA_ATTR_SKIP_CPU_SYNC */
/* the CPU writes the buffer before each map (not timed) */
#define P2PSCOPE_MAP_F_DIRTY		(1U << 2)
/* threads go to the CPUs of the device's NUMA node first */
#define P2PSCOPE_MAP_F_NEAR_CPUS	(1U << 3)
/* API_IOVA_LINK: allocate and destroy the IOVA space in every sample (1.2) */
#define P2PSCOPE_MAP_F_IOVA_PER_REQUEST	(1U << 4)
/* cpus_uptr gives the CPU of each sampling thread (ABI 1.3) */
#define P2PSCOPE_MAP_F_CPUS		(1U << 5)
#define P2PSCOPE_MAP_F_ALL		0x3fU

/* struct p2pscope_map_bench.result_flags (out) */
#define P2PSCOPE_RES_F_BOUNCED		(1U << 0)  /* swiotlb bounce seen */
#define P2PSCOPE_RES_F_BOUNCE_CHECKED	(1U << 1)  /* bounce detection worked */
#define P2PSCOPE_RES_F_SWIOTLB_FORCE	(1U << 2)  /* is_swiotlb_force_bounce() */
#define P2PSCOPE_RES_F_MEM_ENCRYPT	(1U << 3)  /* platform encrypts memory */
/*
 * The dma-buf exporter caches an attachment's mapping (only its first map
 * maps), so each sample attaches and detaches too: map includes
 * dma_buf_attach, unmap includes dma_buf_detach.
 */
#define P2PSCOPE_RES_F_CACHED_SGT	(1U << 4)
/* stopped by the time limit before reaching the iterations */
#define P2PSCOPE_RES_F_TIME_LIMIT	(1U << 5)
#define P2PSCOPE_RES_F_DMA_API_DEBUG	(1U << 6)  /* timings include debug */
#define P2PSCOPE_RES_F_DEBUG_KERNEL	(1U << 7)  /* KASAN/lockdep/kmemleak on */
/*
 * How unmap invalidated the IOTLB (ABI 1.2): strictly, before it returned,
 * or deferred to the IOMMU's flush queue (a lazy DMA domain, DMA_FQ).
 * Neither: no IOMMU translation was torn down (dma-direct, identity, a
 * P2PDMA bus address).
 */
#define P2PSCOPE_RES_F_IOTLB_STRICT	(1U << 8)
#define P2PSCOPE_RES_F_IOTLB_DEFERRED	(1U << 9)
/* the module was loaded with test_slowdown_pct: the timings are inflated (ABI 1.3) */
#define P2PSCOPE_RES_F_TEST_SLOWDOWN	(1U << 10)

/* struct p2pscope_map_bench.p2p_map_type (out) */
#define P2PSCOPE_P2P_NONE		0	/* not P2P memory */
#define P2PSCOPE_P2P_BUS_ADDR		1	/* PCI bus address, below the IOMMU */
#define P2PSCOPE_P2P_THRU_HOST_BRIDGE	2	/* CPU physical / IOVA via host bridge */
#define P2PSCOPE_P2P_NOT_SUPPORTED	3	/* the kernel refused (-EREMOTEIO) */
#define P2PSCOPE_P2P_UNKNOWN		4	/* mapped, type not readable */

/* Exact statistics of one histogram. */
struct p2pscope_stats {
	__u64 count;
	__u64 min_ns;
	__u64 max_ns;
	__u64 sum_ns;
};

/*
 * P2PSCOPE_IOC_MAP_BENCH: time map and unmap of one API x memory
 * combination on one device, with @threads kernel threads each pinned to
 * one online CPU.  Each thread repeats map/unmap of its own buffer until
 * @iterations samples or @duration_ns (whichever comes first; zero means
 * "no limit of this kind", not both zero); P2PSCOPE_MAX_DURATION_NS bounds
 * every run.  A fatal signal ends the run and the command returns -EINTR.
 *
 * Histograms: if map_hist_uptr / unmap_hist_uptr are non-zero they point to
 * arrays of hist_buckets __u64 counters (hist_buckets must then be at least
 * P2PSCOPE_HIST_BUCKETS), which the kernel fills; on return hist_buckets is
 * the number of buckets written.
 *
 * status is P2PSCOPE_REASON_NONE after a complete run.  Otherwise reason says
 * why; when the run started and then stopped (DEVICE_GONE, MAP_FAILED) the
 * samples taken so far are returned.  Output fields need not be zeroed on
 * input; reserved fields must be.
 */
struct p2pscope_map_bench {
	/* in */
	struct p2pscope_pci_addr addr;	/* device under test */
	/*
	 * With P2PSCOPE_MAP_F_PEER: the p2pmem provider (MEM_P2PMEM, which
	 * otherwise takes the closest published one), the BAR's device
	 * (MEM_BAR, which needs it) or the device whose memory the dma-buf
	 * is (MEM_DMABUF, ABI 1.3: P2P import).
	 */
	struct p2pscope_pci_addr peer;
	__u32 api;			/* P2PSCOPE_API_* */
	__u32 mem;			/* P2PSCOPE_MEM_* */
	__u32 dir;			/* P2PSCOPE_DIR_* */
	__u32 threads;			/* 1 .. online CPUs */
	/* bytes per map and thread; MEM_DMABUF: 0 in, the dma-buf's size out */
	__u64 size_bytes;
	/*
	 * Scatterlist entries or linked ranges, of size_bytes / segments each;
	 * 1 for the single-range APIs; API_DMABUF and ALLOC_NONCONTIG: 0 in,
	 * the number of mapped entries out.
	 */
	__u32 segments;
	__u32 flags;			/* P2PSCOPE_MAP_F_* */
	__u64 iterations;		/* samples per thread, 0: time-bound */
	__u64 duration_ns;		/* 0: iteration-bound */
	__u32 clock;			/* in: P2PSCOPE_CLOCK_*; out: used */
	/* 0: keep; 24..64: set for the run (exclusive); MEM_BOUNCE: 0 = 32 */
	__u32 dma_mask_bits;
	__u32 bar;			/* MEM_BAR: BAR index 0..5, else 0 */
	__s32 dmabuf_fd;		/* MEM_DMABUF: the fd (>= 0), else 0 */
	__u64 bar_offset_bytes;		/* MEM_BAR: offset into the BAR */
	/* busy wait between map and unmap, not timed; <= P2PSCOPE_MAX_HOLD_NS */
	__u32 hold_ns;
	__u32 hist_buckets;		/* in: array capacity; out: written */
	__u64 map_hist_uptr;		/* user address of __u64[hist_buckets] */
	__u64 unmap_hist_uptr;		/* user address of __u64[hist_buckets] */
	/*
	 * User address of __u32[threads], or 0.  With P2PSCOPE_MAP_F_CPUS, in:
	 * the online CPU each thread runs on (distinct; isolated ones allowed).
	 * Without, the module picks housekeeping CPUs (not isolcpus or
	 * nohz_full ones; the device's node first with NEAR_CPUS).  Out
	 * (either way): the CPU each thread ran on.  (ABI 1.3)
	 */
	__u64 cpus_uptr;
	__u64 reserved_in[7];		/* zero */

	/* out */
	__u32 status;			/* P2PSCOPE_REASON_* */
	__u32 error;			/* errno of the failing call, or 0 */
	__u32 mode;			/* P2PSCOPE_MODE_* */
	__u32 iommu_domain_type;	/* P2PSCOPE_IOMMU_* (the device's own) */
	__u32 dma_path;			/* P2PSCOPE_DMA_PATH_* */
	__u32 result_flags;		/* P2PSCOPE_RES_F_* */
	__u64 dma_mask;			/* the mask in force during the run */
	__u32 p2p_map_type;		/* P2PSCOPE_P2P_* */
	__u32 p2p_distance;		/* pci_p2pdma_distance, or NONE_U32 */
	__u32 threads_run;		/* threads that took samples */
	__u32 reserved_out0;		/* zero */
	__u64 timer_overhead_ns;	/* mean cost of one clock read */
	__u64 timer_min_delta_ns;	/* smallest back-to-back difference */
	/*
	 * Wall time of the sampling phase: the first thread's first sample to
	 * the last thread's last (ABI 1.3; before, it included the threads'
	 * clock calibration and freeing their memory).
	 */
	__u64 elapsed_ns;
	struct p2pscope_stats map;	/* map (or alloc, or link+sync) */
	struct p2pscope_stats unmap;	/* unmap (or free, or unlink) */
	char reason[P2PSCOPE_REASON_LEN];
	char kernel_release[P2PSCOPE_RELEASE_LEN];
	char module_version[P2PSCOPE_VERSION_LEN];
	/*
	 * What may have inflated a timed window (ABI 1.3), summed over the
	 * threads: map or unmap windows in which the thread was switched out
	 * involuntarily (preempted: nivcsw grew), and windows whose end read
	 * earlier than their start (clock stepped back: recorded as 0 ns).
	 */
	__u64 preempted_windows;
	__u64 clock_steps_back;
	__u64 reserved_out[6];		/* zero */
};

/*
 * Transfers (ABI 1.1).  Both commands move real data with real DMA and time
 * every transfer from submission to completion with ktime_get_ns()
 * (CLOCK_MONOTONIC: completions may run on another CPU).
 *
 * Verification.  With P2PSCOPE_XFER_F_VERIFY the data is a pattern that
 * depends on where it lives and on a seed drawn at random for every command
 * (returned in seed): the little-endian 64-bit word at byte offset o of the
 * block device (block transfers) or of the copy (dmaengine) is
 *	seed ^ (o * 0x9e3779b97f4a7c15)
 * Every buffer a read lands in is filled with 0xa5 bytes first, so stale data
 * never passes.  A transfer whose completion said "success" while the data did
 * not arrive (an IOMMU that dropped the DMA) shows as VERIFY_MISMATCH.
 */
#define P2PSCOPE_VERIFY_NOT_CHECKED	0
#define P2PSCOPE_VERIFY_MATCHED		1
#define P2PSCOPE_VERIFY_MISMATCH	2
#define P2PSCOPE_PATTERN_MULT		0x9e3779b97f4a7c15ULL
#define P2PSCOPE_POISON_BYTE		0xa5

/* flags (in) of both transfer commands */
#define P2PSCOPE_XFER_F_PEER		(1U << 0)  /* peer is valid */
#define P2PSCOPE_XFER_F_VERIFY		(1U << 1)  /* check the data (above) */
/*
 * Block transfers: the command may write [offset_bytes, offset_bytes +
 * span_bytes) of the block device, destroying what was there.  Needed by
 * writes and by verified reads (which write the pattern first).  The device is
 * then opened exclusively: a mounted or otherwise claimed device is refused.
 */
#define P2PSCOPE_XFER_F_DESTRUCTIVE	(1U << 2)
/*
 * Destructive runs are refused while anyone else has the block device open
 * (a plain open too, not only a mount or claim: a database using the raw
 * namespace); FORCE writes anyway (ABI 1.3).  Every destructive run logs the
 * byte range it may write.
 */
#define P2PSCOPE_XFER_F_FORCE		(1U << 3)
#define P2PSCOPE_XFER_F_ALL		0xfU

/* result_flags (out) of both transfer commands */
#define P2PSCOPE_XRES_F_TIME_LIMIT	(1U << 0)  /* stopped by the duration */
#define P2PSCOPE_XRES_F_DEBUG_KERNEL	(1U << 1)  /* KASAN/lockdep/kmemleak on */
#define P2PSCOPE_XRES_F_P2P		(1U << 2)  /* device-to-device DMA */
#define P2PSCOPE_XRES_F_VERIFY_INLINE	(1U << 3)  /* checks ran between transfers */

/*
 * P2PSCOPE_IOC_XFER_BLOCK: the kernel NVMe engine.  Reads (DIR_FROM_DEVICE)
 * or writes (DIR_TO_DEVICE) a block device through the block layer, with bios
 * of block_bytes each and queue_depth of them in flight, walking
 * [offset_bytes, offset_bytes + span_bytes) in order and wrapping around.
 * The memory on the host side is RAM (pages of this module) or MEM_P2PMEM:
 * pci_alloc_p2pmem() of the provider in peer (or the closest one published
 * for the block device's PCI function), which makes every bio a
 * device-to-device DMA.  Runs in the caller's context, which sleeps; a fatal
 * signal stops submitting, waits for the bios in flight and returns -EINTR.
 */
struct p2pscope_xfer_block {
	/* in */
	__u32 block_major;		/* the block device (e.g. an NVMe namespace) */
	__u32 block_minor;
	struct p2pscope_pci_addr peer;	/* with XFER_F_PEER: the p2pmem provider */
	__u32 mem;			/* P2PSCOPE_MEM_RAM or P2PSCOPE_MEM_P2PMEM */
	__u32 dir;			/* P2PSCOPE_DIR_FROM_DEVICE or _TO_DEVICE */
	/* bytes per bio: a multiple of the logical block size, 512 .. 1 MiB */
	__u32 block_bytes;
	__u32 queue_depth;		/* bios in flight: 1 .. P2PSCOPE_MAX_QUEUE_DEPTH */
	__u64 offset_bytes;		/* start of the range; logical-block aligned */
	/* length of the range, a multiple of block_bytes; 0: block_bytes x queue_depth */
	__u64 span_bytes;
	__u64 iterations;		/* bios in all, 0: time-bound */
	__u64 duration_ns;		/* 0: iteration-bound (not both zero) */
	__u32 flags;			/* P2PSCOPE_XFER_F_* */
	__u32 hist_buckets;		/* in: capacity of hist_uptr; out: written */
	__u64 hist_uptr;		/* __u64[hist_buckets]: per-bio latency */
	__u64 reserved_in[8];		/* zero */

	/* out */
	__u32 status;			/* P2PSCOPE_REASON_* */
	__u32 error;			/* errno of the failing call or I/O, or 0 */
	struct p2pscope_pci_addr addr;	/* PCI function behind the block device */
	struct p2pscope_pci_addr provider; /* MEM_P2PMEM: the provider used */
	__u32 addr_valid;		/* 1: addr names the PCI function */
	__u32 logical_block_bytes;
	__u32 p2p_distance;		/* pci_p2pdma_distance, or NONE_U32 */
	__u32 iommu_domain_type;	/* P2PSCOPE_IOMMU_* of addr */
	__u32 verify;			/* P2PSCOPE_VERIFY_* */
	__u32 result_flags;		/* P2PSCOPE_XRES_F_* */
	__u64 verify_mismatch_offset;	/* device byte offset of the first bad word */
	__u64 verify_expected;		/* that word as written */
	__u64 verify_found;		/* and as read */
	__u64 ios;			/* bios completed */
	__u64 io_errors;		/* of them, failed */
	__u64 bytes;			/* moved by bios that succeeded */
	__u64 elapsed_ns;		/* first submission to last completion */
	__u64 seed;			/* of the pattern */
	struct p2pscope_stats latency;	/* per bio, submission to completion */
	char reason[P2PSCOPE_REASON_LEN];
	char kernel_release[P2PSCOPE_RELEASE_LEN];
	char module_version[P2PSCOPE_VERSION_LEN];
	__u64 reserved_out[8];		/* zero */
};

#define P2PSCOPE_DMA_CHAN_LEN		32

/*
 * P2PSCOPE_IOC_XFER_DMA: the kernel dmaengine engine.  Copies size_bytes from
 * src to dst with a dmaengine channel that offers DMA_MEMCPY (Intel IOAT or
 * DSA, AMD PTDMA...), one copy in flight, until iterations or duration_ns.
 * Each side is MEM_RAM or MEM_BAR; a BAR (bar, bar_offset_bytes of the device
 * in peer, XFER_F_PEER required) is mapped for the channel's device with
 * dma_map_resource and must belong to a device bound to p2pscope (exclusive),
 * since the copy overwrites it.  No channel: status NO_DMA_CHANNEL.
 */
struct p2pscope_xfer_dma {
	/* in */
	struct p2pscope_pci_addr peer;	/* the BAR's device */
	__u32 src_mem;			/* P2PSCOPE_MEM_RAM or P2PSCOPE_MEM_BAR */
	__u32 dst_mem;			/* P2PSCOPE_MEM_RAM or P2PSCOPE_MEM_BAR */
	__u32 bar;			/* 0 .. 5 */
	__u32 flags;			/* P2PSCOPE_XFER_F_PEER, _VERIFY */
	__u64 bar_offset_bytes;
	__u64 size_bytes;		/* per copy: 8 .. 4 MiB, a multiple of 8 */
	__u64 iterations;		/* copies, 0: time-bound */
	__u64 duration_ns;		/* 0: iteration-bound (not both zero) */
	__u32 hist_buckets;
	__u32 reserved0;		/* zero */
	__u64 hist_uptr;		/* __u64[hist_buckets]: per-copy latency */
	__u64 reserved_in[8];		/* zero */

	/* out */
	__u32 status;
	__u32 error;
	__u32 verify;
	__u32 result_flags;
	__u64 copies;
	__u64 bytes;
	__u64 elapsed_ns;
	__u64 seed;
	__u64 verify_mismatch_offset;
	struct p2pscope_stats latency;
	char channel[P2PSCOPE_DMA_CHAN_LEN];	/* dma_chan_name() */
	char channel_device[P2PSCOPE_DMA_CHAN_LEN]; /* its provider's device */
	char reason[P2PSCOPE_REASON_LEN];
	char kernel_release[P2PSCOPE_RELEASE_LEN];
	char module_version[P2PSCOPE_VERSION_LEN];
	__u64 reserved_out[8];		/* zero */
};

#define P2PSCOPE_MAX_BLOCK_BYTES	(1U << 20)	/* 1 MiB: one bio */
#define P2PSCOPE_MAX_QUEUE_DEPTH	256
#define P2PSCOPE_MAX_DMA_COPY_BYTES	(4ULL << 20)	/* 4 MiB: one contiguous buffer */

/* Limits (also reported by P2PSCOPE_IOC_CAPS). */
#define P2PSCOPE_MAX_DURATION_NS	60000000000ULL	/* 60 s */
#define P2PSCOPE_MAX_ITERATIONS		(1ULL << 40)
#define P2PSCOPE_MAX_SIZE_BYTES		(1ULL << 30)	/* 1 GiB */
#define P2PSCOPE_MAX_SEGMENTS		65536
#define P2PSCOPE_MAX_HOLD_NS		10000000	/* 10 ms */

/*
 * Commands.  Type 0xB9 is not used by any driver in Linux 6.1 or later
 * (Documentation/userspace-api/ioctl/ioctl-number.rst).
 * Numbers 0x20-0x2f are kept for transfer measurements.
 */
#define P2PSCOPE_IOC_TYPE	0xB9
#define P2PSCOPE_IOC_VERSION	_IOWR(P2PSCOPE_IOC_TYPE, 0x00, struct p2pscope_version)
#define P2PSCOPE_IOC_CAPS	_IOWR(P2PSCOPE_IOC_TYPE, 0x01, struct p2pscope_caps)
#define P2PSCOPE_IOC_DEV_QUERY	_IOWR(P2PSCOPE_IOC_TYPE, 0x02, struct p2pscope_dev_query)
#define P2PSCOPE_IOC_MAP_BENCH	_IOWR(P2PSCOPE_IOC_TYPE, 0x10, struct p2pscope_map_bench)
#define P2PSCOPE_IOC_XFER_BLOCK	_IOWR(P2PSCOPE_IOC_TYPE, 0x20, struct p2pscope_xfer_block)
#define P2PSCOPE_IOC_XFER_DMA	_IOWR(P2PSCOPE_IOC_TYPE, 0x21, struct p2pscope_xfer_dma)

#endif /* _UAPI_LINUX_P2PSCOPE_H */
