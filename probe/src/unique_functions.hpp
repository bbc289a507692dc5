// SPDX-License-Identifier: GPL-2.0-or-later
// One check, shared by every reader whose input can name a PCI function
// twice (an lspci dump or text with two outputs pasted together, an hwloc
// XML edited or merged by hand): such an input is refused, never read as two
// devices of which one would be paired with the other.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::probe {

class UniqueFunctions {
public:
    // An error naming WHERE ("FILE:LINE", or "FILE" where the input has no
    // lines) and the likely CAUSE when ADDRESS was added before.
    Status add(const PciAddress& address, const std::string& where, std::string_view cause) {
        if (seen_.insert(address).second) return Ok{};
        return make_error(Errc::bad_input,
                          where + ": device " + address.to_string() + " appears twice (" + std::string(cause) + ")");
    }

private:
    std::set<PciAddress> seen_;
};

}  // namespace p2pscope::probe
