// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope qualify: the pairs that matter, every check on each, a verdict per
// pair and for the whole machine. Never prints, never exits: the report is a
// value, rendered by render_text / render_json (docs/qualify.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/qualify/checks.hpp"
#include "p2pscope/qualify/diff.hpp"
#include "p2pscope/qualify/measure.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::qualify {

// The pairs that matter: with devices named (--devices) every pair of them;
// otherwise every pair of GPUs, NICs, NVMe drives and accelerators whose
// classes are in thresholds.p2p_class_pairs.
Result<std::vector<probe::Pair>> select_pairs(const probe::Topology& t, const std::vector<probe::PciAddress>& devices,
                                              const Thresholds& th, const probe::VerdictOptions& verdict = {});

// How measurements are taken. A null measurer is waived with the reason.
struct Measurers {
    MapMeasurer* map = nullptr;
    std::string map_waiver;  // why map is null ("not run (--no-map)")
    TransferMeasurer* transfer = nullptr;
    std::string transfer_waiver;
    // AER counters of these functions now (a live machine); null: only the
    // status latched in the topology is checked.
    std::function<AerSnapshot(const std::vector<probe::PciAddress>&)> read_aer;
};

struct PairReport {
    probe::Pair pair;
    std::string classes;  // "gpu-nvme"
    std::vector<CheckResult> checks;
    Outcome outcome() const;  // fail if one failed; pass if none failed and one passed; else waived
    int count(Outcome o) const;
};

enum class Verdict { pass, pass_with_waivers, fail, nothing_checked };
std::string_view to_string(Verdict v);  // "pass", "pass_with_waivers", "fail", "nothing_checked"

struct Report {
    std::string source;           // the topology's source
    std::string thresholds_file;  // empty: built-in defaults (= qualify/thresholds.json)
    Thresholds thresholds;
    std::vector<PairReport> pairs;
    // --baseline: this server against a golden one (p2pscope diff); a
    // difference fails the run.
    std::optional<DiffReport> baseline;
    std::string baseline_file;
    bool stopped = false;  // asked to stop: pairs holds the pairs checked before
    // The server as `p2pscope topo --class all --format json` reports it (set
    // by qualify_machine): the report carries it, so that p2pscope diff can
    // match two reports' devices by their place in the tree.
    std::string topology_json;
    int checks(Outcome o) const;
    int pairs_with(Outcome o) const;
    Verdict verdict() const;
};

// Progress, for a front end that shows it: called before each pair's checks
// (done == nullptr) and after them (done == the pair's report).
struct PairProgress {
    std::size_t index = 0;  // 0-based
    std::size_t total = 0;
    const probe::Pair* pair = nullptr;
    const PairReport* done = nullptr;
};
using ProgressFn = std::function<void(const PairProgress&)>;

// stop is asked before each pair; true ends the run there (Report::stopped).
Report run(const probe::Topology& t, const std::vector<probe::Pair>& pairs, const Thresholds& th,
           const Measurers& m, const ProgressFn& progress = {}, const std::function<bool()>& stop = {});

std::string render_text(const Report& r);
std::string render_json(const Report& r);  // schema p2pscope.qualify/1

}  // namespace p2pscope::qualify
