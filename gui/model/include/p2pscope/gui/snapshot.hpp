// SPDX-License-Identifier: GPL-2.0-or-later
// What p2pscoped serves at GET /snapshot.json (schema p2pscope.snapshot/1):
// the topology exactly as `p2pscope topo --format json` prints it, and the
// measurements the daemon has finished, each the fields of one
// `p2pscope map --format json` result plus kind, key, finish time and status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "p2pscope/gui/view_model.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::gui {

// Latency statistics of one measurement, in nanoseconds.
struct LatencyView {
    uint64_t count = 0;
    double min_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0, mean_ns = 0;
    bool operator==(const LatencyView&) const = default;
};

struct MeasurementView {
    std::string kind;  // "map"; other kinds are listed, not plotted
    std::string key;   // stable per configuration: a series in the plots
    double finished_unix_s = 0;
    std::string status;  // ok, waived, failed (stopped: an in-process run cut short)
    std::string reason;  // why it is not ok; may be empty for ok
    std::string device;  // BDF of the device that maps; empty when not given
    std::string peer;    // p2pmem provider or BAR owner; empty for host memory
    std::string api, memory;
    uint64_t size_bytes = 0;
    std::optional<LatencyView> map, unmap;  // absent when nothing ran

    bool ok() const { return status == "ok"; }
    // "map_single ram 4 KiB", for labels.
    std::string config_label() const;
    bool operator==(const MeasurementView&) const = default;
};

struct Snapshot {
    double generated_unix_s = 0;
    TopologyView topology;
    std::vector<MeasurementView> measurements;
};

// The measurements array alone (a document's "measurements" key).
Result<std::vector<MeasurementView>> read_measurements(const nlohmann::json& array);
Result<Snapshot> read_snapshot(const nlohmann::json& doc);
Result<Snapshot> parse_snapshot_json(std::string_view text);
// A saved file: a p2pscope.snapshot/1 document, or a p2pscope.topo/1 one
// (then without measurements).
Result<Snapshot> parse_saved_json(std::string_view text);

// "4 KiB", "2 MiB", "3000 B"
std::string format_bytes(uint64_t bytes);
// "412 ns", "12.3 us", "1.20 ms"
std::string format_ns(double ns);

}  // namespace p2pscope::gui
