// SPDX-License-Identifier: GPL-2.0-or-later
// Running one measurement once: the topology probe, one map combination
// through the kernel module, one transfer through an engine, or a qualify. Every run
// ends in a record (ok, waived or failed with the reason); nothing here
// throws, prints or exits.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "p2pscope/exporter/config.hpp"
#include "p2pscope/exporter/record.hpp"
#include "p2pscope/exporter/topology_view.hpp"
#include "p2pscope/exporter/transfer.hpp"
#include "p2pscope/kclient/device.hpp"

namespace p2pscope::exporter {

struct RunContext {
    const TopologyInput& topology_input;
    std::string device_node;
    const TransferEngines& engines;
    // True when the daemon is stopping: a qualify run stops before its next pair.
    std::function<bool()> stopping;
};

struct RunOutput {
    // seq is left 0 and totals count this run alone: the scheduler numbers
    // the record and adds the totals of the key's previous record.
    MeasurementRecord record;
    std::shared_ptr<const TopologyView> topology;  // set by a topology run that succeeded
    // The daemon began to stop during the run (a qualify run ends before its
    // next pair): not a result. It is neither journaled nor shown, so the
    // previous result stays, and the key is due again at the next start.
    bool cut_short = false;
};

RunOutput run_measurement(const MeasurementSpec& spec, const RunContext& context);

// One result of `p2pscope map --format json` (schema p2pscope.map/1,
// results[]), field for field.
nlohmann::json map_result_json(const kclient::MapRequest& request, const kclient::MapResult& result);

}  // namespace p2pscope::exporter
