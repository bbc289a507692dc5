// SPDX-License-Identifier: GPL-2.0-or-later
// The topology p2pscoped reports: read from the same inputs as `p2pscope
// topo`, analysed once per load, rendered once as topo JSON, then shared
// read-only by every scrape.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/sources.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

struct TopologyInput {
    probe::TopologyInput source;  // as `p2pscope topo` reads it (this machine by default)
    probe::PairSelection selection;
    probe::VerdictOptions verdict;
};

// Immutable once built; `selected` points into `topology`, so it lives behind
// a shared_ptr and is never copied.
struct TopologyView {
    probe::Topology topology;
    std::vector<const probe::PciFunction*> selected;
    std::vector<probe::Pair> pairs;
    std::string json;  // exactly `p2pscope topo --format json` (probe::render_json)

    TopologyView() = default;
    TopologyView(const TopologyView&) = delete;
    TopologyView& operator=(const TopologyView&) = delete;
};

Result<std::shared_ptr<const TopologyView>> load_topology(const TopologyInput& input);

}  // namespace p2pscope::exporter
