// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope-map: drive /dev/p2pscope from a shell (in the lab guest).
 *
 *   p2pscope-map version | caps | query BDF [PEER]
 *   p2pscope-map run --dev BDF --api API --mem MEM [options]
 *
 * run prints one line of key=value pairs (percentiles come from the
 * histograms); --hist adds the non-empty buckets.  With --udmabuf SIZE the
 * tool makes a udmabuf of SIZE bytes (memfd + /dev/udmabuf) and measures it.
 * Exit status: 0 when the ioctl succeeded (whatever the result's status),
 * 1 when it failed, 2 for bad usage.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <sys/mman.h>

#include "p2pscope_test.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: p2pscope-map version | caps | query BDF [PEER]\n"
		"       p2pscope-map run --dev BDF --api API --mem MEM [--size N] [--segments N]\n"
		"            [--threads N] [--iterations N] [--duration-ms N] [--dir bidi|to|from]\n"
		"            [--clock local|monotonic|monotonic_fast] [--mask-bits N] [--peer BDF]\n"
		"            [--bar N] [--bar-offset N] [--hold-ns N] [--skip-sync] [--dirty]\n"
		"            [--near] [--udmabuf SIZE] [--dmabuf-fd FD] [--hist]\n"
		"  API: map_page map_single map_sgtable map_resource alloc_coherent\n"
		"       alloc_noncontig dmabuf iova_link iommu_domain\n"
		"  MEM: ram ram_huge p2pmem bar bounce dmabuf encrypted\n"
		"       p2pscope-map block MAJOR:MINOR [--p2pmem PROVIDER] [--write] [--verify]\n"
		"            [--size N] [--qd N] [--iterations N] [--duration-ms N]\n"
		"  (XFER_BLOCK: --write and --verify pass P2PSCOPE_XFER_F_DESTRUCTIVE)\n"
		"       p2pscope-map dma BDF BAR   (XFER_DMA: 4 KiB from RAM into the BAR, once)\n");
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end) {
		fprintf(stderr, "bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int make_udmabuf(uint64_t size)
{
	struct udmabuf_create c = { 0 };
	int memfd, dev, fd;

	memfd = memfd_create("p2pscope", MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		perror("memfd");
		exit(1);
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror("/dev/udmabuf");
		exit(1);
	}
	c.memfd = (uint32_t)memfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.size = size;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (fd < 0) {
		perror("UDMABUF_CREATE");
		exit(1);
	}
	close(dev);
	close(memfd);
	return fd;
}

static int cmd_version(int fd)
{
	struct p2pscope_version v;

	memset(&v, 0, sizeof(v));
	if (ioctl(fd, P2PSCOPE_IOC_VERSION, &v)) {
		perror("P2PSCOPE_IOC_VERSION");
		return 1;
	}
	printf("abi=%u.%u module=%s kernel=%s\n", v.abi_major, v.abi_minor,
	       v.module_version, v.kernel_release);
	return 0;
}

static int cmd_caps(int fd)
{
	struct p2pscope_caps c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	if (ioctl(fd, P2PSCOPE_IOC_CAPS, &c)) {
		perror("P2PSCOPE_IOC_CAPS");
		return 1;
	}
	printf("features=0x%" PRIx64 " platform=0x%" PRIx64
	       " online_cpus=%u max_threads=%u max_duration_ns=%" PRIu64
	       " max_size_bytes=%" PRIu64 " max_segments=%u hist_buckets=%u"
	       " default_clock=%s budget_swiotlb_pct=%u budget_iova_pct=%u"
	       " budget_p2pmem_pct=%u budget_dma_alloc_pct=%u\n",
	       (uint64_t)c.features, (uint64_t)c.platform, c.online_cpus,
	       c.max_threads, (uint64_t)c.max_duration_ns,
	       (uint64_t)c.max_size_bytes, c.max_segments, c.hist_buckets,
	       NAME(clock_names, c.default_clock), c.budget_swiotlb_pct,
	       c.budget_iova_pct, c.budget_p2pmem_pct, c.budget_dma_alloc_pct);
	for (i = 1; i < P2PSCOPE_CLOCK_COUNT; i++)
		printf("timer %s overhead_ns=%" PRIu64 "\n", clock_names[i],
		       (uint64_t)c.timer_overhead_ns[i]);
	for (i = 1; i < P2PSCOPE_API_COUNT; i++)
		printf("api %s reason=%s\n", api_names[i],
		       NAME(reason_names, c.api_reason[i]));
	for (i = 1; i < P2PSCOPE_MEM_COUNT; i++)
		printf("mem %s reason=%s\n", mem_names[i],
		       NAME(reason_names, c.mem_reason[i]));
	return 0;
}

static int cmd_query(int fd, int argc, char **argv)
{
	struct p2pscope_dev_query q;
	unsigned int i;

	if (argc < 1)
		usage();
	memset(&q, 0, sizeof(q));
	if (parse_bdf(argv[0], &q.addr))
		usage();
	if (argc > 1) {
		if (parse_bdf(argv[1], &q.peer))
			usage();
		q.flags |= P2PSCOPE_QUERY_F_PEER;
	}
	if (ioctl(fd, P2PSCOPE_IOC_DEV_QUERY, &q)) {
		perror("P2PSCOPE_IOC_DEV_QUERY");
		return 1;
	}
	printf("dev=%s id=%04x:%04x class=%06x driver=%s mode=%s mode_reason=%s"
	       " flags=0x%x numa=%d iommu=%s group=%d group_devices=%u"
	       " dma_path=%u dma_mask=0x%" PRIx64 " coherent_mask=0x%" PRIx64
	       " max_mapping=%" PRIu64 " opt_mapping=%" PRIu64
	       " max_seg=%" PRIu64 " seg_boundary=0x%" PRIx64
	       " merge_boundary=0x%" PRIx64 " p2p_distance=%d\n",
	       argv[0], q.vendor_id, q.device_id, q.class_code,
	       q.driver[0] ? q.driver : "-", NAME(mode_names, q.mode),
	       NAME(reason_names, q.mode_reason), q.dev_flags,
	       (int)q.numa_node, NAME(iommu_names, q.iommu_domain_type),
	       (int)q.iommu_group, q.iommu_group_devices, q.dma_path,
	       (uint64_t)q.dma_mask, (uint64_t)q.coherent_dma_mask,
	       (uint64_t)q.max_mapping_size_bytes,
	       (uint64_t)q.opt_mapping_size_bytes,
	       (uint64_t)q.max_segment_size_bytes,
	       (uint64_t)q.segment_boundary_mask,
	       (uint64_t)q.merge_boundary_mask, (int)q.p2p_distance);
	for (i = 0; i < 6; i++)
		if (q.bars[i].len_bytes)
			printf("bar%u start=0x%" PRIx64 " bus=0x%" PRIx64
			       " len=%" PRIu64 " flags=0x%x\n", i,
			       (uint64_t)q.bars[i].start_phys,
			       (uint64_t)q.bars[i].bus_addr,
			       (uint64_t)q.bars[i].len_bytes, q.bars[i].flags);
	return 0;
}

static void print_stats(const char *name, const struct p2pscope_stats *s,
			const uint64_t *h)
{
	if (!s->count) {
		printf(" %s_count=0", name);
		return;
	}
	printf(" %s_count=%" PRIu64 " %s_min=%" PRIu64 " %s_p50=%" PRIu64
	       " %s_p90=%" PRIu64 " %s_p99=%" PRIu64 " %s_p999=%" PRIu64
	       " %s_max=%" PRIu64 " %s_mean=%.1f", name, (uint64_t)s->count,
	       name, (uint64_t)s->min_ns,
	       name, hist_quantile(h, s->count, 0.50, s->max_ns),
	       name, hist_quantile(h, s->count, 0.90, s->max_ns),
	       name, hist_quantile(h, s->count, 0.99, s->max_ns),
	       name, hist_quantile(h, s->count, 0.999, s->max_ns),
	       name, (uint64_t)s->max_ns,
	       name, (double)s->sum_ns / (double)s->count);
}

static int cmd_run(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", 1, 0, 'd' }, { "api", 1, 0, 'a' }, { "mem", 1, 0, 'm' },
		{ "size", 1, 0, 's' }, { "segments", 1, 0, 'g' },
		{ "threads", 1, 0, 't' }, { "iterations", 1, 0, 'i' },
		{ "duration-ms", 1, 0, 'D' }, { "dir", 1, 0, 'r' },
		{ "clock", 1, 0, 'c' }, { "mask-bits", 1, 0, 'M' },
		{ "peer", 1, 0, 'p' }, { "bar", 1, 0, 'b' },
		{ "bar-offset", 1, 0, 'o' }, { "hold-ns", 1, 0, 'H' },
		{ "skip-sync", 0, 0, 'S' }, { "dirty", 0, 0, 'y' },
		{ "near", 0, 0, 'n' }, { "udmabuf", 1, 0, 'u' },
		{ "dmabuf-fd", 1, 0, 'F' }, { "hist", 0, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	static uint64_t map_hist[P2PSCOPE_HIST_BUCKETS];
	static uint64_t unmap_hist[P2PSCOPE_HIST_BUCKETS];
	struct p2pscope_map_bench r;
	int c, show_hist = 0, have_dev = 0;
	uint64_t udmabuf = 0;
	uint32_t i;

	memset(&r, 0, sizeof(r));
	r.threads = 1;
	r.segments = 1;
	r.size_bytes = 4096;
	r.iterations = 100000;
	r.duration_ns = 2000000000ULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_bdf(optarg, &r.addr))
				usage();
			have_dev = 1;
			break;
		case 'a':
			c = lookup(api_names, P2PSCOPE_API_COUNT, optarg);
			if (c < 0)
				usage();
			r.api = (uint32_t)c;
			break;
		case 'm':
			c = lookup(mem_names, P2PSCOPE_MEM_COUNT, optarg);
			if (c < 0)
				usage();
			r.mem = (uint32_t)c;
			break;
		case 's':
			r.size_bytes = parse_size(optarg);
			break;
		case 'g':
			r.segments = (uint32_t)parse_size(optarg);
			break;
		case 't':
			r.threads = (uint32_t)parse_size(optarg);
			break;
		case 'i':
			r.iterations = parse_size(optarg);
			break;
		case 'D':
			r.duration_ns = parse_size(optarg) * 1000000ULL;
			break;
		case 'r':
			r.dir = !strcmp(optarg, "to") ? P2PSCOPE_DIR_TO_DEVICE :
				!strcmp(optarg, "from") ? P2PSCOPE_DIR_FROM_DEVICE :
				P2PSCOPE_DIR_BIDIRECTIONAL;
			break;
		case 'c':
			c = lookup(clock_names, P2PSCOPE_CLOCK_COUNT, optarg);
			if (c < 0)
				usage();
			r.clock = (uint32_t)c;
			break;
		case 'M':
			r.dma_mask_bits = (uint32_t)parse_size(optarg);
			break;
		case 'p':
			if (parse_bdf(optarg, &r.peer))
				usage();
			r.flags |= P2PSCOPE_MAP_F_PEER;
			break;
		case 'b':
			r.bar = (uint32_t)parse_size(optarg);
			break;
		case 'o':
			r.bar_offset_bytes = parse_size(optarg);
			break;
		case 'H':
			r.hold_ns = (uint32_t)parse_size(optarg);
			break;
		case 'S':
			r.flags |= P2PSCOPE_MAP_F_SKIP_CPU_SYNC;
			break;
		case 'y':
			r.flags |= P2PSCOPE_MAP_F_DIRTY;
			break;
		case 'n':
			r.flags |= P2PSCOPE_MAP_F_NEAR_CPUS;
			break;
		case 'u':
			udmabuf = parse_size(optarg);
			break;
		case 'F':
			r.dmabuf_fd = (uint32_t)parse_size(optarg);
			break;
		case 'h':
			show_hist = 1;
			break;
		default:
			usage();
		}
	}
	if (!have_dev || !r.api || !r.mem)
		usage();
	if (r.mem == P2PSCOPE_MEM_DMABUF) {
		r.size_bytes = 0;
		if (udmabuf)
			r.dmabuf_fd = (uint32_t)make_udmabuf(udmabuf);
	}
	if (r.api == P2PSCOPE_API_DMABUF || r.api == P2PSCOPE_API_ALLOC_NONCONTIG)
		r.segments = 0;
	r.map_hist_uptr = (uintptr_t)map_hist;
	r.unmap_hist_uptr = (uintptr_t)unmap_hist;
	r.hist_buckets = P2PSCOPE_HIST_BUCKETS;

	if (ioctl(fd, P2PSCOPE_IOC_MAP_BENCH, &r)) {
		fprintf(stderr, "P2PSCOPE_IOC_MAP_BENCH: %s\n", strerror(errno));
		return 1;
	}
	printf("api=%s mem=%s size=%" PRIu64 " segments=%u threads=%u status=%s"
	       " error=%u mode=%s iommu=%s dma_path=%u dma_mask=0x%" PRIx64
	       " clock=%s timer_overhead_ns=%" PRIu64 " timer_min_delta_ns=%"
	       PRIu64 " flags=0x%x p2p=%s p2p_distance=%d threads_run=%u"
	       " elapsed_ns=%" PRIu64,
	       api_names[r.api], mem_names[r.mem], (uint64_t)r.size_bytes,
	       r.segments, r.threads, NAME(reason_names, r.status), r.error,
	       NAME(mode_names, r.mode), NAME(iommu_names, r.iommu_domain_type),
	       r.dma_path, (uint64_t)r.dma_mask, NAME(clock_names, r.clock),
	       (uint64_t)r.timer_overhead_ns, (uint64_t)r.timer_min_delta_ns,
	       r.result_flags, NAME(p2p_names, r.p2p_map_type),
	       (int)r.p2p_distance, r.threads_run, (uint64_t)r.elapsed_ns);
	print_stats("map", &r.map, map_hist);
	print_stats("unmap", &r.unmap, unmap_hist);
	if (r.map.count && r.elapsed_ns)
		printf(" samples_per_s=%.0f",
		       (double)r.map.count * 1e9 / (double)r.elapsed_ns);
	printf(" kernel=%s module=%s", r.kernel_release, r.module_version);
	if (r.status)
		printf(" reason=\"%s\"", r.reason);
	printf("\n");
	for (i = 0; show_hist && i < r.hist_buckets; i++)
		if (map_hist[i] || unmap_hist[i])
			printf("  bucket %u [%" PRIu64 ", %" PRIu64 "] map=%" PRIu64
			       " unmap=%" PRIu64 "\n", i,
			       (uint64_t)p2pscope_hist_bucket_low_ns(i),
			       (uint64_t)p2pscope_hist_bucket_high_ns(i),
			       map_hist[i], unmap_hist[i]);
	return 0;
}

/* XFER_BLOCK from the command line (the robustness suite's transfers). */
static int cmd_block(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "p2pmem", 1, 0, 'p' }, { "write", 0, 0, 'w' },
		{ "verify", 0, 0, 'v' }, { "size", 1, 0, 's' },
		{ "qd", 1, 0, 'q' }, { "iterations", 1, 0, 'i' },
		{ "duration-ms", 1, 0, 'D' }, { 0, 0, 0, 0 }
	};
	struct p2pscope_xfer_block x;
	int c;

	memset(&x, 0, sizeof(x));
	if (argc < 2 || sscanf(argv[1], "%u:%u", &x.block_major, &x.block_minor) != 2)
		usage();
	x.mem = P2PSCOPE_MEM_RAM;
	x.dir = P2PSCOPE_DIR_FROM_DEVICE;
	x.block_bytes = 131072;
	x.queue_depth = 4;
	x.iterations = 64;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_bdf(optarg, &x.peer))
				usage();
			x.mem = P2PSCOPE_MEM_P2PMEM;
			x.flags |= P2PSCOPE_XFER_F_PEER;
			break;
		case 'w':
			x.dir = P2PSCOPE_DIR_TO_DEVICE;
			x.flags |= P2PSCOPE_XFER_F_DESTRUCTIVE;
			break;
		case 'v':
			x.flags |= P2PSCOPE_XFER_F_VERIFY | P2PSCOPE_XFER_F_DESTRUCTIVE;
			break;
		case 's':
			x.block_bytes = (uint32_t)parse_size(optarg);
			break;
		case 'q':
			x.queue_depth = (uint32_t)parse_size(optarg);
			break;
		case 'i':
			x.iterations = parse_size(optarg);
			break;
		case 'D':
			x.duration_ns = parse_size(optarg) * 1000000ULL;
			break;
		default:
			usage();
		}
	}
	if (ioctl(fd, P2PSCOPE_IOC_XFER_BLOCK, &x)) {
		fprintf(stderr, "P2PSCOPE_IOC_XFER_BLOCK: %s\n", strerror(errno));
		return 1;
	}
	printf("status=%s error=%u ios=%" PRIu64 " io_errors=%" PRIu64 " bytes=%" PRIu64
	       " elapsed_ns=%" PRIu64 " verify=%u p50_mean_ns=%" PRIu64,
	       NAME(reason_names, x.status), x.error, (uint64_t)x.ios,
	       (uint64_t)x.io_errors, (uint64_t)x.bytes, (uint64_t)x.elapsed_ns,
	       x.verify, x.latency.count ? (uint64_t)(x.latency.sum_ns / x.latency.count) : 0);
	if (x.status)
		printf(" reason=\"%s\"", x.reason);
	printf("\n");
	return 0;
}

/* XFER_DMA from RAM into BAR N of BDF (the module's own checks come first). */
static int cmd_dma(int fd, int argc, char **argv)
{
	struct p2pscope_xfer_dma x;

	memset(&x, 0, sizeof(x));
	if (argc != 3 || parse_bdf(argv[1], &x.peer))
		usage();
	x.flags = P2PSCOPE_XFER_F_PEER;
	x.src_mem = P2PSCOPE_MEM_RAM;
	x.dst_mem = P2PSCOPE_MEM_BAR;
	x.bar = (uint32_t)parse_size(argv[2]);
	x.size_bytes = 4096;
	x.iterations = 1;
	if (ioctl(fd, P2PSCOPE_IOC_XFER_DMA, &x)) {
		fprintf(stderr, "P2PSCOPE_IOC_XFER_DMA: %s\n", strerror(errno));
		return 1;
	}
	printf("status=%s error=%u copies=%" PRIu64, NAME(reason_names, x.status),
	       x.error, (uint64_t)x.copies);
	if (x.status)
		printf(" reason=\"%s\"", x.reason);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		usage();
	fd = open_dev();
	if (!strcmp(argv[1], "version"))
		return cmd_version(fd);
	if (!strcmp(argv[1], "caps"))
		return cmd_caps(fd);
	if (!strcmp(argv[1], "query"))
		return cmd_query(fd, argc - 2, argv + 2);
	if (!strcmp(argv[1], "run"))
		return cmd_run(fd, argc - 1, argv + 1);
	if (!strcmp(argv[1], "block"))
		return cmd_block(fd, argc - 1, argv + 1);
	if (!strcmp(argv[1], "dma"))
		return cmd_dma(fd, argc - 1, argv + 1);
	usage();
	return 2;
}
