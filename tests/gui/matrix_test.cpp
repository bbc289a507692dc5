// SPDX-License-Identifier: GPL-2.0-or-later
// The heat map's cells, legend and hover text for each view.
#include <gtest/gtest.h>

#include "gui_test_data.hpp"
#include "p2pscope/gui/matrix.hpp"

using namespace p2pscope::gui;
namespace td = p2pscope::gui::testdata;

namespace {
const TopologyView& dgx2() {
    static const TopologyView v = *view_from_topo_json(td::dgx2_topology());
    return v;
}
std::vector<MeasurementView> measurements(const std::vector<nlohmann::json>& list) {
    return *read_measurements(nlohmann::json(list));
}
}  // namespace

TEST(Matrix, PathClass) {
    const auto m = build_matrix(dgx2(), {}, MatrixMode::path);
    ASSERT_EQ(m.n, 16u);
    ASSERT_EQ(m.cells.size(), 256u);
    EXPECT_EQ(m.at(0, 0).label, "X");
    EXPECT_EQ(m.at(0, 1).label, "PIX");
    EXPECT_EQ(m.at(0, 1).color, path_color("PIX"));
    EXPECT_EQ(m.at(4, 0).label, "NODE");
    EXPECT_EQ(m.at(15, 0).label, "SYS");
    for (size_t r = 0; r < 16; ++r)
        for (size_t c = 0; c < 16; ++c) EXPECT_EQ(m.at(r, c).label, m.at(c, r).label);
    EXPECT_EQ(m.legend.size(), 6u);
    EXPECT_NE(path_color("PIX"), path_color("SYS"));
}

TEST(Matrix, Verdict) {
    const auto m = build_matrix(dgx2(), {}, MatrixMode::verdict);
    // hwloc XML has no ACS registers: the pairs below a switch are unknown, and say why.
    EXPECT_EQ(m.at(0, 1).label, "?");
    EXPECT_EQ(m.at(0, 1).color, verdict_color("unknown"));
    const std::string why = explain_cell(dgx2(), {}, MatrixMode::verdict, 0, 1);
    EXPECT_NE(why.find("0000:34:00.0  <->  0000:36:00.0"), std::string::npos) << why;
    EXPECT_NE(why.find("P2PDMA (0000:34:00.0 provides memory, 0000:36:00.0 is the client): unknown"), std::string::npos) << why;
    EXPECT_NE(why.find("Why: " + dgx2().pair(0, 1)->reason), std::string::npos) << why;
    EXPECT_NE(why.find("Path: PIX - "), std::string::npos) << why;
    EXPECT_EQ(verdict_color("BUS_ADDR"), path_color("PIX"));
}

TEST(Matrix, MeasuredLatencyIsDirectional) {
    const auto ms = measurements({
        td::map_measurement("a", 1700000000, "0000:34:00.0", "0000:36:00.0", 400),
        td::map_measurement("a", 1700000010, "0000:34:00.0", "0000:36:00.0", 500),  // latest wins
        td::map_measurement("h", 1700000000, "0000:34:00.0", "", 2000),
        td::map_measurement("w", 1700000000, "0000:39:00.0", "0000:34:00.0", 0, "waived", "no published p2pmem"),
    });
    const auto m = build_matrix(dgx2(), ms, MatrixMode::latency);
    EXPECT_TRUE(m.at(0, 1).has_value);
    EXPECT_DOUBLE_EQ(m.at(0, 1).value, 500);
    EXPECT_EQ(m.at(0, 1).label, "500");
    EXPECT_FALSE(m.at(1, 0).has_value);  // 36:00.0 has not mapped 34:00.0's memory
    EXPECT_TRUE(m.at(0, 0).has_value);   // host memory on the diagonal
    EXPECT_EQ(m.at(0, 0).label, "2.0u");
    EXPECT_EQ(m.at(2, 0).label, "W");
    EXPECT_FALSE(m.at(2, 0).has_value);
    EXPECT_DOUBLE_EQ(m.min_value, 500);
    EXPECT_DOUBLE_EQ(m.max_value, 2000);
    EXPECT_EQ(m.at(0, 1).color, ramp(0));
    EXPECT_EQ(m.at(0, 0).color, ramp(1));
    const std::string why = explain_cell(dgx2(), ms, MatrixMode::latency, 0, 1);
    EXPECT_NE(why.find("Map latency of 0000:34:00.0 mapping memory of 0000:36:00.0:"), std::string::npos) << why;
    EXPECT_NE(why.find("map p50 500 ns"), std::string::npos) << why;
    EXPECT_NE(why.find("map p50 400 ns"), std::string::npos) << why;
    const std::string waived = explain_cell(dgx2(), ms, MatrixMode::latency, 2, 0);
    EXPECT_NE(waived.find("waived (no published p2pmem)"), std::string::npos) << waived;
    const std::string none = explain_cell(dgx2(), ms, MatrixMode::latency, 5, 6);
    EXPECT_NE(none.find("no measurement of 0000:59:00.0 mapping memory of 0000:5c:00.0 yet"), std::string::npos) << none;
    const auto empty = build_matrix(dgx2(), {}, MatrixMode::latency);
    EXPECT_NE(empty.note.find("No map measurement yet"), std::string::npos);
}

namespace {
MeasurementView transfer(const std::string& device, const std::string& peer, double finished, double bps,
                         const std::string& status = "ok", const std::string& reason = "") {
    MeasurementView m;
    m.kind = "transfer";
    m.key = "xfer/" + device + "/" + peer + "/" + std::to_string(bps);
    m.finished_unix_s = finished;
    m.status = status;
    m.reason = reason;
    m.device = device;
    m.peer = peer;
    m.memory = "pinned";
    m.size_bytes = 1 << 20;
    if (status == "ok") {
        TransferView t;
        t.engine = "gpu";
        t.direction = peer.empty() ? "h2d" : "peer";
        t.label = "copy";
        t.transfers = 100;
        t.bytes_per_second = bps;
        t.p50_ns = 1000;
        t.p99_ns = 2000;
        t.verified = true;
        m.transfer = t;
    }
    return m;
}
}  // namespace

TEST(Matrix, BandwidthFromTransfers) {
    const std::string d0 = dgx2().devices[static_cast<size_t>(dgx2().matrix[0])].bdf;
    const std::string d1 = dgx2().devices[static_cast<size_t>(dgx2().matrix[1])].bdf;
    const std::string d2 = dgx2().devices[static_cast<size_t>(dgx2().matrix[2])].bdf;
    // A map measurement is no bandwidth; an older run is replaced by the latest; the fastest row of a run shows.
    std::vector<MeasurementView> ms = measurements({td::map_measurement("a", 1700000000, d0, d1, 400)});
    ms.push_back(transfer(d0, d1, 1700000001, 9e9));
    ms.push_back(transfer(d0, d1, 1700000002, 1e9));
    ms.push_back(transfer(d0, d1, 1700000002, 3e9));
    ms.push_back(transfer(d1, "", 1700000003, 12e9));
    ms.push_back(transfer(d2, "", 1700000004, 0, "waived", "the CUDA driver (libcuda.so.1) is not installed"));
    const auto m = build_matrix(dgx2(), ms, MatrixMode::bandwidth);
    EXPECT_TRUE(m.at(0, 1).has_value);
    EXPECT_DOUBLE_EQ(m.at(0, 1).value, 3e9);
    EXPECT_EQ(m.at(0, 1).label, "3.0G");
    EXPECT_DOUBLE_EQ(m.at(1, 1).value, 12e9);
    EXPECT_EQ(m.at(1, 1).color, ramp(1));
    EXPECT_EQ(m.at(0, 1).color, ramp(0));
    EXPECT_FALSE(m.at(1, 0).has_value);
    EXPECT_EQ(m.at(2, 2).label, "W");
    EXPECT_DOUBLE_EQ(m.min_value, 3e9);
    EXPECT_DOUBLE_EQ(m.max_value, 12e9);
    EXPECT_NE(m.note.find("latest transfer run"), std::string::npos) << m.note;
    const std::string why = explain_cell(dgx2(), ms, MatrixMode::bandwidth, 0, 1);
    EXPECT_NE(why.find("Transfers of " + d0 + " with " + d1 + ":"), std::string::npos) << why;
    EXPECT_NE(why.find("3.00 GB/s, p50 1000 ns, p99 2000 ns, verified"), std::string::npos) << why;
    const std::string waived = explain_cell(dgx2(), ms, MatrixMode::bandwidth, 2, 2);
    EXPECT_NE(waived.find("waived (the CUDA driver (libcuda.so.1) is not installed)"), std::string::npos) << waived;
    const auto empty = build_matrix(dgx2(), measurements({td::map_measurement("a", 1700000000, d0, d1, 400)}),
                                    MatrixMode::bandwidth);
    for (const auto& c : empty.cells) EXPECT_FALSE(c.has_value);
    EXPECT_EQ(empty.note, kNoTransferYet);
}

TEST(Matrix, Modes) {
    for (auto mode : {MatrixMode::path, MatrixMode::verdict, MatrixMode::latency, MatrixMode::bandwidth})
        EXPECT_EQ(parse_matrix_mode(to_string(mode)), mode);
    EXPECT_FALSE(parse_matrix_mode("heat").has_value());
    EXPECT_EQ(ramp(-1), ramp(0));
    EXPECT_EQ(ramp(2), ramp(1));
    EXPECT_EQ(text_color_on({255, 255, 255}).r, 16);
    EXPECT_EQ(text_color_on({0, 0, 0}).r, 240);
    EXPECT_TRUE(explain_cell(dgx2(), {}, MatrixMode::path, 99, 0).empty());
}
