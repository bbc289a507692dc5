// SPDX-License-Identifier: GPL-2.0-or-later
// Transfer engines: how data is moved between two devices (a later issue).
// Each engine is one object behind this interface, registered by name; the
// transfer measurement kind and the transfer collector exist only while at
// least one engine is built in. Today none is, so p2pscoped accepts no
// transfer measurement and lists no transfer collector: it exposes nothing it
// did not measure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/exporter/record.hpp"
#include "p2pscope/probe/topology.hpp"

namespace p2pscope::exporter {

struct TransferRequest {
    probe::PciAddress source;       // whose memory is read
    probe::PciAddress destination;  // whose memory is written
    uint64_t size_bytes = 1 << 20;  // per transfer
    double seconds = 1.0;           // duration of the measurement
};

struct TransferResult {
    Outcome status = Outcome::failed;
    std::string reason;  // why, when not ok
    uint64_t bytes = 0;  // moved in the run
    double elapsed_s = 0;
    LatencyFigures latency;  // per transfer
};

class TransferEngine {
public:
    virtual ~TransferEngine() = default;
    // Stable snake_case key ("cpu_memcpy", "dma_engine", ...): the engine label.
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    // Runs one measurement. A pair the engine cannot serve is a waived result
    // with the reason, not an exception.
    virtual TransferResult run(const TransferRequest& request) = 0;
};

using TransferEngines = std::vector<std::shared_ptr<TransferEngine>>;

// The engines compiled into p2pscoped: none yet.
TransferEngines builtin_transfer_engines();

}  // namespace p2pscope::exporter
