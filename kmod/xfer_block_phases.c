// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: XFER_BLOCK's phases (see xfer_block.c), and the bounded waits
 * for their bios.
 *
 * The untimed phases (1 and 3) move one block at a time through the RAM
 * buffer; the measured one (2) keeps queue_depth bios in flight and records
 * each one's latency.  While bios go on, the submitter wakes at least every
 * P2PSCOPE_XFER_TICK to look for a fatal signal, the provider going away,
 * PCIe error recovery and a device that stopped completing I/O; after a stop
 * it waits a bounded time for the bios still in flight.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/llist.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "p2pscope_internal.h"
#include "xfer_block.h"

#ifdef P2PSCOPE_HAVE_BLOCK_XFER

/*
 * Is the block device going away?  Its driver empties it (capacity 0: nvme
 * does that first) or the block layer marks it dead.
 */
static bool p2pscope_block_disk_gone(const struct p2pscope_block_run *run)
{
	struct gendisk *disk = run->bdev->bd_disk;

	return test_bit(GD_DEAD, &disk->state) || !get_capacity(disk);
}

static void p2pscope_block_io_failed(struct p2pscope_block_run *run, int err, u64 off)
{
	struct p2pscope_xfer_block *req = run->req;

	/*
	 * A P2PDMA mapping the kernel refuses fails the bio with -EREMOTEIO
	 * (the scatterlist path), or with -EINVAL (BLK_STS_INVAL) where the
	 * block layer maps without a scatterlist (6.17 and later).
	 */
	if (p2pscope_block_disk_gone(run))
		p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, err,
				"block device %u:%u was removed (%s at byte %llu failed with %d)",
				req->block_major, req->block_minor,
				run->write ? "a write" : "a read", off, err);
	else if (run->provider && (err == -EREMOTEIO ||
			      (err == -EINVAL && (int)req->p2p_distance < 0)))
		p2pscope_refuse(&run->out, P2PSCOPE_REASON_P2P_NOT_SUPPORTED, err,
				"%s at byte %llu: the kernel allows no P2PDMA between %s's memory and %s (pci_p2pdma_distance %d)",
				err == -EREMOTEIO ? "-EREMOTEIO" : "-EINVAL",
				off, pci_name(run->provider),
				run->pdev ? pci_name(run->pdev) : "the block device",
				(int)req->p2p_distance);
	else
		p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, err,
				"%s of %u bytes at byte %llu failed (%d)",
				run->write ? "write" : "read", req->block_bytes,
				off, err);
}

/*
 * AER error recovery freezes the block device's function for a while; the
 * submitter may then wait inside submit_bio() and miss it.  A watch every
 * tick, from a work item, notes it for the run.
 */
void p2pscope_block_recovery_watch(struct work_struct *work)
{
	struct p2pscope_block_run *run = container_of(to_delayed_work(work),
						      struct p2pscope_block_run,
						      recovery_watch);

	if (pci_channel_offline(run->pdev)) {
		WRITE_ONCE(run->recovery_seen, 1);
		wake_up(&run->wq);
		return;
	}
	schedule_delayed_work(&run->recovery_watch, P2PSCOPE_XFER_TICK);
}

/* False, with the outcome set, once the function went through error recovery. */
static bool p2pscope_block_no_recovery(struct p2pscope_block_run *run)
{
	if (!run->pdev ||
	    (!READ_ONCE(run->recovery_seen) && !pci_channel_offline(run->pdev)))
		return true;
	p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -EIO,
			"%s entered PCIe error recovery (an uncorrectable error): the run stopped",
			pci_name(run->pdev));
	return false;
}

/*
 * What ends a run besides its count, its time and a stalled device: a fatal
 * signal, the provider going away, error recovery.  Looked at every round,
 * not only when a wait finds no completion queued: completions may keep
 * coming all the while.  False, with the outcome set (or *ret on a fatal
 * signal), when the run must stop.
 */
static bool p2pscope_block_go_on(struct p2pscope_block_run *run, int *ret)
{
	if (fatal_signal_pending(current)) {
		*ret = -EINTR;
		return false;
	}
	if (READ_ONCE(run->hold.gone)) {
		/*
		 * Nothing more is submitted: its unbind may go on now.  Pages
		 * still in flight keep its p2pmem (the kernel waits for them
		 * before it unmaps the BAR).
		 */
		p2pscope_release(&run->hold);
		p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, 0,
				"%s, the p2pmem provider, was unbound or removed",
				pci_name(run->provider));
		return false;
	}
	return p2pscope_block_no_recovery(run);
}

/*
 * While a run goes on: wait for a completion, a tick or the provider going
 * away, then look around (and for a stalled device).  False, with the
 * outcome set (or *ret on a fatal signal), when the run must stop.
 */
static bool p2pscope_block_wait(struct p2pscope_block_run *run, int *ret)
{
	long left = wait_event_killable_timeout(run->wq,
			!llist_empty(&run->done) || READ_ONCE(run->hold.gone) ||
			READ_ONCE(run->recovery_seen), P2PSCOPE_XFER_TICK);
	u64 quiet;

	if (left < 0) {
		*ret = -EINTR;
		return false;
	}
	if (!p2pscope_block_go_on(run, ret))
		return false;
	quiet = ktime_get_ns() - READ_ONCE(run->last_done_ns);
	if (atomic_read(&run->inflight) && (s64)quiet > (s64)P2PSCOPE_XFER_STALL_NS) {
		/* A removal whose device vanished first: the driver waits for its timeout. */
		if (p2pscope_block_disk_gone(run))
			p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, -ETIMEDOUT,
					"block device %u:%u is being removed, and no I/O completed for %llu s",
					run->req->block_major, run->req->block_minor,
					div_u64(quiet, NSEC_PER_SEC));
		else
			p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -ETIMEDOUT,
					"no I/O completed for %llu s: the device stopped answering",
					div_u64(quiet, NSEC_PER_SEC));
		return false;
	}
	return true;
}

/*
 * After a stop: wait a bounded time for the bios in flight.  False, with the
 * outcome set, when some are still out: they are left to their end_io.
 */
static bool p2pscope_block_settle(struct p2pscope_block_run *run)
{
	long bound = fatal_signal_pending(current) ? P2PSCOPE_XFER_SETTLE_KILLED :
						     P2PSCOPE_XFER_SETTLE;
	int left;

	if (wait_event_timeout(run->wq, !atomic_read(&run->inflight), bound))
		return true;
	left = atomic_read(&run->inflight);
	if (!left)
		return true;
	p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, -ETIMEDOUT,
			"%d bio%s still in flight %u ms after the run stopped: left to the block layer to end",
			left, left == 1 ? "" : "s", jiffies_to_msecs(bound));
	pr_warn("%s[%d]: XFER_BLOCK on %u:%u: %d bio%s still in flight after %u ms; its buffers are freed when they end\n",
		current->comm, task_pid_nr(current), run->req->block_major,
		run->req->block_minor, left, left == 1 ? "" : "s",
		jiffies_to_msecs(bound));
	return false;
}

/* Wait for the one bio of the untimed phases, bounded like the rest. */
static int p2pscope_block_wait_sync(struct p2pscope_block_run *run)
{
	int ret = 0;

	while (llist_empty(&run->done))
		if (!p2pscope_block_wait(run, &ret)) {
			p2pscope_block_settle(run);
			return ret ?: P2PSCOPE_REFUSED;
		}
	llist_del_all(&run->done);
	return 0;
}

/* One bio of the RAM buffer at @off (the untimed phases). */
static int p2pscope_block_sync_io(struct p2pscope_block_run *run, u64 off, bool write)
{
	struct p2pscope_block_slot *s = &run->sync;
	int ret;

	s->dev_off = off;
	WRITE_ONCE(run->last_done_ns, ktime_get_ns());
	ret = p2pscope_block_slot_submit(run, s, write);
	if (!ret)
		ret = p2pscope_block_wait_sync(run);
	if (ret)
		return ret;
	ret = blk_status_to_errno(s->status);
	if (ret && p2pscope_block_disk_gone(run))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_GONE, ret,
				       "block device %u:%u was removed (%s the pattern at byte %llu failed with %d)",
				       run->req->block_major, run->req->block_minor,
				       write ? "writing" : "reading back", off, ret);
	if (ret)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, ret,
				       "%s the pattern at byte %llu failed (%d)",
				       write ? "writing" : "reading back", off, ret);
	return 0;
}

/* A cache flush after the pattern is written: an empty PREFLUSH bio, bounded. */
static int p2pscope_block_flush(struct p2pscope_block_run *run)
{
	struct bio *bio = bio_alloc(run->bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH,
				    GFP_KERNEL);
	int ret;

	bio->bi_end_io = p2pscope_block_slot_end_io;
	bio->bi_private = &run->sync;
	atomic_inc(&run->inflight);
	WRITE_ONCE(run->last_done_ns, ktime_get_ns());
	submit_bio(bio);
	ret = p2pscope_block_wait_sync(run);
	if (ret)
		return ret;
	ret = blk_status_to_errno(run->sync.status);
	if (ret)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_IO_FAILED, ret,
				       "flush after writing the pattern failed (%d)",
				       ret);
	return 0;
}

/* Phases 1 and 3: the whole range, from or into the RAM buffer. */
int p2pscope_block_verify_pass(struct p2pscope_block_run *run, bool write)
{
	struct p2pscope_xfer_block *req = run->req;
	u64 off;
	int ret;

	for (off = 0; off < req->span_bytes; off += req->block_bytes) {
		u64 at = req->offset_bytes + off;

		if (fatal_signal_pending(current))
			return -EINTR;
		ret = p2pscope_block_sync_io(run, at, write);
		if (ret)
			return ret;
		if (!write && !p2pscope_block_buf_check(run, &run->sync.buf, at))
			return 0;
		cond_resched();
	}
	return write ? p2pscope_block_flush(run) : 0;
}

/* Submit @s at the next position of the range (@next, relative), and advance it. */
static int p2pscope_block_submit_next(struct p2pscope_block_run *run,
				      struct p2pscope_block_slot *s, u64 *next)
{
	const struct p2pscope_xfer_block *req = run->req;

	s->dev_off = req->offset_bytes + *next;
	*next = (*next + req->block_bytes) % req->span_bytes;
	return p2pscope_block_slot_submit(run, s, run->write);
}

/* Record a completed bio of phase 2; false when the run must stop. */
static bool p2pscope_block_reap(struct p2pscope_block_run *run,
				struct p2pscope_block_slot *s)
{
	struct p2pscope_xfer_block *req = run->req;
	u64 ns = s->t_done > s->t_submit ? s->t_done - s->t_submit : 0;
	int err = blk_status_to_errno(s->status);

	p2pscope_record(&req->latency, run->hist, ns);
	req->ios++;
	if (err) {
		req->io_errors++;
		p2pscope_block_io_failed(run, err, s->dev_off);
		return false;
	}
	req->bytes += s->buf.len;
	/* Once a device went away, what its BAR reads back proves nothing. */
	if (run->out.status)
		return false;
	return !(run->verify && !run->write &&
		 !p2pscope_block_buf_check(run, &s->buf, s->dev_off));
}

/* Is the run's time up?  Then a run that also had a count says the time stopped it. */
static bool p2pscope_block_time_up(struct p2pscope_block_run *run, u64 deadline)
{
	if (ktime_get_ns() < deadline)
		return false;
	if (run->req->iterations)
		run->req->result_flags |= P2PSCOPE_XRES_F_TIME_LIMIT;
	return true;
}

/* Phase 2, timed. */
int p2pscope_block_measure(struct p2pscope_block_run *run)
{
	struct p2pscope_xfer_block *req = run->req;
	const u64 limit = req->iterations ?: U64_MAX;
	u64 submitted = 0, next = 0, start, deadline, last = 0;
	struct p2pscope_block_slot *s, *tmp;
	struct llist_node *nodes;
	bool stop = false;
	unsigned int i;
	int ret = 0;

	req->latency.min_ns = U64_MAX;
	start = ktime_get_ns();
	WRITE_ONCE(run->last_done_ns, start);
	deadline = start + run->limit_ns;
	for (i = 0; i < run->nslots && submitted < limit && !stop; i++) {
		if (p2pscope_block_submit_next(run, &run->slots[i], &next))
			stop = true;
		else
			submitted++;
	}

	for (;;) {
		nodes = llist_del_all(&run->done);
		llist_for_each_entry_safe(s, tmp, nodes, done_node) {
			last = max(last, s->t_done);
			if (!p2pscope_block_reap(run, s))
				stop = true;
			if (stop || submitted >= limit)
				continue;
			if (p2pscope_block_time_up(run, deadline)) {
				stop = true;
				continue;
			}
			if (p2pscope_block_submit_next(run, s, &next))
				stop = true;
			else
				submitted++;
		}
		if (!atomic_read(&run->inflight) && llist_empty(&run->done))
			break;
		if (stop) {
			/* What completed in time is still recorded. */
			if (!p2pscope_block_settle(run))
				break;
			continue;
		}
		if (p2pscope_block_time_up(run, deadline)) {
			stop = true;
			continue;
		}
		/* The wait below is skipped while completions keep coming. */
		if (!p2pscope_block_go_on(run, &ret)) {
			stop = true;
			continue;
		}
		if (llist_empty(&run->done) && !p2pscope_block_wait(run, &ret))
			stop = true;
		cond_resched();
	}

	if (!req->latency.count)
		req->latency.min_ns = 0;
	req->elapsed_ns = last > start ? last - start : 0;
	return ret;
}

#endif /* P2PSCOPE_HAVE_BLOCK_XFER */
