// SPDX-License-Identifier: GPL-2.0-or-later
// The inputs a Topology is read from. Each returns an Error naming the file and
// the problem instead of a partial topology.
#pragma once

#include <string>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::probe {

// A live system, or an unpacked copy of one: sysfs_root/sys/bus/pci/devices,
// sysfs_root/proc/cpuinfo. Config space through libpci's linux-sysfs method,
// packages and NUMA locality through hwloc reading the same tree.
struct SysfsOptions {
    std::string root = "/";
    std::string pci_ids;  // empty: /usr/share/misc/pci.ids
};
Result<Topology> load_sysfs(const SysfsOptions& options);

// hwloc XML exported on any machine (lstopo --of xml, hwloc_topology_export_xml).
Result<Topology> load_hwloc_xml(const std::string& path);

// `lspci -xxxx` output (with or without -v text), read by libpci's dump method.
Result<Topology> load_lspci_dump(const std::string& path);

// The input a front end names (p2pscope topo, p2pscoped, the GUI): at most one
// of hwloc_xml and lspci_dump; neither means the sysfs tree at sysfs_root.
struct TopologyInput {
    std::string sysfs_root = "/";
    std::string hwloc_xml;
    std::string lspci_dump;
};
Result<Topology> load_topology(const TopologyInput& input);

// Writes the hwloc view of a live system (or sysfs root) as hwloc XML.
Status export_hwloc_xml(const SysfsOptions& options, const std::string& path);

}  // namespace p2pscope::probe
