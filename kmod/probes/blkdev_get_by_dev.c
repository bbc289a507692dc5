// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_BLKDEV_GET_BY_DEV: blkdev_get_by_dev(dev, fmode_t, holder)
 * and blkdev_put(bdev, fmode_t), the block device open of Linux up to 6.4.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/err.h>

static int __used p2pscope_probe(dev_t dev, void *holder)
{
	fmode_t mode = FMODE_READ | FMODE_WRITE | FMODE_EXCL;
	struct block_device *bdev = blkdev_get_by_dev(dev, mode, holder);
	struct bio *bio;

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	bio = bio_alloc(bdev, 1, REQ_OP_READ | REQ_NOMERGE, GFP_KERNEL);
	bio_put(bio);
	blkdev_put(bdev, mode);
	return 0;
}
