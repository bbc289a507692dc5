// SPDX-License-Identifier: GPL-2.0-or-later
// What a run learns about its path from the prober: the devices, their path
// class and P2PDMA verdict, and the narrowest link's raw rate
// (probe::link_ceiling_bytes_per_s).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::xfer {

struct PathInfo {
    std::vector<std::string> bdfs;           // the devices the data crosses to or from
    std::string path_class;                  // "PIX", ... or "" when there is no device pair
    std::string path_note;                   // why there is no class, or the prober's reason
    std::string p2pdma_verdict;              // "BUS_ADDR", ... or ""
    std::string p2pdma_reason;
    std::optional<double> ceiling_bytes_per_s;  // the narrowest endpoint link's raw rate
    std::string ceiling_link;                   // "8 GT/s x4 (0000:01:00.0)"
    std::string ceiling_note = "raw link rate (speed x width x line-code efficiency), before TLP overhead";
};

// Looks the devices up in a topology (probe::load_topology of the live system).
// An unknown BDF is an Errc::not_found error.
Result<PathInfo> describe_path(const probe::Topology& t, const std::vector<probe::PciAddress>& devices);

// The path of a request as the prober sees it on this machine (under
// request.sysfs_root): its device, peer and block devices' PCI functions. A
// topology that cannot be read leaves a note; a device the topology lacks is
// an Errc::not_found error.
struct Request;
Result<PathInfo> describe_request_path(const Request& request);

// The PCI function behind a block device (/dev/nvme0n1), from
// ROOT/sys/class/block/NAME; none when it is not on PCI.
std::optional<probe::PciAddress> block_device_pci(const std::string& sysfs_root, const std::string& dev_path);

}  // namespace p2pscope::xfer
