// SPDX-License-Identifier: GPL-2.0-or-later
// Pair analysis: which path two functions' DMA takes (nvidia-smi topo -m's
// legend, for any vendor) and whether Linux allows P2P DMA between them, as
// drivers/pci/p2pdma.c computes it, as of a given kernel release.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/probe/classes.hpp"
#include "p2pscope/probe/topology.hpp"

namespace p2pscope::probe {

// X    = the same function
// PIX  = through at most one PCIe switch (or bridge)
// PXB  = through several PCIe switches, without crossing the host bridge
// PHB  = through a PCIe host bridge (same root complex)
// NODE = between host bridges within one NUMA node
// SYS  = across the interconnect between NUMA nodes (QPI/UPI, Infinity Fabric)
enum class PathClass { X, PIX, PXB, PHB, NODE, SYS, unknown };
std::string_view to_string(PathClass p);
std::string_view describe(PathClass p);  // the legend line

struct PathResult {
    PathClass path = PathClass::unknown;
    std::string reason;  // only for unknown: what the input lacks
};
PathResult path_class(const Topology& t, const PciFunction& a, const PciFunction& b);

// A kernel release, for the P2PDMA rules it has ("6.12", "7.2.13-amd64").
struct KernelRelease {
    int major = 0, minor = 0;
    std::string to_string() const;  // "6.12"
    friend auto operator<=>(const KernelRelease&, const KernelRelease&) = default;
};
Result<KernelRelease> parse_kernel_release(std::string_view text);
// This machine's (uname -r); an error when it cannot be read.
Result<KernelRelease> running_kernel_release();

// enum pci_p2pdma_map_type, plus unknown when the input cannot decide.
enum class P2pdmaVerdict { BUS_ADDR, THRU_HOST_BRIDGE, NOT_SUPPORTED, unknown };
std::string_view to_string(P2pdmaVerdict v);

struct P2pdmaResult {
    P2pdmaVerdict verdict = P2pdmaVerdict::unknown;
    std::optional<int> distance;  // pci_p2pdma_distance(): none when NOT_SUPPORTED or unknown
    std::string reason;           // always set: why, in words an engineer can act on
    KernelRelease kernel_release;  // whose rules decided
};

struct VerdictOptions {
    std::optional<Cpu> assume_cpu;  // the CPU rule's CPU when the input does not tell it (overrides Topology::cpu)
    // Whose rules decide: the running kernel's where not set (6.1's if uname fails).
    std::optional<KernelRelease> kernel_release;
};

// A CPU named on a command line: "amd:0x19", "AuthenticAMD:25", "intel".
Result<Cpu> parse_cpu(std::string_view text);

P2pdmaResult p2pdma_verdict(const Topology& t, const PciFunction& provider, const PciFunction& client,
                            const VerdictOptions& options = {});

struct Pair {
    PciAddress a;
    PciAddress b;
    PathResult path;
    P2pdmaResult p2pdma;
};

struct PairSelection {
    std::vector<DeviceClass> classes;  // empty: gpu, nic, nvme, accel
    bool all_classes = false;          // every endpoint
    std::vector<PciAddress> devices;   // when set, exactly these functions (bridges allowed)
};

// A selection as a command line names it: classes (gpu, nic, nvme, accel,
// other, all) and BDFs.
Result<PairSelection> parse_selection(const std::vector<std::string>& classes, const std::vector<std::string>& devices);

// The functions a selection names, in address order; an unknown BDF is an error.
Result<std::vector<const PciFunction*>> select_functions(const Topology& t, const PairSelection& selection);
// Every unordered pair of the selected functions (a < b).
std::vector<Pair> analyse_pairs(const Topology& t, const std::vector<const PciFunction*>& selected,
                                const VerdictOptions& options = {});

}  // namespace p2pscope::probe
