// SPDX-License-Identifier: GPL-2.0-or-later
// The inputs a Topology is read from. Each returns an Error naming the file and
// the problem instead of a partial topology.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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
// One function's AER state now: its status registers (from its config file,
// readable by root) and Linux's counters (aer_dev_*), for a before-and-after
// comparison. None when neither is there.
std::optional<Aer> read_aer_state(const std::string& sysfs_root, const PciAddress& address);

// hwloc XML exported on any machine (lstopo --of xml, hwloc_topology_export_xml).
Result<Topology> load_hwloc_xml(const std::string& path);

// `lspci -xxxx` output (with or without -v text), read by libpci's dump method.
Result<Topology> load_lspci_dump(const std::string& path);

// `lspci -vvv` text (with or without -nn, -D, and a -tv tree after it).
Result<Topology> load_lspci_text(const std::string& path);

// The input a front end names (p2pscope topo, qualify, the GUI): at most one
// of the files; none means the sysfs tree at sysfs_root. `file` is any of
// them, its format told from its content (load_topology says which it took).
struct TopologyInput {
    std::string sysfs_root = "/";
    std::string hwloc_xml;
    std::string lspci_dump;
    std::string lspci_text;
    std::string file;
    // This machine itself: measurements can run on what it describes.
    bool is_live() const;
};
// This machine's boot id (/proc/sys/kernel/random/boot_id): it tells a front end
// that live data served from elsewhere (a daemon behind a port forward or a
// tunnel, which is not this machine though it answers on loopback) is this
// machine's or not. Empty when it cannot be read.
std::string this_boot_id();
Result<Topology> load_topology(const TopologyInput& input);

enum class InputFormat { sysfs_tree, hwloc_xml, lspci_dump, lspci_text };
// What PATH holds, from its first bytes: a directory with sys/bus/pci, hwloc
// XML, an lspci -xxxx dump (hex rows) or lspci text (device lines without them).
Result<InputFormat> detect_input_format(const std::string& path);

// Writes the hwloc view of a live system (or sysfs root) as hwloc XML.
Status export_hwloc_xml(const SysfsOptions& options, const std::string& path);

}  // namespace p2pscope::probe
