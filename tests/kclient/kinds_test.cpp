// SPDX-License-Identifier: GPL-2.0-or-later
// The typed map APIs, memory types and directions: every one has a name that
// parses back to it, unknown names parse to none, and the traits say what the
// module's ops table (kmod/api.c) and its checks (kmod/run.c) say, as
// normalize() applies them. The expectations here are written out on their
// own, not read from kinds.hpp's tables, so that a wrong trait fails.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "p2pscope/kclient/kinds.hpp"
#include "p2pscope/kclient/map_run.hpp"
#include "p2pscope/kclient/names.hpp"

namespace p2pscope::kclient {
namespace {

TEST(Kinds, EveryApiRoundTrips) {
    const auto apis = all_apis();
    ASSERT_EQ(apis.size(), 10u);
    std::set<std::string_view> names;
    uint32_t want = 1;  // in the UAPI's order, from 1 (0 is not an API)
    for (MapApi a : apis) {
        EXPECT_EQ(static_cast<uint32_t>(a), want++);
        const auto name = api_name(a);
        EXPECT_NE(name, "unknown");
        EXPECT_TRUE(names.insert(name).second) << name << " twice";
        EXPECT_EQ(parse_api(name), a) << name;
    }
    EXPECT_EQ(api_name(MapApi::map_single), "map_single");
    EXPECT_EQ(api_name(MapApi::map_phys), "map_phys");
    EXPECT_EQ(parse_api("iommu_domain"), MapApi::iommu_domain);
}

TEST(Kinds, EveryMemoryRoundTrips) {
    const auto mems = all_mems();
    ASSERT_EQ(mems.size(), 7u);
    std::set<std::string_view> names;
    uint32_t want = 1;
    for (MapMemory m : mems) {
        EXPECT_EQ(static_cast<uint32_t>(m), want++);
        const auto name = mem_name(m);
        EXPECT_NE(name, "unknown");
        EXPECT_TRUE(names.insert(name).second) << name << " twice";
        EXPECT_EQ(parse_mem(name), m) << name;
    }
    EXPECT_EQ(mem_name(MapMemory::ram_huge), "ram_huge");
    EXPECT_EQ(parse_mem("encrypted"), MapMemory::encrypted);
}

TEST(Kinds, EveryDirectionRoundTrips) {
    const auto dirs = all_dirs();
    ASSERT_EQ(dirs.size(), 3u);
    uint32_t want = 0;
    for (MapDirection d : dirs) {
        EXPECT_EQ(static_cast<uint32_t>(d), want++);
        EXPECT_EQ(parse_dir(dir_name(d)), d) << dir_name(d);
    }
    EXPECT_EQ(dir_name(MapDirection::bidirectional), "bidirectional");
    EXPECT_EQ(dir_name(MapDirection::to_device), "to_device");
    EXPECT_EQ(dir_name(MapDirection::from_device), "from_device");
}

TEST(Kinds, UnknownNamesParseToNone) {
    for (const char* n : {"", "all", "map_all", "MAP_SINGLE", "dma_map_single", "map_single "})
        EXPECT_FALSE(parse_api(n)) << '"' << n << '"';
    for (const char* n : {"", "all", "vram", "RAM", "hugepage", "p2p"}) EXPECT_FALSE(parse_mem(n)) << '"' << n << '"';
    for (const char* n : {"", "both", "read", "write", "TO_DEVICE"}) EXPECT_FALSE(parse_dir(n)) << '"' << n << '"';
}

TEST(Kinds, ValuesOutsideTheTablesAreUnknown) {
    EXPECT_EQ(api_name(static_cast<MapApi>(0)), "unknown");
    EXPECT_EQ(api_name(static_cast<MapApi>(11)), "unknown");
    EXPECT_EQ(mem_name(static_cast<MapMemory>(0)), "unknown");
    EXPECT_EQ(mem_name(static_cast<MapMemory>(8)), "unknown");
    EXPECT_EQ(dir_name(static_cast<MapDirection>(3)), "unknown");
}

// segments 8 in: what normalize() sends the module, by API (kmod/run.c: 0 for
// the APIs that decide the segments, 1 for single_range, the list as given).
TEST(Kinds, NormalizeSizesSegmentsAsTheModuleTakesThem) {
    const std::map<std::string, uint32_t> want{
        {"map_page", 1},       {"map_single", 1},      {"map_sgtable", 8}, {"map_resource", 1},
        {"alloc_coherent", 1}, {"alloc_noncontig", 0}, {"dmabuf", 0},      {"iova_link", 8},
        {"iommu_domain", 8},   {"map_phys", 1},
    };
    ASSERT_EQ(want.size(), all_apis().size());
    for (const auto& [name, segments] : want) {
        const auto api = parse_api(name);
        ASSERT_TRUE(api) << name;
        MapRequest q;
        q.api = *api;
        q.segments = 8;
        EXPECT_EQ(normalize(q).segments, segments) << name;
        const Segments how = api_traits(*api).segments;
        EXPECT_EQ(how == Segments::list, segments == 8) << name;
        EXPECT_EQ(how == Segments::module, segments == 0) << name;
        EXPECT_EQ(how == Segments::one, segments == 1) << name;
    }
}

TEST(Kinds, ApiTraitsFollowTheModulesOpsTable) {
    for (MapApi a : all_apis()) {
        const auto t = api_traits(a);
        const auto name = std::string(api_name(a));
        EXPECT_EQ(t.allocates, name == "alloc_coherent" || name == "alloc_noncontig") << name;
        EXPECT_EQ(t.exclusive_only, name == "iommu_domain") << name;
    }
    // a value outside the table: one range, as normalize() always treated it
    EXPECT_EQ(api_traits(static_cast<MapApi>(0)).segments, Segments::one);
}

TEST(Kinds, MemoryTraits) {
    const std::map<std::string, MemPeer> peer{
        {"ram", MemPeer::none},    {"ram_huge", MemPeer::none},   {"p2pmem", MemPeer::owner}, {"bar", MemPeer::owner},
        {"bounce", MemPeer::none}, {"dmabuf", MemPeer::exporter}, {"encrypted", MemPeer::none},
    };
    ASSERT_EQ(peer.size(), all_mems().size());
    for (const auto& [name, want] : peer) {
        const auto m = parse_mem(name);
        ASSERT_TRUE(m) << name;
        EXPECT_EQ(mem_traits(*m).peer, want) << name;
        EXPECT_EQ(mem_traits(*m).device_memory, name == "p2pmem" || name == "bar") << name;
    }
}

TEST(Kinds, NormalizeKeepsIovaPerRequestForIovaLinkOnly) {
    for (MapApi a : all_apis()) {
        MapRequest q;
        q.api = a;
        q.flags = kMapIovaPerRequest | kMapDirty;
        const auto n = normalize(q);
        EXPECT_EQ((n.flags & kMapIovaPerRequest) != 0, a == MapApi::iova_link) << api_name(a);
        EXPECT_NE(n.flags & kMapDirty, 0u) << api_name(a);
    }
}

TEST(Kinds, NormalizeDropsTheExporterOfAUdmabuf) {
    MapRequest q;
    q.api = MapApi::dmabuf;
    q.mem = MapMemory::dmabuf;
    q.peer = probe::PciAddress{0, 0x36, 0, 0};
    EXPECT_FALSE(normalize(q).peer) << "a udmabuf is RAM";
    q.dmabuf_source = MapRequest::DmabufSource::vfio;
    EXPECT_TRUE(normalize(q).peer) << "vfio-pci exports the peer's BAR";
    q.dmabuf_source = MapRequest::DmabufSource::udmabuf;
    q.dmabuf_fd = 5;
    EXPECT_TRUE(normalize(q).peer) << "a caller's dma-buf may be the peer's";
    q.mem = MapMemory::p2pmem;
    q.dmabuf_fd = -1;
    EXPECT_TRUE(normalize(q).peer) << "p2pmem's provider";
}

TEST(Kinds, RequestJsonSpellsTheNames) {
    MapRequest q;
    q.api = MapApi::iova_link;
    q.mem = MapMemory::ram_huge;
    q.dir = MapDirection::to_device;
    q.flags = kMapIovaPerRequest;
    const auto j = map_request_json(q);
    EXPECT_EQ(j["api"], "iova_link");
    EXPECT_EQ(j["memory"], "ram_huge");
    EXPECT_EQ(j["direction"], "to_device");
    EXPECT_EQ(j["iova"], "per_request");
    q.api = MapApi::map_single;
    EXPECT_TRUE(map_request_json(q)["iova"].is_null());
}

TEST(Kinds, RequestDefaults) {
    const MapRequest q;
    EXPECT_EQ(q.api, MapApi::map_single);
    EXPECT_EQ(q.mem, MapMemory::ram);
    EXPECT_EQ(q.dir, MapDirection::bidirectional);
}

}  // namespace
}  // namespace p2pscope::kclient
