// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped's snapshot (p2pscope.snapshot/1) read into the view model and
// measurement records, and the errors a bad document gives. Transfer entries
// are made by p2pscoped's own code (exporter::run_measurement with xfer's real
// cpu engine on a file, exporter::snapshot_entry, render_snapshot_json) and
// must feed the bandwidth series and the pair matrix as in-process runs do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gui_test_data.hpp"
#include "p2pscope/exporter/measurement.hpp"
#include "p2pscope/exporter/record.hpp"
#include "p2pscope/exporter/snapshot.hpp"
#include "p2pscope/exporter/topology_view.hpp"
#include "p2pscope/exporter/transfer.hpp"
#include "p2pscope/gui/matrix.hpp"
#include "p2pscope/gui/series.hpp"
#include "p2pscope/gui/snapshot.hpp"
#include "p2pscope/xfer/json.hpp"

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
    EXPECT_EQ(s->measurements[2].kind, "transfer");  // a run without results[]: listed, no figures made up
    EXPECT_EQ(s->measurements[2].key, "t/-");
    EXPECT_FALSE(s->measurements[2].map.has_value());
    EXPECT_FALSE(s->measurements[2].transfer.has_value());
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

// ---- transfers as p2pscoped serves them ----

namespace {

const std::string kDgx2Xml = std::string(P2PSCOPE_FIXTURES) + "/hwloc-xml/nvidiaDGX2.xml";

// A regular file of zero bytes in a private directory, removed afterwards.
class TempFile {
public:
    explicit TempFile(size_t bytes) {
        char tmpl[] = "/tmp/p2pscope-gui-snap.XXXXXX";
        const char* d = mkdtemp(tmpl);
        EXPECT_NE(d, nullptr);
        dir_ = d ? d : "/tmp";
        path_ = dir_ + "/data";
        std::ofstream out(path_, std::ios::binary);
        out << std::string(bytes, '\0');
    }
    ~TempFile() {
        std::remove(path_.c_str());
        rmdir(dir_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string dir_, path_;
};

// /snapshot.json as p2pscoped renders it, over the DGX-2 fixture's topology.
std::string daemon_snapshot(const std::vector<exporter::MeasurementRecord>& records) {
    exporter::TopologyInput in;
    in.source.hwloc_xml = kDgx2Xml;
    auto topo = exporter::load_topology(in);
    EXPECT_TRUE(topo.ok()) << topo.error().message;
    exporter::Snapshot snap;
    snap.generated_unix_s = 1700000100;
    snap.topology = *topo;
    for (const auto& r : records) snap.measurements.push_back(std::make_shared<const exporter::MeasurementRecord>(r));
    return exporter::render_snapshot_json(snap);
}

// A transfer record with the given rows, shaped as run_transfer() shapes it
// (request fields flat, engine, path, results[] through xfer's serializers).
exporter::MeasurementRecord transfer_record(const std::string& key, double finished, const std::string& device,
                                            const std::string& peer, std::vector<xfer::Measurement> rows,
                                            exporter::Outcome status = exporter::Outcome::ok,
                                            const std::string& reason = "") {
    xfer::Request q;
    q.engine = "gpu";
    q.device = *probe::PciAddress::parse(device);
    if (!peer.empty()) q.peer = *probe::PciAddress::parse(peer);
    q.memory = "pinned";
    q.direction = "peer";
    q.size = 1 << 20;
    exporter::MeasurementRecord r;
    r.key = key;
    r.kind = exporter::MeasurementKind::transfer;
    r.started_unix_s = finished - 1;
    r.finished_unix_s = finished;
    r.duration_s = 1;
    r.status = status;
    r.reason = reason;
    r.result = xfer::request_json(q);
    r.result["engine"] = q.engine;
    r.result["path"] = rows.empty() ? nlohmann::json(nullptr) : xfer::path_json(xfer::PathInfo{});
    r.result["results"] = nlohmann::json::array();
    for (const auto& m : rows) r.result["results"].push_back(xfer::measurement_json(m, std::nullopt));
    return r;
}

xfer::Measurement row(const std::string& label, double bps, const std::string& status = "ok") {
    xfer::Measurement m;
    m.label = label;
    if (status != "ok") {
        const auto colon = status.find(": ");
        m.stop(xfer::row_status_of(status), status.substr(colon + 2));
    }
    m.transfer_bytes = 1 << 20;
    m.transfers = status == "ok" ? 100 : 0;
    m.seconds = status == "ok" ? 100.0 * (1 << 20) / bps : 0;
    m.bytes_per_second = status == "ok" ? bps : 0;
    if (status == "ok") {
        m.latency = {bps / 1e7, bps / 1e6, bps / 5e5, bps / 2e5, bps / 1e5, bps / 8e5};
        m.verified = true;
    }
    return m;
}

std::vector<MeasurementView> read(const std::string& text) {
    auto s = parse_snapshot_json(text);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? s->measurements : std::vector<MeasurementView>{};
}

size_t add_all(SeriesSet& set, const std::vector<MeasurementView>& ms) {
    size_t added = 0;
    for (const auto& m : ms) added += set.add(m);
    return added;
}

}  // namespace

// xfer's real cpu engine on a regular file, run by p2pscoped's own
// run_measurement and rendered by its render_snapshot_json: one view per row
// with its figures, one bandwidth point per run, none for a repeated snapshot.
TEST(Snapshot, DaemonTransferRunsFeedTheBandwidthSeries) {
    TempFile file(1 << 20);
    exporter::MeasurementSpec spec;
    spec.key = "xfer-file";
    spec.kind = exporter::MeasurementKind::transfer;
    spec.engine = "cpu";
    spec.transfer.file = file.path();
    spec.transfer.memory = "file";
    spec.transfer.direction = "write";  // writes a pattern, reads it back: verified
    spec.transfer.widths = {"8", "memcpy"};
    spec.transfer.size = 65536;
    spec.transfer.seconds = 0.05;
    exporter::TopologyInput in;
    in.source.hwloc_xml = kDgx2Xml;
    const exporter::TransferEngines engines = exporter::builtin_transfer_engines();
    const exporter::RunContext ctx{in, "/dev/p2pscope", engines, {}};
    const exporter::MeasurementRecord first = exporter::run_measurement(spec, ctx).record;
    ASSERT_EQ(first.status, exporter::Outcome::ok) << first.reason;

    const std::string text = daemon_snapshot({first});
    const auto ms = read(text);
    ASSERT_EQ(ms.size(), 2u);
    for (const auto& m : ms) {
        EXPECT_EQ(m.kind, "transfer");
        EXPECT_TRUE(m.ok()) << m.status << ": " << m.reason;
        EXPECT_DOUBLE_EQ(m.finished_unix_s, first.finished_unix_s);
        EXPECT_EQ(m.device, "");  // a file: no PCI device
        EXPECT_EQ(m.memory, "file");
        EXPECT_EQ(m.size_bytes, 65536u);
        ASSERT_TRUE(m.transfer.has_value());
        EXPECT_EQ(m.transfer->engine, "cpu");
        EXPECT_EQ(m.transfer->direction, "write");
        EXPECT_GT(m.transfer->transfers, 0u);
        EXPECT_GT(m.transfer->bytes_per_second, 0);
        EXPECT_GT(m.transfer->p50_ns, 0);
        EXPECT_GE(m.transfer->p99_ns, m.transfer->p50_ns);
        EXPECT_EQ(m.transfer->verified, std::optional<bool>(true));
    }
    EXPECT_EQ(ms[0].key, "xfer-file/8-byte");
    EXPECT_EQ(ms[0].config_label(), "cpu write 8-byte file 64 KiB");
    EXPECT_EQ(ms[1].key, "xfer-file/memcpy");

    SeriesSet set;
    EXPECT_EQ(add_all(set, ms), 2u);
    EXPECT_EQ(add_all(set, read(text)), 0u);  // the same snapshot polled again: no duplicate point
    // The row's figures as served, rounded to the ring's float.
    const BandwidthSeries* s8 = set.find_bandwidth("xfer-file/8-byte");
    ASSERT_NE(s8, nullptr);
    EXPECT_EQ(s8->samples, 1u);
    EXPECT_EQ(s8->bytes_per_s.back(), static_cast<float>(ms[0].transfer->bytes_per_second));
    EXPECT_EQ(s8->p50_ns.back(), static_cast<float>(ms[0].transfer->p50_ns));
    EXPECT_EQ(s8->label, "cpu write 8-byte file 64 KiB");
    EXPECT_EQ(s8->unverified, 0u);

    // The daemon's next run of the key: one more point per row, once.
    const exporter::MeasurementRecord second = exporter::run_measurement(spec, ctx).record;
    ASSERT_EQ(second.status, exporter::Outcome::ok) << second.reason;
    ASSERT_GT(second.finished_unix_s, first.finished_unix_s);
    const std::string next = daemon_snapshot({second});
    EXPECT_EQ(add_all(set, read(next)), 2u);
    EXPECT_EQ(add_all(set, read(next)), 0u);
    EXPECT_EQ(add_all(set, read(text)), 0u);  // an older snapshot adds nothing either
    EXPECT_EQ(set.bandwidth().size(), 2u);
    EXPECT_EQ(s8->samples, 2u);
    EXPECT_EQ(set.find_bandwidth("xfer-file/memcpy")->samples, 2u);
    EXPECT_EQ(s8->time_unix_s.values(), (std::vector<double>{first.finished_unix_s, second.finished_unix_s}));
}

// The request's device and peer place a daemon run in the bandwidth matrix,
// as in-process runs are placed: the fastest ok row of the latest run; a
// waived or failed run shows its status there and plots nothing.
TEST(Snapshot, DaemonTransfersFillTheBandwidthMatrix) {
    const TopologyView view = *view_from_topo_json(td::dgx2_topology());
    auto bdf = [&](size_t i) { return view.devices[static_cast<size_t>(view.matrix[i])].bdf; };
    const std::string d0 = bdf(0), d1 = bdf(1), d2 = bdf(2), d3 = bdf(3);
    const std::string text = daemon_snapshot({
        transfer_record("peer01", 1700000010, d0, d1, {row("peer", 3e9), row("d2d", 9e9)}),
        transfer_record("peer12", 1700000011, d1, d2, {}, exporter::Outcome::waived,
                        "the CUDA driver (libcuda.so.1) is not installed"),
        transfer_record("peer23", 1700000012, d2, d3, {row("peer", 0, "fault: GPU fault (Xid 31)")},
                        exporter::Outcome::failed, "a row faulted"),
    });
    const auto ms = read(text);
    ASSERT_EQ(ms.size(), 4u);
    EXPECT_EQ(ms[0].key, "peer01/peer");
    EXPECT_EQ(ms[0].device, d0);
    EXPECT_EQ(ms[0].peer, d1);
    EXPECT_EQ(ms[2].key, "peer12/-");
    EXPECT_EQ(ms[2].status, "waived");
    EXPECT_EQ(ms[2].reason, "the CUDA driver (libcuda.so.1) is not installed");
    EXPECT_FALSE(ms[2].transfer.has_value());
    EXPECT_EQ(ms[3].status, "fault");
    EXPECT_EQ(ms[3].reason, "GPU fault (Xid 31)");

    SeriesSet set;
    EXPECT_EQ(add_all(set, ms), 2u);  // the two ok rows; the waived run and the faulted row add none
    EXPECT_EQ(add_all(set, read(text)), 0u);
    EXPECT_EQ(set.bandwidth_for_pair(d0, d1).size(), 2u);
    EXPECT_TRUE(set.bandwidth_for_pair(d1, d2).empty());
    EXPECT_TRUE(set.bandwidth_for_pair(d2, d3).empty());

    const auto m = build_matrix(view, ms, MatrixMode::bandwidth);
    EXPECT_TRUE(m.at(0, 1).has_value);
    EXPECT_DOUBLE_EQ(m.at(0, 1).value, 9e9);
    EXPECT_EQ(m.at(0, 1).label, "9.0G");
    EXPECT_FALSE(m.at(1, 0).has_value);
    EXPECT_EQ(m.at(1, 2).label, "W");
    EXPECT_FALSE(m.at(1, 2).has_value);
    EXPECT_EQ(m.at(2, 3).label, "F");
    const std::string why = explain_cell(view, ms, MatrixMode::bandwidth, 0, 1);
    EXPECT_NE(why.find("gpu peer d2d pinned 1 MiB"), std::string::npos) << why;
    EXPECT_NE(why.find("9.00 GB/s, p50 9000 ns, p99 45.0 us, verified"), std::string::npos) << why;
    const std::string waived = explain_cell(view, ms, MatrixMode::bandwidth, 1, 2);
    EXPECT_NE(waived.find("waived (the CUDA driver (libcuda.so.1) is not installed)"), std::string::npos) << waived;
    const std::string fault = explain_cell(view, ms, MatrixMode::bandwidth, 2, 3);
    EXPECT_NE(fault.find("fault (GPU fault (Xid 31))"), std::string::npos) << fault;
}

TEST(Snapshot, DaemonTransferErrorsNameTheKey) {
    const std::string d0 = "0000:34:00.0";
    auto doc = nlohmann::json::parse(daemon_snapshot({transfer_record("t", 1700000010, d0, "", {row("peer", 3e9)})}));
    auto check = [](const nlohmann::json& d, const std::string& start) {
        auto s = parse_snapshot_json(d.dump());
        ASSERT_FALSE(s.ok()) << start;
        EXPECT_EQ(s.error().message.rfind(start, 0), 0u) << s.error().message;
    };
    {
        auto d = doc;
        d["measurements"][0]["results"] = "none";
        check(d, "measurements[0].results: expected an array");
    }
    {
        auto d = doc;
        d["measurements"][0]["results"][0]["latency_ns"]["p50"] = "fast";
        check(d, "measurements[0].results[0].latency_ns.p50: expected a number");
    }
    {
        auto d = doc;
        d["measurements"][0]["results"][0]["verified"] = "yes";
        check(d, "measurements[0].results[0].verified: expected true, false or null");
    }
    {
        auto d = doc;
        d["measurements"][0]["results"][0].erase("label");
        check(d, "measurements[0].results[0].label: missing");
    }
}

// An engine row label that says the direction and memory itself (nvme's) does not get them said again.
TEST(Snapshot, TransferLabelSaysEachWordOnce) {
    MeasurementView m;
    m.kind = "transfer";
    m.memory = "p2pmem";
    m.size_bytes = 131072;
    m.transfer.emplace();
    m.transfer->engine = "nvme";
    m.transfer->direction = "read";
    m.transfer->label = "read 128K qd4 p2pmem from 0000:03:00.0";
    EXPECT_EQ(m.config_label(), "nvme read 128K qd4 p2pmem from 0000:03:00.0 128 KiB");
}
