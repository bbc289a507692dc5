// SPDX-License-Identifier: GPL-2.0-or-later
// Inside p2pscope_qualify: the table in which each check is declared once
// (check_table.cpp). run() walks it for every pair; the thresholds file's
// sections, their parsing and a report's `thresholds` come from it.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "p2pscope/qualify/qualify.hpp"
#include "thresholds_keys.hpp"

namespace p2pscope::qualify {

// What a check sees of one pair.
struct PairContext {
    const probe::Topology& topology;
    const probe::Pair& pair;
    const probe::PciFunction& a;
    const probe::PciFunction& b;
    const std::vector<LinkOnPath>& links;  // links_on_path(topology, a, b)
    const Thresholds& thresholds;
    const Measurers& measurers;
    // AER counters of the path, read (on a live machine) before the first
    // check that measures and after the last one; null before that or when
    // they cannot be read.
    const AerSnapshot* aer_before = nullptr;
    const AerSnapshot* aer_after = nullptr;
};

struct CheckDefinition {
    std::string_view name;  // in reports; also its section of the thresholds file
    bool measures = false;  // maps or moves data through the machine
    std::span<const ThresholdKey> thresholds = {};  // its keys in the thresholds file (none: no section)
    // The check on one pair; none when it does not apply to the pair (it then
    // neither passes nor is waived, and is not listed).
    std::optional<CheckResult> (*run)(const PairContext& c) = nullptr;
};

// Every check, in the order reports list them.
std::span<const CheckDefinition> check_table();

}  // namespace p2pscope::qualify
