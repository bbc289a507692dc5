// SPDX-License-Identifier: GPL-2.0
/*
 * P2PSCOPE_HAVE_BDEV_FILE_OPEN_BY_DEV: bdev_file_open_by_dev(), the block
 * device open of Linux 6.9 and later (a struct file holds the device).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>

static int __used p2pscope_probe(dev_t dev, void *holder)
{
	struct file *f = bdev_file_open_by_dev(dev, BLK_OPEN_READ | BLK_OPEN_WRITE,
					       holder, NULL);
	struct bio *bio;

	if (IS_ERR(f))
		return PTR_ERR(f);
	bio = bio_alloc(file_bdev(f), 1, REQ_OP_READ | REQ_NOMERGE, GFP_KERNEL);
	bio_put(bio);
	fput(f);
	return 0;
}
