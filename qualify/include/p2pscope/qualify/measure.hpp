// SPDX-License-Identifier: GPL-2.0-or-later
// Where qualify's measurements come from: one small interface per kind, one
// file each for the real backends (map_measurer.cpp: p2pscope.ko through
// kclient; transfer_measurer.cpp: the xfer engines).
#pragma once

#include <memory>
#include <string>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/qualify/checks.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::qualify {

// Map latency of a pair: one device maps the other's memory (p2pmem, else a
// page-less memory BAR) through p2pscope.ko; the answer is the p99 in ns.
class MapMeasurer {
public:
    virtual ~MapMeasurer() = default;
    virtual Measurement map_p99_ns(const probe::Topology& t, const probe::PciFunction& a,
                                   const probe::PciFunction& b, const Thresholds& th) = 0;
};

// Transfer bandwidth of a pair by the first xfer engine whose check() accepts
// it; the answer is bytes/s.
class TransferMeasurer {
public:
    virtual ~TransferMeasurer() = default;
    virtual Measurement bytes_per_second(const probe::Topology& t, const probe::PciFunction& a,
                                         const probe::PciFunction& b, const Thresholds& th) = 0;
};

// /dev/p2pscope (kclient::Device), opened at the first pair; when it cannot be
// opened every pair is waived with the reason.
std::unique_ptr<MapMeasurer> make_kclient_map_measurer(std::string device_path);
// How the transfer measurer may use the machine.
struct TransferOptions {
    std::string sysfs_root = "/";
    std::string module_node = "/dev/p2pscope";  // for the kernel NVMe engine
    // NVMe reads into p2pmem are verified only when the range may be written
    // with a pattern first (it destroys what the namespace held there).
    bool destructive = false;
};
// The xfer engines on the live system: gpu peer copies between two GPUs; the
// kernel nvme engine (p2pscope.ko) reading an NVMe namespace into the other
// device's p2pmem, then p2pmem-odirect (Linux 6.2+) for the same pair.
std::unique_ptr<TransferMeasurer> make_xfer_transfer_measurer(TransferOptions options);

}  // namespace p2pscope::qualify
