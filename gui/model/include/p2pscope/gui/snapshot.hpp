// SPDX-License-Identifier: GPL-2.0-or-later
// What p2pscoped serves at GET /snapshot.json (schema p2pscope.snapshot/1):
// the topology exactly as `p2pscope topo --format json` prints it, and the
// measurements the daemon has finished, each the fields of one
// `p2pscope map --format json` result plus kind, key, finish time and status.
// A transfer entry (the p2pscope.xfer/1 parts of one run) is read as one view
// per results[] row, key "KEY/LABEL", as the in-process runs make them; a run
// without rows (waived, failed) as one view "KEY/-" that says why.
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

// The figures of one transfer row (one access width or copy kind of an xfer
// engine's run), as xfer::Measurement has them.
struct TransferView {
    std::string engine, direction;
    std::string label;  // "8-byte", "memcpy", "h2d pinned"
    uint64_t transfers = 0;
    double seconds = 0;  // sum of the timed transfers
    double bytes_per_second = 0;
    double min_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0, mean_ns = 0;  // per transfer
    std::optional<bool> verified;  // none: not checked
    std::string verify_detail;     // on a mismatch: where; or why it was not checked
    bool operator==(const TransferView&) const = default;
};

struct MeasurementView {
    std::string kind;  // "map", "transfer" (in-process or daemon rows); other kinds are listed, not plotted
    std::string key;   // stable per configuration: a series in the plots
    double finished_unix_s = 0;
    std::string status;  // ok, waived, failed (stopped: an in-process run cut short; fault, error: a transfer row)
    std::string reason;  // why it is not ok; may be empty for ok
    std::string device;  // BDF of the device that maps; empty when not given
    std::string peer;    // p2pmem provider or BAR owner; empty for host memory
    std::string api, memory;
    uint64_t size_bytes = 0;
    std::optional<LatencyView> map, unmap;  // absent when nothing ran
    std::optional<TransferView> transfer;    // kind "transfer": absent when nothing ran

    bool ok() const { return status == "ok"; }
    // "map_single ram 4 KiB", "cpu read 8-byte file 64 KiB", for labels.
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
// "12.34 GB/s", "850.00 MB/s", "3.2 kB/s" (decimal, as p2pscope xfer prints)
std::string format_rate(double bytes_per_second);

}  // namespace p2pscope::gui
