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
 *
 * This file has the request's validation, the run's setup around the
 * threads and the ioctl; whether the request can run here is decided in
 * run_checks.c, the threads and their sampling are in sample.c, the clocks
 * in clock.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cc_platform.h>
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/topology.h>
#include <linux/uaccess.h>

#include "p2pscope_internal.h"

#define CMD			"MAP_BENCH"

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

static int p2pscope_run_measure(struct p2pscope_run *run)
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
	if (api->no_direction && r->dir != P2PSCOPE_DIR_BIDIRECTIONAL)
		return p2pscope_einval(CMD, "dir", "%u (%s has no direction: must be P2PSCOPE_DIR_BIDIRECTIONAL)",
				       r->dir, api->name);
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
	if (api->decides_segments) {
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
	return !uptr || access_ok(u64_to_user_ptr(uptr), P2PSCOPE_HIST_BYTES);
}

static int p2pscope_copy_hist(u64 uptr, const u64 *hist)
{
	if (!uptr)
		return 0;
	return copy_to_user(u64_to_user_ptr(uptr), hist, P2PSCOPE_HIST_BYTES) ?
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

	ret = p2pscope_run_measure(run);
	if (ret)
		goto out;
	p2pscope_collect_results(run, hist, hist + P2PSCOPE_HIST_BUCKETS);
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
