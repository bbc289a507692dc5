// SPDX-License-Identifier: GPL-2.0-or-later
// Names for the UAPI's numeric codes, as the command line and JSON spell them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/kclient/kinds.hpp"

namespace p2pscope::kclient {

// Names of the tables in kinds.hpp; "unknown" for a value outside them, none
// for a name outside them. all_*: in the UAPI's order; *_names: every name in
// that order, comma-separated, for help and error texts.
std::string_view api_name(MapApi api);          // "map_single"
std::optional<MapApi> parse_api(std::string_view name);
std::vector<MapApi> all_apis();
std::string api_names();                        // "map_page, map_single, ..."
// The APIs that map a list of segments (Segments::list), `last` before the
// last one: "map_sgtable, iova_link, iommu_domain", or with " and "
// "map_sgtable, iova_link and iommu_domain".
std::string list_api_names(std::string_view last = ", ");

std::string_view mem_name(MapMemory mem);       // "ram_huge"
std::optional<MapMemory> parse_mem(std::string_view name);
std::vector<MapMemory> all_mems();
std::string mem_names();                        // "ram, ram_huge, ..."

std::string_view dir_name(MapDirection dir);    // "bidirectional", "to_device", "from_device"
std::optional<MapDirection> parse_dir(std::string_view name);
std::vector<MapDirection> all_dirs();
std::string dir_names();
std::string dir_names(std::string_view last);   // " or ": "bidirectional, to_device or from_device"

std::string_view mode_name(uint32_t mode);      // "exclusive", "borrowed", "none"
std::string_view iommu_name(uint32_t type);     // "DMA-FQ", ...
std::string_view reason_name(uint32_t reason);  // "no_p2pmem", ...
std::string_view p2p_map_type_name(uint32_t t); // "BUS_ADDR", ...
std::string_view clock_name(uint32_t clock);

}  // namespace p2pscope::kclient
