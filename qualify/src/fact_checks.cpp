// SPDX-License-Identifier: GPL-2.0-or-later
// The checks read off the topology's facts (no measurement): ACS on the path,
// IOMMU domains, ATS, payload sizes, relaxed ordering, BARs, locality, AER.
// Each failure carries the change that mends it.
#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "p2pscope/qualify/checks.hpp"

namespace p2pscope::qualify {

namespace {

CheckResult result(Outcome o, std::string reason, std::string remedy = {}) {
    CheckResult r;
    r.outcome = o;
    r.reason = std::move(reason);
    r.remedy = std::move(remedy);
    return r;
}

std::string bdf(const probe::PciFunction& f) { return f.address.to_string(); }

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
    return s;
}

bool has(const std::vector<probe::DeviceClass>& list, probe::DeviceClass c) {
    return std::find(list.begin(), list.end(), c) != list.end();
}

std::string size_text(uint64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    double v = static_cast<double>(bytes);
    while (u < 5 && v >= 1024) v /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g %s", v, units[u]);
    return buf;
}

// The IOMMU domain a function is in: its group's type, "off" when a live or
// saved sysfs tree has no IOMMU groups at all, or unknown.
std::optional<std::string> domain_of(const probe::Topology& t, const probe::PciFunction& f) {
    if (f.iommu_domain_type) return f.iommu_domain_type;
    if (f.iommu_group || t.has_iommu_data || t.source.rfind("sysfs:", 0) != 0) return std::nullopt;
    for (const auto& g : t.functions)
        if (g.iommu_group) return std::nullopt;  // groups without their type files: unknown, not off
    return std::string("off");
}

std::string cmdline_text(const probe::Topology& t) {
    if (!t.cmdline) return "";
    return t.cmdline->options.empty() ? " (the command line sets none of the P2P options)"
                                      : " (the command line has: " + join(t.cmdline->options, " ") + ")";
}

}  // namespace

std::optional<CheckResult> check_acs(const probe::Topology& t, const probe::PciFunction& a, const probe::PciFunction& b) {
    // drivers/pci/p2pdma.c tests every function from the provider up to the
    // common upstream bridge (included) and from the client up to it, by
    // pci_upstream_bridge(): a VF itself, then the bridge above its PF.
    auto kernel_chain = [&](const probe::PciFunction& f) {
        auto chain = upstream_chain(t, f);
        if (f.physfn && !chain.empty()) chain.front() = &f;
        return chain;
    };
    const auto ca = kernel_chain(a);
    const auto cb = kernel_chain(b);
    const probe::PciFunction* common = nullptr;
    for (const auto* f : ca)
        if (std::find(cb.begin(), cb.end(), f) != cb.end()) {
            common = f;
            break;
        }
    if (!common) return std::nullopt;  // through the host bridge: ACS redirection changes nothing
    std::vector<const probe::PciFunction*> on_path;
    for (const auto* f : ca) {
        on_path.push_back(f);
        if (f == common) break;
    }
    for (const auto* f : cb) {
        if (f == common) break;
        on_path.push_back(f);
    }
    std::vector<std::string> redirect, unknown, ports;
    for (const auto* f : on_path) {
        if (!f->acs_known()) unknown.push_back(bdf(*f));
        else if (f->acs && (f->acs->control & probe::kAcsRedirectBits)) {
            redirect.push_back(bdf(*f) + " (" + probe::acs_bit_names(f->acs->control & probe::kAcsRedirectBits) + ")");
            ports.push_back(bdf(*f));
        }
    }
    if (!redirect.empty())
        return result(Outcome::fail,
                      "ACS redirection on the P2P path sends peer traffic up to the root complex: " + join(redirect) +
                          cmdline_text(t),
                      "boot with pci=disable_acs_redir=" + join(ports, ";") + " (or, where the kernel has it: 6.12 does, 6.1 does not, pci=config_acs=x0x00xx@" +
                          join(ports, ";x0x00xx@") + "); both loosen the isolation IOMMU groups rely on");
    if (!unknown.empty())
        return result(Outcome::waived, "ACS registers not in the input for " + join(unknown) +
                                                  " (extended config space: read as root, or from a dump of 4096 bytes)");
    return result(Outcome::pass,
                  "no ACS redirect bit on the " + std::to_string(on_path.size()) + " functions up to " + bdf(*common));
}

CheckResult check_iommu(const Thresholds& th, const probe::Topology& t, const probe::PciFunction& a,
                        const probe::PciFunction& b) {
    std::vector<std::string> wrong, found, unknown;
    for (const auto* f : {&a, &b}) {
        const auto domain = domain_of(t, *f);
        if (!domain) {
            unknown.push_back(bdf(*f));
            continue;
        }
        const std::string item = bdf(*f) + " " + *domain;
        found.push_back(item);
        if (std::find(th.iommu_allowed_domains.begin(), th.iommu_allowed_domains.end(), *domain) ==
            th.iommu_allowed_domains.end())
            wrong.push_back(item + (f->iommu_group ? " (group " + std::to_string(*f->iommu_group) + ")" : ""));
    }
    if (!wrong.empty())
        return result(Outcome::fail,
                      "IOMMU domain not allowed by the policy (" + join(th.iommu_allowed_domains) + "): " + join(wrong) +
                          cmdline_text(t),
                      "for passthrough, boot with iommu=pt (x86) or iommu.passthrough=1, or set one group with `echo "
                      "identity > /sys/kernel/iommu_groups/N/type` while its drivers are unbound; for translation, "
                      "iommu.passthrough=0 with intel_iommu=on (on AMD the IOMMU is on unless amd_iommu=off or "
                      "iommu=off); a device in an unmanaged domain belongs to VFIO, not to a kernel driver");
    if (!unknown.empty())
        return result(Outcome::waived, "IOMMU domain not in the input for " + join(unknown));
    return result(Outcome::pass, join(found) + " (allowed: " + join(th.iommu_allowed_domains) + ")");
}

std::optional<CheckResult> check_ats(const Thresholds& th, const probe::Topology& t, const probe::PciFunction& a,
                      const probe::PciFunction& b) {
    std::vector<std::string> off, on, unknown;
    int wanted = 0;
    for (const auto* f : {&a, &b}) {
        if (!has(th.ats_required_classes, probe::classify(*f))) continue;
        const auto domain = domain_of(t, *f);
        if (!domain) {
            unknown.push_back(bdf(*f) + " (IOMMU domain)");
            continue;
        }
        if (*domain != "DMA" && *domain != "DMA-FQ") continue;  // no translation: nothing for ATS to cache
        ++wanted;
        if (!f->ats_enabled) unknown.push_back(bdf(*f));
        else (*f->ats_enabled ? on : off).push_back(bdf(*f));
    }
    if (!off.empty())
        return result(Outcome::fail, "ATS off on " + join(off) + " under a translating IOMMU" + cmdline_text(t),
                      "the IOMMU driver enables ATS where the device and IOMMU support it: take pci=noats off the "
                      "command line, and check the device's firmware exposes ATS");
    if (!unknown.empty()) return result(Outcome::waived, "ATS state not in the input for " + join(unknown));
    if (!wanted) return std::nullopt;  // no end of a class that needs ATS, under translation
    return result(Outcome::pass, "ATS on for " + join(on));
}

CheckResult check_mps_mrrs(const Thresholds& th, const std::vector<LinkOnPath>& links, const probe::PciFunction& a,
                           const probe::PciFunction& b) {
    // Payload sizes along the path: every function on its links.
    std::vector<const probe::PciFunction*> on_path{&a, &b};
    for (const auto& l : links) {
        for (const auto* f : {l.below, l.above})
            if (f && std::find(on_path.begin(), on_path.end(), f) == on_path.end()) on_path.push_back(f);
    }
    std::set<int> mps;
    std::vector<std::string> sizes, unknown, small;
    for (const auto* f : on_path) {
        if (!f->mps_bytes) {
            unknown.push_back(bdf(*f));
            continue;
        }
        mps.insert(*f->mps_bytes);
        sizes.push_back(bdf(*f) + " " + std::to_string(*f->mps_bytes));
    }
    // Read requests are made by the ends; a bridge named as an end makes none.
    std::vector<const probe::PciFunction*> requesters;
    for (const auto* f : {&a, &b})
        if (!f->is_bridge) requesters.push_back(f);
    for (const auto* f : requesters)
        if (f->mrrs_bytes && static_cast<uint64_t>(*f->mrrs_bytes) < th.mrrs_min_bytes)
            small.push_back(bdf(*f) + " " + std::to_string(*f->mrrs_bytes));

    if (mps.size() > 1)
        return result(Outcome::fail, "Max Payload Size differs along the path: " + join(sizes),
                      "boot with pci=pcie_bus_safe (one MPS, the largest every device supports, on every device); "
                      "not pcie_bus_perf, which sets MPS per port and assumes no peer writes larger than MRRS");
    if (!small.empty()) {
        std::string setpci;
        for (const auto* f : requesters)
            if (f->mrrs_bytes && static_cast<uint64_t>(*f->mrrs_bytes) < th.mrrs_min_bytes) {
                unsigned code = 0;
                while ((128u << code) < th.mrrs_min_bytes) ++code;
                char buf[96];
                std::snprintf(buf, sizeof buf, "setpci -s %s CAP_EXP+08.w=%04x:7000", bdf(*f).c_str(), code << 12);
                setpci += (setpci.empty() ? "" : "; ") + std::string(buf);
            }
        return result(Outcome::fail,
                      "Max Read Request Size below " + std::to_string(th.mrrs_min_bytes) + " bytes: " + join(small),
                      setpci + " (until reboot; some drivers set MRRS themselves, e.g. in their module parameters)");
    }
    std::vector<std::string> mrrs;
    for (const auto* f : requesters) {
        if (f->mrrs_bytes) mrrs.push_back(std::to_string(*f->mrrs_bytes));
        else if (std::find(unknown.begin(), unknown.end(), bdf(*f)) == unknown.end()) unknown.push_back(bdf(*f));
    }
    if (!unknown.empty()) return result(Outcome::waived, "payload sizes not in the input for " + join(unknown));
    return result(Outcome::pass,
                  "MPS " + std::to_string(*mps.begin()) + " on all " + std::to_string(on_path.size()) + " functions" +
                      (mrrs.empty() ? std::string() : "; MRRS " + join(mrrs, " and ") + " (at least " +
                                                          std::to_string(th.mrrs_min_bytes) + ")"));
}

std::optional<CheckResult> check_relaxed_ordering(const Thresholds& th, const probe::PciFunction& a, const probe::PciFunction& b) {
    std::vector<std::string> wrong, unknown, found;
    std::string fix;
    for (const auto* f : {&a, &b}) {
        const auto cls = probe::classify(*f);
        const bool required = has(th.relaxed_ordering_required, cls);
        const bool forbidden = has(th.relaxed_ordering_forbidden, cls);
        if (!required && !forbidden) continue;
        if (!f->relaxed_ordering) {
            unknown.push_back(bdf(*f));
            continue;
        }
        const std::string state = bdf(*f) + " (" + std::string(probe::to_string(cls)) + ") relaxed ordering " +
                                  (*f->relaxed_ordering ? "on" : "off");
        if ((required && !*f->relaxed_ordering) || (forbidden && *f->relaxed_ordering)) {
            wrong.push_back(state + (required ? ", policy: on" : ", policy: off"));
            fix += (fix.empty() ? "" : "; ") + std::string("setpci -s ") + bdf(*f) + " CAP_EXP+08.w=" +
                   (required ? "0010" : "0000") + ":0010";
        } else {
            found.push_back(state);
        }
    }
    if (!wrong.empty())
        return result(Outcome::fail, join(wrong),
                      fix + " (until reboot or driver reload; NIC drivers often have their own setting, e.g. "
                            "mlxconfig's PCI_WR_ORDERING)");
    if (!unknown.empty())
        return result(Outcome::waived, "Device Control not in the input for " + join(unknown));
    if (found.empty()) return std::nullopt;  // the policy sets no rule for these classes
    return result(Outcome::pass, join(found));
}

std::optional<CheckResult> check_bar(const Thresholds& th, const probe::PciFunction& a, const probe::PciFunction& b) {
    std::vector<std::string> wrong, unknown, found;
    const std::string bios = "enable Above 4G Decoding and Resizable BAR (Re-Size BAR Support) in the BIOS";
    for (const auto* f : {&a, &b}) {
        if (probe::classify(*f) != probe::DeviceClass::gpu) continue;
        const auto largest = f->largest_bar_bytes();
        if (!largest) {
            unknown.push_back(bdf(*f) + " (BAR sizes)");
            continue;
        }
        std::string state = bdf(*f) + " BAR " + size_text(*largest);
        bool bad = false;
        if (th.gpu_bar_min_bytes && *largest < th.gpu_bar_min_bytes)
            state += " < " + size_text(th.gpu_bar_min_bytes), bad = true;
        if (f->large_bar() == false)
            state += ", smaller than its " + size_text(*f->device_memory_bytes) + " of memory", bad = true;
        for (const auto& rb : f->resizable_bars)
            if (th.resizable_bar_at_largest && rb.below_largest())
                state += ", resizable BAR " + std::to_string(rb.index) + " at " + size_text(rb.current_bytes) +
                         " of up to " + size_text(rb.supported_bytes.back()),
                    bad = true;
        (bad ? wrong : found).push_back(state);
    }
    if (!wrong.empty()) return result(Outcome::fail, join(wrong, "; "), bios);
    if (!unknown.empty()) return result(Outcome::waived, "not in the input: " + join(unknown));
    if (found.empty()) return std::nullopt;  // no GPU in the pair
    return result(Outcome::pass, join(found, "; "));
}

std::optional<CheckResult> check_numa(const Thresholds& th, const probe::Pair& pair, const probe::PciFunction& a,
                       const probe::PciFunction& b) {
    const auto ca = probe::classify(a), cb = probe::classify(b);
    const bool gpu_nic = (ca == probe::DeviceClass::gpu && cb == probe::DeviceClass::nic) ||
                         (ca == probe::DeviceClass::nic && cb == probe::DeviceClass::gpu);
    if (!gpu_nic) return std::nullopt;
    const std::string path(probe::to_string(pair.path.path));
    if (pair.path.path == probe::PathClass::unknown)
        return result(Outcome::waived, "path class unknown: " + pair.path.reason);
    // PathClass runs from the closest (X, PIX) to the farthest (SYS).
    if (static_cast<int>(pair.path.path) > static_cast<int>(th.gpu_nic_worst_path))
        return result(Outcome::fail,
                      "GPU-NIC path " + path + ", worse than " + std::string(probe::to_string(th.gpu_nic_worst_path)) +
                          " (NUMA nodes " + (a.numa_node ? std::to_string(*a.numa_node) : "?") + " and " +
                          (b.numa_node ? std::to_string(*b.numa_node) : "?") + ")",
                      "move the NIC or the GPU to a slot below the same switch or root complex (the board manual's "
                      "slot-to-CPU table), or pair this GPU with a NIC of its own NUMA node");
    return result(Outcome::pass,
                  "GPU-NIC path " + path + " (at worst " + std::string(probe::to_string(th.gpu_nic_worst_path)) + ")");
}

CheckResult check_aer(const probe::Topology& t, const probe::PciFunction& a, const probe::PciFunction& b,
                      const AerSnapshot* before, const AerSnapshot* after) {
    // Every function on the way from each end to the root: an error at a
    // switch port counts as much as one at an endpoint.
    std::vector<const probe::PciFunction*> on_path;
    for (const auto* end : {&a, &b})
        for (const auto* f : upstream_chain(t, *end))
            if (std::find(on_path.begin(), on_path.end(), f) == on_path.end()) on_path.push_back(f);
    std::vector<std::string> latched, grew;
    int counted = 0;
    for (const auto* f : on_path) {
        if (f->aer && f->aer->status_read && !(f->aer->uncorrectable_status + f->aer->correctable_status).empty())
            latched.push_back(bdf(*f) + " " + f->aer->uncorrectable_status +
                              (f->aer->uncorrectable_status.empty() ? "" : " ") + f->aer->correctable_status);
        if (!before || !after) continue;
        const auto x = before->find(f->address), y = after->find(f->address);
        if (x == before->end() || y == after->end()) continue;
        ++counted;
        const std::pair<const char*, std::optional<uint64_t> probe::Aer::*> totals[] = {
            {"correctable", &probe::Aer::correctable_total},
            {"non-fatal", &probe::Aer::nonfatal_total},
            {"fatal", &probe::Aer::fatal_total}};
        // Bits latched during the measurements: errors the OS has not handled
        // (yet, or at all where firmware owns AER) show here first.
        auto newly = [](const std::string& before_bits, const std::string& after_bits) {
            std::string out;
            std::istringstream in(after_bits);
            for (std::string w; in >> w;)
                if ((" " + before_bits + " ").find(" " + w + " ") == std::string::npos) out += (out.empty() ? "" : " ") + w;
            return out;
        };
        if (x->second.status_read && y->second.status_read) {
            const std::string bits = newly(x->second.uncorrectable_status + " " + x->second.correctable_status,
                                           y->second.uncorrectable_status + " " + y->second.correctable_status);
            if (!bits.empty()) grew.push_back(bdf(*f) + ": latched " + bits);
        }
        for (const auto& [name, total] : totals) {
            const uint64_t old_total = (x->second.*total).value_or(0), new_total = (y->second.*total).value_or(0);
            if (new_total <= old_total) continue;
            std::string which;
            for (const auto& [counter, n] : y->second.counters) {
                uint64_t old = 0;
                for (const auto& [c0, n0] : x->second.counters)
                    if (c0 == counter) old = n0;
                if (n > old) which += (which.empty() ? " (" : ", ") + counter + " +" + std::to_string(n - old);
            }
            grew.push_back(bdf(*f) + ": " + std::to_string(new_total - old_total) + " new " + name +
                           (which.empty() ? "" : which + ")"));
        }
    }
    const std::string fix = "reseat the card or cable, check the slot's lane count and signal integrity, update "
                            "firmware; `lspci -vvv -s BDF` shows the latched errors, and `setpci -s BDF "
                            "ECAP_AER+04.l=ffffffff ECAP_AER+10.l=ffffffff` clears them before the next run";
    // Bits latched before the run (many healthy machines keep a masked
    // AdvNonFatalErr or UnsupReq from boot) are said, not counted.
    const std::string earlier =
        latched.empty() ? std::string() : "; latched before the run, not counted: " + join(latched, "; ");
    if (!grew.empty())
        return result(Outcome::fail, "AER errors during the measurements: " + join(grew, "; ") + earlier, fix);
    if (counted)
        return result(Outcome::pass, "no new AER error on " + std::to_string(counted) +
                                                " functions of the path during the measurements" + earlier);
    return result(Outcome::waived,
                  (before ? std::string("no AER counters or status for the path's functions (no AER capability, or "
                                        "the config space is not readable)")
                          : std::string("errors are compared before and after the measurements, on a live machine "
                                        "only")) +
                      earlier);
}

}  // namespace p2pscope::qualify
