// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope-eperm: /dev/p2pscope is for root (CAP_SYS_ADMIN) only.
 *
 * Run as root.  Opens the device, drops to uid/gid 65534 (which drops every
 * capability), then checks that every command answers -EPERM on the open
 * file, that an unknown command still answers -ENOTTY, and that the device
 * cannot be opened again.  Exit status 0 when all of that held.
 */
#define _GNU_SOURCE
#include <grp.h>

#include "p2pscope_test.h"

static int failures;

static void expect(const char *what, int ret, int want)
{
	int err = ret ? errno : 0;

	if (err == want) {
		printf("ok: %s -> %s\n", what, want ? strerror(want) : "0");
		return;
	}
	printf("FAIL: %s -> %s, want %s\n", what, err ? strerror(err) : "0",
	       strerror(want));
	failures++;
}

int main(void)
{
	struct p2pscope_map_bench r;
	struct p2pscope_xfer_block xb;
	struct p2pscope_xfer_dma xd;
	struct p2pscope_dev_query q;
	struct p2pscope_version v;
	struct p2pscope_caps c;
	int fd;

	if (geteuid() != 0) {
		fprintf(stderr, "p2pscope-eperm: run me as root\n");
		return 2;
	}
	fd = open_dev();
	memset(&v, 0, sizeof(v));
	expect("VERSION as root", ioctl(fd, P2PSCOPE_IOC_VERSION, &v), 0);

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("setuid");
		return 2;
	}
	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	memset(&xb, 0, sizeof(xb));
	memset(&xd, 0, sizeof(xd));
	expect("VERSION as uid 65534", ioctl(fd, P2PSCOPE_IOC_VERSION, &v), EPERM);
	expect("CAPS as uid 65534", ioctl(fd, P2PSCOPE_IOC_CAPS, &c), EPERM);
	expect("DEV_QUERY as uid 65534", ioctl(fd, P2PSCOPE_IOC_DEV_QUERY, &q), EPERM);
	expect("MAP_BENCH as uid 65534", ioctl(fd, P2PSCOPE_IOC_MAP_BENCH, &r), EPERM);
	expect("XFER_BLOCK as uid 65534", ioctl(fd, P2PSCOPE_IOC_XFER_BLOCK, &xb), EPERM);
	expect("XFER_DMA as uid 65534", ioctl(fd, P2PSCOPE_IOC_XFER_DMA, &xd), EPERM);
	expect("unknown command as uid 65534",
	       ioctl(fd, _IOWR(P2PSCOPE_IOC_TYPE, 0x7f, struct p2pscope_version), &v),
	       ENOTTY);
	expect("open as uid 65534", open(P2PSCOPE_DEVICE_PATH, O_RDWR) < 0 ? -1 : 0,
	       EACCES);
	printf("%s\n", failures ? "FAILED" : "PASSED");
	return failures ? 1 : 0;
}
