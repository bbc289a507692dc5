// SPDX-License-Identifier: GPL-2.0-or-later
// Names for the UAPI's numeric codes, as the command line and JSON spell them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace p2pscope::kclient {

std::string_view api_name(uint32_t api);        // "map_single"
std::optional<uint32_t> parse_api(std::string_view name);
std::vector<uint32_t> all_apis();

std::string_view mem_name(uint32_t mem);        // "ram_huge"
std::optional<uint32_t> parse_mem(std::string_view name);
std::vector<uint32_t> all_mems();

std::string_view dir_name(uint32_t dir);        // "bidirectional", "to_device", "from_device"
std::optional<uint32_t> parse_dir(std::string_view name);

std::string_view mode_name(uint32_t mode);      // "exclusive", "borrowed", "none"
std::string_view iommu_name(uint32_t type);     // "DMA-FQ", ...
std::string_view reason_name(uint32_t reason);  // "no_p2pmem", ...
std::string_view p2p_map_type_name(uint32_t t); // "BUS_ADDR", ...
std::string_view clock_name(uint32_t clock);

}  // namespace p2pscope::kclient
