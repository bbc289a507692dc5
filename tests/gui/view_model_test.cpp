// SPDX-License-Identifier: GPL-2.0-or-later
// The GUI's view model without a window: built from the prober's model and
// read back from `p2pscope topo --format json` it must be the same, on every
// recorded machine; the tree must hold every function once; a corrupt
// document fails with the key that is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "p2pscope/gui/synthetic.hpp"
#include "p2pscope/gui/view_model.hpp"
#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"

namespace fs = std::filesystem;
using namespace p2pscope;
using namespace p2pscope::gui;

namespace {

const fs::path kFixtures = P2PSCOPE_FIXTURES;

probe::Topology load(const fs::path& file) {
    auto t = file.extension() == ".xml" ? probe::load_hwloc_xml(file.string()) : probe::load_lspci_dump(file.string());
    EXPECT_TRUE(t.ok()) << file << ": " << (t ? "" : t.error().message);
    return t ? *t : probe::Topology{};
}

std::string topo_json(const probe::Topology& t, const probe::PairSelection& sel) {
    auto selected = probe::select_functions(t, sel);
    EXPECT_TRUE(selected.ok());
    const auto pairs = probe::analyse_pairs(t, *selected);
    return probe::render_json(probe::Report{t, *selected, pairs});
}

const TopologyView& dgx2() {
    static const TopologyView v = [] {
        auto r = analyse_topology(load(kFixtures / "hwloc-xml/nvidiaDGX2.xml"), {});
        EXPECT_TRUE(r.ok());
        return *r;
    }();
    return v;
}

std::vector<fs::path> fixtures() {
    std::vector<fs::path> out;
    for (const char* dir : {"hwloc-xml", "lspci-dump"})
        for (const auto& e : fs::directory_iterator(kFixtures / dir))
            if (e.path().filename() != "COPYING") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

// Every function reached from the host bridges (and the orphans), each once.
std::multiset<int> tree_members(const TopologyView& v) {
    std::multiset<int> seen;
    std::function<void(int)> walk = [&](int d) {
        seen.insert(d);
        for (int c : v.devices[static_cast<size_t>(d)].children) walk(c);
    };
    for (const auto& g : v.groups)
        for (int hb : g.host_bridges)
            for (int r : v.host_bridges[static_cast<size_t>(hb)].roots) walk(r);
    for (int o : v.orphans) walk(o);
    return seen;
}

}  // namespace

TEST(ViewModel, ProbeAndJsonGiveTheSameViewOnEveryFixture) {
    const auto files = fixtures();
    ASSERT_GE(files.size(), 8u);
    for (const auto& file : files) {
        const probe::Topology t = load(file);
        for (bool all : {false, true}) {
            probe::PairSelection sel;
            sel.all_classes = all;
            auto direct = analyse_topology(t, sel);
            ASSERT_TRUE(direct.ok()) << file;
            auto read = parse_topo_json(topo_json(t, sel));
            ASSERT_TRUE(read.ok()) << file << ": " << read.error().message;
            EXPECT_EQ(direct->devices.size(), read->devices.size()) << file;
            EXPECT_EQ(direct->matrix, read->matrix) << file;
            for (size_t i = 0; i < direct->devices.size() && i < read->devices.size(); ++i)
                EXPECT_EQ(direct->devices[i], read->devices[i]) << file << " " << direct->devices[i].bdf;
            EXPECT_EQ(direct->pairs, read->pairs) << file;
            EXPECT_TRUE(*direct == *read) << file;
        }
    }
}

TEST(ViewModel, EveryFunctionIsInTheTreeOnce) {
    for (const auto& file : fixtures()) {
        auto v = analyse_topology(load(file), {});
        ASSERT_TRUE(v.ok());
        const auto seen = tree_members(*v);
        EXPECT_EQ(seen.size(), v->devices.size()) << file;
        EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), v->devices.size()) << file;
    }
}

TEST(ViewModel, Dgx2Tree) {
    const TopologyView& v = dgx2();
    EXPECT_EQ(v.devices.size(), 84u);
    EXPECT_EQ(v.host_bridges.size(), 4u);
    EXPECT_EQ(v.switches.size(), 14u);
    ASSERT_EQ(v.groups.size(), 2u);
    EXPECT_EQ(v.groups[0].label(), "Package 0 / NUMA node 0");
    EXPECT_EQ(v.groups[1].label(), "Package 1 / NUMA node 1");
    EXPECT_EQ(v.groups[0].host_bridges.size(), 2u);
    ASSERT_EQ(v.matrix.size(), 16u);
    EXPECT_EQ(v.pairs.size(), 120u);
    for (const auto& p : v.pairs) EXPECT_TRUE(p.present);

    const int gpu = v.find("0000:34:00.0");
    ASSERT_GE(gpu, 0);
    const DeviceView& d = v.devices[static_cast<size_t>(gpu)];
    EXPECT_EQ(d.kind, "gpu");
    EXPECT_EQ(d.role, Role::endpoint);
    EXPECT_EQ(d.matrix_index, 0);
    EXPECT_EQ(d.short_bdf(), "34:00.0");
    EXPECT_EQ(d.short_title(), "GV100GL [Tesla V100 SXM3 32GB]");
    EXPECT_EQ(d.link_text(), "15.75GB/s");
    EXPECT_FALSE(d.link.degraded.has_value());  // hwloc XML has no link capabilities
    std::vector<std::string> chain;
    for (int i : v.upstream_chain(gpu)) chain.push_back(v.devices[static_cast<size_t>(i)].short_bdf());
    EXPECT_EQ(chain, (std::vector<std::string>{"34:00.0", "33:00.0", "32:00.0", "2d:04.0", "2c:00.0", "2b:00.0"}));
    EXPECT_EQ(v.devices[static_cast<size_t>(v.find("0000:2b:00.0"))].role, Role::root_port);
    EXPECT_EQ(v.devices[static_cast<size_t>(v.find("0000:2c:00.0"))].role, Role::switch_upstream);
    EXPECT_EQ(v.devices[static_cast<size_t>(v.find("0000:2d:04.0"))].role, Role::switch_downstream);

    // nvidia-smi's legend, as `p2pscope topo` prints it for this machine.
    EXPECT_EQ(v.pair(0, 1)->path, "PIX");
    EXPECT_EQ(v.pair(1, 0)->path, "PIX");
    EXPECT_EQ(v.pair(0, 2)->path, "PXB");
    EXPECT_EQ(v.pair(0, 4)->path, "NODE");
    EXPECT_EQ(v.pair(0, 8)->path, "SYS");
    EXPECT_EQ(v.pair(0, 0), nullptr);
    EXPECT_EQ(v.pair(0, 16), nullptr);
    EXPECT_FALSE(v.pair(0, 1)->reason.empty());
    EXPECT_EQ(v.notes.size(), 2u);
}

TEST(ViewModel, LspciDumpCarriesAcsAndLinks) {
    auto v = analyse_topology(load(kFixtures / "lspci-dump/cap-aer-root"), {{}, true, {}});
    ASSERT_TRUE(v.ok());
    const int rp = v->find("0000:00:02.0");
    ASSERT_GE(rp, 0);
    const DeviceView& d = v->devices[static_cast<size_t>(rp)];
    ASSERT_TRUE(d.acs.has_value());
    EXPECT_TRUE(d.acs->redirect);
    EXPECT_NE(d.acs->control_bits.find("ReqRedir"), std::string::npos);
    EXPECT_TRUE(d.acs_known);
}

TEST(ViewModel, SyntheticServerFor256Devices) {
    const probe::Topology t = make_synthetic_topology(256);
    auto v = analyse_topology(t, {});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->matrix.size(), 256u);
    EXPECT_EQ(v->pairs.size(), 256u * 255 / 2);
    EXPECT_EQ(v->host_bridges.size(), 16u);
    EXPECT_EQ(v->groups.size(), 4u);
    EXPECT_GT(v->degraded_links, 0);
    EXPECT_EQ(tree_members(*v).size(), v->devices.size());
    std::set<std::string> verdicts, paths;
    for (const auto& p : v->pairs) {
        verdicts.insert(p.verdict);
        paths.insert(p.path);
    }
    EXPECT_TRUE(verdicts.count("BUS_ADDR")) << "no pair below a switch without ACS redirection";
    EXPECT_GE(verdicts.size(), 2u);
    EXPECT_TRUE(paths.count("PIX") && paths.count("PXB") && paths.count("PHB") && paths.count("NODE") && paths.count("SYS"));
    EXPECT_EQ(v->source, "synthetic:256-endpoints");
}

TEST(ViewModel, JsonErrorsNameTheKey) {
    const std::string good = topo_json(load(kFixtures / "hwloc-xml/nvidiaDGX2.xml"), {});
    auto doc = nlohmann::json::parse(good);

    auto expect_error = [](const nlohmann::json& d, const std::string& start) {
        auto r = view_from_topo_json(d);
        ASSERT_FALSE(r.ok()) << start;
        EXPECT_EQ(r.error().code, Errc::bad_input);
        EXPECT_EQ(r.error().message.rfind(start, 0), 0u) << r.error().message;
    };
    {
        auto d = doc;
        d["schema"] = "p2pscope.topo/2";
        expect_error(d, "schema: 'p2pscope.topo/2' is not p2pscope.topo/1");
    }
    {
        auto d = doc;
        d["devices"][3]["link"]["width"] = "x16";
        expect_error(d, "devices[3].link.width: expected an integer");
    }
    {
        auto d = doc;
        d["devices"][0].erase("bdf");
        expect_error(d, "devices[0].bdf: missing");
    }
    {
        auto d = doc;
        d["devices"][1]["bdf"] = "zz:00.0";
        expect_error(d, "devices[1].bdf: 'zz:00.0' is not a PCI address");
    }
    {
        auto d = doc;
        d["pairs"][0]["a"] = "0000:99:00.0";
        expect_error(d, "pairs[0].a: 0000:99:00.0 is not in devices[]");
    }
    {
        auto d = doc;
        d.erase("devices");
        expect_error(d, "devices: missing");
    }
    {
        auto d = doc;
        d["devices"][5]["acs"] = {{"capability", "zz"}, {"control", "0000"}, {"control_bits", ""}, {"redirect", false}};
        expect_error(d, "devices[5].acs.capability: 'zz' is not 4 hex digits");
    }
    auto text = parse_topo_json("{\"schema\": ");
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.error().message.rfind("not valid JSON: parse error at line 1", 0), 0u) << text.error().message;
}

TEST(ViewModel, CorruptParentsDoNotLoop) {
    TopologyView v;
    v.host_bridges.push_back({"0000:00", 0, 0, {}});
    DeviceView a, b;
    a.bdf = "0000:01:00.0";
    a.parent = "0000:02:00.0";
    a.host_bridge = "0000:00";
    b.bdf = "0000:02:00.0";
    b.parent = "0000:01:00.0";
    b.host_bridge = "0000:00";
    v.devices = {a, b};
    finish(v);
    EXPECT_EQ(tree_members(v).size(), 2u);
    EXPECT_LE(v.upstream_chain(0).size(), 2u);
}

TEST(ViewModel, UnknownNamesAndLinks) {
    DeviceView d;
    d.bdf = "0001:02:03.4";
    d.kind = "nvme";
    d.vendor_id = "144d";
    d.device_id = "a808";
    EXPECT_EQ(d.title(), "unknown nvme 144d:a808");
    EXPECT_EQ(d.short_bdf(), "0001:02:03.4");
    EXPECT_EQ(d.link_text(), "-");
    d.link.speed_gts = 8.0;
    d.link.width = 8;
    d.link.max_speed_gts = 16.0;
    d.link.max_width = 16;
    EXPECT_EQ(d.link_text(), "8GT/s x8 (max 16GT/s x16)");
}
