// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped's snapshot (p2pscope.snapshot/1) read into the view model and
// measurement records, and the errors a bad document gives.
#include <gtest/gtest.h>

#include "gui_test_data.hpp"
#include "p2pscope/gui/snapshot.hpp"

using namespace p2pscope;
using namespace p2pscope::gui;
namespace td = p2pscope::gui::testdata;

TEST(Snapshot, ReadsTopologyAndMeasurements) {
    auto doc = td::snapshot({td::map_measurement("a", 1700000000, "0000:34:00.0", "0000:36:00.0", 410),
                             td::map_measurement("b", 1700000001, "0000:34:00.0", "", 0, "waived",
                                                 "no published p2pmem"),
                             {{"kind", "transfer"}, {"key", "t"}, {"finished_unix_s", 1700000002}, {"status", "ok"}}});
    auto s = parse_snapshot_json(doc.dump());
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->generated_unix_s, 1700000100);
    auto direct = view_from_topo_json(td::dgx2_topology());
    ASSERT_TRUE(direct.ok());
    EXPECT_TRUE(s->topology == *direct);
    ASSERT_EQ(s->measurements.size(), 3u);
    const MeasurementView& m = s->measurements[0];
    EXPECT_EQ(m.kind, "map");
    EXPECT_EQ(m.key, "a");
    EXPECT_TRUE(m.ok());
    EXPECT_EQ(m.device, "0000:34:00.0");
    EXPECT_EQ(m.peer, "0000:36:00.0");
    EXPECT_EQ(m.config_label(), "map_single p2pmem 4 KiB");
    ASSERT_TRUE(m.map.has_value());
    EXPECT_DOUBLE_EQ(m.map->p50_ns, 410);
    EXPECT_DOUBLE_EQ(m.map->p999_ns, 820);
    EXPECT_EQ(m.map->count, 1000u);
    EXPECT_DOUBLE_EQ(m.unmap->p50_ns, 205);
    EXPECT_FALSE(s->measurements[1].ok());
    EXPECT_EQ(s->measurements[1].reason, "no published p2pmem");
    EXPECT_EQ(s->measurements[1].peer, "");
    EXPECT_FALSE(s->measurements[1].map.has_value());
    EXPECT_EQ(s->measurements[2].kind, "transfer");  // listed, not understood: no figures made up
    EXPECT_FALSE(s->measurements[2].map.has_value());
}

TEST(Snapshot, ErrorsNameTheKey) {
    auto check = [](const nlohmann::json& doc, const std::string& start) {
        auto s = parse_snapshot_json(doc.dump());
        ASSERT_FALSE(s.ok()) << start;
        EXPECT_EQ(s.error().code, Errc::bad_input);
        EXPECT_EQ(s.error().message.rfind(start, 0), 0u) << s.error().message;
    };
    auto doc = td::snapshot({td::map_measurement("a", 1700000000, "0000:34:00.0", "", 300)});
    {
        auto d = doc;
        d["schema"] = "p2pscope.topo/1";
        check(d, "schema: 'p2pscope.topo/1' is not p2pscope.snapshot/1");
    }
    {
        auto d = doc;
        d["measurements"][0]["map"]["p50_ns"] = "fast";
        check(d, "measurements[0].map.p50_ns: expected a number");
    }
    {
        auto d = doc;
        d["measurements"][0].erase("key");
        check(d, "measurements[0].key: missing");
    }
    {
        auto d = doc;
        d["measurements"][0]["finished_unix_s"] = -5;
        check(d, "measurements[0].finished_unix_s: must be a finite number >= 0");
    }
    {
        auto d = doc;
        d["topology"]["devices"][2]["selected"] = "yes";
        check(d, "topology.devices[2].selected: expected true or false");
    }
    {
        auto d = doc;
        d.erase("topology");
        check(d, "topology: missing");
    }
    {
        auto d = doc;
        d["measurements"] = 3;
        check(d, "measurements: expected an array");
    }
    auto bad = parse_snapshot_json("<html>not found</html>");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind("not valid JSON", 0), 0u);
}

TEST(Snapshot, SavedFilesMayBeEitherSchema) {
    auto topo = parse_saved_json(td::dgx2_topology().dump());
    ASSERT_TRUE(topo.ok()) << topo.error().message;
    EXPECT_EQ(topo->topology.matrix.size(), 16u);
    EXPECT_TRUE(topo->measurements.empty());
    auto snap = parse_saved_json(td::snapshot({}).dump());
    ASSERT_TRUE(snap.ok());
    auto other = parse_saved_json(R"({"schema": "something/1"})");
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error().message.rfind("neither a p2pscope.topo/1 nor a p2pscope.snapshot/1 document", 0), 0u)
        << other.error().message;
}

TEST(Snapshot, Formats) {
    EXPECT_EQ(format_bytes(4096), "4 KiB");
    EXPECT_EQ(format_bytes(2u << 20), "2 MiB");
    EXPECT_EQ(format_bytes(3000), "3000 B");
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_ns(412), "412 ns");
    EXPECT_EQ(format_ns(12345), "12.3 us");
    EXPECT_EQ(format_ns(12'000'000), "12.00 ms");
}
