// SPDX-License-Identifier: GPL-2.0-or-later
// The collectors on real machines' data: names and labels as Prometheus wants
// them, node_exporter's pcidevice labels, the DGX-2's 120 pair verdicts, link
// widths, IOMMU groups, map latency in seconds, the map collector failing
// with the reason when the module is missing, the transfer collector plugged
// in only with an engine, and the snapshot document.
#include <gtest/gtest.h>

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <nlohmann/json.hpp>
#include <filesystem>
#include <set>

#include "helpers.hpp"
#include "p2pscope/exporter/daemon.hpp"
#include "p2pscope/probe/report.hpp"

namespace p2pscope::exporter {
namespace {

using test::find_metric;
using test::label;

struct Fixture {
    SnapshotStore store;
    std::unique_ptr<Publisher> publisher;
    std::shared_ptr<ScrapeCollectable> collectable;

    explicit Fixture(TopologyInput input, std::vector<MeasurementRecord> records = {},
                     const std::string& device_node = "/nonexistent/p2pscope", const TransferEngines& engines = {}) {
        std::vector<MeasurementSpec> specs;
        for (const auto& r : records) specs.push_back(MeasurementSpec{r.key, r.kind, 60, {}, {}, {}, {}});
        publisher = std::make_unique<Publisher>(store, device_node, 1700000000.0, specs, 0.05);
        auto topology = load_topology(input);
        EXPECT_TRUE(topology) << topology.error().message;
        if (topology) publisher->set_topology(*topology);
        for (auto& r : records) publisher->put(std::move(r));
        publisher->publish();
        collectable = std::make_shared<ScrapeCollectable>(store, available_collectors(engines));
    }
};

TopologyInput xml(const std::string& path) {
    TopologyInput in;
    in.source.hwloc_xml = path;
    return in;
}

MeasurementRecord map_record(const std::string& key, Outcome status) {
    MeasurementRecord r;
    r.key = key;
    r.kind = MeasurementKind::map;
    r.seq = 1;
    r.started_unix_s = 1700000100;
    r.finished_unix_s = 1700000101.5;
    r.duration_s = 1.5;
    r.status = status;
    r.result = {{"device", "0000:34:00.0"}, {"api", "map_sgtable"}, {"memory", "p2pmem"}};
    if (status == Outcome::ok) {
        r.result["map"] = latency_json(LatencyFigures{1000, 300, 9000, 450, 400, 700, 2000, 8000});
        r.result["unmap"] = latency_json(LatencyFigures{1000, 200, 5000, 350, 300, 500, 1500, 4000});
    } else {
        r.reason = "/dev/p2pscope does not exist: the p2pscope module is not loaded";
    }
    r.totals.runs[static_cast<size_t>(status)] = 3;
    r.totals.map_samples = 3000;
    r.totals.map_sum_ns = 1350000;
    r.totals.unmap_samples = 3000;
    r.totals.unmap_sum_ns = 1050000;
    derive_typed_views(r);
    return r;
}

TEST(Collectors, NamesAndLabelsFollowPrometheusPractice) {
    Fixture f(xml(test::kDgx2), {map_record("gpu0", Outcome::ok)});
    const auto families = f.collectable->Collect();
    ASSERT_FALSE(families.empty());
    std::set<std::string> names;
    for (const auto& fam : families) {
        EXPECT_TRUE(prometheus::CheckMetricName(fam.name)) << fam.name;
        EXPECT_EQ(fam.name.rfind("p2pscope_", 0), 0u) << fam.name << ": one prefix";
        EXPECT_TRUE(names.insert(fam.name).second) << fam.name << " twice";
        EXPECT_FALSE(fam.help.empty()) << fam.name;
        const bool counter = fam.type == prometheus::MetricType::Counter;
        EXPECT_EQ(fam.name.size() > 6 && fam.name.compare(fam.name.size() - 6, 6, "_total") == 0, counter) << fam.name;
        for (const auto& m : fam.metric)
            for (const auto& l : m.label) {
                EXPECT_TRUE(prometheus::CheckLabelName(l.name)) << fam.name << " " << l.name;
                // Bounded labels: no label carries prose or a time.
                EXPECT_LE(l.value.size(), 120u) << fam.name << " " << l.name;
            }
    }
    for (const char* expected : {"p2pscope_build_info", "p2pscope_start_time_seconds", "p2pscope_topology_info",
                                 "p2pscope_pcidevice_info", "p2pscope_pair_info", "p2pscope_pairs", "p2pscope_map_latency_seconds",
                                 "p2pscope_measurement_last_run_timestamp_seconds", "p2pscope_measurement_runs_total",
                                 "p2pscope_scrape_collector_duration_seconds", "p2pscope_scrape_collector_success"})
        EXPECT_TRUE(names.count(expected)) << expected;
}

TEST(Collectors, Dgx2PairsAndNodeExporterLabels) {
    Fixture f(xml(test::kDgx2));
    const auto fs = f.collectable->Collect();
    const auto* info = test::find_family(fs, "p2pscope_pair_info");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->metric.size(), 120u);  // 16 GPUs: 16 * 15 / 2
    std::map<std::string, int> verdicts;
    for (const auto& m : info->metric) ++verdicts[label(m, "path") + "/" + label(m, "verdict")];
    EXPECT_EQ(verdicts["PIX/unknown"], 8);
    EXPECT_EQ(verdicts["PXB/unknown"], 16);
    EXPECT_EQ(verdicts["NODE/THRU_HOST_BRIDGE"], 32);
    EXPECT_EQ(verdicts["SYS/THRU_HOST_BRIDGE"], 64);
    const auto* pair = find_metric(fs, "p2pscope_pair_info", {{"a", "0000:34:00.0"}, {"b", "0000:36:00.0"}});
    ASSERT_TRUE(pair);
    EXPECT_EQ(label(*pair, "path"), "PIX");
    const auto* count = find_metric(fs, "p2pscope_pairs", {{"path", "SYS"}, {"verdict", "THRU_HOST_BRIDGE"}});
    ASSERT_TRUE(count);
    EXPECT_EQ(count->gauge.value, 64);
    // node_exporter's pcidevice spelling: segment %04x, bus %02x, device %02x, function %x.
    const auto* gpu = find_metric(fs, "p2pscope_pcidevice_info",
                                  {{"segment", "0000"}, {"bus", "34"}, {"device", "00"}, {"function", "0"}});
    ASSERT_TRUE(gpu);
    EXPECT_EQ(label(*gpu, "vendor_id"), "10de");
    EXPECT_EQ(label(*gpu, "device_id"), "1db8");
    EXPECT_EQ(label(*gpu, "kind"), "gpu");
    EXPECT_EQ(gpu->label[0].name, "segment");
    // hwloc XML has no link registers, only its bandwidth figure; no IOMMU data.
    EXPECT_FALSE(test::find_family(fs, "p2pscope_pcidevice_current_link_width"));
    EXPECT_TRUE(find_metric(fs, "p2pscope_pcidevice_link_bandwidth_bytes_per_second", {{"bus", "34"}}));
    EXPECT_FALSE(test::find_family(fs, "p2pscope_iommu_group_info"));
    const auto* ok = find_metric(fs, "p2pscope_scrape_collector_success", {{"collector", "pair"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->gauge.value, 1);
}

TEST(Collectors, LinkWidthAndDegradedFromAnLspciDump) {
    TopologyInput in;
    in.source.lspci_dump = test::kAsus;
    Fixture f(in);
    const auto fs = f.collectable->Collect();
    const auto* w = find_metric(fs, "p2pscope_pcidevice_current_link_width", {{"bus", "02"}, {"device", "00"}});
    ASSERT_TRUE(w);
    EXPECT_EQ(w->gauge.value, 16);
    // The NF200's downstream port 03:00.0 is x16-capable and trained at x8:
    // its device (04:00.0) is x8 at most, so the link is as good as it gets.
    const auto* d = find_metric(fs, "p2pscope_pcidevice_link_degraded", {{"bus", "03"}, {"device", "00"}});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->gauge.value, 0);
    // 03:02.0 is an empty slot: no link trained, so no degraded series at all.
    EXPECT_FALSE(find_metric(fs, "p2pscope_pcidevice_link_degraded", {{"bus", "03"}, {"device", "02"}}));
    const auto* s = find_metric(fs, "p2pscope_pcidevice_current_link_transfers_per_second", {{"bus", "02"}, {"device", "00"}});
    ASSERT_TRUE(s);
    EXPECT_GT(s->gauge.value, 1e9);
}

TEST(Collectors, IommuGroupsFromASysfsTree) {
    test::TempDir dir;
    const auto root = test::unpack_sysfs_snapshot(dir.path);
    ASSERT_FALSE(root.empty());
    TopologyInput in;
    in.source.sysfs_root = root;
    Fixture f(in);
    const auto fs = f.collectable->Collect();
    const auto* groups = test::find_family(fs, "p2pscope_iommu_group_info");
    ASSERT_TRUE(groups);
    EXPECT_EQ(groups->metric.size(), 15u);
    const auto* members = test::find_family(fs, "p2pscope_pcidevice_iommu_group_info");
    ASSERT_TRUE(members);
    EXPECT_EQ(members->metric.size(), 23u);
    const auto* g8 = find_metric(fs, "p2pscope_iommu_group_devices", {{"group", "8"}});
    ASSERT_TRUE(g8);
    EXPECT_EQ(g8->gauge.value, 3);
}

TEST(Collectors, MapLatencyInSecondsAndFailsWithoutTheModule) {
    Fixture f(xml(test::kDgx2), {map_record("gpu0", Outcome::ok), map_record("gpu1", Outcome::failed)});
    const auto fs = f.collectable->Collect();
    const auto* lat = find_metric(fs, "p2pscope_map_latency_seconds", {{"key", "gpu0"}, {"op", "map"}});
    ASSERT_TRUE(lat);
    EXPECT_EQ(label(*lat, "api"), "map_sgtable");
    EXPECT_EQ(label(*lat, "memory"), "p2pmem");
    EXPECT_EQ(label(*lat, "device"), "0000:34:00.0");
    EXPECT_EQ(lat->summary.sample_count, 3000u);
    EXPECT_DOUBLE_EQ(lat->summary.sample_sum, 1350000e-9);
    ASSERT_EQ(lat->summary.quantile.size(), 4u);
    EXPECT_DOUBLE_EQ(lat->summary.quantile[2].quantile, 0.99);
    EXPECT_DOUBLE_EQ(lat->summary.quantile[2].value, 2000e-9);
    EXPECT_FALSE(find_metric(fs, "p2pscope_map_latency_seconds", {{"key", "gpu1"}})) << "a failed run has no figures";
    // The module is not there: the collector fails, the results it has stay.
    const auto* ok = find_metric(fs, "p2pscope_scrape_collector_success", {{"collector", "map"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->gauge.value, 0);
    const auto* status = find_metric(fs, "p2pscope_measurement_last_run_status", {{"key", "gpu1"}, {"status", "failed"}});
    ASSERT_TRUE(status);
    EXPECT_EQ(status->gauge.value, 1);
    const auto* runs = find_metric(fs, "p2pscope_measurement_runs_total", {{"key", "gpu1"}, {"status", "failed"}});
    ASSERT_TRUE(runs);
    EXPECT_EQ(runs->counter.value, 3);
    // With a device node that exists and can be opened, the collector succeeds.
    test::TempDir dir;
    test::write_text(dir.path / "p2pscope", "");
    Fixture g(xml(test::kDgx2), {map_record("gpu0", Outcome::ok)}, (dir.path / "p2pscope").string());
    const auto gs = g.collectable->Collect();
    EXPECT_EQ(find_metric(gs, "p2pscope_scrape_collector_success", {{"collector", "map"}})->gauge.value, 1);
}

TEST(Collectors, ExposeMatchesCollect) {
    Fixture f(xml(test::kDgx2), {map_record("gpu0", Outcome::ok)});
    const auto cut = [](const std::string& s) { return s.substr(0, s.find("# HELP p2pscope_scrape_collector_duration_seconds")); };
    const std::string text = f.collectable->Expose();
    EXPECT_EQ(cut(text), cut(f.collectable->Expose())) << "one snapshot, one text";
    EXPECT_EQ(cut(text), cut(prometheus::TextSerializer().Serialize(f.collectable->Collect())));
    EXPECT_NE(text.find("p2pscope_scrape_collector_success{collector=\"map\"} 0"), std::string::npos);
}

// Each file of exporter/collectors/ registers its collector from a static
// initialiser; linked from an archive, a file nothing refers to would be
// dropped without a word, and its collector with it.
TEST(Collectors, EveryCollectorFileRegistersItself) {
    std::vector<std::string> names;
    std::set<std::string> files, registered;
    std::set<int> positions;
    for (const auto& c : registered_collectors()) {
        names.push_back(c.name);
        registered.insert(c.name);
        positions.insert(c.position);
        EXPECT_FALSE(c.help.empty()) << c.name;
        ASSERT_TRUE(c.make) << c.name;
        EXPECT_NE(c.make(), nullptr) << c.name;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"build", "device", "iommu", "pair", "map", "qualify", "transfer",
                                               "measurement"}))
        << "every collector, in the order of /metrics";
    EXPECT_EQ(positions.size(), names.size()) << "each collector has a place of its own";
    for (const auto& entry : std::filesystem::directory_iterator(test::kSource / "exporter/collectors"))
        if (entry.path().extension() == ".cpp") files.insert(entry.path().stem().string());
    EXPECT_EQ(registered, files) << "collectors/NAME.cpp registers the collector NAME";
    EXPECT_TRUE(kept_out_collectors().empty()) << "collector kept out: " << kept_out_collectors().front();
}

TEST(Collectors, SelectionFlags) {
    const auto all = available_collectors({});
    std::vector<std::string> names;
    for (const auto& c : all) names.push_back(c.name);
    EXPECT_EQ(names, (std::vector<std::string>{"build", "device", "iommu", "pair", "map", "qualify", "measurement"}));
    auto only_pair = select_collectors(all, {{"pair", true}}, true);
    ASSERT_TRUE(only_pair);
    ASSERT_EQ(only_pair->size(), 1u);
    EXPECT_EQ((*only_pair)[0].name, "pair");
    auto no_map = select_collectors(all, {{"map", false}}, false);
    ASSERT_TRUE(no_map);
    EXPECT_EQ(no_map->size(), all.size() - 1);
    auto unknown = select_collectors(all, {{"transfer", true}}, false);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "unknown collector 'transfer' (build, device, iommu, pair, map, qualify, measurement)");
}

// fio's null engine: moves nothing, tests the harness. Only here, never in p2pscoped.
class NullEngine final : public TransferEngine {
public:
    const xfer::EngineSpec& spec() const override {
        static const xfer::EngineSpec spec{.name = "null",
                                           .description = "moves nothing",
                                           .capabilities = xfer::kCapRead,
                                           .directions = {"read"},
                                           .fields = xfer::kFieldDevice | xfer::kFieldWidths};
        return spec;
    }
    TransferResult run(const TransferRequest& q) override {
        TransferResult r;
        r.status = Outcome::ok;
        r.path.bdfs = {q.device->to_string()};
        r.path.ceiling_bytes_per_s = 100.0 * q.size;
        for (const auto& w : q.widths) {
            xfer::Measurement m;
            m.label = w + "-byte";
            m.transfer_bytes = q.size;
            m.transfers = 10;
            m.seconds = 0.5;
            m.bytes_per_second = 10.0 * static_cast<double>(q.size) / 0.5;
            m.latency = xfer::Latency{1000, 2000, 3000, 4500, 5000, 2500};
            m.verified = true;
            r.rows.push_back(m);
        }
        return r;
    }
};

TEST(Collectors, TransferPlugsInWithAnEngine) {
    TransferEngines engines{std::make_shared<NullEngine>()};
    bool listed = false;
    for (const auto& c : available_collectors(engines)) listed |= c.name == "transfer";
    EXPECT_TRUE(listed);
    auto cfg = parse_config(
        R"({"measurements":[{"key":"x","kind":"transfer","engine":"null","device":"34:00.0","width":"4,8","size":"1M"}]})",
        "cfg.json", engines);
    ASSERT_TRUE(cfg) << cfg.error().message;
    TopologyInput in = xml(test::kDgx2);
    auto out = run_measurement(cfg->measurements[0], RunContext{in, "/dev/null", engines, {}});
    EXPECT_EQ(out.record.status, Outcome::ok);
    ASSERT_TRUE(out.record.transfer);
    ASSERT_EQ(out.record.transfer->rows.size(), 2u);
    // The journal keeps what the collector needs, per row.
    auto back = from_journal_json(to_journal_json(out.record));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->totals.transfer_rows.at("8-byte").transfers, 10u);
    Fixture f(in, {*back}, "/nonexistent", engines);
    const auto fs = f.collectable->Collect();
    const auto* bw = find_metric(fs, "p2pscope_transfer_bandwidth_bytes_per_second", {{"engine", "null"}, {"label", "8-byte"}});
    ASSERT_TRUE(bw);
    EXPECT_DOUBLE_EQ(bw->gauge.value, 10.0 * (1 << 20) / 0.5);
    EXPECT_EQ(label(*bw, "device"), "0000:34:00.0");
    EXPECT_EQ(label(*bw, "peer"), "");
    EXPECT_EQ(label(*bw, "direction"), "read");
    const auto* ratio = find_metric(fs, "p2pscope_transfer_link_ceiling_ratio", {{"label", "4-byte"}});
    ASSERT_TRUE(ratio);
    EXPECT_DOUBLE_EQ(ratio->gauge.value, 0.2);
    const auto* lat = find_metric(fs, "p2pscope_transfer_latency_seconds", {{"label", "4-byte"}});
    ASSERT_TRUE(lat);
    EXPECT_EQ(lat->summary.sample_count, 10u);
    EXPECT_DOUBLE_EQ(lat->summary.sample_sum, 0.5);
    ASSERT_EQ(lat->summary.quantile.size(), 3u);
    EXPECT_DOUBLE_EQ(lat->summary.quantile[2].value, 4500e-9);
    const auto* bytes = find_metric(fs, "p2pscope_transfer_bytes_total", {{"key", "x"}, {"label", "8-byte"}});
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->counter.value, 10.0 * (1 << 20));
    const auto* v = find_metric(fs, "p2pscope_transfer_verified", {{"label", "8-byte"}});
    ASSERT_TRUE(v);
    EXPECT_EQ(v->gauge.value, 1);
}

// A qualify measurement on a saved laptop (its host bridge is not on the
// kernel's whitelist, tests/qualify/cli_sysfs.sh): the report the command gives,
// kept by the journal, as metrics with bounded labels.
TEST(Collectors, QualifyReportAsMetrics) {
    test::TempDir dir;
    const auto root = test::unpack_sysfs_snapshot(dir.path);
    ASSERT_FALSE(root.empty());
    TopologyInput in;
    in.source.sysfs_root = root;
    auto cfg = parse_config(R"({"measurements":[{"key":"q","kind":"qualify"}]})", "cfg.json", {});
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto out = run_measurement(cfg->measurements[0], RunContext{in, "/nonexistent", {}, {}});
    EXPECT_EQ(out.record.status, Outcome::ok) << out.record.reason;
    EXPECT_EQ(out.record.result.value("schema", ""), "p2pscope.qualify/1");
    auto back = from_journal_json(to_journal_json(out.record));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_TRUE(back->qualify);
    EXPECT_EQ(back->qualify->result, "fail");
    ASSERT_EQ(back->qualify->pairs.size(), 3u);
    Fixture f(in, {*back});
    const auto fs = f.collectable->Collect();
    auto value = [&](const char* name, const std::vector<std::pair<std::string, std::string>>& labels) {
        const auto* m = find_metric(fs, name, labels);
        return m ? m->gauge.value : -1.0;
    };
    EXPECT_EQ(value("p2pscope_qualify_result", {{"key", "q"}, {"result", "fail"}}), 1);
    EXPECT_EQ(value("p2pscope_qualify_result", {{"key", "q"}, {"result", "pass_with_waivers"}}), 0);
    EXPECT_EQ(value("p2pscope_qualify_pairs", {{"key", "q"}, {"result", "fail"}}), 3);
    EXPECT_EQ(value("p2pscope_qualify_checks", {{"key", "q"}, {"result", "pass"}}), 1);
    EXPECT_EQ(value("p2pscope_qualify_checks", {{"key", "q"}, {"result", "fail"}}), 3);
    EXPECT_EQ(value("p2pscope_qualify_checks", {{"key", "q"}, {"result", "waived"}}), 20);
    const auto* checks = test::find_family(fs, "p2pscope_qualify_check_result");
    ASSERT_TRUE(checks);
    EXPECT_EQ(checks->metric.size(), 24u);  // one series per check of each pair
    int p2pdma_failed = 0;
    for (const auto& m : checks->metric)
        p2pdma_failed += label(m, "check") == "p2pdma" && label(m, "result") == "fail";
    EXPECT_EQ(p2pdma_failed, 3);
    EXPECT_FALSE(test::find_family(fs, "p2pscope_qualify_map_p99_seconds")) << "saved data: nothing measured";
    EXPECT_FALSE(test::find_family(fs, "p2pscope_qualify_baseline_differences")) << "no baseline";
    // Every check waived (hwloc XML has none of the registers): a waived run with the reason; a daemon that is
    // stopping stops before the first pair.
    auto none = parse_config(R"({"measurements":[{"key":"n","kind":"qualify","devices":["34:00.0","36:00.0"],
                                                  "map":false,"transfers":false}]})",
                             "cfg.json", {});
    ASSERT_TRUE(none) << none.error().message;
    TopologyInput dgx2 = xml(test::kDgx2);
    auto waived = run_measurement(none->measurements[0], RunContext{dgx2, "/nonexistent", {}, {}});
    EXPECT_EQ(waived.record.status, Outcome::waived);
    EXPECT_EQ(waived.record.reason, "every check was waived");
    auto stopped = run_measurement(none->measurements[0], RunContext{dgx2, "/nonexistent", {}, [] { return true; }});
    EXPECT_EQ(stopped.record.status, Outcome::failed);
    EXPECT_EQ(stopped.record.reason, "stopped after 0 pair(s): p2pscoped is stopping");
    EXPECT_TRUE(stopped.cut_short) << "not a result: the scheduler keeps the previous one";
    EXPECT_FALSE(waived.cut_short);
    EXPECT_TRUE(out.record.result.at("topology").is_null()) << "the journal's records stay small";
}

TEST(Snapshot, DocumentFollowsItsSchema) {
    Fixture f(xml(test::kDgx2), {map_record("gpu0", Outcome::ok), map_record("gpu1", Outcome::failed)});
    const auto s = f.store.load();
    auto doc = nlohmann::json::parse(s->json);
    EXPECT_EQ(doc["schema"], "p2pscope.snapshot/1");
    EXPECT_GT(doc["generated_unix_s"].get<double>(), 1.7e9);
    // The topology is exactly what `p2pscope topo --format json` prints.
    EXPECT_EQ(doc["topology"], nlohmann::json::parse(s->topology->json));
    EXPECT_EQ(doc["topology"]["schema"], "p2pscope.topo/1");
    EXPECT_EQ(doc["topology"]["pairs"].size(), 120u);
    ASSERT_EQ(doc["measurements"].size(), 2u);
    const auto& ok = doc["measurements"][0];
    EXPECT_EQ(ok["kind"], "map");
    EXPECT_EQ(ok["key"], "gpu0");
    EXPECT_EQ(ok["status"], "ok");
    EXPECT_EQ(ok["reason"], "");
    EXPECT_DOUBLE_EQ(ok["finished_unix_s"].get<double>(), 1700000101.5);
    EXPECT_EQ(ok["api"], "map_sgtable");
    EXPECT_EQ(ok["map"]["p99_ns"], 2000);
    const auto& failed = doc["measurements"][1];
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_NE(failed["reason"].get<std::string>().find("not loaded"), std::string::npos);
}

}  // namespace
}  // namespace p2pscope::exporter
