// SPDX-License-Identifier: GPL-2.0-or-later
// transfer: bandwidth and latency of moving data between two devices, per
// configured measurement and engine. Listed only when p2pscoped has a
// transfer engine (none yet: see p2pscope/exporter/transfer.hpp).
//   p2pscope_transfer_bandwidth_bytes_per_second{key,engine,source,destination} of the latest run
//   p2pscope_transfer_latency_seconds{key,engine,source,destination} summary: quantiles of the
//     latest run, _sum and _count over every run
//   p2pscope_transfer_bytes_total{key,engine,source,destination} over every run
#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

class TransferCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto bw = family("p2pscope_transfer_bandwidth_bytes_per_second", "Bandwidth of the latest transfer run.");
        auto lat = family("p2pscope_transfer_latency_seconds",
                          "Latency of one transfer: quantiles of the latest run, sum and count over every run.",
                          MetricType::Summary);
        auto bytes = family("p2pscope_transfer_bytes_total", "Bytes moved over every transfer run of the measurement.",
                            MetricType::Counter);
        for (const auto& r : s.measurements) {
            if (r->kind != MeasurementKind::transfer) continue;
            const Labels l{{"key", r->key},
                           {"engine", r->result.value("engine", "")},
                           {"source", r->result.value("source", "")},
                           {"destination", r->result.value("destination", "")}};
            add_counter(bytes, l, static_cast<double>(r->totals.transfer_bytes));
            if (!r->transfer) continue;
            const auto& t = *r->transfer;
            add_gauge(bw, l, t.bandwidth_bytes_per_second);
            ClientMetric c;
            c.label = l;
            c.summary.sample_count = r->totals.transfer_samples;
            c.summary.sample_sum = static_cast<double>(r->totals.transfer_sum_ns) / kNsPerSecond;
            c.summary.quantile = {{0.5, t.latency.p50_ns / kNsPerSecond},
                                  {0.9, t.latency.p90_ns / kNsPerSecond},
                                  {0.99, t.latency.p99_ns / kNsPerSecond},
                                  {0.999, t.latency.p999_ns / kNsPerSecond}};
            lat.metric.push_back(std::move(c));
        }
        emit(out, std::move(bw));
        emit(out, std::move(lat));
        emit(out, std::move(bytes));
        return Ok{};
    }
};

}  // namespace

std::unique_ptr<Collector> make_transfer_collector() { return std::make_unique<TransferCollector>(); }

}  // namespace p2pscope::exporter::collectors
