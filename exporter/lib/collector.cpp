// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/collector.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include <prometheus/text_serializer.h>

#include "../collectors/families.hpp"

namespace p2pscope::exporter {

std::vector<CollectorInfo> registered_collectors() {
    std::vector<CollectorInfo> out = Registry<CollectorInfo>::instance().entries();
    std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.position < y.position; });
    return out;
}

const std::vector<std::string>& kept_out_collectors() { return Registry<CollectorInfo>::instance().kept_out(); }

std::vector<CollectorInfo> available_collectors(const TransferEngines& engines) {
    std::vector<CollectorInfo> out;
    for (auto& c : registered_collectors())
        if (!c.needs_transfer_engine || !engines.empty()) out.push_back(std::move(c));
    return out;
}

Result<std::vector<CollectorInfo>> select_collectors(const std::vector<CollectorInfo>& available,
                                                     const std::map<std::string, bool>& choices, bool disable_defaults) {
    for (const auto& [name, on] : choices) {
        bool known = false;
        for (const auto& c : available) known |= c.name == name;
        if (!known) {
            std::string names;
            for (const auto& c : available) names += (names.empty() ? "" : ", ") + c.name;
            return make_error(Errc::invalid_argument, "unknown collector '" + name + "' (" + names + ")");
        }
    }
    std::vector<CollectorInfo> out;
    for (const auto& c : available) {
        bool on = c.enabled_by_default && !disable_defaults;
        if (auto it = choices.find(c.name); it != choices.end()) on = it->second;
        if (on) out.push_back(c);
    }
    return out;
}

ScrapeCollectable::ScrapeCollectable(const SnapshotStore& store, const std::vector<CollectorInfo>& enabled, EventSink log)
    : store_(store), log_(std::move(log)) {
    for (const auto& c : enabled) collectors_.push_back(Entry{c.name, c.make()});
    last_error_.resize(collectors_.size());
}

std::vector<std::string> ScrapeCollectable::names() const {
    std::vector<std::string> out;
    for (const auto& e : collectors_) out.push_back(e.name);
    return out;
}

namespace {

Status run_guarded(const std::function<Status()>& f) {
    try {
        return f();
    } catch (const std::exception& ex) {  // a collector's bug must not take the scrape down
        return make_error(Errc::system, std::string("internal error: ") + ex.what());
    }
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::shared_ptr<const ScrapeCollectable::Rendered> ScrapeCollectable::render(const Snapshot& snapshot, bool& built) const {
    built = false;
    auto current = [this] {
        std::lock_guard lock(rendered_mutex_);
        return rendered_;
    };
    auto r = current();
    if (r && r->generation == snapshot.generation) return r;
    std::lock_guard lock(render_mutex_);
    r = current();
    if (r && r->generation == snapshot.generation) return r;
    auto fresh = std::make_shared<Rendered>();
    fresh->generation = snapshot.generation;
    fresh->topology = snapshot.topology;
    const prometheus::TextSerializer serializer;
    for (size_t i = 0; i < collectors_.size(); ++i) {
        const auto& e = collectors_[i];
        if (r && r->topology == snapshot.topology && e.collector->topology_only()) {  // same topology, same text
            fresh->text.push_back(r->text[i]);
            fresh->error.push_back(r->error[i]);
            fresh->seconds.push_back(0);
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<prometheus::MetricFamily> families;
        const Status s = run_guarded([&] { return e.collector->collect(snapshot, families); });
        fresh->text.push_back(serializer.Serialize(families));
        fresh->error.push_back(s ? std::string() : s.error().message);
        fresh->seconds.push_back(since(t0));
    }
    {
        std::lock_guard swap_lock(rendered_mutex_);
        rendered_ = fresh;
    }
    built = true;
    return fresh;
}

std::vector<prometheus::MetricFamily> ScrapeCollectable::meta(const Snapshot* snapshot, const Rendered* rendered,
                                                              bool built) const {
    using collectors::add_gauge;
    using collectors::family;
    auto duration = family("p2pscope_scrape_collector_duration_seconds", "p2pscoped: duration of a collector scrape.");
    auto success = family("p2pscope_scrape_collector_success", "p2pscoped: whether a collector succeeded.");
    std::vector<std::string> errors;
    for (size_t i = 0; i < collectors_.size(); ++i) {
        const auto& e = collectors_[i];
        const auto t0 = std::chrono::steady_clock::now();
        std::string error;
        if (!snapshot) {
            error = "nothing to report yet";
        } else {
            const Status live = run_guarded([&] { return e.collector->check(*snapshot); });
            error = rendered && !rendered->error[i].empty() ? rendered->error[i] : live ? std::string() : live.error().message;
        }
        const double seconds = since(t0) + (rendered && built ? rendered->seconds[i] : 0.0);
        add_gauge(duration, {{"collector", e.name}}, seconds);
        add_gauge(success, {{"collector", e.name}}, error.empty() ? 1 : 0);
        errors.push_back(std::move(error));
    }
    log_changes(errors);
    std::vector<prometheus::MetricFamily> out;
    out.push_back(std::move(duration));
    out.push_back(std::move(success));
    return out;
}

void ScrapeCollectable::log_changes(const std::vector<std::string>& errors) const {
    if (!log_) return;
    std::vector<std::string> lines;
    {
        std::lock_guard lock(log_mutex_);
        for (size_t i = 0; i < errors.size(); ++i) {
            if (last_error_[i] == errors[i]) continue;
            lines.push_back(errors[i].empty() ? "collector " + collectors_[i].name + " succeeds again"
                                              : "collector " + collectors_[i].name + " failed: " + errors[i]);
            last_error_[i] = errors[i];
        }
    }
    for (const auto& l : lines) log_(l);
}

std::string ScrapeCollectable::Expose() const {
    const auto snapshot = store_.load();
    bool built = false;
    std::shared_ptr<const Rendered> rendered = snapshot ? render(*snapshot, built) : nullptr;
    const std::string tail = prometheus::TextSerializer().Serialize(meta(snapshot.get(), rendered.get(), built));
    std::string out;
    size_t size = tail.size();
    if (rendered)
        for (const auto& t : rendered->text) size += t.size();
    out.reserve(size);
    if (rendered)
        for (const auto& t : rendered->text) out += t;
    out += tail;
    return out;
}

std::vector<prometheus::MetricFamily> ScrapeCollectable::Collect() const {
    const auto snapshot = store_.load();
    std::vector<prometheus::MetricFamily> out;
    Rendered r;  // errors and timings only: the families go straight to out
    if (snapshot) {
        r.generation = snapshot->generation;
        for (const auto& e : collectors_) {
            const auto t0 = std::chrono::steady_clock::now();
            const Status s = run_guarded([&] { return e.collector->collect(*snapshot, out); });
            r.error.push_back(s ? std::string() : s.error().message);
            r.seconds.push_back(since(t0));
        }
    }
    auto m = meta(snapshot.get(), snapshot ? &r : nullptr, true);
    for (auto& f : m) out.push_back(std::move(f));
    return out;
}

}  // namespace p2pscope::exporter
