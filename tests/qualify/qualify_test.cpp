// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope qualify's library: thresholds files (the shipped one and each kind
// of bad one) and every check against topologies recorded on real machines
// (../shared/fixtures/topology), with the outcomes read off those machines.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "p2pscope/probe/sources.hpp"
#include "p2pscope/qualify/qualify.hpp"
#include "common/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace p2pscope;
using namespace p2pscope::qualify;

namespace {

const fs::path kFixtures = P2PSCOPE_FIXTURES;
const fs::path kShipped = P2PSCOPE_SHIPPED_THRESHOLDS;
const fs::path kBad = P2PSCOPE_BAD_THRESHOLDS;

probe::PciAddress bdf(const std::string& s) { return *probe::PciAddress::parse(s); }

using p2pscope::test::TempDir;

// An unpacked sysfs fixture; `edit` may change the copy before it is read.
probe::Topology unpack_sysfs(const TempDir& dir, const std::string& tarball, const std::string& subdir,
                             const std::function<void(const fs::path&)>& edit = {}) {
    const std::string cmd = "tar -xf '" + (kFixtures / tarball).string() + "' -C '" + dir.path.string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    const fs::path root = dir.path / subdir;
    if (edit) edit(root);
    auto t = probe::load_sysfs({root.string(), ""});
    EXPECT_TRUE(t.ok()) << t.error().message;
    return *t;
}

const probe::Topology& supermicro() {  // SYS-4029GP-TRT2: 2 PEX 9797, 8 Vector Engines, 2 ConnectX-4, X722
    static TempDir dir;
    static const probe::Topology t =
        unpack_sysfs(dir, "hwloc-sysfs/32intel64-2p8co2t+8ve.tar.bz2", "32intel64-2p8co2t+8ve");
    return t;
}

const probe::Topology& r910() {  // Dell PowerEdge R910: host bridge 8086:3407, not on the P2PDMA whitelist
    static TempDir dir;
    static const probe::Topology t = unpack_sysfs(dir, "hwloc-sysfs/40intel64-2g2n4c+pci.tar.bz2", "40intel64-2g2n4c+pci");
    return t;
}

const probe::Topology& dump(const std::string& name) {
    static std::map<std::string, probe::Topology> cache;
    auto it = cache.find(name);
    if (it == cache.end()) {
        auto t = probe::load_lspci_dump((kFixtures / "lspci-dump" / name).string());
        EXPECT_TRUE(t.ok()) << t.error().message;
        it = cache.emplace(name, *t).first;
    }
    return it->second;
}

const probe::Topology& dgx2() {
    static const probe::Topology t = [] {
        auto r = probe::load_hwloc_xml((kFixtures / "hwloc-xml/nvidiaDGX2.xml").string());
        EXPECT_TRUE(r.ok()) << r.error().message;
        return *r;
    }();
    return t;
}

probe::Pair pair(const probe::Topology& t, const std::string& a, const std::string& b) {
    auto pairs = probe::analyse_pairs(t, {t.find(bdf(a)), t.find(bdf(b))});
    EXPECT_EQ(pairs.size(), 1u);
    return pairs.at(0);
}

CheckResult links(const probe::Topology& t, const std::string& a, const std::string& b) {
    return check_links(links_on_path(t, *t.find(bdf(a)), *t.find(bdf(b))));
}

Error bad(const std::string& file) {
    auto r = load_thresholds((kBad / file).string());
    EXPECT_FALSE(r.ok()) << file << " was accepted";
    return r.ok() ? Error{Errc::system, ""} : r.error();
}

}  // namespace

// ---- thresholds ----

TEST(Thresholds, ShippedFileIsTheBuiltInDefaults) {
    auto t = load_thresholds(kShipped.string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(*t, Thresholds{});
    EXPECT_DOUBLE_EQ(t->transfer_min_fraction, 0.8);
    EXPECT_EQ(t->allowed_verdicts.size(), 2u);
}

TEST(Thresholds, AFileSetsOnlyTheKeysItHas) {
    auto t = parse_thresholds(R"({"map": {"p99_ns_max": 2500}, "p2p_class_pairs": ["nvme-gpu"],
                                  "p2pdma": {"allowed_verdicts": ["BUS_ADDR"]}})",
                              "inline");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_DOUBLE_EQ(t->map_p99_ns_max, 2500);
    EXPECT_EQ(t->map_size_bytes, 4096u);  // kept
    ASSERT_EQ(t->p2p_class_pairs.size(), 1u);
    EXPECT_TRUE(t->p2p_class_pairs[0].matches(probe::DeviceClass::gpu, probe::DeviceClass::nvme));
    EXPECT_EQ(t->allowed_verdicts, std::vector<probe::P2pdmaVerdict>{probe::P2pdmaVerdict::BUS_ADDR});
}

TEST(Thresholds, EachKindOfBadFileNamesTheKey) {
    struct Case {
        const char* file;
        const char* message;
    } cases[] = {
        {"not-json.json", "not-json.json: not valid JSON: parse error at line 1, column 32: syntax error"},
        {"not-an-object.json", "not-an-object.json: the document: expected an object, got an array"},
        {"unknown-key.json", "unknown-key.json: key maps: unknown key (known here: schema, p2p_class_pairs"},
        {"unknown-nested-key.json", "unknown-nested-key.json: key map.p99_ns: unknown key (known here: p99_ns_max"},
        {"wrong-type.json", "wrong-type.json: key map.p99_ns_max: expected a number, got a string"},
        {"out-of-range.json", "out-of-range.json: key transfer.min_fraction_of_ceiling: must be > 0 and <= 1, got 1.5"},
        {"bad-class-pair.json", "bad-class-pair.json: key p2p_class_pairs[1]: 'gpu-fpga' is not CLASS-CLASS"},
        {"bad-verdict.json", "bad-verdict.json: key p2pdma.allowed_verdicts[1]: 'SOMETIMES' is not BUS_ADDR"},
        {"size-not-4k.json", "size-not-4k.json: key transfer.size_bytes: must be a multiple of 4096 bytes"},
        {"wrong-schema.json", "wrong-schema.json: key schema: expected \"p2pscope.qualify-thresholds/1\""},
    };
    for (const auto& c : cases) {
        const Error e = bad(c.file);
        EXPECT_EQ(e.code, Errc::bad_input) << c.file;
        EXPECT_NE(e.message.find(c.message), std::string::npos) << c.file << ": " << e.message;
        EXPECT_EQ(e.message.find('\n'), std::string::npos) << "one line: " << e.message;
    }
    auto missing = load_thresholds("/nonexistent/thresholds.json");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "/nonexistent/thresholds.json: no such file");
    auto wrong_int = parse_thresholds(R"({"map": {"size_bytes": 4096.5}})", "x");
    ASSERT_FALSE(wrong_int.ok());
    EXPECT_NE(wrong_int.error().message.find("key map.size_bytes: expected a whole number of bytes"), std::string::npos);
}

// ---- pair selection ----

TEST(Selection, ClassPairsDecideWhichPairsMatter) {
    const auto& t = r910();  // 4 bnx2 NICs and the BMC's Matrox G200eW (class 0300, a console, not a GPU)
    auto pairs = select_pairs(t, {}, Thresholds{});
    ASSERT_TRUE(pairs.ok());
    EXPECT_EQ(pairs->size(), 0u);  // nic-nic is not meant for P2P by default, and there is no GPU
    Thresholds nics;
    nics.p2p_class_pairs = {{probe::DeviceClass::nic, probe::DeviceClass::nic}};
    auto nic_pairs = select_pairs(t, {}, nics);
    ASSERT_TRUE(nic_pairs.ok());
    EXPECT_EQ(nic_pairs->size(), 6u);
    // Named devices: every pair of them, whatever the classes.
    auto named = select_pairs(t, {bdf("02:00.0"), bdf("02:00.1"), bdf("00:05.0")}, Thresholds{});
    ASSERT_TRUE(named.ok());
    EXPECT_EQ(named->size(), 3u);
    auto unknown = select_pairs(t, {bdf("02:00.0"), bdf("99:00.0")}, Thresholds{});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, Errc::not_found);
}

// ---- p2pdma ----

TEST(P2pdmaCheck, NotSupportedFailsWithTheKernelsReason) {
    const auto r = check_p2pdma(Thresholds{}, pair(r910(), "0000:02:00.0", "0000:09:03.0").p2pdma);
    EXPECT_EQ(r.outcome, Outcome::fail);
    EXPECT_NE(r.reason.find("NOT_SUPPORTED (allowed: BUS_ADDR, THRU_HOST_BRIDGE)"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("host bridge 0000:00:00.0 [8086:3407] is not on the kernel's P2PDMA host bridge whitelist"),
              std::string::npos)
        << r.reason;
}

TEST(P2pdmaCheck, ThroughAWhitelistedHostBridgePassesUnlessOnlyBusAddrIsAllowed) {
    const auto p = pair(supermicro(), "0000:1a:00.0", "0000:3d:00.0");  // ConnectX-4 and a VE on the other PEX 9797
    EXPECT_EQ(check_p2pdma(Thresholds{}, p.p2pdma).outcome, Outcome::pass);
    Thresholds strict;
    strict.allowed_verdicts = {probe::P2pdmaVerdict::BUS_ADDR};
    const auto r = check_p2pdma(strict, p.p2pdma);
    EXPECT_EQ(r.outcome, Outcome::fail);
    EXPECT_EQ(r.reason.rfind("THRU_HOST_BRIDGE (allowed: BUS_ADDR)", 0), 0u) << r.reason;
}

TEST(P2pdmaCheck, UnknownVerdictIsWaivedWithWhatTheInputLacks) {
    const auto r = check_p2pdma(Thresholds{}, pair(supermicro(), "0000:1a:00.0", "0000:1b:00.0").p2pdma);
    EXPECT_EQ(r.outcome, Outcome::waived);
    EXPECT_NE(r.reason.find("is not in the input (needs extended config space)"), std::string::npos) << r.reason;
}

// ---- links ----

TEST(LinksCheck, FullSpeedLinksPassAcrossTwoSwitchesAndTheHostBridges) {
    const auto r = links(supermicro(), "0000:1a:00.0", "0000:3d:00.0");
    EXPECT_EQ(r.outcome, Outcome::pass) << r.reason;
    EXPECT_EQ(r.reason, "4 links at the speed and width both ends support");
}

TEST(LinksCheck, ASlowDeviceBehindAPortThatCanDoNoMoreIsNotDegraded) {
    // X722 at 2.5 GT/s x1, capable of 8 GT/s, behind 0000:5f:03.0 which is capable of 2.5 GT/s only.
    const auto& t = supermicro();
    EXPECT_EQ(t.find(bdf("0000:60:00.0"))->link.max_speed_gts, 8.0);
    const auto r = links(t, "0000:1a:00.0", "0000:60:00.0");
    EXPECT_EQ(r.outcome, Outcome::pass) << r.reason;
    // And the GeForce 210 (2.5 GT/s device) in the X58's 5 GT/s slot 0000:00:07.0.
    const auto g = links(dump("tree-asus-p6t6"), "0000:06:00.0", "0000:07:00.0");
    EXPECT_EQ(g.outcome, Outcome::pass) << g.reason;
}

TEST(LinksCheck, TheSwitchInternalBusIsNotALink) {
    const auto& t = dump("tree-asus-p6t6");  // SAS2008 below the NF200 switch, GPU on root port 00:07.0
    const auto l = links_on_path(t, *t.find(bdf("0000:04:00.0")), *t.find(bdf("0000:06:00.0")));
    std::vector<std::string> got;
    for (const auto& x : l) got.push_back(x.below->address.to_string() + "-" + x.above->address.to_string());
    EXPECT_EQ(got, (std::vector<std::string>{"0000:04:00.0-0000:03:00.0", "0000:02:00.0-0000:00:03.0",
                                             "0000:06:00.0-0000:00:07.0"}));
}

TEST(LinksCheck, AVectorEngineTrainedAtX8InAnX16SlotFails) {
    TempDir dir;
    const auto t = unpack_sysfs(dir, "hwloc-sysfs/32intel64-2p8co2t+8ve.tar.bz2", "32intel64-2p8co2t+8ve",
                                [](const fs::path& root) {
                                    std::ofstream(root / "sys/bus/pci/devices/0000:1b:00.0/current_link_width") << "8\n";
                                });
    const auto r = links(t, "0000:1a:00.0", "0000:1b:00.0");
    EXPECT_EQ(r.outcome, Outcome::fail);
    EXPECT_EQ(r.reason, "degraded link: 0000:1b:00.0 <-> 0000:19:08.0 at 8 GT/s x8, both ends capable of 8 GT/s x16");
}

TEST(LinksCheck, LinksWithoutFiguresAreWaived) {
    const auto r = links(r910(), "0000:02:00.0", "0000:09:03.0");  // the R910's sysfs has no link attributes there
    EXPECT_EQ(r.outcome, Outcome::waived);
    EXPECT_NE(r.reason.find("link speed or width not in the input for 0000:02:00.0 <-> 0000:00:05.0"),
              std::string::npos)
        << r.reason;
}

// ---- map ----

TEST(MapCheck, P99AgainstTheBound) {
    Thresholds th;
    th.map_p99_ns_max = 2000;
    const auto pass = check_map(th, Measured{1500, "map_sgtable"});
    EXPECT_EQ(pass.outcome, Outcome::pass);
    EXPECT_EQ(pass.measured, 1500);
    const auto fail = check_map(th, Measured{2600, ""});
    EXPECT_EQ(fail.outcome, Outcome::fail);
    EXPECT_EQ(fail.reason, "map p99 2600 ns > 2000 ns");
    EXPECT_EQ(check_map(th, Measurement{std::string("no module")}).outcome, Outcome::waived);
}

TEST(MapCheck, WithoutTheModuleEveryPairIsWaivedWithTheReason) {
    auto m = make_kclient_map_measurer("/nonexistent/p2pscope");
    const auto& t = supermicro();
    const auto r = check_map(Thresholds{}, m->map_p99_ns(t, *t.find(bdf("1a:00.0")), *t.find(bdf("3d:00.0")), {}));
    EXPECT_EQ(r.outcome, Outcome::waived);
    EXPECT_EQ(r.reason.rfind("p2pscope.ko: /nonexistent/p2pscope does not exist: the p2pscope module is not loaded", 0),
              0u)
        << r.reason;
}

// ---- transfer ----

TEST(TransferCheck, FractionOfTheNarrowestLinkOnThePath) {
    Thresholds th;  // 80 %
    const double ceiling = 15.75e9;  // 8 GT/s x16
    const auto pass = check_transfer(th, Measured{13e9, ""}, ceiling, "8 GT/s x16 at 0000:1b:00.0");
    EXPECT_EQ(pass.outcome, Outcome::pass) << pass.reason;
    const auto fail = check_transfer(th, Measured{9.45e9, ""}, ceiling, "8 GT/s x16 at 0000:1b:00.0");
    EXPECT_EQ(fail.outcome, Outcome::fail);
    EXPECT_EQ(fail.reason, "9.45 GB/s = 60.0% of the 15.8 GB/s ceiling of 8 GT/s x16 at 0000:1b:00.0, below 80%");
    EXPECT_NEAR(*fail.measured, 0.6, 1e-9);
    EXPECT_EQ(check_transfer(th, Measured{1e9, ""}, std::nullopt, "").outcome, Outcome::waived);
}

TEST(TransferCheck, EnginesThatCannotServeThePairWaiveIt) {
    auto m = make_xfer_transfer_measurer({});
    const auto& t = supermicro();
    const auto none = m->bytes_per_second(t, *t.find(bdf("1b:00.0")), *t.find(bdf("1c:00.0")), Thresholds{});
    ASSERT_TRUE(std::holds_alternative<std::string>(none));
    EXPECT_NE(std::get<std::string>(none).find("no transfer engine moves data between 0000:1b:00.0 (accel) and "
                                               "0000:1c:00.0 (accel)"),
              std::string::npos);
    // Two DGX-2 GPUs: the gpu engine is asked, and says why it cannot run here.
    const auto& d = dgx2();
    const auto gpu = m->bytes_per_second(d, *d.find(bdf("34:00.0")), *d.find(bdf("36:00.0")), Thresholds{});
    ASSERT_TRUE(std::holds_alternative<std::string>(gpu));
    EXPECT_EQ(std::get<std::string>(gpu).rfind("engine gpu: ", 0), 0u) << std::get<std::string>(gpu);
}

// ---- the whole run ----

namespace {
// Measurements as a lab run would give them, to follow them through run().
struct FixedMap final : MapMeasurer {
    double p99;
    explicit FixedMap(double v) : p99(v) {}
    Measurement map_p99_ns(const probe::Topology&, const probe::PciFunction&, const probe::PciFunction&,
                           const Thresholds&) override {
        return Measured{p99, "fixed"};
    }
};
}  // namespace

TEST(Run, VerdictsAndCounts) {
    const auto& t = supermicro();
    auto pairs = select_pairs(t, {bdf("1a:00.0"), bdf("3d:00.0")}, Thresholds{});
    ASSERT_TRUE(pairs.ok());
    FixedMap fast(900), slow(50000);
    Measurers m{&fast, "", nullptr, "not run (--no-transfers)", {}};
    const auto ok = run(t, *pairs, Thresholds{}, m);
    ASSERT_EQ(ok.pairs.size(), 1u);
    EXPECT_EQ(ok.checks(Outcome::pass), 4);  // p2pdma, links, iommu (off), map
    EXPECT_EQ(ok.checks(Outcome::waived), 3);  // mps_mrrs and aer (64 bytes of config space), transfer
    EXPECT_EQ(ok.verdict(), Verdict::pass_with_waivers);
    EXPECT_NE(render_text(ok).find("Summary: PASS with 3 check(s) waived, not a full pass"), std::string::npos);

    m.map = &slow;
    const auto bad_map = run(t, *pairs, Thresholds{}, m);
    EXPECT_EQ(bad_map.verdict(), Verdict::fail);
    EXPECT_EQ(bad_map.pairs[0].outcome(), Outcome::fail);

    const auto none = run(dgx2(), *select_pairs(dgx2(), {bdf("34:00.0"), bdf("36:00.0")}, Thresholds{}),
                          Thresholds{}, Measurers{nullptr, "no", nullptr, "no", {}});
    EXPECT_EQ(none.verdict(), Verdict::nothing_checked);
    EXPECT_EQ(none.checks(Outcome::waived), 9);
}

namespace {
// Says when each measurement and AER reading happens.
struct Recorded final : MapMeasurer, TransferMeasurer {
    std::vector<std::string>& events;
    explicit Recorded(std::vector<std::string>& e) : events(e) {}
    Measurement map_p99_ns(const probe::Topology&, const probe::PciFunction&, const probe::PciFunction&,
                           const Thresholds&) override {
        events.push_back("map");
        return Measured{900, "recorded"};
    }
    Measurement bytes_per_second(const probe::Topology&, const probe::PciFunction&, const probe::PciFunction&,
                                 const Thresholds&) override {
        events.push_back("transfer");
        return Measured{13e9, "recorded"};
    }
};
}  // namespace

TEST(Run, AerIsReadAroundThePairsMeasurementsAndChecksComeInTheTablesOrder) {
    const auto& t = supermicro();
    auto pairs = select_pairs(t, {bdf("1a:00.0"), bdf("3d:00.0")}, Thresholds{});
    ASSERT_TRUE(pairs.ok());
    std::vector<std::string> events;
    Recorded measure(events);
    Measurers m{&measure, "", &measure, "", [&](const std::vector<probe::PciAddress>&) {
                    events.push_back("aer");
                    return AerSnapshot{};
                }};
    const auto r = run(t, *pairs, Thresholds{}, m);
    EXPECT_EQ(events, (std::vector<std::string>{"aer", "map", "transfer", "aer"}));
    ASSERT_EQ(r.pairs.size(), 1u);
    std::vector<std::string_view> names;
    for (const auto& c : r.pairs[0].checks) names.push_back(c.check);
    EXPECT_EQ(names, (std::vector<std::string_view>{"p2pdma", "links", "iommu", "mps_mrrs", "map", "transfer", "aer"}));
    EXPECT_EQ(check_names(), (std::vector<std::string_view>{"p2pdma", "links", "acs", "iommu", "ats", "mps_mrrs",
                                                            "relaxed_ordering", "bar", "numa", "map", "transfer",
                                                            "aer"}));
}

// docs/qualify.md lists every check, in the report's order, and has a row for each.
TEST(Checks, TheDocsDescribeEveryCheck) {
    std::ifstream in(P2PSCOPE_QUALIFY_DOC);
    ASSERT_TRUE(in) << P2PSCOPE_QUALIFY_DOC;
    std::vector<std::string> listed;
    std::set<std::string> rows;  // the first column of every table
    const std::regex backticked("`([a-z_0-9]+)`");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("| `", 0) == 0) rows.insert(line.substr(3, line.find('`', 3) - 3));
        if (line.rfind("| `pairs[].checks[]` |", 0) != 0) continue;
        for (std::sregex_iterator m(line.begin(), line.end(), backticked), end; m != end; ++m) listed.push_back((*m)[1]);
    }
    const auto names = check_names();
    EXPECT_EQ(listed, std::vector<std::string>(names.begin(), names.end())) << "the pairs[].checks[] row";
    for (auto name : names) EXPECT_TRUE(rows.count(std::string(name))) << "no row for the check " << name;
}

// ---- checks of the facts on the path ----

namespace {
const probe::PciFunction& fn(const probe::Topology& t, const std::string& a) { return *t.find(bdf(a)); }
}  // namespace

TEST(FactChecks, AcsRedirectOnThePathFailsWithItsParameter) {
    const auto& t = dump("cap-aer-root");  // root port 00:02.0 with ReqRedir CmpltRedir, a ConnectX-3 below
    const auto r = check_acs(t, fn(t, "00:02.0"), fn(t, "03:00.0"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::fail);
    EXPECT_NE(r->reason.find("0000:00:02.0 (ReqRedir CmpltRedir)"), std::string::npos) << r->reason;
    EXPECT_EQ(r->remedy.rfind("boot with pci=disable_acs_redir=0000:00:02.0 ", 0), 0u) << r->remedy;
    // X58's root port has ACS with every control off: pass; a path without a common bridge: not applicable.
    const auto& x58 = dump("cap-pcie-1");
    const auto& f = x58.functions.front();
    const auto none = check_acs(x58, f, f);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->outcome, Outcome::pass) << none->reason;
    const auto& tree = dump("tree-asus-p6t6");
    EXPECT_FALSE(check_acs(tree, fn(tree, "07:00.0"), fn(tree, "08:00.0")));  // two root ports: through the host bridge
    // hwloc XML has no ACS registers: waived, naming them.
    const auto w = check_acs(dgx2(), fn(dgx2(), "34:00.0"), fn(dgx2(), "36:00.0"));
    ASSERT_TRUE(w);
    EXPECT_EQ(w->outcome, Outcome::waived);
}

TEST(FactChecks, AcsPathOfVirtualFunctionsIsTheKernels) {
    // Two VFs of the ConnectX-3 below the redirecting root port: the kernel
    // tests each VF and the bridge above their PF, not the PF.
    probe::Topology t = dump("cap-aer-root");
    for (const char* vf : {"0000:03:00.1", "0000:03:00.2"}) {
        probe::PciFunction f = fn(t, "03:00.0");
        f.address = bdf(vf);
        f.physfn = bdf("03:00.0");
        f.acs.reset();
        t.functions.push_back(f);
    }
    probe::finalize(t);
    const auto r = check_acs(t, fn(t, "03:00.1"), fn(t, "03:00.2"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::fail) << r->reason;
    EXPECT_NE(r->reason.find("0000:00:02.0 (ReqRedir CmpltRedir)"), std::string::npos) << r->reason;
}

TEST(FactChecks, IommuDomainAgainstThePolicy) {
    probe::Topology t = supermicro();  // a tree without IOMMU groups: the IOMMU is off
    const auto off = check_iommu(Thresholds{}, t, fn(t, "1a:00.0"), fn(t, "1b:00.0"));
    EXPECT_EQ(off.outcome, Outcome::pass) << off.reason;
    Thresholds gpudirect;
    gpudirect.iommu_allowed_domains = {"identity", "off"};
    for (auto& f : t.functions)
        if (f.address == bdf("1b:00.0")) f.iommu_domain_type = "DMA-FQ", f.iommu_group = 7;
    const auto r = check_iommu(gpudirect, t, fn(t, "1a:00.0"), fn(t, "1b:00.0"));
    EXPECT_EQ(r.outcome, Outcome::fail);
    EXPECT_NE(r.reason.find("0000:1b:00.0 DMA-FQ (group 7)"), std::string::npos) << r.reason;
    EXPECT_NE(r.remedy.find("iommu=pt"), std::string::npos);
    EXPECT_EQ(check_iommu(Thresholds{}, dgx2(), fn(dgx2(), "34:00.0"), fn(dgx2(), "36:00.0")).outcome, Outcome::waived);
}

TEST(FactChecks, AtsWhereThePolicyWantsItUnderTranslation) {
    probe::Topology t = supermicro();
    Thresholds th;
    th.ats_required_classes = {probe::DeviceClass::nic};
    EXPECT_FALSE(check_ats(th, t, fn(t, "1a:00.0"), fn(t, "1b:00.0")));  // IOMMU off: nothing for ATS to do
    for (auto& f : t.functions)
        if (f.address == bdf("1a:00.0")) f.iommu_domain_type = "DMA", f.ats_enabled = false;
    const auto r = check_ats(th, t, fn(t, "1a:00.0"), fn(t, "1b:00.0"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::fail);
    EXPECT_NE(r->remedy.find("pci=noats"), std::string::npos);
    for (auto& f : t.functions)
        if (f.address == bdf("1a:00.0")) f.ats_enabled = true;
    EXPECT_EQ(check_ats(th, t, fn(t, "1a:00.0"), fn(t, "1b:00.0"))->outcome, Outcome::pass);
}

TEST(FactChecks, PayloadSizesAlongThePath) {
    const auto& tree = dump("tree-asus-p6t6");  // X58: MPS 128 everywhere, the Realtek NICs read 4096 at a time
    const auto nics = check_mps_mrrs(Thresholds{}, links_on_path(tree, fn(tree, "07:00.0"), fn(tree, "08:00.0")),
                                     fn(tree, "07:00.0"), fn(tree, "08:00.0"));
    EXPECT_EQ(nics.outcome, Outcome::pass) << nics.reason;
    probe::Topology t = tree;
    for (auto& f : t.functions) {
        if (f.address == bdf("00:1c.1")) f.mps_bytes = 256;  // the root port above 08:00.0
        if (f.address == bdf("07:00.0")) f.mrrs_bytes = 128;
    }
    const auto mixed = check_mps_mrrs(Thresholds{}, links_on_path(t, fn(t, "07:00.0"), fn(t, "08:00.0")),
                                      fn(t, "07:00.0"), fn(t, "08:00.0"));
    EXPECT_EQ(mixed.outcome, Outcome::fail);
    EXPECT_NE(mixed.reason.find("0000:00:1c.1 256"), std::string::npos) << mixed.reason;
    EXPECT_NE(mixed.remedy.find("pcie_bus_safe"), std::string::npos);
    for (auto& f : t.functions)
        if (f.address == bdf("00:1c.1")) f.mps_bytes = 128;
    const auto small = check_mps_mrrs(Thresholds{}, links_on_path(t, fn(t, "07:00.0"), fn(t, "08:00.0")),
                                      fn(t, "07:00.0"), fn(t, "08:00.0"));
    EXPECT_EQ(small.outcome, Outcome::fail);
    EXPECT_NE(small.remedy.find("setpci -s 0000:07:00.0 CAP_EXP+08.w=2000:7000"), std::string::npos) << small.remedy;
}

TEST(FactChecks, RelaxedOrderingPerClass) {
    const auto& tree = dump("tree-asus-p6t6");  // Realtek NICs: relaxed ordering on; GT218 GPU: on
    Thresholds th;
    EXPECT_FALSE(check_relaxed_ordering(th, fn(tree, "07:00.0"), fn(tree, "06:00.0")));  // no rule
    th.relaxed_ordering_forbidden = {probe::DeviceClass::nic};
    const auto r = check_relaxed_ordering(th, fn(tree, "07:00.0"), fn(tree, "06:00.0"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::fail);
    EXPECT_NE(r->remedy.find("setpci -s 0000:07:00.0 CAP_EXP+08.w=0000:0010"), std::string::npos) << r->remedy;
    th.relaxed_ordering_forbidden.clear();
    th.relaxed_ordering_required = {probe::DeviceClass::nic, probe::DeviceClass::gpu};
    EXPECT_EQ(check_relaxed_ordering(th, fn(tree, "07:00.0"), fn(tree, "06:00.0"))->outcome, Outcome::pass);
}

TEST(FactChecks, GpuBarCoversMemoryAndResizableBarAtItsLargest) {
    probe::Topology t = supermicro();
    for (auto& f : t.functions)
        if (f.address == bdf("1b:00.0")) f.class_code = 0x030200;  // a Vector Engine's 64 GiB BAR, as a GPU
    const auto& gpu = fn(t, "1b:00.0");
    const auto& nic = fn(t, "1a:00.0");
    EXPECT_EQ(check_bar(Thresholds{}, gpu, nic)->outcome, Outcome::pass);
    EXPECT_FALSE(check_bar(Thresholds{}, nic, fn(t, "3d:00.0")));  // no GPU
    Thresholds big;
    big.gpu_bar_min_bytes = 128ull << 30;
    EXPECT_EQ(check_bar(big, gpu, nic)->outcome, Outcome::fail);
    probe::PciFunction small = gpu;
    small.device_memory_bytes = 80ull << 30;
    small.resizable_bars = {{0, 64ull << 30, {1ull << 30, 64ull << 30, 128ull << 30}}};
    const auto r = check_bar(Thresholds{}, small, nic);
    EXPECT_EQ(r->outcome, Outcome::fail);
    EXPECT_NE(r->reason.find("smaller than its 80 GiB of memory"), std::string::npos) << r->reason;
    EXPECT_NE(r->reason.find("resizable BAR 0 at 64 GiB of up to 128 GiB"), std::string::npos) << r->reason;
    EXPECT_NE(r->remedy.find("Resizable BAR"), std::string::npos);
}

TEST(FactChecks, GpuNicLocality) {
    probe::Topology t = supermicro();  // ConnectX-4s 1a:00.0 and 3e:00.0 below two host bridges of node 0
    for (auto& f : t.functions)
        if (f.address == bdf("1b:00.0") || f.address == bdf("3d:00.0")) f.class_code = 0x030200;  // as GPUs
    const auto near = pair(t, "1a:00.0", "1b:00.0");  // one switch
    const auto far = pair(t, "1a:00.0", "3d:00.0");   // two host bridges
    Thresholds pxb;
    pxb.gpu_nic_worst_path = probe::PathClass::PXB;
    EXPECT_EQ(check_numa(pxb, near, fn(t, "1a:00.0"), fn(t, "1b:00.0"))->outcome, Outcome::pass);
    EXPECT_EQ(check_numa(Thresholds{}, far, fn(t, "1a:00.0"), fn(t, "3d:00.0"))->outcome, Outcome::pass);
    const auto r = check_numa(pxb, far, fn(t, "1a:00.0"), fn(t, "3d:00.0"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, Outcome::fail) << r->reason;
    EXPECT_NE(r->reason.find("GPU-NIC path NODE, worse than PXB"), std::string::npos) << r->reason;
    EXPECT_FALSE(check_numa(pxb, pair(t, "1a:00.0", "3e:00.0"), fn(t, "1a:00.0"), fn(t, "3e:00.0")));  // two NICs
}

TEST(FactChecks, AerErrorsDuringTheMeasurementsNameDeviceAndCounter) {
    const auto& t = dump("cap-aer-root");
    const auto& a = fn(t, "00:02.0");
    const auto& b = fn(t, "03:00.0");
    EXPECT_EQ(check_aer(t, a, b, nullptr, nullptr).outcome, Outcome::waived);  // saved data: no before and after
    AerSnapshot before, after;
    probe::Aer counts;
    counts.correctable_total = 5;
    counts.nonfatal_total = 0;
    counts.fatal_total = 0;
    counts.counters = {{"BadTLP", 5}};
    before[b.address] = counts;
    after[b.address] = counts;
    EXPECT_EQ(check_aer(t, a, b, &before, &after).outcome, Outcome::pass);
    after[b.address].correctable_total = 7;
    after[b.address].counters = {{"BadTLP", 6}, {"RxErr", 1}};
    const auto r = check_aer(t, a, b, &before, &after);
    EXPECT_EQ(r.outcome, Outcome::fail);
    EXPECT_NE(r.reason.find("0000:03:00.0: 2 new correctable (BadTLP +1, RxErr +1)"), std::string::npos) << r.reason;
    probe::Topology latched = t;
    for (auto& f : latched.functions)
        if (f.address == b.address) f.aer->uncorrectable_status = "CmpltTO";
    // Latched before the run: said, not counted (healthy machines keep masked bits from boot).
    const auto l = check_aer(latched, fn(latched, "00:02.0"), fn(latched, "03:00.0"), &before, &before);
    EXPECT_EQ(l.outcome, Outcome::pass) << l.reason;
    EXPECT_NE(l.reason.find("latched before the run, not counted: 0000:03:00.0 CmpltTO"), std::string::npos) << l.reason;
    // Latched during the measurements, with no counter (firmware-first, or no AER driver): fails.
    AerSnapshot clear = before, set = before;
    clear[b.address].status_read = set[b.address].status_read = true;
    set[b.address].correctable_status = "RxErr";
    const auto during = check_aer(t, a, b, &clear, &set);
    EXPECT_EQ(during.outcome, Outcome::fail);
    EXPECT_NE(during.reason.find("0000:03:00.0: latched RxErr"), std::string::npos) << during.reason;
    EXPECT_NE(during.remedy.find("ECAP_AER+10.l=ffffffff"), std::string::npos);
    EXPECT_EQ(check_aer(dgx2(), fn(dgx2(), "34:00.0"), fn(dgx2(), "36:00.0"), nullptr, nullptr).outcome,
              Outcome::waived);
}

// A report's thresholds are what a thresholds file with them would read
// back as: every key is read and written by the same entry of the check table.
TEST(Thresholds, AReportsThresholdsReadBackAsTheSame) {
    auto t = parse_thresholds(R"({"p2p_class_pairs": ["nvme-gpu"], "p2pdma": {"allowed_verdicts": ["BUS_ADDR"]},
        "map": {"p99_ns_max": 2500, "size_bytes": 8192, "seconds": 0.5},
        "transfer": {"min_fraction_of_ceiling": 0.5, "size_bytes": 8192, "seconds": 1},
        "iommu": {"allowed_domain_types": ["identity"]}, "ats": {"required_classes": ["nic"]},
        "mps_mrrs": {"mrrs_min_bytes": 1024}, "relaxed_ordering": {"required_classes": ["nic"], "forbidden_classes": ["gpu"]},
        "bar": {"gpu_min_bytes": 17179869184, "resizable_at_largest": false}, "numa": {"gpu_nic_worst_path": "PXB"}})",
                              "t.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_FALSE(*t == Thresholds{});
    for (const Thresholds& th : {*t, Thresholds{}}) {
        Report r;
        r.thresholds = th;
        auto doc = nlohmann::json::parse(render_json(r));
        auto written = doc.at("thresholds");
        EXPECT_TRUE(written.at("file").is_null());
        written.erase("file");
        auto back = parse_thresholds(written.dump(), "report");
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, th);
    }
    // The defaults, written, are the shipped file.
    Report defaults;
    auto written = nlohmann::json::parse(render_json(defaults)).at("thresholds");
    written.erase("file");
    std::ifstream shipped(kShipped);
    auto file = nlohmann::json::parse(shipped);
    file.erase("schema");
    EXPECT_EQ(written, file);
}

TEST(Thresholds, FactPoliciesParseAndRefuse) {
    auto t = parse_thresholds(R"({"iommu": {"allowed_domain_types": ["identity"]}, "ats": {"required_classes": ["nic"]},
        "mps_mrrs": {"mrrs_min_bytes": 1024}, "relaxed_ordering": {"required_classes": ["nic"]},
        "bar": {"gpu_min_bytes": 17179869184, "resizable_at_largest": false}, "numa": {"gpu_nic_worst_path": "PXB"}})",
                              "t.json");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->iommu_allowed_domains, std::vector<std::string>{"identity"});
    EXPECT_EQ(t->mrrs_min_bytes, 1024u);
    EXPECT_EQ(t->gpu_bar_min_bytes, 16ull << 30);
    EXPECT_FALSE(t->resizable_bar_at_largest);
    EXPECT_EQ(t->gpu_nic_worst_path, probe::PathClass::PXB);
    for (const char* bad_doc : {R"({"iommu": {"allowed_domain_types": ["pt"]}})", R"({"ats": {"required_classes": ["fpga"]}})",
                                R"({"mps_mrrs": {"mrrs_min_bytes": 384}})", R"({"numa": {"gpu_nic_worst_path": "NEAR"}})",
                                R"({"bar": {"gpu_min_bytes": -1}})", R"({"bar": {"resizable_at_largest": 1}})"}) {
        auto r = parse_thresholds(bad_doc, "t.json");
        EXPECT_FALSE(r.ok()) << bad_doc;
        if (!r.ok()) {
            EXPECT_EQ(r.error().message.rfind("t.json: key ", 0), 0u) << r.error().message;
        }
    }
}
