// SPDX-License-Identifier: GPL-2.0-or-later
// Device classes the pair analysis filters on, from the PCI class code.
#pragma once

#include <optional>
#include <string_view>

#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe {

enum class DeviceClass { gpu, nic, nvme, accel, other };

std::string_view to_string(DeviceClass c);
std::optional<DeviceClass> parse_device_class(std::string_view name);  // gpu, nic, nvme, accel, other
// gpu: display and 3D controllers (class 03), except a server's management
// display (the BMC's VGA: ASPEED, Matrox G200, ATI ES1000, HiSilicon Hi171x,
// XGI Z7/Z9), which is other: it is a console, never a DMA peer.
DeviceClass classify(const PciFunction& f);
bool is_management_display(const PciFunction& f);
// Endpoints take part in pairs: every function that is not a bridge (class 06).
bool is_endpoint(const PciFunction& f);

}  // namespace p2pscope::probe
