// SPDX-License-Identifier: GPL-2.0-or-later
// nvme: the kernel NVMe engine. p2pscope.ko submits bios to a block device
// (an NVMe namespace) through the block layer, queue-depth of them in flight,
// into RAM or into the p2pmem of another device (a device-to-device DMA), and
// times each bio from submission to completion. Verified runs write a pattern
// first and check every byte that arrives; the kernel log is read for IOMMU
// faults, because a DMA the IOMMU dropped can still complete with success.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "../kernel_engine.hpp"
#include "../sysfs_util.hpp"
#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/kernel_log.hpp"
#include "p2pscope/xfer/pcie_errors.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::xfer {

namespace {

// How long a run whose data did not arrive waits for the IOMMU's late fault
// report (a TCG guest on a loaded host has taken well over the bios' time).
constexpr std::chrono::milliseconds kLateFaultWait{2000};

// The first namespace of the NVMe controller at BDF: ROOT/sys/bus/pci/devices/BDF/nvme/nvmeX/nvmeXnY.
std::optional<std::string> namespace_of(const std::string& sysfs_root, const std::string& bdf) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::optional<std::string> best;
    for (const auto& ctrl : fs::directory_iterator(detail::pci_dir(sysfs_root, bdf) + "/nvme", ec)) {
        for (const auto& ns : fs::directory_iterator(ctrl.path(), ec)) {
            const std::string n = ns.path().filename().string();
            if (n.rfind(ctrl.path().filename().string() + "n", 0) == 0 && (!best || n < *best)) best = n;
        }
    }
    if (!best) return std::nullopt;
    return "/dev/" + *best;
}

class NvmeEngine final : public Engine {
public:
    CheckResult check(const Request& r) const override {
        if (r.peer && r.memory != "p2pmem")
            return CheckResult::bad("engine nvme: --peer names the p2pmem provider: only with --memory p2pmem");
        if (r.size < 512 || r.size > kclient::kMaxBlockBytes || r.size % 512)
            return CheckResult::bad("engine nvme: --size must be a multiple of 512 up to 1M (one bio)");
        if (r.queue_depth < 1 || r.queue_depth > kclient::kMaxQueueDepth)
            return CheckResult::bad("engine nvme: --queue-depth must be within 1.." +
                                    std::to_string(kclient::kMaxQueueDepth));
        if (r.span % r.size)
            return CheckResult::bad("engine nvme: --span must be a multiple of --size");
        if (r.direction == "write" && !r.destructive)
            return CheckResult::bad("engine nvme: writing destroys the data in the range: pass --destructive");
        if (r.block.empty() && !r.device)
            return CheckResult::bad("engine nvme needs --block /dev/... or --device BDF (an NVMe controller)");
        if (r.device && !detail::exists(detail::pci_dir(r.sysfs_root, r.device->to_string())))
            return CheckResult::bad("no PCI function " + r.device->to_string() + " on this system");
        if (r.peer && !detail::exists(detail::pci_dir(r.sysfs_root, r.peer->to_string())))
            return CheckResult::bad("no PCI function " + r.peer->to_string() + " on this system");
        auto dev = block_path(r);
        if (!dev)
            return CheckResult::bad("no block device: " + r.device->to_string() + " has no NVMe namespace");
        struct stat st{};
        if (::stat(dev->c_str(), &st) != 0 || !S_ISBLK(st.st_mode))
            return CheckResult::bad(*dev + " is not a block device");
        if (auto w = detail::missing_module(r.module_node)) return CheckResult::bad(*w);
        return CheckResult::yes();
    }

    Status setup(const Request& r) override {
        request_ = r;
        block_ = *block_path(r);
        struct stat st{};
        if (::stat(block_.c_str(), &st) != 0)
            return make_error(Errc::system, "cannot stat " + block_ + ": " + std::strerror(errno));
        auto d = kclient::Device::open(r.module_node);
        if (!d) return d.error();
        device_.emplace(std::move(*d));
        q_ = {};
        q_.block_major = major(st.st_rdev);
        q_.block_minor = minor(st.st_rdev);
        q_.provider = r.peer;
        q_.mem = r.memory == "p2pmem" ? kclient::MapMemory::p2pmem : kclient::MapMemory::ram;
        q_.dir = r.direction == "write" ? kclient::MapDirection::to_device : kclient::MapDirection::from_device;
        q_.block_bytes = static_cast<uint32_t>(r.size);
        q_.queue_depth = r.queue_depth;
        q_.offset_bytes = r.offset;
        q_.span_bytes = r.span;
        q_.iterations = r.iterations;
        q_.duration_ns = r.iterations ? 0 : static_cast<uint64_t>(r.seconds * 1e9);
        if (r.destructive) q_.flags |= kclient::kXferDestructive;
        if (r.destructive && r.force) q_.flags |= kclient::kXferForce;
        if (r.verify && r.destructive) q_.flags |= kclient::kXferVerify;
        return Ok{};
    }

    Result<std::vector<Measurement>> run() override {
        const auto& r = request_;
        KernelLogWatch log;
        std::vector<std::string> paths{(std::filesystem::path(r.sysfs_root) / "sys/dev/block" /
                                        (std::to_string(q_.block_major) + ":" + std::to_string(q_.block_minor)))
                                           .string()};
        if (r.peer) paths.push_back(detail::pci_dir(r.sysfs_root, r.peer->to_string()));
        const PcieErrorWatch pcie(paths);
        auto res = device_->xfer_block(q_);
        if (!res) return res.error();
        const auto& b = res->raw;

        Measurement m;
        m.label = r.direction + " " + detail::bytes_label(r.size) + " qd" + std::to_string(r.queue_depth) + " " +
                  (r.memory == "p2pmem" ? "p2pmem" : "ram");
        m.transfer_bytes = r.size;
        m.transfers = b.ios - b.io_errors;
        m.seconds = static_cast<double>(b.elapsed_ns) / 1e9;
        if (b.elapsed_ns) m.bytes_per_second = static_cast<double>(b.bytes) * 1e9 / static_cast<double>(b.elapsed_ns);
        m.latency = detail::latency_from(res->latency);
        detail::set_module_status(m, b.status, b.ios, b.reason);
        if (res->verify() == kclient::VerifyState::matched) {
            m.verified = true;
        } else if (res->verify() == kclient::VerifyState::mismatch) {
            m.verified = false;
            char d[200];
            std::snprintf(d, sizeof d, "device byte %" PRIu64 ": wrote 0x%016" PRIx64 ", read 0x%016" PRIx64 "%s",
                          static_cast<uint64_t>(b.verify_mismatch_offset), static_cast<uint64_t>(b.verify_expected),
                          static_cast<uint64_t>(b.verify_found),
                          b.verify_found == 0xa5a5a5a5a5a5a5a5ULL ? " (the poison: nothing arrived)" : "");
            m.verify_detail = d;
        } else if (!r.destructive && r.verify) {
            m.verify_detail = "not verified: checking writes a pattern first (pass --destructive)";
        }
        if (b.provider.bus || b.provider.device || b.provider.function || b.provider.domain) {
            char p[64];
            std::snprintf(p, sizeof p, " from %04x:%02x:%02x.%x", b.provider.domain, b.provider.bus,
                          b.provider.device, b.provider.function);
            m.label += p;
        }
        // What the IOMMU and the PCIe error counters said while the bios ran.
        auto records = log.drain();
        auto fault = first_dma_fault(records);
        // Data that did not arrive is what a dropped DMA leaves: give the
        // IOMMU's fault report, which can trail the completions, time to land.
        if (!fault && m.verified && !*m.verified) fault = log.await_dma_fault(kLateFaultWait, records);
        const auto pcie_errors = pcie.uncorrectable_since();
        if (const auto& f = fault) {
            m.stop(RowStatus::fault, "DMA fault at " + f->address + " (" + f->line + ")");
        } else if (!pcie_errors.empty() && m.ok()) {
            std::string list;
            for (const auto& e : pcie_errors) list += (list.empty() ? "" : ", ") + e;
            m.stop(RowStatus::error, "uncorrectable PCIe error on the path during the run (" + list +
                       "): the kernel's error recovery ran under it, so these figures are not a healthy path's");
        } else if (m.verified && !*m.verified) {
            m.verify_detail += log.readable()
                                   ? "; no IOMMU fault in the kernel log during the run or " +
                                         std::to_string(kLateFaultWait.count()) +
                                         " ms after it (the kernel rate-limits DMAR fault reports: at most 10 per 5 s)"
                                   : "; kernel log not readable (" + log.why_not() + "): IOMMU faults not checked";
        }
        return std::vector<Measurement>{m};
    }

    void teardown() override { device_.reset(); }

private:
    static std::optional<std::string> block_path(const Request& r) {
        if (!r.block.empty()) return r.block;
        return namespace_of(r.sysfs_root, r.device->to_string());
    }

    Request request_;
    std::string block_;
    std::optional<kclient::Device> device_;
    kclient::BlockXferRequest q_;
};

const Registration<EngineSpec> registration{EngineSpec{
    .name = "nvme",
    .description = "Kernel NVMe engine (p2pscope.ko): bios into RAM or another device's p2pmem, queue depth",
    .capabilities = kCapRead | kCapWrite | kCapVerify | kCapPeer,
    .memories = {{.name = "ram", .help = "kernel pages"},
                 {.name = "p2pmem", .help = "the p2pmem of the provider --peer", .traits = kMemOfPeer}},
    .directions = {"read", "write"},
    .fields = kFieldDevice | kFieldPeer | kFieldBlock | kFieldSpan | kFieldOffset | kFieldVerify | kFieldDestructive |
              kFieldForce | kFieldQueueDepth,
    .device = "the NVMe controller whose first namespace is used (unless --block)",
    .peer = "the p2pmem provider of memory p2pmem",
    .make = make_engine_of<NvmeEngine>,
}};

}  // namespace

}  // namespace p2pscope::xfer
