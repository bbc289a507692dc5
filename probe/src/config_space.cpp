// SPDX-License-Identifier: GPL-2.0-or-later
#include "config_space.hpp"

#include <set>

namespace p2pscope::probe {

namespace {

// Register offsets from the PCI and PCI Express specifications (Linux: include/uapi/linux/pci_regs.h).
constexpr unsigned kHeaderType = 0x0e;
constexpr unsigned kStatus = 0x06;
constexpr uint16_t kStatusCapList = 0x10;
constexpr unsigned kCapabilityList = 0x34;
constexpr unsigned kSecondaryBus = 0x19;
constexpr unsigned kSubordinateBus = 0x1a;
constexpr uint8_t kCapIdExp = 0x10;
constexpr uint16_t kExtCapIdAcs = 0x000d;
constexpr uint16_t kExtCapIdAts = 0x000f;
constexpr uint16_t kExtCapIdSriov = 0x0010;

struct Reader {
    std::span<const uint8_t> c;
    bool has(unsigned off, unsigned len) const { return off + len <= c.size(); }
    uint8_t u8(unsigned off) const { return c[off]; }
    uint16_t u16(unsigned off) const { return static_cast<uint16_t>(c[off] | c[off + 1] << 8); }
    uint32_t u32(unsigned off) const { return static_cast<uint32_t>(u16(off)) | static_cast<uint32_t>(u16(off + 2)) << 16; }
};

PortType port_type_from(unsigned v) {
    switch (v) {
    case 0x0: return PortType::endpoint;
    case 0x1: return PortType::legacy_endpoint;
    case 0x4: return PortType::root_port;
    case 0x5: return PortType::upstream_port;
    case 0x6: return PortType::downstream_port;
    case 0x7: return PortType::pcie_to_pci_bridge;
    case 0x8: return PortType::pci_to_pcie_bridge;
    case 0x9: return PortType::rc_integrated_endpoint;
    case 0xa: return PortType::rc_event_collector;
    default: return PortType::other;
    }
}

void decode_pcie_capability(const Reader& r, unsigned pos, PciFunction& f) {
    if (!r.has(pos, 0x14)) return;
    const uint16_t flags = r.u16(pos + 0x02);
    const auto type = port_type_from((flags >> 4) & 0xf);
    f.port_type = type;
    const uint32_t devcap = r.u32(pos + 0x04);
    const uint16_t devctl = r.u16(pos + 0x08);
    (void)devcap;
    f.mps_bytes = 128 << ((devctl >> 5) & 0x7);
    f.mrrs_bytes = 128 << ((devctl >> 12) & 0x7);
    const uint32_t lnkcap = r.u32(pos + 0x0c);
    const uint16_t lnksta = r.u16(pos + 0x12);
    // Root complex integrated endpoints and event collectors have no link.
    if (type == PortType::rc_integrated_endpoint || type == PortType::rc_event_collector) return;
    if (unsigned s = lnkcap & 0xf; s) f.link.max_speed_gts = link_speed_gts(s);
    if (unsigned w = (lnkcap >> 4) & 0x3f; w) f.link.max_width = static_cast<int>(w);
    if (unsigned s = lnksta & 0xf; s) f.link.speed_gts = link_speed_gts(s);
    if (unsigned w = (lnksta >> 4) & 0x3f; w) f.link.width = static_cast<int>(w);
}

}  // namespace

double link_speed_gts(unsigned code) {
    switch (code) {
    case 1: return 2.5;
    case 2: return 5.0;
    case 3: return 8.0;
    case 4: return 16.0;
    case 5: return 32.0;
    case 6: return 64.0;
    default: return 0.0;
    }
}

void decode_config_space(std::span<const uint8_t> config, PciFunction& f) {
    const Reader r{config};
    f.config_bytes = config.size() >= 4096 ? 4096 : config.size() >= 256 ? 256 : config.size() >= 64 ? 64 : 0;
    if (f.config_bytes == 0) return;
    const uint8_t header = r.u8(kHeaderType) & 0x7f;
    f.is_bridge = header == 1;
    if (f.is_bridge) {
        f.secondary_bus = r.u8(kSecondaryBus);
        f.subordinate_bus = r.u8(kSubordinateBus);
    }
    if (f.config_bytes < 256 || !(r.u16(kStatus) & kStatusCapList)) return;

    // Standard capability list; the visited set guards against loops in corrupt data.
    std::set<unsigned> seen;
    for (unsigned pos = r.u8(kCapabilityList) & 0xfc; pos >= 0x40 && pos + 2 <= 256 && seen.insert(pos).second;
         pos = r.u8(pos + 1) & 0xfc) {
        if (r.u8(pos) == kCapIdExp) decode_pcie_capability(r, pos, f);
    }
    if (f.config_bytes < 4096 || !f.port_type) return;

    seen.clear();
    for (unsigned pos = 0x100; pos >= 0x100 && pos + 4 <= 4096 && seen.insert(pos).second;) {
        const uint32_t header32 = r.u32(pos);
        if (header32 == 0 || header32 == 0xffffffff) break;
        const uint16_t id = header32 & 0xffff;
        if (id == kExtCapIdAcs && r.has(pos, 8)) {
            f.acs = Acs{r.u16(pos + 4), r.u16(pos + 6)};
        } else if (id == kExtCapIdAts && r.has(pos, 8)) {
            f.ats_enabled = (r.u16(pos + 6) & 0x8000) != 0;
        } else if (id == kExtCapIdSriov && r.has(pos, 0x14)) {
            f.sriov = Sriov{r.u16(pos + 0x0e), r.u16(pos + 0x10)};
        }
        pos = (header32 >> 20) & 0xffc;
    }
}

}  // namespace p2pscope::probe
