// SPDX-License-Identifier: GPL-2.0-or-later
// In-process measurements the run controls start and stop. A map measurement
// runs through kclient (/dev/p2pscope) on a worker thread, one short kernel
// run per plotted sample, until stopped or until the module says it cannot
// run (waived, with the module's reason). The GUI does not run transfers yet: the
// state says so, and nothing is ever made up in their place.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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

// Checks a spec before it runs: known API and memory type, BDFs, a peer where the memory needs one.
Status check_spec(const MapSpec& spec);

class RunController {
public:
    // backend null: map measurements are unavailable for `unavailable_reason`.
    RunController(Store& store, std::unique_ptr<MapBackend> backend, std::string unavailable_reason);
    ~RunController();
    RunController(const RunController&) = delete;
    RunController& operator=(const RunController&) = delete;

    Status start(const MapSpec& spec);
    void stop();  // asks the worker to stop after the running sample; returns at once
    void join();  // waits for it

private:
    void loop(MapSpec spec);

    Store& store_;
    std::unique_ptr<MapBackend> backend_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;  // start/stop/join
    std::thread worker_;
};

}  // namespace p2pscope::gui
