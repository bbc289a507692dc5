// SPDX-License-Identifier: GPL-2.0-or-later
// The checks `p2pscope qualify` runs on each pair that matters. Each is a small
// function of what is known (topology, verdict, a measurement) and the
// thresholds, and answers pass, fail with the reason, or waived with the reason
// (what this input or machine lacks to decide). Each is declared once, with its
// name, order and thresholds keys, in qualify/src/check_table.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::qualify {

enum class Outcome { pass, fail, waived };
std::string_view to_string(Outcome o);  // "pass", "fail", "waived"

// Every check's name, in the order reports list them.
std::vector<std::string_view> check_names();

struct CheckResult {
    std::string check;  // its name ("p2pdma", "links", ...): set by run() from the check table
    Outcome outcome = Outcome::waived;
    std::string reason;              // fail: what is wrong; waived: what is missing; pass: what was found
    std::optional<double> measured;  // map: p99 ns; transfer: fraction of the link ceiling
    std::optional<double> limit;     // the threshold it was held to
    std::string unit;                // "ns", "fraction of link ceiling"
    std::string remedy;              // fail: what to change (kernel parameter, BIOS setting, setpci)
};

// The P2PDMA verdict of a pair meant for P2P is one the thresholds allow;
// unknown (the input lacks what the kernel reads) is waived.
CheckResult check_p2pdma(const Thresholds& t, const probe::P2pdmaResult& verdict);

// The functions from f up to its root bus (a VF's start at its PF).
std::vector<const probe::PciFunction*> upstream_chain(const probe::Topology& t, const probe::PciFunction& f);

// One PCIe link: the function below and the port above it (none when the
// port is not in the input).
struct LinkOnPath {
    const probe::PciFunction* below = nullptr;
    const probe::PciFunction* above = nullptr;
};
// The physical links DMA between a and b crosses: from each of them up to
// their lowest common bridge (or the root), leaving out a switch's internal bus.
std::vector<LinkOnPath> links_on_path(const probe::Topology& t, const probe::PciFunction& a,
                                      const probe::PciFunction& b);
// No link trains below what both its ends are capable of (speed or width).
// Fails naming each degraded link; waived when a link's figures are not in the
// input or the path has no link.
CheckResult check_links(const std::vector<LinkOnPath>& links);

// A measurement, or why it could not be taken.
struct Measured {
    double value = 0;    // map: p99 ns; transfer: bytes/s
    std::string detail;  // what was measured ("map_sgtable of 4096 bytes of 0000:..'s p2pmem, 1234 maps")
};
// The measurement ran and showed the path broken: data that did not arrive, a
// DMA fault, an I/O error. The check fails with this reason.
struct RunFailed {
    std::string reason;
};
// A value, the waiver's reason, or a failed run.
using Measurement = std::variant<Measured, std::string, RunFailed>;

// Map p99 at most thresholds.map_p99_ns_max.
CheckResult check_map(const Thresholds& t, const Measurement& p99_ns);
// Transfer bandwidth at least thresholds.transfer_min_fraction of the link
// ceiling (bytes/s; none when the links' speed or width is not known).
CheckResult check_transfer(const Thresholds& t, const Measurement& bytes_per_second,
                           std::optional<double> ceiling_bytes_per_s, const std::string& ceiling_link);

// Facts on the path, read off the topology (docs/qualify.md says each rule).
// A check that does not apply to the pair (no GPU for `bar`, no rule for its
// classes) returns none and is not listed: it neither passes nor is waived.
// No ACS redirect bit on the functions drivers/pci/p2pdma.c tests.
std::optional<CheckResult> check_acs(const probe::Topology& t, const probe::PciFunction& a, const probe::PciFunction& b);
// Each end's IOMMU domain type is one the policy allows.
CheckResult check_iommu(const Thresholds& th, const probe::Topology& t, const probe::PciFunction& a,
                        const probe::PciFunction& b);
// ATS on for the classes that need it, where their IOMMU domain translates.
std::optional<CheckResult> check_ats(const Thresholds& th, const probe::Topology& t, const probe::PciFunction& a,
                      const probe::PciFunction& b);
// One Max Payload Size along the path; each end's MRRS at least the threshold.
CheckResult check_mps_mrrs(const Thresholds& th, const std::vector<LinkOnPath>& links, const probe::PciFunction& a,
                           const probe::PciFunction& b);
// Relaxed ordering on or off as the policy says for each end's class.
std::optional<CheckResult> check_relaxed_ordering(const Thresholds& th, const probe::PciFunction& a, const probe::PciFunction& b);
// A GPU's BAR: at least the threshold, covering its memory where known,
// resizable BARs at their largest size.
std::optional<CheckResult> check_bar(const Thresholds& th, const probe::PciFunction& a, const probe::PciFunction& b);
// A GPU-NIC pair's path class no worse than the threshold.
std::optional<CheckResult> check_numa(const Thresholds& th, const probe::Pair& pair, const probe::PciFunction& a,
                       const probe::PciFunction& b);
// AER counters of the path's functions, by address, at one moment.
using AerSnapshot = std::map<probe::PciAddress, probe::Aer>;
// No AER error latched on the path, and (given snapshots from before and
// after the pair's measurements) none counted during them.
CheckResult check_aer(const probe::Topology& t, const probe::PciFunction& a, const probe::PciFunction& b,
                      const AerSnapshot* before, const AerSnapshot* after);

}  // namespace p2pscope::qualify
