// SPDX-License-Identifier: GPL-2.0-or-later
// In-process measurements the run controls start and stop, one at a time, on
// one worker thread. A map measurement runs through kclient (/dev/p2pscope),
// one short kernel run per plotted sample, until stopped or until the module
// says it cannot run (waived, with the module's reason). A transfer runs one
// of xfer's engines (p2pscope xfer's, in-process): check() first (a waived
// engine is reported with its reason and does not run), then setup, run,
// teardown; every run appends each row's bandwidth and latency to the
// bandwidth series, once or (repeat) until stopped.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "p2pscope/gui/snapshot.hpp"
#include "p2pscope/gui/store.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::gui {

// One sample of a map measurement.
class MapBackend {
public:
    virtual ~MapBackend() = default;
    // A result the module could not produce comes back as a measurement with
    // status waived or stopped and the reason; an Error means the request was refused.
    virtual Result<MeasurementView> run(const MapSpec& spec) = 0;
};

// /dev/p2pscope through kclient; the error says how to load the module when it is missing.
Result<std::unique_ptr<MapBackend>> open_kclient_backend(const std::string& device_node);

// The measurement key the in-process runs use, one series per configuration.
std::string map_key(const MapSpec& spec);

// Whether a map memory type is a peer's own (p2pmem, bar): the pair's column owns it.
bool memory_needs_peer(const std::string& memory);

// Checks a spec before it runs: known API and memory type, BDFs, a peer where the memory needs one.
Status check_spec(const MapSpec& spec);

// The transfer engines (xfer's registry), in its order.
std::vector<std::string> transfer_engine_names();

// What the run controls offer for an engine: p2pscope xfer's values of its
// memory and direction options, the default first (empty: a free text field).
struct EngineChoices {
    std::string description;
    std::string capabilities;  // "read write verify access-width"
    std::vector<std::string> memories, directions;
    bool widths = false;  // access widths apply
    bool peer = false;    // a second device applies
    bool blocks = false;  // source and destination block devices apply
    std::vector<std::string> bar_memories;  // the memories a BAR index picks
    std::string file_memory;                // the memory that maps a file (no device); empty: none
};
std::optional<EngineChoices> transfer_engine_choices(const std::string& engine);

// The series key of one row ("8-byte", "memcpy") of a transfer configuration.
std::string transfer_key(const TransferSpec& spec, const std::string& row_label);

// Checks a spec before the engine sees it: a known engine, a size above 0, BDFs, seconds, widths.
Status check_transfer_spec(const TransferSpec& spec);

// check_transfer_spec() and then the engine's check(): an Error when either
// calls the request invalid; Ok when it can run or is waived on this machine.
Status check_transfer(const TransferSpec& spec);

// p2pscope-gui --transfer: "ENGINE[,KEY=VALUE...]", keys device, peer, memory, bar,
// file, direction, width (8+memcpy, all), size (64K), offset, seconds,
// source-block, destination-block, and the flags repeat and destructive.
Result<TransferSpec> parse_transfer_spec(std::string_view text);

class RunController {
public:
    // backend null: map measurements are unavailable for `unavailable_reason`.
    RunController(Store& store, std::unique_ptr<MapBackend> backend, std::string unavailable_reason);
    ~RunController();
    RunController(const RunController&) = delete;
    RunController& operator=(const RunController&) = delete;

    Status start(const MapSpec& spec);
    // Refused (an Error) for bad input and when the engine's check() says the
    // request is invalid; a waived engine is not an error: the run state says
    // "waived: REASON", a waived row is listed, and nothing runs.
    Status start_transfer(const TransferSpec& spec);
    void stop();  // asks the worker to stop after the running sample or transfer run; returns at once
    void join();  // waits for it

private:
    void loop(MapSpec spec);
    Status begin();  // under mutex_: refuses while running, joins the last worker

    Store& store_;
    std::unique_ptr<MapBackend> backend_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;  // start/stop/join
    std::thread worker_;
};

}  // namespace p2pscope::gui
