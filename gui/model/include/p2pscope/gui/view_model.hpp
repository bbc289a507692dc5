// SPDX-License-Identifier: GPL-2.0-or-later
// What the GUI shows of a topology, as plain data: every device with the facts
// the panels print, the tree they hang in (package / NUMA node, host bridge,
// ports and switches, endpoints), and the pair analysis of the selected
// devices. Built directly from a probe::Topology (live, sysfs tree, hwloc XML,
// lspci dump) or read from `p2pscope topo --format json` (schema
// p2pscope.topo/1, docs/topo-json.md), as the daemon serves it; both roads
// give equal views. Nothing here needs a window.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::gui {

struct LinkView {
    std::optional<double> speed_gts, max_speed_gts, bandwidth_gbps;
    std::optional<int> width, max_width;
    std::optional<bool> degraded;  // below what both ends support; unknown without both figures
    bool operator==(const LinkView&) const = default;
};

struct AcsView {
    uint16_t capability = 0;
    uint16_t control = 0;
    std::string control_bits;  // "ReqRedir CmpltRedir"
    bool redirect = false;     // a bit drivers/pci/p2pdma.c tests is set
    bool operator==(const AcsView&) const = default;
};

struct SriovView {
    int total_vfs = 0, num_vfs = 0;
    bool operator==(const SriovView&) const = default;
};

struct P2pmemView {
    uint64_t size_bytes = 0, available_bytes = 0;
    bool published = false;
    bool operator==(const P2pmemView&) const = default;
};

// Where a function sits in the PCIe hierarchy, for the tree's labels.
enum class Role { endpoint, root_port, switch_upstream, switch_downstream, bridge };
std::string_view to_string(Role r);

struct DeviceView {
    std::string bdf;                    // "0000:34:00.0"
    std::string vendor_id, device_id;   // 4 hex digits
    std::string class_code;             // 6 hex digits
    std::string kind;                   // gpu, nic, nvme, accel, other, bridge
    std::string vendor, name;           // pci.ids; empty when unknown
    bool selected = false;              // takes part in the pair matrix
    std::string parent;                 // upstream bridge BDF; empty on a root bus
    std::string host_bridge;            // HostBridgeView::id
    std::optional<int> numa_node, package;
    bool bridge = false;
    std::optional<int> secondary_bus, subordinate_bus;
    std::optional<std::string> port_type;  // "root-port", ...
    unsigned config_bytes = 0;
    LinkView link;
    bool acs_known = false;  // extended config space was read: no acs means no ACS capability
    std::optional<AcsView> acs;
    std::optional<bool> ats_enabled;
    std::optional<int> mps_bytes, mrrs_bytes;
    std::optional<SriovView> sriov;
    std::string physfn;  // set for a virtual function
    std::optional<int> iommu_group;
    std::optional<std::string> iommu_domain_type;
    std::optional<P2pmemView> p2pmem;
    std::optional<std::string> driver;

    // Derived by finish(): indexes into TopologyView::devices / matrix.
    Role role = Role::endpoint;
    int parent_index = -1;
    std::vector<int> children;
    int matrix_index = -1;  // row and column in the pair matrix; -1 when not selected

    std::string short_bdf() const;  // "34:00.0" in domain 0
    std::string title() const;      // vendor and device name, or the kind when pci.ids did not know it
    std::string short_title() const;  // the device name alone when pci.ids has one (the tree's label)
    std::string link_text() const;  // "16GT/s x16 (max 16GT/s x16)", "15.75GB/s", "-"
    bool operator==(const DeviceView& o) const = default;
};

struct HostBridgeView {
    std::string id;  // "0000:2b"
    std::optional<int> numa_node, package;
    std::vector<int> roots;  // functions on the root bus (device indexes)
    bool operator==(const HostBridgeView&) const = default;
};

struct SwitchView {
    std::string upstream;
    std::vector<std::string> downstream;
    bool inferred = false;  // roles follow from depth: the input had no port types
    bool operator==(const SwitchView&) const = default;
};

// One unordered pair of selected devices; `a` (the lower BDF) is the P2PDMA provider.
struct PairView {
    std::string path = "unknown";  // X, PIX, PXB, PHB, NODE, SYS, unknown
    std::string path_reason;       // only for unknown
    std::string verdict = "unknown";  // BUS_ADDR, THRU_HOST_BRIDGE, NOT_SUPPORTED, unknown
    std::optional<int> distance;
    std::string reason;
    bool present = false;  // the input had this pair
    bool operator==(const PairView&) const = default;
};

// The first level of the tree: host bridges that share a package and NUMA node.
struct LocalityGroup {
    std::optional<int> package, numa_node;
    std::vector<int> host_bridges;  // indexes into TopologyView::host_bridges
    std::string label() const;      // "Package 0 / NUMA node 1", "Locality unknown"
    bool operator==(const LocalityGroup&) const = default;
};

struct CpuView {
    std::string vendor;
    std::optional<int> family;
    std::string model;
    bool operator==(const CpuView&) const = default;
};

struct TopologyView {
    std::string source;
    std::optional<CpuView> cpu;
    std::optional<int> packages, numa_nodes;
    std::vector<HostBridgeView> host_bridges;
    std::vector<SwitchView> switches;
    std::vector<DeviceView> devices;  // every function, in address order
    std::vector<std::string> notes;   // what the input lacked

    // Derived by finish().
    std::vector<int> matrix;        // device indexes of the selected devices, in address order
    std::vector<PairView> pairs;    // upper triangle of the matrix, row by row (see pair())
    std::vector<LocalityGroup> groups;
    std::vector<int> orphans;       // functions whose host bridge the input did not list
    int degraded_links = 0;

    // The pair in matrix rows i and j (either order); nullptr on the diagonal or out of range.
    const PairView* pair(size_t i, size_t j) const;
    PairView* pair(size_t i, size_t j);
    int find(std::string_view bdf) const;  // device index, -1 when absent
    int find_host_bridge(std::string_view id) const;
    // The chain from the device up to its root port, device first.
    std::vector<int> upstream_chain(int device) const;

    bool operator==(const TopologyView& o) const = default;
};

// Fills the derived fields from the rest; the readers call it. Idempotent.
void finish(TopologyView& view);

// From the prober's model and its pair analysis of `selected`.
TopologyView view_from_topology(const probe::Topology& t, const std::vector<const probe::PciFunction*>& selected,
                                const std::vector<probe::Pair>& pairs);
// Selection and analysis in one: what `p2pscope topo` would print, as a view.
Result<TopologyView> analyse_topology(const probe::Topology& t, const probe::PairSelection& selection,
                                      const probe::VerdictOptions& options = {});

// From a p2pscope.topo/1 document. Errors name the key ("devices[3].link.width: ...").
Result<TopologyView> view_from_topo_json(const nlohmann::json& doc);
Result<TopologyView> parse_topo_json(std::string_view text);

}  // namespace p2pscope::gui
