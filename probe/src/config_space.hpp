// SPDX-License-Identifier: GPL-2.0-or-later
// Decodes what the pair analysis needs from raw PCI configuration space:
// header type and bridge buses, PCIe port type, link capability and status,
// MPS/MRRS, and the ACS, ATS and SR-IOV extended capabilities.
#pragma once

#include <cstdint>
#include <span>

#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe {

// config holds the first 64, 256 or 4096 bytes; fills f's config-derived fields.
void decode_config_space(std::span<const uint8_t> config, PciFunction& f);

// PCIe link speed encoding (Link Capabilities / Status, Supported Link Speeds) in GT/s.
double link_speed_gts(unsigned code);

}  // namespace p2pscope::probe
