// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/probe/report.hpp"

#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace p2pscope::probe {

namespace {

std::string hex(unsigned v, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*x", digits, v);
    return buf;
}

std::string fmt_speed(double gts) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%g", gts);
    return buf;
}

std::string link_text(const Topology& t, const PciFunction& f) {
    const Link& l = f.link;
    std::string s;
    if (l.speed_gts && l.width)
        s = fmt_speed(*l.speed_gts) + "GT/s x" + std::to_string(*l.width);
    else if (l.bandwidth_gbps) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2fGB/s", *l.bandwidth_gbps);
        s = buf;
    } else
        return "-";
    if (l.max_speed_gts && l.max_width) s += " (max " + fmt_speed(*l.max_speed_gts) + "GT/s x" + std::to_string(*l.max_width) + ")";
    if (t.link_degraded(f).value_or(false)) s += " DEGRADED";
    return s;
}

std::string short_bdf(const PciAddress& a) {
    std::string s = a.to_string();
    return a.domain == 0 ? s.substr(5) : s;
}

std::string kind_of(const PciFunction& f) { return f.is_bridge || !is_endpoint(f) ? "bridge" : std::string(to_string(classify(f))); }

std::string name_of(const PciFunction& f) {
    std::string n = f.vendor_name;
    if (!f.device_name.empty()) n += (n.empty() ? "" : " ") + f.device_name;
    return n.empty() ? "-" : n;
}

char verdict_letter(P2pdmaVerdict v) {
    switch (v) {
    case P2pdmaVerdict::BUS_ADDR: return 'B';
    case P2pdmaVerdict::THRU_HOST_BRIDGE: return 'H';
    case P2pdmaVerdict::NOT_SUPPORTED: return 'N';
    case P2pdmaVerdict::unknown: return '?';
    }
    return '?';
}

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string size_text(uint64_t bytes) {
    static constexpr const char* units[] = {"", "K", "M", "G", "T", "P", "E"};
    int u = 0;
    while (u < 6 && bytes >= 1024 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++u;
    }
    return std::to_string(bytes) + units[u];
}

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string yes_no(const std::optional<bool>& v, const char* name) {
    return std::string(name) + (v ? (*v ? "+" : "-") : "?");
}

// One line of the facts qualification reads: payload sizes, ordering and
// snoop, tags, ATS, AER, BARs.
std::string facts_text(const PciFunction& f) {
    std::string s;
    if (f.config_bytes >= 256 && !f.port_type) {
        s = "conventional PCI";
    } else {
        s = "MPS " + (f.mps_bytes ? std::to_string(*f.mps_bytes) : "?") + " MRRS " +
            (f.mrrs_bytes ? std::to_string(*f.mrrs_bytes) : "?") + "  " + yes_no(f.relaxed_ordering, "RlxdOrd") + " " +
            yes_no(f.no_snoop, "NoSnoop") + " " +
            yes_no(f.ten_bit_tags ? std::optional<bool>(f.ten_bit_tags->requester_enabled) : std::nullopt,
                   "10BitTagReq") +
            " " + yes_no(f.ats_enabled, "ATS");
        if (f.aer) {
            std::string errors = f.aer->uncorrectable_status;
            if (!f.aer->correctable_status.empty()) errors += (errors.empty() ? "" : " ") + f.aer->correctable_status;
            s += "  AER " + (!f.aer->status_read ? std::string("status ?") : errors.empty() ? std::string("clear") : errors);
            if (f.aer->correctable_total || f.aer->nonfatal_total || f.aer->fatal_total)
                s += " (since boot: " + std::to_string(f.aer->correctable_total.value_or(0)) + " correctable, " +
                     std::to_string(f.aer->nonfatal_total.value_or(0)) + " non-fatal, " +
                     std::to_string(f.aer->fatal_total.value_or(0)) + " fatal)";
        } else {
            s += f.config_bytes >= 4096 ? "  AER none" : "  AER ?";
        }
    }
    if (!f.bars.empty()) {
        s += "  BARs";
        for (const auto& b : f.bars)
            s += " " + std::to_string(b.index) + ":" + (b.size_bytes ? size_text(*b.size_bytes) : "?") +
                 (b.io ? "(io)" : b.prefetchable ? "(pf)" : "");
    }
    for (const auto& rb : f.resizable_bars) {
        s += "  ReBAR " + std::to_string(rb.index) + ": " + size_text(rb.current_bytes);
        if (!rb.supported_bytes.empty())
            s += " of " + size_text(rb.supported_bytes.front()) + ".." + size_text(rb.supported_bytes.back()) +
                 (rb.below_largest() ? " (below largest)" : " (largest)");
    }
    if (f.device_memory_bytes)
        s += "  memory " + size_text(*f.device_memory_bytes) + (f.large_bar().value_or(false) ? " (large BAR)" : " (BAR smaller)");
    else if (classify(f) == DeviceClass::gpu && is_endpoint(f) && f.largest_bar_bytes())
        s += "  memory ? (large BAR unknown)";
    return s;
}

}  // namespace

std::string render_text(const Report& r) {
    const Topology& t = r.topology;
    std::ostringstream out;
    out << "Source: " << t.source << "\n";
    if (t.cpu) {
        out << "CPU: " << t.cpu->vendor;
        if (t.cpu->family) out << " family " << *t.cpu->family << " (0x" << hex(static_cast<unsigned>(*t.cpu->family), 2) << ")";
        if (!t.cpu->model_name.empty()) out << ", " << t.cpu->model_name;
        out << "\n";
    }
    // A tree whose top is no root bus (a partial input lacks the bridges
    // above it) is no host bridge: counted and named apart.
    std::vector<std::string> topless;
    for (const auto& hb : t.host_bridges)
        if (!hb.missing_above.empty()) topless.push_back(hb.id);
    out << "Packages: " << (t.packages ? std::to_string(*t.packages) : "unknown")
        << ", NUMA nodes: " << (t.numa_nodes ? std::to_string(*t.numa_nodes) : "unknown")
        << ", host bridges: " << t.host_bridges.size() - topless.size();
    if (!topless.empty()) {
        out << " and " << topless.size() << (topless.size() == 1 ? " tree whose bridge above is" : " trees whose bridges above are")
            << " missing (bus";
        for (size_t i = 0; i < topless.size(); ++i) out << (i ? ", " : " ") << topless[i];
        out << ")";
    }
    out << ", PCI functions: " << t.functions.size() << "\n\n";

    out << "Devices (" << r.selected.size() << " selected)\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-13s %-6s %-10s %-5s %-8s %-30s %-14s %s\n", "BDF", "KIND", "ID", "NUMA",
                  "HOSTBR", "LINK", "IOMMU", "NAME");
    out << line;
    auto host_bridge_of = [&](const PciFunction& f) {
        const HostBridge* hb = t.find_host_bridge(f.host_bridge);
        return hb && !hb->missing_above.empty() ? std::string("?") : f.host_bridge;
    };
    for (const PciFunction* f : r.selected) {
        std::string iommu = f->iommu_group ? std::to_string(*f->iommu_group) : "-";
        if (f->iommu_domain_type) iommu += " (" + *f->iommu_domain_type + ")";
        std::string name = name_of(*f);
        if (f->p2pmem) name += " [p2pmem " + std::to_string(f->p2pmem->size_bytes >> 20) + " MiB" + (f->p2pmem->published ? ", published]" : "]");
        if (f->physfn) name += " [VF of " + short_bdf(*f->physfn) + "]";
        std::snprintf(line, sizeof line, "%-13s %-6s %-10s %-5s %-8s %-30s %-14s %s\n", f->address.to_string().c_str(),
                      kind_of(*f).c_str(), (hex(f->vendor_id, 4) + ":" + hex(f->device_id, 4)).c_str(),
                      f->numa_node ? std::to_string(*f->numa_node).c_str() : "-", host_bridge_of(*f).c_str(),
                      link_text(t, *f).c_str(), iommu.c_str(), name.c_str());
        out << line;
    }

    if (!r.selected.empty()) {
        out << "\nDevice facts (+ enabled, - disabled or no such capability, ? not in the input; pf = prefetchable)\n";
        for (const PciFunction* f : r.selected) out << f->address.to_string() << "  " << facts_text(*f) << "\n";
    }
    if (t.cmdline) {
        out << "Kernel command line, P2P options: ";
        if (t.cmdline->options.empty()) out << "none (ACS and IOMMU as the kernel's defaults set them)";
        for (size_t i = 0; i < t.cmdline->options.size(); ++i) out << (i ? " " : "") << t.cmdline->options[i];
        out << "\n";
    }

    if (!t.switches.empty()) {
        out << "\nSwitches (" << t.switches.size() << ")\n";
        for (const auto& sw : t.switches) {
            const PciFunction* up = t.find(sw.upstream);
            out << "  " << sw.upstream.to_string() << " " << (up ? name_of(*up) : "-") << ": "
                << sw.downstream.size() << " downstream port" << (sw.downstream.size() == 1 ? "" : "s");
            for (size_t i = 0; i < sw.downstream.size(); ++i) out << (i ? ", " : " ") << short_bdf(sw.downstream[i]);
            if (sw.inferred) out << " (roles inferred: no port types in the input)";
            out << "\n";
        }
    }

    if (r.selected.size() >= 2) {
        std::map<std::pair<PciAddress, PciAddress>, const Pair*> by;
        for (const auto& p : r.pairs) {
            by[{p.a, p.b}] = &p;
            by[{p.b, p.a}] = &p;
        }
        // Columns as wide as the longest label: with several PCI domains the
        // labels carry the domain, and cut to 7 they would collide.
        size_t width = 7;
        for (const PciFunction* f : r.selected) width = std::max(width, short_bdf(f->address).size());
        const int w = static_cast<int>(width);
        auto matrix = [&](const char* title, auto cell) {
            out << "\n" << title << "\n" << std::string(width + 2, ' ');
            for (const PciFunction* f : r.selected) {
                std::snprintf(line, sizeof line, " %-*s", w, short_bdf(f->address).c_str());
                out << line;
            }
            out << "\n";
            for (const PciFunction* a : r.selected) {
                std::snprintf(line, sizeof line, "%-*s", w + 2, short_bdf(a->address).c_str());
                out << line;
                for (const PciFunction* b : r.selected) {
                    std::string c = a == b ? "X" : by.count({a->address, b->address}) ? cell(*by[{a->address, b->address}]) : "";
                    std::snprintf(line, sizeof line, " %-*s", w, c.c_str());
                    out << line;
                }
                out << "\n";
            }
        };
        matrix("Path matrix", [](const Pair& p) { return std::string(to_string(p.path.path)); });
        matrix("P2PDMA matrix (B = BUS_ADDR, H = THRU_HOST_BRIDGE, N = NOT_SUPPORTED, ? = unknown; distance after the letter)",
               [](const Pair& p) {
                   std::string s(1, verdict_letter(p.p2pdma.verdict));
                   if (p.p2pdma.distance) s += std::to_string(*p.p2pdma.distance);
                   return s;
               });

        // The path's reason, where the verdict's already says it (the verdict
        // cannot follow a path the input breaks off), is not said again.
        auto path_reason = [](const Pair& p) {
            return p.path.reason.empty() || p.p2pdma.reason.find(p.path.reason) != std::string::npos
                       ? std::string()
                       : "path: " + p.path.reason;
        };
        // A reason that several pairs share is written once, below, and
        // named by its number on each pair.
        std::map<std::string, int> uses;
        for (const auto& p : r.pairs) {
            ++uses[p.p2pdma.reason];
            if (const auto why = path_reason(p); !why.empty()) ++uses[why];
        }
        std::vector<std::string> shared;
        std::map<std::string, size_t> number;
        auto reason = [&](const std::string& text) {
            if (uses[text] < 2) return text;
            auto [it, added] = number.emplace(text, shared.size() + 1);
            if (added) shared.push_back(text);
            return "[reason " + std::to_string(it->second) + "]";
        };
        out << "\nPairs\n";
        for (const auto& p : r.pairs) {
            out << p.a.to_string() << " " << p.b.to_string() << "  " << to_string(p.path.path) << "  "
                << to_string(p.p2pdma.verdict);
            if (p.p2pdma.distance) out << " distance " << *p.p2pdma.distance;
            out << "\n    " << reason(p.p2pdma.reason) << "\n";
            if (const auto why = path_reason(p); !why.empty()) out << "    " << reason(why) << "\n";
        }
        if (!shared.empty()) {
            out << "\nReasons shared by several pairs\n";
            for (size_t i = 0; i < shared.size(); ++i) out << "  [reason " << i + 1 << "] " << shared[i] << "\n";
        }
    } else {
        out << "\nNo pairs: " << r.selected.size() << " device" << (r.selected.size() == 1 ? "" : "s")
            << " selected; a pair needs two (--class all or --devices BDF,BDF,... selects more)\n";
    }

    out << "\nLegend (path, as nvidia-smi topo -m, for any vendor):\n";
    for (auto p : {PathClass::X, PathClass::SYS, PathClass::NODE, PathClass::PHB, PathClass::PXB, PathClass::PIX}) {
        std::snprintf(line, sizeof line, "  %-4s = %s\n", std::string(to_string(p)).c_str(), std::string(describe(p)).c_str());
        out << line;
    }
    out << "P2PDMA verdict, as Linux "
        << (r.pairs.empty() ? std::string("?") : r.pairs.front().p2pdma.kernel_release.to_string())
        << "'s drivers/pci/p2pdma.c decides it:\n"
           "  BUS_ADDR         = DMA goes by PCI bus address below a common switch or bridge\n"
           "  THRU_HOST_BRIDGE = allowed, routed through the host bridge (and the IOMMU, if on)\n"
           "  NOT_SUPPORTED    = the kernel refuses P2P DMA between the two\n"
           "  unknown          = the input lacks what the kernel would read (the reason says what)\n";
    if (!t.notes.empty()) {
        out << "Notes:\n";
        for (const auto& n : t.notes) out << "  - " << n << "\n";
    }
    return out.str();
}

std::string render_json(const Report& r) {
    const Topology& t = r.topology;
    using nlohmann::json;
    json doc;
    doc["schema"] = "p2pscope.topo/1";
    doc["source"] = t.source;
    if (t.cpu)
        doc["cpu"] = {{"vendor", t.cpu->vendor}, {"family", opt(t.cpu->family)}, {"model", t.cpu->model_name}};
    else
        doc["cpu"] = nullptr;
    doc["packages"] = opt(t.packages);
    doc["kernel_cmdline"] = t.cmdline ? json{{"text", t.cmdline->text}, {"options", t.cmdline->options}} : json(nullptr);
    doc["numa_nodes"] = opt(t.numa_nodes);
    doc["host_bridges"] = json::array();
    for (const auto& hb : t.host_bridges)
        doc["host_bridges"].push_back({{"id", hb.id},
                                       {"numa_node", opt(hb.numa_node)},
                                       {"package", opt(hb.package)},
                                       {"missing_above", hb.missing_above.empty() ? json(nullptr) : json(hb.missing_above)}});
    doc["switches"] = json::array();
    for (const auto& sw : t.switches) {
        json ds = json::array();
        for (const auto& d : sw.downstream) ds.push_back(d.to_string());
        doc["switches"].push_back({{"upstream", sw.upstream.to_string()}, {"downstream", ds}, {"inferred", sw.inferred}});
    }
    doc["devices"] = json::array();
    for (const auto& f : t.functions) {
        json d;
        d["bdf"] = f.address.to_string();
        d["vendor_id"] = hex(f.vendor_id, 4);
        d["device_id"] = hex(f.device_id, 4);
        d["class"] = hex(f.class_code, 6);
        d["kind"] = kind_of(f);
        d["vendor"] = f.vendor_name;
        d["name"] = f.device_name;
        d["selected"] = std::find(r.selected.begin(), r.selected.end(), &f) != r.selected.end();
        d["parent"] = f.parent ? json(f.parent->to_string()) : json(nullptr);
        d["host_bridge"] = f.host_bridge;
        d["numa_node"] = opt(f.numa_node);
        d["package"] = opt(f.package);
        d["bridge"] = f.is_bridge;
        if (f.is_bridge && f.secondary_bus)
            d["buses"] = {{"secondary", *f.secondary_bus}, {"subordinate", opt(f.subordinate_bus)}};
        d["port_type"] = f.port_type ? json(std::string(to_string(*f.port_type))) : json(nullptr);
        d["config_bytes"] = f.config_bytes;
        d["link"] = {{"speed_gts", opt(f.link.speed_gts)},        {"width", opt(f.link.width)},
                     {"max_speed_gts", opt(f.link.max_speed_gts)}, {"max_width", opt(f.link.max_width)},
                     {"bandwidth_gbps", opt(f.link.bandwidth_gbps)}, {"degraded", opt(t.link_degraded(f))}};
        if (f.acs)
            d["acs"] = {{"capability", hex(f.acs->capability, 4)},
                        {"control", hex(f.acs->control, 4)},
                        {"control_bits", acs_bit_names(f.acs->control)},
                        {"redirect", (f.acs->control & kAcsRedirectBits) != 0}};
        else
            d["acs"] = nullptr;
        d["acs_known"] = f.acs_known();
        d["ats_enabled"] = opt(f.ats_enabled);
        d["mps_bytes"] = opt(f.mps_bytes);
        d["mrrs_bytes"] = opt(f.mrrs_bytes);
        d["relaxed_ordering"] = opt(f.relaxed_ordering);
        d["no_snoop"] = opt(f.no_snoop);
        d["ten_bit_tags"] = f.ten_bit_tags ? json{{"completer_supported", f.ten_bit_tags->completer_supported},
                                                  {"requester_supported", f.ten_bit_tags->requester_supported},
                                                  {"requester_enabled", f.ten_bit_tags->requester_enabled}}
                                           : json(nullptr);
        if (f.aer) {
            json counters = json::object();
            for (const auto& [name, count] : f.aer->counters) counters[name] = count;
            d["aer"] = {{"uncorrectable_status", f.aer->status_read ? json(words(f.aer->uncorrectable_status)) : json(nullptr)},
                        {"correctable_status", f.aer->status_read ? json(words(f.aer->correctable_status)) : json(nullptr)},
                        {"correctable_total", opt(f.aer->correctable_total)},
                        {"nonfatal_total", opt(f.aer->nonfatal_total)},
                        {"fatal_total", opt(f.aer->fatal_total)},
                        {"counters", counters}};
        } else {
            d["aer"] = nullptr;
        }
        d["bars"] = json::array();
        for (const auto& b : f.bars)
            d["bars"].push_back({{"index", b.index}, {"size_bytes", opt(b.size_bytes)}, {"io", b.io},
                                 {"prefetchable", b.prefetchable}, {"is_64bit", b.is_64bit}});
        d["resizable_bars"] = json::array();
        for (const auto& rb : f.resizable_bars)
            d["resizable_bars"].push_back(
                {{"index", rb.index}, {"current_bytes", rb.current_bytes}, {"supported_bytes", rb.supported_bytes}});
        d["device_memory_bytes"] = opt(f.device_memory_bytes);
        d["large_bar"] = opt(f.large_bar());
        d["bar_at_largest_size"] = opt(f.bar_at_largest_size());
        d["sriov"] = f.sriov ? json{{"total_vfs", f.sriov->total_vfs}, {"num_vfs", f.sriov->num_vfs}} : json(nullptr);
        d["physfn"] = f.physfn ? json(f.physfn->to_string()) : json(nullptr);
        d["iommu_group"] = opt(f.iommu_group);
        d["iommu_domain_type"] = opt(f.iommu_domain_type);
        d["p2pmem"] = f.p2pmem ? json{{"size_bytes", f.p2pmem->size_bytes},
                                      {"available_bytes", f.p2pmem->available_bytes},
                                      {"published", f.p2pmem->published}}
                               : json(nullptr);
        d["driver"] = opt(f.driver);
        doc["devices"].push_back(std::move(d));
    }
    doc["pairs"] = json::array();
    for (const auto& p : r.pairs) {
        json j{{"a", p.a.to_string()},
               {"b", p.b.to_string()},
               {"path", std::string(to_string(p.path.path))},
               {"p2pdma",
                {{"verdict", std::string(to_string(p.p2pdma.verdict))},
                 {"distance", opt(p.p2pdma.distance)},
                 {"reason", p.p2pdma.reason},
                 {"kernel_release", p.p2pdma.kernel_release.to_string()}}}};
        if (!p.path.reason.empty()) j["path_reason"] = p.path.reason;
        doc["pairs"].push_back(std::move(j));
    }
    doc["notes"] = t.notes;
    return doc.dump(2) + "\n";
}

std::string render_dot(const Report& r) {
    const Topology& t = r.topology;
    std::ostringstream out;
    out << "graph p2pscope {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n";
    for (const auto& hb : t.host_bridges) {
        out << "  \"hb " << hb.id << "\" [label=\""
            << (hb.missing_above.empty() ? "host bridge " + hb.id : "bus " + hb.id + "\\nbridges above missing");
        if (hb.numa_node) out << "\\nNUMA " << *hb.numa_node;
        out << "\", style=filled, fillcolor=lightgrey];\n";
    }
    for (const auto& f : t.functions) {
        const bool selected = std::find(r.selected.begin(), r.selected.end(), &f) != r.selected.end();
        out << "  \"" << f.address.to_string() << "\" [label=\"" << f.address.to_string() << "\\n" << kind_of(f) << " "
            << hex(f.vendor_id, 4) << ":" << hex(f.device_id, 4) << "\"";
        if (f.is_bridge) out << ", shape=ellipse";
        if (selected) out << ", style=filled, fillcolor=lightblue";
        if (t.link_degraded(f).value_or(false)) out << ", color=red";
        out << "];\n";
        if (f.parent)
            out << "  \"" << f.parent->to_string() << "\" -- \"" << f.address.to_string() << "\";\n";
        else
            out << "  \"hb " << f.host_bridge << "\" -- \"" << f.address.to_string() << "\";\n";
    }
    for (const auto& p : r.pairs) {
        if (p.p2pdma.verdict != P2pdmaVerdict::BUS_ADDR && p.p2pdma.verdict != P2pdmaVerdict::THRU_HOST_BRIDGE) continue;
        out << "  \"" << p.a.to_string() << "\" -- \"" << p.b.to_string() << "\" [style=dashed, constraint=false, color="
            << (p.p2pdma.verdict == P2pdmaVerdict::BUS_ADDR ? "darkgreen" : "orange") << ", label=\""
            << to_string(p.path.path) << "\"];\n";
    }
    out << "}\n";
    return out.str();
}

}  // namespace p2pscope::probe
