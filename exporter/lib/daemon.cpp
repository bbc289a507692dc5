// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/daemon.hpp"

#include <chrono>
#include <set>

namespace p2pscope::exporter {

namespace {

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

}  // namespace

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options, bool journal) {
    std::unique_ptr<Daemon> d(new Daemon(std::move(options)));
    const Config& cfg = d->options_.config;
    auto topology = load_topology(d->options_.topology);
    if (!topology) return topology.error();
    d->publisher_ = std::make_unique<Publisher>(d->store_, cfg.device_node, unix_now(), cfg.measurements, cfg.duty_cycle);
    d->publisher_->set_topology(std::move(*topology));
    if (d->options_.topology.source.is_live()) d->publisher_->set_boot_id(probe::this_boot_id());
    if (journal && !cfg.measurements.empty()) {
        // Keep what the configuration still has: same key, same kind.
        std::map<std::string, MeasurementKind> kinds;
        for (const auto& m : cfg.measurements) kinds[m.key] = m.kind;
        std::vector<MeasurementRecord> latest;
        auto j = Journal::open(JournalOptions{cfg.journal.path, cfg.journal.max_bytes},
                               [&](const MeasurementRecord& r) {
                                   auto it = kinds.find(r.key);
                                   return it != kinds.end() && it->second == r.kind;
                               },
                               latest);
        if (!j) return make_error(j.error().code, j.error().message);
        d->journal_ = std::move(*j);
        for (auto& r : latest) d->publisher_->put(std::move(r));
        d->publisher_->set_journal(d->journal_->stats());
        if (d->options_.log && (d->journal_->stats().replayed || d->journal_->stats().dropped))
            d->options_.log("journal " + cfg.journal.path + ": " + std::to_string(d->journal_->stats().replayed) +
                            " records replayed, " + std::to_string(latest.size()) + " results kept, " +
                            std::to_string(d->journal_->stats().dropped) + " torn or corrupt records dropped");
    }
    d->publisher_->publish();
    d->scheduler_ = std::make_unique<Scheduler>(cfg, d->options_.topology, d->options_.engines, *d->publisher_,
                                                d->journal_.get(), d->options_.log);
    d->collectable_ = std::make_shared<ScrapeCollectable>(d->store_, d->options_.collectors, d->options_.log);
    return d;
}

std::string Daemon::landing_page() const {
    std::string collectors;
    for (const auto& c : options_.collectors) collectors += "<li>" + html_escape(c.name) + ": " + html_escape(c.help) + "</li>";
    return "<!DOCTYPE html><html><head><title>p2pscoped</title></head><body><h1>p2pscoped</h1>"
           "<p>PCIe peer-to-peer DMA paths, exported for Prometheus.</p><ul>"
           "<li><a href=\"/metrics\">/metrics</a>: Prometheus exposition</li>"
           "<li><a href=\"/snapshot.json\">/snapshot.json</a>: topology and latest results (schema " +
           std::string(kSnapshotSchema) + ")</li></ul><h2>Enabled collectors</h2><ul>" + collectors +
           "</ul></body></html>\n";
}

Status Daemon::serve() {
    auto http = HttpServer::start(options_.http, collectable_, store_, landing_page());
    if (!http) return http.error();
    http_ = std::move(*http);
    scheduler_->start();
    return Ok{};
}

void Daemon::stop() {
    if (scheduler_) scheduler_->stop();
    http_.reset();
}

std::vector<int> Daemon::ports() const { return http_ ? http_->ports() : std::vector<int>{}; }

Status Daemon::push_once(const PushOptions& push) {
    scheduler_->run_all_once();
    return push_metrics(push, collectable_);
}

}  // namespace p2pscope::exporter
