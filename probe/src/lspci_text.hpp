// SPDX-License-Identifier: GPL-2.0-or-later
// What the two halves of the `lspci -vvv` text reader share: a device's block
// of lines as source_lspci_text.cpp splits it from the text, and the reading
// of that block's fields (lspci_text_fields.cpp).
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe::lspci_text {

// A whole hex number ("1f", "0000"); none for anything else.
inline std::optional<unsigned> hex_value(std::string_view s) {
    unsigned v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// One device's block: the header and its indented lines, each register with
// its continuation lines joined ("DevCtl: ... NoSnoop- MaxPayload 256 bytes").
struct Block {
    PciAddress address;
    std::string header;  // after the address
    unsigned line = 0;
    struct Field {
        std::string key, value;
        size_t depth;  // leading tabs: 1 for the function's own lines, 2 for a capability's registers
    };
    std::vector<Field> fields;  // in order: "Bus", "Capabilities", "DevCtl"
};

// "[110 v1] Access Control Services" (extended space) against "[90] Express (v2) Root Port".
bool is_extended_capability(const std::string& capability);

// What a device's fields say about it: bridge buses, BARs, driver, NUMA node,
// IOMMU group and the decoded capabilities, and how much config space lspci
// read (EXTENDED_VISIBLE: some device in the text shows an extended
// capability). ACCESS_DENIED is set where lspci could not read the capabilities.
void apply_fields(const Block& b, bool extended_visible, PciFunction& f, bool& access_denied);

}  // namespace p2pscope::probe::lspci_text
