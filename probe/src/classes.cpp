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

bool is_management_display(const PciFunction& f) {
    if (f.base_class() != 0x03) return false;
    switch (f.vendor_id) {
    case 0x1a03: return true;  // ASPEED: the BMC's VGA on most servers
    case 0x102b: return true;  // Matrox: G200e/eR/eW/eH BMC VGA
    case 0x1002: return f.device_id == 0x515e || f.device_id == 0x5159;  // ATI ES1000 / RN50 server VGA
    case 0x19e5: return f.device_id == 0x1711;  // HiSilicon Hi171x iBMC VGA
    case 0x18ca: return f.device_id == 0x0020 || f.device_id == 0x0021;  // XGI Z7/Z9 server VGA
    default: return false;
    }
}

DeviceClass classify(const PciFunction& f) {
    const uint16_t cls = f.class_id();
    if (is_management_display(f)) return DeviceClass::other;  // a console, not a DMA peer
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
