// SPDX-License-Identifier: GPL-2.0-or-later
// What a scrape reads: an immutable snapshot of everything p2pscoped knows,
// swapped in whole by the one thread that measures. A scrape takes a
// reference and never waits for a measurement.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/exporter/record.hpp"
#include "p2pscope/exporter/topology_view.hpp"

namespace p2pscope::exporter {

inline constexpr const char* kSnapshotSchema = "p2pscope.snapshot/1";

struct JournalStats {
    bool enabled = false;
    uint64_t size_bytes = 0;
    uint64_t records = 0;         // in the file now
    uint64_t replayed = 0;        // records read back at start
    uint64_t dropped = 0;         // torn or corrupt records dropped at start
    uint64_t compactions = 0;     // since start
    uint64_t write_errors = 0;    // appends that failed since start
};

struct SchedulerStats {
    double duty_cycle = 0;         // the budget
    double busy_seconds = 0;       // spent measuring since start
    uint64_t measurements = 0;     // configured
};

struct Snapshot {
    uint64_t generation = 0;
    double generated_unix_s = 0;
    double start_unix_s = 0;  // the daemon's
    std::shared_ptr<const TopologyView> topology;
    // Latest record of each configured key that has run, in configuration order.
    std::vector<std::shared_ptr<const MeasurementRecord>> measurements;
    JournalStats journal;
    SchedulerStats scheduler;
    std::string device_node;  // where the kernel module is expected
    std::string boot_id;      // the machine's, when the topology is the live machine p2pscoped runs on
    std::string json;         // the /snapshot.json body, rendered when the snapshot was made
};

// Renders the /snapshot.json document (schema in exporter/README.md).
std::string render_snapshot_json(const Snapshot& snapshot);

// The latest snapshot: readers copy the pointer under a lock held for just
// that copy (a reference count increment), the measuring thread swaps it.
// (libstdc++ 12's std::atomic<std::shared_ptr> would do the same with a
// spin lock that ThreadSanitizer cannot follow.)
class SnapshotStore {
public:
    std::shared_ptr<const Snapshot> load() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void store(std::shared_ptr<const Snapshot> s) {
        {
            std::lock_guard lock(mutex_);
            current_.swap(s);
        }
        // s, the previous snapshot, is released here, outside the lock.
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Snapshot> current_;
};

}  // namespace p2pscope::exporter
