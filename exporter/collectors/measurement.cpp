// SPDX-License-Identifier: GPL-2.0-or-later
// measurement: when each configured measurement last ran and how it ended,
// how many runs ended which way, the time spent measuring against the duty
// cycle budget, and the journal that keeps results across restarts.
//   p2pscope_measurement_last_run_timestamp_seconds{key,kind}   end of the latest run
//   p2pscope_measurement_last_run_duration_seconds{key,kind}
//   p2pscope_measurement_last_run_status{key,kind,status}       1 for the latest outcome, 0 for the others
//   p2pscope_measurement_runs_total{key,kind,status}            over every run (kept across restarts)
//   p2pscope_measurement_configured                             measurements in the configuration
//   p2pscope_measurement_duty_cycle_ratio                       the budget: share of time measurements may take
//   p2pscope_measurement_busy_seconds_total                     time spent measuring since start
//   p2pscope_journal_size_bytes, p2pscope_journal_records
//   p2pscope_journal_replayed_records, p2pscope_journal_dropped_records   at start
//   p2pscope_journal_compactions_total, p2pscope_journal_write_errors_total
#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

class MeasurementCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto last = family("p2pscope_measurement_last_run_timestamp_seconds",
                           "When the latest run of the measurement ended, since the Unix epoch in seconds.");
        auto dur = family("p2pscope_measurement_last_run_duration_seconds", "How long the latest run of the measurement took.");
        auto status = family("p2pscope_measurement_last_run_status",
                             "Outcome of the latest run: 1 for its status (ok, waived, failed), 0 for the others.");
        auto runs = family("p2pscope_measurement_runs_total", "Runs of the measurement by outcome.", MetricType::Counter);
        for (const auto& r : s.measurements) {
            const Labels l{{"key", r->key}, {"kind", std::string(to_string(r->kind))}};
            add_gauge(last, l, r->finished_unix_s);
            add_gauge(dur, l, r->duration_s);
            for (auto o : kOutcomes) {
                Labels ls = l;
                ls.push_back({"status", std::string(to_string(o))});
                add_gauge(status, ls, r->status == o ? 1 : 0);
                add_counter(runs, std::move(ls), static_cast<double>(r->totals.runs[static_cast<size_t>(o)]));
            }
        }
        for (auto* f : {&last, &dur, &status, &runs}) emit(out, std::move(*f));

        auto configured = family("p2pscope_measurement_configured", "Measurements in the configuration.");
        add_gauge(configured, {}, static_cast<double>(s.scheduler.measurements));
        emit(out, std::move(configured));
        auto duty = family("p2pscope_measurement_duty_cycle_ratio",
                           "The duty cycle budget: the share of wall time measurements may take.");
        add_gauge(duty, {}, s.scheduler.duty_cycle);
        emit(out, std::move(duty));
        auto busy = family("p2pscope_measurement_busy_seconds_total", "Time spent running measurements since p2pscoped started.",
                           MetricType::Counter);
        add_counter(busy, {}, s.scheduler.busy_seconds);
        emit(out, std::move(busy));

        if (!s.journal.enabled) return Ok{};
        const auto& j = s.journal;
        auto gauge = [&](const char* name, const char* help, double v) {
            auto f = family(name, help);
            add_gauge(f, {}, v);
            emit(out, std::move(f));
        };
        auto counter = [&](const char* name, const char* help, double v) {
            auto f = family(name, help, MetricType::Counter);
            add_counter(f, {}, v);
            emit(out, std::move(f));
        };
        gauge("p2pscope_journal_size_bytes", "Size of the results journal.", static_cast<double>(j.size_bytes));
        gauge("p2pscope_journal_records", "Records in the results journal.", static_cast<double>(j.records));
        gauge("p2pscope_journal_replayed_records", "Records read back from the journal at start.", static_cast<double>(j.replayed));
        gauge("p2pscope_journal_dropped_records",
              "Torn or corrupt records dropped from the journal at start (a crash tears at most the last one).",
              static_cast<double>(j.dropped));
        counter("p2pscope_journal_compactions_total", "Compactions of the journal since start.", static_cast<double>(j.compactions));
        counter("p2pscope_journal_write_errors_total",
                "Results the journal could not store durably since start (they are exposed, but may not survive a restart).",
                static_cast<double>(j.write_errors));
        return Ok{};
    }
};

const CollectorRegistration registration{{.name = "measurement",
                                          .help = "time and outcome of the latest run of each measurement; the journal",
                                          .position = 80,
                                          .make = make_collector<MeasurementCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
