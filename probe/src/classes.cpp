// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/probe/classes.hpp"

namespace p2pscope::probe {

std::string_view to_string(DeviceClass c) {
    switch (c) {
    case DeviceClass::gpu: return "gpu";
    case DeviceClass::nic: return "nic";
    case DeviceClass::nvme: return "nvme";
    case DeviceClass::accel: return "accel";
    case DeviceClass::other: return "other";
    }
    return "other";
}

std::optional<DeviceClass> parse_device_class(std::string_view name) {
    for (auto c : {DeviceClass::gpu, DeviceClass::nic, DeviceClass::nvme, DeviceClass::accel, DeviceClass::other})
        if (name == to_string(c)) return c;
    return std::nullopt;
}

DeviceClass classify(const PciFunction& f) {
    const uint16_t cls = f.class_id();
    switch (f.base_class()) {
    case 0x03: return DeviceClass::gpu;    // display controllers: VGA, XGA, 3D
    case 0x02: return DeviceClass::nic;    // network controllers, InfiniBand included
    case 0x12: return DeviceClass::accel;  // processing accelerators
    default: break;
    }
    if (cls == 0x0108) return DeviceClass::nvme;   // non-volatile memory controller
    if (cls == 0x0b40) return DeviceClass::accel;  // co-processor
    return DeviceClass::other;
}

bool is_endpoint(const PciFunction& f) { return !f.is_bridge && f.base_class() != 0x06; }

}  // namespace p2pscope::probe
