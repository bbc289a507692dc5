// SPDX-License-Identifier: GPL-2.0-or-later
// The one thread that measures. It runs each configured measurement every
// interval_s, never two at once, and keeps within the duty cycle budget: after
// a run of t seconds it rests t * (1 - duty) / duty seconds before the next,
// so measurements take at most that share of wall time. Each result is
// journaled (made durable) and only then published in a new snapshot.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "p2pscope/exporter/collector.hpp"
#include "p2pscope/exporter/config.hpp"
#include "p2pscope/exporter/journal.hpp"
#include "p2pscope/exporter/measurement.hpp"
#include "p2pscope/exporter/snapshot.hpp"

namespace p2pscope::exporter {

// Holds the state the snapshots are made of; only the measuring thread (or,
// before it starts, the one setting things up) changes it.
class Publisher {
public:
    Publisher(SnapshotStore& store, std::string device_node, double start_unix_s, const std::vector<MeasurementSpec>& specs,
              double duty_cycle);
    void set_topology(std::shared_ptr<const TopologyView> topology);
    const std::shared_ptr<const TopologyView>& topology() const { return topology_; }
    std::shared_ptr<const MeasurementRecord> latest(const std::string& key) const;
    void put(MeasurementRecord record);
    void set_journal(const JournalStats& stats) { journal_ = stats; }
    // The machine's boot id, set when the topology is the live machine (snapshot.json's boot_id).
    void set_boot_id(std::string boot_id) { boot_id_ = std::move(boot_id); }
    void add_busy(double seconds) { busy_seconds_ += seconds; }
    // Makes a snapshot of the current state and swaps it in.
    void publish();

private:
    SnapshotStore& store_;
    std::string device_node_;
    double start_unix_s_;
    std::string boot_id_;
    std::vector<std::string> order_;  // configured keys
    double duty_cycle_;
    std::shared_ptr<const TopologyView> topology_;
    std::map<std::string, std::shared_ptr<const MeasurementRecord>> latest_;
    JournalStats journal_;
    double busy_seconds_ = 0;
    uint64_t generation_ = 0;
};

class Scheduler {
public:
    // journal may be null (push mode): results are then only published.
    Scheduler(const Config& config, const TopologyInput& topology_input, const TransferEngines& engines,
              Publisher& publisher, Journal* journal, EventSink log);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    void start();
    // Stops the thread; a measurement in flight ends first (each is bounded,
    // at most 60 s for a map run).
    void stop();
    // Push mode: every measurement once, in configuration order, now.
    void run_all_once();

private:
    void loop();
    double run_one(size_t index);  // returns its duration in seconds

    const Config& config_;
    RunContext context_;
    Publisher& publisher_;
    Journal* journal_;
    EventSink log_;
    uint64_t local_seq_ = 1;
    std::map<std::string, std::string> last_logged_;  // key -> outcome line: log changes only
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
};

}  // namespace p2pscope::exporter
