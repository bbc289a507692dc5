// SPDX-License-Identifier: GPL-2.0-or-later
// What `p2pscope qualify` holds a server to: a JSON file (schema
// p2pscope.qualify-thresholds/1, docs/qualify.md). The defaults below are the
// shipped qualify/thresholds.json; a file may set any subset of the keys. Each
// check's section of the file is declared with the check (src/check_table.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/classes.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::qualify {

// An unordered pair of device classes ("gpu-nvme" == "nvme-gpu").
struct ClassPair {
    probe::DeviceClass a, b;
    bool matches(probe::DeviceClass x, probe::DeviceClass y) const { return (a == x && b == y) || (a == y && b == x); }
    bool operator==(const ClassPair&) const = default;
};
std::string to_string(const ClassPair& p);  // "gpu-nvme"

struct Thresholds {
    // Pairs meant for P2P, chosen by class when no --devices names them.
    std::vector<ClassPair> p2p_class_pairs = {
        {probe::DeviceClass::gpu, probe::DeviceClass::gpu},    {probe::DeviceClass::gpu, probe::DeviceClass::nic},
        {probe::DeviceClass::gpu, probe::DeviceClass::nvme},   {probe::DeviceClass::gpu, probe::DeviceClass::accel},
        {probe::DeviceClass::nic, probe::DeviceClass::nvme},   {probe::DeviceClass::nic, probe::DeviceClass::accel},
        {probe::DeviceClass::nvme, probe::DeviceClass::nvme},  {probe::DeviceClass::nvme, probe::DeviceClass::accel},
        {probe::DeviceClass::accel, probe::DeviceClass::accel},
    };
    // P2PDMA verdicts a pair meant for P2P may have.
    std::vector<probe::P2pdmaVerdict> allowed_verdicts = {probe::P2pdmaVerdict::BUS_ADDR,
                                                          probe::P2pdmaVerdict::THRU_HOST_BRIDGE};
    // Map latency: p99 of one map of size_bytes, measured for seconds.
    double map_p99_ns_max = 10000;
    uint64_t map_size_bytes = 4096;
    double map_seconds = 0.2;
    // Transfers: bandwidth at least this fraction of the path's link ceiling.
    double transfer_min_fraction = 0.8;
    uint64_t transfer_size_bytes = 4u << 20;
    double transfer_seconds = 0.5;

    // Facts on the path (from the topology; checks `iommu` to `aer`).
    // IOMMU domain types each device may be in; "off" is no IOMMU at all.
    std::vector<std::string> iommu_allowed_domains = {"identity", "DMA", "DMA-FQ", "off"};
    // Classes that must have ATS enabled when their IOMMU domain translates (DMA, DMA-FQ).
    std::vector<probe::DeviceClass> ats_required_classes = {};
    // Max Read Request Size each device of the pair must have at least.
    uint64_t mrrs_min_bytes = 512;
    // Classes whose relaxed ordering must be on, and classes where it must be off.
    std::vector<probe::DeviceClass> relaxed_ordering_required = {};
    std::vector<probe::DeviceClass> relaxed_ordering_forbidden = {};
    // A GPU's largest BAR at least this (0: no minimum); covering the GPU's
    // memory where the input says it; each resizable BAR at its largest size.
    uint64_t gpu_bar_min_bytes = 0;
    bool resizable_bar_at_largest = true;
    // The worst path class a GPU-NIC pair may have (GPUDirect RDMA wants PXB or better).
    probe::PathClass gpu_nic_worst_path = probe::PathClass::NODE;

    bool operator==(const Thresholds&) const = default;
};

// Parses a thresholds document. `origin` names it in errors ("FILE: key
// map.p99_ns_max: ..."): unknown keys, wrong types and values out of range are
// Errc::bad_input.
Result<Thresholds> parse_thresholds(std::string_view text, const std::string& origin);
// Reads and parses a file; a missing or unreadable file is Errc::bad_input.
Result<Thresholds> load_thresholds(const std::string& path);

}  // namespace p2pscope::qualify
