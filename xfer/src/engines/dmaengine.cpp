// SPDX-License-Identifier: GPL-2.0-or-later
// dmaengine: the kernel dmaengine engine. p2pscope.ko copies with a DMA
// engine channel that offers DMA_MEMCPY (Intel IOAT or DSA, AMD PTDMA):
// RAM to RAM, RAM to a BAR, or a BAR to RAM, the BAR mapped for the engine
// with dma_map_resource (no struct page). Waived where no channel exists.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "../kernel_engine.hpp"
#include "../sysfs_util.hpp"
#include "p2pscope/kclient/device.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

namespace {

bool has_dma_channels(const std::string& sysfs_root) {
    std::error_code ec;
    std::filesystem::directory_iterator it(sysfs_root + "/sys/class/dma", ec);
    return !ec && it != std::filesystem::directory_iterator();
}

class DmaengineEngine final : public Engine {
public:
    CheckResult check(const Request& r) const override {
        const bool bar = r.memory != "ram-to-ram";
        if (bar && (!r.device || r.bar < 0))
            return CheckResult::bad("engine dmaengine: --memory " + r.memory +
                                    " needs --device BDF and --bar N (a device bound to p2pscope)");
        if (!bar && (r.device || r.bar >= 0))
            return CheckResult::bad("engine dmaengine: --device and --bar are for ram-to-bar and bar-to-ram");
        if (r.size < 8 || r.size > kclient::kMaxDmaCopyBytes || r.size % 8)
            return CheckResult::bad("engine dmaengine: --size must be a multiple of 8 up to 4M");
        if (bar && r.offset % 4096)
            return CheckResult::bad("engine dmaengine: --offset into the BAR must be page aligned");
        if (r.device) {
            const std::string dir = detail::pci_dir(r.sysfs_root, r.device->to_string());
            if (!detail::exists(dir)) return CheckResult::bad("no PCI function " + r.device->to_string() + " on this system");
            if (r.memory == "ram-to-bar" && detail::driver_of(dir) != "p2pscope")
                return CheckResult::bad("the copy overwrites BAR " + std::to_string(r.bar) + " of " +
                                        r.device->to_string() + ": bind it to p2pscope first (kmod/README.md)");
        }
        if (auto w = detail::missing_module(r.module_node)) return CheckResult::bad(*w);
        if (!has_dma_channels(r.sysfs_root))
            return CheckResult::waive("no dmaengine channels on this machine (" + r.sysfs_root +
                                      "sys/class/dma is empty): no Intel IOAT/DSA or AMD PTDMA with its driver");
        return CheckResult::yes();
    }

    Status setup(const Request& r) override {
        request_ = r;
        auto d = kclient::Device::open(r.module_node);
        if (!d) return d.error();
        device_.emplace(std::move(*d));
        q_ = {};
        q_.src_mem = r.memory == "bar-to-ram" ? kclient::MapMemory::bar : kclient::MapMemory::ram;
        q_.dst_mem = r.memory == "ram-to-bar" ? kclient::MapMemory::bar : kclient::MapMemory::ram;
        if (r.memory != "ram-to-ram") {
            q_.bar_device = r.device;
            q_.bar = static_cast<uint32_t>(r.bar);
            q_.bar_offset_bytes = r.offset;
        }
        q_.size_bytes = r.size;
        q_.iterations = r.iterations;
        q_.duration_ns = r.iterations ? 0 : static_cast<uint64_t>(r.seconds * 1e9);
        if (r.verify) q_.flags |= kclient::kXferVerify;
        return Ok{};
    }

    Result<std::vector<Measurement>> run() override {
        auto res = device_->xfer_dma(q_);
        if (!res) return res.error();
        const auto& d = res->raw;
        Measurement m;
        m.label = request_.memory + " " + detail::bytes_label(request_.size);
        if (d.channel[0]) m.label += std::string(" via ") + d.channel;
        m.transfer_bytes = request_.size;
        m.transfers = d.copies;
        m.seconds = static_cast<double>(d.elapsed_ns) / 1e9;
        if (d.elapsed_ns) m.bytes_per_second = static_cast<double>(d.bytes) * 1e9 / static_cast<double>(d.elapsed_ns);
        m.latency = detail::latency_from(res->latency);
        detail::set_module_status(m, d.status, d.copies, d.reason);
        if (res->verify() == kclient::VerifyState::matched) m.verified = true;
        if (res->verify() == kclient::VerifyState::mismatch) {
            m.verified = false;
            m.verify_detail = "first wrong word at byte " + std::to_string(d.verify_mismatch_offset) + " of the copy";
        }
        return std::vector<Measurement>{m};
    }

    void teardown() override { device_.reset(); }

private:
    Request request_;
    std::optional<kclient::Device> device_;
    kclient::DmaXferRequest q_;
};

const Registration<EngineSpec> registration{EngineSpec{
    .name = "dmaengine",
    .description = "Kernel dmaengine copies (p2pscope.ko, DMA_MEMCPY channel): RAM<->BAR, RAM->RAM",
    .capabilities = kCapRead | kCapWrite | kCapVerify,
    .memories = {{.name = "ram-to-ram", .help = "kernel pages to kernel pages", .no_link = "RAM to RAM"},
                 {.name = "ram-to-bar",
                  .help = "kernel pages into the device's BAR (--bar), bound to p2pscope",
                  .traits = kMemBar},
                 {.name = "bar-to-ram", .help = "the device's BAR (--bar) into kernel pages", .traits = kMemBar}},
    .directions = {"copy"},
    .fields = kFieldDevice | kFieldBar | kFieldOffset | kFieldVerify,
    .device = "the owner of the BAR copied to or from",
    .make = make_engine_of<DmaengineEngine>,
}};

}  // namespace

}  // namespace p2pscope::xfer
