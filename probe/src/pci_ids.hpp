// SPDX-License-Identifier: GPL-2.0-or-later
// Vendor and device names from pci.ids.
#pragma once

#include <cstdint>
#include <optional>
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

// Ids back from the names lspci printed without -n: "Vendor Device" texts
// (or "Vendor Device 1db8", "Device 10de:1db8" for names pci.ids lacks) and
// class names ("Ethernet controller", "Class 0b40"). A name that maps to no id
// or to several stays unresolved.
struct NameLookup {
    std::string device_text;  // in: "Intel Corporation Ethernet Controller X710 for 10GbE SFP+"
    std::string class_text;   // in: "Ethernet controller"
    std::optional<uint16_t> vendor_id, device_id;  // out
    std::optional<uint16_t> class_id;               // out: base << 8 | sub
};
void resolve_names(std::vector<NameLookup>& lookups, const std::string& pci_ids = kDefaultPciIds);

}  // namespace p2pscope::probe
