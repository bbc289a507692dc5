// SPDX-License-Identifier: GPL-2.0-or-later
// p2pmem-odirect: user-space P2P through the block layer. A buffer of p2pmem
// (mmap of sysfs p2pmem/allocate, Linux 6.2+) is the target of O_DIRECT reads
// from one NVMe block device and the source of O_DIRECT writes to another, so
// the data moves device to device without passing through RAM. Synchronous:
// one transfer in flight (queue depth 1).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "../sysfs_util.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

namespace {

double now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

class P2pmemODirectEngine final : public Engine {
public:
    CheckResult check(const Request& r) const override {
        if (!r.device) return CheckResult::bad("engine p2pmem-odirect needs --device BDF (the p2pmem provider)");
        if (r.source_block.empty()) return CheckResult::bad("engine p2pmem-odirect needs --source-block /dev/...");
        if (r.direction == "copy" && r.destination_block.empty())
            return CheckResult::bad("engine p2pmem-odirect: direction copy needs --destination-block /dev/...");
        if (r.size == 0 || r.size % 4096)
            return CheckResult::bad("engine p2pmem-odirect: --size must be a non-zero multiple of 4096 (O_DIRECT)");
        const std::string bdf = r.device->to_string();
        const std::string dir = detail::pci_dir(r.sysfs_root, bdf);
        if (!detail::exists(dir)) return CheckResult::bad("no PCI function " + bdf + " on this system");
        if (!detail::exists(r.source_block)) return CheckResult::bad(r.source_block + ": no such block device");
        if (r.direction == "copy" && !detail::exists(r.destination_block))
            return CheckResult::bad(r.destination_block + ": no such block device");
        if (r.direction == "copy" && !r.destructive)
            return CheckResult::bad("writing " + r.destination_block + " destroys its data at offset " +
                                    std::to_string(r.offset) + ": pass --destructive");
        // The kernel's own limit comes before the device's: on 6.1 there is no
        // user-space p2pmem at all, whatever the device publishes.
        if (auto w = p2pmem_userspace_waiver(kernel_version())) return CheckResult::waive(*w);
        if (!detail::exists(dir + "/p2pmem/allocate"))
            return CheckResult::bad(bdf + " publishes no p2pmem (no " + dir + "/p2pmem/allocate)");
        return CheckResult::yes();
    }

    Status setup(const Request& r) override {
        request_ = r;
        const std::string alloc = detail::pci_dir(r.sysfs_root, r.device->to_string()) + "/p2pmem/allocate";
        detail::Fd afd(::open(alloc.c_str(), O_RDWR | O_CLOEXEC));
        if (!afd) return make_error(Errc::system, "cannot open " + alloc + ": " + std::strerror(errno));
        auto m = detail::Mapping::map(afd.get(), 0, r.size, alloc);
        if (!m) return m.error();
        p2pmem_ = std::move(*m);
        src_ = detail::Fd(::open(r.source_block.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
        if (!src_) return make_error(Errc::system, "cannot open " + r.source_block + ": " + std::strerror(errno));
        if (r.direction == "copy") {
            dst_ = detail::Fd(::open(r.destination_block.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC));
            if (!dst_)
                return make_error(Errc::system, "cannot open " + r.destination_block + ": " + std::strerror(errno));
        }
        return Ok{};
    }

    Result<std::vector<Measurement>> run() override {
        const auto& r = request_;
        Measurement m;
        m.label = r.direction == "copy" ? "block->p2pmem->block" : "block->p2pmem";
        m.transfer_bytes = r.size;
        std::vector<double> samples;
        const double stop = now_ns() + r.seconds * 1e9;
        const off_t off = static_cast<off_t>(r.offset);
        for (;;) {
            const double t0 = now_ns();
            ssize_t n = ::pread(src_.get(), p2pmem_.data(), r.size, off);
            if (n != static_cast<ssize_t>(r.size)) {
                m.stop(RowStatus::error, "O_DIRECT read of " + r.source_block + " into p2pmem: " +
                           (n < 0 ? std::string(std::strerror(errno)) : "short read"));
                break;
            }
            if (dst_) {
                n = ::pwrite(dst_.get(), p2pmem_.data(), r.size, off);
                if (n != static_cast<ssize_t>(r.size)) {
                    m.stop(RowStatus::error, "O_DIRECT write of p2pmem to " + r.destination_block + ": " +
                               (n < 0 ? std::string(std::strerror(errno)) : "short write"));
                    break;
                }
            }
            const double t1 = now_ns();
            samples.push_back(t1 - t0);
            if (r.iterations ? samples.size() >= r.iterations : t1 >= stop) break;
        }
        m.transfers = samples.size();
        for (double s : samples) m.seconds += s / 1e9;
        if (m.seconds > 0) m.bytes_per_second = static_cast<double>(m.transfers * r.size) / m.seconds;
        m.latency = summarize(samples);
        if (m.ok()) verify(m);
        return std::vector<Measurement>{m};
    }

    void teardown() override {
        p2pmem_.reset();
        src_.reset();
        dst_.reset();
    }

private:
    // The source read again into RAM (buffered) against what p2pmem holds (CPU
    // reads of the BAR), and against what arrived at the destination.
    void verify(Measurement& m) {
        const auto& r = request_;
        std::vector<unsigned char> want(r.size), got(r.size);
        detail::Fd plain(::open(r.source_block.c_str(), O_RDONLY | O_CLOEXEC));
        if (!plain || ::pread(plain.get(), want.data(), r.size, static_cast<off_t>(r.offset)) !=
                          static_cast<ssize_t>(r.size)) {
            m.verify_detail = "could not re-read " + r.source_block;
            return;
        }
        std::memcpy(got.data(), p2pmem_.data(), r.size);
        if (got != want) {
            m.verified = false;
            m.verify_detail = "p2pmem does not hold what " + r.source_block + " holds";
            return;
        }
        if (dst_) {
            detail::Fd d(::open(r.destination_block.c_str(), O_RDONLY | O_CLOEXEC));
            if (!d || ::pread(d.get(), got.data(), r.size, static_cast<off_t>(r.offset)) !=
                          static_cast<ssize_t>(r.size)) {
                m.verify_detail = "could not re-read " + r.destination_block;
                return;
            }
            if (got != want) {
                m.verified = false;
                m.verify_detail = r.destination_block + " does not hold what " + r.source_block + " holds";
                return;
            }
        }
        m.verified = true;
    }

    Request request_;
    detail::Mapping p2pmem_;
    detail::Fd src_, dst_;
};

const Registration<EngineSpec> registration{EngineSpec{
    .name = "p2pmem-odirect",
    .description = "O_DIRECT read from one block device into p2pmem, then write to another (Linux 6.2+)",
    .capabilities = kCapRead | kCapWrite | kCapVerify | kCapPeer,
    .memories = {{.name = "p2pmem", .help = "the p2pmem of --device", .traits = kMemImplied}},
    .directions = {"copy", "read"},
    .fields = kFieldDevice | kFieldOffset | kFieldSourceBlock | kFieldDestinationBlock | kFieldDestructive,
    .device = "the p2pmem provider",
    .make = make_engine_of<P2pmemODirectEngine>,
}};

}  // namespace

}  // namespace p2pscope::xfer
