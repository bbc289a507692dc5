// SPDX-License-Identifier: GPL-2.0-or-later
// Vendor and device names from pci.ids.
#pragma once

#include <string>
#include <vector>

#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe {

inline constexpr const char* kDefaultPciIds = "/usr/share/misc/pci.ids";

// Fills vendor_name and device_name of functions that lack them. One pass over
// the file looks up only the ids present: libpci parses the whole database
// into a hash first, which costs more than the rest of a topology analysis.
// A missing or unreadable file leaves the names empty.
void fill_names(std::vector<PciFunction>& functions, const std::string& pci_ids = kDefaultPciIds);

}  // namespace p2pscope::probe
