// SPDX-License-Identifier: GPL-2.0-or-later
// User space's side of the kernel helper: /dev/p2pscope, its ABI check, and
// each command as a call that returns a value or an Error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "p2pscope/kclient/histogram.hpp"
#include "p2pscope/kclient/kinds.hpp"
#include "p2pscope/kclient/uapi.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"
#include "p2pscope.h"  // kmod/uapi: the UAPI of p2pscope.ko

namespace p2pscope::kclient {

struct MapRequest {
    probe::PciAddress device;
    // p2pmem provider, BAR owner, or the device whose memory a dma-buf is
    std::optional<probe::PciAddress> peer;
    MapApi api = MapApi::map_single;
    MapMemory mem = MapMemory::ram;
    MapDirection dir = MapDirection::bidirectional;
    uint32_t threads = 1;
    uint64_t size_bytes = 4096;
    uint32_t segments = 1;
    uint64_t iterations = 0;
    uint64_t duration_ns = 0;
    uint32_t dma_mask_bits = 0;
    uint32_t bar = 0;
    uint64_t bar_offset_bytes = 0;
    int dmabuf_fd = -1;
    // Dma-buf memory without a caller's fd: a udmabuf of RAM, or peer's BAR
    // (bar, bar_offset_bytes) exported by vfio-pci.
    enum class DmabufSource { udmabuf, vfio } dmabuf_source = DmabufSource::udmabuf;
    uint32_t flags = 0;  // kMapDirty, kMapIovaPerRequest
    uint32_t clock = kClockDefault;
    // The CPU of each thread (threads entries), or empty: the module picks
    // housekeeping CPUs.
    std::vector<uint32_t> cpus;
};

struct MapResult {
    p2pscope_map_bench raw{};  // every output field as the module wrote it
    Histogram map, unmap;
    std::vector<uint32_t> cpus;  // the CPU each thread ran on (empty: none ran)
    bool ran() const { return raw.map.count > 0; }
    bool complete() const { return raw.status == kReasonNone; }
    // What else the module saw: a mapping that bounced through swiotlb,
    // timings a debug kernel (KASAN, lockdep, DMA-API debug) inflates, and
    // ones its test_slowdown_pct inflates on purpose.
    bool bounced() const { return (raw.result_flags & P2PSCOPE_RES_F_BOUNCED) != 0; }
    bool debug_kernel() const {
        return (raw.result_flags & (P2PSCOPE_RES_F_DEBUG_KERNEL | P2PSCOPE_RES_F_DMA_API_DEBUG)) != 0;
    }
    bool test_slowdown() const { return (raw.result_flags & P2PSCOPE_RES_F_TEST_SLOWDOWN) != 0; }
};

// The kernel NVMe engine (P2PSCOPE_IOC_XFER_BLOCK): bios between a block
// device and RAM or p2pmem.
struct BlockXferRequest {
    uint32_t block_major = 0, block_minor = 0;
    std::optional<probe::PciAddress> provider;     // p2pmem provider (mem p2pmem)
    MapMemory mem = MapMemory::ram;                // ram or p2pmem
    MapDirection dir = MapDirection::from_device;  // from_device (reads) or to_device (writes)
    uint32_t block_bytes = 128 * 1024;
    uint32_t queue_depth = 1;
    uint64_t offset_bytes = 0;
    uint64_t span_bytes = 0;
    uint64_t iterations = 0;
    uint64_t duration_ns = 0;
    uint32_t flags = 0;  // kXferVerify, kXferDestructive, kXferForce
};
struct BlockXferResult {
    p2pscope_xfer_block raw{};
    Histogram latency;  // per bio
    VerifyState verify() const { return static_cast<VerifyState>(raw.verify); }
};

// The kernel dmaengine engine (P2PSCOPE_IOC_XFER_DMA).
struct DmaXferRequest {
    MapMemory src_mem = MapMemory::ram, dst_mem = MapMemory::ram;  // ram or bar
    std::optional<probe::PciAddress> bar_device;  // when a side is BAR
    uint32_t bar = 0;
    uint64_t bar_offset_bytes = 0;
    uint64_t size_bytes = 1 << 20;
    uint64_t iterations = 0;
    uint64_t duration_ns = 0;
    uint32_t flags = 0;  // kXferVerify
};
struct DmaXferResult {
    p2pscope_xfer_dma raw{};
    Histogram latency;  // per copy
    VerifyState verify() const { return static_cast<VerifyState>(raw.verify); }
};

class Device {
public:
    // Opens the device node and checks the ABI major. The error tells how to
    // load the module when the node is missing.
    static Result<Device> open(const std::string& path = kDevicePath);
    Device(Device&&) noexcept;
    Device& operator=(Device&&) noexcept;
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;
    ~Device();

    const p2pscope_version& version() const { return version_; }
    Result<p2pscope_dev_query> query(const probe::PciAddress& device,
                                     const std::optional<probe::PciAddress>& peer = std::nullopt) const;
    // A combination the module cannot run comes back as a result with a
    // status and reason, not as an Error; Errors are refused requests.
    Result<MapResult> map_bench(const MapRequest& request) const;
    // Transfers need ABI 1.1 (module 0.2); an older module is an Error that says so.
    Result<BlockXferResult> xfer_block(const BlockXferRequest& request) const;
    Result<DmaXferResult> xfer_dma(const DmaXferRequest& request) const;

private:
    // Ok when the loaded module has ABI 1.minor; else an Error saying it `lacking`.
    Status need_abi(uint32_t minor, const std::string& lacking) const;
    Device(int fd, p2pscope_version v) : fd_(fd), version_(v) {}
    int fd_ = -1;
    p2pscope_version version_{};
};

// A udmabuf over a memfd, for measuring dma-buf import without a GPU.
class Udmabuf {
public:
    static Result<Udmabuf> create(uint64_t size_bytes);
    Udmabuf(Udmabuf&&) noexcept;
    Udmabuf& operator=(Udmabuf&&) = delete;
    Udmabuf(const Udmabuf&) = delete;
    ~Udmabuf();
    int fd() const { return fd_; }

private:
    explicit Udmabuf(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace p2pscope::kclient
