// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: XFER_BLOCK's buffers and bios (see xfer_block.c).
 *
 * A buffer is RAM pages or one p2pmem range; the pattern goes into it
 * before a write and is checked after a read.  A slot's bio is built from
 * its buffer's pages; its end_io (possibly in interrupt context) only
 * records the completion for the submitter, and hands an orphaned run to its
 * freeing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/llist.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "p2pscope_internal.h"
#include "xfer_block.h"

#ifdef P2PSCOPE_HAVE_BLOCK_XFER

/* ------------------------------------------------------------- buffers */

/* BAR memory is not RAM: the CPU reaches p2pmem only through the io helpers. */
static void __iomem *p2pscope_block_buf_io(const struct p2pscope_block_buf *b)
{
	return (void __force __iomem *)b->p2p;
}

int p2pscope_block_buf_alloc(struct p2pscope_block_buf *b, unsigned int len,
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
		memset_io(p2pscope_block_buf_io(b), P2PSCOPE_POISON_BYTE, len);
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

void p2pscope_block_buf_free(struct p2pscope_block_buf *b)
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

static struct page *p2pscope_block_buf_page(const struct p2pscope_block_buf *b,
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
static void p2pscope_block_buf_fill(struct p2pscope_block_run *run,
				    struct p2pscope_block_buf *b, u64 off)
{
	const u64 seed = run->req->seed;
	unsigned int i, n, left = b->len;

	if (b->p2p) {
		p2pscope_fill_words(run->scratch, b->len / 8, seed, off);
		memcpy_toio(p2pscope_block_buf_io(b), run->scratch, b->len);
		return;
	}
	for (i = 0; i < b->npages; i++, left -= n) {
		u64 *w = kmap_local_page(b->pages[i]);

		n = min_t(unsigned int, left, PAGE_SIZE);
		p2pscope_fill_words(w, n / 8, seed, off + (u64)i * PAGE_SIZE);
		kunmap_local(w);
	}
}

static void p2pscope_block_buf_poison(struct p2pscope_block_buf *b)
{
	unsigned int i, n, left = b->len;

	if (b->p2p) {
		memset_io(p2pscope_block_buf_io(b), P2PSCOPE_POISON_BYTE, b->len);
		return;
	}
	for (i = 0; i < b->npages; i++, left -= n) {
		n = min_t(unsigned int, left, PAGE_SIZE);
		memset_page(b->pages[i], 0, P2PSCOPE_POISON_BYTE, n);
	}
}

/* Check @b against the pattern of device offset @off; false on a mismatch. */
bool p2pscope_block_buf_check(struct p2pscope_block_run *run,
			      struct p2pscope_block_buf *b, u64 off)
{
	struct p2pscope_xfer_block *req = run->req;
	unsigned int i, n, left = b->len;
	u64 base = off, found = 0;
	long bad = -1;

	if (b->p2p) {
		memcpy_fromio(run->scratch, p2pscope_block_buf_io(b), b->len);
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

void p2pscope_block_slot_end_io(struct bio *bio)
{
	struct p2pscope_block_slot *s = bio->bi_private;
	struct p2pscope_block_run *run = s->run;
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
		queue_work(p2pscope_block_free_wq, &run->free_work);
}

static blk_opf_t p2pscope_block_opf(const struct p2pscope_block_buf *b, bool write)
{
	blk_opf_t opf = write ? REQ_OP_WRITE : REQ_OP_READ;

	/* As nvmet does: P2P pages must not merge with others. */
	if (b->p2p)
		opf |= REQ_NOMERGE;
	return opf;
}

static struct bio *p2pscope_block_bio(struct p2pscope_block_run *run,
				      struct p2pscope_block_buf *b, u64 off, bool write)
{
	struct bio *bio = bio_alloc(run->bdev, b->npages,
				    p2pscope_block_opf(b, write), GFP_KERNEL);
	unsigned int i, n, left = b->len;

	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < b->npages; i++, left -= n) {
		n = min_t(unsigned int, left, PAGE_SIZE);
		if (bio_add_page(bio, p2pscope_block_buf_page(b, i), n, 0) != n) {
			bio_put(bio);
			return NULL;
		}
	}
	return bio;
}

int p2pscope_block_slot_submit(struct p2pscope_block_run *run,
			       struct p2pscope_block_slot *s, bool write)
{
	struct bio *bio;

	if (run->verify) {
		if (write)
			p2pscope_block_buf_fill(run, &s->buf, s->dev_off);
		else
			p2pscope_block_buf_poison(&s->buf);
	}
	bio = p2pscope_block_bio(run, &s->buf, s->dev_off, write);
	if (!bio)
		return p2pscope_refuse(&run->out, P2PSCOPE_REASON_DEVICE_LIMIT, -EINVAL,
				       "a %u-byte bio does not fit this block device's limits",
				       s->buf.len);
	bio->bi_end_io = p2pscope_block_slot_end_io;
	bio->bi_private = s;
	atomic_inc(&run->inflight);
	s->t_submit = ktime_get_ns();
	submit_bio(bio);
	return 0;
}

#endif /* P2PSCOPE_HAVE_BLOCK_XFER */
