// SPDX-License-Identifier: GPL-2.0-or-later
// What p2pscope-bench puts in Google Benchmark's context: the machine a run
// measured (kernel, IOMMU mode, CPU model, a hash of its topology), so two
// reports can be told apart before they are compared. Reads files; never prints.
#pragma once

#include <string>

#include "p2pscope/probe/sources.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::bench {

// `uname -r`.
std::string kernel_release();
// "model name" of ROOT/proc/cpuinfo, or "unknown (...)".
std::string cpu_model(const std::string& root = "/");
// IOMMU units in ROOT/sys/class/iommu and the default domain types of the
// groups in ROOT/sys/kernel/iommu_groups: "on: dmar0, dmar1; groups: DMA-FQ x 41"
// or "off: no IOMMU units in /sys/class/iommu".
std::string iommu_mode(const std::string& root = "/");
// FNV-1a 64 of the prober's JSON (every function, every pair) for an input,
// "fnv1a64:<16 hex digits>"; the same topology gives the same hash.
Result<std::string> topology_hash(const probe::TopologyInput& input);
std::string fnv1a64_hex(const std::string& text);

}  // namespace p2pscope::bench
