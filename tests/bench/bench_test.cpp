// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-bench's parts without Google Benchmark running: the PAPI wrapper
// (on this host, where events fail to add, and with events that exist
// nowhere), its options, and the context it reports.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench_context.hpp"
#include "bench_options.hpp"
#include "papi_counters.hpp"
#include "registry.hpp"

using namespace p2pscope;
using namespace p2pscope::bench;
namespace fs = std::filesystem;

namespace {

fs::path temp_root(const std::string& tag) {
    fs::path p = fs::temp_directory_path() / ("p2pscope-bench-test-" + tag + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

}  // namespace

TEST(Papi, UnknownEventsGiveAReasonAndNothingCounts) {
    auto c = PapiCounters::open({"P2PSCOPE_NO_SUCH_EVENT", "neither::this"});
    EXPECT_FALSE(c.available());
    EXPECT_TRUE(c.events().empty());
    ASSERT_EQ(c.skipped().size(), 2u);
    EXPECT_NE(c.skipped()[0].find("P2PSCOPE_NO_SUCH_EVENT: "), std::string::npos);
    EXPECT_NE(c.reason().find("no event could be added"), std::string::npos) << c.reason();
    EXPECT_EQ(c.status_line().rfind("no counters: ", 0), 0u) << c.status_line();
    auto s = c.start();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::unsupported);
    EXPECT_NE(s.error().message.find("no counters"), std::string::npos);
    auto v = c.stop();
    EXPECT_FALSE(v);
}

TEST(Papi, NoEventsAskedForIsAReason) {
    auto c = PapiCounters::open({});
    EXPECT_FALSE(c.available());
    EXPECT_EQ(c.reason(), "no events asked for");
}

TEST(Papi, DefaultEventsCountOrSayWhyNot) {
    auto c = PapiCounters::open(PapiCounters::default_events());
    if (!c.available()) {
        // This VM: PAPI initializes, every event fails to add.
        EXPECT_EQ(c.skipped().size(), 3u);
        EXPECT_FALSE(c.reason().empty());
        EXPECT_EQ(c.status_line().rfind("no counters: ", 0), 0u);
        EXPECT_FALSE(c.start());
        EXPECT_FALSE(c.stop());
        GTEST_SKIP() << "the counting path needs hardware counters, which this machine lacks: " << c.reason();
    }
    ASSERT_TRUE(c.start()) << c.status_line();
    volatile double x = 1;
    for (int i = 0; i < 100000; ++i) x = x * 1.0000001;
    auto v = c.stop();
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_FALSE(v->empty());
    for (const auto& e : *v)
        if (e.event == "PAPI_TOT_INS" || e.event == "PAPI_TOT_CYC") {
            EXPECT_GT(e.value, 100000);
        }
    EXPECT_FALSE(c.stop());  // not started again
}

TEST(Papi, StartTwiceAndMoveDoNotCrash) {
    auto a = PapiCounters::open(PapiCounters::default_events());
    PapiCounters b = std::move(a);
    EXPECT_FALSE(a.available());
    if (b.available()) {
        ASSERT_TRUE(b.start());
        EXPECT_FALSE(b.start());
        a = std::move(b);  // destroys a running set cleanly
        EXPECT_TRUE(a.stop());
    } else {
        EXPECT_FALSE(b.start());
        GTEST_SKIP() << "starting twice needs hardware counters, which this machine lacks: " << b.reason();
    }
}

TEST(Papi, UncoreEventsOrAReason) {
    auto u = PapiCounters::uncore_pcie_events(3);
    if (u) {
        EXPECT_FALSE(u->empty());
        EXPECT_LE(u->size(), 3u);
    } else {
        EXPECT_FALSE(u.error().message.empty());
    }
}

TEST(Options, OwnOptionsThenGoogleBenchmarksFlags) {
    auto o = parse_options({"--device", "01:00.0,0000:02:00.1", "--engines", "cpu", "--memory", "file,ram",
                            "--sizes", "4K,1M", "--widths", "8,memcpy", "--file", "/tmp/x", "--no-map",
                            "--transfers=7", "--benchmark_out_format=json", "--benchmark_out=/tmp/o.json"});
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_EQ(o->devices.size(), 2u);
    EXPECT_EQ(o->devices[1].to_string(), "0000:02:00.1");
    EXPECT_EQ(o->engines, std::vector<std::string>{"cpu"});
    EXPECT_TRUE(o->engines_named);
    EXPECT_EQ(o->sizes, (std::vector<uint64_t>{4096, 1 << 20}));
    EXPECT_FALSE(o->map);
    EXPECT_EQ(o->transfers, 7u);
    EXPECT_EQ(o->benchmark_args,
              (std::vector<std::string>{"--benchmark_out_format=json", "--benchmark_out=/tmp/o.json"}));
}

TEST(Options, KernelEngineOptions) {
    auto o = parse_options({"--engines", "nvme,dmaengine", "--block", "/dev/nvme1n1", "--peer", "03:00.0",
                            "--memory", "ram,p2pmem,ram-to-ram", "--queue-depths", "1,4,256", "--destructive",
                            "--offset", "32M", "--directions", "read,write"});
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->engines, (std::vector<std::string>{"nvme", "dmaengine"}));
    EXPECT_EQ(o->block, "/dev/nvme1n1");
    ASSERT_TRUE(o->peer);
    EXPECT_EQ(o->peer->to_string(), "0000:03:00.0");
    EXPECT_EQ(o->queue_depths, (std::vector<uint32_t>{1, 4, 256}));
    EXPECT_TRUE(o->destructive);
    EXPECT_EQ(o->offset, 32u << 20);
    auto d = parse_options({});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->queue_depths, std::vector<uint32_t>{1});
    EXPECT_FALSE(d->destructive);
    EXPECT_FALSE(d->peer);
    EXPECT_TRUE(std::find(d->engines.begin(), d->engines.end(), "nvme") != d->engines.end());
    EXPECT_TRUE(std::find(d->engines.begin(), d->engines.end(), "dmaengine") != d->engines.end());
}

TEST(Options, DefaultsTakeEveryEngineUnnamed) {
    auto o = parse_options({});
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->engines_named);
    EXPECT_GE(o->engines.size(), 3u);
    EXPECT_TRUE(o->map);
}

TEST(Options, HelpListsEveryOption) {
    const std::string help = usage();
    EXPECT_EQ(help.rfind("usage: p2pscope-bench", 0), 0u);
    for (const char* name : {"--device", "--engines", "--memory", "--sizes", "--widths", "--directions",
                             "--queue-depths", "--block", "--peer", "--destructive", "--apis", "--map", "--no-map",
                             "--file", "--bar", "--offset", "--transfers", "--map-samples", "--papi-events",
                             "--no-papi-uncore", "--sysfs-root", "--hwloc-xml", "--lspci-dump"})
        EXPECT_NE(help.find(name), std::string::npos) << name;
}

TEST(Options, BadInputIsOneInvalidArgument) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--sizes", "0"},
             {"--sizes", "4Q"},
             {"--engines", "dma"},
             {"--widths", "128"},
             {"--device", "zz"},
             {"--memory", "vram"},
             {"--apis", "map_nothing"},
             {"--transfers", "-1"},
             {"--bar", "7"},
             {"--frobnicate"},
             {"--device"},
             {"--no-map=1"},
             {"--hwloc-xml", "a", "--lspci-dump", "b"},
             {"--benchmark_min_time=0.01", "--sizes", "4K"},
             {"--queue-depths", "0"},
             {"--queue-depths", "257"},
             {"--queue-depths", "4x"},
             {"--queue-depths", ","},
             {"--block", "nvme0n1"},
             {"--peer", "zz"},
             {"--destructive=1"},
             {"--offset", "4Q"},
         }) {
        auto o = parse_options(args);
        ASSERT_FALSE(o) << args[0];
        EXPECT_EQ(o.error().code, Errc::invalid_argument);
        EXPECT_EQ(o.error().message.find('\n'), std::string::npos);
    }
}

TEST(Context, IommuModeFromUnitsAndGroups) {
    const auto root = temp_root("iommu");
    EXPECT_EQ(iommu_mode(root.string()), "off: no IOMMU units in /sys/class/iommu");
    fs::create_directories(root / "sys/class/iommu/dmar1");
    fs::create_directories(root / "sys/class/iommu/dmar0");
    write(root / "sys/kernel/iommu_groups/0/type", "DMA-FQ\n");
    write(root / "sys/kernel/iommu_groups/1/type", "DMA-FQ\n");
    write(root / "sys/kernel/iommu_groups/2/type", "identity\n");
    EXPECT_EQ(iommu_mode(root.string()), "on: dmar0, dmar1; groups: DMA-FQ x 2, identity x 1");
    fs::remove_all(root);
}

TEST(Context, CpuModel) {
    const auto root = temp_root("cpu");
    EXPECT_EQ(cpu_model(root.string()).rfind("unknown (", 0), 0u);
    write(root / "proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6148\n");
    EXPECT_EQ(cpu_model(root.string()), "Intel(R) Xeon(R) Gold 6148");
    fs::remove_all(root);
}

TEST(Context, TopologyHashIsStableAndTellsMachinesApart) {
    EXPECT_EQ(fnv1a64_hex(""), "fnv1a64:cbf29ce484222325");
    EXPECT_EQ(fnv1a64_hex("a"), "fnv1a64:af63dc4c8601ec8c");
    probe::TopologyInput dgx2, other;
    dgx2.hwloc_xml = std::string(P2PSCOPE_FIXTURES) + "/hwloc-xml/nvidiaDGX2.xml";
    other.hwloc_xml = std::string(P2PSCOPE_FIXTURES) + "/hwloc-xml/" + P2PSCOPE_OTHER_XML;
    auto a = topology_hash(dgx2), b = topology_hash(dgx2), c = topology_hash(other);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(*a, *b);
    EXPECT_NE(*a, *c);
    probe::TopologyInput missing;
    missing.hwloc_xml = "/nonexistent.xml";
    EXPECT_FALSE(topology_hash(missing));
}

TEST(Context, LinesJoinRepeatedKeys) {
    ContextLines c;
    c.add("xfer cpu", "waived: a");
    c.add("map", "waived: b");
    c.add("xfer cpu", "waived: c");
    c.add("xfer cpu", "waived: c");
    ASSERT_EQ(c.lines().size(), 2u);
    EXPECT_EQ(c.lines()[0].second, "waived: a; waived: c");
}

// The kernel engines' requests as the registry builds them, judged by the
// engines' own check() on this host (no /dev/p2pscope: nothing registers).
namespace {

std::shared_ptr<Harness> no_papi() { return std::make_shared<Harness>(PapiCounters::open({})); }

std::string context_of(const ContextLines& c, const std::string& key) {
    for (const auto& [k, v] : c.lines())
        if (k == key) return v;
    return "";
}

// A block device node on this host, or empty.
std::string any_block_device() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev", ec))
        if (fs::is_block_file(e.status())) return e.path().string();
    return "";
}

}  // namespace

TEST(Registry, NvmeWithoutBlockOrDeviceIsAWaiverUnnamedAndBadInputNamed) {
    auto unnamed = parse_options({"--no-map"});
    ASSERT_TRUE(unnamed);
    ContextLines c;
    auto r = register_xfer_family(*unnamed, nullptr, no_papi(), c);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(context_of(c, "xfer nvme"),
              "waived: engine nvme needs --block /dev/... or --device BDF (an NVMe controller)");
    EXPECT_EQ(context_of(c, "xfer dmaengine").rfind("waived: ", 0), 0u) << context_of(c, "xfer dmaengine");

    auto named = parse_options({"--no-map", "--engines", "nvme"});
    ASSERT_TRUE(named);
    ContextLines c2;
    auto bad = register_xfer_family(*named, nullptr, no_papi(), c2);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    EXPECT_EQ(bad.error().message, "engine nvme needs --block /dev/... or --device BDF (an NVMe controller)");
}

TEST(Registry, NvmeNamesCarryMemoryDirectionQueueDepthAndSize) {
    const std::string block = any_block_device();
    if (block.empty()) GTEST_SKIP() << "no block device node in /dev on this host";
    const std::string base = block.substr(block.find_last_of('/') + 1);
    // Unnamed: writes without --destructive are refused (as bad input, so a
    // waiver here), reads are waived for want of the module: two reasons, so
    // one context line per combination, under its benchmark name.
    auto o = parse_options({"--no-map", "--block", block, "--directions", "read,write", "--queue-depths", "1,4",
                            "--sizes", "128K", "--memory", "ram"});
    ASSERT_TRUE(o);
    ContextLines c;
    auto r = register_xfer_family(*o, nullptr, no_papi(), c);
    ASSERT_TRUE(r) << r.error().message;
    for (const char* qd : {"qd1", "qd4"}) {
        const std::string pre = "xfer/nvme/" + base + "/ram/";
        EXPECT_EQ(context_of(c, pre + "write/" + qd + "/131072"),
                  "waived: engine nvme: writing destroys the data in the range: pass --destructive");
        EXPECT_EQ(context_of(c, pre + "read/" + qd + "/131072").rfind("waived: ", 0), 0u);
    }
    // Named, a write without --destructive is bad input; with it, the module's absence is a waiver.
    auto named = parse_options({"--no-map", "--engines", "nvme", "--block", block, "--directions", "write"});
    ASSERT_TRUE(named);
    ContextLines c2;
    auto bad = register_xfer_family(*named, nullptr, no_papi(), c2);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "engine nvme: writing destroys the data in the range: pass --destructive");
    auto ok = parse_options({"--no-map", "--engines", "nvme", "--block", block, "--directions", "write",
                             "--destructive", "--sizes", "100"});
    ASSERT_TRUE(ok);
    ContextLines c3;
    auto size_bad = register_xfer_family(*ok, nullptr, no_papi(), c3);
    ASSERT_FALSE(size_bad);
    EXPECT_EQ(size_bad.error().message, "engine nvme: --size must be a multiple of 512 up to 1M (one bio)");
}

TEST(Registry, DmaengineTakesItsMemoryAndNoDirections) {
    // ram-to-ram: no device or BAR passed even with --device/--bar given for other engines.
    auto o = parse_options({"--no-map", "--engines", "dmaengine", "--memory", "ram-to-ram", "--device", "00:00.0",
                            "--bar", "2", "--directions", "read,write"});
    ASSERT_TRUE(o);
    ContextLines c;
    auto r = register_xfer_family(*o, nullptr, no_papi(), c);
    // Its request is complete; what stops it here is the module, which this host cannot load: a named
    // kernel engine without its module is a bad selection, as in p2pscope xfer.
    if (::access("/dev/p2pscope", F_OK) != 0) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message.rfind("engine dmaengine: this engine runs in p2pscope.ko, which is not loaded", 0), 0u)
            << r.error().message;
    } else {
        EXPECT_TRUE(r) << "with the module loaded the request is whole: " << r.error().message;
    }
    // Its BAR copies need a BAR.
    auto nobar = parse_options({"--no-map", "--engines", "dmaengine", "--memory", "bar-to-ram"});
    ASSERT_TRUE(nobar);
    ContextLines c2;
    auto bad = register_xfer_family(*nobar, nullptr, no_papi(), c2);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message,
              "engine dmaengine: --memory bar-to-ram needs --device BDF and --bar N (a device bound to p2pscope)");
}

// --map and --no-map: the last one given wins, whatever the order the options are declared in.
TEST(Options, LastOfMapAndNoMapWins) {
    auto on = parse_options({"--no-map", "--map"});
    ASSERT_TRUE(on.ok()) << on.error().message;
    EXPECT_TRUE(on->map);
    auto off = parse_options({"--map", "--no-map"});
    ASSERT_TRUE(off.ok()) << off.error().message;
    EXPECT_FALSE(off->map);
}
