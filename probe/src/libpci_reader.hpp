// SPDX-License-Identifier: GPL-2.0-or-later
// Reads PCI functions and their configuration space through libpci, with
// libpci's fatal-error callback turned into an Error value.
#pragma once

#include <string>
#include <vector>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::probe {

struct LibpciSource {
    enum class Method { sysfs, dump } method;
    std::string path;  // sysfs: the .../sys/bus/pci directory; dump: the dump file
};

// Functions with ids, class and decoded config space. Names, parent, host
// bridge and the Linux-only attributes are left to the caller.
Result<std::vector<PciFunction>> read_libpci(const LibpciSource& source, std::vector<std::string>& warnings);

}  // namespace p2pscope::probe
