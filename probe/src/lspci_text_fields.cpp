// SPDX-License-Identifier: GPL-2.0-or-later
// What one device's fields in `lspci -vvv` text say about it: the function's
// own lines (bridge buses, BAR regions, driver, NUMA node, IOMMU group) and
// the register lines lspci decodes under each capability (PCI Express port
// type, device control, link capability and status, 10-bit tags; ACS, ATS,
// SR-IOV, AER and Resizable BAR), then how much config space lspci read.
#include <algorithm>
#include <charconv>
#include <sstream>

#include "lspci_text.hpp"

namespace p2pscope::probe::lspci_text {

namespace {

// "Flag+" / "Flag-" among a register line's words.
std::optional<bool> flag(const std::string& text, std::string_view name) {
    for (size_t pos = 0; (pos = text.find(name, pos)) != std::string::npos; pos += name.size()) {
        const bool starts = pos == 0 || text[pos - 1] == ' ' || text[pos - 1] == '\t' || text[pos - 1] == ':';
        const size_t after = pos + name.size();
        if (starts && after < text.size() && (text[after] == '+' || text[after] == '-')) return text[after] == '+';
    }
    return std::nullopt;
}

// The names flagged "+" on a line, in order ("UESta: DLP- CmpltTO+ ..." -> "CmpltTO").
std::string set_flags(const std::string& text) {
    std::istringstream in(text);
    std::string out;
    for (std::string w; in >> w;) {
        if (w.size() < 2 || w.back() != '+' || w.find(':') != std::string::npos) continue;
        if (!out.empty()) out += ' ';
        out += w.substr(0, w.size() - 1);
    }
    return out;
}

// "8GT/s", "2.5GT/s" after "Speed ".
std::optional<double> speed_after(const std::string& text, std::string_view key) {
    size_t pos = text.find(key);
    if (pos == std::string::npos) return std::nullopt;
    try {
        size_t used = 0;
        double v = std::stod(text.substr(pos + key.size()), &used);
        return v > 0 ? std::optional<double>(v) : std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<int> int_after(const std::string& text, std::string_view key) {
    size_t pos = text.find(key);
    if (pos == std::string::npos) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos + key.size(), text.data() + text.size(), v);
    if (ec != std::errc()) return std::nullopt;
    return v;
}

// A bridge's bus number after "secondary=" or "subordinate=" on its "Bus:" line.
std::optional<uint8_t> bus_after(const std::string& text, std::string_view key) {
    size_t pos = text.find(key);
    if (pos == std::string::npos) return std::nullopt;
    auto v = hex_value(std::string_view(text).substr(pos + key.size(), 2));
    if (!v) return std::nullopt;
    return static_cast<uint8_t>(*v);
}

// lspci's sizes: "[size=16M]" (K, M, G, T) and rebar's "256MB" (MB, GB, TB).
std::optional<uint64_t> parse_size(std::string_view s) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc()) return std::nullopt;
    const std::string_view unit = s.substr(static_cast<size_t>(p - s.data()));
    if (unit.empty() || unit == "B") return v;
    const size_t power = std::string_view("KMGTPE").find(unit[0]);  // of 1024
    if (power == std::string_view::npos) return std::nullopt;
    return v << (10 * (power + 1));
}

std::optional<int> positive(std::optional<int> v) { return v && *v > 0 ? v : std::nullopt; }

std::optional<PortType> port_type_named(const std::string& text) {
    static const std::pair<const char*, PortType> names[] = {
        {"Legacy Endpoint", PortType::legacy_endpoint},
        {"Root Complex Integrated Endpoint", PortType::rc_integrated_endpoint},
        {"Root Complex Event Collector", PortType::rc_event_collector},
        {"Endpoint", PortType::endpoint},
        {"Root Port", PortType::root_port},
        {"Upstream Port", PortType::upstream_port},
        {"Downstream Port", PortType::downstream_port},
        {"PCI-Express to PCI/PCI-X Bridge", PortType::pcie_to_pci_bridge},
        {"PCI/PCI-X to PCI-Express Bridge", PortType::pci_to_pcie_bridge},
    };
    for (const auto& [name, type] : names)
        if (text.find(name) != std::string::npos) return type;
    return PortType::other;
}

uint16_t acs_bits(const std::string& text) {
    static constexpr std::pair<const char*, uint16_t> names[] = {
        {"SrcValid", kAcsSourceValidation},   {"TransBlk", kAcsTranslationBlocking},
        {"ReqRedir", kAcsRequestRedirect},    {"CmpltRedir", kAcsCompletionRedirect},
        {"UpstreamFwd", kAcsUpstreamForwarding}, {"EgressCtrl", kAcsEgressControl},
        {"DirectTrans", kAcsDirectTranslated},
    };
    uint16_t bits = 0;
    for (auto [name, bit] : names)
        if (flag(text, name).value_or(false)) bits |= bit;
    return bits;
}

// One of the function's own lines ("Bus", "Region 0", "Kernel driver in
// use", ...); false for any other key.
bool own_field(const std::string& key, const std::string& value, PciFunction& f) {
    if (key == "Bus") {
        f.is_bridge = true;
        if (auto v = bus_after(value, "secondary=")) f.secondary_bus = v;
        if (auto v = bus_after(value, "subordinate=")) f.subordinate_bus = v;
    } else if (key.rfind("Region ", 0) == 0) {
        Bar bar;
        bar.index = int_after(key, "Region ").value_or(-1);
        if (bar.index < 0 || bar.index > 5 || value.find("<unassigned>") != std::string::npos) return true;
        bar.io = value.rfind("I/O", 0) == 0;
        bar.is_64bit = value.find("64-bit") != std::string::npos;
        bar.prefetchable = value.find(", prefetchable") != std::string::npos;
        if (auto p = value.find("[size="); p != std::string::npos) {
            const size_t close = value.find(']', p);
            bar.size_bytes = parse_size(std::string_view(value).substr(p + 6, close - p - 6));
        }
        f.bars.push_back(bar);
    } else if (key == "Kernel driver in use") {
        f.driver = value;
    } else if (key == "NUMA node") {
        f.numa_node = int_after(value, "");
    } else if (key == "IOMMU group") {
        f.iommu_group = int_after(value, "");
    } else {
        return false;
    }
    return true;
}

// A register line of capability CAP ("[40] Express (v2) Endpoint", "[100 v1]
// Advanced Error Reporting"); CAP_VERSION is the PCI Express capability's.
void capability_register(const std::string& cap, unsigned cap_version, const std::string& key,
                         const std::string& value, PciFunction& f) {
    if (cap.find("] Express") != std::string::npos) {
        if (key == "DevCtl") {
            f.relaxed_ordering = flag(value, "RlxdOrd");
            f.no_snoop = flag(value, "NoSnoop");
            f.mps_bytes = int_after(value, "MaxPayload ");
            f.mrrs_bytes = int_after(value, "MaxReadReq ");
        } else if (key == "LnkCap") {
            f.link.max_speed_gts = speed_after(value, "Speed ");
            f.link.max_width = positive(int_after(value, "Width x"));
        } else if (key == "LnkSta") {
            // A link that is down says "Width x0": no width, as in config space.
            f.link.speed_gts = speed_after(value, "Speed ");
            f.link.width = positive(int_after(value, "Width x"));
        } else if (key == "DevCap2" && cap_version >= 2) {
            // Older lspci prints no 10-bit tag flags: unknown, not "unsupported".
            const auto comp = flag(value, "10BitTagComp"), req = flag(value, "10BitTagReq");
            if (comp && req) {
                TenBitTags tags = f.ten_bit_tags.value_or(TenBitTags{});
                tags.completer_supported = *comp;
                tags.requester_supported = *req;
                f.ten_bit_tags = tags;
            }
        } else if (key == "DevCtl2" && cap_version >= 2 && f.ten_bit_tags) {
            if (auto enabled = flag(value, "10BitTagReq")) f.ten_bit_tags->requester_enabled = *enabled;
            else f.ten_bit_tags.reset();
        }
    } else if (cap.find("Access Control Services") != std::string::npos) {
        Acs acs = f.acs.value_or(Acs{});
        if (key == "ACSCap") acs.capability = acs_bits(value);
        if (key == "ACSCtl") acs.control = acs_bits(value);
        f.acs = acs;
    } else if (cap.find("Address Translation Service") != std::string::npos && key == "ATSCtl") {
        f.ats_enabled = flag(value, "Enable");
    } else if (cap.find("Single Root I/O Virtualization") != std::string::npos && key == "Initial VFs") {
        // "Initial VFs: 64, Total VFs: 64, Number of VFs: 0, ...": one field,
        // keyed by its first name.
        f.sriov = Sriov{static_cast<uint16_t>(int_after(value, "Total VFs: ").value_or(0)),
                        static_cast<uint16_t>(int_after(value, "Number of VFs: ").value_or(0))};
    } else if (cap.find("Advanced Error Reporting") != std::string::npos && (key == "UESta" || key == "CESta")) {
        Aer aer = f.aer.value_or(Aer{});
        aer.status_read = true;
        (key == "UESta" ? aer.uncorrectable_status : aer.correctable_status) = set_flags(value);
        f.aer = aer;
    } else if (cap.find("] Physical Resizable BAR") != std::string::npos && key.rfind("BAR ", 0) == 0) {
        // "BAR 1: current size: 256MB, supported: 64MB 128MB 256MB"
        ResizableBar rb;
        rb.index = int_after(key, "BAR ").value_or(0);
        const std::string all = key + ": " + value;
        if (auto p = all.find("current size: "); p != std::string::npos) {
            const size_t end = all.find(',', p);
            rb.current_bytes = parse_size(std::string_view(all).substr(p + 14, end - p - 14)).value_or(0);
        }
        if (auto p = all.find("supported: "); p != std::string::npos) {
            std::istringstream in(all.substr(p + 11));
            for (std::string w; in >> w;)
                if (auto v = parse_size(w)) rb.supported_bytes.push_back(*v);
        }
        std::sort(rb.supported_bytes.begin(), rb.supported_bytes.end());
        f.resizable_bars.push_back(std::move(rb));
    }
}

}  // namespace

bool is_extended_capability(const std::string& capability) {
    const size_t close = capability.find(']');
    return close != std::string::npos && capability.find(" v") < close;
}

void apply_fields(const Block& b, bool extended_visible, PciFunction& f, bool& access_denied) {
    std::string cap;           // the capability the current register lines belong to
    unsigned cap_version = 1;  // of the PCI Express capability
    bool saw_extended = false, saw_capabilities = false, no_capabilities = false;
    for (const auto& [key, value, depth] : b.fields) {
        // The function's own lines; a capability's registers may reuse their
        // names (SR-IOV prints its VFs' "Region" lines).
        const bool own = depth == 1;
        if (key == "Capabilities" && own) {
            saw_capabilities = true;
            if (value.find("<access denied>") != std::string::npos) {
                access_denied = true;
                continue;
            }
            cap = value;
            if (is_extended_capability(value)) saw_extended = true;
            if (value.find("] Express") != std::string::npos) {
                f.port_type = port_type_named(value);
                cap_version = static_cast<unsigned>(int_after(value, "(v").value_or(1));
            }
            continue;
        }
        if (own && key == "Status" && flag(value, "Cap") == false) no_capabilities = true;
        // Any other line, an own one that own_field does not know included,
        // goes with the capability listed last.
        if (own && own_field(key, value, f)) continue;
        capability_register(cap, cap_version, key, value, f);
    }
    // How much config space lspci read: capabilities listed (256), and the
    // extended space (4096) where this text shows any extended capability.
    // A function whose status says it has no capability list has no PCIe
    // capability either: conventional PCI, all of whose 256 bytes lspci read.
    if (access_denied) f.config_bytes = 64;
    else if (no_capabilities) f.config_bytes = 256;
    else if (saw_capabilities || f.port_type) f.config_bytes = (f.port_type && (saw_extended || extended_visible)) ? 4096 : 256;
    else f.config_bytes = 64;
    if (f.config_bytes >= 4096 && !f.ats_enabled) f.ats_enabled = false;
}

}  // namespace p2pscope::probe::lspci_text
