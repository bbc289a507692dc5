// SPDX-License-Identifier: GPL-2.0-or-later
// Path classes and the P2PDMA verdict. The verdict follows
// drivers/pci/p2pdma.c of Linux 6.1 step by step (calc_map_type_and_dist(),
// pci_bridge_has_acs_redir(), cpu_supports_p2pdma(), host_bridge_whitelist());
// where the input lacks a register or a device the kernel would read, the
// verdict is unknown and the reason says what is missing.
#include "p2pscope/probe/analysis.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <tuple>

namespace p2pscope::probe {

std::string_view to_string(PathClass p) {
    switch (p) {
    case PathClass::X: return "X";
    case PathClass::PIX: return "PIX";
    case PathClass::PXB: return "PXB";
    case PathClass::PHB: return "PHB";
    case PathClass::NODE: return "NODE";
    case PathClass::SYS: return "SYS";
    case PathClass::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view describe(PathClass p) {
    switch (p) {
    case PathClass::X: return "the same function";
    case PathClass::PIX: return "traverses at most a single PCIe bridge (one switch)";
    case PathClass::PXB: return "traverses multiple PCIe bridges without crossing a PCIe host bridge";
    case PathClass::PHB: return "traverses PCIe and a PCIe host bridge (typically the CPU)";
    case PathClass::NODE: return "traverses PCIe and the interconnect between host bridges within a NUMA node";
    case PathClass::SYS: return "traverses PCIe and the SMP interconnect between NUMA nodes (e.g. QPI/UPI)";
    case PathClass::unknown: return "the input cannot tell";
    }
    return "";
}

std::string_view to_string(P2pdmaVerdict v) {
    switch (v) {
    case P2pdmaVerdict::BUS_ADDR: return "BUS_ADDR";
    case P2pdmaVerdict::THRU_HOST_BRIDGE: return "THRU_HOST_BRIDGE";
    case P2pdmaVerdict::NOT_SUPPORTED: return "NOT_SUPPORTED";
    case P2pdmaVerdict::unknown: return "unknown";
    }
    return "unknown";
}

namespace {

// [f, pci_upstream_bridge(f), ...] up to a function on a root bus.
std::vector<const PciFunction*> upstream_chain(const Topology& t, const PciFunction& f) {
    std::vector<const PciFunction*> chain{&f};
    for (const PciFunction* up = t.upstream_bridge(f); up && chain.size() < 256; up = t.upstream_bridge(*up))
        chain.push_back(up);
    return chain;
}

// A chain that stops at a function whose parent the input names but does not
// hold cannot be compared: the missing bridge may be the common one.
std::optional<std::string> broken_link(const Topology& t, const std::vector<const PciFunction*>& chain) {
    const PciFunction* top = chain.back();
    const PciFunction* self = top->physfn ? t.find(*top->physfn) : top;
    if (!self) return "the physical function " + top->physfn->to_string() + " of " + top->address.to_string() +
                      " is not in the input";
    if (self->parent && !t.find(*self->parent))
        return "bridge " + self->parent->to_string() + " above " + top->address.to_string() + " is not in the input";
    if (const HostBridge* hb = t.find_host_bridge(self->host_bridge); hb && !hb->missing_above.empty())
        return hb->missing_above;
    return std::nullopt;
}

struct Common {
    size_t ia = 0, ib = 0;  // index of the common bridge in each chain
};

std::optional<Common> common_upstream(const std::vector<const PciFunction*>& ca,
                                      const std::vector<const PciFunction*>& cb) {
    for (size_t i = 0; i < ca.size(); ++i)
        for (size_t j = 0; j < cb.size(); ++j)
            if (ca[i] == cb[j]) return Common{i, j};
    return std::nullopt;
}

std::string hex4(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", v);
    return buf;
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

}  // namespace

PathResult path_class(const Topology& t, const PciFunction& a, const PciFunction& b) {
    if (a.address == b.address) return {PathClass::X, ""};
    auto ca = upstream_chain(t, a);
    auto cb = upstream_chain(t, b);
    auto c = common_upstream(ca, cb);
    if (!c) {
        if (auto broken = broken_link(t, ca)) return {PathClass::unknown, *broken};
        if (auto broken = broken_link(t, cb)) return {PathClass::unknown, *broken};
    }
    if (c) {
        // Up to two bridge levels on each side of the common bridge are the
        // downstream and upstream ports of one switch (or one bridge): PIX.
        if (c->ia <= 2 && c->ib <= 2) return {PathClass::PIX, ""};
        return {PathClass::PXB, ""};
    }
    if (a.host_bridge == b.host_bridge) return {PathClass::PHB, ""};
    if (a.numa_node && b.numa_node)
        return {*a.numa_node == *b.numa_node ? PathClass::NODE : PathClass::SYS, ""};
    if (a.package && b.package) return {*a.package == *b.package ? PathClass::NODE : PathClass::SYS, ""};
    if (t.numa_nodes && *t.numa_nodes == 1) return {PathClass::NODE, ""};
    return {PathClass::unknown, "the input does not say which NUMA node host bridges " + a.host_bridge + " and " +
                                    b.host_bridge + " belong to"};
}

namespace {

// drivers/pci/p2pdma.c: pci_p2pdma_whitelist[] as read in Linux 6.1, 6.12 and
// 7.2. An entry first read in 7.2 (and absent from 6.12) was added somewhere
// between them: for a release in that gap whether it is there is unknown.
struct WhitelistEntry {
    uint16_t vendor;
    std::optional<uint16_t> device;  // none: any device (PCI_ANY_ID)
    bool requires_same_host_bridge;
    KernelRelease present_from;      // the first release read that has it
    KernelRelease absent_in;         // the last release read that lacks it ({0, 0}: none)
};
constexpr KernelRelease k61{6, 1}, k612{6, 12}, k72{7, 2}, kNone{0, 0};
const WhitelistEntry kWhitelist[] = {
    {0x8086, 0x3c00, true, k61, kNone},  {0x8086, 0x3c01, true, k61, kNone},  // Xeon E5 / Core i7
    {0x8086, 0x2f00, true, k61, kNone},  {0x8086, 0x2f01, true, k61, kNone},  // Xeon E7 v3 / E5 v3
    {0x8086, 0x2030, false, k61, kNone}, {0x8086, 0x2031, false, k61, kNone},  // Skylake-E
    {0x8086, 0x2032, false, k61, kNone}, {0x8086, 0x2033, false, k61, kNone},
    {0x8086, 0x2020, false, k61, kNone}, {0x8086, 0x09a2, false, k61, kNone},
    {0x8086, 0x0b25, false, k72, k612},  {0x8086, 0x0cfe, false, k72, k612},  // DSA / IAX (Sapphire Rapids)
    {0x8086, 0x11fb, false, k72, k612},  {0x8086, 0x1212, false, k72, k612},  // DSA (Granite Rapids-D, DMR)
    {0x8086, 0x1216, false, k72, k612},                                        // IAA (DMR)
    {0x8086, 0x4940, false, k72, k612},  {0x8086, 0x4942, false, k72, k612},  // QAT 4xxx, 401xx
    {0x8086, 0x4944, false, k72, k612},  {0x8086, 0x4946, false, k72, k612},  // QAT 402xx, 420xx
    {0x8086, 0x4948, false, k72, k612},                                        // QAT 6xxx
    {0x1ae0, std::nullopt, false, k72, k612},                                  // Google SoCs
};

enum class Tri { no, yes, unknown };

// Whether release r has the entry: yes, no, or unknown (between the releases read).
Tri entry_in(const WhitelistEntry& e, const KernelRelease& r) {
    if (r >= e.present_from) return Tri::yes;
    if (r <= e.absent_in || e.absent_in == kNone) return Tri::no;
    return Tri::unknown;
}

struct HostBridgeCheck {
    Tri allowed = Tri::unknown;
    std::string text;
};

// __host_bridge_whitelist() for the device the kernel takes as the host bridge.
HostBridgeCheck check_whitelist(const PciFunction& first, bool same_host_bridge, const KernelRelease& release) {
    const std::string who = "host bridge " + first.address.to_string() + " [" + hex4(first.vendor_id) + ":" +
                            hex4(first.device_id) + "]";
    const std::string linux_r = " (Linux " + release.to_string() + ")";
    if (!first.ids_known)
        return {Tri::unknown, "the input names host bridge " + first.address.to_string() + " as \"" +
                                  first.device_name + "\", which this machine's pci.ids does not resolve to one id "
                                  "(lspci -nn prints the ids)"};
    for (const auto& e : kWhitelist) {
        if (e.vendor != first.vendor_id || (e.device && *e.device != first.device_id)) continue;
        switch (entry_in(e, release)) {
        case Tri::no:
            return {Tri::no, who + " is not on the kernel's P2PDMA host bridge whitelist" + linux_r + "; Linux " +
                                 e.present_from.to_string() + " has it"};
        case Tri::unknown:
            return {Tri::unknown, who + " is on the P2PDMA whitelist of Linux " + e.present_from.to_string() +
                                      " but not of " + e.absent_in.to_string() + ", and p2pscope has not read Linux " +
                                      release.to_string() + "'s"};
        case Tri::yes:
            break;
        }
        if (e.requires_same_host_bridge && !same_host_bridge)
            return {Tri::no, who + " is whitelisted only for P2P below that same host bridge" + linux_r};
        return {Tri::yes, who + " is on the kernel's P2PDMA whitelist" + linux_r};
    }
    return {Tri::no, who + " is not on the kernel's P2PDMA host bridge whitelist" + linux_r};
}

// pci_host_bridge_dev() + __host_bridge_whitelist() for one host bridge.
HostBridgeCheck check_host_bridge(const Topology& t, const std::string& hb_id, bool same_host_bridge,
                                  const KernelRelease& release) {
    const HostBridge* hb = t.find_host_bridge(hb_id);
    const PciFunction* first = nullptr;
    for (const auto& f : t.functions) {
        if (f.physfn || f.parent || f.host_bridge != hb_id) continue;
        if (hb && f.address.bus != hb->root_bus) continue;
        if (!first || std::tie(f.address.device, f.address.function) <
                          std::tie(first->address.device, first->address.function))
            first = &f;
    }
    const bool at_00_0 = first && first->address.device == 0 && first->address.function == 0;
    if (!at_00_0 && !t.root_buses_complete)
        return {Tri::unknown, "the input may not hold every device of root bus " + hb_id +
                                  " (no device at 00.0 in it), and the kernel checks the first one against its "
                                  "host bridge whitelist"};
    if (!first) return {Tri::no, "host bridge " + hb_id + " has no device on its root bus to check"};
    const HostBridgeCheck listed = check_whitelist(*first, same_host_bridge, release);
    if (!at_00_0) {
        if (!first->port_type) {
            // Not a root port: refused. A root port: its whitelist entry
            // decides. Without an entry both roads refuse.
            if (listed.allowed == Tri::no)
                return {Tri::no, "whether " + first->address.to_string() + ", the first device of root bus " + hb_id +
                                     ", is a root port is not in the input, and it does not matter: " + listed.text};
            return {Tri::unknown, "whether " + first->address.to_string() +
                                      ", the first device of root bus " + hb_id +
                                      ", is a root port is not in the input"};
        }
        if (*first->port_type != PortType::root_port)
            return {Tri::no, "root bus " + hb_id + " starts with " + first->address.to_string() +
                                 ", neither a 00.0 host bridge nor a root port, so the kernel finds no host "
                                 "bridge device to whitelist"};
    }
    return listed;
}

}  // namespace

P2pdmaResult p2pdma_verdict(const Topology& t, const PciFunction& provider, const PciFunction& client,
                            const VerdictOptions& options) {
    P2pdmaResult r;
    KernelRelease release = k61;
    if (options.kernel_release)
        release = *options.kernel_release;
    else if (auto running = running_kernel_release())
        release = *running;
    r.kernel_release = release;
    auto ca = upstream_chain(t, provider);
    auto cb = upstream_chain(t, client);
    auto common = common_upstream(ca, cb);
    if (!common) {
        auto broken = broken_link(t, ca);
        if (!broken) broken = broken_link(t, cb);
        if (broken) {
            r.reason = "cannot follow the path: " + *broken;
            return r;
        }
    }

    std::string path_text;
    if (common) {
        r.distance = static_cast<int>(common->ia + common->ib);
        // The kernel tests every function on the provider's side up to and
        // including the common bridge, and the client's side below it.
        std::vector<const PciFunction*> checked(ca.begin(), ca.begin() + static_cast<long>(common->ia) + 1);
        checked.insert(checked.end(), cb.begin(), cb.begin() + static_cast<long>(common->ib));
        std::vector<std::string> redirects, unknown_acs;
        for (const PciFunction* f : checked) {
            if (!f->acs_known()) {
                unknown_acs.push_back(f->address.to_string());
                continue;
            }
            if (f->acs && (f->acs->control & kAcsRedirectBits))
                redirects.push_back(f->address.to_string() + " (" + acs_bit_names(f->acs->control & kAcsRedirectBits) +
                                    ")");
        }
        if (redirects.empty() && unknown_acs.empty()) {
            r.verdict = P2pdmaVerdict::BUS_ADDR;
            if (common->ia == 0 && common->ib == 0)
                r.reason = "the same function";
            else
                r.reason = "common upstream bridge " + ca[common->ia]->address.to_string() +
                           " and no ACS redirection on the path: traffic stays below it";
            return r;
        }
        if (redirects.empty()) {
            r.verdict = P2pdmaVerdict::unknown;
            r.distance.reset();
            r.reason = "common upstream bridge " + ca[common->ia]->address.to_string() +
                       ", but the ACS control of " + join(unknown_acs, ", ") +
                       " is not in the input (needs extended config space); BUS_ADDR if no redirect bit is set";
            return r;
        }
        path_text = "ACS redirect set at " + join(redirects, "; ") +
                    " sends the traffic up to the host bridge (to disable: pci=disable_acs_redir=" +
                    [&] {
                        std::vector<std::string> bdfs;
                        for (const auto& s : redirects) bdfs.push_back(s.substr(0, s.find(' ')));
                        return join(bdfs, ";");
                    }() +
                    ")";
    } else {
        r.distance = static_cast<int>(ca.size() + cb.size());
        path_text = "no common upstream bridge (host bridges " + provider.host_bridge +
                    (provider.host_bridge == client.host_bridge ? "" : " and " + client.host_bridge) + ")";
    }

    // map_through_host_bridge: cpu_supports_p2pdma() || host_bridge_whitelist()
    const std::optional<Cpu> cpu = options.assume_cpu ? options.assume_cpu : t.cpu;
    Tri cpu_rule = Tri::unknown;
    std::string cpu_text;
    if (cpu) {
        const bool amd = cpu->vendor == "AuthenticAMD" || cpu->vendor == "AMD";
        if (amd && cpu->family && *cpu->family >= 0x17) {
            cpu_rule = Tri::yes;
            char buf[96];
            std::snprintf(buf, sizeof buf, "the CPU is AMD family 0x%x (Zen or newer), which the kernel trusts",
                          *cpu->family);
            cpu_text = buf;
        } else if (amd && !cpu->family) {
            cpu_text = "the CPU is AMD but its family is not in the input";
        } else {
            cpu_rule = Tri::no;
            cpu_text = "the CPU (" + (cpu->vendor.empty() ? std::string("unknown vendor") : cpu->vendor) +
                       ") is not an AMD Zen, so the CPU rule does not apply";
        }
    } else {
        cpu_text = "the CPU vendor and family are not in the input (AMD Zen or newer would be allowed)";
    }

    if (cpu_rule == Tri::yes) {
        r.verdict = P2pdmaVerdict::THRU_HOST_BRIDGE;
        r.reason = path_text + "; " + cpu_text;
        return r;
    }

    const bool same = provider.host_bridge == client.host_bridge;
    HostBridgeCheck wl;
    if (same) {
        wl = check_host_bridge(t, provider.host_bridge, true, release);
    } else {
        auto wa = check_host_bridge(t, provider.host_bridge, false, release);
        auto wb = check_host_bridge(t, client.host_bridge, false, release);
        if (wa.allowed == Tri::yes && wb.allowed == Tri::yes)
            wl = {Tri::yes, wa.text + " and " + wb.text};
        else if (wa.allowed == Tri::no)
            wl = wa;
        else if (wb.allowed == Tri::no)
            wl = wb;
        else
            wl = {Tri::unknown, wa.allowed == Tri::unknown ? wa.text : wb.text};
    }

    if (wl.allowed == Tri::yes) {
        r.verdict = P2pdmaVerdict::THRU_HOST_BRIDGE;
        r.reason = path_text + "; " + wl.text;
    } else if (wl.allowed == Tri::no && cpu_rule == Tri::no) {
        r.verdict = P2pdmaVerdict::NOT_SUPPORTED;
        r.distance.reset();
        r.reason = path_text + "; " + wl.text + ", and " + cpu_text;
    } else {
        r.verdict = P2pdmaVerdict::unknown;
        r.distance.reset();
        r.reason = "not BUS_ADDR: " + path_text + "; THRU_HOST_BRIDGE or NOT_SUPPORTED depends on what the input lacks: " +
                   (wl.allowed == Tri::unknown ? wl.text : wl.text + ", and " + cpu_text);
        if (wl.allowed == Tri::unknown && cpu_rule == Tri::unknown) r.reason += "; and " + cpu_text;
    }
    return r;
}

Result<Cpu> parse_cpu(std::string_view text) {
    Cpu cpu;
    const auto colon = text.find(':');
    std::string vendor(text.substr(0, colon));
    if (vendor == "amd" || vendor == "AMD") vendor = "AuthenticAMD";
    if (vendor == "intel" || vendor == "Intel") vendor = "GenuineIntel";
    if (vendor.empty()) return make_error(Errc::invalid_argument, "--assume-cpu needs a vendor (e.g. amd:0x19)");
    cpu.vendor = vendor;
    if (colon != std::string_view::npos) {
        const std::string family(text.substr(colon + 1));
        try {
            size_t used = 0;
            cpu.family = std::stoi(family, &used, 0);
            if (used != family.size()) throw std::invalid_argument("trailing characters");
        } catch (...) {
            return make_error(Errc::invalid_argument,
                              "--assume-cpu '" + std::string(text) + "': family must be a number (e.g. amd:0x19)");
        }
    }
    return cpu;
}

Result<PairSelection> parse_selection(const std::vector<std::string>& classes,
                                             const std::vector<std::string>& devices) {
    PairSelection s;
    for (const auto& c : classes) {
        if (c == "all") {
            s.all_classes = true;
            continue;
        }
        auto cls = parse_device_class(c);
        if (!cls) return make_error(Errc::invalid_argument, "unknown class '" + c + "' (gpu, nic, nvme, accel, other, all)");
        s.classes.push_back(*cls);
    }
    for (const auto& d : devices) {
        auto a = PciAddress::parse(d);
        if (!a) return a.error();
        s.devices.push_back(*a);
    }
    return s;
}

Result<std::vector<const PciFunction*>> select_functions(const Topology& t, const PairSelection& s) {
    std::vector<const PciFunction*> out;
    if (!s.devices.empty()) {
        for (const auto& a : s.devices) {
            const PciFunction* f = t.find(a);
            if (!f)
                return make_error(Errc::not_found, "no PCI function " + a.to_string() + " in " + t.source);
            if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
        }
        std::sort(out.begin(), out.end(), [](auto* x, auto* y) { return x->address < y->address; });
        return out;
    }
    std::vector<DeviceClass> classes = s.classes;
    if (classes.empty()) classes = {DeviceClass::gpu, DeviceClass::nic, DeviceClass::nvme, DeviceClass::accel};
    for (const auto& f : t.functions) {
        if (!is_endpoint(f)) continue;
        if (!s.all_classes && std::find(classes.begin(), classes.end(), classify(f)) == classes.end()) continue;
        out.push_back(&f);
    }
    return out;
}

std::string KernelRelease::to_string() const { return std::to_string(major) + "." + std::to_string(minor); }

Result<KernelRelease> parse_kernel_release(std::string_view text) {
    KernelRelease r;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, r.major);
    if (ec == std::errc() && p < end && *p == '.') {
        const auto minor = std::from_chars(p + 1, end, r.minor);
        p = minor.ptr;
        ec = minor.ec;
    } else {
        ec = std::errc::invalid_argument;
    }
    // what may follow: ".patch", "-flavour", "+", nothing
    if (ec != std::errc() || r.major < 2 || r.major > 99 || r.minor < 0 || r.minor > 99 ||
        (p < end && *p != '.' && *p != '-' && *p != '+'))
        return make_error(Errc::invalid_argument,
                          "'" + std::string(text) + "' is not a kernel release (e.g. 6.12 or 6.1.0-28-amd64)");
    return r;
}

Result<KernelRelease> running_kernel_release() {
    struct utsname u {};
    if (uname(&u) != 0) return make_error(Errc::system, "uname failed: " + std::string(std::strerror(errno)));
    return parse_kernel_release(u.release);
}

std::vector<Pair> analyse_pairs(const Topology& t, const std::vector<const PciFunction*>& selected,
                                const VerdictOptions& options) {
    // The running kernel, asked once for every pair rather than per pair.
    VerdictOptions once = options;
    if (!once.kernel_release)
        if (auto running = running_kernel_release()) once.kernel_release = *running;
    std::vector<Pair> pairs;
    pairs.reserve(selected.size() * (selected.size() - (selected.empty() ? 0 : 1)) / 2);
    for (size_t i = 0; i < selected.size(); ++i)
        for (size_t j = i + 1; j < selected.size(); ++j)
            pairs.push_back(Pair{selected[i]->address, selected[j]->address, path_class(t, *selected[i], *selected[j]),
                                 p2pdma_verdict(t, *selected[i], *selected[j], once)});
    return pairs;
}

}  // namespace p2pscope::probe
