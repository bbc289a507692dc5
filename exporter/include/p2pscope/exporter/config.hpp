// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped's configuration file (JSON, documented in exporter/README.md): the
// measurements it runs on a schedule, the share of time it may spend running
// them, and where its journal lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/exporter/transfer.hpp"
#include "p2pscope/kclient/kinds.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

inline constexpr const char* kConfigSchema = "p2pscoped.config/1";
inline constexpr std::size_t kMaxMeasurements = 256;  // keys are label values: keep them bounded

// One p2pscope map combination: as `p2pscope map` takes it (and with its
// defaults), for one API and one memory type.
struct MapSpec {
    probe::PciAddress device;
    std::optional<probe::PciAddress> peer;
    kclient::MapApi api = kclient::MapApi::map_single;
    kclient::MapMemory mem = kclient::MapMemory::ram;
    kclient::MapDirection dir = kclient::MapDirection::bidirectional;
    uint64_t size_bytes = 4096;
    uint32_t segments = 1;
    uint32_t threads = 1;
    double seconds = 1.0;  // duration of the measurement, 0 < seconds <= 60
};

// One `p2pscope qualify` of the daemon's topology input, as the command takes
// it (measurements only where that input is this machine).
struct QualifySpec {
    std::string thresholds;  // file; empty: the built-in defaults
    std::string baseline;    // a golden server's topo or qualify JSON; empty: none
    std::vector<probe::PciAddress> devices;  // empty: the pairs the thresholds' classes select
    bool map = true;
    bool transfers = true;
    bool destructive = false;
};

struct MeasurementSpec {
    std::string key;  // stable, unique: [A-Za-z0-9_.:-]{1,64}
    MeasurementKind kind = MeasurementKind::topology;
    double interval_s = 3600;  // from the start of one run to the start of the next, at least
    MapSpec map;               // kind map
    TransferRequest transfer;  // kind transfer
    std::string engine;        // kind transfer
    QualifySpec qualify;       // kind qualify
};

struct JournalConfig {
    std::string path = "/var/lib/p2pscoped/journal";
    uint64_t max_bytes = 1 << 20;  // compacted when it grows past this
};

struct Config {
    double duty_cycle = 0.05;  // share of wall time measurements may take, 0 < d <= 1
    double start_delay_s = 0;  // no measurement before this long after start
    std::string device_node = "/dev/p2pscope";
    JournalConfig journal;
    std::vector<MeasurementSpec> measurements;
};

// Parses and checks a configuration document. Errors name the file (origin)
// and the JSON path of the offending value, on one line. Transfer
// measurements name one of `engines`.
Result<Config> parse_config(const std::string& text, const std::string& origin, const TransferEngines& engines);
Result<Config> load_config(const std::string& path, const TransferEngines& engines);

}  // namespace p2pscope::exporter
