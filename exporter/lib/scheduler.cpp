// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace p2pscope::exporter {

namespace {

using Clock = std::chrono::steady_clock;

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

}  // namespace

Publisher::Publisher(SnapshotStore& store, std::string device_node, double start_unix_s,
                     const std::vector<MeasurementSpec>& specs, double duty_cycle)
    : store_(store), device_node_(std::move(device_node)), start_unix_s_(start_unix_s), duty_cycle_(duty_cycle) {
    for (const auto& s : specs) order_.push_back(s.key);
}

void Publisher::set_topology(std::shared_ptr<const TopologyView> topology) {
    // An unchanged topology keeps the object every snapshot already shares.
    if (topology_ && topology && topology_->json == topology->json) return;
    topology_ = std::move(topology);
}

std::shared_ptr<const MeasurementRecord> Publisher::latest(const std::string& key) const {
    auto it = latest_.find(key);
    return it == latest_.end() ? nullptr : it->second;
}

void Publisher::put(MeasurementRecord record) {
    std::string key = record.key;
    latest_[key] = std::make_shared<const MeasurementRecord>(std::move(record));
}

void Publisher::publish() {
    auto s = std::make_shared<Snapshot>();
    s->generation = ++generation_;
    s->generated_unix_s = unix_now();
    s->start_unix_s = start_unix_s_;
    s->topology = topology_;
    for (const auto& key : order_)
        if (auto r = latest(key)) s->measurements.push_back(std::move(r));
    s->journal = journal_;
    s->scheduler = SchedulerStats{duty_cycle_, busy_seconds_, order_.size()};
    s->device_node = device_node_;
    s->boot_id = boot_id_;
    s->json = render_snapshot_json(*s);
    store_.store(std::move(s));
}

Scheduler::Scheduler(const Config& config, const TopologyInput& topology_input, const TransferEngines& engines,
                     Publisher& publisher, Journal* journal, EventSink log)
    : config_(config),
      context_{topology_input, config.device_node, engines,
               [this] {
                   std::lock_guard lock(mutex_);
                   return stopping_;
               }},
      publisher_(publisher),
      journal_(journal),
      log_(std::move(log)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
    if (thread_.joinable() || config_.measurements.empty()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Scheduler::run_all_once() {
    for (size_t i = 0; i < config_.measurements.size(); ++i) run_one(i);
}

double Scheduler::run_one(size_t index) {
    const MeasurementSpec& spec = config_.measurements[index];
    RunOutput out = run_measurement(spec, context_);
    MeasurementRecord& rec = out.record;
    if (out.cut_short) {
        if (log_) log_("measurement " + rec.key + ": " + rec.reason + "; not recorded");
        return rec.duration_s;
    }
    if (auto prev = publisher_.latest(rec.key)) {
        RunTotals totals = prev->totals;
        totals.add(rec.totals);
        rec.totals = totals;
    }
    rec.seq = journal_ ? journal_->next_seq() : local_seq_++;
    // Durable first, visible second: whatever a scrape has seen survives kill -9.
    if (journal_) {
        if (auto s = journal_->append(rec); !s && log_)
            log_(s.error().message + "; the result of " + rec.key + " is exposed but may not survive a restart");
        publisher_.set_journal(journal_->stats());
    }
    if (out.topology) publisher_.set_topology(std::move(out.topology));
    const double duration = rec.duration_s;
    std::string line = "measurement " + rec.key + ": " + std::string(to_string(rec.status)) +
                       (rec.reason.empty() ? "" : " (" + rec.reason + ")");
    publisher_.put(std::move(rec));
    publisher_.add_busy(duration);
    publisher_.publish();
    if (log_ && last_logged_[spec.key] != line) {
        last_logged_[spec.key] = line;
        log_(line);
    }
    return duration;
}

void Scheduler::loop() {
    const size_t n = config_.measurements.size();
    const auto t_start = Clock::now();
    const double now_unix = unix_now();
    // Resume the cadence the journal remembers: a key that ran 10 s ago with
    // a 60 s interval is due in 50 s, not now.
    std::vector<Clock::time_point> due(n, t_start);
    for (size_t i = 0; i < n; ++i) {
        if (auto prev = publisher_.latest(config_.measurements[i].key)) {
            const double wait = prev->started_unix_s + config_.measurements[i].interval_s - now_unix;
            if (wait > 0) due[i] = t_start + seconds(std::min(wait, config_.measurements[i].interval_s));
        }
    }
    Clock::time_point quiet_until = t_start + seconds(config_.start_delay_s);
    const double rest_factor = (1.0 - config_.duty_cycle) / config_.duty_cycle;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const size_t next = static_cast<size_t>(std::min_element(due.begin(), due.end()) - due.begin());
        const auto at = std::max(due[next], quiet_until);
        if (Clock::now() < at) {
            wake_.wait_until(lock, at, [this] { return stopping_; });
            continue;
        }
        lock.unlock();
        const auto started = Clock::now();
        const double duration = run_one(next);
        const auto ended = Clock::now();
        due[next] = started + seconds(config_.measurements[next].interval_s);
        quiet_until = ended + seconds(duration * rest_factor);
        lock.lock();
    }
}

}  // namespace p2pscope::exporter
