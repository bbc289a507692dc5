// SPDX-License-Identifier: GPL-2.0-or-later
#include "hwloc_view.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

namespace p2pscope::probe {

namespace {

Result<HwlocTopology> init_topology() {
    hwloc_topology_t raw = nullptr;
    if (hwloc_topology_init(&raw) != 0) return make_error(Errc::system, "hwloc_topology_init failed");
    HwlocTopology topo(raw);
    // Keep every PCI device and bridge: the pair analysis needs the whole tree.
    hwloc_topology_set_io_types_filter(topo.get(), HWLOC_TYPE_FILTER_KEEP_ALL);
    return topo;
}

// hwloc 2.x takes a Linux fsroot only from the environment (HWLOC_FSROOT);
// the variables are set for the duration of one load, under a lock, and
// restored. HWLOC_COMPONENTS=-x86 keeps hwloc from reading this machine's
// CPUID into another machine's tree.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::mutex& env_mutex() {
    static std::mutex m;
    return m;
}

std::optional<int> single_index(hwloc_const_bitmap_t set) {
    if (!set || hwloc_bitmap_weight(set) != 1) return std::nullopt;
    return hwloc_bitmap_first(set);
}

std::optional<int> parse_int(const char* s) {
    if (!s || !*s) return std::nullopt;
    char* end = nullptr;
    long v = std::strtol(s, &end, 0);
    if (*end) return std::nullopt;
    return static_cast<int>(v);
}

PciAddress address_of(const hwloc_obj_attr_u::hwloc_pcidev_attr_s& p) {
    return PciAddress{p.domain, p.bus, p.dev, p.func};
}

}  // namespace

Result<HwlocTopology> load_hwloc_fsroot(const std::string& root) {
    auto topo = init_topology();
    if (!topo) return topo;
    if (root == "/" || root.empty()) {
        if (hwloc_topology_load(topo->get()) != 0)
            return make_error(Errc::system, std::string("hwloc could not read this system: ") + std::strerror(errno));
        return topo;
    }
    std::lock_guard lock(env_mutex());
    ScopedEnv fsroot("HWLOC_FSROOT", root.c_str());
    ScopedEnv components("HWLOC_COMPONENTS", "-x86");
    if (hwloc_topology_load(topo->get()) != 0)
        return make_error(Errc::bad_input, root + ": hwloc could not read this tree: " + std::strerror(errno));
    return topo;
}

Result<HwlocTopology> load_hwloc_xml_file(const std::string& path) {
    auto topo = init_topology();
    if (!topo) return topo;
    if (hwloc_topology_set_xml(topo->get(), path.c_str()) != 0)
        return make_error(Errc::bad_input, path + ": not a valid hwloc XML topology (" + std::strerror(errno) + ")");
    if (hwloc_topology_load(topo->get()) != 0)
        return make_error(Errc::bad_input, path + ": not a valid hwloc XML topology");
    return topo;
}

void apply_hwloc_locality(hwloc_topology_t topo, Topology& t) {
    const int packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    const int nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    if (packages > 0) t.packages = packages;
    if (nodes > 0) t.numa_nodes = nodes;

    if (!t.cpu) {
        // Every package of a machine carries the same CPU identity; the first says it.
        for (hwloc_obj_t o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, nullptr); o; o = nullptr) {
            const char* vendor = hwloc_obj_get_info_by_name(o, "CPUVendor");
            if (!vendor) break;
            Cpu cpu;
            cpu.vendor = vendor;
            cpu.family = parse_int(hwloc_obj_get_info_by_name(o, "CPUFamilyNumber"));
            if (const char* m = hwloc_obj_get_info_by_name(o, "CPUModel")) cpu.model_name = m;
            t.cpu = cpu;
        }
    }

    for (hwloc_obj_t o = hwloc_get_next_bridge(topo, nullptr); o; o = hwloc_get_next_bridge(topo, o)) {
        if (o->attr->bridge.upstream_type != HWLOC_OBJ_BRIDGE_HOST) continue;
        if (o->attr->bridge.downstream_type != HWLOC_OBJ_BRIDGE_PCI) continue;
        const auto& down = o->attr->bridge.downstream.pci;
        hwloc_obj_t local = hwloc_get_non_io_ancestor_obj(topo, o);
        std::optional<int> numa = local ? single_index(local->nodeset) : std::nullopt;
        std::optional<int> package;
        if (local) {
            hwloc_obj_t pkg = local->type == HWLOC_OBJ_PACKAGE
                                  ? local
                                  : hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, local);
            if (pkg) package = static_cast<int>(pkg->os_index);
        }
        for (auto& hb : t.host_bridges) {
            if (hb.domain != down.domain || hb.root_bus < down.secondary_bus || hb.root_bus > down.subordinate_bus)
                continue;
            hb.subordinate_bus = down.subordinate_bus;
            if (numa) hb.numa_node = numa;
            if (package) hb.package = package;
        }
    }
}

std::vector<PciFunction> hwloc_pci_functions(hwloc_topology_t topo) {
    std::vector<PciFunction> out;
    auto add = [&](hwloc_obj_t o, const hwloc_obj_attr_u::hwloc_pcidev_attr_s& p, bool bridge) {
        PciFunction f;
        f.address = address_of(p);
        f.vendor_id = p.vendor_id;
        f.device_id = p.device_id;
        if (p.subvendor_id) {
            f.subsystem_vendor_id = p.subvendor_id;
            f.subsystem_id = p.subdevice_id;
        }
        // hwloc keeps class and subclass, not the programming interface.
        f.class_code = static_cast<uint32_t>(p.class_id) << 8;
        if (p.linkspeed > 0) f.link.bandwidth_gbps = p.linkspeed;
        if (const char* v = hwloc_obj_get_info_by_name(o, "PCIVendor")) f.vendor_name = v;
        if (const char* d = hwloc_obj_get_info_by_name(o, "PCIDevice")) f.device_name = d;
        if (bridge) {
            f.is_bridge = true;
            f.secondary_bus = o->attr->bridge.downstream.pci.secondary_bus;
            f.subordinate_bus = o->attr->bridge.downstream.pci.subordinate_bus;
        }
        for (hwloc_obj_t up = o->parent; up; up = up->parent) {
            if (up->type != HWLOC_OBJ_BRIDGE) break;
            if (up->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_PCI) {
                f.parent = address_of(up->attr->bridge.upstream.pci);
                break;
            }
            // A host bridge: this function sits on a root bus.
            char id[16];
            std::snprintf(id, sizeof id, "%04x:%02x", up->attr->bridge.downstream.pci.domain,
                          up->attr->bridge.downstream.pci.secondary_bus);
            f.host_bridge = id;
            break;
        }
        out.push_back(std::move(f));
    };
    for (hwloc_obj_t o = hwloc_get_next_pcidev(topo, nullptr); o; o = hwloc_get_next_pcidev(topo, o))
        add(o, o->attr->pcidev, false);
    for (hwloc_obj_t o = hwloc_get_next_bridge(topo, nullptr); o; o = hwloc_get_next_bridge(topo, o))
        if (o->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_PCI) add(o, o->attr->bridge.upstream.pci, true);
    return out;
}

}  // namespace p2pscope::probe
