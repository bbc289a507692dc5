// SPDX-License-Identifier: GPL-2.0-or-later
// hwloc as the source of packages, NUMA nodes, CPU identity and I/O locality,
// and (for hwloc XML) of the PCI tree itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <hwloc.h>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::probe {

struct HwlocDeleter {
    void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using HwlocTopology = std::unique_ptr<hwloc_topology, HwlocDeleter>;

// The live system when root is "/", else the copy of /sys and /proc under
// root; with_io adds every PCI device and bridge.
Result<HwlocTopology> load_hwloc_fsroot(const std::string& root, bool with_io);
Result<HwlocTopology> load_hwloc_xml_file(const std::string& path);

// Host bridges with their NUMA node and package (from hwloc's own host
// bridge objects), the CPU, package and NUMA counts.
void apply_hwloc_locality(hwloc_topology_t topo, Topology& t);
// The same for a topology loaded without I/O: each host bridge's locality from
// the local_cpus mask of a function on its root bus, placed in hwloc's tree.
void apply_sysfs_locality(hwloc_topology_t topo, const std::string& root, Topology& t);

// The PCI functions hwloc holds (bridges included), with parent and host bridge set.
std::vector<PciFunction> hwloc_pci_functions(hwloc_topology_t topo);

}  // namespace p2pscope::probe
