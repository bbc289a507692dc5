// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: XFER_BLOCK's setup (see xfer_block.c): opening the block device
 * (exclusively when the run may write it), what depends on the opened
 * device (its geometry, its PCI function, other openers), and the p2pmem
 * provider a P2P run reads into or writes from.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include "p2pscope_internal.h"
#include "xfer_block.h"

#ifdef P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV
#include <linux/file.h>
#endif

#ifdef P2PSCOPE_HAVE_BLOCK_XFER

int p2pscope_block_open(struct p2pscope_block_run *run)
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

void p2pscope_block_close(struct p2pscope_block_run *run)
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
int p2pscope_block_check_device(struct p2pscope_block_run *run)
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

int p2pscope_block_setup_p2pmem(struct p2pscope_block_run *run)
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

#endif /* P2PSCOPE_HAVE_BLOCK_XFER */
