// SPDX-License-Identifier: GPL-2.0-or-later
// The one place collection threads and the UI meet. Workers publish a new
// immutable AppState under a short lock; the UI takes a shared_ptr to the
// current one at the start of a frame and reads it without holding anything.
// Publishing bumps a generation counter and wakes the UI (glfwPostEmptyEvent),
// which otherwise sleeps: nothing is redrawn when nothing changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/gui/series.hpp"
#include "p2pscope/gui/snapshot.hpp"
#include "p2pscope/gui/view_model.hpp"

namespace p2pscope::gui {

struct SourceState {
    std::string kind;         // live, sysfs-root, hwloc-xml, lspci-dump, json, daemon
    std::string description;  // what the panels' header says
    bool this_machine = false;  // the topology is the machine the GUI runs on
    bool loading = true;      // no data yet
    std::string error;        // the last fetch's error; the last good data stays on screen
    double updated_unix_s = 0;    // the last fetch that brought data
    double attempted_unix_s = 0;  // the last fetch, good or not
    double fetch_ms = 0;          // how long the last fetch took
    uint64_t fetches = 0, failures = 0;
    std::optional<double> interval_s;  // polling period; none: on request
};

// One in-process map measurement as the run controls configure it.
struct MapSpec {
    std::string device;      // BDF that maps
    std::string peer;        // BDF of the memory's owner (p2pmem, bar); empty for host memory
    std::string api = "map_single";
    std::string memory = "ram";
    uint64_t size_bytes = 4096;
    uint32_t threads = 1;
    double sample_seconds = 0.25;  // one kernel run per plotted sample
    bool operator==(const MapSpec&) const = default;
};

// One in-process transfer as the run controls configure it: the fields of an
// xfer::Request (p2pscope xfer's options), which each engine reads as it needs.
// Which engine reads which, and the values each takes, are the engine's
// xfer::EngineSpec (transfer_engine_choices()).
struct TransferSpec {
    std::string engine = "cpu";            // one of xfer's registry (transfer_engine_names())
    std::string device;                    // BDF (Request::device); empty: none (a file, the engine's default)
    std::string peer;                      // second device (Request::peer)
    std::string memory;                    // one of the engine's memories; empty: its default
    int bar = -1;                          // BAR index of a memory that is a BAR
    std::string file;                      // a regular file mapped shared, for a memory that maps a file
    std::string direction;                 // one of the engine's directions; empty: its default
    std::vector<std::string> widths{"8"};  // access widths: 1 2 4 8 16 32 64 memcpy
    std::string source_block, destination_block;  // block devices read from and written to
    bool destructive = false;              // allowed to write a driver-owned BAR or a block device
    uint64_t size_bytes = 65536;           // bytes per transfer
    uint64_t offset = 0;
    double seconds = 0.25;                 // per measurement row
    bool repeat = false;                   // run again until stopped (a live bandwidth plot)
    bool operator==(const TransferSpec&) const = default;
};

enum class RunPhase { idle, running, stopping };
enum class RunKind { map, transfer };

struct RunState {
    bool map_available = false;
    std::string map_unavailable;       // why not, in words the user can act on
    RunPhase phase = RunPhase::idle;
    RunKind kind = RunKind::map;       // what runs (or ran last)
    MapSpec spec;                      // the running (or last) map measurement
    TransferSpec transfer;             // the running (or last) transfer
    std::vector<MeasurementView> last_rows;  // the last transfer run's rows, faults and waivers included
    uint64_t samples = 0;              // map samples, or transfer runs, finished
    double started_unix_s = 0;
    std::string message;               // the last outcome: "stopped by the user", "waived: ..."
};

struct AppState {
    uint64_t generation = 0;
    std::shared_ptr<const TopologyView> topology;  // null until the first load
    // Measurements from the daemon, those run in-process, and both (what the panels read).
    std::shared_ptr<const std::vector<MeasurementView>> remote, local, measurements;
    std::shared_ptr<const SeriesSet> series;
    SourceState source;
    RunState run;
};

class Store {
public:
    Store();
    // The current state; never null. Cheap: copies a shared_ptr under the lock.
    std::shared_ptr<const AppState> get() const;
    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    // Copies the current state, applies `change`, publishes the copy and, when
    // `wake`, calls the waker so a sleeping UI draws it.
    void update(const std::function<void(AppState&)>& change, bool wake = true);
    // Helpers for the common changes; they keep `measurements` = remote + local.
    static void set_remote(AppState& s, std::vector<MeasurementView> remote);
    static void add_local(AppState& s, MeasurementView m, size_t keep = 2000);
    // Called from worker threads after each publish; must be thread-safe.
    void set_waker(std::function<void()> waker);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const AppState> state_;
    std::function<void()> waker_;
    std::atomic<uint64_t> generation_{0};
};

}  // namespace p2pscope::gui
