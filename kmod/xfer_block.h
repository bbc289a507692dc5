/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pscope: what the parts of XFER_BLOCK share (see xfer_block.c).
 *
 *   xfer_block.c         the command: its checks and a run's life from the
 *                        ioctl to its freeing
 *   xfer_block_setup.c   opening the block device, and the p2pmem provider
 *   xfer_block_bio.c     buffers, the pattern in them, and their bios
 *   xfer_block_phases.c  the phases, and the bounded waits for their bios
 */
#ifndef P2PSCOPE_XFER_BLOCK_H
#define P2PSCOPE_XFER_BLOCK_H

#include <linux/blkdev.h>
#include <linux/llist.h>
#include <linux/workqueue.h>

#include "p2pscope_internal.h"

/* The command's name in its files' messages */
#define CMD "XFER_BLOCK"

/* Bounds of every wait (see the top of xfer_block.c). */
#define P2PSCOPE_XFER_TICK		(HZ / 10)	/* look around while waiting */
#define P2PSCOPE_XFER_STALL_NS		(10 * NSEC_PER_SEC)
#define P2PSCOPE_XFER_SETTLE		(5 * HZ)
#define P2PSCOPE_XFER_SETTLE_KILLED	(HZ / 2)	/* the caller was killed */

#if defined(P2PSCOPE_HAVE_BLKDEV_GET_BY_DEV) || \
	defined(P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV)
#define P2PSCOPE_HAVE_BLOCK_XFER 1
#endif

#ifdef P2PSCOPE_HAVE_BLOCK_XFER

/* A buffer bios read into or write from: RAM pages or one p2pmem range. */
struct p2pscope_block_buf {
	struct page **pages;		/* RAM: npages pages */
	void *p2p;			/* P2PMEM: from pci_alloc_p2pmem() */
	struct pci_dev *provider;	/* P2PMEM */
	unsigned int npages;
	unsigned int len;
};

struct p2pscope_block_run;

/*
 * A place in the queue: the buffer of one bio in flight at a time, where it
 * goes on the device, its times and its status.
 */
struct p2pscope_block_slot {
	struct p2pscope_block_run *run;
	struct p2pscope_block_buf buf;
	struct llist_node done_node;
	u64 dev_off;
	u64 t_submit;
	u64 t_done;
	blk_status_t status;
};

/* One XFER_BLOCK request, from its ioctl until its last bio has ended. */
struct p2pscope_block_run {
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
	struct p2pscope_block_slot *slots;
	unsigned int nslots;
	struct p2pscope_block_slot sync;	/* RAM: pattern writes and read-back */
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

/* xfer_block.c: frees the runs that bios in flight outlived. */
extern struct workqueue_struct *p2pscope_block_free_wq;

/* xfer_block_setup.c */
int p2pscope_block_open(struct p2pscope_block_run *run);
void p2pscope_block_close(struct p2pscope_block_run *run);
int p2pscope_block_check_device(struct p2pscope_block_run *run);
int p2pscope_block_setup_p2pmem(struct p2pscope_block_run *run);

/* xfer_block_bio.c */
int p2pscope_block_buf_alloc(struct p2pscope_block_buf *b, unsigned int len,
			     struct pci_dev *provider);
void p2pscope_block_buf_free(struct p2pscope_block_buf *b);
bool p2pscope_block_buf_check(struct p2pscope_block_run *run,
			      struct p2pscope_block_buf *b, u64 off);
void p2pscope_block_slot_end_io(struct bio *bio);
int p2pscope_block_slot_submit(struct p2pscope_block_run *run,
			       struct p2pscope_block_slot *s, bool write);

/* xfer_block_phases.c */
void p2pscope_block_recovery_watch(struct work_struct *work);
int p2pscope_block_verify_pass(struct p2pscope_block_run *run, bool write);
int p2pscope_block_measure(struct p2pscope_block_run *run);

#endif /* P2PSCOPE_HAVE_BLOCK_XFER */

#endif /* P2PSCOPE_XFER_BLOCK_H */
