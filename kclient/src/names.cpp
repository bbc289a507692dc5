// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/names.hpp"

#include <array>
#include <utility>

#include "p2pscope.h"

namespace p2pscope::kclient {

namespace {

template <size_t N>
std::string_view lookup(const std::array<std::pair<uint32_t, std::string_view>, N>& table, uint32_t v) {
    for (const auto& [k, name] : table)
        if (k == v) return name;
    return "unknown";
}

template <size_t N>
std::optional<uint32_t> reverse(const std::array<std::pair<uint32_t, std::string_view>, N>& table,
                                std::string_view name) {
    for (const auto& [k, n] : table)
        if (n == name) return k;
    return std::nullopt;
}

constexpr std::array<std::pair<uint32_t, std::string_view>, 10> kApis{{
    {P2PSCOPE_API_MAP_PAGE, "map_page"},
    {P2PSCOPE_API_MAP_SINGLE, "map_single"},
    {P2PSCOPE_API_MAP_SGTABLE, "map_sgtable"},
    {P2PSCOPE_API_MAP_RESOURCE, "map_resource"},
    {P2PSCOPE_API_ALLOC_COHERENT, "alloc_coherent"},
    {P2PSCOPE_API_ALLOC_NONCONTIG, "alloc_noncontig"},
    {P2PSCOPE_API_DMABUF, "dmabuf"},
    {P2PSCOPE_API_IOVA_LINK, "iova_link"},
    {P2PSCOPE_API_IOMMU_DOMAIN, "iommu_domain"},
    {P2PSCOPE_API_MAP_PHYS, "map_phys"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 7> kMems{{
    {P2PSCOPE_MEM_RAM, "ram"},
    {P2PSCOPE_MEM_RAM_HUGE, "ram_huge"},
    {P2PSCOPE_MEM_P2PMEM, "p2pmem"},
    {P2PSCOPE_MEM_BAR, "bar"},
    {P2PSCOPE_MEM_BOUNCE, "bounce"},
    {P2PSCOPE_MEM_DMABUF, "dmabuf"},
    {P2PSCOPE_MEM_ENCRYPTED, "encrypted"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 3> kDirs{{
    {P2PSCOPE_DIR_BIDIRECTIONAL, "bidirectional"},
    {P2PSCOPE_DIR_TO_DEVICE, "to_device"},
    {P2PSCOPE_DIR_FROM_DEVICE, "from_device"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 3> kModes{{
    {P2PSCOPE_MODE_NONE, "none"},
    {P2PSCOPE_MODE_EXCLUSIVE, "exclusive"},
    {P2PSCOPE_MODE_BORROWED, "borrowed"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 7> kIommu{{
    {P2PSCOPE_IOMMU_NONE, "none"},
    {P2PSCOPE_IOMMU_BLOCKED, "blocked"},
    {P2PSCOPE_IOMMU_IDENTITY, "identity"},
    {P2PSCOPE_IOMMU_UNMANAGED, "unmanaged"},
    {P2PSCOPE_IOMMU_DMA, "DMA"},
    {P2PSCOPE_IOMMU_DMA_FQ, "DMA-FQ"},
    {P2PSCOPE_IOMMU_OTHER, "other"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, P2PSCOPE_REASON_COUNT> kReasons{{
    {P2PSCOPE_REASON_NONE, "none"},
    {P2PSCOPE_REASON_NO_KERNEL_SUPPORT, "no_kernel_support"},
    {P2PSCOPE_REASON_COMBINATION, "combination"},
    {P2PSCOPE_REASON_NEEDS_EXCLUSIVE, "needs_exclusive"},
    {P2PSCOPE_REASON_BORROWED_DISABLED, "borrowed_disabled"},
    {P2PSCOPE_REASON_DEVICE_UNBOUND, "device_unbound"},
    {P2PSCOPE_REASON_DEVICE_GONE, "device_gone"},
    {P2PSCOPE_REASON_NO_IOMMU, "no_iommu"},
    {P2PSCOPE_REASON_IOMMU_UNSUITABLE, "iommu_unsuitable"},
    {P2PSCOPE_REASON_NO_P2PMEM, "no_p2pmem"},
    {P2PSCOPE_REASON_P2P_NOT_SUPPORTED, "p2p_not_supported"},
    {P2PSCOPE_REASON_BAR_UNSUITABLE, "bar_unsuitable"},
    {P2PSCOPE_REASON_NO_MEMORY, "no_memory"},
    {P2PSCOPE_REASON_DMA_MASK, "dma_mask"},
    {P2PSCOPE_REASON_NO_BOUNCE, "no_bounce"},
    {P2PSCOPE_REASON_NO_MEM_ENCRYPT, "no_mem_encrypt"},
    {P2PSCOPE_REASON_DMABUF, "dmabuf"},
    {P2PSCOPE_REASON_DEVICE_LIMIT, "device_limit"},
    {P2PSCOPE_REASON_MAP_FAILED, "map_failed"},
    {P2PSCOPE_REASON_BLOCK_UNSUITABLE, "block_unsuitable"},
    {P2PSCOPE_REASON_IO_FAILED, "io_failed"},
    {P2PSCOPE_REASON_NO_DMA_CHANNEL, "no_dma_channel"},
    {P2PSCOPE_REASON_CPUS, "cpus"},
    {P2PSCOPE_REASON_DMA_OWNED, "dma_owned"},
    {P2PSCOPE_REASON_BUDGET, "budget"},
    {P2PSCOPE_REASON_LOCKDOWN, "lockdown"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 5> kP2p{{
    {P2PSCOPE_P2P_NONE, "none"},
    {P2PSCOPE_P2P_BUS_ADDR, "BUS_ADDR"},
    {P2PSCOPE_P2P_THRU_HOST_BRIDGE, "THRU_HOST_BRIDGE"},
    {P2PSCOPE_P2P_NOT_SUPPORTED, "NOT_SUPPORTED"},
    {P2PSCOPE_P2P_UNKNOWN, "unknown"},
}};

constexpr std::array<std::pair<uint32_t, std::string_view>, 4> kClocks{{
    {P2PSCOPE_CLOCK_DEFAULT, "default"},
    {P2PSCOPE_CLOCK_LOCAL, "local_clock"},
    {P2PSCOPE_CLOCK_MONOTONIC, "ktime_get_ns"},
    {P2PSCOPE_CLOCK_MONOTONIC_FAST, "ktime_get_mono_fast_ns"},
}};

}  // namespace

std::string_view api_name(uint32_t api) { return lookup(kApis, api); }
std::optional<uint32_t> parse_api(std::string_view name) { return reverse(kApis, name); }
std::vector<uint32_t> all_apis() {
    std::vector<uint32_t> v;
    for (const auto& [k, n] : kApis) v.push_back(k);
    return v;
}
std::string_view mem_name(uint32_t mem) { return lookup(kMems, mem); }
std::optional<uint32_t> parse_mem(std::string_view name) { return reverse(kMems, name); }
std::vector<uint32_t> all_mems() {
    std::vector<uint32_t> v;
    for (const auto& [k, n] : kMems) v.push_back(k);
    return v;
}
std::string_view dir_name(uint32_t dir) { return lookup(kDirs, dir); }
std::optional<uint32_t> parse_dir(std::string_view name) { return reverse(kDirs, name); }
std::string_view mode_name(uint32_t mode) { return lookup(kModes, mode); }
std::string_view iommu_name(uint32_t type) { return lookup(kIommu, type); }
std::string_view reason_name(uint32_t reason) { return lookup(kReasons, reason); }
std::string_view p2p_map_type_name(uint32_t t) { return lookup(kP2p, t); }
std::string_view clock_name(uint32_t clock) { return lookup(kClocks, clock); }

}  // namespace p2pscope::kclient
