// SPDX-License-Identifier: GPL-2.0-or-later
// Ring buffers as ImGui::PlotLines reads them, and the latency series.
#include <gtest/gtest.h>

#include "p2pscope/gui/series.hpp"

using namespace p2pscope::gui;

namespace {
MeasurementView map(const std::string& key, double finished, double p50, const std::string& status = "ok") {
    MeasurementView m;
    m.kind = "map";
    m.key = key;
    m.finished_unix_s = finished;
    m.status = status;
    m.device = "0000:34:00.0";
    m.peer = "0000:36:00.0";
    m.api = "map_single";
    m.memory = "p2pmem";
    m.size_bytes = 4096;
    if (status == "ok") m.map = LatencyView{100, p50 / 2, p50, p50 * 1.1, p50 * 1.5, p50 * 2, p50 * 3, p50};
    return m;
}
}  // namespace

TEST(Ring, KeepsTheNewestInPlotLinesOrder) {
    Ring<float> r(4);
    EXPECT_TRUE(r.empty());
    for (int i = 1; i <= 3; ++i) r.push(static_cast<float>(i));
    EXPECT_EQ(r.size(), 3u);
    EXPECT_EQ(r.offset(), 0u);
    EXPECT_EQ(r.values(), (std::vector<float>{1, 2, 3}));
    for (int i = 4; i <= 10; ++i) r.push(static_cast<float>(i));
    EXPECT_EQ(r.size(), 4u);
    EXPECT_EQ(r.values(), (std::vector<float>{7, 8, 9, 10}));
    EXPECT_EQ(r.back(), 10.0f);
    // What PlotLines does with (values, count, offset): values[(offset + i) % count].
    std::vector<float> plotted;
    for (size_t i = 0; i < r.size(); ++i) plotted.push_back(r.data()[(r.offset() + i) % r.size()]);
    EXPECT_EQ(plotted, r.values());
}

TEST(Series, AppendsEachNewResultOnce) {
    SeriesSet set(8);
    EXPECT_TRUE(set.add(map("k", 100, 400)));
    EXPECT_FALSE(set.add(map("k", 100, 400)));  // the daemon serves it again
    EXPECT_FALSE(set.add(map("k", 99, 380)));   // older
    EXPECT_TRUE(set.add(map("k", 100, 410)));   // same second, a new result
    EXPECT_TRUE(set.add(map("k", 101, 420)));
    EXPECT_FALSE(set.add(map("k", 102, 0, "waived")));
    EXPECT_FALSE(set.add(map("k", 103, 0, "failed")));
    MeasurementView transfer = map("t", 104, 1);
    transfer.kind = "transfer";
    EXPECT_FALSE(set.add(transfer));
    const LatencySeries* s = set.find("k");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->samples, 3u);
    EXPECT_EQ(s->p50_ns.values(), (std::vector<float>{400, 410, 420}));
    EXPECT_EQ(s->label, "map_single p2pmem 4 KiB");
    EXPECT_FLOAT_EQ(s->min_value(), 400);
    EXPECT_FLOAT_EQ(s->max_value(), 840);  // p99.9 = 2 x p50
    EXPECT_EQ(set.size(), 1u);
    for (int i = 0; i < 20; ++i) set.add(map("k", 200 + i, 500 + i));
    EXPECT_EQ(s->p50_ns.size(), 8u);  // the ring's capacity
    EXPECT_EQ(s->samples, 23u);
    EXPECT_EQ(s->p50_ns.back(), 519.0f);
}

TEST(Series, ByPair) {
    SeriesSet set;
    set.add(map("a", 1, 100));
    auto other = map("b", 2, 200);
    other.peer.clear();
    set.add(other);
    auto third = map("c", 3, 300);
    set.add(third);
    const auto pair = set.for_pair("0000:34:00.0", "0000:36:00.0");
    ASSERT_EQ(pair.size(), 2u);
    EXPECT_EQ(pair[0]->key, "c");  // newest first
    EXPECT_EQ(set.for_pair("0000:34:00.0", "").size(), 1u);
    EXPECT_TRUE(set.for_pair("0000:36:00.0", "").empty());
}
