// SPDX-License-Identifier: GPL-2.0-or-later
// The topology model every input (live sysfs, hwloc XML, lspci dump) is turned
// into, and every analysis and report reads. Optional fields are unknown when
// the input did not carry them; nothing here is a guess.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "p2pscope/result.hpp"

namespace p2pscope::probe {

struct PciAddress {
    uint32_t domain = 0;
    uint8_t bus = 0;
    uint8_t device = 0;    // 0..31
    uint8_t function = 0;  // 0..7

    std::string to_string() const;  // "0000:34:00.0"
    // Accepts "DDDD:BB:DD.F" and "BB:DD.F" (domain 0).
    static Result<PciAddress> parse(std::string_view text);
    auto operator<=>(const PciAddress&) const = default;
};

// PCI Express device/port type, from the PCIe capability (Device/Port Type field).
enum class PortType {
    endpoint,
    legacy_endpoint,
    root_port,
    upstream_port,
    downstream_port,
    pcie_to_pci_bridge,
    pci_to_pcie_bridge,
    rc_integrated_endpoint,
    rc_event_collector,
    other,
};
std::string_view to_string(PortType type);

struct Link {
    std::optional<double> speed_gts;      // current, GT/s per lane
    std::optional<int> width;             // current lanes
    std::optional<double> max_speed_gts;  // this function's capability
    std::optional<int> max_width;
    std::optional<double> bandwidth_gbps; // hwloc's figure (GB/s) when nothing else is known
};

// Raw link rate in bytes/s: GT/s x lanes x line-code efficiency (8b/10b up to
// 5 GT/s, 128b/130b above) / 8. Before TLP/DLLP overhead, so no transfer
// reaches it. 8 GT/s x16 = 15.75e9; 2.5 GT/s x1 = 250e6; 0 for a bad rate.
double link_ceiling_bytes_per_s(double speed_gts, int width);

// ACS capability and control registers (PCIe extended capability 0x000d).
struct Acs {
    uint16_t capability = 0;
    uint16_t control = 0;
};
inline constexpr uint16_t kAcsSourceValidation = 0x0001;
inline constexpr uint16_t kAcsTranslationBlocking = 0x0002;
inline constexpr uint16_t kAcsRequestRedirect = 0x0004;
inline constexpr uint16_t kAcsCompletionRedirect = 0x0008;
inline constexpr uint16_t kAcsUpstreamForwarding = 0x0010;
inline constexpr uint16_t kAcsEgressControl = 0x0020;
inline constexpr uint16_t kAcsDirectTranslated = 0x0040;
// The bits drivers/pci/p2pdma.c:pci_bridge_has_acs_redir() tests.
inline constexpr uint16_t kAcsRedirectBits = kAcsRequestRedirect | kAcsCompletionRedirect | kAcsEgressControl;
std::string acs_bit_names(uint16_t bits);  // "ReqRedir CmpltRedir"

struct Sriov {
    uint16_t total_vfs = 0;
    uint16_t num_vfs = 0;
};

// A base address register as the input gives it (sysfs `resource`, lspci's
// "Region" lines); the size is unknown in config space dumps.
struct Bar {
    int index = 0;  // 0..5
    std::optional<uint64_t> size_bytes;
    bool io = false;
    bool prefetchable = false;
    bool is_64bit = false;
};

// Resizable BAR extended capability (0x0015): one entry per resizable BAR.
struct ResizableBar {
    int index = 0;
    uint64_t current_bytes = 0;
    std::vector<uint64_t> supported_bytes;  // ascending
    // Set smaller than the largest size it supports (false when the sizes are unknown).
    bool below_largest() const { return !supported_bytes.empty() && current_bytes < supported_bytes.back(); }
};

// Advanced Error Reporting: the status registers (errors latched now) and,
// on Linux 4.19+, the kernel's counters since boot (aer_dev_* in sysfs).
struct Aer {
    bool status_read = false;          // the capability's registers were in the input
    std::string uncorrectable_status;  // set bits by lspci's names ("CmpltTO UnsupReq"), empty when clear
    std::string correctable_status;    // "RxErr BadTLP"
    std::optional<uint64_t> correctable_total, nonfatal_total, fatal_total;
    std::vector<std::pair<std::string, uint64_t>> counters;  // sysfs counters above zero, "BadTLP" 3
};

// PCIe 10-bit tags (Device Capabilities 2 / Device Control 2).
struct TenBitTags {
    bool completer_supported = false;
    bool requester_supported = false;
    bool requester_enabled = false;
};

struct P2pmem {
    uint64_t size_bytes = 0;
    uint64_t available_bytes = 0;
    bool published = false;
};

struct PciFunction {
    PciAddress address;
    uint16_t vendor_id = 0;
    uint16_t device_id = 0;
    std::optional<uint16_t> subsystem_vendor_id;
    std::optional<uint16_t> subsystem_id;
    uint32_t class_code = 0;  // base << 16 | sub << 8 | prog-if
    // False when the input named the device but its ids could not be found
    // (lspci text without -nn, names this machine's pci.ids lacks).
    bool ids_known = true;
    std::string vendor_name;  // from pci.ids; empty when unknown
    std::string device_name;

    std::optional<PciAddress> parent;  // bridge whose secondary bus holds this function; none on a root bus
    std::optional<PciAddress> physfn;  // set for an SR-IOV virtual function
    std::string host_bridge;           // HostBridge::id

    bool is_bridge = false;  // header type 1 (PCI-to-PCI bridge)
    std::optional<uint8_t> secondary_bus;
    std::optional<uint8_t> subordinate_bus;

    // How much of the configuration space the input held: 0 (none), 64, 256 or 4096 bytes.
    unsigned config_bytes = 0;
    std::optional<PortType> port_type;
    Link link;
    std::optional<Acs> acs;
    std::optional<bool> ats_enabled;
    std::optional<int> mps_bytes;
    std::optional<int> mrrs_bytes;
    std::optional<Sriov> sriov;
    std::optional<bool> relaxed_ordering;  // Device Control: Enable Relaxed Ordering
    std::optional<bool> no_snoop;          // Device Control: Enable No Snoop
    std::optional<TenBitTags> ten_bit_tags;
    std::optional<Aer> aer;                // the AER capability or sysfs counters were in the input
    std::vector<Bar> bars;                 // implemented BARs (empty when the input has none)
    std::vector<ResizableBar> resizable_bars;
    // A GPU's own memory, where its driver says (amdgpu's mem_info_vram_total;
    // NVIDIA's and Intel's drivers publish no such file, nor does config space).
    std::optional<uint64_t> device_memory_bytes;

    std::optional<int> iommu_group;
    std::optional<std::string> iommu_domain_type;  // "identity", "DMA", "DMA-FQ", "unmanaged", "blocked"
    std::optional<int> numa_node;
    std::optional<int> package;
    std::optional<P2pmem> p2pmem;
    std::optional<std::string> driver;

    // ACS is an extended capability: known when the extended space was read,
    // or when the function is conventional PCI (no PCIe capability in its 256
    // bytes), which has no extended space and so no ACS.
    bool acs_known() const { return config_bytes >= 4096 || (config_bytes >= 256 && !port_type); }
    uint8_t base_class() const { return static_cast<uint8_t>(class_code >> 16); }
    uint16_t class_id() const { return static_cast<uint16_t>(class_code >> 8); }
    // The largest memory BAR, or none when no BAR size is known.
    std::optional<uint64_t> largest_bar_bytes() const;
    // A BAR as large as the device's memory (CPU and peers can reach all of
    // it); unknown unless both sizes are in the input.
    std::optional<bool> large_bar() const;
    // Every resizable BAR at the largest size its capability lists: as much
    // of the device as the BIOS and driver can map. Unknown without the
    // Resizable BAR capability in the input. It says nothing of the device's
    // memory, which may be larger still: large_bar() alone says that.
    std::optional<bool> bar_at_largest_size() const;
};

// Linux gives every PCI root bus its own host bridge (struct pci_host_bridge).
struct HostBridge {
    std::string id;  // "0000:17": domain and root bus number
    uint32_t domain = 0;
    uint8_t root_bus = 0;
    std::optional<uint8_t> subordinate_bus;
    std::optional<int> numa_node;
    std::optional<int> package;
    // Set when the top of this tree is no root bus: a partial input lacks the
    // bridges above it (a switch port at the top). Says what is missing.
    std::string missing_above;
};

// A PCIe switch: an upstream port and the downstream ports on its internal bus.
struct Switch {
    PciAddress upstream;
    std::vector<PciAddress> downstream;
    // Port types were not in the input (hwloc XML, 64-byte config space): the
    // switch follows from PCIe's rule that below a root or downstream port the
    // next bridge is an upstream port, and below an upstream port bridges are
    // downstream ports.
    bool inferred = false;
};

struct Cpu {
    std::string vendor;           // "GenuineIntel", "AuthenticAMD", ...
    std::optional<int> family;    // x86 family number
    std::string model_name;
};

// The kernel command line's options that decide P2P behaviour: ACS
// (pci=disable_acs_redir=, pci=config_acs=, pci=noats) and the IOMMU
// (iommu=, iommu.passthrough=, iommu.strict=, intel_iommu=, amd_iommu=).
struct KernelCommandLine {
    std::string text;                  // as read (/proc/cmdline)
    std::vector<std::string> options;  // the relevant ones, in order: "iommu=pt", "pci=disable_acs_redir=..."
};
KernelCommandLine parse_kernel_command_line(std::string_view text);

struct Topology {
    std::string source;  // "sysfs:/", "hwloc-xml:FILE", "lspci-dump:FILE"
    std::vector<PciFunction> functions;  // sorted by address
    std::vector<HostBridge> host_bridges;
    std::vector<Switch> switches;  // derived by finalize()
    std::optional<Cpu> cpu;
    std::optional<int> packages;
    std::optional<int> numa_nodes;
    std::optional<KernelCommandLine> cmdline;  // live or saved sysfs with proc/cmdline
    // True when every function on each root bus is present (a live system or a
    // whole sysfs tree); hwloc XML drops devices it finds unimportant, and an
    // lspci dump may hold only a few functions.
    bool root_buses_complete = false;
    bool has_iommu_data = false;  // the input can say which IOMMU group each function is in
    std::vector<std::string> notes;  // what the input lacked, in words (shown with the report)

    const PciFunction* find(const PciAddress& address) const;
    const HostBridge* find_host_bridge(const std::string& id) const;
    // The bridge upstream of f as drivers/pci uses it (pci_upstream_bridge():
    // a VF is looked up through its PF).
    const PciFunction* upstream_bridge(const PciFunction& f) const;
    // The link runs below what both its ends support (speed or width); unknown
    // unless the current and maximum figures are in the input.
    std::optional<bool> link_degraded(const PciFunction& f) const;
};

// Fills in what follows from the rest once an input has been read: sorted
// functions, host bridge ids, switches, packages and NUMA nodes of functions
// from their host bridge. Shared by every input; idempotent.
void finalize(Topology& topology);

}  // namespace p2pscope::probe
