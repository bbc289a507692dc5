// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/topology_view.hpp"

#include "p2pscope/probe/classes.hpp"
#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::exporter {

Result<std::shared_ptr<const TopologyView>> load_topology(const TopologyInput& in) {
    auto topology = probe::load_topology(in.source);
    if (!topology) return topology.error();
    auto view = std::make_shared<TopologyView>();
    view->topology = std::move(*topology);
    auto selected = probe::select_functions(view->topology, in.selection);
    if (!selected) return selected.error();
    view->selected = std::move(*selected);
    view->pairs = probe::analyse_pairs(view->topology, view->selected, in.verdict);
    view->json = probe::render_json(probe::Report{view->topology, view->selected, view->pairs});
    while (!view->json.empty() && (view->json.back() == '\n' || view->json.back() == ' ')) view->json.pop_back();
    return std::shared_ptr<const TopologyView>(std::move(view));
}


}  // namespace p2pscope::exporter
