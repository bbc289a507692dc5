// SPDX-License-Identifier: GPL-2.0-or-later
// The map APIs, memory types and directions of the UAPI as typed enums, each
// with its name and what the module's ops tables (kmod/api_*.c) say of it. Each
// value is the UAPI's macro, so a request converts with a static_cast. The C
// header comes with kclient's headers, but user space outside kclient names
// these enums (and uapi.hpp's constants), never a P2PSCOPE_* macro.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "p2pscope.h"  // kmod/uapi: the UAPI of p2pscope.ko

namespace p2pscope::kclient {

enum class MapApi : uint32_t {
    map_page = P2PSCOPE_API_MAP_PAGE,
    map_single = P2PSCOPE_API_MAP_SINGLE,
    map_sgtable = P2PSCOPE_API_MAP_SGTABLE,
    map_resource = P2PSCOPE_API_MAP_RESOURCE,
    alloc_coherent = P2PSCOPE_API_ALLOC_COHERENT,
    alloc_noncontig = P2PSCOPE_API_ALLOC_NONCONTIG,
    dmabuf = P2PSCOPE_API_DMABUF,
    iova_link = P2PSCOPE_API_IOVA_LINK,
    iommu_domain = P2PSCOPE_API_IOMMU_DOMAIN,
    map_phys = P2PSCOPE_API_MAP_PHYS,
};

enum class MapMemory : uint32_t {
    ram = P2PSCOPE_MEM_RAM,
    ram_huge = P2PSCOPE_MEM_RAM_HUGE,
    p2pmem = P2PSCOPE_MEM_P2PMEM,
    bar = P2PSCOPE_MEM_BAR,
    bounce = P2PSCOPE_MEM_BOUNCE,
    dmabuf = P2PSCOPE_MEM_DMABUF,
    encrypted = P2PSCOPE_MEM_ENCRYPTED,
};

enum class MapDirection : uint32_t {
    bidirectional = P2PSCOPE_DIR_BIDIRECTIONAL,
    to_device = P2PSCOPE_DIR_TO_DEVICE,
    from_device = P2PSCOPE_DIR_FROM_DEVICE,
};

// How an API takes the request's segments (the module refuses any other count).
enum class Segments : uint8_t {
    one,     // one range: segments is 1
    list,    // a list the caller sizes: 1 .. the UAPI's maximum, size_bytes / segments each
    module,  // the module decides: 0 in, the number of mapped entries out
};

struct ApiTraits {
    Segments segments = Segments::one;
};

// Whose the memory is when it is not the host's.
enum class MemPeer : uint8_t {
    none,      // host memory: no peer
    owner,     // the peer's: p2pmem's provider, the BAR's device
    exporter,  // a dma-buf: the device that exported it, needed when it is a device's (vfio-pci); a udmabuf is RAM
};

struct MemTraits {
    MemPeer peer = MemPeer::none;
};

struct ApiInfo {
    MapApi api;
    std::string_view name;  // as the command line and JSON spell it
    ApiTraits traits;
};

struct MemInfo {
    MapMemory mem;
    std::string_view name;
    MemTraits traits;
};

struct DirInfo {
    MapDirection dir;
    std::string_view name;
};

// In UAPI order: entry i holds the API of value i + 1 (names.cpp checks it).
inline constexpr std::array<ApiInfo, 10> kApiTable{{
    {MapApi::map_page, "map_page", {Segments::one}},
    {MapApi::map_single, "map_single", {Segments::one}},
    {MapApi::map_sgtable, "map_sgtable", {Segments::list}},
    {MapApi::map_resource, "map_resource", {Segments::one}},
    {MapApi::alloc_coherent, "alloc_coherent", {Segments::one}},
    {MapApi::alloc_noncontig, "alloc_noncontig", {Segments::module}},
    {MapApi::dmabuf, "dmabuf", {Segments::module}},
    {MapApi::iova_link, "iova_link", {Segments::list}},
    {MapApi::iommu_domain, "iommu_domain", {Segments::list}},
    {MapApi::map_phys, "map_phys", {Segments::one}},
}};

// Entry i holds the memory type of value i + 1.
inline constexpr std::array<MemInfo, 7> kMemTable{{
    {MapMemory::ram, "ram", {MemPeer::none}},
    {MapMemory::ram_huge, "ram_huge", {MemPeer::none}},
    {MapMemory::p2pmem, "p2pmem", {MemPeer::owner}},
    {MapMemory::bar, "bar", {MemPeer::owner}},
    {MapMemory::bounce, "bounce", {MemPeer::none}},
    // whose memory a dma-buf holds is the exporter's business: a udmabuf's is RAM
    {MapMemory::dmabuf, "dmabuf", {MemPeer::exporter}},
    {MapMemory::encrypted, "encrypted", {MemPeer::none}},
}};

// Entry i holds the direction of value i.
inline constexpr std::array<DirInfo, 3> kDirTable{{
    {MapDirection::bidirectional, "bidirectional"},
    {MapDirection::to_device, "to_device"},
    {MapDirection::from_device, "from_device"},
}};

// The traits of a value outside the tables (a cast of a bad number, which the
// module refuses anyway) are the defaults: one range, host memory.
constexpr ApiTraits api_traits(MapApi api) {
    for (const auto& e : kApiTable)
        if (e.api == api) return e.traits;
    return {};
}

constexpr MemTraits mem_traits(MapMemory mem) {
    for (const auto& e : kMemTable)
        if (e.mem == mem) return e.traits;
    return {};
}

}  // namespace p2pscope::kclient
