// SPDX-License-Identifier: GPL-2.0-or-later
// Qualifying one machine from its topology input, end to end: thresholds,
// pair selection, the golden-server comparison, measurers on a live machine
// (waived with the reason on saved data), the checks. What `p2pscope
// qualify` and p2pscoped's qualify measurement share; errors are values.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "p2pscope/probe/sources.hpp"
#include "p2pscope/qualify/qualify.hpp"

namespace p2pscope::qualify {

struct MachineRequest {
    probe::TopologyInput input;
    std::string thresholds_file;  // empty: the built-in defaults (= qualify/thresholds.json)
    std::string baseline_file;    // empty: no golden-server comparison
    std::vector<probe::PciAddress> devices;  // empty: the pairs the thresholds' classes select
    probe::VerdictOptions verdict;
    // A measurement kind that is off is waived with this reason (empty: it runs).
    std::string map_off;
    std::string transfers_off;
    bool destructive = false;  // TransferOptions::destructive
    // Carry the server's topology in the report (Report::topology_json, what
    // the JSON report holds for p2pscope diff); without it, it is built only
    // for a baseline.
    bool with_topology = true;
    std::string device_node = "/dev/p2pscope";
    // Asked before each pair: true stops the run (Report::stopped), e.g. a
    // daemon that is shutting down.
    std::function<bool()> stop;
};

// Bad input (thresholds, baseline, devices, topology) is an error before
// anything is measured. progress is called only when something is measured.
Result<Report> qualify_machine(const MachineRequest& request, const ProgressFn& progress = {});

}  // namespace p2pscope::qualify
