// SPDX-License-Identifier: GPL-2.0-or-later
// What the kernel logged while a transfer ran: IOMMU faults above all. A DMA
// the IOMMU dropped can complete with success while no data arrived (the lab's
// emulated IOMMU does exactly that to switch-local P2P); the fault record in
// the kernel log is the evidence.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace p2pscope::xfer {

struct DmaFault {
    std::string address;  // "0xfe000000" as logged, or "" when the line names none
    std::string line;     // the log record's text
};

// Intel VT-d ("DMAR: [DMA Write ...] Request device [..] fault addr ..."), AMD-Vi
// ("IO_PAGE_FAULT ... address=..."), Arm SMMU ("Unhandled context fault: ... iova=...").
std::optional<DmaFault> parse_dma_fault(const std::string& line);

// Reads /dev/kmsg from the moment it is opened. (A FIFO stands in for it in
// tests, read between writes: a FIFO does not keep kmsg's one record per read.)
class KernelLogWatch {
public:
    explicit KernelLogWatch(const std::string& path = "/dev/kmsg");
    KernelLogWatch(const KernelLogWatch&) = delete;
    KernelLogWatch& operator=(const KernelLogWatch&) = delete;
    ~KernelLogWatch();
    bool readable() const { return fd_ >= 0; }
    const std::string& why_not() const { return why_not_; }
    // Records logged since the watch began (or since the last call).
    std::vector<std::string> drain();
    // An IOMMU reports a fault by its own interrupt, not through the device's
    // completion, so the record can land after the transfer returned (in a
    // guest, when another vCPU takes that interrupt later). Reads records for
    // up to `timeout` until one is a DMA fault (or the log breaks: hang-up,
    // error); every record read is appended to `records`.
    std::optional<DmaFault> await_dma_fault(std::chrono::milliseconds timeout, std::vector<std::string>& records);

private:
    int fd_ = -1;
    std::string why_not_;
};

// The first DMA fault in the records, if any.
std::optional<DmaFault> first_dma_fault(const std::vector<std::string>& records);

}  // namespace p2pscope::xfer
