// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: XFER_DMA, the kernel dmaengine engine.
 *
 * Copies between RAM and a BAR, or RAM and RAM, with a dmaengine channel that
 * offers DMA_MEMCPY (Intel IOAT or DSA, AMD PTDMA...).  Both sides are mapped
 * for the channel's own device: RAM with dma_map_single, a BAR, which has no
 * struct page, with dma_map_resource.  One copy is in flight at a time; each
 * is timed from submission to its completion callback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dmaengine.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "p2pscope_internal.h"

#define CMD "XFER_DMA"
#define P2PSCOPE_DMA_TIMEOUT_MS	5000

#ifdef P2PSCOPE_HAVE_DMAENGINE_MEMCPY

struct p2pscope_dma_side {
	u32 mem;
	enum dma_data_direction dir;
	void *ram;			/* MEM_RAM */
	void __iomem *io;		/* MEM_BAR: the CPU's view */
	phys_addr_t phys;		/* MEM_BAR */
	dma_addr_t dma;
	bool mapped;
};

struct p2pscope_dma_run {
	struct p2pscope_xfer_dma *req;
	struct dma_chan *chan;
	struct device *dma_dev;
	struct pci_dev *peer;
	struct p2pscope_hold hold;
	bool enabled;			/* pci_enable_device_mem(peer) */
	struct p2pscope_dma_side src, dst;
	u64 *hist;
	u64 *scratch;			/* a copy's worth, for BAR checks */
	struct completion done;
	u64 t_done;
	struct p2pscope_outcome out;
};

static void p2pscope_dma_callback(void *param)
{
	struct p2pscope_dma_run *run = param;

	run->t_done = ktime_get_ns();
	complete(&run->done);
}

static int p2pscope_dma_side_setup(struct p2pscope_dma_run *run,
				   struct p2pscope_dma_side *s, u32 mem,
				   enum dma_data_direction dir)
{
	struct p2pscope_xfer_dma *req = run->req;
	size_t size = req->size_bytes;

	s->mem = mem;
	s->dir = dir;
	if (mem == P2PSCOPE_MEM_RAM) {
		s->ram = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);
		if (!s->ram)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_MEMORY, -ENOMEM,
					       "no %zu contiguous bytes of RAM", size);
		s->dma = dma_map_single(run->dma_dev, s->ram, size, dir);
	} else {
		s->phys = pci_resource_start(run->peer, req->bar) +
			  req->bar_offset_bytes;
		s->io = pci_iomap_range(run->peer, req->bar,
					req->bar_offset_bytes, size);
		if (!s->io)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, -ENOMEM,
					       "cannot map BAR %u of %s for the CPU",
					       req->bar, pci_name(run->peer));
		s->dma = dma_map_resource(run->dma_dev, s->phys, size, dir, 0);
	}
	if (dma_mapping_error(run->dma_dev, s->dma))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_MAP_FAILED, -EIO,
				       "%s for %s failed",
				       mem == P2PSCOPE_MEM_RAM ? "dma_map_single" :
				       "dma_map_resource", dev_name(run->dma_dev));
	s->mapped = true;
	return 0;
}

static void p2pscope_dma_side_free(struct p2pscope_dma_run *run,
				   struct p2pscope_dma_side *s)
{
	size_t size = run->req->size_bytes;

	if (s->mapped && s->mem == P2PSCOPE_MEM_RAM)
		dma_unmap_single(run->dma_dev, s->dma, size, s->dir);
	else if (s->mapped)
		dma_unmap_resource(run->dma_dev, s->dma, size, s->dir, 0);
	if (s->io)
		pci_iounmap(run->peer, s->io);
	if (s->ram)
		free_pages_exact(s->ram, size);
	memset(s, 0, sizeof(*s));
}

static void p2pscope_dma_side_fill(struct p2pscope_dma_run *run,
				   struct p2pscope_dma_side *s)
{
	const u64 n = run->req->size_bytes / 8, seed = run->req->seed;
	u64 *w = s->ram ?: run->scratch;
	u64 j;

	for (j = 0; j < n; j++)
		w[j] = cpu_to_le64(p2pscope_pattern(seed, j * 8));
	if (s->io)
		memcpy_toio(s->io, run->scratch, run->req->size_bytes);
	else
		dma_sync_single_for_device(run->dma_dev, s->dma,
					   run->req->size_bytes, s->dir);
}

static void p2pscope_dma_side_poison(struct p2pscope_dma_run *run,
				     struct p2pscope_dma_side *s)
{
	if (s->io) {
		memset_io(s->io, P2PSCOPE_POISON_BYTE, run->req->size_bytes);
		return;
	}
	dma_sync_single_for_cpu(run->dma_dev, s->dma, run->req->size_bytes, s->dir);
	memset(s->ram, P2PSCOPE_POISON_BYTE, run->req->size_bytes);
	dma_sync_single_for_device(run->dma_dev, s->dma, run->req->size_bytes,
				   s->dir);
}

static bool p2pscope_dma_side_check(struct p2pscope_dma_run *run,
				    struct p2pscope_dma_side *s)
{
	struct p2pscope_xfer_dma *req = run->req;
	const u64 n = req->size_bytes / 8;
	const u64 *w = s->ram;
	u64 j;

	if (s->io) {
		memcpy_fromio(run->scratch, s->io, req->size_bytes);
		w = run->scratch;
	} else {
		dma_sync_single_for_cpu(run->dma_dev, s->dma, req->size_bytes,
					s->dir);
	}
	for (j = 0; j < n; j++) {
		if (le64_to_cpu(w[j]) != p2pscope_pattern(req->seed, j * 8)) {
			req->verify = P2PSCOPE_VERIFY_MISMATCH;
			req->verify_mismatch_offset = j * 8;
			return false;
		}
	}
	return true;
}

/* One copy, timed from submission to the completion callback. */
static int p2pscope_dma_copy(struct p2pscope_dma_run *run)
{
	struct p2pscope_xfer_dma *req = run->req;
	struct dma_async_tx_descriptor *tx;
	enum dma_status st;
	dma_cookie_t cookie;
	u64 t0;

	tx = dmaengine_prep_dma_memcpy(run->chan, run->dst.dma, run->src.dma,
				       req->size_bytes,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -EIO,
				       "%s refused to prepare a %llu-byte memcpy",
				       dma_chan_name(run->chan), req->size_bytes);
	tx->callback = p2pscope_dma_callback;
	tx->callback_param = run;
	reinit_completion(&run->done);
	t0 = ktime_get_ns();
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, cookie,
				       "%s: submit failed (%d)",
				       dma_chan_name(run->chan), cookie);
	dma_async_issue_pending(run->chan);
	if (!wait_for_completion_timeout(&run->done,
					 msecs_to_jiffies(P2PSCOPE_DMA_TIMEOUT_MS))) {
		dmaengine_terminate_sync(run->chan);
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -ETIMEDOUT,
				       "%s: copy %llu did not complete in %u ms",
				       dma_chan_name(run->chan), req->copies,
				       P2PSCOPE_DMA_TIMEOUT_MS);
	}
	st = dma_async_is_tx_complete(run->chan, cookie, NULL, NULL);
	if (st != DMA_COMPLETE)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -EIO,
				       "%s: copy %llu ended with status %d",
				       dma_chan_name(run->chan), req->copies, st);
	p2pscope_record(&req->latency, run->hist,
			run->t_done > t0 ? run->t_done - t0 : 0);
	req->copies++;
	req->bytes += req->size_bytes;
	return 0;
}

static int p2pscope_dma_setup(struct p2pscope_dma_run *run)
{
	struct p2pscope_xfer_dma *req = run->req;
	bool bar = req->src_mem == P2PSCOPE_MEM_BAR ||
		   req->dst_mem == P2PSCOPE_MEM_BAR;
	dma_cap_mask_t mask;
	u32 mode;
	int ret;

	if (bar) {
		struct resource *r;

		run->peer = p2pscope_pci_get(&req->peer);
		if (!run->peer)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, -ENODEV,
					       "no PCI device %04x:%02x:%02x.%x",
					       req->peer.domain, req->peer.bus,
					       req->peer.device, req->peer.function);
		ret = p2pscope_hold_dut(&run->hold, run->peer, &mode, &run->out);
		if (ret)
			return ret;
		if (mode != P2PSCOPE_MODE_EXCLUSIVE)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NEEDS_EXCLUSIVE, 0,
					       "the copy overwrites BAR %u of %s: bind it to p2pscope first",
					       req->bar, pci_name(run->peer));
		/*
		 * Writing a pattern of the caller's choosing into a device's
		 * BAR is the raw PCI access that lockdown takes from root
		 * (as it does sysfs resource files and /dev/mem).
		 */
		ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
		if (ret)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_LOCKDOWN, ret,
					       "the kernel is locked down: no direct access to %s's BAR %u",
					       pci_name(run->peer), req->bar);
		r = &run->peer->resource[req->bar];
		if (!(r->flags & IORESOURCE_MEM) || !resource_size(r) ||
		    req->bar_offset_bytes > resource_size(r) ||
		    req->size_bytes > resource_size(r) - req->bar_offset_bytes)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
					       "BAR %u of %s (%pR) has no %llu bytes at offset %llu",
					       req->bar, pci_name(run->peer), r,
					       req->size_bytes, req->bar_offset_bytes);
		/*
		 * A BAR answers only in D0 with memory decoding on; p2pscope's
		 * driver enables neither at bind.  Enabling brings the device to
		 * D0 and turns on decoding (never bus mastering).
		 */
		ret = pci_enable_device_mem(run->peer);
		if (ret)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, ret,
					       "cannot enable %s's memory decoding (%d)",
					       pci_name(run->peer), ret);
		run->enabled = true;
		if (run->peer->current_state != PCI_D0)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BAR_UNSUITABLE, 0,
					       "%s is in D%d, not D0: its BARs do not answer",
					       pci_name(run->peer),
					       run->peer->current_state);
	}

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	run->chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(run->chan)) {
		ret = PTR_ERR(run->chan);
		run->chan = NULL;
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_DMA_CHANNEL, ret,
				       "no dmaengine channel offers DMA_MEMCPY here (Intel IOAT/DSA or AMD PTDMA with its driver loaded)");
	}
	run->dma_dev = dmaengine_get_dma_device(run->chan);
	strscpy(req->channel, dma_chan_name(run->chan), sizeof(req->channel));
	strscpy(req->channel_device, dev_name(run->dma_dev),
		sizeof(req->channel_device));
	if (bar && dev_is_pci(run->dma_dev))
		req->result_flags |= P2PSCOPE_XRES_F_P2P;
	run->hist = kvcalloc(P2PSCOPE_HIST_BUCKETS, sizeof(u64), GFP_KERNEL);
	run->scratch = kvmalloc(req->size_bytes, GFP_KERNEL);
	if (!run->hist || !run->scratch)
		return -ENOMEM;
	ret = p2pscope_dma_side_setup(run, &run->src, req->src_mem, DMA_TO_DEVICE);
	if (!ret)
		ret = p2pscope_dma_side_setup(run, &run->dst, req->dst_mem,
					      DMA_FROM_DEVICE);
	return ret;
}

static int p2pscope_dma_measure(struct p2pscope_dma_run *run)
{
	struct p2pscope_xfer_dma *req = run->req;
	const bool verify = req->flags & P2PSCOPE_XFER_F_VERIFY;
	const u64 limit = req->iterations ?: U64_MAX;
	u64 start, deadline;
	int ret;

	req->latency.min_ns = U64_MAX;
	if (verify) {
		req->verify = P2PSCOPE_VERIFY_MATCHED;
		p2pscope_dma_side_fill(run, &run->src);
	}
	start = ktime_get_ns();
	deadline = start + (req->duration_ns ?: P2PSCOPE_MAX_DURATION_NS);
	while (req->copies < limit) {
		if (verify)
			p2pscope_dma_side_poison(run, &run->dst);
		ret = p2pscope_dma_copy(run);
		if (ret)
			break;
		if (verify && !p2pscope_dma_side_check(run, &run->dst))
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (READ_ONCE(run->hold.gone)) {
			ret = p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, 0,
					      "%s was unbound or removed",
					      pci_name(run->peer));
			break;
		}
		if (ktime_get_ns() >= deadline) {
			if (req->iterations)
				req->result_flags |= P2PSCOPE_XRES_F_TIME_LIMIT;
			break;
		}
		cond_resched();
	}
	req->elapsed_ns = run->t_done > start ? run->t_done - start : 0;
	if (!req->latency.count)
		req->latency.min_ns = 0;
	if (verify && !req->copies)
		req->verify = P2PSCOPE_VERIFY_NOT_CHECKED;
	return ret;
}

static void p2pscope_dma_run_free(struct p2pscope_dma_run *run)
{
	p2pscope_dma_side_free(run, &run->dst);
	p2pscope_dma_side_free(run, &run->src);
	if (run->chan)
		dma_release_channel(run->chan);
	if (run->enabled)
		pci_disable_device(run->peer);
	p2pscope_release(&run->hold);
	pci_dev_put(run->peer);
	kvfree(run->scratch);
	kvfree(run->hist);
	kfree(run);
}

#endif /* P2PSCOPE_HAVE_DMAENGINE_MEMCPY */

static int p2pscope_dma_validate(const struct p2pscope_xfer_dma *r)
{
	bool bar = r->src_mem == P2PSCOPE_MEM_BAR || r->dst_mem == P2PSCOPE_MEM_BAR;
	int ret;

	if (r->flags & ~(P2PSCOPE_XFER_F_PEER | P2PSCOPE_XFER_F_VERIFY))
		return p2pscope_einval(CMD, "flags", "0x%x (known: PEER, VERIFY)",
				       r->flags);
	if ((r->src_mem != P2PSCOPE_MEM_RAM && r->src_mem != P2PSCOPE_MEM_BAR) ||
	    (r->dst_mem != P2PSCOPE_MEM_RAM && r->dst_mem != P2PSCOPE_MEM_BAR))
		return p2pscope_einval(CMD, "src_mem/dst_mem", "%u/%u (RAM or BAR each)",
				       r->src_mem, r->dst_mem);
	if (r->src_mem == P2PSCOPE_MEM_BAR && r->dst_mem == P2PSCOPE_MEM_BAR)
		return p2pscope_einval(CMD, "src_mem/dst_mem", "%s",
				       "BAR/BAR (one BAR side at most)");
	if (bar != !!(r->flags & P2PSCOPE_XFER_F_PEER))
		return p2pscope_einval(CMD, "flags", "0x%x (PEER names the BAR's device: set exactly when a side is BAR)",
				       r->flags);
	if (bar) {
		ret = p2pscope_check_pci_addr(CMD, "peer", &r->peer);
		if (ret)
			return ret;
		if (r->bar > 5)
			return p2pscope_einval(CMD, "bar", "%u (0 .. 5)", r->bar);
		if (r->bar_offset_bytes % PAGE_SIZE)
			return p2pscope_einval(CMD, "bar_offset_bytes", "%llu (page aligned)",
					       r->bar_offset_bytes);
	} else if (!p2pscope_zero(&r->peer, sizeof(r->peer)) || r->bar ||
		   r->bar_offset_bytes) {
		return p2pscope_einval(CMD, "peer/bar/bar_offset_bytes", "%s",
				       "set without a BAR side (must be zero)");
	}
	if (r->size_bytes < 8 || r->size_bytes > P2PSCOPE_MAX_DMA_COPY_BYTES ||
	    r->size_bytes % 8)
		return p2pscope_einval(CMD, "size_bytes", "%llu (8 .. %llu, a multiple of 8)",
				       r->size_bytes, P2PSCOPE_MAX_DMA_COPY_BYTES);
	if (!r->iterations && !r->duration_ns)
		return p2pscope_einval(CMD, "iterations/duration_ns", "%s",
				       "both zero (set at least one)");
	if (r->iterations > P2PSCOPE_MAX_ITERATIONS)
		return p2pscope_einval(CMD, "iterations", "%llu (at most %llu)",
				       r->iterations, P2PSCOPE_MAX_ITERATIONS);
	if (r->duration_ns > P2PSCOPE_MAX_DURATION_NS)
		return p2pscope_einval(CMD, "duration_ns", "%llu (at most %llu)",
				       r->duration_ns, P2PSCOPE_MAX_DURATION_NS);
	ret = p2pscope_check_hist(CMD, r->hist_uptr, r->hist_buckets);
	if (ret)
		return ret;
	if (r->reserved0 || !p2pscope_zero(r->reserved_in, sizeof(r->reserved_in)) ||
	    !p2pscope_zero(r->reserved_out, sizeof(r->reserved_out)))
		return p2pscope_einval(CMD, "reserved*", "%s", "non-zero (must be zero)");
	return 0;
}

long p2pscope_ioctl_xfer_dma(void __user *argp)
{
	struct p2pscope_xfer_dma *req;
	long ret;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = p2pscope_dma_validate(req);
	if (ret)
		goto out;
	if (req->hist_uptr &&
	    !access_ok(u64_to_user_ptr(req->hist_uptr), P2PSCOPE_HIST_BYTES)) {
		ret = -EFAULT;
		goto out;
	}
	p2pscope_start_result(req, status);
	req->seed = get_random_u64();
	if (p2pscope_debug_kernel())
		req->result_flags |= P2PSCOPE_XRES_F_DEBUG_KERNEL;
#ifdef P2PSCOPE_HAVE_DMAENGINE_MEMCPY
	{
		struct p2pscope_dma_run *run = kzalloc(sizeof(*run), GFP_KERNEL);

		if (!run) {
			ret = -ENOMEM;
			goto out;
		}
		run->req = req;
		init_completion(&run->done);
		ret = p2pscope_dma_setup(run);
		if (!ret)
			ret = p2pscope_dma_measure(run);
		if (ret > 0)
			ret = 0;	/* refused: the outcome says why */
		req->status = run->out.status;
		req->error = run->out.error;
		strscpy(req->reason, run->out.text, sizeof(req->reason));
		/* A refusal before the histogram existed writes none. */
		if (!ret && req->hist_uptr && run->hist) {
			req->hist_buckets = P2PSCOPE_HIST_BUCKETS;
			if (copy_to_user(u64_to_user_ptr(req->hist_uptr),
					 run->hist, P2PSCOPE_HIST_BYTES))
				ret = -EFAULT;
		}
		p2pscope_dma_run_free(run);
	}
#else
	req->status = P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
	strscpy(req->reason, "kernel built without CONFIG_DMA_ENGINE",
		sizeof(req->reason));
#endif
	if (!ret && copy_to_user(argp, req, sizeof(*req)))
		ret = -EFAULT;
out:
	kfree(req);
	return ret;
}
