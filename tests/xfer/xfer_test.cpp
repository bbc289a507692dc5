// SPDX-License-Identifier: GPL-2.0-or-later
// Host tests of p2pscope xfer's library: registry, check() reasons, the fault
// guard, link ceilings, percentiles.
#include <algorithm>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <thread>

#include <atomic>

#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/fault_guard.hpp"
#include "p2pscope/xfer/kernel_log.hpp"
#include "p2pscope/xfer/link.hpp"
#include "p2pscope/xfer/pcie_errors.hpp"

using namespace p2pscope;
using namespace p2pscope::xfer;

TEST(XferStats, Percentiles) {
    std::vector<double> s;
    for (int i = 100; i >= 1; --i) s.push_back(i);
    auto l = summarize(s);
    EXPECT_EQ(l.min_ns, 1);
    EXPECT_EQ(l.p50_ns, 50);
    EXPECT_EQ(l.p90_ns, 90);
    EXPECT_EQ(l.p99_ns, 99);
    EXPECT_EQ(l.max_ns, 100);
    EXPECT_DOUBLE_EQ(l.mean_ns, 50.5);
}

TEST(XferRegistry, ListsEngines) {
    std::vector<std::string> names;
    for (const auto& e : engines()) {
        names.emplace_back(e.name);
        ASSERT_TRUE(e.make) << e.name;
        EXPECT_TRUE(e.make()) << e.name;
        EXPECT_FALSE(e.description.empty()) << e.name;
        EXPECT_NE(e.capabilities, 0u) << e.name;
        EXPECT_FALSE(e.directions.empty()) << e.name;
        EXPECT_FALSE(e.memories.empty()) << e.name;
        // A memory that stands for the others comes first (it is the default) and is not alone.
        for (size_t i = 0; i < e.memories.size(); ++i) {
            if (e.memories[i].traits & kMemSeveral) {
                EXPECT_TRUE(i == 0 && e.memories.size() > 2) << e.name;
            }
        }
        // A memory that is a BAR, a file or the peer's is a field the engine
        // reads; what --device and --peer are to it is said where it reads them.
        auto has = [&](uint32_t trait) { return !e.memories_with(trait).empty(); };
        EXPECT_EQ(has(kMemBar), e.reads(kFieldBar)) << e.name;
        EXPECT_EQ(has(kMemFile), e.reads(kFieldFile)) << e.name;
        if (has(kMemOfPeer)) {
            EXPECT_TRUE(e.reads(kFieldPeer)) << e.name;
        }
        EXPECT_EQ(!e.device.empty(), e.reads(kFieldDevice)) << e.name;
        EXPECT_EQ(!e.peer.empty(), e.reads(kFieldPeer)) << e.name;
        for (const auto& m : e.memories) EXPECT_FALSE(m.help.empty()) << e.name << " " << m.name;
    }
    // Every file in src/engines/ registered itself once, and the list is by name.
    EXPECT_EQ(names, (std::vector<std::string>{"cpu", "dmaengine", "gpu", "nvme", "p2pmem-odirect"}));
    EXPECT_TRUE(kept_out_engines().empty()) << kept_out_engines().front();
    EXPECT_EQ(engine_names(), "cpu, dmaengine, gpu, nvme, p2pmem-odirect");
    EXPECT_TRUE(make_engine("cpu"));
    EXPECT_FALSE(make_engine("nvme-kernel"));
    EXPECT_FALSE(find_engine("nvme-kernel"));
    // Queue depth and access widths show as capabilities, from the fields.
    EXPECT_EQ(capability_names(*find_engine("cpu")), "read write verify access-width");
    EXPECT_EQ(capability_names(*find_engine("nvme")), "read write verify queue-depth peer");
    EXPECT_EQ(capability_names(*find_engine("dmaengine")), "read write verify");
}

struct NamedThing {
    std::string name;
    int value = 0;
};

TEST(XferRegistry, ByNameAndASecondEntryOfANameIsKeptOut) {
    Registry<NamedThing> r;
    r.add({"c", 1});
    r.add({"a", 2});
    r.add({"c", 3});
    r.add({"b", 4});
    ASSERT_EQ(r.entries().size(), 3u);
    std::string order;
    for (const auto& e : r.entries()) order += e.name + std::to_string(e.value);
    EXPECT_EQ(order, "a2b4c1") << "by name, the first of a name kept";
    EXPECT_EQ(r.kept_out(), std::vector<std::string>{"c (registered twice)"});
    // Once read, the list never changes: what a reader holds stays where it is.
    const NamedThing* first = &r.entries().front();
    r.add({"0", 5});
    r.add({"d", 6});
    ASSERT_EQ(r.entries().size(), 3u);
    EXPECT_EQ(&r.entries().front(), first);
    EXPECT_EQ(r.kept_out(), (std::vector<std::string>{"c (registered twice)", "0 (registered after the list was read)",
                                                      "d (registered after the list was read)"}));
}

// What every front end fills in from the spec when the user left it out.
TEST(XferRegistry, DefaultsComeFromTheSpec) {
    auto completed = [](const char* engine, std::string file = "") {
        Request r;
        r.engine = engine;
        r.file = std::move(file);
        find_engine(engine)->complete(r);
        return r.memory + "/" + r.direction;
    };
    EXPECT_EQ(completed("cpu"), "uc/read");
    EXPECT_EQ(completed("cpu", "/tmp/x"), "file/read");
    EXPECT_EQ(completed("gpu"), "all/h2d");
    EXPECT_EQ(completed("nvme"), "ram/read");
    EXPECT_EQ(completed("dmaengine"), "ram-to-ram/copy");
    EXPECT_EQ(completed("p2pmem-odirect"), "/copy");  // its p2pmem is implied, never a request value
    Request given;
    given.memory = "wc";
    given.direction = "write";
    find_engine("cpu")->complete(given);
    EXPECT_EQ(given.memory + "/" + given.direction, "wc/write");
    EXPECT_EQ(memory_choices_text(),
              "cpu uc (default): the BAR (--bar) mapped uncached (sysfs resourceN)\n"
              "cpu wc: the BAR (--bar) mapped write-combining (resourceN_wc)\n"
              "cpu p2pmem: the device's published p2pmem (Linux 6.2+)\n"
              "cpu file (default with --file): a regular file (--file) mapped shared: the harness's own target\n"
              "dmaengine ram-to-ram (default): kernel pages to kernel pages\n"
              "dmaengine ram-to-bar: kernel pages into the device's BAR (--bar), bound to p2pscope\n"
              "dmaengine bar-to-ram: the device's BAR (--bar) into kernel pages\n"
              "gpu all (default): each host memory below, one row each\n"
              "gpu pinned: page-locked host memory (cuMemAllocHost)\n"
              "gpu pageable: ordinary host memory\n"
              "nvme ram (default): kernel pages\n"
              "nvme p2pmem: the p2pmem of the provider --peer");
    // Without the memory that stands for several (p2pscope-bench measures each alone), those it stands for are the default.
    const std::string one_row = memory_choices_text(false);
    EXPECT_EQ(one_row.find("gpu all"), std::string::npos) << one_row;
    EXPECT_NE(one_row.find("gpu pinned (default): page-locked host memory (cuMemAllocHost)\n"
                           "gpu pageable (default): ordinary host memory\n"),
              std::string::npos)
        << one_row;
    EXPECT_NE(one_row.find("\ncpu wc: the BAR"), std::string::npos) << one_row;
    EXPECT_EQ(direction_choices_text(),
              "cpu: read (default), write; gpu: h2d (default), d2h, d2d, peer; nvme: read (default), write; "
              "p2pmem-odirect: copy (default), read");
    EXPECT_EQ(engines_reading(kFieldQueueDepth), "nvme");
    EXPECT_EQ(engines_reading(kFieldBar), "cpu, dmaengine");
}

// The memory and direction are judged from the spec, before the engine's own check.
TEST(XferCheck, ChoicesComeFromTheSpec) {
    auto refused = [](const char* engine, const char* memory, const char* direction) {
        Request r;
        r.engine = engine;
        r.memory = memory;
        r.direction = direction;
        const EngineSpec& spec = *find_engine(engine);
        const CheckResult c = check_request(spec, *spec.make(), r);
        EXPECT_EQ(c.kind, CheckResult::Kind::invalid) << c.reason;
        return c.reason;
    };
    EXPECT_EQ(refused("cpu", "vram", "read"), "engine cpu: --memory must be uc, wc, p2pmem or file, not 'vram'");
    EXPECT_EQ(refused("cpu", "uc", "h2d"), "engine cpu: --direction must be read or write, not 'h2d'");
    EXPECT_EQ(refused("nvme", "vram", "read"), "engine nvme: --memory must be ram or p2pmem, not 'vram'");
    EXPECT_EQ(refused("gpu", "all", "sideways"), "engine gpu: --direction must be h2d, d2h, d2d or peer, not 'sideways'");
    EXPECT_EQ(refused("gpu", "ram", "h2d"), "engine gpu: --memory must be all, pinned or pageable, not 'ram'");
    EXPECT_EQ(refused("dmaengine", "ram-to-ram", "read"), "engine dmaengine: --direction must be copy, not 'read'");
    EXPECT_EQ(refused("p2pmem-odirect", "ram", "copy"), "engine p2pmem-odirect: --memory must be p2pmem, not 'ram'");
    EXPECT_EQ(refused("cpu", "", "read"), "engine cpu: no --memory given (uc, wc, p2pmem or file)");
    EXPECT_EQ(refused("cpu", "uc", ""), "engine cpu: no --direction given (read or write)");
    // An implied memory need not be named, and naming it is no mistake.
    const EngineSpec& odirect = *find_engine("p2pmem-odirect");
    Request r;
    r.direction = "read";
    EXPECT_TRUE(odirect.check_choices(r).ok());
    r.memory = "p2pmem";
    EXPECT_TRUE(odirect.check_choices(r).ok());
    // Through run_once, as every front end runs an engine.
    Request q;
    q.engine = "nvme";
    q.memory = "vram";
    const auto run = run_once(q);
    EXPECT_EQ(run.outcome, Outcome::invalid);
    EXPECT_EQ(run.reason, "engine nvme: --memory must be ram or p2pmem, not 'vram'");
}

// A spec with no direction or no memory to choose takes none, and says so.
TEST(XferCheck, ASpecWithoutChoicesTakesNone) {
    const EngineSpec bare{.name = "bare"};
    Request r;
    bare.complete(r);
    EXPECT_TRUE(bare.check_choices(r).ok());
    r.direction = "read";
    CheckResult c = bare.check_choices(r);
    EXPECT_EQ(c.kind, CheckResult::Kind::invalid);
    EXPECT_EQ(c.reason, "engine bare: takes no --direction, not 'read'");
    r.direction.clear();
    r.memory = "ram";
    c = bare.check_choices(r);
    EXPECT_EQ(c.kind, CheckResult::Kind::invalid);
    EXPECT_EQ(c.reason, "engine bare: takes no --memory, not 'ram'");
}

TEST(XferRun, StatusIsAnEnumWithItsReason) {
    Measurement m;
    EXPECT_EQ(m.status_text(), "ok");
    m.stop(RowStatus::fault, "SIGBUS at offset 0x1000 with 8-byte writes");
    EXPECT_EQ(m.status_text(), "fault: SIGBUS at offset 0x1000 with 8-byte writes");
    EXPECT_FALSE(m.ok());
    // Read back from a report's text, as p2pscoped reads its journal.
    for (RowStatus s : {RowStatus::ok, RowStatus::waived, RowStatus::fault, RowStatus::error}) {
        Measurement r;
        if (s != RowStatus::ok) r.stop(s, "why: with a colon");
        EXPECT_EQ(row_status_of(r.status_text()), s) << r.status_text();
    }
    EXPECT_EQ(row_status_of("waived"), RowStatus::error);  // no reason: not a status p2pscope writes
    EXPECT_EQ(row_status_of("unheard-of: x"), RowStatus::error);
}

TEST(XferRun, RowsAreJudgedOnce) {
    auto row = [](RowStatus s, std::optional<bool> verified = std::nullopt) {
        Measurement m;
        if (s != RowStatus::ok) m.stop(s, std::string(to_string(s)) + " reason");
        m.verified = verified;
        return m;
    };
    EXPECT_EQ(judge_rows({}), std::pair(Outcome::failed, std::string("the engine returned no measurement")));
    EXPECT_EQ(judge_rows({row(RowStatus::ok, true), row(RowStatus::waived)}).first, Outcome::ok);
    EXPECT_EQ(judge_rows({row(RowStatus::waived), row(RowStatus::waived)}),
              std::pair(Outcome::waived, std::string("waived reason")));
    EXPECT_EQ(judge_rows({row(RowStatus::ok, false), row(RowStatus::ok, true)}),
              std::pair(Outcome::unverified, std::string("1 measurement(s) moved data that did not verify")));
    // A fault outweighs data that did not verify.
    EXPECT_EQ(judge_rows({row(RowStatus::ok, false), row(RowStatus::fault)}),
              std::pair(Outcome::failed, std::string("1 of 2 measurement(s) faulted or failed (see their status)")));
}

TEST(XferRun, RunOnceJudgesTheRequest) {
    Request bad;
    bad.engine = "warp";
    auto r = run_once(bad);
    EXPECT_EQ(r.outcome, Outcome::invalid);
    EXPECT_EQ(r.reason, "unknown engine 'warp' (one of cpu, dmaengine, gpu, nvme, p2pmem-odirect)");
    Request q;
    q.engine = "cpu";
    q.file = "/nonexistent";
    r = run_once(q);
    EXPECT_EQ(r.outcome, Outcome::invalid);
    EXPECT_EQ(r.reason, "engine cpu: /nonexistent: no such file");
    EXPECT_EQ(r.request.memory, "file");  // completed before the check
    EXPECT_TRUE(r.rows.empty());
}

// Engines of the tests' own, in a registry of their own (RunOptions::engines),
// so that the product's lists never show them.
enum class Fake { waives, setup_fails, runs };
template <Fake F>
class FakeEngine final : public Engine {
public:
    // A running one needs its file: the test takes it away to see whether check() ran again.
    CheckResult check(const Request& r) const override {
        if (F == Fake::waives) return CheckResult::waive("this machine has no warp drive");
        if (F == Fake::runs && !std::filesystem::exists(r.file)) return CheckResult::waive(r.file + " is gone");
        return CheckResult::yes();
    }
    Status setup(const Request&) override {
        if (F == Fake::setup_fails) return make_error(Errc::system, "cannot open the warp core");
        return Ok{};
    }
    Result<std::vector<Measurement>> run() override {
        Measurement m;
        m.label = "warp";
        m.transfer_bytes = 4096;
        m.transfers = 1;
        m.verified = true;
        return std::vector<Measurement>{m};
    }
    void teardown() override {}
};

template <Fake F>
EngineSpec fake_spec(std::string_view name) {
    return EngineSpec{.name = name,
                      .description = "a test's engine",
                      .capabilities = kCapRead,
                      .memories = {{.name = "ram", .help = "RAM", .no_link = "RAM"}},
                      .directions = {"read"},
                      .fields = kFieldDevice | kFieldFile,
                      .device = "the device",
                      .make = make_engine_of<FakeEngine<F>>};
}

// A sysfs tree with one PCI function, 0000:00:00.0, in a private directory.
class OneFunctionTree {
public:
    OneFunctionTree() {
        char tmpl[] = "/tmp/p2pscope-xfer-tree.XXXXXX";
        const char* d = mkdtemp(tmpl);
        EXPECT_NE(d, nullptr);
        root_ = d ? d : "/nonexistent";
        const std::filesystem::path dev = root_ / "sys/bus/pci/devices/0000:00:00.0";
        std::filesystem::create_directories(dev);
        std::ofstream(dev / "vendor") << "0x8086\n";
        std::ofstream(dev / "device") << "0x1234\n";
        std::ofstream(dev / "class") << "0x060000\n";
        std::ofstream(root_ / "warp-core") << "x";
    }
    ~OneFunctionTree() { std::filesystem::remove_all(root_); }
    std::string root() const { return root_.string(); }
    std::string file() const { return (root_ / "warp-core").string(); }

private:
    std::filesystem::path root_;
};

TEST(XferRun, RunOnceWithATestsOwnEngines) {
    Registry<EngineSpec> fakes;
    fakes.add(fake_spec<Fake::waives>("waives"));
    fakes.add(fake_spec<Fake::setup_fails>("setup-fails"));
    fakes.add(fake_spec<Fake::runs>("runs"));
    const OneFunctionTree tree;
    Request q;
    q.sysfs_root = tree.root();
    q.file = tree.file();
    const RunOptions mine{.engines = &fakes};

    q.engine = "cpu";  // the product's engines are not in the test's registry
    auto r = run_once(q, mine);
    EXPECT_EQ(r.outcome, Outcome::invalid);
    EXPECT_EQ(r.reason, "unknown engine 'cpu' (one of runs, setup-fails, waives)");

    q.engine = "waives";
    r = run_once(q, mine);
    EXPECT_EQ(r.outcome, Outcome::waived);
    EXPECT_EQ(r.reason, "this machine has no warp drive");
    EXPECT_TRUE(r.rows.empty());
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.request.memory + "/" + r.request.direction, "ram/read");  // completed

    q.engine = "setup-fails";
    r = run_once(q, mine);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_EQ(r.reason, "cannot open the warp core");
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, Errc::system);
    EXPECT_TRUE(r.rows.empty());

    q.engine = "runs";
    r = run_once(q, mine);
    EXPECT_EQ(r.outcome, Outcome::ok) << r.reason;
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].label, "warp");

    // A device the prober does not know: with path_required nothing is set
    // up; without, the run goes on and the path says why it is not described.
    q.device = *probe::PciAddress::parse("0000:99:00.0");
    r = run_once(q, {.describe_path = true, .path_required = true, .engines = &fakes});
    EXPECT_EQ(r.outcome, Outcome::invalid);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, Errc::not_found);
    EXPECT_EQ(r.reason, r.error->message);
    EXPECT_NE(r.reason.find("0000:99:00.0"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.rows.empty());
    ASSERT_TRUE(r.path);
    EXPECT_EQ(r.path->path_note, "path not described: " + r.reason);
    r = run_once(q, {.describe_path = true, .engines = &fakes});
    EXPECT_EQ(r.outcome, Outcome::ok) << r.reason;
    ASSERT_TRUE(r.path_error);
    EXPECT_FALSE(r.error);
    q.device = *probe::PciAddress::parse("0000:00:00.0");
    r = run_once(q, {.describe_path = true, .path_required = true, .engines = &fakes});
    EXPECT_EQ(r.outcome, Outcome::ok) << r.reason;
    EXPECT_FALSE(r.path_error);
}

// A session checks once and runs as often as asked, each run a fresh engine.
TEST(XferRun, SessionChecksOnce) {
    Registry<EngineSpec> fakes;
    fakes.add(fake_spec<Fake::runs>("runs"));
    const OneFunctionTree tree;
    Request q;
    q.engine = "runs";
    q.file = tree.file();
    const Session session(q, {.engines = &fakes});
    ASSERT_TRUE(session.runnable()) << session.checked().reason;
    EXPECT_TRUE(session.checked().rows.empty());
    std::filesystem::remove(tree.file());  // check() would waive it now
    for (int round = 0; round < 3; ++round) {
        const auto r = session.run();
        EXPECT_EQ(r.outcome, Outcome::ok) << r.reason;
        EXPECT_EQ(r.rows.size(), 1u);
    }
    EXPECT_EQ(run_once(q, {.engines = &fakes}).outcome, Outcome::waived);  // run_once checks anew
    const Session refused(q, {.engines = &fakes});
    EXPECT_FALSE(refused.runnable());
    const auto r = refused.run();
    EXPECT_EQ(r.outcome, Outcome::waived);
    EXPECT_EQ(r.reason, tree.file() + " is gone");
}

TEST(XferRegistry, KernelWaiver) {
    auto w = p2pmem_userspace_waiver(parse_kernel_release("6.1.192"));
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, "user-space p2pmem (mmap of sysfs p2pmem/allocate) needs Linux 6.2 or later; this kernel is 6.1.192");
    EXPECT_FALSE(p2pmem_userspace_waiver(parse_kernel_release("6.2.0")));
    EXPECT_FALSE(p2pmem_userspace_waiver(parse_kernel_release("7.0.1")));
    EXPECT_TRUE(p2pmem_userspace_waiver(parse_kernel_release("5.15.0-91-generic")));
}

TEST(XferCheck, CpuReasons) {
    auto cpu = make_engine("cpu");
    Request r;
    r.memory = "uc";
    r.direction = "read";
    auto c = cpu->check(r);
    EXPECT_EQ(c.kind, CheckResult::Kind::invalid);
    EXPECT_EQ(c.reason, "engine cpu: memory uc needs --device BDF");
    r.device = *probe::PciAddress::parse("0000:99:1f.7");
    c = cpu->check(r);
    EXPECT_EQ(c.reason, "no PCI function 0000:99:1f.7 on this system");
    r.memory = "file";
    r.file = "/nonexistent";
    EXPECT_EQ(cpu->check(r).reason, "engine cpu: --file maps a file, not 0000:99:1f.7's memory: give --file or --device, not both");
    r.device.reset();
    EXPECT_EQ(cpu->check(r).reason, "engine cpu: /nonexistent: no such file");
    r.widths = {"3"};
    EXPECT_EQ(cpu->check(r).reason, "engine cpu: unknown access width '3' (1, 2, 4, 8, 16, 32, 64, memcpy or all)");
    r.widths = {"8"};
    r.size = 100;
    EXPECT_EQ(cpu->check(r).reason, "engine cpu: --size must be a non-zero multiple of 64 bytes");
}

TEST(XferCheck, ODirectReasons) {
    auto e = make_engine("p2pmem-odirect");
    Request r;
    r.direction = "copy";
    EXPECT_EQ(e->check(r).reason, "engine p2pmem-odirect needs --device BDF (the p2pmem provider)");
}

TEST(XferCheck, GpuWaivedWithoutDriver) {
    if (void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
        dlclose(h);
        GTEST_SKIP() << "this machine has a CUDA driver";
    }
    auto e = make_engine("gpu");
    Request r;
    r.direction = "h2d";
    auto c = e->check(r);
    EXPECT_EQ(c.kind, CheckResult::Kind::waived);
    EXPECT_EQ(c.reason, "no CUDA driver (libcuda.so.1 not found)");
    r.direction = "sideways";  // bad input outweighs what this machine lacks
    EXPECT_EQ(check_request(*find_engine("gpu"), *e, r).kind, CheckResult::Kind::invalid);
}

// A file mapped past its end: the first access beyond EOF raises SIGBUS, which
// must end the measurement with a clear status and leave the process alive.
TEST(XferFault, SigbusPastEofIsCaught) {
    char path[] = "/tmp/p2pscope-xfer-fault.XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    unlink(path);
    const long page = sysconf(_SC_PAGESIZE);
    ASSERT_EQ(ftruncate(fd, page), 0);  // one page of file, two pages of mapping
    void* p = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_NE(p, MAP_FAILED);
    struct sigaction before {};
    sigaction(SIGBUS, nullptr, &before);
    for (unsigned width : {8u, 32u, 0u}) {
        if (cpu_width_waiver(width)) continue;
        CpuAccess a;
        a.width = width;
        a.iterations = 3;
        auto m = measure_cpu_region(static_cast<volatile unsigned char*>(p), 2 * page, p, 2 * page, a);
        const std::string how = width ? std::to_string(width) + "-byte reads" : "memcpy reads";
        // The pattern is written first (8-byte stores), which is where the fault hits.
        EXPECT_EQ(m.status_text(), "fault: SIGBUS at offset 0x" + [&] {
            char b[32];
            snprintf(b, sizeof b, "%lx", page);
            return std::string(b);
        }() + " with 8-byte writes (pattern fill)") << how;
        a.write = true;
        m = measure_cpu_region(static_cast<volatile unsigned char*>(p), 2 * page, p, 2 * page, a);
        EXPECT_EQ(m.status_text().rfind("fault: SIGBUS at offset 0x", 0), 0u) << m.status_text();
        EXPECT_NE(m.reason.find(width ? std::to_string(width) + "-byte writes" : "memcpy writes"), std::string::npos)
            << m.reason;
        EXPECT_FALSE(m.verified);
    }
    struct sigaction after {};
    sigaction(SIGBUS, nullptr, &after);
    EXPECT_EQ(before.sa_handler, after.sa_handler) << "the previous SIGBUS handler is restored";
    // Within the file the same region measures and verifies.
    CpuAccess ok;
    ok.iterations = 5;
    for (unsigned width : {1u, 2u, 4u, 8u, 16u, 32u, 64u, 0u}) {
        ok.width = width;
        for (bool w : {false, true}) {
            ok.write = w;
            auto m = measure_cpu_region(static_cast<volatile unsigned char*>(p), page, p, page, ok);
            if (cpu_width_waiver(width)) {
                EXPECT_EQ(m.status_text().rfind("waived: this CPU lacks", 0), 0u) << m.status_text();
                continue;
            }
            EXPECT_EQ(m.status, RowStatus::ok) << width_label(width) << " " << m.status_text();
            EXPECT_EQ(m.transfers, 5u);
            ASSERT_TRUE(m.verified);
            EXPECT_TRUE(*m.verified) << width_label(width) << (w ? " write" : " read");
            EXPECT_GT(m.bytes_per_second, 0);
        }
    }
    munmap(p, 2 * page);
    close(fd);
}

// Reads of memory that may not be written (a driver's BAR without
// --destructive) read only: the region keeps its bytes, nothing is verified.
TEST(XferCpu, ReadsThatMayNotWriteLeaveTheRegionAlone) {
    std::vector<unsigned char> region(4096, 0xA5);
    for (unsigned width : {1u, 8u, 32u, 0u}) {
        if (cpu_width_waiver(width)) continue;
        CpuAccess a;
        a.width = width;
        a.iterations = 3;
        a.may_write = false;
        auto m = measure_cpu_region(region.data(), region.size(), region.data(), region.size(), a);
        EXPECT_EQ(m.status, RowStatus::ok) << width_label(width) << " " << m.status_text();
        EXPECT_EQ(m.transfers, 3u);
        EXPECT_FALSE(m.verified.has_value()) << width_label(width);
        EXPECT_EQ(std::count(region.begin(), region.end(), 0xA5), 4096) << width_label(width) << " wrote the region";
        // The same read allowed to write fills the pattern and verifies it.
        a.may_write = true;
        m = measure_cpu_region(region.data(), region.size(), region.data(), region.size(), a);
        ASSERT_TRUE(m.verified.has_value());
        EXPECT_TRUE(*m.verified);
        EXPECT_LT(std::count(region.begin(), region.end(), 0xA5), 4096);
        std::fill(region.begin(), region.end(), 0xA5);
    }
}

namespace {

void* segv_handler() {
    struct sigaction now {};
    sigaction(SIGSEGV, nullptr, &now);
    return reinterpret_cast<void*>(now.sa_handler);
}

void write_null(void*) {
    volatile int* q = nullptr;
    *q = 1;
}

}  // namespace

// The handler lives only while a guarded call runs: before and after, the
// process's disposition is the one it had, and a fault outside kills it.
TEST(XferFault, GuardIsScoped) {
    void* before = segv_handler();
    EXPECT_TRUE(run_guarded(write_null, nullptr, nullptr, 0).faulted);
    EXPECT_EQ(segv_handler(), before);
    EXPECT_DEATH(write_null(nullptr), "");
}

// Two guarded calls overlapping on two threads, the first to enter leaving
// first: the second must still be guarded (its fault caught, not fatal), and
// after both the disposition is the one from before.
TEST(XferFault, OverlappingGuardsLeaveInAnyOrder) {
    EXPECT_EXIT(
        {
            void* before = segv_handler();
            std::atomic<int> step{0};
            struct Ctx {
                std::atomic<int>* step;
            } ctx{&step};
            std::thread first([&] {
                run_guarded(
                    [](void* c) {
                        auto* s = static_cast<Ctx*>(c)->step;
                        s->store(1);
                        while (s->load() < 2) std::this_thread::yield();  // the second is inside
                    },
                    &ctx, nullptr, 0);
                step.store(3);  // the first has left
            });
            std::thread second([&] {
                while (step.load() < 1) std::this_thread::yield();
                const FaultInfo f = run_guarded(
                    [](void* c) {
                        auto* s = static_cast<Ctx*>(c)->step;
                        s->store(2);
                        while (s->load() < 3) std::this_thread::yield();
                        write_null(nullptr);  // after the first left
                    },
                    &ctx, nullptr, 0);
                if (!f.faulted) std::_Exit(3);
            });
            first.join();
            second.join();
            std::_Exit(segv_handler() == before ? 0 : 4);
        },
        ::testing::ExitedWithCode(0), "");
}

// IOMMU fault records as the kernels' drivers print them (the Intel line is
// the one the lab's 6.1 guest logged for a P2P write into the CMB).
TEST(XferKernelLog, DmaFaults) {
    auto intel = parse_dma_fault(
        "DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xf4020000 [fault reason 0x05] PTE Write "
        "access is not set");
    ASSERT_TRUE(intel);
    EXPECT_EQ(intel->address, "0xf4020000");
    auto intel_old = parse_dma_fault("DMAR: [DMA Read] Request device [03:00.0] fault addr fe000000 [fault reason 06]");
    ASSERT_TRUE(intel_old);
    EXPECT_EQ(intel_old->address, "0xfe000000");
    auto amd = parse_dma_fault(
        "nvme 0000:41:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0010 address=0xfd000000 flags=0x0020]");
    ASSERT_TRUE(amd);
    EXPECT_EQ(amd->address, "0xfd000000");
    auto smmu = parse_dma_fault("arm-smmu-v3 arm-smmu-v3.0.auto: Unhandled context fault: fsr=0x402, iova=0x8000, fsynr=0x1");
    ASSERT_TRUE(smmu);
    EXPECT_EQ(smmu->address, "0x8000");
    EXPECT_FALSE(parse_dma_fault("DMAR: DRHD: handling fault status reg 2"));
    EXPECT_FALSE(parse_dma_fault("nvme nvme0: 4/0/0 default/read/poll queues"));
    auto first = first_dma_fault({"x", "DMAR: DRHD: handling fault status reg 2",
                                  "DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0x1000 [fault "
                                  "reason 0x05] PTE Write access is not set"});
    ASSERT_TRUE(first);
    EXPECT_EQ(first->address, "0x1000");
}

// A watch on a file that is not there says why and reads nothing.
TEST(XferKernelLog, UnreadableLog) {
    KernelLogWatch w("/nonexistent/kmsg");
    EXPECT_FALSE(w.readable());
    EXPECT_NE(w.why_not().find("/nonexistent/kmsg"), std::string::npos);
    EXPECT_TRUE(w.drain().empty());
}

// A fault report that trails the transfer is still found, when it comes (not
// at the wait's bound); without one the wait ends at its bound; a log that
// hangs up ends it at once. A FIFO stands in for /dev/kmsg, read between writes.
TEST(XferKernelLog, LateFaultReport) {
    const std::string fifo =
        (std::filesystem::temp_directory_path() / ("p2pscope-kmsg-" + std::to_string(::getpid()))).string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    const int writer = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // keeps the FIFO open without a reader
    ASSERT_GE(writer, 0);
    KernelLogWatch w(fifo);
    ASSERT_TRUE(w.readable()) << w.why_not();
    auto put = [&](const std::string& text) {
        const std::string rec = "3,1,1,-;" + text + "\n";
        ASSERT_EQ(::write(writer, rec.data(), rec.size()), static_cast<ssize_t>(rec.size()));
    };
    put("nvme nvme1: something else");
    std::vector<std::string> records = w.drain();
    EXPECT_EQ(records.size(), 1u);
    std::thread late([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        put("DMAR: [DMA Write NO_PASID] Request device [04:00.0] fault addr 0xf4020000 [fault reason 0x05]");
    });
    auto start = std::chrono::steady_clock::now();
    auto f = w.await_dma_fault(std::chrono::seconds(60), records);
    late.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));  // woken by the record
    ASSERT_TRUE(f);
    EXPECT_EQ(f->address, "0xf4020000");
    EXPECT_EQ(records.size(), 2u);
    start = std::chrono::steady_clock::now();
    EXPECT_FALSE(w.await_dma_fault(std::chrono::milliseconds(50), records));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
    ::close(writer);  // the only writer: the reader sees a hang-up
    start = std::chrono::steady_clock::now();
    EXPECT_FALSE(w.await_dma_fault(std::chrono::seconds(60), records));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
    EXPECT_EQ(records.size(), 2u);
    ::unlink(fifo.c_str());
}

// AER counters on a transfer's path, as Linux 6.1 writes them: the root port
// and the switch port have AER, the NVMe has none; the block device sits below.
TEST(XferPcieErrors, UncorrectableOnThePath) {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("p2pscope-aer-" + std::to_string(::getpid()));
    const fs::path rp = root / "devices/pci0000:00/0000:00:01.0", dp = rp / "0000:01:00.0/0000:02:01.0";
    const fs::path nvme = dp / "0000:04:00.0", other = root / "devices/pci0000:00/0000:00:02.0";
    const fs::path disk = nvme / "nvme/nvme1/nvme1n1";
    fs::create_directories(disk);
    fs::create_directories(other);
    auto counters = [](const fs::path& dir, int fatal, int nonfatal) {
        std::ofstream(dir / "aer_dev_fatal") << "Undefined 0\nDLP " << fatal << "\nSDES 0\nTOTAL_ERR_FATAL " << fatal
                                             << "\n";
        std::ofstream(dir / "aer_dev_nonfatal") << "Undefined 0\nTLP 0\nTOTAL_ERR_NONFATAL " << nonfatal << "\n";
    };
    counters(rp, 0, 0);
    counters(dp, 2, 0);
    counters(other, 0, 0);
    fs::create_directories(root / "dev/block");
    fs::create_symlink(disk, root / "dev/block/259:0");

    const auto path = pci_path_dirs((root / "dev/block/259:0").string());
    ASSERT_EQ(path.size(), 4u);
    EXPECT_EQ(fs::path(path.front()).filename(), "0000:00:01.0");
    EXPECT_EQ(fs::path(path.back()).filename(), "0000:04:00.0");
    EXPECT_FALSE(read_aer_totals(nvme.string()));  // no AER: not watched
    EXPECT_EQ(read_aer_totals(dp.string())->fatal, 2u);

    PcieErrorWatch watch({(root / "dev/block/259:0").string()});
    EXPECT_EQ(watch.watched(), 2u);
    EXPECT_TRUE(watch.uncorrectable_since().empty());
    counters(other, 5, 5);  // off the path: not this transfer's
    counters(dp, 3, 1);     // the switch port: a DLP error, a non-fatal one
    const auto errs = watch.uncorrectable_since();
    ASSERT_EQ(errs.size(), 2u);
    EXPECT_EQ(errs[0], "0000:02:01.0: aer_dev_fatal +1");
    EXPECT_EQ(errs[1], "0000:02:01.0: aer_dev_nonfatal +1");
    fs::remove_all(dp);  // removed since: not counted, no error
    EXPECT_TRUE(watch.uncorrectable_since().empty());
    EXPECT_TRUE(pci_path_dirs((root / "nonexistent").string()).empty());
    fs::remove_all(root);
}

// The kernel engines' requests, judged before the module is needed.
TEST(XferKernelEngines, Checks) {
    auto nvme = make_engine("nvme");
    ASSERT_TRUE(nvme);
    Request r;
    r.engine = "nvme";
    r.memory = "ram";
    r.direction = "read";
    r.size = 128 * 1024;
    r.block = "/dev/null";
    r.module_node = "/nonexistent/p2pscope";
    auto c = nvme->check(r);
    EXPECT_EQ(c.kind, CheckResult::Kind::invalid);
    EXPECT_EQ(c.reason, "/dev/null is not a block device");
    r.direction = "write";
    EXPECT_EQ(nvme->check(r).reason, "engine nvme: writing destroys the data in the range: pass --destructive");
    r.direction = "read";
    r.size = 1000;
    EXPECT_EQ(nvme->check(r).reason, "engine nvme: --size must be a multiple of 512 up to 1M (one bio)");
    r.size = 4096;
    r.span = 6000;
    EXPECT_EQ(nvme->check(r).reason, "engine nvme: --span must be a multiple of --size");
    r.span = 0;
    r.peer = probe::PciAddress{0, 3, 0, 0};
    EXPECT_EQ(nvme->check(r).reason, "engine nvme: --peer names the p2pmem provider: only with --memory p2pmem");
    r.peer.reset();
    r.block.clear();
    EXPECT_EQ(nvme->check(r).reason, "engine nvme needs --block /dev/... or --device BDF (an NVMe controller)");

    auto dma = make_engine("dmaengine");
    ASSERT_TRUE(dma);
    Request d;
    d.engine = "dmaengine";
    d.memory = "ram-to-ram";
    d.size = 1 << 20;
    d.module_node = "/nonexistent/p2pscope";
    c = dma->check(d);
    EXPECT_EQ(c.kind, CheckResult::Kind::invalid);  // no module: a bad selection, exit 2
    EXPECT_EQ(c.reason, "this engine runs in p2pscope.ko, which is not loaded (/nonexistent/p2pscope missing): load "
                        "it (kmod/README.md) or run in the lab (lab/run)");
    d.memory = "ram-to-bar";
    EXPECT_EQ(dma->check(d).reason,
              "engine dmaengine: --memory ram-to-bar needs --device BDF and --bar N (a device bound to p2pscope)");
    d.memory = "ram-to-ram";
    d.size = 8 << 20;
    EXPECT_EQ(dma->check(d).reason, "engine dmaengine: --size must be a multiple of 8 up to 4M");
}
