// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/qualify/machine.hpp"

#include <memory>
#include <optional>

#include "p2pscope/input_file.hpp"
#include "p2pscope/probe/report.hpp"

namespace p2pscope::qualify {

namespace {

// This server as `p2pscope topo --class all --format json` reports it: what
// the qualify report carries, and what a baseline is compared with.
Result<std::string> topo_report(const probe::Topology& t, const probe::VerdictOptions& verdict) {
    probe::PairSelection all;
    all.all_classes = true;
    auto selected = probe::select_functions(t, all);
    if (!selected) return selected.error();
    return probe::render_json(probe::Report{t, *selected, probe::analyse_pairs(t, *selected, verdict)});
}

}  // namespace

Result<Report> qualify_machine(const MachineRequest& q, const ProgressFn& progress) {
    Thresholds th;
    if (!q.thresholds_file.empty()) {
        auto t = load_thresholds(q.thresholds_file);
        if (!t) return t.error();
        th = *t;
    }
    auto topology = probe::load_topology(q.input);
    if (!topology) return topology.error();
    auto pairs = select_pairs(*topology, q.devices, th, q.verdict);
    if (!pairs) return pairs.error();
    std::string here;
    if (q.with_topology || !q.baseline_file.empty()) {
        auto t = topo_report(*topology, q.verdict);
        if (!t) return t.error();
        here = std::move(*t);
    }
    // The baseline first: a bad file is refused before anything is measured.
    std::optional<DiffReport> baseline;
    if (!q.baseline_file.empty()) {
        auto golden = read_input_file(q.baseline_file, 256u << 20, "a topo or qualify report");
        if (!golden) return golden.error();
        auto diff = diff_reports(*golden, q.baseline_file, here, topology->source);
        if (!diff) return diff.error();
        baseline = std::move(*diff);
    }

    // Measurements run on this machine only: saved topology data has no devices to measure.
    const bool live = q.input.is_live();
    const std::string not_live = "measurements need this machine's devices; the topology is " + topology->source;
    std::unique_ptr<MapMeasurer> map;
    std::unique_ptr<TransferMeasurer> transfer;
    Measurers m;
    if (!q.map_off.empty()) m.map_waiver = q.map_off;
    else if (!live) m.map_waiver = not_live;
    else m.map = (map = make_kclient_map_measurer(q.device_node)).get();
    if (!q.transfers_off.empty()) m.transfer_waiver = q.transfers_off;
    else if (!live) m.transfer_waiver = not_live;
    else m.transfer = (transfer = make_xfer_transfer_measurer({"/", q.device_node, q.destructive})).get();
    if (live)
        m.read_aer = [](const std::vector<probe::PciAddress>& path) {
            AerSnapshot snapshot;
            for (const auto& a : path)
                if (auto aer = probe::read_aer_state("/", a)) snapshot[a] = *aer;
            return snapshot;
        };

    // Progress only where measurements make it worth watching (saved data is instant).
    auto report = run(*topology, *pairs, th, m, m.map || m.transfer ? progress : nullptr, q.stop);
    report.thresholds_file = q.thresholds_file;
    report.baseline = std::move(baseline);
    report.baseline_file = q.baseline_file;
    if (q.with_topology) report.topology_json = std::move(here);
    return report;
}

}  // namespace p2pscope::qualify
