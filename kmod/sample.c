// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: MAP_BENCH's sampling threads (see run.c).
 *
 * One kernel thread per CPU, bound to it.  Each allocates its own memory on
 * its own node, calibrates the clock, then repeats map/unmap, timing each
 * call into its own log-linear histogram: nothing is shared while sampling.
 * The caller starts them together, waits for them, stops them and merges
 * what they recorded into the request's results.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>

#include "p2pscope_internal.h"

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
	t->map_hist = kvzalloc_node(P2PSCOPE_HIST_BYTES, GFP_KERNEL, node);
	t->unmap_hist = kvzalloc_node(P2PSCOPE_HIST_BYTES, GFP_KERNEL, node);
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

/*
 * Start a thread per CPU, let them sample together, wait for them and stop
 * them: 0, -EINTR after a fatal signal, or why a thread could not be made.
 */
int p2pscope_run_threads(struct p2pscope_run *run)
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

	if (run->api->own_domain)
		return P2PSCOPE_RES_F_IOTLB_STRICT;
	if (req->dma_path != P2PSCOPE_DMA_PATH_IOMMU ||
	    req->p2p_map_type == P2PSCOPE_P2P_BUS_ADDR)
		return 0;
	if (run->api->holds_iova && !run->iova_per_request)
		return P2PSCOPE_RES_F_IOTLB_STRICT;
	return req->iommu_domain_type == P2PSCOPE_IOMMU_DMA_FQ ?
	       P2PSCOPE_RES_F_IOTLB_DEFERRED : P2PSCOPE_RES_F_IOTLB_STRICT;
}

/*
 * Merge the threads' stats and flags into the request and their histograms
 * into @map_hist and @unmap_hist; the request's status is the first failure.
 */
void p2pscope_collect_results(struct p2pscope_run *run, u64 *map_hist,
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
	if (run->api->decides_segments)
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
