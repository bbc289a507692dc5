// SPDX-License-Identifier: GPL-2.0-or-later
#include "hwloc_view.hpp"

#include <hwloc/linux.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <string>
#include <vector>
#include <optional>

namespace p2pscope::probe {

namespace {

// whole: keep every CPU-side object. hwloc 2's import of 1.x XML (NUMA
// nodes as parents of packages and host bridges) attaches the NUMA nodes to
// the machine, with its whole cpuset, when caches and groups are filtered
// out, which loses every device's NUMA node.
Result<HwlocTopology> init_topology(bool with_io, bool whole = false) {
    hwloc_topology_t raw = nullptr;
    if (hwloc_topology_init(&raw) != 0) return make_error(Errc::system, "hwloc_topology_init failed");
    HwlocTopology topo(raw);
    if (whole) {
        hwloc_topology_set_io_types_filter(topo.get(), HWLOC_TYPE_FILTER_KEEP_NONE);
        if (with_io) {
            hwloc_topology_set_type_filter(topo.get(), HWLOC_OBJ_PCI_DEVICE, HWLOC_TYPE_FILTER_KEEP_ALL);
            hwloc_topology_set_type_filter(topo.get(), HWLOC_OBJ_BRIDGE, HWLOC_TYPE_FILTER_KEEP_ALL);
        }
        return topo;
    }
    // Only what the analysis reads: packages, NUMA nodes (always kept) and,
    // when asked, every PCI device and bridge. Skipping caches, cores and OS
    // devices, and
    // the x86 backend that binds itself to each CPU in turn to run CPUID,
    // makes a live load several times faster; /proc/cpuinfo names the CPU.
    hwloc_topology_set_all_types_filter(topo.get(), HWLOC_TYPE_FILTER_KEEP_NONE);
    hwloc_topology_set_type_filter(topo.get(), HWLOC_OBJ_PACKAGE, HWLOC_TYPE_FILTER_KEEP_ALL);
    if (with_io) {
        hwloc_topology_set_type_filter(topo.get(), HWLOC_OBJ_PCI_DEVICE, HWLOC_TYPE_FILTER_KEEP_ALL);
        hwloc_topology_set_type_filter(topo.get(), HWLOC_OBJ_BRIDGE, HWLOC_TYPE_FILTER_KEEP_ALL);
    }
    hwloc_topology_set_components(topo.get(), HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "x86");
    return topo;
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

// hwloc 2 takes a Linux fsroot only from its environment (HWLOC_FSROOT),
// read with getenv while it loads: setting it in this process would race
// with every other thread's getenv. lstopo-no-graphics reads the tree in a
// process of its own (`--if fsroot`) and hands over XML, loaded from memory
// here. Bounded: 256 MiB of XML, 60 s.
Result<std::string> fsroot_as_xml(const std::string& root, bool with_io) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return make_error(Errc::system, std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    const char* io = with_io ? "--whole-io" : "--no-io";
    std::vector<std::string> args{"lstopo-no-graphics", "--if", "fsroot", "-i", root, io, "--of", "xml", "-"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "lstopo-no-graphics", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        return make_error(Errc::unsupported, std::string("cannot run lstopo-no-graphics (package hwloc), which reads "
                                                         "saved sysfs trees: ") + std::strerror(rc));
    }
    std::string xml;
    char buf[65536];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool cut = false;
    for (;;) {
        pollfd p{out[0], POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
            cut = true;
            break;
        }
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        xml.append(buf, static_cast<size_t>(n));
        if (xml.size() > (256u << 20)) {
            cut = true;
            break;
        }
    }
    ::close(out[0]);
    if (cut) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (cut) return make_error(Errc::system, root + ": lstopo-no-graphics took over 60 s or 256 MiB reading the tree");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || xml.empty())
        return make_error(Errc::bad_input, root + ": hwloc could not read this tree");
    return xml;
}

Result<HwlocTopology> load_hwloc_fsroot(const std::string& root, bool with_io) {
    auto topo = init_topology(with_io);
    if (!topo) return topo;
    if (root == "/" || root.empty()) {
        if (hwloc_topology_load(topo->get()) != 0)
            return make_error(Errc::system, std::string("hwloc could not read this system: ") + std::strerror(errno));
        return topo;
    }
    auto xml = fsroot_as_xml(root, with_io);
    if (!xml) return xml.error();
    if (hwloc_topology_set_xmlbuffer(topo->get(), xml->data(), static_cast<int>(xml->size())) != 0 ||
        hwloc_topology_load(topo->get()) != 0)
        return make_error(Errc::bad_input, root + ": hwloc could not read this tree: " + std::strerror(errno));
    return topo;
}

// The format version in the XML's <topology> tag: "2.0" and later say so,
// 1.x files carry none. Read from the first 4 KiB.
std::string xml_format_version(const std::string& path) {
    std::string head(4096, '\0');
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return {};
    head.resize(std::fread(head.data(), 1, head.size(), f));
    std::fclose(f);
    const size_t tag = head.find("<topology");
    if (tag == std::string::npos) return {};
    const size_t end = head.find('>', tag);
    const size_t at = head.find("version=\"", tag);
    if (at == std::string::npos || at > end) return "1.x";
    const size_t from = at + 9, to = head.find('"', from);
    return to == std::string::npos ? std::string() : head.substr(from, to - from);
}

Result<HwlocTopology> load_hwloc_xml_file(const std::string& path) {
    const std::string version = xml_format_version(path);
    // hwloc X reads the XML formats 1.x to X.x; the library this process runs
    // with (hwloc_get_api_version(), its HWLOC_API_VERSION) decides, not the
    // headers p2pscope was built against.
    const unsigned api = hwloc_get_api_version();
    const unsigned major = api >> 16;
    unsigned format_major = 0;
    if (!version.empty() && version != "1.x" && std::sscanf(version.c_str(), "%u", &format_major) == 1 &&
        format_major > major) {
        const std::string api_text = std::to_string(major) + "." + std::to_string((api >> 8) & 0xff);
        return make_error(Errc::bad_input, path + ": hwloc XML format " + version +
                                               " is newer than this hwloc reads: p2pscope runs with hwloc API version " +
                                               api_text + " (hwloc " + std::to_string(major) +
                                               ".x), which reads formats 1.x to " + std::to_string(major) + ".x");
    }
    auto topo = init_topology(true, version == "1.x");
    if (!topo) return topo;
    if (hwloc_topology_set_xml(topo->get(), path.c_str()) != 0)
        return make_error(Errc::bad_input, path + ": not a valid hwloc XML topology (" + std::strerror(errno) + ")");
    if (hwloc_topology_load(topo->get()) != 0)
        return make_error(Errc::bad_input, path + ": not a valid hwloc XML topology");
    return topo;
}

namespace {

struct Locality {
    std::optional<int> numa_node;
    std::optional<int> package;
};

Locality locality_of(hwloc_topology_t topo, hwloc_obj_t local) {
    Locality l;
    if (!local) return l;
    l.numa_node = single_index(local->nodeset);
    hwloc_obj_t pkg =
        local->type == HWLOC_OBJ_PACKAGE ? local : hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, local);
    if (pkg) l.package = static_cast<int>(pkg->os_index);
    return l;
}

void apply_counts_and_cpu(hwloc_topology_t topo, Topology& t) {
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
}

}  // namespace

void apply_hwloc_locality(hwloc_topology_t topo, Topology& t) {
    apply_counts_and_cpu(topo, t);
    for (hwloc_obj_t o = hwloc_get_next_bridge(topo, nullptr); o; o = hwloc_get_next_bridge(topo, o)) {
        if (o->attr->bridge.upstream_type != HWLOC_OBJ_BRIDGE_HOST) continue;
        if (o->attr->bridge.downstream_type != HWLOC_OBJ_BRIDGE_PCI) continue;
        const auto& down = o->attr->bridge.downstream.pci;
        const Locality l = locality_of(topo, hwloc_get_non_io_ancestor_obj(topo, o));
        for (auto& hb : t.host_bridges) {
            if (hb.domain != down.domain || hb.root_bus < down.secondary_bus || hb.root_bus > down.subordinate_bus)
                continue;
            hb.subordinate_bus = down.subordinate_bus;
            if (l.numa_node) hb.numa_node = l.numa_node;
            if (l.package) hb.package = l.package;
        }
    }
}

void apply_sysfs_locality(hwloc_topology_t topo, const std::string& root, Topology& t) {
    apply_counts_and_cpu(topo, t);
    hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
    for (auto& hb : t.host_bridges) {
        // Any function of the root bus carries the host bridge's local_cpus mask.
        for (const auto& f : t.functions) {
            if (f.host_bridge != hb.id || f.parent || f.physfn) continue;
            const std::string path = root + "/sys/bus/pci/devices/" + f.address.to_string() + "/local_cpus";
            if (hwloc_linux_read_path_as_cpumask(path.c_str(), cpus) != 0 || hwloc_bitmap_iszero(cpus)) continue;
            hwloc_obj_t local = hwloc_get_obj_covering_cpuset(topo, cpus);
            // A mask covering the whole machine says nothing about locality.
            if (local && local->type != HWLOC_OBJ_MACHINE) {
                const Locality l = locality_of(topo, local);
                hb.numa_node = l.numa_node;
                hb.package = l.package;
            } else if (local && hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) == 1) {
                hb.numa_node = static_cast<int>(hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0)->os_index);
                if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE) == 1)
                    hb.package = static_cast<int>(hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0)->os_index);
            }
            break;
        }
    }
    hwloc_bitmap_free(cpus);
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
