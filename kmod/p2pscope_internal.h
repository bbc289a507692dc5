/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pscope: declarations shared by the module's source files.
 */
#ifndef P2PSCOPE_INTERNAL_H
#define P2PSCOPE_INTERNAL_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "p2pscope_features.h"
#include "uapi/p2pscope.h"

#define P2PSCOPE_MODULE_VERSION	"0.2.0"

extern bool p2pscope_allow_borrowed;

/*
 * A bad field: log which field and value, ratelimited, name the process, and
 * give -EINVAL.  fmt describes the value and what was expected.
 */
#define p2pscope_einval(cmd, field, fmt, ...)				\
({									\
	pr_warn_ratelimited("%s[%d] %s: invalid %s=" fmt "\n",		\
			    current->comm, task_pid_nr(current), cmd,	\
			    field, ##__VA_ARGS__);			\
	-EINVAL;							\
})

/*
 * Why something did not run: a P2PSCOPE_REASON_* code, the errno of the
 * failing call (or 0) and a line of text for people.
 */
struct p2pscope_outcome {
	u32 status;
	u32 error;
	char text[P2PSCOPE_REASON_LEN];
};

static inline bool p2pscope_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* A histogram in user space: P2PSCOPE_HIST_BUCKETS counters. */
#define P2PSCOPE_HIST_BYTES	(P2PSCOPE_HIST_BUCKETS * sizeof(u64))

/*
 * Every command's histogram fields, checked alike: a user address (any of
 * them, @uptrs OR-ed) needs room for every bucket; no address, no buckets.
 */
static inline int p2pscope_check_hist(const char *cmd, u64 uptrs, u32 buckets)
{
	if (uptrs && buckets < P2PSCOPE_HIST_BUCKETS)
		return p2pscope_einval(cmd, "hist_buckets", "%u (at least %u with a histogram address)",
				       buckets, P2PSCOPE_HIST_BUCKETS);
	if (!uptrs && buckets)
		return p2pscope_einval(cmd, "hist_buckets", "%u (must be 0 without a histogram address)",
				       buckets);
	return 0;
}

/* Timings on this kernel include KASAN, lockdep or kmemleak overhead. */
static inline bool p2pscope_debug_kernel(void)
{
	return IS_ENABLED(CONFIG_KASAN) || IS_ENABLED(CONFIG_PROVE_LOCKING) ||
	       IS_ENABLED(CONFIG_DEBUG_KMEMLEAK);
}

/* Log-linear bucket of @v; see P2PSCOPE_HIST_* in the UAPI header. */
static __always_inline u32 p2pscope_hist_index(u64 v)
{
	u32 shift;

	if (v < P2PSCOPE_HIST_SUB_COUNT)
		return v;
	shift = fls64(v) - 1 - P2PSCOPE_HIST_SUB_BITS;
	if (shift > P2PSCOPE_HIST_MAX_EXP - P2PSCOPE_HIST_SUB_BITS)
		return P2PSCOPE_HIST_BUCKETS - 1;
	return P2PSCOPE_HIST_SUB_COUNT + (shift << P2PSCOPE_HIST_SUB_BITS) +
	       (u32)(v >> shift) - P2PSCOPE_HIST_SUB_COUNT;
}

static __always_inline void p2pscope_record(struct p2pscope_stats *s,
					    u64 *hist, u64 v)
{
	hist[p2pscope_hist_index(v)]++;
	s->count++;
	s->sum_ns += v;
	if (v < s->min_ns)
		s->min_ns = v;
	if (v > s->max_ns)
		s->max_ns = v;
}

/*
 * Start a command's result: every output field (from @first_out on) zeroed,
 * whatever the caller left there, then the kernel release and module version.
 */
void p2pscope_stamp(char *release, size_t release_len, char *version,
		    size_t version_len);
#define p2pscope_start_result(req, first_out)				\
do {									\
	memset((u8 *)(req) + offsetof(typeof(*(req)), first_out), 0,	\
	       sizeof(*(req)) - offsetof(typeof(*(req)), first_out));	\
	p2pscope_stamp((req)->kernel_release,				\
		       sizeof((req)->kernel_release),			\
		       (req)->module_version,				\
		       sizeof((req)->module_version));			\
} while (0)

/* Shares of shared resources one run may hold (caps.budget_*_pct). */
#define P2PSCOPE_BUDGET_SWIOTLB_PCT	25
#define P2PSCOPE_BUDGET_IOVA_PCT	12
#define P2PSCOPE_BUDGET_P2PMEM_PCT	50
#define P2PSCOPE_BUDGET_DMA_ALLOC_PCT	10

/* Returned by helpers that filled in a p2pscope_outcome instead of running. */
#define P2PSCOPE_REFUSED	1

/* The longest an unbind or removal waits for a run to let go of its device. */
#define P2PSCOPE_STOP_WAIT_S	30

__printf(4, 5)
int p2pscope_refuse(struct p2pscope_outcome *out, u32 status, int err,
		    const char *fmt, ...);

/*
 * device.c: the device under test and the devices a run borrows memory from
 * are "held": registered so that unbinding or removing any of them first
 * stops the run and waits for it to undo every mapping.
 */
struct p2pscope_hold {
	struct list_head node;
	struct pci_dev *pdev;		/* device under test */
	struct pci_dev *peer;		/* p2pmem provider or BAR owner, or NULL */
	int gone;			/* set (WRITE_ONCE) when either goes away */
	bool registered;
	wait_queue_head_t *wake;	/* woken then, if the run sleeps on it */
};

int p2pscope_dev_init(void);
void p2pscope_dev_exit(void);
struct pci_dev *p2pscope_pci_get(const struct p2pscope_pci_addr *addr);
int p2pscope_check_pci_addr(const char *cmd, const char *field,
			    const struct p2pscope_pci_addr *addr);
u32 p2pscope_mode_of(struct pci_dev *pdev, struct p2pscope_outcome *out);
int p2pscope_hold_dut(struct p2pscope_hold *hold, struct pci_dev *pdev,
		      u32 *mode, struct p2pscope_outcome *out);
int p2pscope_hold_peer(struct p2pscope_hold *hold, struct pci_dev *peer,
		       bool p2pmem, struct p2pscope_outcome *out);
void p2pscope_release(struct p2pscope_hold *hold);
/* Whether a run holds @pdev: as its device under test, or (!@as_dut_only) either way. */
bool p2pscope_held(struct pci_dev *pdev, bool as_dut_only);
/*
 * Hold only the device a transfer takes memory from (checked by the caller
 * under its device lock); its going away wakes @wake.
 */
void p2pscope_hold_memory(struct p2pscope_hold *hold, struct pci_dev *peer,
			  wait_queue_head_t *wake);
/* What a device's DMA looks like, and DEV_QUERY (device_query.c). */
u32 p2pscope_iommu_domain_type(struct device *dev);
const char *p2pscope_iommu_domain_name(u32 type);
u32 p2pscope_dma_path(struct device *dev);
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
bool p2pscope_p2pmem_published(struct pci_dev *pdev);
u64 p2pscope_p2pmem_pool_bytes(const void *addr);
int p2pscope_check_p2pmem_budget(const void *addr, u64 held,
				 struct pci_dev *provider,
				 struct p2pscope_outcome *out);
#endif
long p2pscope_ioctl_dev_query(void __user *argp);

/* Names for messages. */
const char *p2pscope_api_name(u32 api);
const char *p2pscope_mem_name(u32 mem);

/* One range of memory a thread maps: a segment. */
struct p2pscope_seg {
	struct page *page;		/* NULL for BAR memory */
	unsigned int offset;		/* into page */
	unsigned int len;
	phys_addr_t phys;		/* CPU physical address */
};

struct p2pscope_run;

/* Per-thread state.  Everything a thread maps, it allocates and frees. */
struct p2pscope_thread {
	struct p2pscope_run *run;
	struct task_struct *task;
	unsigned int idx;
	unsigned int cpu;

	/* memory (mem.c) */
	struct p2pscope_seg *segs;
	unsigned int nsegs;
	struct page **chunks;		/* page allocations to free */
	unsigned int nchunks;
	unsigned int chunk_order;
	struct sg_table sgt;		/* MAP_SGTABLE: built from segs */
	bool sgt_built;

	/* API state (api_*.c) */
	dma_addr_t addr;
	void *cpu_addr;
	struct sg_table *sgt_out;
	void *attach;			/* struct dma_buf_attachment */
	void *iova_state;		/* struct dma_iova_state */
	unsigned long iommu_iova;
	bool unmap_failed;

	/* results */
	u64 *map_hist;
	u64 *unmap_hist;
	struct p2pscope_stats map;
	struct p2pscope_stats unmap;
	u64 timer_cost_ps;
	u64 timer_min_delta_ns;
	u32 mapped_segments;
	u32 p2p_map_type;
	bool bounce_checked;
	bool bounced;
	bool time_limited;
	u64 sample_start_ns;		/* ktime_get_ns() around sampling */
	u64 sample_end_ns;
	u64 preempted_windows;
	u64 clock_steps_back;
	struct p2pscope_outcome out;
};

/*
 * A mapping API, as an ops table (api_*.c, listed in api.c).  Its traits
 * are what the checks and the sample loop ask of it, never its id.
 * map() and unmap() are what the sample loop times: they must not print,
 * allocate p2pscope's own memory, or take locks of p2pscope's own.
 */
struct p2pscope_api {
	u32 id;
	const char *name;
	u32 mem_mask;			/* BIT(P2PSCOPE_MEM_x) it can map */
	const char *takes;		/* what it maps, for messages */
	const char *missing;		/* without ops: why this kernel lacks it */
	bool single_range;		/* segments must be 1 */
	bool decides_segments;		/* it decides them: segments must be 0 */
	bool page_segments;		/* segments must be whole pages */
	bool allocates;			/* memory comes from the DMA allocator */
	bool no_direction;		/* coherent: the direction must be BIDIRECTIONAL */
	bool builds_sgt;		/* maps an sg_table p2pscope builds */
	/* maps MMIO by address: not bounded by dma_max_mapping_size */
	bool mmio_only;
	/*
	 * links into IOVA space it allocated once (or per request, with
	 * P2PSCOPE_MAP_F_IOVA_PER_REQUEST)
	 */
	bool holds_iova;
	/*
	 * maps into an IOMMU domain of its own: the device's IOVA space and
	 * swiotlb untouched, any physical range (struct pages or not), and
	 * unmap flushes the IOTLB at once
	 */
	bool own_domain;
	bool exclusive_only;
	/* run-level checks and setup in the ioctl's context; may refuse */
	int (*run_setup)(struct p2pscope_run *run);
	void (*run_teardown)(struct p2pscope_run *run);
	/* per thread, in the thread, around the samples; prepare may refuse */
	int (*prepare)(struct p2pscope_thread *t);
	int (*map)(struct p2pscope_thread *t);
	void (*unmap)(struct p2pscope_thread *t);
	void (*unprepare)(struct p2pscope_thread *t);
	/* after the first map: what the mapping looks like */
	void (*inspect)(struct p2pscope_thread *t);
};

const struct p2pscope_api *p2pscope_api_get(u32 id);
/* 0 when this kernel build has the API, else why not. */
u32 p2pscope_api_unavailable(u32 id, const char **why);
u32 p2pscope_mem_unavailable(u32 mem, const char **why);

/* One measurement (run.c, run_checks.c, sample.c). */
struct p2pscope_run {
	struct p2pscope_map_bench *req;
	const struct p2pscope_api *api;
	struct pci_dev *pdev;
	struct device *dev;
	struct pci_dev *peer;		/* provider / BAR owner, referenced */
	struct p2pscope_hold hold;
	u32 mode;
	enum dma_data_direction dir;
	unsigned long attrs;
	u32 clock;
	u32 nsegs;
	u32 seg_len;
	u64 size;
	u32 *cpus;			/* [nthreads]: each thread's CPU */

	/* memory setup */
	phys_addr_t bar_phys;		/* MEM_BAR: first byte */
	u64 bar_stride;			/* MEM_BAR: distance between threads */
	u64 bounce_mask;		/* MEM_BOUNCE: pages must lie above */
	bool bounce_any;		/* swiotlb=force: any RAM bounces */
	void *dmabuf;			/* struct dma_buf, referenced */
	bool dmabuf_reattach;		/* exporter caches: attach per sample */
	bool dmabuf_revoked;		/* the exporter revoked it (peer's) */
	u32 p2p_distance;

	/* DMA mask changed for the run (exclusive only) */
	bool mask_changed;
	u64 saved_mask;
	u64 saved_coherent_mask;

	/* IOMMU_DOMAIN */
	void *domain;			/* struct iommu_domain */
	bool domain_attached;
	bool iova_per_request;		/* P2PSCOPE_MAP_F_IOVA_PER_REQUEST */
	unsigned long iova_base;
	unsigned long iova_stride;
	int iommu_prot;

	/* threads */
	unsigned int nthreads;
	struct p2pscope_thread **threads;
	atomic_t unready;
	atomic_t running;
	struct completion ready;
	struct completion done;
	wait_queue_head_t go_wq;
	int go;
	int stop;
	u64 deadline_ns;		/* duration per thread */
	u64 limit_ns;			/* the hard limit */

	struct p2pscope_outcome out;
};

/* mem.c */
int p2pscope_mem_run_setup(struct p2pscope_run *run);
void p2pscope_mem_run_teardown(struct p2pscope_run *run);
int p2pscope_mem_alloc(struct p2pscope_thread *t);
void p2pscope_mem_free(struct p2pscope_thread *t);
void p2pscope_mem_dirty(struct p2pscope_thread *t);

/*
 * MAP_BENCH: run.c (the request, the run's setup), run_checks.c (whether it
 * can run here), sample.c (the threads)
 */
long p2pscope_ioctl_map_bench(void __user *argp);
int p2pscope_check_request(struct p2pscope_run *run);
int p2pscope_check_limits(struct p2pscope_run *run);
extern unsigned int p2pscope_test_slowdown_pct;
int p2pscope_run_threads(struct p2pscope_run *run);
void p2pscope_collect_results(struct p2pscope_run *run, u64 *map_hist,
			      u64 *unmap_hist);

/* Transfers: xfer_block*.c (block layer), xfer_dma.c (dmaengine). */
long p2pscope_ioctl_xfer_block(void __user *argp);
int p2pscope_xfer_block_init(void);
void p2pscope_xfer_block_exit(void);
long p2pscope_ioctl_xfer_dma(void __user *argp);
/* The verification pattern (uapi/p2pscope.h): the word at byte offset @off. */
static inline u64 p2pscope_pattern(u64 seed, u64 off)
{
	return seed ^ (off * P2PSCOPE_PATTERN_MULT);
}

/*
 * The clocks (P2PSCOPE_CLOCK_*, clock.c).  Inline: the sample loop reads one
 * around every call it times.
 */
static __always_inline u64 p2pscope_now(u32 clock)
{
	switch (clock) {
	case P2PSCOPE_CLOCK_MONOTONIC:
		return ktime_get_ns();
	case P2PSCOPE_CLOCK_MONOTONIC_FAST:
		return ktime_get_mono_fast_ns();
	default:
		return sched_clock();
	}
}

u64 p2pscope_timer_overhead_ps(u32 clock);
u32 p2pscope_default_clock(void);
void p2pscope_calibrate(struct p2pscope_thread *t);

/*
 * Bounce detection on the DMA address of @dev for the buffer at @phys; false
 * when not detectable (api.c).
 */
bool p2pscope_check_bounce(struct device *dev, dma_addr_t addr,
			   phys_addr_t phys, bool *bounced);

/*
 * swiotlb state of a device (device_query.c): is_swiotlb_active() where it is
 * exported, else the same test on its struct io_tlb_mem (6.12 and later);
 * is_swiotlb_force_bounce() is inline everywhere.
 */
#if defined(P2PSCOPE_HAVE_SWIOTLB_ACTIVE) || defined(P2PSCOPE_HAVE_SWIOTLB_MEM)
#define P2PSCOPE_HAVE_SWIOTLB_STATE 1
bool p2pscope_swiotlb_active(struct device *dev);
#endif

#endif /* P2PSCOPE_INTERNAL_H */
