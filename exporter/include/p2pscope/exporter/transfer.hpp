// SPDX-License-Identifier: GPL-2.0-or-later
// Transfer engines: how p2pscoped moves real data over a path and measures it.
// Each engine is one object behind this interface; the engines built in are
// p2pscope xfer's (every xfer::EngineSpec registered), adapted in
// lib/transfer.cpp, and tests add fakes. A request is p2pscope xfer's
// (xfer::Request, the same fields the `p2pscope xfer` command line sets); a
// result is the engine's rows (one per access width or copy kind) and the
// path they crossed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/exporter/record.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::exporter {

using TransferRequest = xfer::Request;

struct TransferResult {
    // ok: every row ran (or was waived by the engine, e.g. a width the CPU
    // lacks) and what was checked verified. waived: the engine cannot serve the
    // request here (its check() said why), or every row was waived. failed:
    // setup or run failed, a row faulted or stopped, or data did not verify.
    Outcome status = Outcome::failed;
    std::string reason;                 // why, when not ok
    std::vector<xfer::Measurement> rows;  // empty when waived before running
    xfer::PathInfo path;                  // the path as the prober sees it
};

class TransferEngine {
public:
    virtual ~TransferEngine() = default;
    // What the engine is and takes: its name (the engine label), capabilities,
    // memories, directions and defaults (spec().complete()).
    virtual const xfer::EngineSpec& spec() const = 0;
    // Runs one measurement. A request the engine cannot serve here is a
    // waived result with the reason, not an exception.
    virtual TransferResult run(const TransferRequest& request) = 0;
};

using TransferEngines = std::vector<std::shared_ptr<TransferEngine>>;

// The engines compiled into p2pscoped: every engine of p2pscope xfer, by name.
TransferEngines builtin_transfer_engines();

}  // namespace p2pscope::exporter
