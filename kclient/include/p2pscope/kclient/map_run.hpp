// SPDX-License-Identifier: GPL-2.0-or-later
// One map measurement as every front end runs it (p2pscope map, p2pscoped,
// the GUI), and its result as JSON (docs/map-json.md, one entry of results[]).
#pragma once

#include <nlohmann/json.hpp>

#include "p2pscope/kclient/device.hpp"

namespace p2pscope::kclient {

// Puts a request in the form the module takes for its API and memory:
// segments only for the APIs that map a list (1 for single-range APIs, 0 in
// for dma-bufs and noncontiguous allocations, whose count the module reports),
// and size 0 for dma-buf memory (the buffer has one).
MapRequest normalize(MapRequest request);

// Normalizes and runs a request. Dma-buf memory without a caller's fd gets a
// dma-buf of size_bytes per thread made for this run and closed after it: a
// udmabuf, or (DmabufSource::vfio) the peer's BAR exported by vfio-pci.
Result<MapResult> run_map(const Device& device, MapRequest request);

// What is known of a request before the module answers (map/unmap null).
nlohmann::json map_request_json(const MapRequest& request);
// One entry of p2pscope.map/1's results[].
nlohmann::json map_result_json(const MapRequest& request, const MapResult& result);

}  // namespace p2pscope::kclient
