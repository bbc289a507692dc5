// SPDX-License-Identifier: GPL-2.0-or-later
// PCIe errors on a transfer's path while it ran. A fatal uncorrectable error
// (a dead link, a Data Link Protocol error) makes the kernel's AER driver
// reset the link under the transfer and the NVMe driver retry its commands:
// the transfer may finish "ok", with figures that include the recovery. The
// AER counters in sysfs (aer_dev_fatal, aer_dev_nonfatal of every function on
// the path that has AER) are the evidence; read before and after the run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace p2pscope::xfer {

// The PCI functions from the root port down to the function that DEVICE_DIR
// (any sysfs device directory: a PCI function, a block device) sits below,
// as sysfs directories; empty when DEVICE_DIR does not resolve.
std::vector<std::string> pci_path_dirs(const std::string& device_dir);

// TOTAL_ERR_FATAL and TOTAL_ERR_NONFATAL of one function; none without AER.
struct AerTotals {
    uint64_t fatal = 0, nonfatal = 0;
};
std::optional<AerTotals> read_aer_totals(const std::string& pci_dir);

class PcieErrorWatch {
public:
    // Takes the counters of every function on the paths of DEVICE_DIRS now.
    explicit PcieErrorWatch(const std::vector<std::string>& device_dirs);
    // "0000:02:01.0: aer_dev_fatal +1" for each function whose uncorrectable
    // counters grew since; a function gone since (removed) is not counted.
    std::vector<std::string> uncorrectable_since() const;
    // How many functions on the paths report AER counters at all.
    size_t watched() const { return before_.size(); }

private:
    std::vector<std::pair<std::string, AerTotals>> before_;
};

}  // namespace p2pscope::xfer
