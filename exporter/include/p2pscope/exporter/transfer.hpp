// SPDX-License-Identifier: GPL-2.0-or-later
// Transfer engines: how p2pscoped moves real data over a path and measures it.
// Each engine is one object behind this interface, registered by name; the
// engines built in are p2pscope xfer's (xfer/src/registry.cpp), adapted in
// lib/xfer_engines.cpp. A request is p2pscope xfer's (xfer::Request, the same
// fields the `p2pscope xfer` command line sets); a result is the engine's rows
// (one per access width or copy kind) and the path they crossed.
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
    // Stable key ("cpu", "gpu", "p2pmem-odirect"): the engine label.
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    // xfer::Capability bits (kCapQueueDepth, kCapAccessWidth, ...).
    virtual uint32_t capabilities() const = 0;
    // Fills what the configuration left out with the engine's defaults, as
    // `p2pscope xfer` does (cpu: memory file when a file is named, else uc,
    // direction read; gpu: h2d; nvme: ram, read; dmaengine: ram-to-ram, copy;
    // others: copy).
    virtual void complete(TransferRequest& request) const = 0;
    // Runs one measurement. A request the engine cannot serve here is a
    // waived result with the reason, not an exception.
    virtual TransferResult run(const TransferRequest& request) = 0;
};

using TransferEngines = std::vector<std::shared_ptr<TransferEngine>>;

// The engines compiled into p2pscoped: every engine of p2pscope xfer, in its
// registry's order.
TransferEngines builtin_transfer_engines();

// The class of an xfer::Measurement status ("ok", "waived: ...", "fault:
// ...", "error: ..."): ok, waived, fault or error: a bounded label value.
std::string_view row_status_class(std::string_view status);

}  // namespace p2pscope::exporter
