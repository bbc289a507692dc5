// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/names.hpp"

#include <array>
#include <string>
#include <utility>

#include "p2pscope.h"
#include "p2pscope/list_text.hpp"

namespace p2pscope::kclient {

namespace {

// The typed tables (kinds.hpp) against the UAPI: every API and memory type it
// has (0 is neither) and every direction, each at its own value, in order.
static_assert(kApiTable.size() == P2PSCOPE_API_COUNT - 1, "kApiTable: one entry per P2PSCOPE_API_*");
static_assert(kMemTable.size() == P2PSCOPE_MEM_COUNT - 1, "kMemTable: one entry per P2PSCOPE_MEM_*");
static_assert(kDirTable.size() == P2PSCOPE_DIR_FROM_DEVICE + 1, "kDirTable: one entry per P2PSCOPE_DIR_*");
template <typename Table, typename Code>
constexpr bool in_uapi_order(const Table& table, Code Table::value_type::*code, uint32_t first) {
    for (size_t i = 0; i < table.size(); ++i)
        if (static_cast<uint32_t>(table[i].*code) != first + i) return false;
    return true;
}
static_assert(in_uapi_order(kApiTable, &ApiInfo::api, 1), "kApiTable: entry i holds the API of value i + 1");
static_assert(in_uapi_order(kMemTable, &MemInfo::mem, 1), "kMemTable: entry i holds the memory of value i + 1");
static_assert(in_uapi_order(kDirTable, &DirInfo::dir, 0), "kDirTable: entry i holds the direction of value i");

// Name, parse and list over one of the typed tables; `code` is its entries' value.
template <typename Table, typename Code>
std::string_view name_in(const Table& table, Code Table::value_type::*code, Code c) {
    for (const auto& e : table)
        if (e.*code == c) return e.name;
    return "unknown";
}

template <typename Table, typename Code>
std::optional<Code> parse_in(const Table& table, Code Table::value_type::*code, std::string_view name) {
    for (const auto& e : table)
        if (e.name == name) return e.*code;
    return std::nullopt;
}

template <typename Table, typename Code>
std::vector<Code> list_of(const Table& table, Code Table::value_type::*code) {
    std::vector<Code> v;
    for (const auto& e : table) v.push_back(e.*code);
    return v;
}

// "a, b, c", or with `last` " or ": "a, b or c".
template <typename Table>
std::string names_in(const Table& table, std::string_view last = ", ") {
    std::vector<std::string_view> names;
    for (const auto& e : table) names.push_back(e.name);
    return list_text(names, last);
}

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

std::string_view api_name(MapApi api) { return name_in(kApiTable, &ApiInfo::api, api); }
std::optional<MapApi> parse_api(std::string_view name) { return parse_in(kApiTable, &ApiInfo::api, name); }
std::vector<MapApi> all_apis() { return list_of(kApiTable, &ApiInfo::api); }
std::string api_names() { return names_in(kApiTable); }
std::string list_api_names(std::string_view last) {
    std::vector<std::string_view> names;
    for (const auto& e : kApiTable)
        if (e.traits.segments == Segments::list) names.push_back(e.name);
    return list_text(names, last);
}

std::string_view mem_name(MapMemory mem) { return name_in(kMemTable, &MemInfo::mem, mem); }
std::optional<MapMemory> parse_mem(std::string_view name) { return parse_in(kMemTable, &MemInfo::mem, name); }
std::vector<MapMemory> all_mems() { return list_of(kMemTable, &MemInfo::mem); }
std::string mem_names() { return names_in(kMemTable); }

std::string_view dir_name(MapDirection dir) { return name_in(kDirTable, &DirInfo::dir, dir); }
std::optional<MapDirection> parse_dir(std::string_view name) { return parse_in(kDirTable, &DirInfo::dir, name); }
std::vector<MapDirection> all_dirs() { return list_of(kDirTable, &DirInfo::dir); }
std::string dir_names() { return names_in(kDirTable); }
std::string dir_names(std::string_view last) { return names_in(kDirTable, last); }

std::string_view mode_name(uint32_t mode) { return lookup(kModes, mode); }
std::string_view iommu_name(uint32_t type) { return lookup(kIommu, type); }
std::string_view reason_name(uint32_t reason) { return lookup(kReasons, reason); }
std::string_view p2p_map_type_name(uint32_t t) { return lookup(kP2p, t); }
std::string_view clock_name(uint32_t clock) { return lookup(kClocks, clock); }

}  // namespace p2pscope::kclient
