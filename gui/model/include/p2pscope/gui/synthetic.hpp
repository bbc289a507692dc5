// SPDX-License-Identifier: GPL-2.0-or-later
// A made-up but well-formed large server for the GUI's benchmark and tests:
// two packages with two NUMA nodes each, host bridges with two levels of
// PCIe switches, and GPUs, NICs and NVMe drives below them, some links
// degraded and some switch ports with ACS redirection on. Never shown as if
// it were a real machine: its source says "synthetic".
#pragma once

#include "p2pscope/probe/topology.hpp"

namespace p2pscope::gui {

// `endpoints` is rounded up to a multiple of 16 (one host bridge's worth).
probe::Topology make_synthetic_topology(int endpoints);

}  // namespace p2pscope::gui
