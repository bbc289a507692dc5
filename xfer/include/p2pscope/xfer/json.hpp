// SPDX-License-Identifier: GPL-2.0-or-later
// The parts of schema p2pscope.xfer/1 (docs/xfer-json.md), for every program
// that reports transfers: p2pscope xfer, p2pscoped's journal and snapshot.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::xfer {

nlohmann::json request_json(const Request& request);  // the "request" object
nlohmann::json path_json(const PathInfo& path);        // the "path" object
// One "results[]" entry; the fraction is null without a ceiling or transfers.
nlohmann::json measurement_json(const Measurement& m, std::optional<double> ceiling_bytes_per_s);

}  // namespace p2pscope::xfer
