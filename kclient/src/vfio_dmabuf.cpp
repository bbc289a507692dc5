// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/vfio_dmabuf.hpp"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

// The dma-buf feature is newer than the UAPI headers of older build hosts
// (Debian 12's are 6.1); its number and layout are Linux's UAPI.
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11
#endif

namespace p2pscope::kclient {

namespace fs = std::filesystem;

namespace {

// struct vfio_device_feature_dma_buf with its one struct vfio_region_dma_range
struct DmaBufOneRange {
    __u32 region_index;
    __u32 open_flags;
    __u32 flags;
    __u32 nr_ranges;
    __u64 offset;
    __u64 length;
};
static_assert(sizeof(DmaBufOneRange) == 32);

Error sys_error(const std::string& what) {
    return make_error(errno == EPERM || errno == EACCES ? Errc::unsupported : Errc::system,
                      what + ": " + std::strerror(errno));
}

}  // namespace

Result<VfioDmabuf> VfioDmabuf::create(const probe::PciAddress& device, uint32_t bar, uint64_t offset,
                                      uint64_t size_bytes) {
    const std::string bdf = device.to_string();
    const long page = ::sysconf(_SC_PAGESIZE);
    if (bar > 5) return make_error(Errc::invalid_argument, "vfio dma-buf: BAR " + std::to_string(bar) + " (0..5)");
    if (size_bytes == 0 || size_bytes % static_cast<uint64_t>(page) || offset % static_cast<uint64_t>(page))
        return make_error(Errc::invalid_argument, "vfio dma-buf: offset and size must be multiples of the page size");

    const fs::path sys = fs::path("/sys/bus/pci/devices") / bdf;
    std::error_code ec;
    if (!fs::exists(sys, ec)) return make_error(Errc::not_found, "vfio dma-buf: no PCI device " + bdf);
    const auto driver = fs::read_symlink(sys / "driver", ec);
    if (ec || driver.filename() != "vfio-pci")
        return make_error(Errc::unsupported, "vfio dma-buf: " + bdf + " is bound to " +
                                                 (ec ? std::string("no driver") : driver.filename().string()) +
                                                 ", not vfio-pci (bind it: driver_override)");
    const auto group_link = fs::read_symlink(sys / "iommu_group", ec);
    if (ec)
        return make_error(Errc::unsupported, "vfio dma-buf: " + bdf + " is in no IOMMU group");
    const std::string group_id = group_link.filename().string();
    bool noiommu = false;
    fs::path group_node = fs::path("/dev/vfio") / group_id;
    if (!fs::exists(group_node, ec)) {
        group_node = fs::path("/dev/vfio") / ("noiommu-" + group_id);
        noiommu = true;
    }

    VfioDmabuf v;
    int* fd = v.fds_;
    fd[fd_container] = ::open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (fd[fd_container] < 0) return sys_error("vfio dma-buf: /dev/vfio/vfio (a kernel without VFIO's container?)");
    if (::ioctl(fd[fd_container], VFIO_GET_API_VERSION) != VFIO_API_VERSION)
        return make_error(Errc::unsupported, "vfio dma-buf: unknown VFIO API version");
    fd[fd_group] = ::open(group_node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd[fd_group] < 0) return sys_error("vfio dma-buf: " + group_node.string());
    vfio_group_status status{};
    status.argsz = sizeof status;
    if (::ioctl(fd[fd_group], VFIO_GROUP_GET_STATUS, &status) != 0) return sys_error("vfio dma-buf: VFIO_GROUP_GET_STATUS");
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
        return make_error(Errc::unsupported, "vfio dma-buf: IOMMU group " + group_id + " of " + bdf +
                                                 " is not viable: bind every device in it to vfio-pci or to no driver");
    if (::ioctl(fd[fd_group], VFIO_GROUP_SET_CONTAINER, &fd[fd_container]) != 0)
        return sys_error("vfio dma-buf: VFIO_GROUP_SET_CONTAINER (group " + group_id + ")");
    const unsigned long type = noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
    if (::ioctl(fd[fd_container], VFIO_SET_IOMMU, type) != 0)
        return sys_error(std::string("vfio dma-buf: VFIO_SET_IOMMU ") + (noiommu ? "no-IOMMU" : "type1v2"));
    fd[fd_device] = ::ioctl(fd[fd_group], VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
    if (fd[fd_device] < 0) return sys_error("vfio dma-buf: VFIO_GROUP_GET_DEVICE_FD " + bdf);

    vfio_region_info region{};
    region.argsz = sizeof region;
    region.index = bar;
    if (::ioctl(fd[fd_device], VFIO_DEVICE_GET_REGION_INFO, &region) != 0)
        return sys_error("vfio dma-buf: VFIO_DEVICE_GET_REGION_INFO BAR " + std::to_string(bar));
    if (offset > region.size || size_bytes > region.size - offset)
        return make_error(Errc::invalid_argument, "vfio dma-buf: " + std::to_string(size_bytes) + " bytes at " +
                                                      std::to_string(offset) + " do not fit in BAR " +
                                                      std::to_string(bar) + " of " + bdf + " (" +
                                                      std::to_string(region.size) + " bytes)");

    std::vector<unsigned char> buf(sizeof(vfio_device_feature) + sizeof(DmaBufOneRange));
    auto* feature = reinterpret_cast<vfio_device_feature*>(buf.data());
    feature->argsz = static_cast<__u32>(buf.size());
    feature->flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
    if (::ioctl(fd[fd_device], VFIO_DEVICE_FEATURE, feature) != 0)
        return make_error(Errc::unsupported, "vfio dma-buf: " + bdf + "'s vfio-pci cannot export dma-bufs "
                                             "(VFIO_DEVICE_FEATURE_DMA_BUF: Linux 6.19 and later with "
                                             "CONFIG_PCI_P2PDMA): " + std::strerror(errno));
    feature->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
    DmaBufOneRange get{};
    get.region_index = bar;
    get.open_flags = O_RDWR | O_CLOEXEC;
    get.nr_ranges = 1;
    get.offset = offset;
    get.length = size_bytes;
    std::memcpy(buf.data() + sizeof(vfio_device_feature), &get, sizeof get);
    fd[fd_dmabuf] = ::ioctl(fd[fd_device], VFIO_DEVICE_FEATURE, feature);
    if (fd[fd_dmabuf] < 0)
        return sys_error("vfio dma-buf: VFIO_DEVICE_FEATURE_DMA_BUF for BAR " + std::to_string(bar) + " of " + bdf);
    return v;
}

VfioDmabuf::VfioDmabuf(VfioDmabuf&& o) noexcept {
    for (int i = 0; i < fd_count; i++) {
        fds_[i] = o.fds_[i];
        o.fds_[i] = -1;
    }
}

VfioDmabuf::~VfioDmabuf() {
    for (int i = fd_count - 1; i >= 0; i--)
        if (fds_[i] >= 0) ::close(fds_[i]);
}

}  // namespace p2pscope::kclient
