// SPDX-License-Identifier: GPL-2.0-or-later
// The configuration file: the shipped sample parses, every mistake gets one
// line naming the file and the JSON path, transfer measurements need an engine.
#include <gtest/gtest.h>

#include "helpers.hpp"
#include "p2pscope/exporter/config.hpp"

namespace p2pscope::exporter {
namespace {

class NullEngine final : public TransferEngine {
public:
    explicit NullEngine(uint32_t fields = xfer::kFieldDevice | xfer::kFieldPeer)
        : spec_{.name = "null",
                .description = "moves nothing: tests the harness",
                .capabilities = xfer::kCapRead,
                .directions = {"read"},
                .fields = fields} {}
    const xfer::EngineSpec& spec() const override { return spec_; }
    TransferResult run(const TransferRequest&) override { return {}; }

private:
    xfer::EngineSpec spec_;
};

std::string error_of(const std::string& text, const TransferEngines& engines = {}) {
    auto c = parse_config(text, "cfg.json", engines);
    if (c) return "(parsed)";
    EXPECT_EQ(c.error().message.find('\n'), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().code, Errc::invalid_argument);
    return c.error().message;
}

TEST(Config, ShippedSampleParses) {
    auto c = load_config((test::kSource / "exporter/p2pscoped.json").string(), {});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_DOUBLE_EQ(c->duty_cycle, 0.02);
    EXPECT_EQ(c->journal.path, "/var/lib/p2pscoped/journal");
    EXPECT_EQ(c->journal.max_bytes, 1u << 20);
    ASSERT_EQ(c->measurements.size(), 5u);
    EXPECT_EQ(c->measurements[0].kind, MeasurementKind::topology);
    const auto& m = c->measurements[3];
    EXPECT_EQ(m.kind, MeasurementKind::map);
    EXPECT_EQ(m.map.device.to_string(), "0000:34:00.0");
    ASSERT_TRUE(m.map.peer);
    EXPECT_EQ(m.map.api, kclient::MapApi::map_sgtable);
    EXPECT_EQ(m.map.mem, kclient::MapMemory::p2pmem);
    EXPECT_EQ(m.map.size_bytes, 2u << 20);
    EXPECT_EQ(m.map.segments, 16u);
    EXPECT_EQ(c->measurements[4].kind, MeasurementKind::qualify);
}

TEST(Config, QualifyTakesQualifysOptions) {
    const std::string th = (test::kSource / "qualify/thresholds.json").string();
    test::TempDir dir;
    const std::string golden = (dir.path / "golden.json").string();
    test::write_text(golden, R"({"schema": "p2pscope.topo/1", "devices": [], "host_bridges": []})");
    auto c = parse_config(R"({"measurements":[{"key":"q","kind":"qualify"},
        {"key":"r","kind":"qualify","thresholds":")" + th + R"(","baseline":")" + golden + R"(",
         "devices":["34:00.0","0000:36:00.0"],"map":false,"transfers":false,"destructive":true}]})",
                          "cfg.json", {});
    ASSERT_TRUE(c) << c.error().message;
    const auto& d = c->measurements[0].qualify;
    EXPECT_TRUE(d.thresholds.empty() && d.baseline.empty() && d.devices.empty());
    EXPECT_TRUE(d.map && d.transfers && !d.destructive);  // as p2pscope qualify
    const auto& q = c->measurements[1].qualify;
    EXPECT_EQ(q.thresholds, th);
    EXPECT_EQ(q.baseline, golden);
    // A golden report that is not there, or not a report, is refused at start.
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","baseline":"/nonexistent.json"}]})"),
              "cfg.json: measurements[0].baseline: /nonexistent.json: no such file");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","baseline":")" + th + R"("}]})").rfind(
                  "cfg.json: measurements[0].baseline: " + th + ": not a p2pscope topo or qualify report", 0),
              0u);
    ASSERT_EQ(q.devices.size(), 2u);
    EXPECT_EQ(q.devices[0].to_string(), "0000:34:00.0");
    EXPECT_TRUE(!q.map && !q.transfers && q.destructive);
}

TEST(Config, EmptyObjectMeansDefaults) {
    auto c = parse_config("{}", "cfg.json", {});
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->duty_cycle, 0.05);
    EXPECT_EQ(c->device_node, "/dev/p2pscope");
    EXPECT_TRUE(c->measurements.empty());
}

TEST(Config, MapDefaultsFollowP2pscopeMap) {
    auto c = parse_config(R"({"measurements":[{"key":"k","kind":"map","device":"34:00.0"},
                                              {"key":"d","kind":"map","device":"34:00.0","api":"dmabuf","memory":"dmabuf"}]})",
                          "cfg.json", {});
    ASSERT_TRUE(c) << c.error().message;
    const auto& m = c->measurements[0].map;
    EXPECT_EQ(m.api, kclient::MapApi::map_single);
    EXPECT_EQ(m.mem, kclient::MapMemory::ram);
    EXPECT_EQ(m.dir, kclient::MapDirection::bidirectional);
    EXPECT_EQ(m.size_bytes, 4096u);
    EXPECT_EQ(m.segments, 1u);
    EXPECT_DOUBLE_EQ(m.seconds, 1.0);
    EXPECT_DOUBLE_EQ(c->measurements[0].interval_s, 3600);
    EXPECT_EQ(c->measurements[1].map.segments, 0u);  // the module counts a dma-buf's entries
}

TEST(Config, MistakesNameFileAndPath) {
    EXPECT_EQ(error_of("{").rfind("cfg.json: not valid JSON: parse error at line 1, column 2: ", 0), 0u) << error_of("{");
    EXPECT_EQ(error_of("[]"), "cfg.json: must be a JSON object");
    EXPECT_EQ(error_of(R"({"dutycycle":0.1})").rfind("cfg.json: dutycycle: unknown key (known: schema, duty_cycle", 0), 0u);
    EXPECT_EQ(error_of(R"({"schema":"p2pscoped.config/2"})"), "cfg.json: schema: must be \"p2pscoped.config/1\"");
    EXPECT_EQ(error_of(R"({"duty_cycle":0})"), "cfg.json: duty_cycle: must be > 0 and <= 1");
    EXPECT_EQ(error_of(R"({"duty_cycle":"5%"})"), "cfg.json: duty_cycle: must be a number");
    EXPECT_EQ(error_of(R"({"journal":{"max_bytes":100}})"), "cfg.json: journal.max_bytes: must be at least 16384");
    EXPECT_EQ(error_of(R"({"device_node":"p2pscope"})"), "cfg.json: device_node: must be an absolute path");
    EXPECT_EQ(error_of(R"({"measurements":[{"kind":"topology"}]})"), "cfg.json: measurements[0]: needs \"key\"");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"a b","kind":"topology"}]})"),
              "cfg.json: measurements[0].key: 'a b' must be 1 to 64 of A-Z a-z 0-9 _ . : -");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"t","kind":"topology"},{"key":"t","kind":"topology"}]})"),
              "cfg.json: measurements[1].key: 't' is used twice");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"t","kind":"probe"}]})"),
              "cfg.json: measurements[0].kind: unknown kind 'probe' (topology, map, qualify)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","devices":["34:00.0"]}]})"),
              "cfg.json: measurements[0].devices: must be a list of 2 to 64 BDFs");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","devices":["34:00.0","zz"]}]})").rfind(
                  "cfg.json: measurements[0].devices[1]: ", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","map":"yes"}]})"),
              "cfg.json: measurements[0].map: must be true or false");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","thresholds":"/nonexistent.json"}]})").rfind(
                  "cfg.json: measurements[0].thresholds: ", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"q","kind":"qualify","api":"map_single"}]})").rfind(
                  "cfg.json: measurements[0].api: unknown key", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"t","kind":"topology","interval_s":0.01}]})"),
              "cfg.json: measurements[0].interval_s: must be >= 0.05 and <= 3.16224e+07");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"t","kind":"topology","device":"34:00.0"}]})").rfind(
                  "cfg.json: measurements[0].device: unknown key", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map"}]})"),
              "cfg.json: measurements[0]: a map measurement needs \"device\" (a BDF)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00"}]})"),
              "cfg.json: measurements[0].device: '34:00' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","api":"map_all"}]})").rfind(
                  "cfg.json: measurements[0].api: unknown API 'map_all' (map_page, map_single,", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","size":"4X"}]})"),
              "cfg.json: measurements[0].size: '4X' is not a size (4096, 4K, 2M, 1G)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","segments":4}]})"),
              "cfg.json: measurements[0].segments: only map_sgtable, iova_link and iommu_domain map several segments");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","direction":"up"}]})"),
              "cfg.json: measurements[0].direction: unknown direction 'up' (bidirectional, to_device, from_device)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","seconds":61}]})"),
              "cfg.json: measurements[0].seconds: must be > 0 and <= 60");
}

TEST(Config, MissingFileIsNotFound) {
    auto c = load_config("/nonexistent/p2pscoped.json", {});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);  // exit status 2, as for any bad input
    EXPECT_EQ(c.error().message, "/nonexistent/p2pscoped.json: no such file");
}

TEST(Config, TransferNeedsAnEngine) {
    const std::string text =
        R"({"measurements":[{"key":"x","kind":"transfer","engine":"null","device":"34:00.0","peer":"36:00.0","size":"1M"}]})";
    EXPECT_EQ(error_of(text).rfind("cfg.json: measurements[0].kind: this build of p2pscoped has no transfer engine", 0), 0u);
    TransferEngines engines{std::make_shared<NullEngine>()};
    auto c = parse_config(text, "cfg.json", engines);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->measurements[0].engine, "null");
    EXPECT_EQ(c->measurements[0].transfer.engine, "null");
    EXPECT_EQ(c->measurements[0].transfer.peer->to_string(), "0000:36:00.0");
    EXPECT_EQ(c->measurements[0].transfer.size, 1u << 20);
    EXPECT_EQ(c->measurements[0].transfer.direction, "read") << "the engine's default";
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"dma","device":"34:00.0"}]})", engines),
              "cfg.json: measurements[0].engine: unknown engine 'dma' (null)");
}

// Transfer jobs take p2pscope xfer's options under the same names, with the same defaults.
TEST(Config, TransferTakesXferOptions) {
    const auto engines = builtin_transfer_engines();
    auto c = parse_config(R"({"measurements":[
        {"key":"f","kind":"transfer","engine":"cpu","file":"/tmp/data","width":"8,memcpy","iterations":20},
        {"key":"b","kind":"transfer","engine":"cpu","device":"0000:03:00.0","bar":2,"memory":"wc","direction":"write",
         "width":"all","offset":"32M","size":"4K","seconds":0.5},
        {"key":"g","kind":"transfer","engine":"gpu","device":"65:00.0","memory":"pinned"}]})",
                          "cfg.json", engines);
    ASSERT_TRUE(c) << c.error().message;
    const auto& f = c->measurements[0].transfer;
    EXPECT_EQ(f.memory, "file");
    EXPECT_EQ(f.direction, "read");
    EXPECT_EQ(f.size, 64u << 10);
    EXPECT_EQ(f.widths, (std::vector<std::string>{"8", "memcpy"}));
    EXPECT_EQ(f.iterations, 20u);
    const auto& b = c->measurements[1].transfer;
    EXPECT_EQ(b.bar, 2);
    EXPECT_EQ(b.offset, 32u << 20);
    EXPECT_EQ(b.widths.size(), 8u);
    EXPECT_DOUBLE_EQ(b.seconds, 0.5);
    EXPECT_EQ(c->measurements[2].transfer.direction, "h2d");
    auto err = [&](const std::string& fields) {
        return error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu",)" + fields + "}]}", engines);
    };
    EXPECT_EQ(err(R"("file":"/d","width":"3")"),
              "cfg.json: measurements[0].width: unknown access width '3' (1, 2, 4, 8, 16, 32, 64, memcpy or all)");
    EXPECT_EQ(err(R"("file":"/d","width":[8,8])"), "cfg.json: measurements[0].width: width 8 given twice");
    EXPECT_EQ(err(R"("file":"/d","queue_depth":4)"),
              "cfg.json: measurements[0].queue_depth: engine cpu does not read queue_depth (engines that do: nvme)");
    EXPECT_EQ(err(R"("file":"/d","iterations":5,"seconds":1)"), "cfg.json: measurements[0].iterations: excludes \"seconds\"");
    EXPECT_EQ(err(R"("file":"/d","width":"all","seconds":10)"),
              "cfg.json: measurements[0].seconds: seconds x widths must be <= 60 (a run ends within a minute)");
    EXPECT_EQ(err(R"("device":"34:00.0","bar":6)"), "cfg.json: measurements[0].bar: must be within 0..5");
    EXPECT_EQ(err(R"("file":"/d","fault_test":true)").rfind("cfg.json: measurements[0].fault_test: unknown key", 0), 0u);
    EXPECT_EQ(err(R"("source":"34:00.0")").rfind("cfg.json: measurements[0].source: unknown key", 0), 0u);
}

// The messages of the transfer sub-parsers that the cases above leave out.
TEST(Config, TransferOptionMistakes) {
    const auto engines = builtin_transfer_engines();
    auto err = [&](const std::string& fields) {
        return error_of(R"({"measurements":[{"key":"x","kind":"transfer",)" + fields + "}]}", engines);
    };
    EXPECT_EQ(err(R"("file":"/d")"), "cfg.json: measurements[0]: a transfer measurement needs \"engine\"");
    EXPECT_EQ(err(R"("engine":7)"), "cfg.json: measurements[0].engine: must be a string");
    auto cpu = [&](const std::string& fields) { return err(R"("engine":"cpu",)" + fields); };
    EXPECT_EQ(cpu(R"("file":"")"), "cfg.json: measurements[0].file: must not be empty");
    EXPECT_EQ(err(R"("engine":"nvme","verify":1)"), "cfg.json: measurements[0].verify: must be true or false");
    EXPECT_EQ(cpu(R"("file":"/d","width":true)"),
              "cfg.json: measurements[0].width: must be a width, a list of widths or \"all\"");
    EXPECT_EQ(cpu(R"("file":"/d","width":[8,{}])"),
              "cfg.json: measurements[0].width: must be a width, a list of widths or \"all\"");
    EXPECT_EQ(cpu(R"("file":"/d","width":",,")"), "cfg.json: measurements[0].width: no access width given");
    EXPECT_EQ(cpu(R"("file":"/d","width":[])"), "cfg.json: measurements[0].width: no access width given");
    EXPECT_EQ(err(R"("engine":"gpu","device":"65:00.0","width":8)"),
              "cfg.json: measurements[0].width: engine gpu does not read width (engines that do: cpu)");
    EXPECT_EQ(cpu(R"("file":"/d","size":"32G")"), "cfg.json: measurements[0].size: '32G' is above 17179869184 bytes");
    EXPECT_EQ(cpu(R"("file":"/d","offset":-1)"),
              "cfg.json: measurements[0].offset: must be a size (0, 4096, \"4K\", \"2M\", \"1G\")");
    EXPECT_EQ(err(R"("engine":"nvme","span":"1X")"), "cfg.json: measurements[0].span: '1X' is not a size (4096, 4K, 2M, 1G)");
    EXPECT_EQ(cpu(R"("file":"/d","iterations":0)"), "cfg.json: measurements[0].iterations: must be within 1..1000000000");
    EXPECT_EQ(cpu(R"("file":"/d","seconds":0)"), "cfg.json: measurements[0].seconds: must be > 0 and <= 60");
    auto c = parse_config(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu","file":"/d","offset":"0",
                              "width":["all"],"seconds":7},
                             {"key":"y","kind":"transfer","engine":"nvme","span":0}]})",
                          "cfg.json", engines);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->measurements[0].transfer.offset, 0u);
    EXPECT_EQ(c->measurements[0].transfer.widths.size(), 8u);
    EXPECT_EQ(c->measurements[1].transfer.span, 0u);
}

// As p2pscope xfer refuses an option for a field the engine does not read, a
// key for one is refused: every key of xfer::kFieldNames, even at its default.
TEST(Config, TransferRefusesAKeyTheEngineDoesNotRead) {
    auto engines = builtin_transfer_engines();
    engines.push_back(std::make_shared<NullEngine>(0));  // reads no field
    for (const auto& f : xfer::kFieldNames) {
        if (f.key.empty()) continue;
        const std::string key(f.key);
        EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"null",")" + key + R"(":1}]})",
                           engines),
                  "cfg.json: measurements[0]." + key + ": engine null does not read " + key +
                      " (engines that do: " + xfer::engines_reading(f.field) + ")");
    }
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu","file":"/d","queue_depth":1}]})",
                       engines),
              "cfg.json: measurements[0].queue_depth: engine cpu does not read queue_depth (engines that do: nvme)");
    // A null peer or device is one not given.
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu","file":"/d","peer":null}]})",
                       engines),
              "(parsed)");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu","file":"/d","device":null}]})",
                       engines),
              "(parsed)");
    // The engines named are the daemon's.
    const TransferEngines null{std::make_shared<NullEngine>()};
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"null","width":"8"}]})", null),
              "cfg.json: measurements[0].width: engine null does not read width (no engine does)");
}

// A key the engine reads is taken.
TEST(Config, TransferTakesAKeyTheEngineReads) {
    auto c = parse_config(R"({"measurements":[{"key":"x","kind":"transfer","engine":"nvme","device":"34:00.0",
                              "peer":"36:00.0","memory":"p2pmem","block":"/dev/nvme1n1","queue_depth":4,"span":"1M",
                              "verify":false,"destructive":true,"offset":"4K"}]})",
                          "cfg.json", builtin_transfer_engines());
    ASSERT_TRUE(c) << c.error().message;
    const auto& q = c->measurements[0].transfer;
    EXPECT_EQ(q.queue_depth, 4u);
    EXPECT_EQ(q.block, "/dev/nvme1n1");
    EXPECT_EQ(q.span, 1u << 20);
    EXPECT_FALSE(q.verify);
    EXPECT_TRUE(q.destructive);
    EXPECT_EQ(q.offset, 4096u);
    EXPECT_EQ(q.direction, "read") << "the engine's default";
}

// The block devices of p2pmem-odirect, under xfer::kFieldNames' keys
// (--source-block, --destination-block).
TEST(Config, TransferTakesTheBlockDeviceKeys) {
    const auto engines = builtin_transfer_engines();
    auto c = parse_config(R"({"measurements":[{"key":"x","kind":"transfer","engine":"p2pmem-odirect","device":"34:00.0",
                              "source_block":"/dev/nvme0n1","destination_block":"/dev/nvme1n1","destructive":true}]})",
                          "cfg.json", engines);
    ASSERT_TRUE(c) << c.error().message;
    const auto& q = c->measurements[0].transfer;
    EXPECT_EQ(q.source_block, "/dev/nvme0n1");
    EXPECT_EQ(q.destination_block, "/dev/nvme1n1");
    EXPECT_TRUE(q.destructive);
    EXPECT_EQ(q.memory, "") << "its p2pmem is implied, never a request value";
    EXPECT_EQ(q.direction, "copy") << "the engine's default";
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"p2pmem-odirect","source_block":""}]})",
                       engines),
              "cfg.json: measurements[0].source_block: must not be empty");
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"x","kind":"transfer","engine":"cpu","file":"/d",
                          "destination_block":"/dev/nvme1n1"}]})",
                       engines),
              "cfg.json: measurements[0].destination_block: engine cpu does not read destination_block "
              "(engines that do: p2pmem-odirect)");
}

TEST(Config, MapUnknownMemory) {
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","memory":"disk"}]})").rfind(
                  "cfg.json: measurements[0].memory: unknown memory type 'disk' (", 0),
              0u);
    EXPECT_EQ(error_of(R"({"measurements":[{"key":"m","kind":"map","device":"34:00.0","api":5}]})"),
              "cfg.json: measurements[0].api: must be a string");
}

}  // namespace
}  // namespace p2pscope::exporter
