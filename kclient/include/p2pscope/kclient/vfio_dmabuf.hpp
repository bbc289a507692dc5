// SPDX-License-Identifier: GPL-2.0-or-later
// A BAR range exported as a dma-buf by vfio-pci (VFIO_DEVICE_FEATURE_DMA_BUF,
// Linux 6.19 and later): a peer device's memory without struct pages, as P2P
// importers (RDMA NICs, GPUs, p2pscope.ko) take it.
#pragma once

#include <cstdint>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::kclient {

class VfioDmabuf {
public:
    // The device must be bound to vfio-pci, and every device of its IOMMU
    // group to vfio-pci or to no driver (VFIO's rule); without an IOMMU the
    // kernel needs vfio's enable_unsafe_noiommu_mode. offset and size are page
    // aligned and lie within the BAR.
    static Result<VfioDmabuf> create(const probe::PciAddress& device, uint32_t bar, uint64_t offset,
                                     uint64_t size_bytes);
    VfioDmabuf(VfioDmabuf&&) noexcept;
    VfioDmabuf& operator=(VfioDmabuf&&) = delete;
    VfioDmabuf(const VfioDmabuf&) = delete;
    ~VfioDmabuf();
    int fd() const { return fds_[fd_dmabuf]; }

private:
    // closed in reverse: the dma-buf, then the device (whose close revokes
    // its dma-bufs), the group, the container
    enum { fd_container, fd_group, fd_device, fd_dmabuf, fd_count };
    VfioDmabuf() = default;
    int fds_[fd_count] = {-1, -1, -1, -1};
};

}  // namespace p2pscope::kclient
