// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/names.hpp"

#include <array>
#include <utility>

#include "p2pscope.h"

namespace p2pscope::kclient {

namespace {

constexpr uint32_t value(MapApi a) { return static_cast<uint32_t>(a); }
constexpr uint32_t value(MapMemory m) { return static_cast<uint32_t>(m); }
constexpr uint32_t value(MapDirection d) { return static_cast<uint32_t>(d); }

// The typed tables (kinds.hpp) against the UAPI: every API and memory type it
// has (0 is neither), each at its own value, in order.
static_assert(kApiTable.size() == P2PSCOPE_API_COUNT - 1, "kApiTable: one entry per P2PSCOPE_API_*");
static_assert(kMemTable.size() == P2PSCOPE_MEM_COUNT - 1, "kMemTable: one entry per P2PSCOPE_MEM_*");
static_assert(kDirTable.size() == P2PSCOPE_DIR_FROM_DEVICE + 1, "kDirTable: one entry per P2PSCOPE_DIR_*");
constexpr bool in_uapi_order() {
    for (size_t i = 0; i < kApiTable.size(); ++i)
        if (value(kApiTable[i].api) != i + 1) return false;
    for (size_t i = 0; i < kMemTable.size(); ++i)
        if (value(kMemTable[i].mem) != i + 1) return false;
    for (size_t i = 0; i < kDirTable.size(); ++i)
        if (value(kDirTable[i].dir) != i) return false;
    return true;
}
static_assert(in_uapi_order(), "kinds.hpp's tables: entry i of each holds value i (+ 1 where 0 is none)");

static_assert(value(MapApi::map_page) == P2PSCOPE_API_MAP_PAGE);
static_assert(value(MapApi::map_single) == P2PSCOPE_API_MAP_SINGLE);
static_assert(value(MapApi::map_sgtable) == P2PSCOPE_API_MAP_SGTABLE);
static_assert(value(MapApi::map_resource) == P2PSCOPE_API_MAP_RESOURCE);
static_assert(value(MapApi::alloc_coherent) == P2PSCOPE_API_ALLOC_COHERENT);
static_assert(value(MapApi::alloc_noncontig) == P2PSCOPE_API_ALLOC_NONCONTIG);
static_assert(value(MapApi::dmabuf) == P2PSCOPE_API_DMABUF);
static_assert(value(MapApi::iova_link) == P2PSCOPE_API_IOVA_LINK);
static_assert(value(MapApi::iommu_domain) == P2PSCOPE_API_IOMMU_DOMAIN);
static_assert(value(MapApi::map_phys) == P2PSCOPE_API_MAP_PHYS);

static_assert(value(MapMemory::ram) == P2PSCOPE_MEM_RAM);
static_assert(value(MapMemory::ram_huge) == P2PSCOPE_MEM_RAM_HUGE);
static_assert(value(MapMemory::p2pmem) == P2PSCOPE_MEM_P2PMEM);
static_assert(value(MapMemory::bar) == P2PSCOPE_MEM_BAR);
static_assert(value(MapMemory::bounce) == P2PSCOPE_MEM_BOUNCE);
static_assert(value(MapMemory::dmabuf) == P2PSCOPE_MEM_DMABUF);
static_assert(value(MapMemory::encrypted) == P2PSCOPE_MEM_ENCRYPTED);

static_assert(value(MapDirection::bidirectional) == P2PSCOPE_DIR_BIDIRECTIONAL);
static_assert(value(MapDirection::to_device) == P2PSCOPE_DIR_TO_DEVICE);
static_assert(value(MapDirection::from_device) == P2PSCOPE_DIR_FROM_DEVICE);

template <size_t N>
std::string_view lookup(const std::array<std::pair<uint32_t, std::string_view>, N>& table, uint32_t v) {
    for (const auto& [k, name] : table)
        if (k == v) return name;
    return "unknown";
}

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

std::string_view api_name(MapApi api) {
    for (const auto& e : kApiTable)
        if (e.api == api) return e.name;
    return "unknown";
}
std::optional<MapApi> parse_api(std::string_view name) {
    for (const auto& e : kApiTable)
        if (e.name == name) return e.api;
    return std::nullopt;
}
std::vector<MapApi> all_apis() {
    std::vector<MapApi> v;
    for (const auto& e : kApiTable) v.push_back(e.api);
    return v;
}

std::string_view mem_name(MapMemory mem) {
    for (const auto& e : kMemTable)
        if (e.mem == mem) return e.name;
    return "unknown";
}
std::optional<MapMemory> parse_mem(std::string_view name) {
    for (const auto& e : kMemTable)
        if (e.name == name) return e.mem;
    return std::nullopt;
}
std::vector<MapMemory> all_mems() {
    std::vector<MapMemory> v;
    for (const auto& e : kMemTable) v.push_back(e.mem);
    return v;
}

std::string_view dir_name(MapDirection dir) {
    for (const auto& e : kDirTable)
        if (e.dir == dir) return e.name;
    return "unknown";
}
std::optional<MapDirection> parse_dir(std::string_view name) {
    for (const auto& e : kDirTable)
        if (e.name == name) return e.dir;
    return std::nullopt;
}
std::vector<MapDirection> all_dirs() {
    std::vector<MapDirection> v;
    for (const auto& e : kDirTable) v.push_back(e.dir);
    return v;
}

std::string_view mode_name(uint32_t mode) { return lookup(kModes, mode); }
std::string_view iommu_name(uint32_t type) { return lookup(kIommu, type); }
std::string_view reason_name(uint32_t reason) { return lookup(kReasons, reason); }
std::string_view p2p_map_type_name(uint32_t t) { return lookup(kP2p, t); }
std::string_view clock_name(uint32_t clock) { return lookup(kClocks, clock); }

}  // namespace p2pscope::kclient
