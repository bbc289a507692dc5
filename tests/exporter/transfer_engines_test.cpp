// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer's real engines inside p2pscoped: the cpu engine moving real
// data through a regular file mapped shared (memory "file", as
// tests/xfer/file_cases.sh drives it), twice through the scheduler so the
// counters add up, then exposed by the transfer collector and checked in the
// exposition text; an engine that cannot run here is a waived run with its
// reason, never a zero bandwidth.
#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "p2pscope/exporter/daemon.hpp"

namespace p2pscope::exporter {
namespace {

using test::find_metric;
using test::label;

// Runs every measurement of config_text `times` times through the scheduler
// (no journal) and returns the collectors' view of the result.
struct ScheduledRun {
    SnapshotStore store;
    std::unique_ptr<Publisher> publisher;
    std::shared_ptr<ScrapeCollectable> collectable;
    std::vector<prometheus::MetricFamily> families;
    std::string text;

    explicit ScheduledRun(const std::string& config_text, int times = 1) {
        const auto engines = builtin_transfer_engines();
        auto cfg = parse_config(config_text, "cfg.json", engines);
        EXPECT_TRUE(cfg) << cfg.error().message;
        if (!cfg) return;
        TopologyInput in;
        in.source.hwloc_xml = test::kDgx2;
        publisher = std::make_unique<Publisher>(store, "/nonexistent/p2pscope", 1700000000.0, cfg->measurements, 0.05);
        auto topology = load_topology(in);
        EXPECT_TRUE(topology) << topology.error().message;
        if (topology) publisher->set_topology(*topology);
        Scheduler scheduler(*cfg, in, engines, *publisher, nullptr, nullptr);
        for (int i = 0; i < times; ++i) scheduler.run_all_once();
        collectable = std::make_shared<ScrapeCollectable>(store, available_collectors(engines));
        families = collectable->Collect();
        text = collectable->Expose();
    }

    nlohmann::json entry(const std::string& key) const {
        const auto doc = nlohmann::json::parse(store.load()->json);
        for (const auto& m : doc["measurements"])
            if (m["key"] == key) return m;
        return nullptr;
    }
};

// The value of the one exposition line that starts with `series` (name and labels, exactly).
std::optional<double> sample(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + series.size() + 2));
}

TEST(TransferEngines, EveryXferEngineIsBuiltIn) {
    std::vector<std::string> names;
    for (const auto& e : builtin_transfer_engines()) names.push_back(std::string(e->spec().name));
    EXPECT_EQ(names, (std::vector<std::string>{"cpu", "dmaengine", "gpu", "nvme", "p2pmem-odirect"}))
        << "every engine of p2pscope xfer, in its order";
    bool listed = false;
    for (const auto& c : available_collectors(builtin_transfer_engines())) listed |= c.name == "transfer";
    EXPECT_TRUE(listed) << "the transfer collector is listed once there are engines";
}

TEST(TransferEngines, CpuEngineOnAFileMovesAndVerifiesRealData) {
    test::TempDir dir;
    const auto file = dir.path / "data";
    test::write_text(file, std::string(64 << 10, '\0'));
    for (const std::string direction : {"read", "write"}) {
        SCOPED_TRACE(direction);
        const std::string key = "file-" + direction;
        ScheduledRun run(R"({"measurements":[{"key":")" + key + R"(","kind":"transfer","engine":"cpu","file":")" + file.string() +
                    R"(","direction":")" + direction + R"(","size":"64K","width":"8,memcpy","iterations":50}]})",
                2);
        const auto e = run.entry(key);
        ASSERT_TRUE(e.is_object());
        EXPECT_EQ(e["status"], "ok") << e.dump();
        EXPECT_EQ(e["engine"], "cpu");
        EXPECT_EQ(e["memory"], "file");
        ASSERT_EQ(e["results"].size(), 2u);
        const auto& fs = run.families;
        for (const std::string row : {"8-byte", "memcpy"}) {
            SCOPED_TRACE(row);
            const auto* bw = find_metric(fs, "p2pscope_transfer_bandwidth_bytes_per_second", {{"key", key}, {"label", row}});
            ASSERT_TRUE(bw);
            // 50 transfers of 64 KiB through the page cache: real, and far from zero.
            EXPECT_GT(bw->gauge.value, 1e6);
            EXPECT_EQ(label(*bw, "engine"), "cpu");
            EXPECT_EQ(label(*bw, "direction"), direction);
            EXPECT_EQ(label(*bw, "memory"), "file");
            EXPECT_EQ(label(*bw, "device"), "");
            const auto* v = find_metric(fs, "p2pscope_transfer_verified", {{"key", key}, {"label", row}});
            ASSERT_TRUE(v);
            EXPECT_EQ(v->gauge.value, 1);
            const auto* n = find_metric(fs, "p2pscope_transfer_last_run_transfers", {{"key", key}, {"label", row}});
            ASSERT_TRUE(n);
            EXPECT_EQ(n->gauge.value, 50);
            // Two runs: the summary's count and the byte counter cover both.
            const auto* lat = find_metric(fs, "p2pscope_transfer_latency_seconds", {{"key", key}, {"label", row}});
            ASSERT_TRUE(lat);
            EXPECT_EQ(lat->summary.sample_count, 100u);
            EXPECT_GT(lat->summary.sample_sum, 0);
            ASSERT_EQ(lat->summary.quantile.size(), 3u);
            EXPECT_GT(lat->summary.quantile[0].value, 0);
            EXPECT_LE(lat->summary.quantile[0].value, lat->summary.quantile[2].value);
            const auto* bytes = find_metric(fs, "p2pscope_transfer_bytes_total", {{"key", key}, {"label", row}});
            ASSERT_TRUE(bytes);
            EXPECT_EQ(bytes->counter.value, 100.0 * (64 << 10));
            const auto* ok = find_metric(fs, "p2pscope_transfer_status", {{"key", key}, {"label", row}, {"status", "ok"}});
            ASSERT_TRUE(ok);
            EXPECT_EQ(ok->gauge.value, 1);
            // The exposition text a scraper reads.
            const std::string labels = "{key=\"" + key + "\",engine=\"cpu\",device=\"\",peer=\"\",label=\"" + row +
                                       "\",direction=\"" + direction + "\",memory=\"file\"}";
            auto text_bw = sample(run.text, "p2pscope_transfer_bandwidth_bytes_per_second" + labels);
            ASSERT_TRUE(text_bw) << run.text;
            EXPECT_DOUBLE_EQ(*text_bw, bw->gauge.value);
            EXPECT_EQ(sample(run.text, "p2pscope_transfer_verified" + labels), 1.0);
            EXPECT_EQ(sample(run.text, "p2pscope_transfer_latency_seconds_count" + labels), 100.0);
        }
        // A file has no PCI link: no ceiling ratio rather than a made-up one.
        EXPECT_FALSE(test::find_family(fs, "p2pscope_transfer_link_ceiling_ratio"));
        EXPECT_EQ(sample(run.text, "p2pscope_transfer_info{key=\"" + key + "\",engine=\"cpu\",device=\"\",peer=\"\",direction=\"" +
                                       direction + "\",memory=\"file\",path=\"\",verdict=\"\",status=\"ok\"}"),
                  1.0)
            << run.text;
        const auto* success = find_metric(fs, "p2pscope_scrape_collector_success", {{"collector", "transfer"}});
        ASSERT_TRUE(success);
        EXPECT_EQ(success->gauge.value, 1);
    }
}

TEST(TransferEngines, AnEngineThatCannotRunHereIsWaivedWithItsReason) {
    // cpu on a device this machine does not have; gpu where there may be no CUDA driver.
    ScheduledRun run(R"({"measurements":[
        {"key":"missing","kind":"transfer","engine":"cpu","device":"00fe:1f:1f.7","bar":0,"memory":"uc","seconds":0.1},
        {"key":"gpu","kind":"transfer","engine":"gpu","direction":"h2d","memory":"pinned","size":"1M","seconds":0.1}]})");
    const auto& fs = run.families;
    const auto missing = run.entry("missing");
    ASSERT_TRUE(missing.is_object());
    EXPECT_EQ(missing["status"], "waived");
    EXPECT_EQ(missing["reason"], "no PCI function 00fe:1f:1f.7 on this system");
    EXPECT_TRUE(missing["results"].empty());
    EXPECT_FALSE(find_metric(fs, "p2pscope_transfer_bandwidth_bytes_per_second", {{"key", "missing"}}))
        << "waived: no bandwidth, not a zero";
    EXPECT_FALSE(find_metric(fs, "p2pscope_transfer_status", {{"key", "missing"}}));
    EXPECT_EQ(sample(run.text, "p2pscope_transfer_info{key=\"missing\",engine=\"cpu\",device=\"00fe:1f:1f.7\",peer=\"\","
                               "direction=\"read\",memory=\"uc\",path=\"\",verdict=\"\",status=\"waived\"}"),
              1.0)
        << run.text;
    const auto* st = find_metric(fs, "p2pscope_measurement_last_run_status", {{"key", "missing"}, {"status", "waived"}});
    ASSERT_TRUE(st);
    EXPECT_EQ(st->gauge.value, 1);

    const auto gpu = run.entry("gpu");
    ASSERT_TRUE(gpu.is_object());
    const auto* bw = find_metric(fs, "p2pscope_transfer_bandwidth_bytes_per_second", {{"key", "gpu"}});
    if (gpu["status"] == "waived") {  // no CUDA driver or GPU here: the engine said which
        const std::string reason = gpu["reason"];
        EXPECT_TRUE(reason.find("CUDA") != std::string::npos || reason.find("cuInit") != std::string::npos) << reason;
        EXPECT_FALSE(bw);
        EXPECT_TRUE(find_metric(fs, "p2pscope_transfer_info", {{"key", "gpu"}, {"status", "waived"}}));
    } else {  // a GPU machine: the copy ran
        EXPECT_EQ(gpu["status"], "ok") << gpu.dump();
        ASSERT_TRUE(bw);
        EXPECT_GT(bw->gauge.value, 0);
    }
}

}  // namespace
}  // namespace p2pscope::exporter
