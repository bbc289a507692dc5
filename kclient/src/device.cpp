// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/device.hpp"

#include <fcntl.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace p2pscope::kclient {

namespace {

p2pscope_pci_addr to_uapi(const probe::PciAddress& a) { return {a.domain, a.bus, a.device, a.function}; }

Error errno_error(const char* what) {
    const int e = errno;
    switch (e) {
    case EPERM:
    case EACCES:
        return make_error(Errc::unsupported, std::string(what) + ": permission denied (p2pscope needs root: CAP_SYS_ADMIN)");
    case EINVAL:
        return make_error(Errc::invalid_argument,
                          std::string(what) + ": the module refused a field (its log line in dmesg names it)");
    case EINTR:
        return make_error(Errc::system, std::string(what) + ": interrupted by a signal; no result");
    case ENODEV:
    case ENXIO:
        return make_error(Errc::not_found, std::string(what) + ": no such PCI device");
    default:
        return make_error(Errc::system, std::string(what) + ": " + std::strerror(e));
    }
}

}  // namespace

Result<Device> Device::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return make_error(Errc::unsupported,
                              path + " does not exist: the p2pscope module is not loaded (as root: `insmod "
                                     "kmod/p2pscope.ko`; on a machine that cannot load modules, run it in the "
                                     "virtual lab: lab/run --add build/cli/p2pscope -- p2pscope map ...)");
        if (errno == EISDIR) return make_error(Errc::invalid_argument, path + " is not p2pscope's device node (a directory)");
        return errno_error(path.c_str());
    }
    // Any other file answers the version ioctl with ENOTTY, EINVAL or
    // something else of its own: that is the wrong path, not a module fault.
    auto not_ours = [&](const std::string& why) {
        ::close(fd);
        return make_error(Errc::invalid_argument, path + " is not p2pscope's device node (" + why + ")");
    };
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return not_ours("not a character device");
    p2pscope_version v{};
    if (::ioctl(fd, P2PSCOPE_IOC_VERSION, &v) != 0) {
        if (errno == EPERM || errno == EACCES || errno == EINTR) {
            auto e = errno_error("P2PSCOPE_IOC_VERSION");
            ::close(fd);
            return e;
        }
        return not_ours(std::string("it does not answer P2PSCOPE_IOC_VERSION: ") + std::strerror(errno));
    }
    if (v.abi_major != P2PSCOPE_ABI_MAJOR) {
        ::close(fd);
        return make_error(Errc::unsupported, "the loaded module speaks ABI " + std::to_string(v.abi_major) +
                                                 ", this p2pscope ABI " + std::to_string(P2PSCOPE_ABI_MAJOR) +
                                                 ": load the module built with this p2pscope");
    }
    return Device(fd, v);
}

Device::Device(Device&& o) noexcept : fd_(o.fd_), version_(o.version_) { o.fd_ = -1; }
Device& Device::operator=(Device&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        version_ = o.version_;
        o.fd_ = -1;
    }
    return *this;
}
Device::~Device() {
    if (fd_ >= 0) ::close(fd_);
}

Result<p2pscope_dev_query> Device::query(const probe::PciAddress& device,
                                         const std::optional<probe::PciAddress>& peer) const {
    p2pscope_dev_query q{};
    q.addr = to_uapi(device);
    if (peer) {
        q.peer = to_uapi(*peer);
        q.flags |= P2PSCOPE_QUERY_F_PEER;
    }
    if (::ioctl(fd_, P2PSCOPE_IOC_DEV_QUERY, &q) != 0) return errno_error(("query " + device.to_string()).c_str());
    return q;
}

Result<MapResult> Device::map_bench(const MapRequest& r) const {
    MapResult out;
    out.map.buckets.assign(P2PSCOPE_HIST_BUCKETS, 0);
    out.unmap.buckets.assign(P2PSCOPE_HIST_BUCKETS, 0);
    p2pscope_map_bench& b = out.raw;
    if (r.mem == MapMemory::dmabuf && r.peer)
        if (auto ok = need_abi(3, "imports no peer's dma-buf"); !ok) return ok.error();
    if (!r.cpus.empty())
        if (auto ok = need_abi(3, "takes no CPU list"); !ok) return ok.error();
    b.addr = to_uapi(r.device);
    if (r.peer) {
        b.peer = to_uapi(*r.peer);
        b.flags |= P2PSCOPE_MAP_F_PEER;
    }
    b.flags |= r.flags;
    b.api = static_cast<uint32_t>(r.api);
    b.mem = static_cast<uint32_t>(r.mem);
    b.dir = static_cast<uint32_t>(r.dir);
    b.threads = r.threads;
    b.size_bytes = r.size_bytes;
    b.segments = r.segments;
    b.iterations = r.iterations;
    b.duration_ns = r.duration_ns;
    b.clock = r.clock;
    b.dma_mask_bits = r.dma_mask_bits;
    b.bar = r.bar;
    b.bar_offset_bytes = r.bar_offset_bytes;
    b.dmabuf_fd = r.dmabuf_fd >= 0 ? r.dmabuf_fd : 0;
    if (!r.cpus.empty()) {
        if (r.cpus.size() != r.threads)
            return make_error(Errc::invalid_argument, "a CPU list needs one CPU per thread (" +
                                                          std::to_string(r.cpus.size()) + " for " +
                                                          std::to_string(r.threads) + " threads)");
        out.cpus = r.cpus;
        b.flags |= P2PSCOPE_MAP_F_CPUS;
    } else {
        out.cpus.assign(r.threads, UINT32_MAX);
    }
    if (need_abi(3, "")) b.cpus_uptr = reinterpret_cast<uintptr_t>(out.cpus.data());  // 1.2 has no CPU list out
    b.hist_buckets = P2PSCOPE_HIST_BUCKETS;
    b.map_hist_uptr = reinterpret_cast<uintptr_t>(out.map.buckets.data());
    b.unmap_hist_uptr = reinterpret_cast<uintptr_t>(out.unmap.buckets.data());
    if (::ioctl(fd_, P2PSCOPE_IOC_MAP_BENCH, &b) != 0) return errno_error("P2PSCOPE_IOC_MAP_BENCH");
    out.map.buckets.resize(std::min<size_t>(b.hist_buckets, P2PSCOPE_HIST_BUCKETS));
    out.unmap.buckets.resize(out.map.buckets.size());
    out.map.count = b.map.count;
    out.map.min_ns = b.map.min_ns;
    out.map.max_ns = b.map.max_ns;
    out.map.sum_ns = b.map.sum_ns;
    out.unmap.count = b.unmap.count;
    out.unmap.min_ns = b.unmap.min_ns;
    out.unmap.max_ns = b.unmap.max_ns;
    out.unmap.sum_ns = b.unmap.sum_ns;
    if (b.threads_run == 0 || b.cpus_uptr == 0) out.cpus.clear();
    return out;
}

Result<Udmabuf> Udmabuf::create(uint64_t size_bytes) {
    const long page = ::sysconf(_SC_PAGESIZE);
    if (size_bytes == 0 || size_bytes % static_cast<uint64_t>(page) != 0)
        return make_error(Errc::invalid_argument, "a udmabuf needs a size that is a multiple of the page size");
    const int memfd = ::memfd_create("p2pscope-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (memfd < 0) return errno_error("memfd_create");
    if (::ftruncate(memfd, static_cast<off_t>(size_bytes)) != 0 || ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        auto e = errno_error("memfd");
        ::close(memfd);
        return e;
    }
    const int dev = ::open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        ::close(memfd);
        if (errno == ENOENT)
            return make_error(Errc::unsupported, "/dev/udmabuf does not exist: the kernel lacks CONFIG_UDMABUF");
        return errno_error("/dev/udmabuf");
    }
    udmabuf_create c{};
    c.memfd = static_cast<uint32_t>(memfd);
    c.flags = UDMABUF_FLAGS_CLOEXEC;
    c.offset = 0;
    c.size = size_bytes;
    const int fd = ::ioctl(dev, UDMABUF_CREATE, &c);
    auto e = fd < 0 ? std::optional<Error>(errno_error("UDMABUF_CREATE")) : std::nullopt;
    ::close(dev);
    ::close(memfd);
    if (e) return *e;
    return Udmabuf(fd);
}

Udmabuf::Udmabuf(Udmabuf&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
Udmabuf::~Udmabuf() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

void take_stats(Histogram& h, const p2pscope_stats& s, uint32_t written) {
    h.buckets.resize(std::min<size_t>(written, P2PSCOPE_HIST_BUCKETS));
    h.count = s.count;
    h.min_ns = s.min_ns;
    h.max_ns = s.max_ns;
    h.sum_ns = s.sum_ns;
}

}  // namespace

Status Device::need_abi(uint32_t minor, const std::string& lacking) const {
    if (version_.abi_major > 1 || version_.abi_minor >= minor) return Ok{};
    return Error{Errc::unsupported, "the loaded p2pscope module (ABI " + std::to_string(version_.abi_major) + "." +
                                        std::to_string(version_.abi_minor) + ", version " +
                                        version_.module_version + ") " + lacking + ": that needs ABI 1." +
                                        std::to_string(minor)};
}

Result<BlockXferResult> Device::xfer_block(const BlockXferRequest& r) const {
    if (auto ok = need_abi(1, "has no transfer commands"); !ok) return ok.error();
    BlockXferResult out;
    out.latency.buckets.assign(P2PSCOPE_HIST_BUCKETS, 0);
    p2pscope_xfer_block& b = out.raw;
    b.block_major = r.block_major;
    b.block_minor = r.block_minor;
    if (r.provider) {
        b.peer = to_uapi(*r.provider);
        b.flags |= P2PSCOPE_XFER_F_PEER;
    }
    b.flags |= r.flags;
    b.mem = static_cast<uint32_t>(r.mem);
    b.dir = static_cast<uint32_t>(r.dir);
    b.block_bytes = r.block_bytes;
    b.queue_depth = r.queue_depth;
    b.offset_bytes = r.offset_bytes;
    b.span_bytes = r.span_bytes;
    b.iterations = r.iterations;
    b.duration_ns = r.duration_ns;
    b.hist_buckets = P2PSCOPE_HIST_BUCKETS;
    b.hist_uptr = reinterpret_cast<uintptr_t>(out.latency.buckets.data());
    if (::ioctl(fd_, P2PSCOPE_IOC_XFER_BLOCK, &b) != 0) return errno_error("P2PSCOPE_IOC_XFER_BLOCK");
    take_stats(out.latency, b.latency, b.hist_buckets);
    return out;
}

Result<DmaXferResult> Device::xfer_dma(const DmaXferRequest& r) const {
    if (auto ok = need_abi(1, "has no transfer commands"); !ok) return ok.error();
    DmaXferResult out;
    out.latency.buckets.assign(P2PSCOPE_HIST_BUCKETS, 0);
    p2pscope_xfer_dma& d = out.raw;
    d.src_mem = static_cast<uint32_t>(r.src_mem);
    d.dst_mem = static_cast<uint32_t>(r.dst_mem);
    if (r.bar_device) {
        d.peer = to_uapi(*r.bar_device);
        d.flags |= P2PSCOPE_XFER_F_PEER;
        d.bar = r.bar;
        d.bar_offset_bytes = r.bar_offset_bytes;
    }
    d.flags |= r.flags;
    d.size_bytes = r.size_bytes;
    d.iterations = r.iterations;
    d.duration_ns = r.duration_ns;
    d.hist_buckets = P2PSCOPE_HIST_BUCKETS;
    d.hist_uptr = reinterpret_cast<uintptr_t>(out.latency.buckets.data());
    if (::ioctl(fd_, P2PSCOPE_IOC_XFER_DMA, &d) != 0) return errno_error("P2PSCOPE_IOC_XFER_DMA");
    take_stats(out.latency, d.latency, d.hist_buckets);
    return out;
}

}  // namespace p2pscope::kclient
