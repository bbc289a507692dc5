// SPDX-License-Identifier: GPL-2.0-or-later
// The prober against topology data recorded on real servers
// (../shared/fixtures/topology, see its README), with hwloc's and lspci's own
// readings of the same data as the oracle.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <atomic>
#include <thread>
#include <sstream>

#include <hwloc.h>
#include <nlohmann/json.hpp>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"
#include "common/config_bytes.hpp"
#include "common/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace p2pscope::probe;

namespace {

const fs::path kFixtures = P2PSCOPE_FIXTURES;

PciAddress bdf(const std::string& s) { return *PciAddress::parse(s); }

const Topology& dgx2() {
    static const Topology t = [] {
        auto r = load_hwloc_xml((kFixtures / "hwloc-xml/nvidiaDGX2.xml").string());
        EXPECT_TRUE(r.ok()) << r.error().message;
        return *r;
    }();
    return t;
}

const PciFunction& fn_of(const Topology& t, const std::string& a) {
    const PciFunction* f = t.find(bdf(a));
    EXPECT_TRUE(f) << a;
    static const PciFunction none;
    return f ? *f : none;
}

PathClass path(const Topology& t, const std::string& a, const std::string& b) {
    const PciFunction* fa = t.find(bdf(a));
    const PciFunction* fb = t.find(bdf(b));
    EXPECT_TRUE(fa && fb) << a << " " << b;
    return path_class(t, *fa, *fb).path;
}

using p2pscope::test::TempDir;

}  // namespace

TEST(Dgx2, GpuPathClassesFollowTheSwitchTree) {
    const auto& t = dgx2();
    // The pairs the issue names.
    EXPECT_EQ(path(t, "0000:34:00.0", "0000:36:00.0"), PathClass::PIX);
    EXPECT_EQ(path(t, "0000:34:00.0", "0000:39:00.0"), PathClass::PXB);
    EXPECT_EQ(path(t, "0000:34:00.0", "0000:57:00.0"), PathClass::NODE);
    EXPECT_EQ(path(t, "0000:34:00.0", "0000:b7:00.0"), PathClass::SYS);

    // The same pattern for every group of four GPUs: {0,1} and {2,3} share a
    // leaf switch (PIX), the group shares a switch tree (PXB), groups on one
    // package are NODE, across packages SYS.
    const std::vector<std::vector<std::string>> groups = {
        {"0000:34:00.0", "0000:36:00.0", "0000:39:00.0", "0000:3b:00.0"},
        {"0000:57:00.0", "0000:59:00.0", "0000:5c:00.0", "0000:5e:00.0"},
        {"0000:b7:00.0", "0000:b9:00.0", "0000:bc:00.0", "0000:be:00.0"},
        {"0000:e0:00.0", "0000:e2:00.0", "0000:e5:00.0", "0000:e7:00.0"},
    };
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& q = groups[g];
        EXPECT_EQ(path(t, q[0], q[1]), PathClass::PIX) << q[0];
        EXPECT_EQ(path(t, q[2], q[3]), PathClass::PIX) << q[2];
        for (int i : {0, 1})
            for (int j : {2, 3}) EXPECT_EQ(path(t, q[i], q[j]), PathClass::PXB) << q[i] << " " << q[j];
        for (size_t h = g + 1; h < groups.size(); ++h) {
            const PathClass expected = (g / 2 == h / 2) ? PathClass::NODE : PathClass::SYS;
            for (const auto& a : q)
                for (const auto& b : groups[h]) EXPECT_EQ(path(t, a, b), expected) << a << " " << b;
        }
    }
}

TEST(Dgx2, VerdictsSayWhatHwlocXmlLacks) {
    const auto& t = dgx2();
    // Below one switch the kernel reads ACS control registers, which hwloc XML lacks.
    auto same_switch = p2pdma_verdict(t, *t.find(bdf("0000:34:00.0")), *t.find(bdf("0000:36:00.0")));
    EXPECT_EQ(same_switch.verdict, P2pdmaVerdict::unknown);
    EXPECT_NE(same_switch.reason.find("ACS"), std::string::npos);
    // Across host bridges: Skylake-SP root ports 8086:2030 at 00.0 of each root bus are whitelisted.
    auto across = p2pdma_verdict(t, *t.find(bdf("0000:34:00.0")), *t.find(bdf("0000:b7:00.0")));
    EXPECT_EQ(across.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE) << across.reason;
    EXPECT_NE(across.reason.find("8086:2030"), std::string::npos) << across.reason;
}

TEST(Dgx2, SelectsSixteenGpus) {
    const auto& t = dgx2();
    PairSelection s;
    s.classes = {DeviceClass::gpu};
    auto sel = select_functions(t, s);
    ASSERT_TRUE(sel.ok());
    EXPECT_EQ(sel->size(), 16u);
    EXPECT_EQ(analyse_pairs(t, *sel).size(), 120u);
    for (const auto* f : *sel) {
        EXPECT_EQ(f->vendor_id, 0x10de);
        EXPECT_EQ(f->device_id, 0x1db8);
    }
}

TEST(LspciDump, AcsRedirectAtRootPortIsNamed) {
    auto t = load_lspci_dump((kFixtures / "lspci-dump/cap-aer-root").string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    const PciFunction* rp = t->find(bdf("0000:00:02.0"));
    const PciFunction* nic = t->find(bdf("0000:03:00.0"));
    ASSERT_TRUE(rp && nic);
    ASSERT_TRUE(rp->acs);
    // lspci -vvv of the same file: ACSCtl: SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-
    EXPECT_EQ(rp->acs->control, kAcsSourceValidation | kAcsTranslationBlocking | kAcsRequestRedirect |
                                    kAcsCompletionRedirect | kAcsUpstreamForwarding);
    EXPECT_EQ(rp->port_type, PortType::root_port);
    EXPECT_EQ(nic->parent, rp->address);
    auto r = p2pdma_verdict(*t, *nic, *rp);
    EXPECT_NE(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_NE(r.reason.find("0000:00:02.0 (ReqRedir CmpltRedir)"), std::string::npos) << r.reason;
    // With the CPU known to be Intel and the dump lacking 00:00.0, the whitelist remains unknown.
    VerdictOptions intel;
    intel.assume_cpu = Cpu{"GenuineIntel", 6, ""};
    EXPECT_EQ(p2pdma_verdict(*t, *nic, *rp, intel).verdict, P2pdmaVerdict::unknown);
    VerdictOptions zen;
    zen.assume_cpu = Cpu{"AuthenticAMD", 0x19, ""};
    EXPECT_EQ(p2pdma_verdict(*t, *nic, *rp, zen).verdict, P2pdmaVerdict::THRU_HOST_BRIDGE);
}

TEST(LspciDump, LinkAndAcsCapabilitiesMatchLspci) {
    // cap-pcie-1: X58 root port with an ACS capability and every control bit off.
    auto t = load_lspci_dump((kFixtures / "lspci-dump/cap-pcie-1").string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_EQ(t->functions.size(), 1u);
    const auto& f = t->functions[0];
    ASSERT_TRUE(f.acs);
    EXPECT_EQ(f.acs->control, 0);
    EXPECT_NE(f.acs->capability, 0);
    EXPECT_TRUE(f.is_bridge);
}

TEST(LspciDump, WholeMachineTreeHasNf200Switch) {
    auto t = load_lspci_dump((kFixtures / "lspci-dump/tree-asus-p6t6").string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->functions.size(), 53u);
    int nf200 = 0;
    for (const auto& f : t->functions) nf200 += f.vendor_id == 0x10de && f.device_id == 0x05b1;
    EXPECT_GT(nf200, 0);
    // Every function below a bridge points at a bridge that holds its bus.
    for (const auto& f : t->functions) {
        if (!f.parent) continue;
        const PciFunction* p = t->find(*f.parent);
        ASSERT_TRUE(p) << f.address.to_string();
        EXPECT_TRUE(p->is_bridge);
        EXPECT_GE(f.address.bus, *p->secondary_bus);
        EXPECT_LE(f.address.bus, *p->subordinate_bus);
    }
}

namespace {

struct HwlocLine {
    std::string busid, id, cls, parent;  // parent: busid of the enclosing bridge, or "hb:0000:17"
    double link_gbps = 0;
    int package = -1;
};

// Reads hwloc's own expected `lstopo -v` output: PCI objects, their
// enclosing bridge or host bridge (by indentation) and package.
std::vector<HwlocLine> read_lstopo_output(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::vector<std::pair<size_t, std::string>> stack;  // indent, id of open bridge/hostbridge
    std::vector<HwlocLine> out;
    int package = -1;
    const std::regex pkg(R"(^\s*Package L#\d+ \(P#(\d+))");
    const std::regex hb(R"(^(\s*)HostBridge L#\d+ \(buses=([0-9a-f]{4}):\[([0-9a-f]{2})-)");
    const std::regex dev(R"(^(\s*)(PCIBridge|PCI) L#\d+ \(busid=([0-9a-f:.]+) id=([0-9a-f]{4}:[0-9a-f]{4}) class=([0-9a-f]{4})\([^)]*\)(?: link=([0-9.]+)GB/s)?)");
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_search(line, m, pkg)) package = std::stoi(m[1]);
        size_t indent = line.find_first_not_of(' ');
        while (!stack.empty() && stack.back().first >= indent) stack.pop_back();
        if (std::regex_search(line, m, hb)) {
            stack.emplace_back(m[1].length(), "hb:" + m[2].str() + ":" + m[3].str());
        } else if (std::regex_search(line, m, dev)) {
            HwlocLine h;
            h.busid = m[3];
            h.id = m[4];
            h.cls = m[5];
            h.parent = stack.empty() ? "" : stack.back().second;
            h.link_gbps = m[6].matched ? std::stod(m[6]) : 0;
            h.package = package;
            out.push_back(h);
            if (m[2] == "PCIBridge") stack.emplace_back(m[1].length(), h.busid);
        }
    }
    return out;
}

// PCIe payload bandwidth of a link in GB/s, as hwloc computes it (encoding overhead included).
double link_gbps(double gts, int width) {
    const double encoding = gts <= 5.0 ? 8.0 / 10.0 : 128.0 / 130.0;
    return gts * width * encoding / 8.0;
}

// One of hwloc's sysfs tarballs unpacked into DIR and read as a sysfs root.
p2pscope::Result<Topology> load_hwloc_sysfs_fixture(const std::string& name, const TempDir& dir) {
    const std::string cmd = "tar -xjf '" + (kFixtures / "hwloc-sysfs" / (name + ".tar.bz2")).string() + "' -C '" +
                            dir.path.string() + "'";
    if (std::system(cmd.c_str()) != 0)
        return p2pscope::make_error(p2pscope::Errc::system, "cannot unpack " + name);
    return load_sysfs(SysfsOptions{(dir.path / name).string(), ""});
}

}  // namespace

TEST(SysfsTree, DeviceTreeMatchesHwlocsExpectedOutput) {
    TempDir dir;
    const std::string name = "32intel64-2p8co2t+8ve";
    auto t = load_hwloc_sysfs_fixture(name, dir);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const auto expected = read_lstopo_output(kFixtures / "hwloc-sysfs" / (name + ".output"));
    ASSERT_EQ(expected.size(), 28u);  // hwloc: 19 bridges (3 of them host bridges) and 12 devices
    std::set<std::string> listed;
    for (const auto& e : expected) listed.insert(e.busid);
    for (const auto& e : expected) {
        SCOPED_TRACE(e.busid);
        const PciFunction* f = t->find(bdf(e.busid));
        ASSERT_TRUE(f);
        char id[16];
        std::snprintf(id, sizeof id, "%04x:%04x", f->vendor_id, f->device_id);
        EXPECT_EQ(id, e.id);
        char cls[8];
        std::snprintf(cls, sizeof cls, "%04x", f->class_id());
        EXPECT_EQ(cls, e.cls);
        // Our nearest ancestor that hwloc lists is hwloc's parent (hwloc may skip bridges).
        const PciFunction* up = t->upstream_bridge(*f);
        while (up && !listed.count(up->address.to_string())) up = t->upstream_bridge(*up);
        if (e.parent.rfind("hb:", 0) == 0) {
            // hwloc lists no host bridge device; the parent is the host bridge itself.
            if (up == nullptr) EXPECT_EQ("hb:" + f->host_bridge, e.parent);
            else EXPECT_EQ("hb:" + up->host_bridge, e.parent);
            EXPECT_EQ("hb:" + f->host_bridge, e.parent);
        } else {
            ASSERT_TRUE(up);
            EXPECT_EQ(up->address.to_string(), e.parent);
        }
        EXPECT_EQ(f->package.value_or(-1), e.package);
        if (e.link_gbps > 0) {
            ASSERT_TRUE(f->link.speed_gts && f->link.width);
            EXPECT_NEAR(link_gbps(*f->link.speed_gts, *f->link.width), e.link_gbps, 0.01);
        }
    }
    EXPECT_EQ(t->packages, 2);
    EXPECT_EQ(t->numa_nodes, 2);
    ASSERT_TRUE(t->cpu);
    EXPECT_EQ(t->cpu->vendor, "GenuineIntel");
}

TEST(SysfsTree, LaptopSnapshotHasIommuGroups) {
    TempDir dir;
    const std::string cmd = "tar -xzf '" +
                            (kFixtures / "sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz").string() +
                            "' -C '" + dir.path.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto t = load_sysfs(SysfsOptions{dir.path.string(), ""});
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->functions.size(), 23u);
    std::set<int> groups;
    for (const auto& f : t->functions) {
        EXPECT_TRUE(f.iommu_group) << f.address.to_string();
        if (f.iommu_group) groups.insert(*f.iommu_group);
    }
    EXPECT_EQ(groups.size(), 15u);
}

TEST(SysfsTree, HwlocXmlExportRoundTrips) {
    TempDir dir;
    const std::string name = "32intel64-2p8co2t+8ve";
    const std::string cmd = "tar -xjf '" + (kFixtures / "hwloc-sysfs" / (name + ".tar.bz2")).string() + "' -C '" +
                            dir.path.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const auto xml = (dir.path / "export.xml").string();
    auto s = export_hwloc_xml(SysfsOptions{(dir.path / name).string(), ""}, xml);
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto from_xml = load_hwloc_xml(xml);
    ASSERT_TRUE(from_xml.ok()) << from_xml.error().message;
    auto from_sysfs = load_sysfs(SysfsOptions{(dir.path / name).string(), ""});
    ASSERT_TRUE(from_sysfs.ok());
    PairSelection all;
    all.all_classes = true;
    auto a = analyse_pairs(*from_xml, *select_functions(*from_xml, all));
    auto b = analyse_pairs(*from_sysfs, *select_functions(*from_sysfs, all));
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].a, b[i].a);
        EXPECT_EQ(a[i].b, b[i].b);
        EXPECT_EQ(a[i].path.path, b[i].path.path) << a[i].a.to_string() << " " << a[i].b.to_string();
    }
}

TEST(BadInput, ErrorsNameTheFile) {
    TempDir dir;
    auto missing = load_hwloc_xml("/nonexistent/topo.xml");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("/nonexistent/topo.xml"), std::string::npos);

    const auto corrupt = dir.path / "corrupt.xml";
    std::ofstream(corrupt) << "<?xml version=\"1.0\"?>\n<topology version=\"2.0\"><object type=\"Machine\"";
    auto c = load_hwloc_xml(corrupt.string());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find(corrupt.string()), std::string::npos) << c.error().message;

    // A dump cut in the middle of a device's config space.
    std::ifstream src(kFixtures / "lspci-dump/cap-aer-root");
    std::string text((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    const auto cut = dir.path / "truncated";
    const auto at = text.find("\n40: ", text.find("03:00.0 Ethernet controller: Mellanox"));
    ASSERT_NE(at, std::string::npos);
    std::ofstream(cut) << text.substr(0, at + 20);
    auto d = load_lspci_dump(cut.string());
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("truncated"), std::string::npos) << d.error().message;

    auto not_sysfs = load_sysfs(SysfsOptions{dir.path.string(), ""});
    ASSERT_FALSE(not_sysfs.ok());
    EXPECT_NE(not_sysfs.error().message.find(dir.path.string()), std::string::npos);
}

TEST(Dgx2, TwoLevelsOfSwitchesAreFound) {
    const auto& t = dgx2();
    // Each of the four GPU trees: one first-level PLX switch and two second-level ones below it.
    std::map<std::string, const Switch*> by;
    for (const auto& sw : t.switches) by[sw.upstream.to_string()] = &sw;
    ASSERT_TRUE(by.count("0000:2c:00.0"));
    ASSERT_TRUE(by.count("0000:32:00.0"));
    EXPECT_TRUE(by["0000:32:00.0"]->inferred);
    EXPECT_EQ(by["0000:32:00.0"]->downstream.size() >= 2, true);
    // 34:00.0's parent is a downstream port of the 32:00.0 switch.
    const PciFunction* gpu = t.find(bdf("0000:34:00.0"));
    ASSERT_TRUE(gpu && gpu->parent);
    const auto& ds = by["0000:32:00.0"]->downstream;
    EXPECT_NE(std::find(ds.begin(), ds.end(), *gpu->parent), ds.end());
}

TEST(LspciDump, KnownPortTypesNameSwitchesDirectly) {
    auto t = load_lspci_dump((kFixtures / "lspci-dump/tree-asus-p6t6").string());
    ASSERT_TRUE(t.ok());
    // The NF200 (10de:05b1) is a switch: its upstream port heads downstream ports.
    bool found = false;
    for (const auto& sw : t->switches) {
        const PciFunction* up = t->find(sw.upstream);
        if (up && up->vendor_id == 0x10de && up->device_id == 0x05b1) {
            found = true;
            EXPECT_FALSE(sw.inferred);
            EXPECT_GE(sw.downstream.size(), 2u);
        }
    }
    EXPECT_TRUE(found);
}

// The 24- and 96-core Intel servers' on-board ATI ES1000 is their console
// VGA: a management display, never a DMA peer, so not a GPU to pair with the
// NVIDIA cards beside it.
TEST(HwlocXml, ServerConsoleVgaIsNotAGpu) {
    for (const char* name : {"24em64t-2n6c2t-pci.xml", "96em64t-4n4d3ca2co-pci.xml"}) {
        auto t = load_hwloc_xml((kFixtures / "hwloc-xml" / name).string());
        ASSERT_TRUE(t.ok()) << t.error().message;
        const PciFunction* es1000 = t->find(bdf("0000:01:03.0"));
        if (!es1000) es1000 = t->find(bdf("0000:01:00.0"));
        ASSERT_TRUE(es1000) << name;
        EXPECT_EQ(es1000->vendor_id, 0x1002) << name;
        EXPECT_EQ(es1000->device_id, 0x515e) << name;
        EXPECT_TRUE(is_management_display(*es1000)) << name;
        EXPECT_EQ(classify(*es1000), DeviceClass::other) << name;
    }
    auto t = load_hwloc_xml((kFixtures / "hwloc-xml/24em64t-2n6c2t-pci.xml").string());
    ASSERT_TRUE(t.ok());
    int gpus = 0;
    for (const auto& f : t->functions)
        if (is_endpoint(f) && classify(f) == DeviceClass::gpu) {
            ++gpus;
            EXPECT_EQ(f.vendor_id, 0x10de) << f.address.to_string();
        }
    EXPECT_EQ(gpus, 3);
}

// 96em64t's SAS controllers sit below a plain PCI-to-PCI bridge (no port type
// in hwloc XML, no bridge below it): not a switch with no downstream ports.
TEST(HwlocXml, PlainBridgeIsNotASwitch) {
    auto t = load_hwloc_xml((kFixtures / "hwloc-xml/96em64t-4n4d3ca2co-pci.xml").string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_TRUE(t->find(bdf("0000:33:00.0")));
    for (const auto& sw : t->switches) {
        EXPECT_NE(sw.upstream.to_string(), "0000:33:00.0");
        EXPECT_FALSE(sw.inferred && sw.downstream.empty()) << sw.upstream.to_string();
    }
}

// hwloc 1.x XML nests host bridges under NUMANode objects. The DGX-2 written
// in that format by hwloc itself must give every function the NUMA node and
// every pair the path class and verdict that the 2.x file gives.
TEST(HwlocXml, OneXFormatGivesTheSameAnswersAsTwoX) {
    TempDir d;
    const std::string v1 = (d.path / "dgx2-v1.xml").string();
    {
        hwloc_topology_t t = nullptr;
        ASSERT_EQ(hwloc_topology_init(&t), 0);
        hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_ALL);
        ASSERT_EQ(hwloc_topology_set_xml(t, (kFixtures / "hwloc-xml/nvidiaDGX2.xml").c_str()), 0);
        ASSERT_EQ(hwloc_topology_load(t), 0);
        ASSERT_EQ(hwloc_topology_export_xml(t, v1.c_str(), HWLOC_TOPOLOGY_EXPORT_XML_FLAG_V1), 0);
        hwloc_topology_destroy(t);
    }
    std::ifstream in(v1);
    std::string head(200, '\0');
    in.read(head.data(), 200);
    ASSERT_NE(head.find("<topology>"), std::string::npos) << "not 1.x: " << head;
    auto old = load_hwloc_xml(v1);
    ASSERT_TRUE(old.ok()) << old.error().message;
    const auto& now = dgx2();
    ASSERT_EQ(old->functions.size(), now.functions.size());
    for (size_t i = 0; i < now.functions.size(); ++i) {
        const auto& a = old->functions[i];
        const auto* b = now.find(a.address);
        ASSERT_TRUE(b) << a.address.to_string();
    }
    ASSERT_EQ(old->host_bridges.size(), now.host_bridges.size());
    for (size_t i = 0; i < now.host_bridges.size(); ++i) {
        EXPECT_EQ(old->host_bridges[i].numa_node, now.host_bridges[i].numa_node) << i;
        EXPECT_TRUE(old->host_bridges[i].numa_node.has_value()) << i;
        EXPECT_EQ(old->host_bridges[i].package, now.host_bridges[i].package) << i;
    }
    for (const char* a : {"0000:34:00.0", "0000:b7:00.0"})
        for (const char* b : {"0000:36:00.0", "0000:39:00.0", "0000:59:00.0", "0000:e5:00.0"})
            EXPECT_EQ(path(*old, a, b), path(now, a, b)) << a << " " << b;
}

TEST(HwlocXml, NewerFormatIsNamed) {
    TempDir d;
    const std::string v3 = (d.path / "v3.xml").string();
    std::ifstream in(kFixtures / "hwloc-xml/nvidiaDGX2.xml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("version=\"2.0\""), 13, "version=\"3.0\"");
    std::ofstream(v3) << text;
    auto t = load_hwloc_xml(v3);
    ASSERT_FALSE(t.ok());
    // The message names the version of the hwloc library this process runs with.
    const unsigned api = hwloc_get_api_version();
    ASSERT_EQ(api >> 16, 2u) << "this test expects an hwloc 2 library";
    EXPECT_EQ(t.error().message, v3 + ": hwloc XML format 3.0 is newer than this hwloc reads: p2pscope runs with hwloc "
                                      "API version 2." + std::to_string((api >> 8) & 0xff) +
                                      " (hwloc 2.x), which reads formats 1.x to 2.x");
}

// The DGX-2 with one GPU's address given to another (a file edited or merged
// by hand): refused as a dump or text with a device twice is, not read as two
// GPUs of which one is paired with the other.
TEST(HwlocXml, DuplicateAddressIsRefused) {
    TempDir d;
    const std::string dup = (d.path / "dup.xml").string();
    std::ifstream in(kFixtures / "hwloc-xml/nvidiaDGX2.xml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string from = "pci_busid=\"0000:36:00.0\"";
    ASSERT_NE(text.find(from), std::string::npos);
    text.replace(text.find(from), from.size(), "pci_busid=\"0000:34:00.0\"");
    std::ofstream(dup) << text;
    auto t = load_hwloc_xml(dup);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, p2pscope::Errc::bad_input);
    EXPECT_EQ(t.error().message,
              dup + ": device 0000:34:00.0 appears twice (hwloc exports each device once: a file edited or merged by "
                    "hand?)");
}

// Dell R910's sysfs: every function says numa_node -1 except the InfiniBand
// HCA 43:00.0 (node 2), and local_cpus covers the whole machine. Host bridge
// 0000:40 is on the node its functions say; 0000:00's functions say none, so
// it stays unknown, and so do pairs across the two.
TEST(SysfsTree, HostBridgeNodeFromTheFunctionsBelowIt) {
    TempDir dir;
    const std::string name = "40intel64-2g2n4c+pci";
    auto t = load_hwloc_sysfs_fixture(name, dir);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const HostBridge* hb40 = t->find_host_bridge("0000:40");
    const HostBridge* hb00 = t->find_host_bridge("0000:00");
    ASSERT_TRUE(hb40 && hb00);
    EXPECT_EQ(hb40->numa_node, 2);
    EXPECT_FALSE(hb00->numa_node.has_value());
    for (const auto& f : t->functions)
        if (f.host_bridge == "0000:40") {
            EXPECT_EQ(f.numa_node, 2) << f.address.to_string();
        }
    const auto p = path_class(*t, *t->find(bdf("0000:02:00.0")), *t->find(bdf("0000:43:00.0")));
    EXPECT_EQ(p.path, PathClass::unknown);
    EXPECT_NE(p.reason.find("0000:00"), std::string::npos) << p.reason;
}

// A dump with a device twice (two dumps pasted together) or a row twice is
// named as such, not passed silently or called truncated.
TEST(LspciDump, RepeatedDeviceOrRowIsNamed) {
    std::ifstream in(kFixtures / "lspci-dump/cap-aer-root");
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    TempDir d;
    auto write = [&](const std::string& name, const std::vector<std::string>& ls) {
        const std::string p = (d.path / name).string();
        std::ofstream out(p);
        for (const auto& l : ls) out << l << "\n";
        return p;
    };
    // The first device's block (up to its blank line), repeated.
    const auto blank = std::find(lines.begin(), lines.end(), std::string());
    ASSERT_NE(blank, lines.end());
    std::vector<std::string> twice(lines.begin(), blank + 1);
    twice.insert(twice.end(), lines.begin(), lines.end());
    const auto dev = write("device-twice", twice);
    auto t = load_lspci_dump(dev);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find(": device 0000:00:02.0 appears twice (two dumps pasted together?)"),
              std::string::npos)
        << t.error().message;
    // The same device once without its domain and once with it (lspci -D).
    std::vector<std::string> domains(lines.begin(), blank + 1);
    domains[0] = "0000:" + domains[0];
    domains.insert(domains.end(), lines.begin(), lines.end());
    auto both = load_lspci_dump(write("device-twice-with-domain", domains));
    ASSERT_FALSE(both.ok());
    EXPECT_NE(both.error().message.find(": device 0000:00:02.0 appears twice"), std::string::npos)
        << both.error().message;
    // The row at offset 0x10 of the first device, repeated.
    std::vector<std::string> row = lines;
    const auto r10 = std::find_if(row.begin(), row.end(), [](const std::string& l) { return l.rfind("10: ", 0) == 0; });
    ASSERT_NE(r10, row.end());
    row.insert(r10 + 1, *r10);
    auto u = load_lspci_dump(write("row-twice", row));
    ASSERT_FALSE(u.ok());
    EXPECT_NE(u.error().message.find(": device 00:02.0: the row at offset 10 appears twice"), std::string::npos)
        << u.error().message;
}

// The X58 dump without the NF200's upstream port 02:00.0: its downstream
// ports head a tree of their own (not children of root port 00:03.0, whose
// secondary bus is 02). That tree's top is no root bus, and pairs into it say
// what is missing instead of naming an invented host bridge. Without the
// root port too, the top is recognised by its port type.
namespace {

// A dump without one function's block (its header line up to the blank line after it).
std::string without_function(const std::string& dump, const std::string& bdf) {
    std::istringstream in(dump);
    std::string out, l;
    bool skipping = false;
    while (std::getline(in, l)) {
        if (l.rfind(bdf + " ", 0) == 0) skipping = true;
        if (!skipping) out += l + "\n";
        if (skipping && l.empty()) skipping = false;
    }
    return out;
}

// The X58 dump without the NF200's upstream port 02:00.0.
std::string asus_without_nf200_upstream() {
    std::ifstream in(kFixtures / "lspci-dump/tree-asus-p6t6");
    return without_function(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
                            "02:00.0");
}

}  // namespace

TEST(LspciDump, SwitchPortAtTheTopIsNotAHostBridge) {
    const std::string out = asus_without_nf200_upstream();
    TempDir d;
    const std::string path = (d.path / "partial").string();
    std::ofstream(path) << out;
    auto t = load_lspci_dump(path);
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_FALSE(t->find(bdf("0000:02:00.0")));
    const HostBridge* hb = t->find_host_bridge("0000:03");
    ASSERT_TRUE(hb);
    EXPECT_EQ(hb->missing_above,
              "the bridges above bus 0000:03 are not in the input (it lies within the buses of bridge 0000:00:03.0)");
    EXPECT_TRUE(t->find_host_bridge("0000:00")->missing_above.empty());
    const auto p = path_class(*t, fn_of(*t, "0000:04:00.0"), fn_of(*t, "0000:06:00.0"));
    EXPECT_EQ(p.path, PathClass::unknown);
    EXPECT_EQ(p.reason, hb->missing_above);
    const auto v = p2pdma_verdict(*t, fn_of(*t, "0000:04:00.0"), fn_of(*t, "0000:06:00.0"));
    EXPECT_EQ(v.verdict, P2pdmaVerdict::unknown);
    EXPECT_NE(v.reason.find(hb->missing_above), std::string::npos) << v.reason;

    std::ofstream(path) << without_function(out, "00:03.0");
    auto u = load_lspci_dump(path);
    ASSERT_TRUE(u.ok()) << u.error().message;
    ASSERT_TRUE(u->find_host_bridge("0000:03"));
    EXPECT_EQ(u->find_host_bridge("0000:03")->missing_above,
              "the bridges above bus 0000:03 are not in the input (0000:03:00.0 is a switch downstream port, never on "
              "a root bus)");
}

// The same partial dump in the text report: the tree below the missing
// upstream port is counted apart from the host bridges and shows no host
// bridge of its own, and a pair into it says why once, not on its verdict
// and its path lines both.
TEST(LspciDump, TreeWithoutItsTopIsNoHostBridgeInTheReport) {
    TempDir d;
    const std::string path = (d.path / "partial").string();
    std::ofstream(path) << asus_without_nf200_upstream();
    auto t = load_lspci_dump(path);
    ASSERT_TRUE(t.ok()) << t.error().message;
    size_t real = 0;
    for (const auto& hb : t->host_bridges) real += hb.missing_above.empty();
    ASSERT_EQ(real + 1, t->host_bridges.size());
    auto selected = select_functions(*t, *parse_selection({}, {"04:00.0", "06:00.0"}));
    ASSERT_TRUE(selected.ok());
    const auto pairs = analyse_pairs(*t, *selected);
    const std::string text = render_text(Report{*t, *selected, pairs});
    EXPECT_NE(text.find(", host bridges: " + std::to_string(real) +
                        " and 1 tree whose bridge above is missing (bus 0000:03), PCI functions: "),
              std::string::npos)
        << text;
    // The device table's host bridge column: "?" below the missing port, not "0000:03"; the GPU on the whole tree's.
    EXPECT_TRUE(std::regex_search(text, std::regex("\n0000:04:00.0 +\\S+ +\\S+ +\\S+ +\\? "))) << text;
    EXPECT_TRUE(std::regex_search(text, std::regex("\n0000:06:00.0 +\\S+ +\\S+ +\\S+ +0000:00 "))) << text;
    const std::string why = t->find_host_bridge("0000:03")->missing_above;
    size_t said = 0;
    for (size_t at = text.find(why); at != std::string::npos; at = text.find(why, at + 1)) ++said;
    EXPECT_EQ(said, 1u) << text;
    EXPECT_EQ(text.find("    path: "), std::string::npos) << text;
    // The dot graph does not call the tree's top a host bridge either.
    const std::string dot = render_dot(Report{*t, *selected, pairs});
    EXPECT_EQ(dot.find("host bridge 0000:03"), std::string::npos);
}

// Reading a saved sysfs tree never sets HWLOC_FSROOT in this process: other
// threads' getenv would race with it. A thread watches while a tree loads.
TEST(SysfsTree, LoadingATreeLeavesTheEnvironmentAlone) {
    ASSERT_EQ(std::getenv("HWLOC_FSROOT"), nullptr);
    std::atomic<bool> done{false}, seen{false};
    std::thread watcher([&] {
        while (!done)
            if (std::getenv("HWLOC_FSROOT")) seen = true;
    });
    TempDir dir;
    auto t = load_hwloc_sysfs_fixture("32intel64-2p8co2t+8ve", dir);
    done = true;
    watcher.join();
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->packages, 2);  // hwloc read the tree
    EXPECT_FALSE(seen);
}

namespace {

// "Region 0: Memory at ... [size=64G]" lines of `lspci -vv`, per device: (index, bytes).
std::map<std::string, std::vector<std::pair<int, uint64_t>>> lspci_bar_sizes(const std::string& sysfs_bus) {
    std::map<std::string, std::vector<std::pair<int, uint64_t>>> out;
    const std::string cmd = "lspci -D -vv -A linux-sysfs -O sysfs.path='" + sysfs_bus + "' 2>/dev/null";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) return out;
    char line[1024];
    std::string device;
    static const std::regex region(R"(^\tRegion (\d): .*\[size=(\d+)([KMGT]?)\])");
    while (std::fgets(line, sizeof line, pipe)) {
        std::string l(line);
        if (!l.empty() && l[0] != '\t' && l.find(' ') != std::string::npos) device = l.substr(0, l.find(' '));
        std::smatch m;
        if (!std::regex_search(l, m, region)) continue;
        const std::string unit = m[3];
        const int shift = unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : unit == "T" ? 40 : 0;
        out[device].emplace_back(std::stoi(m[1]), std::stoull(m[2]) << shift);
    }
    ::pclose(pipe);
    return out;
}

}  // namespace

TEST(SysfsTree, BarSizesMatchLspci) {
    TempDir dir;
    const std::string name = "32intel64-2p8co2t+8ve";
    auto t = load_hwloc_sysfs_fixture(name, dir);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const auto expected = lspci_bar_sizes((dir.path / name / "sys/bus/pci").string());
    ASSERT_GT(expected.size(), 10u);
    size_t compared = 0;
    for (const auto& f : t->functions) {
        SCOPED_TRACE(f.address.to_string());
        std::vector<std::pair<int, uint64_t>> ours;
        for (const auto& b : f.bars)
            if (b.size_bytes) ours.emplace_back(b.index, *b.size_bytes);
        auto it = expected.find(f.address.to_string());
        EXPECT_EQ(ours, it == expected.end() ? decltype(ours){} : it->second);
        compared += ours.size();
    }
    EXPECT_GT(compared, 30u);
    // The Vector Engines' 64 GiB BAR.
    const PciFunction& ve = fn_of(*t, "0000:1b:00.0");
    EXPECT_EQ(ve.largest_bar_bytes(), 64ull << 30);
}

TEST(SysfsTree, KernelCommandLineAerCountersAndDeviceMemoryAreRead) {
    TempDir dir;
    const std::string name = "32intel64-2p8co2t+8ve";
    ASSERT_TRUE(load_hwloc_sysfs_fixture(name, dir).ok());
    const fs::path dev = fs::canonical(dir.path / name / "sys/bus/pci/devices/0000:1b:00.0");
    // What Linux 4.19+ writes for AER and amdgpu for its memory, added to the saved tree.
    std::ofstream(dev / "aer_dev_correctable") << "RxErr 0\nBadTLP 3\nBadDLLP 1\nRollover 0\nTimeout 0\n"
                                                  "NonFatalErr 0\nCorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR 4\n";
    std::ofstream(dev / "aer_dev_nonfatal") << "Undefined 0\nDLP 0\nSDES 0\nTLP 0\nFCP 0\nCmpltTO 2\nTOTAL_ERR_NONFATAL 2\n";
    std::ofstream(dev / "aer_dev_fatal") << "Undefined 0\nDLP 0\nTOTAL_ERR_FATAL 0\n";
    std::ofstream(dev / "mem_info_vram_total") << (48ull << 30) << "\n";
    std::ofstream(fs::canonical(dir.path / name / "sys/bus/pci/devices/0000:1d:00.0") / "aer_dev_correctable")
        << "RxErr 1\nTOTAL_ERR_COR 1\n";
    std::ofstream(dir.path / name / "proc/cmdline") << "BOOT_IMAGE=/vmlinuz ro iommu=pt pci=noats,config_acs=000000@0000:1a:00.0\n";
    // The tree saved 64 bytes of config space. The two Vector Engines get the
    // whole 4 KiB, with a PCI Express capability and a Resizable BAR
    // capability holding their 64 GiB BAR 0: the first's resizable up to 128
    // GiB (and AER with BadTLP latched), the second's at the largest of 1..64 GiB.
    for (const auto& [bdf, largest_log2] : {std::pair<const char*, unsigned>{"0000:1b:00.0", 17},
                                            std::pair<const char*, unsigned>{"0000:1c:00.0", 16}}) {
        const fs::path config = fs::canonical(dir.path / name / "sys/bus/pci/devices" / bdf) / "config";
        std::vector<uint8_t> c(4096);
        std::ifstream(config, std::ios::binary).read(reinterpret_cast<char*>(c.data()), 64);
        ASSERT_EQ(c[0x34], 0x40);  // the capability list starts at 0x40
        using p2pscope::test::write_u16;
        using p2pscope::test::write_u32;
        c[0x40] = 0x10;  // PCI Express, v2 endpoint, no next capability
        write_u16(c, 0x42, 0x0002);
        unsigned rebar = 0x100;
        if (largest_log2 == 17) {
            write_u32(c, 0x100, 0x0001 | 1u << 16 | 0x140u << 20);  // AER
            write_u32(c, 0x110, 1u << 6);                            // BadTLP
            rebar = 0x140;
        }
        write_u32(c, rebar, 0x0015 | 1u << 16);  // Resizable BAR, the last extended capability
        uint32_t supported = 0;
        for (unsigned n = 10; n <= largest_log2; ++n) supported |= 1u << (n + 4);  // 1 GiB (1 MiB << 10) and up
        write_u32(c, rebar + 4, supported);
        write_u32(c, rebar + 8, 0 | 1 << 5 | 16 << 8);  // BAR 0, one entry, at 64 GiB (1 MiB << 16)
        std::ofstream(config, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(c.data()), 4096);
    }
    auto t = load_sysfs(SysfsOptions{(dir.path / name).string(), ""});
    ASSERT_TRUE(t.ok()) << t.error().message;
    const PciFunction& f = fn_of(*t, "0000:1b:00.0");
    ASSERT_TRUE(f.aer);
    EXPECT_EQ(f.aer->correctable_total, 4u);
    EXPECT_EQ(f.aer->nonfatal_total, 2u);
    EXPECT_EQ(f.aer->fatal_total, 0u);
    const std::vector<std::pair<std::string, uint64_t>> counters{{"BadTLP", 3}, {"BadDLLP", 1}, {"CmpltTO", 2}};
    EXPECT_EQ(f.aer->counters, counters);
    EXPECT_EQ(f.device_memory_bytes, 48ull << 30);
    EXPECT_EQ(f.large_bar(), true);  // 64 GiB BAR over 48 GiB
    EXPECT_FALSE(fn_of(*t, "0000:1c:00.0").aer);
    EXPECT_FALSE(fn_of(*t, "0000:1c:00.0").large_bar());  // memory size unknown
    ASSERT_TRUE(t->cmdline);
    const std::vector<std::string> options{"iommu=pt", "pci=noats", "pci=config_acs=000000@0000:1a:00.0"};
    EXPECT_EQ(t->cmdline->options, options);
    const std::string text = render_text(Report{*t, {&f}, {}});
    // The status registers and Linux's counters side by side.
    EXPECT_NE(text.find("AER BadTLP (since boot: 4 correctable, 2 non-fatal, 0 fatal)"), std::string::npos) << text;
    // Without its status registers (64 bytes of config space), the counters alone.
    const std::string counters_only = render_text(Report{*t, {&fn_of(*t, "0000:1d:00.0")}, {}});
    EXPECT_NE(counters_only.find("AER status ? (since boot: 1 correctable, 0 non-fatal, 0 fatal)"), std::string::npos)
        << counters_only;
    EXPECT_NE(text.find("Kernel command line, P2P options: iommu=pt pci=noats"), std::string::npos);

    // The JSON report carries every one of them with its value (docs/topo-json.md).
    const PciFunction& g = fn_of(*t, "0000:1c:00.0");
    const auto doc = nlohmann::json::parse(render_json(Report{*t, {&f, &g}, {}}));
    EXPECT_EQ(doc["kernel_cmdline"]["options"], nlohmann::json(options));
    std::map<std::string, nlohmann::json> devices;
    for (const auto& d : doc["devices"]) devices[d["bdf"].get<std::string>()] = d;
    const auto& ve0 = devices["0000:1b:00.0"];
    EXPECT_EQ(ve0["aer"]["correctable_total"], 4);
    EXPECT_EQ(ve0["aer"]["nonfatal_total"], 2);
    EXPECT_EQ(ve0["aer"]["fatal_total"], 0);
    EXPECT_EQ(ve0["aer"]["counters"], nlohmann::json({{"BadTLP", 3}, {"BadDLLP", 1}, {"CmpltTO", 2}}));
    EXPECT_EQ(ve0["aer"]["uncorrectable_status"], nlohmann::json::array());
    EXPECT_EQ(ve0["aer"]["correctable_status"], nlohmann::json::array({"BadTLP"}));
    EXPECT_EQ(ve0["device_memory_bytes"], 48ull << 30);
    EXPECT_EQ(ve0["large_bar"], true);
    std::vector<uint64_t> sizes;
    for (unsigned n = 10; n <= 17; ++n) sizes.push_back((1ull << 20) << n);
    EXPECT_EQ(ve0["resizable_bars"],
              nlohmann::json::array({{{"index", 0}, {"current_bytes", 64ull << 30}, {"supported_bytes", sizes}}}));
    EXPECT_EQ(ve0["bar_at_largest_size"], false);  // 64 of up to 128 GiB, though it covers the memory
    const auto& ve1 = devices["0000:1c:00.0"];
    EXPECT_EQ(ve1["resizable_bars"][0]["current_bytes"], 64ull << 30);
    EXPECT_EQ(ve1["bar_at_largest_size"], true);
    // At its largest size, yet whether the BAR covers the memory stays unknown: its driver does not say the size.
    EXPECT_TRUE(ve1["device_memory_bytes"].is_null());
    EXPECT_TRUE(ve1["large_bar"].is_null());
    EXPECT_TRUE(ve1["aer"].is_null());
    // A function without the capability, or whose input lacks the extended space: unknown, not false.
    EXPECT_TRUE(devices["0000:1a:00.0"]["bar_at_largest_size"].is_null());
    const std::string facts = render_text(Report{*t, {&f, &g}, {}});
    EXPECT_NE(facts.find("ReBAR 0: 64G of 1G..128G (below largest)  memory 48G (large BAR)"), std::string::npos)
        << facts;
    EXPECT_NE(facts.find("ReBAR 0: 64G of 1G..64G (largest)"), std::string::npos) << facts;
}

TEST(SysfsTree, FunctionsWithoutVendorFilesAreReadAsFarAsTheyGo) {
    // Saved POWER9 trees hold `class` but no `vendor` or `device`: libpci
    // refuses such a tree whole. The same machine with those files removed
    // must give the same devices, classes and tree.
    TempDir whole_dir, cut_dir;
    const std::string name = "32intel64-2p8co2t+8ve";
    auto whole = load_hwloc_sysfs_fixture(name, whole_dir);
    ASSERT_TRUE(whole.ok());
    ASSERT_TRUE(load_hwloc_sysfs_fixture(name, cut_dir).ok());
    size_t removed = 0;
    for (const auto& entry : fs::directory_iterator(cut_dir.path / name / "sys/bus/pci/devices")) {
        const fs::path dir = fs::canonical(entry.path());
        removed += fs::remove(dir / "vendor") + fs::remove(dir / "device");
    }
    ASSERT_GT(removed, 40u);
    // One function loses its uevent too: its config space still says its ids.
    const fs::path ve = fs::canonical(cut_dir.path / name / "sys/bus/pci/devices/0000:1b:00.0");
    fs::remove(ve / "uevent");
    auto cut = load_sysfs(SysfsOptions{(cut_dir.path / name).string(), ""});
    ASSERT_TRUE(cut.ok()) << cut.error().message;
    ASSERT_EQ(cut->functions.size(), whole->functions.size());
    for (size_t i = 0; i < whole->functions.size(); ++i) {
        const PciFunction& a = whole->functions[i];
        const PciFunction& b = cut->functions[i];
        SCOPED_TRACE(a.address.to_string());
        EXPECT_EQ(b.address, a.address);
        EXPECT_EQ(b.vendor_id, a.vendor_id);
        EXPECT_EQ(b.device_id, a.device_id);
        EXPECT_EQ(b.class_code, a.class_code);
        EXPECT_EQ(b.parent, a.parent);
        EXPECT_EQ(b.numa_node, a.numa_node);
    }
    bool said = false;
    for (const auto& n : cut->notes) said |= n.find("libpci cannot read this tree") != std::string::npos;
    EXPECT_TRUE(said);
}
