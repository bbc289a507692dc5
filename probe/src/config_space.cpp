// SPDX-License-Identifier: GPL-2.0-or-later
#include "config_space.hpp"

#include <set>
#include <string>
#include <utility>

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
constexpr uint16_t kExtCapIdAer = 0x0001;
constexpr uint16_t kExtCapIdRebar = 0x0015;

// AER status bits by the names lspci prints (PCIe base spec 7.8.4.2 and 7.8.4.5).
constexpr std::pair<uint32_t, const char*> kUncorrectable[] = {
    {1u << 4, "DLP"},       {1u << 5, "SDES"},      {1u << 12, "TLP"},      {1u << 13, "FCP"},
    {1u << 14, "CmpltTO"},  {1u << 15, "CmpltAbrt"}, {1u << 16, "UnxCmplt"}, {1u << 17, "RxOF"},
    {1u << 18, "MalfTLP"},  {1u << 19, "ECRC"},     {1u << 20, "UnsupReq"}, {1u << 21, "ACSViol"},
    {1u << 22, "UncorrIntErr"}, {1u << 23, "BlockedTLP"}, {1u << 24, "AtomicOpBlocked"}, {1u << 25, "TLPBlockedErr"},
    {1u << 26, "PoisonTLPBlocked"},
};
constexpr std::pair<uint32_t, const char*> kCorrectable[] = {
    {1u << 0, "RxErr"},    {1u << 6, "BadTLP"},  {1u << 7, "BadDLLP"},
    {1u << 8, "Rollover"}, {1u << 12, "Timeout"}, {1u << 13, "AdvNonFatalErr"},
    {1u << 14, "CorrIntErr"}, {1u << 15, "HeaderOF"},
};

template <size_t N>
std::string bit_names(uint32_t value, const std::pair<uint32_t, const char*> (&names)[N]) {
    std::string out;
    for (const auto& [bit, name] : names) {
        if (!(value & bit)) continue;
        if (!out.empty()) out += ' ';
        out += name;
    }
    return out;
}

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
    const uint16_t devctl = r.u16(pos + 0x08);
    f.mps_bytes = 128 << ((devctl >> 5) & 0x7);
    f.mrrs_bytes = 128 << ((devctl >> 12) & 0x7);
    f.relaxed_ordering = (devctl & 0x0010) != 0;
    f.no_snoop = (devctl & 0x0800) != 0;
    // Device Capabilities 2 and Device Control 2 exist from capability version 2.
    if ((flags & 0xf) >= 2 && r.has(pos, 0x2c)) {
        const uint32_t devcap2 = r.u32(pos + 0x24);
        const uint16_t devctl2 = r.u16(pos + 0x28);
        f.ten_bit_tags = TenBitTags{(devcap2 & (1u << 16)) != 0, (devcap2 & (1u << 17)) != 0,
                                    (devctl2 & (1u << 12)) != 0};
    }
    const uint32_t lnkcap = r.u32(pos + 0x0c);
    const uint16_t lnksta = r.u16(pos + 0x12);
    // Root complex integrated endpoints and event collectors have no link.
    if (type == PortType::rc_integrated_endpoint || type == PortType::rc_event_collector) return;
    if (unsigned s = lnkcap & 0xf; s) f.link.max_speed_gts = link_speed_gts(s);
    if (unsigned w = (lnkcap >> 4) & 0x3f; w) f.link.max_width = static_cast<int>(w);
    if (unsigned s = lnksta & 0xf; s) f.link.speed_gts = link_speed_gts(s);
    if (unsigned w = (lnksta >> 4) & 0x3f; w) f.link.width = static_cast<int>(w);
}

// Base address registers: kind and width; sizes are not in config space
// (finding one takes writing the register) and come from the input's other data.
void decode_bars(const Reader& r, unsigned count, PciFunction& f) {
    f.bars.clear();
    for (unsigned i = 0; i < count; ++i) {
        const uint32_t v = r.u32(0x10 + 4 * i);
        if (v == 0) continue;  // not implemented, or not assigned
        Bar bar;
        bar.index = static_cast<int>(i);
        bar.io = (v & 0x1) != 0;
        if (!bar.io) {
            bar.is_64bit = ((v >> 1) & 0x3) == 0x2;
            bar.prefetchable = (v & 0x8) != 0;
        }
        f.bars.push_back(bar);
        if (bar.is_64bit) ++i;  // the next register is this one's upper half
    }
}

// Resizable BAR: entry i at pos + 4 + 8 i holds the supported sizes (bit
// n + 4 of the capability: 1 MiB << n; bit n + 16 of the control: 1 MiB <<
// (n + 28)) and the control (BAR index, count of entries, current size).
void decode_resizable_bar(const Reader& r, unsigned pos, PciFunction& f) {
    const unsigned count = (r.u32(pos + 8) >> 5) & 0x7;
    f.resizable_bars.clear();
    for (unsigned i = 0; i < count && i < 6 && r.has(pos + 4 + 8 * i, 8); ++i) {
        const uint32_t cap = r.u32(pos + 4 + 8 * i);
        const uint32_t ctrl = r.u32(pos + 8 + 8 * i);
        ResizableBar bar;
        bar.index = static_cast<int>(ctrl & 0x7);
        bar.current_bytes = (1ull << 20) << ((ctrl >> 8) & 0x3f);
        for (unsigned n = 0; n < 28; ++n)
            if (cap & (1u << (n + 4))) bar.supported_bytes.push_back((1ull << 20) << n);
        for (unsigned n = 0; n < 16 && n + 28 < 44; ++n)
            if (ctrl & (1u << (n + 16))) bar.supported_bytes.push_back((1ull << 20) << (n + 28));
        f.resizable_bars.push_back(std::move(bar));
    }
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
    decode_bars(r, header == 0 ? 6 : header == 1 ? 2 : 0, f);
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

    // Read whole, the extended space says what is absent: no ATS capability, no ATS enabled.
    f.ats_enabled = false;
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
        } else if (id == kExtCapIdAer && r.has(pos, 0x14)) {
            Aer aer = f.aer.value_or(Aer{});
            aer.status_read = true;
            aer.uncorrectable_status = bit_names(r.u32(pos + 0x04), kUncorrectable);
            aer.correctable_status = bit_names(r.u32(pos + 0x10), kCorrectable);
            f.aer = std::move(aer);
        } else if (id == kExtCapIdRebar && r.has(pos, 0x0c)) {
            decode_resizable_bar(r, pos, f);
        }
        pos = (header32 >> 20) & 0xffc;
    }
}

}  // namespace p2pscope::probe
