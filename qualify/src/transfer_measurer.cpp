// SPDX-License-Identifier: GPL-2.0-or-later
// Transfer bandwidth of a pair by the xfer engines that move data between two
// devices: gpu (CUDA peer copies between two GPUs), nvme (p2pscope.ko reads an
// NVMe namespace into the other device's p2pmem, queue depth 4) and
// p2pmem-odirect (the same from user space, Linux 6.2+). The CPU engine
// moves data between the CPU and one device, so it does not qualify a pair.
#include <algorithm>
#include <filesystem>

#include "p2pscope/probe/classes.hpp"
#include "p2pscope/qualify/measure.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::qualify {

namespace {

namespace fs = std::filesystem;

// The first whole block device (no partition) whose PCI function is f.
std::string block_device_of(const std::string& root, const probe::PciFunction& f) {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(fs::path(root) / "sys/class/block", ec))
        if (!fs::exists(e.path() / "partition", ec)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
        if (xfer::block_device_pci(root, "/dev/" + n) == f.address) return "/dev/" + n;
    return {};
}

bool publishes_p2pmem(const probe::PciFunction& f) { return f.p2pmem && f.p2pmem->published; }

class XferTransferMeasurer final : public TransferMeasurer {
public:
    explicit XferTransferMeasurer(TransferOptions o) : o_(std::move(o)), root_(o_.sysfs_root) {}

    Measurement bytes_per_second(const probe::Topology&, const probe::PciFunction& a, const probe::PciFunction& b,
                                 const Thresholds& th) override {
        std::vector<xfer::Request> candidates;
        const auto ca = probe::classify(a), cb = probe::classify(b);
        auto base = [&](const char* engine) {
            xfer::Request q;
            q.engine = engine;
            q.size = th.transfer_size_bytes;
            q.seconds = th.transfer_seconds;
            q.sysfs_root = root_;
            q.module_node = o_.module_node;
            return q;
        };
        if (ca == probe::DeviceClass::gpu && cb == probe::DeviceClass::gpu) {
            auto q = base("gpu");
            q.device = a.address;
            q.peer = b.address;
            q.direction = "peer";
            candidates.push_back(q);
        }
        for (auto [nvme, provider] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
            if (probe::classify(*nvme) != probe::DeviceClass::nvme || !publishes_p2pmem(*provider)) continue;
            const std::string dev = block_device_of(root_, *nvme);
            if (dev.empty()) continue;
            auto k = base("nvme");
            k.block = dev;
            k.memory = "p2pmem";
            k.peer = provider->address;
            k.direction = "read";
            k.size = std::clamp<uint64_t>(th.transfer_size_bytes / 512 * 512, 512, 1 << 20);
            k.queue_depth = 4;
            k.destructive = o_.destructive;
            candidates.push_back(k);
            auto q = base("p2pmem-odirect");
            q.device = provider->address;
            q.source_block = dev;
            q.direction = "read";
            candidates.push_back(q);
        }
        if (candidates.empty())
            return "no transfer engine moves data between " + a.address.to_string() + " (" +
                   std::string(probe::to_string(ca)) + ") and " + b.address.to_string() + " (" +
                   std::string(probe::to_string(cb)) +
                   "): gpu needs two CUDA GPUs, nvme and p2pmem-odirect an NVMe block device and a published p2pmem "
                   "provider";
        std::string why, failed;  // engines that could not run here; engines whose run showed the path broken
        for (const auto& q : candidates) {
            auto run = xfer::run_once(q);
            const std::string engine = "engine " + q.engine;
            if (run.rows.empty()) {  // refused, waived here, or stopped before any row
                why += (why.empty() ? "" : "; ") + engine + ": " + run.reason;
                continue;
            }
            const xfer::Measurement* best = nullptr;
            for (const auto& m : run.rows)
                if (m.ok() && m.transfers && m.verified.value_or(true) && (!best || m.bytes_per_second > best->bytes_per_second))
                    best = &m;
            if (!best) {
                for (const auto& m : run.rows) {
                    std::string& into = m.status == xfer::RowStatus::waived ? why : failed;
                    into += (into.empty() ? "" : "; ") +
                            (engine + " " + m.label + ": " +
                             (m.ok() && m.verified == false ? "the data did not verify: " + m.verify_detail
                                                            : m.status_text()));
                }
                continue;
            }
            return Measured{best->bytes_per_second, engine + ", " + best->label + ", " +
                                                        std::to_string(best->transfers) + " transfers of " +
                                                        std::to_string(best->transfer_bytes) + " bytes"};
        }
        if (!failed.empty()) return RunFailed{failed};
        return why;
    }

private:
    TransferOptions o_;
    std::string root_;
};

}  // namespace

std::unique_ptr<TransferMeasurer> make_xfer_transfer_measurer(TransferOptions options) {
    return std::make_unique<XferTransferMeasurer>(std::move(options));
}

}  // namespace p2pscope::qualify
