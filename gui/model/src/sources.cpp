// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/sources.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "p2pscope/input_file.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::gui {

double now_unix_s() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

namespace {

class ProbeSource final : public Source {
public:
    ProbeSource(ProbeInput in, probe::PairSelection sel, probe::VerdictOptions opt)
        : in_(std::move(in)), sel_(std::move(sel)), opt_(std::move(opt)) {}

    std::string kind() const override {
        switch (in_.kind) {
        case ProbeInput::Kind::live: return "live";
        case ProbeInput::Kind::sysfs_root: return "sysfs-root";
        case ProbeInput::Kind::hwloc_xml: return "hwloc-xml";
        case ProbeInput::Kind::lspci_dump: return "lspci-dump";
        }
        return "live";
    }
    std::string description() const override {
        switch (in_.kind) {
        case ProbeInput::Kind::live: return "this machine (sysfs, probed in-process)";
        case ProbeInput::Kind::sysfs_root: return "sysfs tree " + in_.path;
        case ProbeInput::Kind::hwloc_xml: return "hwloc XML " + in_.path;
        case ProbeInput::Kind::lspci_dump: return "lspci dump " + in_.path;
        }
        return {};
    }
    bool this_machine() const override {
        return in_.kind == ProbeInput::Kind::live || (in_.kind == ProbeInput::Kind::sysfs_root && in_.path == "/");
    }
    std::optional<double> interval_s() const override { return in_.interval_s; }

    Result<Fetched> fetch() override {
        Result<probe::Topology> t = [&]() -> Result<probe::Topology> {
            switch (in_.kind) {
            case ProbeInput::Kind::live: return probe::load_sysfs(probe::SysfsOptions{"/", ""});
            case ProbeInput::Kind::sysfs_root: return probe::load_sysfs(probe::SysfsOptions{in_.path, ""});
            case ProbeInput::Kind::hwloc_xml: return probe::load_hwloc_xml(in_.path);
            case ProbeInput::Kind::lspci_dump: return probe::load_lspci_dump(in_.path);
            }
            return make_error(Errc::invalid_argument, "unknown input");
        }();
        if (!t) return t.error();
        auto view = analyse_topology(*t, sel_, opt_);
        if (!view) return view.error();
        Fetched f;
        f.topology = std::make_shared<const TopologyView>(std::move(*view));
        return f;
    }

private:
    ProbeInput in_;
    probe::PairSelection sel_;
    probe::VerdictOptions opt_;
};

class JsonFileSource final : public Source {
public:
    JsonFileSource(std::string path, std::optional<double> interval) : path_(std::move(path)), interval_(interval) {}
    std::string kind() const override { return "json"; }
    std::string description() const override { return "saved JSON " + path_; }
    bool this_machine() const override { return false; }
    std::optional<double> interval_s() const override { return interval_; }
    Result<Fetched> fetch() override {
        auto text = read_input_file(path_, 256u << 20, "saved JSON");
        if (!text) return text.error();
        auto s = parse_saved_json(*text);
        if (!s) return make_error(Errc::bad_input, path_ + ": " + s.error().message);
        Fetched f;
        f.topology = std::make_shared<const TopologyView>(std::move(s->topology));
        f.measurements = std::move(s->measurements);
        return f;
    }

private:
    std::string path_;
    std::optional<double> interval_;
};

}  // namespace

std::unique_ptr<Source> make_probe_source(ProbeInput input, probe::PairSelection selection,
                                          probe::VerdictOptions options) {
    return std::make_unique<ProbeSource>(std::move(input), std::move(selection), std::move(options));
}

std::unique_ptr<Source> make_json_file_source(std::string path, std::optional<double> interval_s) {
    return std::make_unique<JsonFileSource>(std::move(path), interval_s);
}

// ---- Collector ----------------------------------------------------------------

Collector::Collector(std::unique_ptr<Source> source, Store& store) : source_(std::move(source)), store_(store) {}

Collector::~Collector() { stop(); }

void Collector::start(std::optional<Fetched> first) {
    store_.update([&](AppState& s) {
        s.source.kind = source_->kind();
        s.source.description = source_->description();
        s.source.this_machine = source_->this_machine();
        s.source.interval_s = source_->interval_s();
    });
    if (first) publish(std::move(*first), now_unix_s(), 0);
    {
        std::lock_guard lock(mutex_);
        stop_ = false;
        reload_ = !first.has_value();
    }
    thread_ = std::thread([this] { run(); });
}

void Collector::reload() {
    {
        std::lock_guard lock(mutex_);
        reload_ = true;
    }
    cv_.notify_all();
}

void Collector::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Collector::fetch_once() {
    const double started = now_unix_s();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = source_->fetch();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    publish(std::move(r), started, ms);
}

void Collector::run() {
    const auto interval = source_->interval_s();
    std::unique_lock lock(mutex_);
    while (!stop_) {
        if (reload_) {
            reload_ = false;
            lock.unlock();
            fetch_once();
            lock.lock();
            continue;
        }
        auto wake = [this] { return stop_ || reload_; };
        if (interval)
            cv_.wait_for(lock, std::chrono::duration<double>(*interval), wake);
        else
            cv_.wait(lock, wake);
        if (!stop_ && interval) reload_ = true;
    }
}

void Collector::publish(Result<Fetched> r, double started, double ms) {
    if (!r) {
        const std::string message = r.error().message;
        // Only a change of what is on screen wakes the UI.
        const auto before = store_.get();
        const bool visible = before->source.error != message || before->source.loading;
        store_.update(
            [&](AppState& s) {
                s.source.error = message;
                s.source.attempted_unix_s = started;
                s.source.fetch_ms = ms;
                ++s.source.fetches;
                ++s.source.failures;
            },
            visible);
        return;
    }
    Fetched& f = *r;
    const auto before = store_.get();
    // A re-read that found the same topology keeps the one on screen: no redraw, selection untouched.
    if (f.topology && before->topology && *f.topology == *before->topology) f.topology = nullptr;
    const bool changed = !f.unchanged && (f.topology || (f.measurements && *f.measurements != *before->remote));
    if (!changed) f.measurements.reset();
    const bool visible = changed || !before->source.error.empty() || before->source.loading;
    store_.update(
        [&](AppState& s) {
            s.source.loading = false;
            s.source.error.clear();
            s.source.attempted_unix_s = started;
            s.source.fetch_ms = ms;
            ++s.source.fetches;
            if (!changed) return;
            s.source.updated_unix_s = started;
            if (f.topology) s.topology = f.topology;
            if (f.measurements) {
                auto series = std::make_shared<SeriesSet>(*s.series);
                bool appended = false;
                // Oldest first, so each series grows in time order.
                std::vector<const MeasurementView*> order;
                for (const auto& m : *f.measurements) order.push_back(&m);
                std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
                    return a->finished_unix_s < b->finished_unix_s;
                });
                for (const auto* m : order) appended |= series->add(*m);
                if (appended) s.series = std::move(series);
                Store::set_remote(s, std::move(*f.measurements));
            }
        },
        visible);
}

}  // namespace p2pscope::gui
