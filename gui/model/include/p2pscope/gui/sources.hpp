// SPDX-License-Identifier: GPL-2.0-or-later
// Where the GUI's data comes from, and the worker thread that collects it:
//  - the prober in-process: this machine (sysfs), or offline from an unpacked
//    sysfs tree, hwloc XML or an lspci dump of any machine;
//  - a saved JSON document (p2pscope topo --format json, or a snapshot);
//  - a running p2pscoped: GET http://HOST:PORT/snapshot.json, polled.
// Every source returns values or an Error; the Collector publishes them to the
// Store and keeps the last good data on screen when a fetch fails.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "p2pscope/gui/store.hpp"
#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::gui {

struct Fetched {
    std::shared_ptr<const TopologyView> topology;  // null: the topology did not change
    std::optional<std::vector<MeasurementView>> measurements;  // none: this source has none / unchanged
    bool unchanged = false;  // the source answered that nothing changed since the last fetch
};

class Source {
public:
    virtual ~Source() = default;
    virtual std::string kind() const = 0;         // live, sysfs-root, hwloc-xml, lspci-dump, json, daemon
    virtual std::string description() const = 0;  // "hwloc XML /path/file.xml"
    virtual bool this_machine() const = 0;        // the data describes the machine the GUI runs on
    virtual std::optional<double> interval_s() const = 0;  // polling period; none: fetch on request
    virtual Result<Fetched> fetch() = 0;
};

struct ProbeInput {
    enum class Kind { live, sysfs_root, hwloc_xml, lspci_dump } kind = Kind::live;
    std::string path;                  // file or directory; unused for live
    std::optional<double> interval_s;  // re-probe period; none: on request
};

std::unique_ptr<Source> make_probe_source(ProbeInput input, probe::PairSelection selection,
                                          probe::VerdictOptions options = {});
std::unique_ptr<Source> make_json_file_source(std::string path, std::optional<double> interval_s = std::nullopt);

// "HOST:PORT", "http://HOST:PORT" or a full URL; the path defaults to /snapshot.json.
Result<std::string> daemon_url(const std::string& text);
struct DaemonOptions {
    double interval_s = 2.0;
    double timeout_s = 10.0;
    std::string user_agent = "p2pscope-gui";
    size_t max_body_bytes = size_t{512} << 20;  // a 4096-device topology with every pair is well below this
};
Result<std::unique_ptr<Source>> make_daemon_source(const std::string& url_or_host_port, const DaemonOptions& options);

// Runs a source on its own thread: the first fetch at once (unless one was
// made already and is handed in), then every interval, or when reload() asks.
class Collector {
public:
    Collector(std::unique_ptr<Source> source, Store& store);
    ~Collector();  // stops and joins
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // Publishes the source's description; `first` is a fetch made before
    // the window opened (so bad input is reported on the command line).
    void start(std::optional<Fetched> first = std::nullopt);
    void reload();
    void stop();

    // One fetch and its publication, on the caller's thread (tests).
    void fetch_once();

private:
    void run();
    void publish(Result<Fetched> r, double started_unix_s, double ms);

    std::unique_ptr<Source> source_;
    Store& store_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false, reload_ = false;
    std::thread thread_;
};

double now_unix_s();

}  // namespace p2pscope::gui
