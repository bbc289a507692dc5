// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope-fuzz: random and malformed ioctls on /dev/p2pscope.
 *
 *   p2pscope-fuzz [-n COUNT] [-s SEED] [-d BDF] [-j JOBS]
 *
 * COUNT (default 100000) ioctls per job: unknown command numbers, bad and
 * half-mapped pointers, random bytes, and MAP_BENCH requests that start
 * valid (on BDF, when given, with short bounds) and get one to three fields
 * mutated.  Every answer must be one of the errnos the ABI documents, and
 * some must be exactly the documented one (-ENOTTY for unknown commands,
 * -EFAULT for bad pointers, -EINVAL for non-zero reserved fields); every
 * MAP_BENCH result must be self-consistent (histograms sum to the counts).
 * Exit status 0 when all of that held, 1 otherwise.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "p2pscope_test.h"

static uint64_t rng;
static long failures;
static long by_errno[256];
static long by_status[P2PSCOPE_REASON_COUNT + 1];
static long runs_with_samples;

/* Where the time goes: seconds spent in each command's ioctls, and the longest one. */
enum { T_MAP, T_BLOCK, T_DMA, T_OTHER, T_KINDS };
static const char *const time_names[T_KINDS] = { "MAP_BENCH", "XFER_BLOCK", "XFER_DMA", "other" };
static double time_sum[T_KINDS], time_max[T_KINDS];

static unsigned int time_kind(unsigned long cmd)
{
	return cmd == P2PSCOPE_IOC_MAP_BENCH ? T_MAP : cmd == P2PSCOPE_IOC_XFER_BLOCK ? T_BLOCK :
	       cmd == P2PSCOPE_IOC_XFER_DMA ? T_DMA : T_OTHER;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void fail(const char *what, long i, int ret, int err)
{
	if (failures++ < 20)
		fprintf(stderr, "FAIL #%ld: %s (ret %d, errno %d %s)\n", i, what,
			ret, err, strerror(err));
}

static int do_ioctl(int fd, unsigned long cmd, void *arg, int *err)
{
	double t0 = now_s(), dt;
	int ret = ioctl(fd, cmd, arg);
	unsigned int k = time_kind(cmd);

	*err = ret ? errno : 0;
	dt = now_s() - t0;
	time_sum[k] += dt;
	if (dt > time_max[k])
		time_max[k] = dt;
	by_errno[*err & 255]++;
	if (ret && *err != EINVAL && *err != ENOTTY && *err != EFAULT &&
	    *err != ENODEV && *err != EBUSY && *err != ENOMEM)
		fail("unexpected errno", -1, ret, *err);
	return ret;
}

static const uint64_t interesting[] = {
	0, 1, 2, 3, 7, 8, 63, 64, 4095, 4096, 4097, 65536, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ULL, 1ULL << 40, (1ULL << 40) + 1,
	60000000000ULL, 60000000001ULL, ~0ULL, ~0ULL >> 1,
};

static uint64_t interesting_value(void)
{
	if (pick(4) == 0)
		return rnd();
	return interesting[pick(sizeof(interesting) / sizeof(interesting[0]))];
}

/* A buffer whose last bytes run into an inaccessible page. */
static uint8_t *guard_base;
static long page;

static void *straddling(size_t size)
{
	size_t readable = 1 + pick(size - 1);

	return guard_base + page - readable;
}

static void *bad_pointer(size_t size)
{
	switch (pick(5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffffffff81000000ULL;
	case 3: return guard_base + page;	/* PROT_NONE */
	default:
		return straddling(size);
	}
}

static void check_result(const struct p2pscope_map_bench *r,
			 const uint64_t *mh, const uint64_t *uh, long i)
{
	uint64_t sm = 0, su = 0;
	uint32_t b;

	by_status[r->status < P2PSCOPE_REASON_COUNT ? r->status :
		  P2PSCOPE_REASON_COUNT]++;
	if (r->status >= P2PSCOPE_REASON_COUNT)
		fail("status out of range", i, 0, 0);
	if (!memchr(r->reason, 0, sizeof(r->reason)) ||
	    !memchr(r->kernel_release, 0, sizeof(r->kernel_release)) ||
	    !memchr(r->module_version, 0, sizeof(r->module_version)))
		fail("text not NUL-terminated", i, 0, 0);
	if (r->status && !r->reason[0])
		fail("status without a reason text", i, 0, 0);
	if (r->map.count) {
		runs_with_samples++;
		if (r->map.min_ns > r->map.max_ns ||
		    r->map.sum_ns < r->map.count * r->map.min_ns)
			fail("inconsistent map stats", i, 0, 0);
	}
	if (!mh || !uh)
		return;
	for (b = 0; b < P2PSCOPE_HIST_BUCKETS; b++) {
		sm += mh[b];
		su += uh[b];
	}
	if (sm != r->map.count || su != r->unmap.count)
		fail("histogram does not sum to the count", i, 0, 0);
}

static void template(struct p2pscope_map_bench *r,
		     const struct p2pscope_pci_addr *dev, int udmabuf_fd,
		     unsigned int cpus)
{
	memset(r, 0, sizeof(*r));
	r->addr = *dev;
	r->api = 1 + (uint32_t)pick(P2PSCOPE_API_COUNT - 1);
	r->mem = 1 + (uint32_t)pick(P2PSCOPE_MEM_COUNT - 1);
	r->dir = (uint32_t)pick(3);
	if (r->api == P2PSCOPE_API_ALLOC_COHERENT)
		r->dir = P2PSCOPE_DIR_BIDIRECTIONAL;
	r->threads = 1 + (uint32_t)pick(cpus);
	r->size_bytes = 4096ULL << pick(6);
	r->segments = 1;
	if (r->api == P2PSCOPE_API_MAP_SGTABLE ||
	    r->api == P2PSCOPE_API_IOVA_LINK ||
	    r->api == P2PSCOPE_API_IOMMU_DOMAIN)
		r->segments = 1U << pick(4);
	if (r->api == P2PSCOPE_API_DMABUF ||
	    r->api == P2PSCOPE_API_ALLOC_NONCONTIG)
		r->segments = 0;
	if (r->mem == P2PSCOPE_MEM_DMABUF) {
		r->size_bytes = 0;
		r->dmabuf_fd = udmabuf_fd >= 0 && pick(2) ? udmabuf_fd :
			       (int32_t)pick(8);
		/* imported as a peer's memory (ABI 1.3): the P2P importer */
		if (pick(2)) {
			r->flags |= P2PSCOPE_MAP_F_PEER;
			r->peer = *dev;
		}
	}
	if (r->mem == P2PSCOPE_MEM_BAR) {
		r->flags |= P2PSCOPE_MAP_F_PEER;
		r->peer = *dev;
		r->bar = (uint32_t)pick(6);
	}
	r->iterations = 1 + pick(32);
	r->duration_ns = 1 + pick(2000000);
	r->clock = (uint32_t)pick(P2PSCOPE_CLOCK_COUNT);
	r->flags |= (uint32_t)pick(16) & ~P2PSCOPE_MAP_F_PEER;
	if (pick(2))
		r->flags &= ~P2PSCOPE_MAP_F_DIRTY;
}

static uint32_t fuzz_cpus[64];

/* Change one field to something odd; keep the run short if it stays valid. */
static void mutate(struct p2pscope_map_bench *r)
{
	uint64_t v = interesting_value();

	switch (pick(24)) {
	case 0:
		r->addr.domain = (uint32_t)v;
		break;
	case 1:
		r->addr.bus = (uint32_t)v;
		break;
	case 2:
		r->addr.device = (uint32_t)v;
		break;
	case 3:
		r->addr.function = (uint32_t)v;
		break;
	case 4:
		r->peer.bus = (uint32_t)v;
		break;
	case 5:
		r->api = (uint32_t)v;
		break;
	case 6:
		r->mem = (uint32_t)v;
		break;
	case 7:
		r->dir = (uint32_t)v;
		break;
	case 8:
		r->threads = (uint32_t)v;
		break;
	case 9:
		r->size_bytes = v;
		break;
	case 10:
		r->segments = (uint32_t)v;
		break;
	case 11:
		r->flags = (uint32_t)v;
		break;
	case 12:
		r->iterations = v;
		break;
	case 13:
		r->duration_ns = v;
		if (v <= P2PSCOPE_MAX_DURATION_NS && v > 5000000)
			r->duration_ns = 5000000;
		break;
	case 14:
		r->clock = (uint32_t)v;
		break;
	case 15:
		r->dma_mask_bits = (uint32_t)v;
		break;
	case 16:
		r->bar = (uint32_t)v;
		break;
	case 17:
		r->dmabuf_fd = (int32_t)v;
		break;
	case 18:
		r->bar_offset_bytes = v;
		break;
	case 19:
		r->hold_ns = (uint32_t)v;
		break;
	case 20:
		r->reserved_in[pick(ARRAY_LEN(r->reserved_in))] = v | 1;
		break;
	case 21:
		/* a CPU list: odd CPU numbers, duplicates, a bad address */
		for (unsigned int k = 0; k < ARRAY_LEN(fuzz_cpus); k++)
			fuzz_cpus[k] = pick(4) ? (uint32_t)pick(4) : (uint32_t)interesting_value();
		r->flags |= P2PSCOPE_MAP_F_CPUS;
		r->cpus_uptr = pick(8) ? (uintptr_t)fuzz_cpus : (uintptr_t)bad_pointer(4);
		if (r->threads > ARRAY_LEN(fuzz_cpus))
			r->threads = ARRAY_LEN(fuzz_cpus);
		break;
	case 22:
		r->cpus_uptr = pick(2) ? (uintptr_t)bad_pointer(4) : (uintptr_t)v;
		break;
	default:
		r->reserved_out[pick(ARRAY_LEN(r->reserved_out))] = v | 1;
		break;
	}
	/* Never a long run: bound the time whatever else changed. */
	if (!r->duration_ns || r->duration_ns > 5000000) {
		if (r->duration_ns <= P2PSCOPE_MAX_DURATION_NS)
			r->duration_ns = 1 + pick(5000000);
	}
	if (r->hold_ns > 100000 && r->hold_ns <= P2PSCOPE_MAX_HOLD_NS)
		r->hold_ns = 1000;
}

static int make_udmabuf(void)
{
	struct udmabuf_create c = { 0 };
	int memfd, dev, fd;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	memfd = memfd_create("p2pscope-fuzz", MFD_ALLOW_SEALING);
	if (dev < 0 || memfd < 0 || ftruncate(memfd, 1 << 20) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -1;
	c.memfd = (uint32_t)memfd;
	c.size = 1 << 20;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(memfd);
	close(dev);
	return fd;
}

/* Checks every transfer result shares. */
static void check_xfer(uint32_t status, const char *reason,
		       const struct p2pscope_stats *lat, uint64_t transfers,
		       const uint64_t *hist, long i)
{
	uint64_t sum = 0;
	uint32_t b;

	by_status[status < P2PSCOPE_REASON_COUNT ? status : P2PSCOPE_REASON_COUNT]++;
	if (status >= P2PSCOPE_REASON_COUNT)
		fail("transfer status out of range", i, 0, 0);
	if (!memchr(reason, 0, P2PSCOPE_REASON_LEN))
		fail("transfer reason not NUL-terminated", i, 0, 0);
	if (status && !reason[0])
		fail("transfer status without a reason text", i, 0, 0);
	if (lat->count != transfers)
		fail("transfer latency count differs from the transfers", i, 0, 0);
	if (lat->count && (lat->min_ns > lat->max_ns ||
			   lat->sum_ns < lat->count * lat->min_ns))
		fail("inconsistent transfer latency stats", i, 0, 0);
	if (lat->count)
		runs_with_samples++;
	if (!hist)
		return;
	for (b = 0; b < P2PSCOPE_HIST_BUCKETS; b++)
		sum += hist[b];
	if (sum != lat->count)
		fail("transfer histogram does not sum to the count", i, 0, 0);
}

/* XFER_BLOCK: near-valid requests on the block device in @blk (major:minor), mutated. */
static void xfer_block(int fd, const uint32_t *blk, long i)
{
	static uint64_t h[P2PSCOPE_HIST_BUCKETS];
	struct p2pscope_xfer_block x;
	int ret, err, hist = (int)pick(2), bad_hist = 0, reserved = 0;

	memset(&x, 0, sizeof(x));
	x.block_major = blk[0];
	x.block_minor = blk[1];
	x.mem = pick(4) ? P2PSCOPE_MEM_RAM : P2PSCOPE_MEM_P2PMEM;
	x.dir = pick(2) ? P2PSCOPE_DIR_FROM_DEVICE : P2PSCOPE_DIR_TO_DEVICE;
	/* Small: thousands of these run, on the debug kernel too. */
	x.block_bytes = 512U << pick(8);
	x.queue_depth = 1 + (uint32_t)pick(4);
	x.offset_bytes = 4096 * pick(1024);
	x.iterations = 1 + pick(4);
	x.duration_ns = pick(4) ? 1 + pick(20000000) : 0;
	x.flags = P2PSCOPE_XFER_F_DESTRUCTIVE | (pick(2) ? P2PSCOPE_XFER_F_VERIFY : 0);
	switch (pick(14)) {
	case 0: x.block_major = (uint32_t)interesting_value(); break;
	case 1: x.mem = (uint32_t)interesting_value(); break;
	case 2: x.dir = (uint32_t)pick(4); break;
	case 3: x.block_bytes = (uint32_t)interesting_value(); break;
	case 4: x.queue_depth = (uint32_t)interesting_value(); break;
	case 5: x.offset_bytes = interesting_value(); break;
	case 6: x.span_bytes = interesting_value(); break;
	case 7: x.iterations = interesting_value(); break;
	case 8: x.flags = (uint32_t)rnd(); break;
	case 9: x.flags |= P2PSCOPE_XFER_F_PEER; x.peer.bus = (uint32_t)pick(300); break;
	case 10: x.reserved_in[pick(ARRAY_LEN(x.reserved_in))] = 1; reserved = 1; break;
	case 11: x.reserved_out[pick(ARRAY_LEN(x.reserved_out))] = 1; reserved = 1; break;
	case 12: x.hist_buckets = (uint32_t)pick(P2PSCOPE_HIST_BUCKETS + 1);
		x.hist_uptr = (uintptr_t)h; hist = 0; break;
	default: x.span_bytes = (uint64_t)x.block_bytes * (1 + pick(4)); break;
	}
	/* Never a long run: an iteration count that stayed valid but huge, with
	 * no duration, would run for the module's limit (a minute). */
	if (!x.duration_ns && x.iterations > 64)
		x.duration_ns = 1 + pick(20000000);
	if (hist) {
		x.hist_buckets = P2PSCOPE_HIST_BUCKETS;
		x.hist_uptr = (uintptr_t)h;
		if (pick(8) == 0) {
			x.hist_uptr = (uintptr_t)bad_pointer(8);
			bad_hist = 1;
		}
	}
	memset(h, 0, sizeof(h));
	ret = do_ioctl(fd, P2PSCOPE_IOC_XFER_BLOCK, &x, &err);
	if (reserved && (!ret || err != EINVAL))
		fail("XFER_BLOCK: reserved field set but not -EINVAL", i, ret, err);
	if (!ret)
		check_xfer(x.status, x.reason, &x.latency, x.ios,
			   hist && !bad_hist ? h : NULL, i);
}

/* XFER_DMA: near-valid requests, mutated (no channel in the lab: refused). */
static void xfer_dma(int fd, const struct p2pscope_pci_addr *dev, long i)
{
	struct p2pscope_xfer_dma x;
	int ret, err, reserved = 0;

	memset(&x, 0, sizeof(x));
	x.src_mem = P2PSCOPE_MEM_RAM;
	x.dst_mem = pick(2) ? P2PSCOPE_MEM_RAM : P2PSCOPE_MEM_BAR;
	if (x.dst_mem == P2PSCOPE_MEM_BAR) {
		x.flags = P2PSCOPE_XFER_F_PEER;
		x.peer = *dev;
		x.bar = (uint32_t)pick(6);
	}
	x.size_bytes = 8ULL << pick(20);
	x.iterations = 1 + pick(8);
	switch (pick(8)) {
	case 0: x.src_mem = (uint32_t)interesting_value(); break;
	case 1: x.size_bytes = interesting_value(); break;
	case 2: x.flags = (uint32_t)rnd(); break;
	case 3: x.bar_offset_bytes = interesting_value(); break;
	case 4: x.reserved_in[pick(ARRAY_LEN(x.reserved_in))] = 1; reserved = 1; break;
	case 5: x.reserved0 = 1; reserved = 1; break;
	default: break;
	}
	ret = do_ioctl(fd, P2PSCOPE_IOC_XFER_DMA, &x, &err);
	if (reserved && (!ret || err != EINVAL))
		fail("XFER_DMA: reserved field set but not -EINVAL", i, ret, err);
	if (!ret)
		check_xfer(x.status, x.reason, &x.latency, x.copies, NULL, i);
}

static void fuzz(int fd, long count, const struct p2pscope_pci_addr *dev,
		 int have_dev, const uint32_t *blk)
{
	static const unsigned long cmds[] = {
		P2PSCOPE_IOC_VERSION, P2PSCOPE_IOC_CAPS,
		P2PSCOPE_IOC_DEV_QUERY, P2PSCOPE_IOC_MAP_BENCH,
		P2PSCOPE_IOC_XFER_BLOCK, P2PSCOPE_IOC_XFER_DMA,
	};
	const size_t ncmds = sizeof(cmds) / sizeof(cmds[0]);
	static uint64_t mh[P2PSCOPE_HIST_BUCKETS], uh[P2PSCOPE_HIST_BUCKETS];
	static uint8_t buf[8192] __attribute__((aligned(64))) /* user space */;
	unsigned int cpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	struct p2pscope_pci_addr nodev = { 0xabcd, 0x12, 3, 4 };
	struct p2pscope_map_bench r;
	struct p2pscope_version v;
	int udmabuf_fd = make_udmabuf();
	int ret, err;
	long i;
	size_t k;

	for (i = 0; i < count; i++) {
		unsigned int kind = (unsigned int)pick(100);

		if (kind < 10) {
			/* An unknown command number: -ENOTTY, always. */
			unsigned long cmd = (unsigned long)rnd() & 0xffffffffUL;

			if (pick(2))
				cmd = _IOC(pick(4), P2PSCOPE_IOC_TYPE, pick(256),
					   pick(1 << 14));
			for (k = 0; k < ncmds && cmd != cmds[k]; k++)
				;
			if (k < ncmds)
				continue;
			ret = do_ioctl(fd, cmd, buf, &err);
			if (!ret || err != ENOTTY)
				fail("unknown command not -ENOTTY", i, ret, err);
		} else if (kind < 20) {
			/* A known command, a bad pointer: -EFAULT. */
			unsigned long cmd = cmds[pick(ncmds)];

			ret = do_ioctl(fd, cmd, bad_pointer(_IOC_SIZE(cmd)), &err);
			if (!ret || err != EFAULT)
				fail("bad pointer not -EFAULT", i, ret, err);
		} else if (kind < 30) {
			/* VERSION: clean, or a reserved word set. */
			int dirty = (int)pick(2);

			memset(&v, 0, sizeof(v));
			if (dirty)
				v.reserved[pick(ARRAY_LEN(v.reserved))] = rnd() | 1;
			ret = do_ioctl(fd, P2PSCOPE_IOC_VERSION, &v, &err);
			if (dirty ? (!ret || err != EINVAL) :
			    (ret || v.abi_major != P2PSCOPE_ABI_MAJOR))
				fail("VERSION", i, ret, err);
		} else if (kind < 40) {
			/* Random bytes into every command. */
			for (k = 0; k < sizeof(buf); k += 8)
				*(uint64_t *)(buf + k) = rnd();
			do_ioctl(fd, cmds[pick(ncmds)], buf, &err);
		} else if (kind < 50) {
			/* DEV_QUERY of real and imaginary devices. */
			struct p2pscope_dev_query *q = (void *)buf;

			memset(q, 0, sizeof(*q));
			q->addr = have_dev && pick(2) ? *dev : nodev;
			if (pick(4) == 0) {
				q->flags = P2PSCOPE_QUERY_F_PEER;
				q->peer = q->addr;
			}
			if (pick(4) == 0)
				q->addr.bus = (uint32_t)interesting_value();
			if (pick(8) == 0)
				q->reserved[pick(ARRAY_LEN(q->reserved))] = 1;
			if (pick(8) == 0)
				q->flags = (uint32_t)rnd();
			do_ioctl(fd, P2PSCOPE_IOC_DEV_QUERY, q, &err);
		} else if (kind < 55) {
			/* CAPS, sometimes with a reserved field set. */
			struct p2pscope_caps *c = (void *)buf;
			int dirty = pick(2) == 0;

			memset(c, 0, sizeof(*c));
			if (dirty)
				c->reserved[pick(ARRAY_LEN(c->reserved))] = 1;
			ret = do_ioctl(fd, P2PSCOPE_IOC_CAPS, c, &err);
			if (dirty ? (!ret || err != EINVAL) : ret)
				fail("CAPS", i, ret, err);
		} else if (kind < 62) {
			xfer_block(fd, blk, i);
		} else if (kind < 67) {
			xfer_dma(fd, have_dev ? dev : &nodev, i);
		} else {
			/* MAP_BENCH: near-valid requests, mutated. */
			int muts = 1 + (int)pick(3), hist = (int)pick(3);
			int reserved_set;

			template(&r, have_dev && pick(4) ? dev : &nodev,
				 udmabuf_fd, cpus);
			/* A valid request on the real device now and then. */
			if (!(have_dev && pick(10) == 0))
				while (muts--)
					mutate(&r);
			if (hist) {
				r.map_hist_uptr = (uintptr_t)mh;
				r.unmap_hist_uptr = (uintptr_t)uh;
				r.hist_buckets = P2PSCOPE_HIST_BUCKETS;
				if (hist == 2 && pick(4) == 0)
					r.unmap_hist_uptr = (uintptr_t)bad_pointer(8);
			}
			reserved_set = 0;
			for (k = 0; k < ARRAY_LEN(r.reserved_in); k++)
				if (r.reserved_in[k])
					reserved_set = 1;
			for (k = 0; k < ARRAY_LEN(r.reserved_out); k++)
				if (r.reserved_out[k])
					reserved_set = 1;
			memset(mh, 0, sizeof(mh));
			memset(uh, 0, sizeof(uh));
			ret = do_ioctl(fd, P2PSCOPE_IOC_MAP_BENCH, &r, &err);
			if (reserved_set && (!ret || err != EINVAL))
				fail("reserved field set but not -EINVAL", i, ret,
				     err);
			if (!ret)
				check_result(&r, hist ? mh : NULL,
					     r.unmap_hist_uptr == (uintptr_t)uh ?
					     uh : NULL, i);
		}
	}
	if (udmabuf_fd >= 0)
		close(udmabuf_fd);
}

int main(int argc, char **argv)
{
	struct p2pscope_pci_addr dev = { 0 };
	/* A scratch block device the fuzzer may write (XFER_BLOCK); 0:0: none. */
	uint32_t blk[2] = { 0, 0 };
	long count = 100000;
	int c, jobs = 1, have_dev = 0, fd, j, status, bad = 0;
	uint64_t seed = 0x5eed;
	unsigned int e;

	while ((c = getopt(argc, argv, "n:s:d:j:b:")) != -1) {
		switch (c) {
		case 'n':
			count = strtol(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			if (parse_bdf(optarg, &dev)) {
				fprintf(stderr, "bad BDF %s\n", optarg);
				return 2;
			}
			have_dev = 1;
			break;
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'b':
			if (sscanf(optarg, "%u:%u", &blk[0], &blk[1]) != 2) {
				fprintf(stderr, "bad block device %s (MAJOR:MINOR)\n", optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: p2pscope-fuzz [-n COUNT] [-s SEED] [-d BDF] [-b MAJOR:MINOR] [-j JOBS]\n");
			return 2;
		}
	}
	page = sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED || mprotect(guard_base + page, page, PROT_NONE)) {
		perror("mmap");
		return 2;
	}
	for (j = 1; j < jobs; j++)
		if (fork() == 0)
			break;
	if (j == jobs)
		j = 0;
	rng = seed * 2654435761ULL + (uint64_t)j * 0x9e3779b97f4a7c15ULL + 1;
	fd = open_dev();
	fuzz(fd, count, &dev, have_dev, blk);
	close(fd);

	printf("job %d: %ld ioctls, seed 0x%" PRIx64 ":", j, count, seed);
	for (e = 0; e < 256; e++)
		if (by_errno[e])
			printf(" %s=%ld", e ? strerror((int)e) : "ok", by_errno[e]);
	printf("\njob %d: MAP_BENCH and XFER results by status:", j);
	for (e = 0; e <= P2PSCOPE_REASON_COUNT; e++)
		if (by_status[e])
			printf(" %s=%ld", e < P2PSCOPE_REASON_COUNT ?
			       reason_names[e] : "out_of_range", by_status[e]);
	printf("; with samples: %ld\njob %d: seconds in ioctls (longest):", runs_with_samples, j);
	for (e = 0; e < T_KINDS; e++)
		printf(" %s=%.1f (%.3f)", time_names[e], time_sum[e], time_max[e]);
	printf("\njob %d: %ld failure(s)\n", j, failures);
	if (j)
		return failures ? 1 : 0;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	return failures || bad ? 1 : 0;
}
