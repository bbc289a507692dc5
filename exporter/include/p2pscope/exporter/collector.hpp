// SPDX-License-Identifier: GPL-2.0-or-later
// Collectors, node_exporter style: one file each (exporter/collectors/NAME.cpp)
// that registers itself (CollectorRegistration) with its name, help, place and
// default, switched by --collector.NAME and --no-collector.NAME. Adding a
// collector is adding its file: CMake finds it and links it into every program
// that links p2pscope_exporter. A scrape calls every enabled collector on the
// latest snapshot (never on a running measurement) and reports how long each
// took and whether it succeeded:
//   p2pscope_scrape_collector_duration_seconds{collector}
//   p2pscope_scrape_collector_success{collector}
// A snapshot never changes, so what a collector makes of one is rendered to
// text once (by prometheus-cpp's TextSerializer) and reused by every scrape
// of that snapshot; only check() runs on every scrape.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "p2pscope/exporter/snapshot.hpp"
#include "p2pscope/exporter/transfer.hpp"
#include "p2pscope/registry.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

class Collector {
public:
    virtual ~Collector() = default;
    // Appends this collector's families: a function of the snapshot alone.
    // An Error marks the collector failed; families appended before it are
    // still exposed.
    virtual Status collect(const Snapshot& snapshot, std::vector<prometheus::MetricFamily>& out) const = 0;
    // What can change between two snapshots and decides success (the kernel
    // module being there): runs on every scrape, so it must be cheap.
    virtual Status check(const Snapshot&) const { return Ok{}; }
    // True when collect() reads nothing but the snapshot's topology (and
    // constants): its text then outlives snapshots that only bring results.
    virtual bool topology_only() const { return false; }
};

struct CollectorInfo {
    std::string name;  // [a-z_]+: --collector.NAME and the collector label
    std::string help;  // one line for --help
    // Where its families go in /metrics and its flags in --help: collectors
    // are listed by ascending position (distinct; leave gaps for new ones).
    int position = 0;
    bool enabled_by_default = true;
    // Listed only when there is a transfer engine: without one it could only
    // ever be empty.
    bool needs_transfer_engine = false;
    std::function<std::unique_ptr<Collector>()> make;
};

template <class C>
std::unique_ptr<Collector> make_collector() {
    return std::make_unique<C>();
}

// A collector's file declares it with one of these at namespace scope:
//   const CollectorRegistration registration{{.name = "iommu", .help = "...",
//       .position = 30, .make = make_collector<IommuCollector>}};
// (core's Registry: filled before main, only read afterwards; a second
// collector of a name is kept out and listed by kept_out_collectors()).
using CollectorRegistration = Registration<CollectorInfo>;

// Every registered collector, by position.
std::vector<CollectorInfo> registered_collectors();
// Collectors kept out of the registry, "NAME (why)": a test keeps it empty.
const std::vector<std::string>& kept_out_collectors();

// The collectors this build offers with these engines, by position: the
// registered ones less those that need a transfer engine when there is none.
std::vector<CollectorInfo> available_collectors(const TransferEngines& engines);

// Applies --collector.NAME=true|false choices (and --collector.disable-defaults)
// to the defaults; an unknown name is an error.
Result<std::vector<CollectorInfo>> select_collectors(const std::vector<CollectorInfo>& available,
                                                     const std::map<std::string, bool>& choices,
                                                     bool disable_defaults);

using EventSink = std::function<void(const std::string& line)>;

// Runs the enabled collectors for a scrape: as text for /metrics, or as
// prometheus-cpp families (Collectable) for the push gateway client.
class ScrapeCollectable final : public prometheus::Collectable {
public:
    ScrapeCollectable(const SnapshotStore& store, const std::vector<CollectorInfo>& enabled, EventSink log = {});
    std::vector<prometheus::MetricFamily> Collect() const override;
    // The exposition (text format 0.0.4) of the latest snapshot.
    std::string Expose() const;
    std::vector<std::string> names() const;

private:
    struct Entry {
        std::string name;
        std::unique_ptr<Collector> collector;
    };
    // What the collectors made of one snapshot.
    struct Rendered {
        uint64_t generation = 0;
        std::shared_ptr<const TopologyView> topology;
        std::vector<std::string> text;    // per collector
        std::vector<std::string> error;   // per collector, empty when collect() succeeded
        std::vector<double> seconds;      // per collector: time collect() + serialization took
    };
    std::shared_ptr<const Rendered> render(const Snapshot& snapshot, bool& built) const;
    std::vector<prometheus::MetricFamily> meta(const Snapshot* snapshot, const Rendered* rendered, bool built) const;
    void log_changes(const std::vector<std::string>& errors) const;

    const SnapshotStore& store_;
    std::vector<Entry> collectors_;
    EventSink log_;
    mutable std::mutex render_mutex_;  // one thread renders a new snapshot, the others wait for it
    mutable std::mutex rendered_mutex_;  // held only to copy or swap the pointer
    mutable std::shared_ptr<const Rendered> rendered_;
    mutable std::mutex log_mutex_;
    mutable std::vector<std::string> last_error_;  // per collector: log changes, not every scrape
};

}  // namespace p2pscope::exporter
