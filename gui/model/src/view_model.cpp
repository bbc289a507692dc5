// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/view_model.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>

#include "p2pscope/probe/classes.hpp"

namespace p2pscope::gui {

std::string_view to_string(Role r) {
    switch (r) {
    case Role::endpoint: return "endpoint";
    case Role::root_port: return "root port";
    case Role::switch_upstream: return "switch upstream port";
    case Role::switch_downstream: return "switch downstream port";
    case Role::bridge: return "bridge";
    }
    return "bridge";
}

namespace {

std::string hex(unsigned v, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*x", digits, v);
    return buf;
}

std::string fmt_speed(double gts) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%gGT/s", gts);
    return buf;
}

size_t triangle_index(size_t n, size_t i, size_t j) {  // i < j < n
    return i * n - i * (i + 1) / 2 + (j - i - 1);
}

}  // namespace

std::string DeviceView::short_bdf() const {
    return bdf.size() == 12 && bdf.compare(0, 5, "0000:") == 0 ? bdf.substr(5) : bdf;
}

std::string DeviceView::title() const {
    std::string t = vendor;
    if (!name.empty()) t += (t.empty() ? "" : " ") + name;
    if (!t.empty()) return t;
    return "unknown " + (kind == "bridge" ? std::string("bridge") : kind) + " " + vendor_id + ":" + device_id;
}

std::string DeviceView::short_title() const { return name.empty() ? title() : name; }

std::string DeviceView::link_text() const {
    std::string s;
    if (link.speed_gts && link.width)
        s = fmt_speed(*link.speed_gts) + " x" + std::to_string(*link.width);
    else if (link.bandwidth_gbps) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2fGB/s", *link.bandwidth_gbps);
        s = buf;
    } else
        return "-";
    if (link.max_speed_gts && link.max_width)
        s += " (max " + fmt_speed(*link.max_speed_gts) + " x" + std::to_string(*link.max_width) + ")";
    return s;
}

std::string LocalityGroup::label() const {
    if (!package && !numa_node) return "Locality unknown";
    std::string s = package ? "Package " + std::to_string(*package) : "Package ?";
    s += numa_node ? " / NUMA node " + std::to_string(*numa_node) : " / NUMA node ?";
    return s;
}

const PairView* TopologyView::pair(size_t i, size_t j) const {
    const size_t n = matrix.size();
    if (i == j || i >= n || j >= n) return nullptr;
    if (i > j) std::swap(i, j);
    const size_t k = triangle_index(n, i, j);
    return k < pairs.size() ? &pairs[k] : nullptr;
}

PairView* TopologyView::pair(size_t i, size_t j) {
    return const_cast<PairView*>(static_cast<const TopologyView*>(this)->pair(i, j));
}

int TopologyView::find(std::string_view bdf) const {
    auto it = std::lower_bound(devices.begin(), devices.end(), bdf,
                               [](const DeviceView& d, std::string_view b) { return d.bdf < b; });
    return it != devices.end() && it->bdf == bdf ? static_cast<int>(it - devices.begin()) : -1;
}

int TopologyView::find_host_bridge(std::string_view id) const {
    for (size_t i = 0; i < host_bridges.size(); ++i)
        if (host_bridges[i].id == id) return static_cast<int>(i);
    return -1;
}

std::vector<int> TopologyView::upstream_chain(int device) const {
    std::vector<int> chain;
    for (int d = device; d >= 0 && d < static_cast<int>(devices.size()) && chain.size() < 256;
         d = devices[static_cast<size_t>(d)].parent_index)
        chain.push_back(d);
    return chain;
}

void finish(TopologyView& v) {
    std::stable_sort(v.devices.begin(), v.devices.end(),
                     [](const DeviceView& a, const DeviceView& b) { return a.bdf < b.bdf; });
    std::unordered_map<std::string_view, int> index;
    for (size_t i = 0; i < v.devices.size(); ++i) index.emplace(v.devices[i].bdf, static_cast<int>(i));

    std::unordered_map<std::string_view, Role> switch_roles;
    for (const auto& sw : v.switches) {
        switch_roles[sw.upstream] = Role::switch_upstream;
        for (const auto& d : sw.downstream) switch_roles.emplace(d, Role::switch_downstream);
    }

    for (auto& hb : v.host_bridges) hb.roots.clear();
    v.orphans.clear();
    v.matrix.clear();
    v.degraded_links = 0;
    for (auto& d : v.devices) d.children.clear();

    for (size_t i = 0; i < v.devices.size(); ++i) {
        DeviceView& d = v.devices[i];
        auto p = d.parent.empty() ? index.end() : index.find(d.parent);
        d.parent_index = p == index.end() ? -1 : p->second;
        if (d.parent_index == static_cast<int>(i)) d.parent_index = -1;  // a corrupt input must not loop
        if (auto r = switch_roles.find(d.bdf); r != switch_roles.end())
            d.role = r->second;
        else if (!d.bridge)
            d.role = Role::endpoint;
        else if ((d.port_type && *d.port_type == "root-port") || d.parent.empty())
            d.role = Role::root_port;
        else
            d.role = Role::bridge;
        if (d.link.degraded.value_or(false)) ++v.degraded_links;
        if (d.selected) {
            d.matrix_index = static_cast<int>(v.matrix.size());
            v.matrix.push_back(static_cast<int>(i));
        } else {
            d.matrix_index = -1;
        }
    }
    // Children, breaking any cycle a corrupt input could hold by cutting the link that closes it.
    for (size_t i = 0; i < v.devices.size(); ++i) {
        DeviceView& d = v.devices[i];
        if (d.parent_index < 0) continue;
        bool cycle = false;
        int hops = 0;
        for (int up = d.parent_index; up >= 0; up = v.devices[static_cast<size_t>(up)].parent_index)
            if (up == static_cast<int>(i) || ++hops > static_cast<int>(v.devices.size())) {
                cycle = true;
                break;
            }
        if (cycle)
            d.parent_index = -1;
        else
            v.devices[static_cast<size_t>(d.parent_index)].children.push_back(static_cast<int>(i));
    }
    for (size_t i = 0; i < v.devices.size(); ++i) {
        const DeviceView& d = v.devices[i];
        if (d.parent_index >= 0) continue;
        const int hb = v.find_host_bridge(d.host_bridge);
        if (hb >= 0)
            v.host_bridges[static_cast<size_t>(hb)].roots.push_back(static_cast<int>(i));
        else
            v.orphans.push_back(static_cast<int>(i));
    }

    const size_t n = v.matrix.size();
    const size_t want = n < 2 ? 0 : n * (n - 1) / 2;
    if (v.pairs.size() != want) v.pairs.assign(want, PairView{});

    // Locality groups: unknown package or node sorts last.
    std::map<std::tuple<int, int>, size_t> by_key;
    v.groups.clear();
    auto key_of = [](const std::optional<int>& o) { return o ? *o : 1 << 30; };
    std::vector<std::pair<std::tuple<int, int>, int>> order;
    for (size_t i = 0; i < v.host_bridges.size(); ++i)
        order.push_back({{key_of(v.host_bridges[i].package), key_of(v.host_bridges[i].numa_node)}, static_cast<int>(i)});
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, hb] : order) {
        auto [it, fresh] = by_key.emplace(key, v.groups.size());
        if (fresh) {
            LocalityGroup g;
            g.package = v.host_bridges[static_cast<size_t>(hb)].package;
            g.numa_node = v.host_bridges[static_cast<size_t>(hb)].numa_node;
            v.groups.push_back(g);
        }
        v.groups[it->second].host_bridges.push_back(hb);
    }
}

// ---- from the prober's model ------------------------------------------------

TopologyView view_from_topology(const probe::Topology& t, const std::vector<const probe::PciFunction*>& selected,
                                const std::vector<probe::Pair>& pairs) {
    TopologyView v;
    v.source = t.source;
    if (t.cpu) v.cpu = CpuView{t.cpu->vendor, t.cpu->family, t.cpu->model_name};
    v.packages = t.packages;
    v.numa_nodes = t.numa_nodes;
    for (const auto& hb : t.host_bridges) v.host_bridges.push_back({hb.id, hb.numa_node, hb.package, {}});
    for (const auto& sw : t.switches) {
        SwitchView s{sw.upstream.to_string(), {}, sw.inferred};
        for (const auto& d : sw.downstream) s.downstream.push_back(d.to_string());
        v.switches.push_back(std::move(s));
    }
    v.devices.reserve(t.functions.size());
    for (const auto& f : t.functions) {
        DeviceView d;
        d.bdf = f.address.to_string();
        d.vendor_id = hex(f.vendor_id, 4);
        d.device_id = hex(f.device_id, 4);
        d.class_code = hex(f.class_code, 6);
        d.kind = f.is_bridge || !probe::is_endpoint(f) ? "bridge" : std::string(probe::to_string(probe::classify(f)));
        d.vendor = f.vendor_name;
        d.name = f.device_name;
        d.selected = std::find(selected.begin(), selected.end(), &f) != selected.end();
        if (f.parent) d.parent = f.parent->to_string();
        d.host_bridge = f.host_bridge;
        d.numa_node = f.numa_node;
        d.package = f.package;
        d.bridge = f.is_bridge;
        if (f.is_bridge && f.secondary_bus) {
            d.secondary_bus = *f.secondary_bus;
            if (f.subordinate_bus) d.subordinate_bus = *f.subordinate_bus;
        }
        if (f.port_type) d.port_type = std::string(probe::to_string(*f.port_type));
        d.config_bytes = f.config_bytes;
        d.link = {f.link.speed_gts, f.link.max_speed_gts, f.link.bandwidth_gbps,
                  f.link.width,     f.link.max_width,     t.link_degraded(f)};
        if (f.acs)
            d.acs = AcsView{f.acs->capability, f.acs->control, probe::acs_bit_names(f.acs->control),
                            (f.acs->control & probe::kAcsRedirectBits) != 0};
        d.acs_known = f.acs_known();
        d.ats_enabled = f.ats_enabled;
        d.mps_bytes = f.mps_bytes;
        d.mrrs_bytes = f.mrrs_bytes;
        if (f.sriov) d.sriov = SriovView{f.sriov->total_vfs, f.sriov->num_vfs};
        if (f.physfn) d.physfn = f.physfn->to_string();
        d.iommu_group = f.iommu_group;
        d.iommu_domain_type = f.iommu_domain_type;
        if (f.p2pmem) d.p2pmem = P2pmemView{f.p2pmem->size_bytes, f.p2pmem->available_bytes, f.p2pmem->published};
        d.driver = f.driver;
        v.devices.push_back(std::move(d));
    }
    v.notes = t.notes;
    finish(v);
    for (const auto& p : pairs) {
        const int a = v.find(p.a.to_string()), b = v.find(p.b.to_string());
        if (a < 0 || b < 0) continue;
        const int ia = v.devices[static_cast<size_t>(a)].matrix_index, ib = v.devices[static_cast<size_t>(b)].matrix_index;
        if (ia < 0 || ib < 0) continue;
        PairView* cell = v.pair(static_cast<size_t>(ia), static_cast<size_t>(ib));
        if (!cell) continue;
        cell->path = std::string(probe::to_string(p.path.path));
        cell->path_reason = p.path.reason;
        cell->verdict = std::string(probe::to_string(p.p2pdma.verdict));
        cell->distance = p.p2pdma.distance;
        cell->reason = p.p2pdma.reason;
        cell->present = true;
    }
    return v;
}

Result<TopologyView> analyse_topology(const probe::Topology& t, const probe::PairSelection& selection,
                                      const probe::VerdictOptions& options) {
    auto selected = probe::select_functions(t, selection);
    if (!selected) return selected.error();
    const auto pairs = probe::analyse_pairs(t, *selected, options);
    return view_from_topology(t, *selected, pairs);
}

}  // namespace p2pscope::gui
