// SPDX-License-Identifier: GPL-2.0-or-later
// What the engines that run inside p2pscope.ko (nvme, dmaengine) share (internal).
#pragma once

#include <optional>
#include <string>

#include "p2pscope/kclient/histogram.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer::detail {

// Why the module's node cannot be used, or none. Running a kernel engine
// without its module is a bad selection (exit 2), as naming an unknown device is.
std::optional<std::string> missing_module(const std::string& node);

// Percentiles from the module's log-linear histogram.
Latency latency_from(const kclient::Histogram& h);

// A run the module refused before moving data is a waiver of this machine;
// one that stopped after transfers began is an error of the run.
void set_module_status(Measurement& m, uint32_t status, uint64_t transfers, const char* reason);

// "128K", "1M", "4000".
std::string bytes_label(uint64_t bytes);

}  // namespace p2pscope::xfer::detail
