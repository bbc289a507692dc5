// SPDX-License-Identifier: GPL-2.0-or-later
// The result of one run of one measurement: what the journal stores, the
// snapshot shows and the collectors expose.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

enum class MeasurementKind { topology, map, transfer, qualify };
std::string_view to_string(MeasurementKind kind);
std::optional<MeasurementKind> parse_kind(std::string_view name);

// ok: the measurement ran to completion. waived: its preconditions do not hold
// here (the module said why, or the engine did). failed: it could not run or
// stopped early; reason says why.
enum class Outcome { ok, waived, failed };
inline constexpr std::array<Outcome, 3> kOutcomes{Outcome::ok, Outcome::waived, Outcome::failed};
std::string_view to_string(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view name);

// Latency statistics of one run, from the module's histogram (ns).
struct LatencyFigures {
    uint64_t count = 0, min_ns = 0, max_ns = 0;
    double mean_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0;
};

// Typed view of a map result, for the collectors.
struct MapFigures {
    std::string device, api, memory;
    LatencyFigures map, unmap;
};

// Typed view of a transfer result: one row per access width or copy kind
// (the `results[]` of p2pscope.xfer/1).
struct TransferRowFigures {
    std::string label;          // "8-byte", "memcpy", "h2d pinned"
    std::string status = "ok";  // class of the row's status: ok, waived, fault, error
    uint64_t transfer_bytes = 0, transfers = 0;
    double bytes_per_second = 0;
    std::optional<double> ceiling_fraction;  // of the link's raw rate; none without a PCI link
    double min_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0, mean_ns = 0;
    std::optional<bool> verified;  // none: not checked
};
struct TransferFigures {
    std::string engine, device, peer, direction, memory;  // device, peer: "" when none
    std::string path_class, p2pdma_verdict;                // "" when there is no device pair
    std::vector<TransferRowFigures> rows;                  // empty when the run was waived or failed early
};

// Typed view of a qualify run (the p2pscope.qualify/1 report): each pair's
// checks and their results.
struct QualifyCheckFigures {
    std::string check, result;       // "acs", "fail"
    std::optional<double> measured;  // as the report gives it (map: p99 ns; transfer: fraction of the ceiling)
};
struct QualifyPairFigures {
    std::string a, b, classes, path, result;
    std::vector<QualifyCheckFigures> checks;
};
struct QualifyFigures {
    std::string result;  // pass, pass_with_waivers, fail, nothing_checked
    std::optional<uint64_t> baseline_differences;  // none without a baseline
    std::vector<QualifyPairFigures> pairs;
};

// Sums over every run of one key: carried from record to record (each record
// holds the totals including itself), so replaying the latest record of a key
// restores its counters.
struct RunTotals {
    std::array<uint64_t, 3> runs{};  // indexed by Outcome
    uint64_t map_samples = 0, map_sum_ns = 0;
    uint64_t unmap_samples = 0, unmap_sum_ns = 0;
    uint64_t transfer_bytes = 0, transfer_samples = 0, transfer_sum_ns = 0;  // every row of a transfer
    struct Row {
        uint64_t bytes = 0, transfers = 0, sum_ns = 0;
    };
    std::map<std::string, Row> transfer_rows;  // per row label of a transfer

    void add(const RunTotals& other);
};

struct MeasurementRecord {
    uint64_t seq = 0;  // journal order
    std::string key;
    MeasurementKind kind = MeasurementKind::topology;
    double started_unix_s = 0, finished_unix_s = 0, duration_s = 0;
    Outcome status = Outcome::failed;
    std::string reason;  // empty when ok
    // Kind-specific fields, as the snapshot shows them (exporter/README.md):
    // map: the fields of one `p2pscope map --format json` result.
    nlohmann::json result = nlohmann::json::object();
    std::optional<MapFigures> map;            // map runs that took samples
    std::optional<TransferFigures> transfer;  // every transfer run (rows only where the engine ran)
    std::optional<QualifyFigures> qualify;    // qualify runs that produced a report
    RunTotals totals;
};

// The journal's payload: one line of JSON, and back. from_json checks every
// field and rebuilds the typed views.
std::string to_journal_json(const MeasurementRecord& record);
Result<MeasurementRecord> from_journal_json(std::string_view text);

// Fills map / transfer / qualify from result (runs that took samples); called by
// from_journal_json and by the measurements, so both agree.
void derive_typed_views(MeasurementRecord& record);

// One entry of /snapshot.json's measurements[].
nlohmann::json snapshot_entry(const MeasurementRecord& record);

// The p2pscope.map/1 summary object (count, min_ns, p50_ns, ...), and back.
nlohmann::json latency_json(const LatencyFigures& f);
std::optional<LatencyFigures> latency_from_json(const nlohmann::json& j);

}  // namespace p2pscope::exporter
