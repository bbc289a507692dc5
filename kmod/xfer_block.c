// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: XFER_BLOCK, the kernel NVMe engine.
 *
 * Moves data between a block device and RAM or p2pmem the way nvmet and file
 * systems do: bios built from pages, queue_depth of them in flight, each
 * completed by the device.  With p2pmem as the buffer every bio is a
 * device-to-device DMA between the block device and the provider's BAR.
 *
 * The caller's context submits, waits for completions (collected lock-free
 * from the end_io callbacks), records each bio's latency, checks its data
 * and submits the next.  Whatever ends a run (count, time, an I/O error, a
 * wrong word, a fatal signal, the provider going away, a device in PCIe error
 * recovery or one that stops completing I/O) stops submission.
 *
 * A failing device must not hang the caller, nor whoever removes it.  So the
 * run holds only the p2pmem provider (whose memory goes with its driver), not
 * the block device's PCI function: the block layer fails the bios of a
 * device that goes.  Every wait is bounded: a run stops when no bio completes
 * for P2PSCOPE_XFER_STALL_NS, and after a stop it waits at most
 * P2PSCOPE_XFER_SETTLE for the bios in flight.  Bios still in flight then are
 * left to their end_io: buffers are never freed while a device may still
 * write them; the last end_io hands the run to a work item that frees it, and
 * the module stays loaded until then.
 *
 * Phases, only the second timed:
 *  1. verified reads: the range is written with the pattern from RAM;
 *  2. the measured reads or writes;
 *  3. verified writes: the range is read back into RAM and checked.
 *
 * This file has the command: its checks and a run's life from the ioctl to
 * its freeing.  Opening the block device and the p2pmem setup are in
 * xfer_block_setup.c, the buffers and their bios in xfer_block_bio.c, the
 * phases and their waits in xfer_block_phases.c, what they share in
 * xfer_block.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "p2pscope_internal.h"
#include "xfer_block.h"

/* Also for the stub: a kernel without the block API validates the same. */
static int p2pscope_block_validate(const struct p2pscope_xfer_block *r)
{
	int ret;

	if (r->flags & ~P2PSCOPE_XFER_F_ALL)
		return p2pscope_einval(CMD, "flags", "0x%x (known: 0x%x)",
				       r->flags, P2PSCOPE_XFER_F_ALL);
	if (r->flags & P2PSCOPE_XFER_F_PEER) {
		if (r->mem != P2PSCOPE_MEM_P2PMEM)
			return p2pscope_einval(CMD, "flags", "0x%x (a peer is the p2pmem provider: only with mem P2PMEM)",
					       r->flags);
		ret = p2pscope_check_pci_addr(CMD, "peer", &r->peer);
		if (ret)
			return ret;
	} else if (!p2pscope_zero(&r->peer, sizeof(r->peer))) {
		return p2pscope_einval(CMD, "peer", "%s",
				       "set without P2PSCOPE_XFER_F_PEER (must be zero)");
	}
	if (r->block_major > MAJOR(~0U) || r->block_minor > MINOR(~0U) ||
	    (!r->block_major && !r->block_minor))
		return p2pscope_einval(CMD, "block_major:block_minor", "%u:%u",
				       r->block_major, r->block_minor);
	if (r->mem != P2PSCOPE_MEM_RAM && r->mem != P2PSCOPE_MEM_P2PMEM)
		return p2pscope_einval(CMD, "mem", "%u (RAM or P2PMEM)", r->mem);
	if (r->dir != P2PSCOPE_DIR_FROM_DEVICE && r->dir != P2PSCOPE_DIR_TO_DEVICE)
		return p2pscope_einval(CMD, "dir", "%u (FROM_DEVICE or TO_DEVICE)",
				       r->dir);
	if (r->block_bytes < 512 || r->block_bytes > P2PSCOPE_MAX_BLOCK_BYTES ||
	    r->block_bytes % 512)
		return p2pscope_einval(CMD, "block_bytes",
				       "%u (a multiple of 512 up to %u)",
				       r->block_bytes, P2PSCOPE_MAX_BLOCK_BYTES);
	if (!r->queue_depth || r->queue_depth > P2PSCOPE_MAX_QUEUE_DEPTH)
		return p2pscope_einval(CMD, "queue_depth", "%u (1 .. %u)",
				       r->queue_depth, P2PSCOPE_MAX_QUEUE_DEPTH);
	if (r->span_bytes % r->block_bytes)
		return p2pscope_einval(CMD, "span_bytes",
				       "%llu (a multiple of block_bytes %u)",
				       r->span_bytes, r->block_bytes);
	if (r->offset_bytes > U64_MAX / 2 || r->span_bytes > U64_MAX / 2)
		return p2pscope_einval(CMD, "offset_bytes/span_bytes", "%llu/%llu",
				       r->offset_bytes, r->span_bytes);
	if (!r->iterations && !r->duration_ns)
		return p2pscope_einval(CMD, "iterations/duration_ns", "%s",
				       "both zero (set at least one)");
	if (r->iterations > P2PSCOPE_MAX_ITERATIONS)
		return p2pscope_einval(CMD, "iterations", "%llu (at most %llu)",
				       r->iterations, P2PSCOPE_MAX_ITERATIONS);
	if (r->duration_ns > P2PSCOPE_MAX_DURATION_NS)
		return p2pscope_einval(CMD, "duration_ns", "%llu (at most %llu)",
				       r->duration_ns, P2PSCOPE_MAX_DURATION_NS);
	if (r->dir == P2PSCOPE_DIR_TO_DEVICE &&
	    !(r->flags & P2PSCOPE_XFER_F_DESTRUCTIVE))
		return p2pscope_einval(CMD, "flags", "0x%x (writes need P2PSCOPE_XFER_F_DESTRUCTIVE)",
				       r->flags);
	if ((r->flags & P2PSCOPE_XFER_F_FORCE) &&
	    !(r->flags & P2PSCOPE_XFER_F_DESTRUCTIVE))
		return p2pscope_einval(CMD, "flags", "0x%x (P2PSCOPE_XFER_F_FORCE only with DESTRUCTIVE)",
				       r->flags);
	if ((r->flags & P2PSCOPE_XFER_F_VERIFY) &&
	    !(r->flags & P2PSCOPE_XFER_F_DESTRUCTIVE))
		return p2pscope_einval(CMD, "flags", "0x%x (verification writes a pattern first: needs P2PSCOPE_XFER_F_DESTRUCTIVE)",
				       r->flags);
	ret = p2pscope_check_hist(CMD, r->hist_uptr, r->hist_buckets);
	if (ret)
		return ret;
	if (!p2pscope_zero(r->reserved_in, sizeof(r->reserved_in)))
		return p2pscope_einval(CMD, "reserved_in", "%s",
				       "non-zero (must be zero)");
	if (!p2pscope_zero(r->reserved_out, sizeof(r->reserved_out)))
		return p2pscope_einval(CMD, "reserved_out", "%s",
				       "non-zero (must be zero)");
	return 0;
}

#ifdef P2PSCOPE_HAVE_BLOCK_XFER

static int p2pscope_block_alloc(struct p2pscope_block_run *run)
{
	struct p2pscope_xfer_block *req = run->req;
	unsigned int i;
	int ret;

	run->nslots = req->queue_depth;
	run->slots = kcalloc(run->nslots, sizeof(*run->slots), GFP_KERNEL);
	run->scratch = kvmalloc(req->block_bytes, GFP_KERNEL);
	run->hist = kvcalloc(P2PSCOPE_HIST_BUCKETS, sizeof(u64), GFP_KERNEL);
	if (!run->slots || !run->scratch || !run->hist)
		return -ENOMEM;
	for (i = 0; i < run->nslots; i++) {
		run->slots[i].run = run;
		ret = p2pscope_block_buf_alloc(&run->slots[i].buf, req->block_bytes,
					       run->provider);
		if (ret == -ENOMEM && run->provider)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_MEMORY, ret,
					       "pci_alloc_p2pmem(%u bytes) failed on %s after %u buffers (pool exhausted?)",
					       req->block_bytes, pci_name(run->provider), i);
		if (ret)
			return ret;
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
		/* Other users share the pool: every buffer within the budget. */
		if (!i && run->provider &&
		    p2pscope_check_p2pmem_budget(run->slots[0].buf.p2p,
						 (u64)run->nslots * req->block_bytes,
						 run->provider, &run->out))
			return P2PSCOPE_REFUSED;
#endif
		cond_resched();
	}
	run->sync.run = run;
	if (run->verify)
		return p2pscope_block_buf_alloc(&run->sync.buf, req->block_bytes, NULL);
	return 0;
}

static void p2pscope_block_run_free(struct p2pscope_block_run *run)
{
	unsigned int i;

	if (run->slots)
		for (i = 0; i < run->nslots; i++)
			p2pscope_block_buf_free(&run->slots[i].buf);
	kfree(run->slots);
	p2pscope_block_buf_free(&run->sync.buf);
	kvfree(run->scratch);
	kvfree(run->hist);
	p2pscope_release(&run->hold);
	p2pscope_block_close(run);
	pci_dev_put(run->provider);
	pci_dev_put(run->pdev);
	kfree(run);
}

struct workqueue_struct *p2pscope_block_free_wq;

static void p2pscope_block_free_work(struct work_struct *work)
{
	struct p2pscope_block_run *run = container_of(work, struct p2pscope_block_run,
						      free_work);

	pr_info("XFER_BLOCK: the last bio left in flight has ended; its buffers are freed\n");
	p2pscope_block_run_free(run);
	/* destroy_workqueue() at unload waits for this function to return. */
	module_put(THIS_MODULE);
}

/*
 * The caller is done with @run: free it, unless bios are still in flight;
 * then the last end_io queues its freeing, and the module stays loaded
 * until that has run.
 */
static void p2pscope_block_run_put(struct p2pscope_block_run *run)
{
	bool orphan;

	if (run->watching)
		cancel_delayed_work_sync(&run->recovery_watch);
	/* Nobody waits for the provider any more: pages in flight keep its memory. */
	p2pscope_release(&run->hold);
	/* Taking the lock also waits out an end_io that woke us under it. */
	spin_lock_irq(&run->wq.lock);
	orphan = atomic_read(&run->inflight) > 0;
	if (orphan) {
		__module_get(THIS_MODULE);
		run->req = NULL;	/* the caller's, freed next */
		run->orphaned = true;
	}
	spin_unlock_irq(&run->wq.lock);
	if (!orphan)
		p2pscope_block_run_free(run);
}

int p2pscope_xfer_block_init(void)
{
	p2pscope_block_free_wq = alloc_workqueue("p2pscope_block_free", WQ_UNBOUND, 0);
	return p2pscope_block_free_wq ? 0 : -ENOMEM;
}

void p2pscope_xfer_block_exit(void)
{
	/* Nothing is queued: every orphaned run held the module. */
	destroy_workqueue(p2pscope_block_free_wq);
}

static int p2pscope_block_transfer(struct p2pscope_block_run *run)
{
	struct p2pscope_xfer_block *req = run->req;
	int ret;

	ret = p2pscope_block_open(run);
	if (!ret)
		ret = p2pscope_block_check_device(run);
	if (!ret && req->mem == P2PSCOPE_MEM_P2PMEM)
		ret = p2pscope_block_setup_p2pmem(run);
	if (ret)
		return ret;
	/*
	 * The NVMe's function has its own driver: the transfer borrows it
	 * (its driver cannot be vfio's while it has a block device), without
	 * holding it: the block layer ends the bios of a device that goes.
	 * The provider is held, its unbind stops the run; it must still
	 * publish: checked again where its unbind cannot come between the
	 * check and the hold.
	 */
	if (run->pdev) {
		u32 mode;

		device_lock(&run->pdev->dev);
		mode = p2pscope_mode_of(run->pdev, &run->out);
		device_unlock(&run->pdev->dev);
		if (mode == P2PSCOPE_MODE_NONE)
			return P2PSCOPE_REFUSED;
	}
	if (run->provider) {
		device_lock(&run->provider->dev);
		if (run->provider != run->pdev &&
		    p2pscope_mode_of(run->provider, &run->out) == P2PSCOPE_MODE_NONE) {
			device_unlock(&run->provider->dev);
			return P2PSCOPE_REFUSED;
		}
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
		if (!p2pscope_p2pmem_published(run->provider)) {
			device_unlock(&run->provider->dev);
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, 0,
					       "%s publishes no p2pmem",
					       pci_name(run->provider));
		}
#endif
	}
	if (run->provider) {
		p2pscope_hold_memory(&run->hold, run->provider, &run->wq);
		device_unlock(&run->provider->dev);
	}
	if (run->pdev) {
		INIT_DELAYED_WORK(&run->recovery_watch, p2pscope_block_recovery_watch);
		run->watching = true;
		schedule_delayed_work(&run->recovery_watch, P2PSCOPE_XFER_TICK);
	}

	ret = p2pscope_block_alloc(run);
	if (ret)
		return ret;
	if (run->verify && !run->write) {
		ret = p2pscope_block_verify_pass(run, true);
		if (ret)
			return ret;
	}
	ret = p2pscope_block_measure(run);
	if (ret || run->out.status)
		return ret;
	if (run->verify && run->write)
		ret = p2pscope_block_verify_pass(run, false);
	return ret;
}

long p2pscope_ioctl_xfer_block(void __user *argp)
{
	struct p2pscope_xfer_block *req;
	struct p2pscope_block_run *run = NULL;
	long ret;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = p2pscope_block_validate(req);
	if (ret)
		goto out;
	if (req->hist_uptr &&
	    !access_ok(u64_to_user_ptr(req->hist_uptr), P2PSCOPE_HIST_BYTES)) {
		ret = -EFAULT;
		goto out;
	}
	p2pscope_start_result(req, status);
	req->p2p_distance = P2PSCOPE_NONE_U32;
	req->iommu_domain_type = P2PSCOPE_IOMMU_NONE;
	req->span_bytes = req->span_bytes ?:
			  (u64)req->block_bytes * req->queue_depth;
	req->seed = get_random_u64();
	if (p2pscope_debug_kernel())
		req->result_flags |= P2PSCOPE_XRES_F_DEBUG_KERNEL;

	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run) {
		ret = -ENOMEM;
		goto out;
	}
	run->req = req;
	run->write = req->dir == P2PSCOPE_DIR_TO_DEVICE;
	run->verify = req->flags & P2PSCOPE_XFER_F_VERIFY;
	run->limit_ns = req->duration_ns ?: P2PSCOPE_MAX_DURATION_NS;
	init_llist_head(&run->done);
	init_waitqueue_head(&run->wq);
	atomic_set(&run->inflight, 0);
	INIT_WORK(&run->free_work, p2pscope_block_free_work);
	if (run->verify) {
		req->verify = P2PSCOPE_VERIFY_MATCHED;	/* until a word differs */
		if (!run->write)
			req->result_flags |= P2PSCOPE_XRES_F_VERIFY_INLINE;
	}

	ret = p2pscope_block_transfer(run);
	if (ret > 0)
		ret = 0;	/* refused: the outcome says why */
	if (ret)
		goto out;
	if (run->out.status || !req->ios)
		req->verify = req->verify == P2PSCOPE_VERIFY_MISMATCH ?
			      P2PSCOPE_VERIFY_MISMATCH : P2PSCOPE_VERIFY_NOT_CHECKED;
	req->status = run->out.status;
	req->error = run->out.error;
	strscpy(req->reason, run->out.text, sizeof(req->reason));
	/* A refusal before the histogram existed writes none (hist_buckets 0). */
	if (req->hist_uptr && run->hist) {
		req->hist_buckets = P2PSCOPE_HIST_BUCKETS;
		if (copy_to_user(u64_to_user_ptr(req->hist_uptr), run->hist,
				 P2PSCOPE_HIST_BYTES)) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (copy_to_user(argp, req, sizeof(*req)))
		ret = -EFAULT;
out:
	if (run)
		p2pscope_block_run_put(run);
	kfree(req);
	return ret;
}

#else /* !P2PSCOPE_HAVE_BLOCK_XFER */

int p2pscope_xfer_block_init(void)
{
	return 0;
}

void p2pscope_xfer_block_exit(void)
{
}

long p2pscope_ioctl_xfer_block(void __user *argp)
{
	struct p2pscope_xfer_block *req;
	long ret = 0;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = p2pscope_block_validate(req);
	if (ret)
		goto out;
	p2pscope_start_result(req, status);
	req->status = P2PSCOPE_REASON_NO_KERNEL_SUPPORT;
	strscpy(req->reason, "this kernel's block device API is not one p2pscope knows",
		sizeof(req->reason));
	if (copy_to_user(argp, req, sizeof(*req)))
		ret = -EFAULT;
out:
	kfree(req);
	return ret;
}

#endif
