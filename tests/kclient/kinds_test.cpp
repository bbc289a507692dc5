// SPDX-License-Identifier: GPL-2.0-or-later
// The typed map APIs, memory types and directions: every one has a name that
// parses back to it, unknown names parse to none, and the traits say what the
// module's ops tables (kmod/api_*.c) and its checks (kmod/run.c, run_checks.c) say, as
// normalize() applies them. The expectations here are written out on their
// own, not read from kinds.hpp's tables, so that a wrong trait fails.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "p2pscope/kclient/kinds.hpp"
#include "p2pscope/kclient/map_run.hpp"
#include "p2pscope/kclient/names.hpp"

namespace p2pscope::kclient {
namespace {

// Each enum with its functions (names.hpp) and what they must give: its
// names in the UAPI's order, from the value `first`.
template <typename Code>
struct Kind;

template <>
struct Kind<MapApi> {
    static constexpr auto all = all_apis;
    static constexpr auto name = api_name;
    static constexpr auto parse = parse_api;
    static constexpr auto names = api_names;
    static constexpr uint32_t first = 1;  // 0 is not an API
    static inline const std::vector<std::string> want{"map_page",       "map_single",      "map_sgtable", "map_resource",
                                                      "alloc_coherent", "alloc_noncontig", "dmabuf",      "iova_link",
                                                      "iommu_domain",   "map_phys"};
};

template <>
struct Kind<MapMemory> {
    static constexpr auto all = all_mems;
    static constexpr auto name = mem_name;
    static constexpr auto parse = parse_mem;
    static constexpr auto names = mem_names;
    static constexpr uint32_t first = 1;  // 0 is not a memory type
    static inline const std::vector<std::string> want{"ram",    "ram_huge", "p2pmem",   "bar",
                                                      "bounce", "dmabuf",   "encrypted"};
};

template <>
struct Kind<MapDirection> {
    static constexpr auto all = all_dirs;
    static constexpr auto name = dir_name;
    static constexpr auto parse = parse_dir;
    static constexpr std::string (*names)() = dir_names;
    static constexpr uint32_t first = 0;
    static inline const std::vector<std::string> want{"bidirectional", "to_device", "from_device"};
};

template <typename Code>
class KindNames : public ::testing::Test {};

using Kinds = ::testing::Types<MapApi, MapMemory, MapDirection>;
TYPED_TEST_SUITE(KindNames, Kinds);

// Every value has its name, which parses back to it, in the UAPI's order.
TYPED_TEST(KindNames, EveryValueRoundTrips) {
    using K = Kind<TypeParam>;
    const std::vector<TypeParam> codes = K::all();
    ASSERT_EQ(codes.size(), K::want.size());
    std::string joined;
    for (size_t i = 0; i < codes.size(); ++i) {
        const TypeParam c = codes[i];
        EXPECT_EQ(static_cast<uint32_t>(c), K::first + i) << K::want[i];
        EXPECT_EQ(K::name(c), K::want[i]);
        EXPECT_EQ(K::parse(K::want[i]), c) << K::want[i];
        joined += (i ? ", " : "") + K::want[i];
    }
    EXPECT_EQ(K::names(), joined);
}

// For help texts, the last name after another joiner.
TEST(Kinds, NamesWithAnotherLastJoiner) {
    EXPECT_EQ(dir_names(" or "), "bidirectional, to_device or from_device");
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
    std::vector<std::string> lists;
    for (const auto api : all_apis())
        if (want.at(std::string(api_name(api))) == 8) lists.emplace_back(api_name(api));
    ASSERT_EQ(lists.size(), 3u);
    EXPECT_EQ(list_api_names(), lists[0] + ", " + lists[1] + ", " + lists[2]);
    EXPECT_EQ(list_api_names(" and "), lists[0] + ", " + lists[1] + " and " + lists[2]);
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

// A value outside the table: one range, as normalize() always treated it.
TEST(Kinds, ApiTraitsOutsideTheTableAreTheDefaults) {
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
