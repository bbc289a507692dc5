// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/probe/topology.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <tuple>

namespace p2pscope::probe {

double link_ceiling_bytes_per_s(double speed_gts, int width) {
    if (speed_gts <= 0 || width <= 0) return 0;
    // PCIe 1.x/2.x (2.5, 5 GT/s) use 8b/10b; 3.0 and later (8 GT/s and up) 128b/130b.
    // (PCIe 6.0's FLIT mode at 64 GT/s is counted as 128b/130b here: close enough for a ceiling.)
    const double efficiency = speed_gts <= 5.0 ? 8.0 / 10.0 : 128.0 / 130.0;
    return speed_gts * 1e9 * width * efficiency / 8.0;
}

std::string PciAddress::to_string() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, device, function);
    return buf;
}

namespace {
bool parse_hex(std::string_view s, unsigned max, unsigned& out) {
    if (s.empty() || s.size() > 8) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return ec == std::errc() && ptr == s.data() + s.size() && out <= max;
}
}  // namespace

Result<PciAddress> PciAddress::parse(std::string_view text) {
    auto bad = [&] {
        return make_error(Errc::invalid_argument,
                          "'" + std::string(text) + "' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)");
    };
    PciAddress a;
    std::string_view rest = text;
    // Count colons: two means a domain is present.
    auto colons = std::count(text.begin(), text.end(), ':');
    unsigned v = 0;
    if (colons == 2) {
        auto c = rest.find(':');
        if (!parse_hex(rest.substr(0, c), 0xffffffffu, v)) return bad();
        a.domain = v;
        rest.remove_prefix(c + 1);
    } else if (colons != 1) {
        return bad();
    }
    auto c = rest.find(':');
    auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot < c) return bad();
    if (!parse_hex(rest.substr(0, c), 0xff, v)) return bad();
    a.bus = static_cast<uint8_t>(v);
    if (!parse_hex(rest.substr(c + 1, dot - c - 1), 0x1f, v)) return bad();
    a.device = static_cast<uint8_t>(v);
    if (!parse_hex(rest.substr(dot + 1), 7, v)) return bad();
    a.function = static_cast<uint8_t>(v);
    return a;
}

std::string_view to_string(PortType type) {
    switch (type) {
    case PortType::endpoint: return "endpoint";
    case PortType::legacy_endpoint: return "legacy-endpoint";
    case PortType::root_port: return "root-port";
    case PortType::upstream_port: return "upstream-port";
    case PortType::downstream_port: return "downstream-port";
    case PortType::pcie_to_pci_bridge: return "pcie-to-pci-bridge";
    case PortType::pci_to_pcie_bridge: return "pci-to-pcie-bridge";
    case PortType::rc_integrated_endpoint: return "rc-integrated-endpoint";
    case PortType::rc_event_collector: return "rc-event-collector";
    case PortType::other: return "other";
    }
    return "other";
}

std::string acs_bit_names(uint16_t bits) {
    static constexpr std::pair<uint16_t, const char*> names[] = {
        {kAcsSourceValidation, "SrcValid"},   {kAcsTranslationBlocking, "TransBlk"},
        {kAcsRequestRedirect, "ReqRedir"},    {kAcsCompletionRedirect, "CmpltRedir"},
        {kAcsUpstreamForwarding, "UpstreamFwd"}, {kAcsEgressControl, "EgressCtrl"},
        {kAcsDirectTranslated, "DirectTrans"},
    };
    std::string out;
    for (auto [bit, name] : names) {
        if (!(bits & bit)) continue;
        if (!out.empty()) out += ' ';
        out += name;
    }
    return out;
}

std::optional<uint64_t> PciFunction::largest_bar_bytes() const {
    std::optional<uint64_t> largest;
    for (const auto& b : bars)
        if (!b.io && b.size_bytes && (!largest || *b.size_bytes > *largest)) largest = b.size_bytes;
    return largest;
}

std::optional<bool> PciFunction::large_bar() const {
    auto bar = largest_bar_bytes();
    if (!bar || !device_memory_bytes) return std::nullopt;
    return *bar >= *device_memory_bytes;
}

std::optional<bool> PciFunction::bar_at_largest_size() const {
    if (resizable_bars.empty()) return std::nullopt;
    bool known = true;
    for (const auto& rb : resizable_bars) {
        if (rb.supported_bytes.empty())
            known = false;
        else if (rb.below_largest())
            return false;
    }
    if (!known) return std::nullopt;
    return true;
}

KernelCommandLine parse_kernel_command_line(std::string_view text) {
    KernelCommandLine cmdline;
    cmdline.text = std::string(text);
    while (!cmdline.text.empty() && (cmdline.text.back() == '\n' || cmdline.text.back() == ' '))
        cmdline.text.pop_back();
    // Words split at blanks outside double quotes, as the kernel's next_arg() does.
    std::vector<std::string> words;
    std::string word;
    bool quoted = false;
    for (char c : cmdline.text) {
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && (c == ' ' || c == '\t' || c == '\n')) {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
            continue;
        }
        word += c;
    }
    if (!word.empty()) words.push_back(std::move(word));
    static constexpr std::string_view iommu_keys[] = {"iommu", "iommu.passthrough", "iommu.strict", "intel_iommu",
                                                      "amd_iommu"};
    for (const auto& w : words) {
        const auto eq = w.find('=');
        const std::string_view key = std::string_view(w).substr(0, eq);
        if (key == "pci" && eq != std::string::npos) {
            // pci= takes a comma-separated list; only its ACS and ATS entries matter here.
            std::string_view rest = std::string_view(w).substr(eq + 1);
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                const std::string_view entry = rest.substr(0, comma);
                if (entry.rfind("disable_acs_redir=", 0) == 0 || entry.rfind("config_acs=", 0) == 0 ||
                    entry == "noats")
                    cmdline.options.push_back("pci=" + std::string(entry));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        } else if (std::find(std::begin(iommu_keys), std::end(iommu_keys), key) != std::end(iommu_keys)) {
            cmdline.options.push_back(w);
        }
    }
    return cmdline;
}

const PciFunction* Topology::find(const PciAddress& address) const {
    auto it = std::lower_bound(functions.begin(), functions.end(), address,
                               [](const PciFunction& f, const PciAddress& a) { return f.address < a; });
    return it != functions.end() && it->address == address ? &*it : nullptr;
}

const HostBridge* Topology::find_host_bridge(const std::string& id) const {
    for (const auto& hb : host_bridges)
        if (hb.id == id) return &hb;
    return nullptr;
}

const PciFunction* Topology::upstream_bridge(const PciFunction& f) const {
    const PciFunction* self = &f;
    if (f.physfn) {
        if (const PciFunction* pf = find(*f.physfn)) self = pf;
    }
    return self->parent ? find(*self->parent) : nullptr;
}

std::optional<bool> Topology::link_degraded(const PciFunction& f) const {
    const Link& l = f.link;
    if (!l.speed_gts || !l.width || !l.max_speed_gts || !l.max_width) return std::nullopt;
    double max_speed = *l.max_speed_gts;
    int max_width = *l.max_width;
    // A link trains to what both its ends support. A root or downstream port's
    // link goes down to the device on its secondary bus (none: an empty slot,
    // nothing trained); every other function's goes up to the port above.
    const PciFunction* other = nullptr;
    const bool downward = f.port_type && (*f.port_type == PortType::root_port ||
                                          *f.port_type == PortType::downstream_port);
    if (downward) {
        for (const auto& c : functions)
            if (c.parent && *c.parent == f.address && (!other || c.address < other->address)) other = &c;
        if (!other) return std::nullopt;
    } else if (f.parent) {
        other = find(*f.parent);
    }
    if (other) {
        if (other->link.max_speed_gts) max_speed = std::min(max_speed, *other->link.max_speed_gts);
        if (other->link.max_width) max_width = std::min(max_width, *other->link.max_width);
    }
    return *l.speed_gts < max_speed || *l.width < max_width;
}

namespace {

void derive_switches(Topology& t) {
    t.switches.clear();
    // Bridge depth below the root bus decides the role when port types are unknown.
    auto is_upstream = [&](const PciFunction& f, bool& inferred) {
        if (f.port_type) return *f.port_type == PortType::upstream_port;
        inferred = true;
        int depth = 0;  // 0: on a root bus (a root port)
        for (const PciFunction* up = t.upstream_bridge(f); up && depth < 64; up = t.upstream_bridge(*up)) ++depth;
        return depth % 2 == 1;
    };
    for (const auto& f : t.functions) {
        if (!f.is_bridge || !f.parent) continue;
        bool inferred = false;
        if (!is_upstream(f, inferred)) continue;
        Switch sw;
        sw.upstream = f.address;
        sw.inferred = inferred;
        for (const auto& g : t.functions)
            if (g.is_bridge && g.parent == f.address) sw.downstream.push_back(g.address);
        // Guessed from depth alone, a bridge with no bridge below it is a
        // plain PCI-to-PCI bridge, not a switch.
        if (inferred && sw.downstream.empty()) continue;
        t.switches.push_back(std::move(sw));
    }
}

}  // namespace

void finalize(Topology& t) {
    std::sort(t.functions.begin(), t.functions.end(),
              [](const PciFunction& a, const PciFunction& b) { return a.address < b.address; });
    // Host bridge of each function: the root bus at the top of its parent chain.
    for (auto& f : t.functions) {
        if (!f.host_bridge.empty()) continue;
        const PciFunction* top = &f;
        for (int guard = 0; guard < 256; ++guard) {
            const PciFunction* up = t.upstream_bridge(*top);
            if (!up) break;
            top = up;
        }
        char id[16];
        std::snprintf(id, sizeof id, "%04x:%02x", top->address.domain, top->address.bus);
        f.host_bridge = id;
    }
    for (const auto& f : t.functions) {
        if (t.find_host_bridge(f.host_bridge)) continue;
        HostBridge hb;
        hb.id = f.host_bridge;
        unsigned d = 0, b = 0;
        std::sscanf(f.host_bridge.c_str(), "%x:%x", &d, &b);
        hb.domain = d;
        hb.root_bus = static_cast<uint8_t>(b);
        t.host_bridges.push_back(hb);
    }
    std::sort(t.host_bridges.begin(), t.host_bridges.end(), [](const HostBridge& a, const HostBridge& b) {
        return std::tie(a.domain, a.root_bus) < std::tie(b.domain, b.root_bus);
    });
    derive_switches(t);
    // A switch port never sits on a root bus: at the top of a tree it means
    // the input lacks the bridges above, and the tree's "host bridge" is not one.
    for (auto& hb : t.host_bridges) {
        hb.missing_above.clear();
        for (const auto& f : t.functions) {
            if (f.host_bridge != hb.id || f.parent || f.physfn) continue;
            const PciFunction* around = nullptr;  // a bridge whose buses hold this one
            for (const auto& b : t.functions)
                if (b.is_bridge && b.address.domain == f.address.domain && b.secondary_bus.value_or(0) > 0 && b.subordinate_bus &&
                    *b.secondary_bus <= f.address.bus && f.address.bus <= *b.subordinate_bus)
                    around = &b;
            const bool switch_port = f.port_type && (*f.port_type == PortType::upstream_port ||
                                                     *f.port_type == PortType::downstream_port);
            if (!around && !switch_port) continue;
            hb.missing_above = "the bridges above bus " + hb.id + " are not in the input (" +
                               (around ? "it lies within the buses of bridge " + around->address.to_string()
                                       : f.address.to_string() + " is a switch " +
                                             (*f.port_type == PortType::upstream_port ? "upstream" : "downstream") +
                                             " port, never on a root bus") +
                               ")";
            break;
        }
    }
    // A host bridge whose locality the input does not give (sysfs says -1
    // for some functions, or local_cpus covers the machine) is on the NUMA
    // node that the functions below it that say one all say.
    for (auto& hb : t.host_bridges) {
        if (hb.numa_node) continue;
        std::optional<int> node;
        bool agree = true;
        for (const auto& f : t.functions) {
            if (f.host_bridge != hb.id || !f.numa_node) continue;
            if (node && *node != *f.numa_node) agree = false;
            node = f.numa_node;
        }
        if (agree) hb.numa_node = node;
    }
    // A virtual function's Max Payload Size, Relaxed Ordering and No Snoop
    // bits are reserved (read as 0): its physical function's settings govern it.
    for (auto& f : t.functions) {
        if (!f.physfn) continue;
        const PciFunction* pf = t.find(*f.physfn);
        if (!pf) continue;
        if (pf->mps_bytes) f.mps_bytes = pf->mps_bytes;
        if (pf->relaxed_ordering) f.relaxed_ordering = pf->relaxed_ordering;
        if (pf->no_snoop) f.no_snoop = pf->no_snoop;
    }
    // A function's NUMA node and package default to its host bridge's.
    for (auto& f : t.functions) {
        const HostBridge* hb = t.find_host_bridge(f.host_bridge);
        if (!hb) continue;
        if (!f.numa_node) f.numa_node = hb->numa_node;
        if (!f.package) f.package = hb->package;
    }
}

}  // namespace p2pscope::probe
