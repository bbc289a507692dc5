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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/llist.h>
#include <linux/math64.h>
#include <linux/pci-p2pdma.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#if defined(P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV)
#include <linux/file.h>
#endif

#include "p2pscope_internal.h"

#define CMD "XFER_BLOCK"

/* Bounds of every wait (see the top of this file). */
#define P2PSCOPE_XFER_TICK		(HZ / 10)	/* look around while waiting */
#define P2PSCOPE_XFER_STALL_NS		(10 * NSEC_PER_SEC)
#define P2PSCOPE_XFER_SETTLE		(5 * HZ)
#define P2PSCOPE_XFER_SETTLE_KILLED	(HZ / 2)	/* the caller was killed */
#define HIST_BYTES (P2PSCOPE_HIST_BUCKETS * sizeof(u64))

#if defined(P2PSCOPE_HAVE_BLKDEV_GET_BY_DEV) || \
	defined(P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV)
#define P2PSCOPE_HAVE_BLOCK_XFER 1
#endif

/* Also for the stub: a kernel without the block API validates the same. */
static int p2pscope_xvalidate(const struct p2pscope_xfer_block *r)
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

/* A buffer bios read into or write from: RAM pages or one p2pmem range. */
struct p2pscope_xbuf {
	struct page **pages;		/* RAM: npages pages */
	void *p2p;			/* P2PMEM: from pci_alloc_p2pmem() */
	struct pci_dev *provider;	/* P2PMEM */
	unsigned int npages;
	unsigned int len;
};

struct p2pscope_xrun;

struct p2pscope_xslot {
	struct p2pscope_xrun *run;
	struct p2pscope_xbuf buf;
	struct llist_node done_node;
	u64 dev_off;
	u64 t_submit;
	u64 t_done;
	blk_status_t status;
};

struct p2pscope_xrun {
	struct p2pscope_xfer_block *req;
	struct block_device *bdev;
#ifdef P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV
	struct file *bdev_file;
#else
	fmode_t fmode;
#endif
	struct pci_dev *pdev;		/* PCI function behind bdev, or NULL */
	struct pci_dev *provider;	/* MEM_P2PMEM */
	struct p2pscope_hold hold;
	struct p2pscope_xslot *slots;
	unsigned int nslots;
	struct p2pscope_xslot sync;	/* RAM: pattern writes and read-back */
	u64 *scratch;			/* one block: the CPU's copy of p2pmem */
	u64 *hist;
	struct llist_head done;
	atomic_t inflight;
	wait_queue_head_t wq;		/* end_io and the provider's unbind wake it */
	u64 last_done_ns;		/* a bio's completion, or a phase's start */
	bool orphaned;			/* under wq.lock: the last end_io frees the run */
	struct work_struct free_work;
	struct delayed_work recovery_watch;	/* pdev: PCIe error recovery seen */
	bool watching;
	int recovery_seen;
	bool write;
	bool verify;
	u64 limit_ns;
	struct p2pscope_outcome out;
};

static struct workqueue_struct *p2pscope_xfree_wq;

/* ------------------------------------------------------------- buffers */

/* BAR memory is not RAM: the CPU reaches p2pmem only through the io helpers. */
static void __iomem *p2pscope_xbuf_io(const struct p2pscope_xbuf *b)
{
	return (void __force __iomem *)b->p2p;
}

static int p2pscope_xbuf_alloc(struct p2pscope_xbuf *b, unsigned int len,
			       struct pci_dev *provider)
{
	unsigned int i;

	b->len = len;
	b->npages = DIV_ROUND_UP(len, PAGE_SIZE);
	if (provider) {
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
		/* The provider's pool hands out whole, aligned pages. */
		b->p2p = pci_alloc_p2pmem(provider, len);
		b->provider = provider;
		if (!b->p2p)
			return -ENOMEM;
		/* Nothing another user left there goes to the device. */
		memset_io(p2pscope_xbuf_io(b), P2PSCOPE_POISON_BYTE, len);
		return 0;
#else
		return -EOPNOTSUPP;
#endif
	}
	b->pages = kcalloc(b->npages, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	for (i = 0; i < b->npages; i++) {
		/* Zeroed: unverified writes must not leak kernel memory. */
		b->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!b->pages[i])
			return -ENOMEM;		/* the caller frees */
	}
	return 0;
}

static void p2pscope_xbuf_free(struct p2pscope_xbuf *b)
{
	unsigned int i;

#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	if (b->p2p)
		pci_free_p2pmem(b->provider, b->p2p, b->len);
#endif
	if (b->pages) {
		for (i = 0; i < b->npages; i++)
			if (b->pages[i])
				__free_page(b->pages[i]);
		kfree(b->pages);
	}
	memset(b, 0, sizeof(*b));
}

static struct page *p2pscope_xbuf_page(const struct p2pscope_xbuf *b,
				       unsigned int i)
{
	return b->p2p ? virt_to_page(b->p2p + i * PAGE_SIZE) : b->pages[i];
}

static void p2pscope_fill_words(u64 *w, unsigned int nwords, u64 seed, u64 off)
{
	unsigned int j;

	for (j = 0; j < nwords; j++)
		w[j] = cpu_to_le64(p2pscope_pattern(seed, off + j * 8ULL));
}

/* Index of the first word of @w that differs from the pattern, or -1. */
static long p2pscope_check_words(const u64 *w, unsigned int nwords, u64 seed,
				 u64 off)
{
	unsigned int j;

	for (j = 0; j < nwords; j++)
		if (le64_to_cpu(w[j]) != p2pscope_pattern(seed, off + j * 8ULL))
			return j;
	return -1;
}

/* Fill @b with the pattern of device offset @off. */
static void p2pscope_xbuf_fill(struct p2pscope_xrun *run,
			       struct p2pscope_xbuf *b, u64 off)
{
	const u64 seed = run->req->seed;
	unsigned int i, n, left = b->len;

	if (b->p2p) {
		p2pscope_fill_words(run->scratch, b->len / 8, seed, off);
		memcpy_toio(p2pscope_xbuf_io(b), run->scratch, b->len);
		return;
	}
	for (i = 0; i < b->npages; i++, left -= n) {
		u64 *w = kmap_local_page(b->pages[i]);

		n = min_t(unsigned int, left, PAGE_SIZE);
		p2pscope_fill_words(w, n / 8, seed, off + (u64)i * PAGE_SIZE);
		kunmap_local(w);
	}
}

static void p2pscope_xbuf_poison(struct p2pscope_xbuf *b)
{
	unsigned int i, n, left = b->len;

	if (b->p2p) {
		memset_io(p2pscope_xbuf_io(b), P2PSCOPE_POISON_BYTE, b->len);
		return;
	}
	for (i = 0; i < b->npages; i++, left -= n) {
		n = min_t(unsigned int, left, PAGE_SIZE);
		memset_page(b->pages[i], 0, P2PSCOPE_POISON_BYTE, n);
	}
}

/* Check @b against the pattern of device offset @off; false on a mismatch. */
static bool p2pscope_xbuf_check(struct p2pscope_xrun *run,
				struct p2pscope_xbuf *b, u64 off)
{
	struct p2pscope_xfer_block *req = run->req;
	unsigned int i, n, left = b->len;
	u64 base = off, found = 0;
	long bad = -1;

	if (b->p2p) {
		memcpy_fromio(run->scratch, p2pscope_xbuf_io(b), b->len);
		bad = p2pscope_check_words(run->scratch, b->len / 8, req->seed, off);
		if (bad >= 0)
			found = le64_to_cpu(run->scratch[bad]);
	} else {
		for (i = 0; i < b->npages && bad < 0; i++, left -= n) {
			u64 *w = kmap_local_page(b->pages[i]);

			n = min_t(unsigned int, left, PAGE_SIZE);
			base = off + (u64)i * PAGE_SIZE;
			bad = p2pscope_check_words(w, n / 8, req->seed, base);
			if (bad >= 0)
				found = le64_to_cpu(w[bad]);
			kunmap_local(w);
		}
	}
	if (bad < 0)
		return true;
	if (req->verify != P2PSCOPE_VERIFY_MISMATCH) {
		req->verify = P2PSCOPE_VERIFY_MISMATCH;
		req->verify_mismatch_offset = base + bad * 8ULL;
		req->verify_expected = p2pscope_pattern(req->seed,
							req->verify_mismatch_offset);
		req->verify_found = found;
	}
	return false;
}

/* -------------------------------------------------------------- bios */

static void p2pscope_xslot_end_io(struct bio *bio)
{
	struct p2pscope_xslot *s = bio->bi_private;
	struct p2pscope_xrun *run = s->run;
	unsigned long flags;
	bool last_orphan;

	s->t_done = ktime_get_ns();
	s->status = bio->bi_status;
	bio_put(bio);
	/*
	 * Under the wait queue's lock, so that the submitter, once it saw
	 * inflight reach zero and took this lock, knows no callback still
	 * touches the run; and so that a run is orphaned or not, never both.
	 */
	spin_lock_irqsave(&run->wq.lock, flags);
	WRITE_ONCE(run->last_done_ns, s->t_done);
	llist_add(&s->done_node, &run->done);
	last_orphan = atomic_dec_and_test(&run->inflight) && run->orphaned;
	wake_up_locked(&run->wq);
	spin_unlock_irqrestore(&run->wq.lock, flags);
	if (last_orphan)
		queue_work(p2pscope_xfree_wq, &run->free_work);
}

static blk_opf_t p2pscope_xfer_opf(const struct p2pscope_xbuf *b, bool write)
{
	blk_opf_t opf = write ? REQ_OP_WRITE : REQ_OP_READ;

	/* As nvmet does: P2P pages must not merge with others. */
	if (b->p2p)
		opf |= REQ_NOMERGE;
	return opf;
}

static struct bio *p2pscope_xbio(struct p2pscope_xrun *run,
				 struct p2pscope_xbuf *b, u64 off, bool write)
{
	struct bio *bio = bio_alloc(run->bdev, b->npages,
				    p2pscope_xfer_opf(b, write), GFP_KERNEL);
	unsigned int i, n, left = b->len;

	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < b->npages; i++, left -= n) {
		n = min_t(unsigned int, left, PAGE_SIZE);
		if (bio_add_page(bio, p2pscope_xbuf_page(b, i), n, 0) != n) {
			bio_put(bio);
			return NULL;
		}
	}
	return bio;
}

static int p2pscope_xslot_submit(struct p2pscope_xrun *run,
				 struct p2pscope_xslot *s, bool write)
{
	struct bio *bio;

	if (run->verify) {
		if (write)
			p2pscope_xbuf_fill(run, &s->buf, s->dev_off);
		else
			p2pscope_xbuf_poison(&s->buf);
	}
	bio = p2pscope_xbio(run, &s->buf, s->dev_off, write);
	if (!bio)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, -EINVAL,
				       "a %u-byte bio does not fit this block device's limits",
				       s->buf.len);
	bio->bi_end_io = p2pscope_xslot_end_io;
	bio->bi_private = s;
	atomic_inc(&run->inflight);
	s->t_submit = ktime_get_ns();
	submit_bio(bio);
	return 0;
}

/*
 * Is the block device going away?  Its driver empties it (capacity 0: nvme
 * does that first) or the block layer marks it dead.
 */
static bool p2pscope_xdisk_gone(const struct p2pscope_xrun *run)
{
	struct gendisk *disk = run->bdev->bd_disk;

	return test_bit(GD_DEAD, &disk->state) || !get_capacity(disk);
}

static void p2pscope_io_failed(struct p2pscope_xrun *run, int err, u64 off)
{
	struct p2pscope_xfer_block *req = run->req;

	/*
	 * A P2PDMA mapping the kernel refuses fails the bio with -EREMOTEIO
	 * (the scatterlist path), or with -EINVAL (BLK_STS_INVAL) where the
	 * block layer maps without a scatterlist (6.17 and later).
	 */
	if (p2pscope_xdisk_gone(run))
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
static void p2pscope_xrecovery_watch(struct work_struct *work)
{
	struct p2pscope_xrun *run = container_of(to_delayed_work(work),
						 struct p2pscope_xrun,
						 recovery_watch);

	if (pci_channel_offline(run->pdev)) {
		WRITE_ONCE(run->recovery_seen, 1);
		wake_up(&run->wq);
		return;
	}
	schedule_delayed_work(&run->recovery_watch, P2PSCOPE_XFER_TICK);
}

/* False, with the outcome set, once the function went through error recovery. */
static bool p2pscope_xno_recovery(struct p2pscope_xrun *run)
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
 * While a run goes on: wait for a completion, a tick or the provider going
 * away, then look around.  False, with the outcome set (or *ret on a fatal
 * signal), when the run must stop.
 */
static bool p2pscope_xwatch(struct p2pscope_xrun *run, int *ret)
{
	long left = wait_event_killable_timeout(run->wq,
			!llist_empty(&run->done) || READ_ONCE(run->hold.gone) ||
			READ_ONCE(run->recovery_seen), P2PSCOPE_XFER_TICK);
	u64 quiet;

	if (left < 0) {
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
	if (!p2pscope_xno_recovery(run))
		return false;
	quiet = ktime_get_ns() - READ_ONCE(run->last_done_ns);
	if (atomic_read(&run->inflight) && (s64)quiet > (s64)P2PSCOPE_XFER_STALL_NS) {
		/* A removal whose device vanished first: the driver waits for its timeout. */
		if (p2pscope_xdisk_gone(run))
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
static bool p2pscope_xsettle(struct p2pscope_xrun *run)
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
static int p2pscope_xwait_sync(struct p2pscope_xrun *run)
{
	int ret = 0;

	while (llist_empty(&run->done))
		if (!p2pscope_xwatch(run, &ret)) {
			p2pscope_xsettle(run);
			return ret ?: P2PSCOPE_REFUSED;
		}
	llist_del_all(&run->done);
	return 0;
}

/* One bio of the RAM buffer at @off (the untimed phases). */
static int p2pscope_xsync(struct p2pscope_xrun *run, u64 off, bool write)
{
	struct p2pscope_xslot *s = &run->sync;
	int ret;

	s->dev_off = off;
	WRITE_ONCE(run->last_done_ns, ktime_get_ns());
	ret = p2pscope_xslot_submit(run, s, write);
	if (!ret)
		ret = p2pscope_xwait_sync(run);
	if (ret)
		return ret;
	ret = blk_status_to_errno(s->status);
	if (ret && p2pscope_xdisk_gone(run))
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
static int p2pscope_xflush(struct p2pscope_xrun *run)
{
	struct bio *bio = bio_alloc(run->bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH,
				    GFP_KERNEL);
	int ret;

	bio->bi_end_io = p2pscope_xslot_end_io;
	bio->bi_private = &run->sync;
	atomic_inc(&run->inflight);
	WRITE_ONCE(run->last_done_ns, ktime_get_ns());
	submit_bio(bio);
	ret = p2pscope_xwait_sync(run);
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
static int p2pscope_xpass(struct p2pscope_xrun *run, bool write)
{
	struct p2pscope_xfer_block *req = run->req;
	u64 off;
	int ret;

	for (off = 0; off < req->span_bytes; off += req->block_bytes) {
		u64 at = req->offset_bytes + off;

		if (fatal_signal_pending(current))
			return -EINTR;
		ret = p2pscope_xsync(run, at, write);
		if (ret)
			return ret;
		if (!write && !p2pscope_xbuf_check(run, &run->sync.buf, at))
			return 0;
		cond_resched();
	}
	return write ? p2pscope_xflush(run) : 0;
}

/* Submit @s at the next position of the range (@next, relative), and advance it. */
static int p2pscope_xsubmit_next(struct p2pscope_xrun *run,
				 struct p2pscope_xslot *s, u64 *next)
{
	const struct p2pscope_xfer_block *req = run->req;

	s->dev_off = req->offset_bytes + *next;
	*next = (*next + req->block_bytes) % req->span_bytes;
	return p2pscope_xslot_submit(run, s, run->write);
}

/* Record a completed bio of phase 2; false when the run must stop. */
static bool p2pscope_xreap(struct p2pscope_xrun *run, struct p2pscope_xslot *s)
{
	struct p2pscope_xfer_block *req = run->req;
	u64 ns = s->t_done > s->t_submit ? s->t_done - s->t_submit : 0;
	int err = blk_status_to_errno(s->status);

	p2pscope_record(&req->latency, run->hist, ns);
	req->ios++;
	if (err) {
		req->io_errors++;
		p2pscope_io_failed(run, err, s->dev_off);
		return false;
	}
	req->bytes += s->buf.len;
	/* Once a device went away, what its BAR reads back proves nothing. */
	if (run->out.status)
		return false;
	return !(run->verify && !run->write &&
		 !p2pscope_xbuf_check(run, &s->buf, s->dev_off));
}

/* Is the run's time up?  Then a run that also had a count says the time stopped it. */
static bool p2pscope_xpast(struct p2pscope_xrun *run, u64 deadline)
{
	if (ktime_get_ns() < deadline)
		return false;
	if (run->req->iterations)
		run->req->result_flags |= P2PSCOPE_XRES_F_TIME_LIMIT;
	return true;
}

/* Phase 2, timed. */
static int p2pscope_xmeasure(struct p2pscope_xrun *run)
{
	struct p2pscope_xfer_block *req = run->req;
	const u64 limit = req->iterations ?: U64_MAX;
	u64 submitted = 0, next = 0, start, deadline, last = 0;
	struct p2pscope_xslot *s, *tmp;
	struct llist_node *nodes;
	bool stop = false;
	unsigned int i;
	int ret = 0;

	req->latency.min_ns = U64_MAX;
	start = ktime_get_ns();
	WRITE_ONCE(run->last_done_ns, start);
	deadline = start + run->limit_ns;
	for (i = 0; i < run->nslots && submitted < limit && !stop; i++) {
		if (p2pscope_xsubmit_next(run, &run->slots[i], &next))
			stop = true;
		else
			submitted++;
	}

	for (;;) {
		nodes = llist_del_all(&run->done);
		llist_for_each_entry_safe(s, tmp, nodes, done_node) {
			last = max(last, s->t_done);
			if (!p2pscope_xreap(run, s))
				stop = true;
			if (stop || submitted >= limit)
				continue;
			if (p2pscope_xpast(run, deadline)) {
				stop = true;
				continue;
			}
			if (p2pscope_xsubmit_next(run, s, &next))
				stop = true;
			else
				submitted++;
		}
		if (!atomic_read(&run->inflight) && llist_empty(&run->done))
			break;
		if (stop) {
			/* What completed in time is still recorded. */
			if (!p2pscope_xsettle(run))
				break;
			continue;
		}
		if (p2pscope_xpast(run, deadline)) {
			stop = true;
			continue;
		}
		/* Completions may keep coming after a recovery: look every round. */
		if (!p2pscope_xno_recovery(run)) {
			stop = true;
			continue;
		}
		if (llist_empty(&run->done) && !p2pscope_xwatch(run, &ret))
			stop = true;
		cond_resched();
	}

	if (!req->latency.count)
		req->latency.min_ns = 0;
	req->elapsed_ns = last > start ? last - start : 0;
	return ret;
}

/* ------------------------------------------------------------- setup */

static int p2pscope_xopen(struct p2pscope_xrun *run)
{
	struct p2pscope_xfer_block *req = run->req;
	dev_t dev = MKDEV(req->block_major, req->block_minor);
	bool excl = req->flags & P2PSCOPE_XFER_F_DESTRUCTIVE;
	int err;

#ifdef P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV
	run->bdev_file = bdev_file_open_by_dev(dev, BLK_OPEN_READ |
					       (excl ? BLK_OPEN_WRITE : 0),
					       excl ? run : NULL, NULL);
	err = IS_ERR(run->bdev_file) ? PTR_ERR(run->bdev_file) : 0;
	if (err)
		run->bdev_file = NULL;
	else
		run->bdev = file_bdev(run->bdev_file);
#else
	run->fmode = FMODE_READ | (excl ? FMODE_WRITE | FMODE_EXCL : 0);
	run->bdev = blkdev_get_by_dev(dev, run->fmode, excl ? run : NULL);
	err = IS_ERR(run->bdev) ? PTR_ERR(run->bdev) : 0;
	if (err)
		run->bdev = NULL;
#endif
	if (err == -EBUSY)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BLOCK_UNSUITABLE, err,
				       "block device %u:%u is in use (mounted or claimed): refusing to write to it",
				       req->block_major, req->block_minor);
	if (err)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BLOCK_UNSUITABLE, err,
				       "cannot open block device %u:%u (%d)",
				       req->block_major, req->block_minor, err);
	return 0;
}

static void p2pscope_xclose(struct p2pscope_xrun *run)
{
#ifdef P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV
	if (run->bdev_file)
		fput(run->bdev_file);
	run->bdev_file = NULL;
#else
	if (run->bdev)
		blkdev_put(run->bdev, run->fmode);
#endif
	run->bdev = NULL;
}

static struct pci_dev *p2pscope_bdev_pci(struct block_device *bdev)
{
	struct device *d;

	for (d = disk_to_dev(bdev->bd_disk); d; d = d->parent)
		if (dev_is_pci(d))
			return pci_dev_get(to_pci_dev(d));
	return NULL;
}

static void p2pscope_set_addr(struct p2pscope_pci_addr *a, struct pci_dev *p)
{
	a->domain = pci_domain_nr(p->bus);
	a->bus = p->bus->number;
	a->device = PCI_SLOT(p->devfn);
	a->function = PCI_FUNC(p->devfn);
}

/* What depends on the opened device: geometry and the P2P client. */
static int p2pscope_xcheck_device(struct p2pscope_xrun *run)
{
	struct p2pscope_xfer_block *req = run->req;
	unsigned int lbs = bdev_logical_block_size(run->bdev);
	u64 size = bdev_nr_bytes(run->bdev);

	req->logical_block_bytes = lbs;
	run->pdev = p2pscope_bdev_pci(run->bdev);
	if (run->pdev) {
		p2pscope_set_addr(&req->addr, run->pdev);
		req->addr_valid = 1;
		req->iommu_domain_type = p2pscope_iommu_domain_type(&run->pdev->dev);
	}
	if (req->block_bytes % lbs)
		return p2pscope_einval(CMD, "block_bytes",
				       "%u (not a multiple of the device's %u-byte logical block)",
				       req->block_bytes, lbs);
	if (req->offset_bytes % lbs)
		return p2pscope_einval(CMD, "offset_bytes",
				       "%llu (not a multiple of the device's %u-byte logical block)",
				       req->offset_bytes, lbs);
	if (req->offset_bytes > size || req->span_bytes > size - req->offset_bytes)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BLOCK_UNSUITABLE, -ENOSPC,
				       "range %llu+%llu is beyond the device's %llu bytes",
				       req->offset_bytes, req->span_bytes, size);
	if (req->flags & P2PSCOPE_XFER_F_DESTRUCTIVE) {
		/*
		 * The exclusive open kept out mounts and claims, not plain
		 * openers.  Ours is one opener; on a whole disk every open
		 * partition counts too.
		 */
		int others = atomic_read(&run->bdev->bd_openers) - 1;

		if (others > 0 && !(req->flags & P2PSCOPE_XFER_F_FORCE))
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_BLOCK_UNSUITABLE, -EBUSY,
					       "block device %u:%u is open elsewhere (%d other opener%s): refusing to write (FORCE overrides)",
					       req->block_major, req->block_minor,
					       others, others == 1 ? "" : "s");
		pr_notice("%s[%d]: XFER_BLOCK may overwrite bytes %llu..%llu of block device %u:%u%s\n",
			  current->comm, task_pid_nr(current), req->offset_bytes,
			  req->offset_bytes + req->span_bytes - 1,
			  req->block_major, req->block_minor,
			  others > 0 ? " (forced: it is open elsewhere)" : "");
	}
	return 0;
}

static int p2pscope_xsetup_p2pmem(struct p2pscope_xrun *run)
{
#ifdef P2PSCOPE_HAVE_PCI_P2PDMA
	struct p2pscope_xfer_block *req = run->req;
	struct request_queue *q = bdev_get_queue(run->bdev);
	int dist;

	if (req->flags & P2PSCOPE_XFER_F_PEER) {
		run->provider = p2pscope_pci_get(&req->peer);
		if (!run->provider)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, -ENODEV,
					       "no PCI device %04x:%02x:%02x.%x",
					       req->peer.domain, req->peer.bus,
					       req->peer.device, req->peer.function);
		if (!p2pscope_p2pmem_published(run->provider))
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, 0,
					       "%s publishes no p2pmem",
					       pci_name(run->provider));
	} else {
		if (!run->pdev)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, 0,
					       "the block device has no PCI function to find a p2pmem provider for; name one");
		run->provider = pci_p2pmem_find(&run->pdev->dev);
		if (!run->provider)
			return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_P2PMEM, 0,
					       "no published p2pmem provider has a P2P path to %s (pci_p2pmem_find found none)",
					       pci_name(run->pdev));
	}
	p2pscope_set_addr(&req->provider, run->provider);
	req->result_flags |= P2PSCOPE_XRES_F_P2P;
	if (run->pdev) {
		dist = pci_p2pdma_distance(run->provider, &run->pdev->dev, true);
		req->p2p_distance = dist < 0 ? P2PSCOPE_NONE_U32 : dist;
	}
#ifdef blk_queue_pci_p2pdma
	if (!blk_queue_pci_p2pdma(q))
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_P2P_NOT_SUPPORTED, 0,
				       "the block device's queue takes no P2PDMA pages (its driver does not declare P2PDMA support)");
#endif
	return 0;
#else
	return p2pscope_refuse(&run->out, P2PSCOPE_REASON_NO_KERNEL_SUPPORT, 0,
			       "kernel built without CONFIG_PCI_P2PDMA");
#endif
}

static int p2pscope_xalloc(struct p2pscope_xrun *run)
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
		ret = p2pscope_xbuf_alloc(&run->slots[i].buf, req->block_bytes,
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
		return p2pscope_xbuf_alloc(&run->sync.buf, req->block_bytes, NULL);
	return 0;
}

static void p2pscope_xrun_free(struct p2pscope_xrun *run)
{
	unsigned int i;

	if (run->slots)
		for (i = 0; i < run->nslots; i++)
			p2pscope_xbuf_free(&run->slots[i].buf);
	kfree(run->slots);
	p2pscope_xbuf_free(&run->sync.buf);
	kvfree(run->scratch);
	kvfree(run->hist);
	p2pscope_release(&run->hold);
	p2pscope_xclose(run);
	pci_dev_put(run->provider);
	pci_dev_put(run->pdev);
	kfree(run);
}

static void p2pscope_xfree_work(struct work_struct *work)
{
	struct p2pscope_xrun *run = container_of(work, struct p2pscope_xrun,
						 free_work);

	pr_info("XFER_BLOCK: the last bio left in flight has ended; its buffers are freed\n");
	p2pscope_xrun_free(run);
	/* destroy_workqueue() at unload waits for this function to return. */
	module_put(THIS_MODULE);
}

/*
 * The caller is done with @run: free it, unless bios are still in flight;
 * then the last end_io queues its freeing, and the module stays loaded
 * until that has run.
 */
static void p2pscope_xrun_put(struct p2pscope_xrun *run)
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
		p2pscope_xrun_free(run);
}

int p2pscope_xfer_block_init(void)
{
	p2pscope_xfree_wq = alloc_workqueue("p2pscope_xfree", WQ_UNBOUND, 0);
	return p2pscope_xfree_wq ? 0 : -ENOMEM;
}

void p2pscope_xfer_block_exit(void)
{
	/* Nothing is queued: every orphaned run held the module. */
	destroy_workqueue(p2pscope_xfree_wq);
}

static int p2pscope_xrun(struct p2pscope_xrun *run)
{
	struct p2pscope_xfer_block *req = run->req;
	int ret;

	ret = p2pscope_xopen(run);
	if (!ret)
		ret = p2pscope_xcheck_device(run);
	if (!ret && req->mem == P2PSCOPE_MEM_P2PMEM)
		ret = p2pscope_xsetup_p2pmem(run);
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
		INIT_DELAYED_WORK(&run->recovery_watch, p2pscope_xrecovery_watch);
		run->watching = true;
		schedule_delayed_work(&run->recovery_watch, P2PSCOPE_XFER_TICK);
	}

	ret = p2pscope_xalloc(run);
	if (ret)
		return ret;
	if (run->verify && !run->write) {
		ret = p2pscope_xpass(run, true);
		if (ret)
			return ret;
	}
	ret = p2pscope_xmeasure(run);
	if (ret || run->out.status)
		return ret;
	if (run->verify && run->write)
		ret = p2pscope_xpass(run, false);
	return ret;
}

long p2pscope_ioctl_xfer_block(void __user *argp)
{
	struct p2pscope_xfer_block *req;
	struct p2pscope_xrun *run = NULL;
	long ret;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = p2pscope_xvalidate(req);
	if (ret)
		goto out;
	if (req->hist_uptr &&
	    !access_ok(u64_to_user_ptr(req->hist_uptr), HIST_BYTES)) {
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
	INIT_WORK(&run->free_work, p2pscope_xfree_work);
	if (run->verify) {
		req->verify = P2PSCOPE_VERIFY_MATCHED;	/* until a word differs */
		if (!run->write)
			req->result_flags |= P2PSCOPE_XRES_F_VERIFY_INLINE;
	}

	ret = p2pscope_xrun(run);
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
				 HIST_BYTES)) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (copy_to_user(argp, req, sizeof(*req)))
		ret = -EFAULT;
out:
	if (run)
		p2pscope_xrun_put(run);
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
	ret = p2pscope_xvalidate(req);
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
