// SPDX-License-Identifier: GPL-2.0-or-later
// The map APIs, memory types and directions of the UAPI as typed enums, each
// with its name and what the module's ops table (kmod/api.c) says of it. The
// values are the UAPI's (names.cpp checks them), so a request converts with a
// static_cast; user space outside kclient never sees a P2PSCOPE_* code.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace p2pscope::kclient {

enum class MapApi : uint32_t {
    map_page = 1,
    map_single = 2,
    map_sgtable = 3,
    map_resource = 4,
    alloc_coherent = 5,
    alloc_noncontig = 6,
    dmabuf = 7,
    iova_link = 8,
    iommu_domain = 9,
    map_phys = 10,
};

enum class MapMemory : uint32_t {
    ram = 1,
    ram_huge = 2,
    p2pmem = 3,
    bar = 4,
    bounce = 5,
    dmabuf = 6,
    encrypted = 7,
};

enum class MapDirection : uint32_t {
    bidirectional = 0,
    to_device = 1,
    from_device = 2,
};

// How an API takes the request's segments (the module refuses any other count).
enum class Segments : uint8_t {
    one,     // one range: segments is 1
    list,    // a list the caller sizes: 1 .. the UAPI's maximum, size_bytes / segments each
    module,  // the module decides: 0 in, the number of mapped entries out
};

struct ApiTraits {
    Segments segments = Segments::one;
    bool allocates = false;       // the memory is the DMA allocator's own (mem RAM or ENCRYPTED)
    bool exclusive_only = false;  // needs the device bound to p2pscope, never borrowed
};

// Whose the memory is when it is not the host's.
enum class MemPeer : uint8_t {
    none,      // host memory: no peer
    owner,     // the peer's: p2pmem's provider, the BAR's device
    exporter,  // a dma-buf: the device that exported it, needed when it is a device's (vfio-pci); a udmabuf is RAM
};

struct MemTraits {
    MemPeer peer = MemPeer::none;
    bool device_memory = false;  // lives in a device's BAR (with or without struct pages)
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
    {MapApi::map_page, "map_page", {Segments::one, false, false}},
    {MapApi::map_single, "map_single", {Segments::one, false, false}},
    {MapApi::map_sgtable, "map_sgtable", {Segments::list, false, false}},
    {MapApi::map_resource, "map_resource", {Segments::one, false, false}},
    {MapApi::alloc_coherent, "alloc_coherent", {Segments::one, true, false}},
    {MapApi::alloc_noncontig, "alloc_noncontig", {Segments::module, true, false}},
    {MapApi::dmabuf, "dmabuf", {Segments::module, false, false}},
    {MapApi::iova_link, "iova_link", {Segments::list, false, false}},
    {MapApi::iommu_domain, "iommu_domain", {Segments::list, false, true}},
    {MapApi::map_phys, "map_phys", {Segments::one, false, false}},
}};

// Entry i holds the memory type of value i + 1.
inline constexpr std::array<MemInfo, 7> kMemTable{{
    {MapMemory::ram, "ram", {MemPeer::none, false}},
    {MapMemory::ram_huge, "ram_huge", {MemPeer::none, false}},
    {MapMemory::p2pmem, "p2pmem", {MemPeer::owner, true}},
    {MapMemory::bar, "bar", {MemPeer::owner, true}},
    {MapMemory::bounce, "bounce", {MemPeer::none, false}},
    // whose memory a dma-buf holds is the exporter's business: a udmabuf's is RAM
    {MapMemory::dmabuf, "dmabuf", {MemPeer::exporter, false}},
    {MapMemory::encrypted, "encrypted", {MemPeer::none, false}},
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
