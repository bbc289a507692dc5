// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped as a library: everything the daemon does, wired together, with
// errors as values. main() only parses flags, waits for a signal and turns
// Errors into one line and an exit status.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/exporter/collector.hpp"
#include "p2pscope/exporter/config.hpp"
#include "p2pscope/exporter/http_server.hpp"
#include "p2pscope/exporter/journal.hpp"
#include "p2pscope/exporter/push.hpp"
#include "p2pscope/exporter/scheduler.hpp"
#include "p2pscope/exporter/snapshot.hpp"
#include "p2pscope/exporter/topology_view.hpp"

namespace p2pscope::exporter {

struct DaemonOptions {
    TopologyInput topology;
    Config config;             // no measurements: topology metrics only, no journal
    HttpOptions http;
    std::vector<CollectorInfo> collectors;  // enabled ones (select_collectors)
    TransferEngines engines;
    EventSink log;             // where the daemon says what happens; may be empty
};

class Daemon {
public:
    // Loads the topology (an input error is the caller's to report: exit 2),
    // replays the journal and publishes the first snapshot. Push mode
    // (`journal` false) leaves the journal alone.
    static Result<std::unique_ptr<Daemon>> create(DaemonOptions options, bool journal = true);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts the HTTP listener and the measuring thread.
    Status serve();
    // Stops both; a measurement in flight ends first.
    void stop();
    std::vector<int> ports() const;

    // Push mode: every measurement once, then the metrics to the gateway.
    Status push_once(const PushOptions& push);

    const SnapshotStore& store() const { return store_; }
    std::shared_ptr<ScrapeCollectable> collectable() const { return collectable_; }

private:
    explicit Daemon(DaemonOptions options);
    std::string landing_page() const;

    DaemonOptions options_;
    SnapshotStore store_;
    std::unique_ptr<Journal> journal_;
    std::unique_ptr<Publisher> publisher_;
    std::unique_ptr<Scheduler> scheduler_;
    std::shared_ptr<ScrapeCollectable> collectable_;
    std::unique_ptr<HttpServer> http_;
};

}  // namespace p2pscope::exporter
