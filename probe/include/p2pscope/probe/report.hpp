// SPDX-License-Identifier: GPL-2.0-or-later
// Renders a topology and its pair analysis for people (table + matrix + legend),
// for programs (JSON, keys documented in docs/topo-json.md) and for Graphviz.
#pragma once

#include <string>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe {

struct Report {
    const Topology& topology;
    const std::vector<const PciFunction*>& selected;
    const std::vector<Pair>& pairs;
};

std::string render_text(const Report& r);
std::string render_json(const Report& r);
std::string render_dot(const Report& r);

}  // namespace p2pscope::probe
