// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: MAP_BENCH, the measurement engine.
 *
 * The ioctl's context validates the request, holds the device, sets up
 * what the whole run shares, and starts one kernel thread per CPU.  Each
 * thread allocates its own memory on its own node, reads the clock's cost,
 * then repeats map/unmap, timing each call into its own log-linear
 * histogram: nothing is shared while sampling.  The threads stop at their
 * iteration count or deadline, when one of them fails, when the device goes
 * away, or when the caller gets a fatal signal; then they undo everything
 * and the caller merges their histograms.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/isolation.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <linux/uaccess.h>

#include "p2pscope_internal.h"

#define CMD			"MAP_BENCH"
#define HIST_BYTES		(P2PSCOPE_HIST_BUCKETS * sizeof(u64))

/*
 * For tests of regression gates only: make every timed map that much slower
 * by busy-waiting inside the timed region.  Set at load time only (read-only
 * afterwards), logged then, and stamped on every result while set
 * (P2PSCOPE_RES_F_TEST_SLOWDOWN), so that no slowed figure passes for a
 * measurement.
 */
unsigned int p2pscope_test_slowdown_pct;
module_param_named(test_slowdown_pct, p2pscope_test_slowdown_pct, uint, 0444);
MODULE_PARM_DESC(test_slowdown_pct,
		 "Tests only: lengthen each timed map by this percentage (default 0; at most 1000; load time only; stamped on every result)");
#define CALIBRATE_ROUNDS	5
#define CALIBRATE_READS		200
#define CALIBRATE_PAIRS		100
#define CLOCK_CHECK_PAIRS	200

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

u64 p2pscope_clock_read(u32 clock)
{
	return p2pscope_now(clock);
}

/* Mean cost of one read of @clock in picoseconds, over @reads reads. */
static u64 p2pscope_timer_cost_ps(u32 clock, unsigned int reads)
{
	unsigned int i;
	u64 a, b;

	preempt_disable();
	a = p2pscope_now(clock);
	for (i = 0; i < reads; i++)
		p2pscope_now(clock);
	b = p2pscope_now(clock);
	preempt_enable();
	return div_u64((b - a) * 1000, reads + 1);
}

/*
 * Cost of one clock read: the best of a few rounds, so that an interrupt
 * (or, in an emulator, a slow translation) in one round does not count.
 */
u64 p2pscope_timer_overhead_ps(u32 clock)
{
	u64 best = U64_MAX;
	unsigned int i;

	for (i = 0; i < CALIBRATE_ROUNDS; i++)
		best = min(best, p2pscope_timer_cost_ps(clock, CALIBRATE_READS));
	return best;
}

/*
 * Whether back-to-back reads of @clock nearly always differ.  sched_clock()
 * falls back to jiffies where there is no usable cycle counter, which would
 * record real calls as 0 ns.
 */
static bool p2pscope_clock_fine(u32 clock)
{
	unsigned int i, same = 0;
	u64 a, b;

	preempt_disable();
	for (i = 0; i < CLOCK_CHECK_PAIRS; i++) {
		a = p2pscope_now(clock);
		b = p2pscope_now(clock);
		if (b <= a)
			same++;
	}
	preempt_enable();
	return same < CLOCK_CHECK_PAIRS / 10;
}

/*
 * P2PSCOPE_CLOCK_DEFAULT: sched_clock(), unless it does not tick finely.
 * Not local_clock(): where the kernel found the TSCs unsynchronised, that
 * stitches sched_clock() to the tick and can stand still for a while (seen
 * in QEMU with an AMD CPU model); the threads are pinned, so the CPU's own
 * monotonic sched_clock() is what they need.
 */
u32 p2pscope_default_clock(void)
{
	return p2pscope_clock_fine(P2PSCOPE_CLOCK_LOCAL) ?
	       P2PSCOPE_CLOCK_LOCAL : P2PSCOPE_CLOCK_MONOTONIC;
}

static void p2pscope_calibrate(struct p2pscope_thread *t)
{
	u32 clock = t->run->clock;
	u64 a, b, min = U64_MAX;
	unsigned int i;

	t->timer_cost_ps = p2pscope_timer_overhead_ps(clock);
	for (i = 0; i < CALIBRATE_PAIRS; i++) {
		a = p2pscope_now(clock);
		b = p2pscope_now(clock);
		if (b >= a && b - a < min)
			min = b - a;
	}
	t->timer_min_delta_ns = min == U64_MAX ? 0 : min;
}

static void p2pscope_map_failed(struct p2pscope_thread *t, int err, u64 n)
{
	struct p2pscope_run *run = t->run;

	if (err == -EREMOTEIO && run->req->mem == P2PSCOPE_MEM_P2PMEM) {
		t->p2p_map_type = P2PSCOPE_P2P_NOT_SUPPORTED;
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_P2P_NOT_SUPPORTED, err,
				"%s: -EREMOTEIO: the kernel allows no P2PDMA from %s's memory to %s (pci_p2pdma_distance %d)",
				run->api->name, pci_name(run->peer),
				pci_name(run->pdev), (int)run->p2p_distance);
	} else if (run->req->mem == P2PSCOPE_MEM_DMABUF && run->peer &&
		   READ_ONCE(run->dmabuf_revoked)) {
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_DMABUF, err,
				"%s failed (%d) after %llu samples: the exporter revoked the dma-buf of %s",
				run->api->name, err, n, pci_name(run->peer));
	} else if (run->req->mem == P2PSCOPE_MEM_DMABUF && run->peer &&
		   run->p2p_distance == P2PSCOPE_NONE_U32 && !n) {
		/* the exporter maps only what pci_p2pdma_map_type() allows */
		t->p2p_map_type = P2PSCOPE_P2P_NOT_SUPPORTED;
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_P2P_NOT_SUPPORTED, err,
				"%s failed (%d): the kernel allows no P2PDMA from %s's memory to %s (distance -1)",
				run->api->name, err, pci_name(run->peer),
				pci_name(run->pdev));
	} else {
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_MAP_FAILED, err,
				"%s failed (%d) after %llu samples on CPU %u",
				run->api->name, err, n, t->cpu);
	}
	WRITE_ONCE(run->stop, 1);
}

/* The timed loop.  Everything between t0 and t1, and t2 and t3, is measured. */
static void p2pscope_sample(struct p2pscope_thread *t)
{
	struct p2pscope_run *run = t->run;
	const struct p2pscope_api *api = run->api;
	const u32 clock = run->clock;
	const bool dirty = run->req->flags & P2PSCOPE_MAP_F_DIRTY;
	const u32 hold_ns = run->req->hold_ns;
	const unsigned int slowdown = min(p2pscope_test_slowdown_pct, 1000U);
	const u64 limit = run->req->iterations ?: U64_MAX;
	u64 n = 0, t0, t1, t2, t3, deadline;
	unsigned long sw0, sw1, sw2;
	int ret;

	t->sample_start_ns = ktime_get_ns();
	deadline = p2pscope_now(clock) + run->limit_ns;
	for (;;) {
		if (dirty)
			p2pscope_mem_dirty(t);
		sw0 = READ_ONCE(current->nivcsw);
		t0 = p2pscope_now(clock);
		ret = api->map(t);
		t1 = p2pscope_now(clock);
		sw1 = READ_ONCE(current->nivcsw);
		if (unlikely(slowdown) && t1 > t0) {
			/* On the run's own clock: ndelay() overshoots where a clock read is slow. */
			const u64 until = t1 + div_u64((t1 - t0) * slowdown, 100);

			while ((t1 = p2pscope_now(clock)) < until)
				cpu_relax();
		}
		if (unlikely(ret)) {
			p2pscope_map_failed(t, ret, n);
			break;
		}
		if (unlikely(!n) && api->inspect)
			api->inspect(t);
		if (hold_ns)
			ndelay(hold_ns);
		sw2 = READ_ONCE(current->nivcsw);
		t2 = p2pscope_now(clock);
		api->unmap(t);
		t3 = p2pscope_now(clock);

		/* A thread moved off an unplugged CPU may see time step back. */
		p2pscope_record(&t->map, t->map_hist, t1 > t0 ? t1 - t0 : 0);
		p2pscope_record(&t->unmap, t->unmap_hist, t3 > t2 ? t3 - t2 : 0);
		t->clock_steps_back += (t1 < t0) + (t3 < t2);
		t->preempted_windows += (sw1 != sw0) +
					(READ_ONCE(current->nivcsw) != sw2);
		if (++n >= limit)
			break;
		if (t3 >= deadline) {
			t->time_limited = run->req->iterations != 0;
			break;
		}
		if (READ_ONCE(run->stop) || READ_ONCE(run->hold.gone))
			break;
		cond_resched();
	}
	t->sample_end_ns = ktime_get_ns();
	if (t->unmap_failed)
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_MAP_FAILED, -EIO,
				"%s: an unmap undid less than was mapped",
				api->name);
}

static int p2pscope_thread_fn(void *data)
{
	struct p2pscope_thread *t = data;
	struct p2pscope_run *run = t->run;
	const struct p2pscope_api *api = run->api;
	int ret;

	ret = p2pscope_mem_alloc(t);
	if (!ret && api->prepare)
		ret = api->prepare(t);
	if (ret)
		p2pscope_refuse(&t->out, P2PSCOPE_REASON_NO_MEMORY, ret,
				"preparing thread %u failed (%d)", t->idx, ret);
	if (atomic_dec_and_test(&run->unready))
		complete(&run->ready);

	wait_event_idle(run->go_wq, READ_ONCE(run->go));
	if (!ret && !READ_ONCE(run->stop)) {
		p2pscope_calibrate(t);
		p2pscope_sample(t);
	}

	if (api->unprepare)
		api->unprepare(t);
	p2pscope_mem_free(t);
	if (atomic_dec_and_test(&run->running))
		complete(&run->done);

	/* Wait for the caller to collect the results and stop us. */
	set_current_state(TASK_IDLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_IDLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * Wait for @c.  A fatal signal stops the run, then waits on: the threads
 * must undo their mappings before the caller may go.  Waking every second
 * keeps a 60 s run from looking like a hung task.
 */
static int p2pscope_wait(struct p2pscope_run *run, struct completion *c)
{
	long left;

	for (;;) {
		left = wait_for_completion_killable_timeout(c, HZ);
		if (left > 0)
			return 0;
		if (left < 0) {
			WRITE_ONCE(run->stop, 1);
			wait_for_completion(c);
			return -EINTR;
		}
	}
}

/*
 * The CPU of each sampling thread: the caller's list (validated with the
 * request), or housekeeping CPUs, online and neither isolated (isolcpus) nor
 * tickless (nohz_full): a benchmark must not land on CPUs set aside for
 * latency-critical work.  The device's node first with NEAR_CPUS.
 */
static int p2pscope_pick_cpus(struct p2pscope_run *run)
{
	int node = dev_to_node(run->dev);
	cpumask_var_t mask;
	unsigned int n = 0, cpu;

	if (run->req->flags & P2PSCOPE_MAP_F_CPUS)
		return 0;
	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	cpumask_and(mask, cpu_online_mask, housekeeping_cpumask(HK_TYPE_DOMAIN));
	cpumask_and(mask, mask, housekeeping_cpumask(HK_TYPE_TICK));
	if (cpumask_weight(mask) < run->nthreads) {
		n = cpumask_weight(mask);
		free_cpumask_var(mask);
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_CPUS, 0,
				       "%u threads, %u housekeeping CPUs (the rest are isolcpus or nohz_full): name CPUs to use those",
				       run->nthreads, n);
	}
	if ((run->req->flags & P2PSCOPE_MAP_F_NEAR_CPUS) && node != NUMA_NO_NODE) {
		for_each_cpu_and(cpu, cpumask_of_node(node), mask) {
			if (n == run->nthreads)
				break;
			run->cpus[n++] = cpu;
			cpumask_clear_cpu(cpu, mask);
		}
	}
	for_each_cpu(cpu, mask) {
		if (n == run->nthreads)
			break;
		run->cpus[n++] = cpu;
	}
	free_cpumask_var(mask);
	return 0;
}

/* The caller's CPU list: one distinct online CPU per thread. */
static int p2pscope_get_cpus(struct p2pscope_run *run)
{
	const struct p2pscope_map_bench *r = run->req;
	unsigned int i, j;

	if (copy_from_user(run->cpus, u64_to_user_ptr(r->cpus_uptr),
			   run->nthreads * sizeof(u32)))
		return -EFAULT;
	for (i = 0; i < run->nthreads; i++) {
		if (run->cpus[i] >= nr_cpu_ids || !cpu_online(run->cpus[i]))
			return p2pscope_einval(CMD, "cpus", "[%u]=%u (not an online CPU)",
					       i, run->cpus[i]);
		for (j = 0; j < i; j++)
			if (run->cpus[j] == run->cpus[i])
				return p2pscope_einval(CMD, "cpus", "[%u]=%u (listed twice: one thread per CPU)",
						       i, run->cpus[i]);
	}
	return 0;
}

static int p2pscope_new_thread(struct p2pscope_run *run, unsigned int idx,
			       unsigned int cpu)
{
	int node = cpu_to_node(cpu);
	struct p2pscope_thread *t;
	struct task_struct *task;

	t = kzalloc_node(sizeof(*t), GFP_KERNEL, node);
	if (!t)
		return -ENOMEM;
	run->threads[idx] = t;
	t->run = run;
	t->idx = idx;
	t->cpu = cpu;
	t->map.min_ns = U64_MAX;
	t->unmap.min_ns = U64_MAX;
	t->map_hist = kvzalloc_node(HIST_BYTES, GFP_KERNEL, node);
	t->unmap_hist = kvzalloc_node(HIST_BYTES, GFP_KERNEL, node);
	if (!t->map_hist || !t->unmap_hist)
		return -ENOMEM;
	task = kthread_create_on_node(p2pscope_thread_fn, t, node,
				      "p2pscope/%u", cpu);
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, cpu);
	get_task_struct(task);
	t->task = task;
	return 0;
}

static int p2pscope_run_threads(struct p2pscope_run *run)
{
	unsigned int i;
	int ret;

	run->threads = kcalloc(run->nthreads, sizeof(*run->threads),
			       GFP_KERNEL);
	if (!run->threads)
		return -ENOMEM;
	atomic_set(&run->unready, run->nthreads);
	atomic_set(&run->running, run->nthreads);
	init_completion(&run->ready);
	init_completion(&run->done);
	init_waitqueue_head(&run->go_wq);

	for (i = 0; i < run->nthreads; i++) {
		ret = p2pscope_new_thread(run, i, run->cpus[i]);
		if (ret)
			break;
	}
	if (ret) {
		/* None has run: kthread_stop() makes them exit at once. */
		for (i = 0; i < run->nthreads; i++) {
			struct p2pscope_thread *t = run->threads[i];

			if (t && t->task) {
				kthread_stop(t->task);
				put_task_struct(t->task);
				t->task = NULL;
			}
		}
		return ret;
	}

	for (i = 0; i < run->nthreads; i++)
		wake_up_process(run->threads[i]->task);
	ret = p2pscope_wait(run, &run->ready);
	for (i = 0; i < run->nthreads; i++)
		if (run->threads[i]->out.status)
			WRITE_ONCE(run->stop, 1);

	WRITE_ONCE(run->go, 1);
	wake_up_all(&run->go_wq);
	if (p2pscope_wait(run, &run->done))
		ret = -EINTR;

	for (i = 0; i < run->nthreads; i++) {
		struct p2pscope_thread *t = run->threads[i];

		kthread_stop(t->task);
		put_task_struct(t->task);
		t->task = NULL;
	}
	return ret;
}

static void p2pscope_merge_stats(struct p2pscope_stats *to,
				 const struct p2pscope_stats *from)
{
	if (!from->count)
		return;
	if (!to->count || from->min_ns < to->min_ns)
		to->min_ns = from->min_ns;
	if (from->max_ns > to->max_ns)
		to->max_ns = from->max_ns;
	to->count += from->count;
	to->sum_ns += from->sum_ns;
}

/*
 * How unmap invalidated the IOTLB.  The IOMMU API's iommu_unmap and
 * dma_iova_unlink (which frees no IOVA) flush before they return; the DMA
 * API's unmap and free paths, and dma_iova_destroy, leave the flush to the
 * flush queue when the domain has one (DMA_FQ).
 */
static u32 p2pscope_iotlb_flush(struct p2pscope_run *run)
{
	struct p2pscope_map_bench *req = run->req;

	if (req->api == P2PSCOPE_API_IOMMU_DOMAIN)
		return P2PSCOPE_RES_F_IOTLB_STRICT;
	if (req->dma_path != P2PSCOPE_DMA_PATH_IOMMU ||
	    req->p2p_map_type == P2PSCOPE_P2P_BUS_ADDR)
		return 0;
	if (req->api == P2PSCOPE_API_IOVA_LINK && !run->iova_per_request)
		return P2PSCOPE_RES_F_IOTLB_STRICT;
	return req->iommu_domain_type == P2PSCOPE_IOMMU_DMA_FQ ?
	       P2PSCOPE_RES_F_IOTLB_DEFERRED : P2PSCOPE_RES_F_IOTLB_STRICT;
}

static void p2pscope_finish(struct p2pscope_run *run, u64 *map_hist,
			    u64 *unmap_hist)
{
	struct p2pscope_map_bench *req = run->req;
	u64 cost_ps = 0, min_delta = U64_MAX, first = U64_MAX, last = 0;
	unsigned int i, j, calibrated = 0;
	u32 mapped = 0;

	if (READ_ONCE(run->hold.gone))
		p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, 0,
				"%s or the device it takes memory from was unbound or removed during the run",
				pci_name(run->pdev));
	for (i = 0; run->threads && i < run->nthreads; i++) {
		struct p2pscope_thread *t = run->threads[i];

		if (!t)
			continue;
		if (t->out.status && !run->out.status)
			run->out = t->out;
		if (t->map.count)
			req->threads_run++;
		p2pscope_merge_stats(&req->map, &t->map);
		p2pscope_merge_stats(&req->unmap, &t->unmap);
		for (j = 0; j < P2PSCOPE_HIST_BUCKETS; j++) {
			map_hist[j] += t->map_hist[j];
			unmap_hist[j] += t->unmap_hist[j];
		}
		if (t->bounce_checked)
			req->result_flags |= P2PSCOPE_RES_F_BOUNCE_CHECKED;
		if (t->bounced)
			req->result_flags |= P2PSCOPE_RES_F_BOUNCED;
		if (t->time_limited)
			req->result_flags |= P2PSCOPE_RES_F_TIME_LIMIT;
		if (t->sample_end_ns) {
			first = min(first, t->sample_start_ns);
			last = max(last, t->sample_end_ns);
		}
		req->preempted_windows += t->preempted_windows;
		req->clock_steps_back += t->clock_steps_back;
		if (t->p2p_map_type && !req->p2p_map_type)
			req->p2p_map_type = t->p2p_map_type;
		mapped = max(mapped, t->mapped_segments);
		if (t->timer_cost_ps) {
			cost_ps += t->timer_cost_ps;
			min_delta = min(min_delta, t->timer_min_delta_ns);
			calibrated++;
		}
	}
	req->elapsed_ns = last > first ? last - first : 0;
	if (calibrated) {
		req->timer_overhead_ns = DIV_ROUND_CLOSEST_ULL(cost_ps,
							       calibrated * 1000ULL);
		req->timer_min_delta_ns = min_delta;
	}
	if (req->api == P2PSCOPE_API_DMABUF ||
	    req->api == P2PSCOPE_API_ALLOC_NONCONTIG)
		req->segments = mapped;
	if (req->mem == P2PSCOPE_MEM_DMABUF)
		req->size_bytes = run->size;
	if (run->dmabuf_reattach)
		req->result_flags |= P2PSCOPE_RES_F_CACHED_SGT;
	req->p2p_distance = run->p2p_distance;
	if (req->unmap.count)
		req->result_flags |= p2pscope_iotlb_flush(run);
	req->status = run->out.status;
	req->error = run->out.error;
	memcpy(req->reason, run->out.text, sizeof(req->reason));
}

static void p2pscope_describe(struct p2pscope_run *run)
{
	struct p2pscope_map_bench *req = run->req;

	req->mode = run->mode;
	req->iommu_domain_type = p2pscope_iommu_domain_type(run->dev);
	req->dma_path = p2pscope_dma_path(run->dev);
	req->dma_mask = dma_get_mask(run->dev);
#ifdef P2PSCOPE_HAVE_SWIOTLB_STATE
	if (is_swiotlb_force_bounce(run->dev))
		req->result_flags |= P2PSCOPE_RES_F_SWIOTLB_FORCE;
#endif
#ifdef P2PSCOPE_HAVE_CC_PLATFORM
	if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		req->result_flags |= P2PSCOPE_RES_F_MEM_ENCRYPT;
#endif
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG))
		req->result_flags |= P2PSCOPE_RES_F_DMA_API_DEBUG;
	if (p2pscope_debug_kernel())
		req->result_flags |= P2PSCOPE_RES_F_DEBUG_KERNEL;
	if (p2pscope_test_slowdown_pct)
		req->result_flags |= P2PSCOPE_RES_F_TEST_SLOWDOWN;
}

/* What can be decided from the request, the kernel and the mode alone. */
static int p2pscope_check_request(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	u32 mem = run->req->mem;
	const char *why = "";
	u32 reason;

	reason = p2pscope_api_unavailable(api->id, &why);
	if (reason)
		return p2pscope_refuse(&run->out, reason, 0, "%s: %s",
				       api->name, why);
	reason = p2pscope_mem_unavailable(mem, &why);
	if (reason)
		return p2pscope_refuse(&run->out, reason, 0, "%s memory: %s",
				       p2pscope_mem_name(mem), why);
	if (!(api->mem_mask & BIT(mem)))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "%s does not take %s memory: it takes %s",
				       api->name, p2pscope_mem_name(mem),
				       api->takes);
	if ((run->req->flags & P2PSCOPE_MAP_F_DIRTY) &&
	    (api->allocates || mem == P2PSCOPE_MEM_P2PMEM ||
	     mem == P2PSCOPE_MEM_BAR || mem == P2PSCOPE_MEM_DMABUF))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "P2PSCOPE_MAP_F_DIRTY needs RAM that p2pscope allocates, not %s memory with %s",
				       p2pscope_mem_name(mem), api->name);
	/*
	 * All threads map the same dma-buf.  DMA-API debugging counts such
	 * overlapping mappings (and complains about them unless the exporter
	 * skips CPU syncs, and beyond 7 in any case): keep to one thread.
	 */
	if (IS_ENABLED(CONFIG_DMA_API_DEBUG) && mem == P2PSCOPE_MEM_DMABUF &&
	    run->nthreads > 1)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "with DMA-API debugging on, one thread at a time maps a dma-buf (its mappings would overlap)");
	if ((run->req->flags & P2PSCOPE_MAP_F_IOVA_PER_REQUEST) &&
	    api->id != P2PSCOPE_API_IOVA_LINK)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "P2PSCOPE_MAP_F_IOVA_PER_REQUEST is for dma_iova_link, not %s",
				       api->name);
	if (api->page_segments && run->seg_len % PAGE_SIZE)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_COMBINATION, 0,
				       "%s links whole pages: a segment of %u bytes is not a multiple of %lu",
				       api->name, run->seg_len, PAGE_SIZE);
	if (run->mode == P2PSCOPE_MODE_BORROWED && api->exclusive_only)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NEEDS_EXCLUSIVE, 0,
				       "%s attaches its own IOMMU domain to the device: bind %s to p2pscope (exclusive mode)",
				       api->name, pci_name(run->pdev));
	return 0;
}

/* Set the DMA mask the run asks for (exclusive devices only). */
static int p2pscope_set_mask(struct p2pscope_run *run)
{
	struct device *dev = run->dev;
	u32 bits = run->req->dma_mask_bits;
	u64 mask;
	int ret;

	if (!bits && run->req->mem == P2PSCOPE_MEM_BOUNCE && !run->bounce_any)
		bits = 32;
	if (!bits)
		return 0;
	mask = DMA_BIT_MASK(bits);
	if (mask == dma_get_mask(dev) && mask == dev->coherent_dma_mask)
		return 0;
	if (run->mode != P2PSCOPE_MODE_EXCLUSIVE)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NEEDS_EXCLUSIVE, 0,
				       "a %u-bit DMA mask means changing %s's mask, which its driver owns: bind it to p2pscope (exclusive mode)",
				       bits, pci_name(run->pdev));
	run->saved_mask = dma_get_mask(dev);
	run->saved_coherent_mask = dev->coherent_dma_mask;
	ret = dma_set_mask_and_coherent(dev, mask);
	if (ret) {
		dma_set_mask(dev, run->saved_mask);
		dma_set_coherent_mask(dev, run->saved_coherent_mask);
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DMA_MASK, ret,
				       "dma_set_mask(%u bits) failed for %s (%d)",
				       bits, pci_name(run->pdev), ret);
	}
	run->mask_changed = true;
	return 0;
}

static void p2pscope_restore_mask(struct p2pscope_run *run)
{
	if (!run->mask_changed)
		return;
	dma_set_mask(run->dev, run->saved_mask);
	dma_set_coherent_mask(run->dev, run->saved_coherent_mask);
	run->mask_changed = false;
}

/* Limits of the device's DMA, known once the mask is set. */
/*
 * A run holds its mappings for up to 60 s.  What it maps at once (threads x
 * size) must leave most of what other drivers share to them: the device's
 * swiotlb pool when its streaming mappings bounce (BOUNCE memory, or every
 * mapping under swiotlb=force, as in an encrypted guest), and the IOVA space
 * below its DMA mask behind an IOMMU (a 32-bit device's is 4 GiB for all its
 * users).  IOMMU_DOMAIN maps into a domain of its own.
 */
static int p2pscope_check_budgets(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	struct device *dev = run->dev;
	u64 held = (u64)run->nthreads * run->size;
	struct sysinfo ram;
	u64 budget;

	/* The DMA allocators take pages (or CMA, which RAM also counts). */
	if (api->allocates) {
		si_meminfo(&ram);
		budget = div_u64((u64)ram.totalram * ram.mem_unit *
				 P2PSCOPE_BUDGET_DMA_ALLOC_PCT, 100);
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes allocated at once by %s; RAM is %llu bytes: %u %% budget",
					       held, api->name,
					       (u64)ram.totalram * ram.mem_unit,
					       P2PSCOPE_BUDGET_DMA_ALLOC_PCT);
	}

#if defined(P2PSCOPE_HAVE_SWIOTLB_MEM) && defined(P2PSCOPE_HAVE_SWIOTLB_STATE)
	/* Pages of RAM bounce; P2P memory maps to a bus address or through the IOMMU. */
	if (!api->allocates && api->id != P2PSCOPE_API_IOMMU_DOMAIN &&
	    (run->req->mem == P2PSCOPE_MEM_BOUNCE ||
	     (is_swiotlb_force_bounce(dev) && run->req->mem != P2PSCOPE_MEM_P2PMEM &&
	      run->req->mem != P2PSCOPE_MEM_BAR && run->req->mem != P2PSCOPE_MEM_DMABUF))) {
		struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
		u64 pool = mem ? (u64)READ_ONCE(mem->nslabs) << IO_TLB_SHIFT : 0;

		budget = div_u64(pool * P2PSCOPE_BUDGET_SWIOTLB_PCT, 100);
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes mapped at once would bounce; %s's swiotlb pool is %llu: %u %% budget",
					       held, pci_name(run->pdev), pool,
					       P2PSCOPE_BUDGET_SWIOTLB_PCT);
	}
#endif
	if (api->id != P2PSCOPE_API_IOMMU_DOMAIN &&
	    p2pscope_dma_path(dev) == P2PSCOPE_DMA_PATH_IOMMU) {
		/* (mask + 1) x pct / 100, without overflowing a 64-bit mask */
		budget = div_u64((dma_get_mask(dev) >> 7) + 1, 100) *
			 P2PSCOPE_BUDGET_IOVA_PCT << 7;
		if (held > budget)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BUDGET, 0,
					       "%llu bytes mapped at once; IOVA space below %s's mask 0x%llx: %u %% budget",
					       held, pci_name(run->pdev),
					       dma_get_mask(dev), P2PSCOPE_BUDGET_IOVA_PCT);
	}
	return 0;
}

static int p2pscope_check_limits(struct p2pscope_run *run)
{
	const struct p2pscope_api *api = run->api;
	struct device *dev = run->dev;
	size_t max;

	if (api->single_range && !api->allocates &&
	    api->id != P2PSCOPE_API_MAP_RESOURCE) {
		max = dma_max_mapping_size(dev);
		if (run->size > max)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, 0,
					       "%llu bytes is more than %s maps at once for %s (dma_max_mapping_size %zu)",
					       run->size, api->name,
					       pci_name(run->pdev), max);
	}
	if (api->id == P2PSCOPE_API_MAP_SGTABLE &&
	    run->seg_len > dma_get_max_seg_size(dev))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, 0,
				       "a %u-byte segment is longer than %s takes (dma_get_max_seg_size %u)",
				       run->seg_len, pci_name(run->pdev),
				       dma_get_max_seg_size(dev));
	return p2pscope_check_budgets(run);
}

static int p2pscope_run(struct p2pscope_run *run)
{
	struct p2pscope_map_bench *req = run->req;
	int ret;

	run->pdev = p2pscope_pci_get(&req->addr);
	if (!run->pdev) {
		pr_warn_ratelimited("%s[%d] %s: no PCI device %04x:%02x:%02x.%x\n",
				    current->comm, task_pid_nr(current), CMD,
				    req->addr.domain, req->addr.bus,
				    req->addr.device, req->addr.function);
		return -ENODEV;
	}
	run->dev = &run->pdev->dev;
	if (req->flags & P2PSCOPE_MAP_F_PEER) {
		run->peer = p2pscope_pci_get(&req->peer);
		if (!run->peer) {
			pr_warn_ratelimited("%s[%d] %s: no PCI device %04x:%02x:%02x.%x (peer)\n",
					    current->comm, task_pid_nr(current),
					    CMD, req->peer.domain, req->peer.bus,
					    req->peer.device, req->peer.function);
			return -ENODEV;
		}
	}

	ret = p2pscope_hold_dut(&run->hold, run->pdev, &run->mode, &run->out);
	if (ret < 0)
		return ret;
	p2pscope_describe(run);
	if (ret)
		goto out;

	ret = p2pscope_check_request(run);
	if (!ret)
		ret = p2pscope_pick_cpus(run);
	if (!ret)
		ret = p2pscope_mem_run_setup(run);
	if (!ret)
		ret = p2pscope_set_mask(run);
	req->dma_mask = dma_get_mask(run->dev);
	if (!ret)
		ret = p2pscope_check_limits(run);
	if (!ret && run->api->run_setup)
		ret = run->api->run_setup(run);
	if (!ret)
		ret = p2pscope_run_threads(run);

	if (run->api->run_teardown)
		run->api->run_teardown(run);
	p2pscope_restore_mask(run);
	p2pscope_mem_run_teardown(run);
out:
	p2pscope_release(&run->hold);
	return ret < 0 ? ret : 0;
}

static void p2pscope_run_free(struct p2pscope_run *run)
{
	unsigned int i;

	for (i = 0; run->threads && i < run->nthreads; i++) {
		struct p2pscope_thread *t = run->threads[i];

		if (!t)
			continue;
		kvfree(t->map_hist);
		kvfree(t->unmap_hist);
		kfree(t);
	}
	kfree(run->threads);
	kfree(run->cpus);
	pci_dev_put(run->peer);
	pci_dev_put(run->pdev);
	kfree(run);
}

static int p2pscope_validate(const struct p2pscope_map_bench *r)
{
	const struct p2pscope_api *api = p2pscope_api_get(r->api);
	unsigned int cpus = num_online_cpus();
	int ret;

	ret = p2pscope_check_pci_addr(CMD, "addr", &r->addr);
	if (ret)
		return ret;
	if (r->flags & ~P2PSCOPE_MAP_F_ALL)
		return p2pscope_einval(CMD, "flags", "0x%x (known: 0x%x)",
				       r->flags, P2PSCOPE_MAP_F_ALL);
	if (r->flags & P2PSCOPE_MAP_F_PEER) {
		ret = p2pscope_check_pci_addr(CMD, "peer", &r->peer);
		if (ret)
			return ret;
	} else if (!p2pscope_zero(&r->peer, sizeof(r->peer))) {
		return p2pscope_einval(CMD, "peer", "%x:%x:%x.%x (set without P2PSCOPE_MAP_F_PEER: must be zero)",
				       r->peer.domain, r->peer.bus,
				       r->peer.device, r->peer.function);
	}
	if (!api)
		return p2pscope_einval(CMD, "api", "%u (1..%u)", r->api,
				       P2PSCOPE_API_COUNT - 1);
	if (!r->mem || r->mem >= P2PSCOPE_MEM_COUNT)
		return p2pscope_einval(CMD, "mem", "%u (1..%u)", r->mem,
				       P2PSCOPE_MEM_COUNT - 1);
	if (r->dir > P2PSCOPE_DIR_FROM_DEVICE)
		return p2pscope_einval(CMD, "dir", "%u (0..2)", r->dir);
	if (r->api == P2PSCOPE_API_ALLOC_COHERENT &&
	    r->dir != P2PSCOPE_DIR_BIDIRECTIONAL)
		return p2pscope_einval(CMD, "dir", "%u (dma_alloc_coherent has no direction: must be P2PSCOPE_DIR_BIDIRECTIONAL)",
				       r->dir);
	if (!r->threads || r->threads > cpus)
		return p2pscope_einval(CMD, "threads", "%u (1..%u, the online CPUs)",
				       r->threads, cpus);
	if (r->mem == P2PSCOPE_MEM_DMABUF) {
		if (r->size_bytes)
			return p2pscope_einval(CMD, "size_bytes", "%llu (must be 0 with mem=DMABUF: the dma-buf has a size)",
					       r->size_bytes);
	} else if (!r->size_bytes || r->size_bytes > P2PSCOPE_MAX_SIZE_BYTES) {
		return p2pscope_einval(CMD, "size_bytes", "%llu (1..%llu)",
				       r->size_bytes, P2PSCOPE_MAX_SIZE_BYTES);
	}
	if (r->api == P2PSCOPE_API_DMABUF ||
	    r->api == P2PSCOPE_API_ALLOC_NONCONTIG) {
		if (r->segments)
			return p2pscope_einval(CMD, "segments", "%u (must be 0 with %s: it decides the segments)",
					       r->segments, api->name);
	} else if (api->single_range) {
		if (r->segments != 1)
			return p2pscope_einval(CMD, "segments", "%u (%s maps one range: must be 1)",
					       r->segments, api->name);
	} else if (!r->segments || r->segments > P2PSCOPE_MAX_SEGMENTS) {
		return p2pscope_einval(CMD, "segments", "%u (1..%u)",
				       r->segments, P2PSCOPE_MAX_SEGMENTS);
	} else if (r->mem != P2PSCOPE_MEM_DMABUF &&
		   r->size_bytes % r->segments) {
		return p2pscope_einval(CMD, "segments", "%u (must divide size_bytes %llu)",
				       r->segments, r->size_bytes);
	}
	if (r->iterations > P2PSCOPE_MAX_ITERATIONS)
		return p2pscope_einval(CMD, "iterations", "%llu (at most %llu)",
				       r->iterations, P2PSCOPE_MAX_ITERATIONS);
	if (r->duration_ns > P2PSCOPE_MAX_DURATION_NS)
		return p2pscope_einval(CMD, "duration_ns", "%llu (at most %llu)",
				       r->duration_ns, P2PSCOPE_MAX_DURATION_NS);
	if (!r->iterations && !r->duration_ns)
		return p2pscope_einval(CMD, "iterations", "%s",
				       "0 with duration_ns 0 (set one or both)");
	if (r->clock >= P2PSCOPE_CLOCK_COUNT)
		return p2pscope_einval(CMD, "clock", "%u (0..%u)", r->clock,
				       P2PSCOPE_CLOCK_COUNT - 1);
	if (r->dma_mask_bits && (r->dma_mask_bits < 24 || r->dma_mask_bits > 64))
		return p2pscope_einval(CMD, "dma_mask_bits", "%u (0, or 24..64)",
				       r->dma_mask_bits);
	if (r->mem == P2PSCOPE_MEM_BAR) {
		if (!(r->flags & P2PSCOPE_MAP_F_PEER))
			return p2pscope_einval(CMD, "flags", "0x%x (mem=BAR needs P2PSCOPE_MAP_F_PEER and the BAR's device in peer)",
					       r->flags);
		if (r->bar >= PCI_STD_NUM_BARS)
			return p2pscope_einval(CMD, "bar", "%u (0..%u)", r->bar,
					       PCI_STD_NUM_BARS - 1);
	} else if (r->bar) {
		return p2pscope_einval(CMD, "bar", "%u (must be 0 unless mem=BAR)",
				       r->bar);
	} else if (r->bar_offset_bytes) {
		return p2pscope_einval(CMD, "bar_offset_bytes", "%llu (must be 0 unless mem=BAR)",
				       r->bar_offset_bytes);
	}
	if (r->mem == P2PSCOPE_MEM_DMABUF) {
		if (r->dmabuf_fd < 0)
			return p2pscope_einval(CMD, "dmabuf_fd", "%d (not a file descriptor)",
					       r->dmabuf_fd);
	} else if (r->dmabuf_fd) {
		return p2pscope_einval(CMD, "dmabuf_fd", "%d (must be 0 unless mem=DMABUF)",
				       r->dmabuf_fd);
	}
	if (r->hold_ns > P2PSCOPE_MAX_HOLD_NS)
		return p2pscope_einval(CMD, "hold_ns", "%u (at most %u)",
				       r->hold_ns, P2PSCOPE_MAX_HOLD_NS);
	ret = p2pscope_check_hist(CMD, r->map_hist_uptr | r->unmap_hist_uptr,
				  r->hist_buckets);
	if (ret)
		return ret;
	if ((r->flags & P2PSCOPE_MAP_F_CPUS) && !r->cpus_uptr)
		return p2pscope_einval(CMD, "flags", "0x%x (P2PSCOPE_MAP_F_CPUS needs cpus_uptr)",
				       r->flags);
	if (!p2pscope_zero(r->reserved_in, sizeof(r->reserved_in)))
		return p2pscope_einval(CMD, "reserved_in", "%s",
				       "non-zero (must be zero)");
	if (r->reserved_out0 ||
	    !p2pscope_zero(r->reserved_out, sizeof(r->reserved_out)))
		return p2pscope_einval(CMD, "reserved_out", "%s",
				       "non-zero (must be zero)");
	return 0;
}

static bool p2pscope_hist_ok(u64 uptr)
{
	return !uptr || access_ok(u64_to_user_ptr(uptr), HIST_BYTES);
}

static int p2pscope_copy_hist(u64 uptr, const u64 *hist)
{
	if (!uptr)
		return 0;
	return copy_to_user(u64_to_user_ptr(uptr), hist, HIST_BYTES) ?
		-EFAULT : 0;
}

long p2pscope_ioctl_map_bench(void __user *argp)
{
	struct p2pscope_map_bench *req;
	struct p2pscope_run *run = NULL;
	u64 *hist = NULL;
	long ret;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = p2pscope_validate(req);
	if (ret)
		goto out;
	if (!p2pscope_hist_ok(req->map_hist_uptr) ||
	    !p2pscope_hist_ok(req->unmap_hist_uptr)) {
		ret = -EFAULT;
		goto out;
	}

	p2pscope_start_result(req, status);
	req->clock = req->clock ?: p2pscope_default_clock();
	req->p2p_distance = P2PSCOPE_NONE_U32;

	hist = kvcalloc(2 * P2PSCOPE_HIST_BUCKETS, sizeof(u64), GFP_KERNEL);
	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!hist || !run) {
		ret = -ENOMEM;
		goto out;
	}
	run->req = req;
	run->api = p2pscope_api_get(req->api);
	run->nthreads = req->threads;
	run->clock = req->clock;
	run->size = req->size_bytes;
	run->nsegs = req->segments ?: 1;
	run->seg_len = div_u64(req->size_bytes, run->nsegs);
	run->limit_ns = req->duration_ns ?: P2PSCOPE_MAX_DURATION_NS;
	run->p2p_distance = P2PSCOPE_NONE_U32;
	run->attrs = req->flags & P2PSCOPE_MAP_F_SKIP_CPU_SYNC ?
		     DMA_ATTR_SKIP_CPU_SYNC : 0;
	run->dir = req->dir == P2PSCOPE_DIR_TO_DEVICE ? DMA_TO_DEVICE :
		   req->dir == P2PSCOPE_DIR_FROM_DEVICE ? DMA_FROM_DEVICE :
		   DMA_BIDIRECTIONAL;

	run->cpus = kcalloc(run->nthreads, sizeof(*run->cpus), GFP_KERNEL);
	if (!run->cpus) {
		ret = -ENOMEM;
		goto out;
	}
	if (req->flags & P2PSCOPE_MAP_F_CPUS) {
		ret = p2pscope_get_cpus(run);
		if (ret)
			goto out;
	}

	ret = p2pscope_run(run);
	if (ret)
		goto out;
	p2pscope_finish(run, hist, hist + P2PSCOPE_HIST_BUCKETS);
	if (req->cpus_uptr && run->threads &&
	    copy_to_user(u64_to_user_ptr(req->cpus_uptr), run->cpus,
			 run->nthreads * sizeof(*run->cpus))) {
		ret = -EFAULT;
		goto out;
	}
	if (req->map_hist_uptr || req->unmap_hist_uptr)
		req->hist_buckets = P2PSCOPE_HIST_BUCKETS;
	ret = p2pscope_copy_hist(req->map_hist_uptr, hist);
	if (!ret)
		ret = p2pscope_copy_hist(req->unmap_hist_uptr,
					 hist + P2PSCOPE_HIST_BUCKETS);
	if (!ret && copy_to_user(argp, req, sizeof(*req)))
		ret = -EFAULT;
out:
	if (run)
		p2pscope_run_free(run);
	kvfree(hist);
	kfree(req);
	return ret;
}
