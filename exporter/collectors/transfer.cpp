// SPDX-License-Identifier: GPL-2.0-or-later
// transfer: bandwidth and latency of real data movement by p2pscope xfer's
// engines, per configured measurement (key) and row (access width or copy
// kind). Labels of the row series, ROW below: key, engine, device, peer (BDFs,
// "" when none), label ("8-byte", "memcpy", "h2d pinned"), direction, memory.
//   p2pscope_transfer_info{key,engine,device,peer,direction,memory,path,verdict,status} 1 per key
//     that ran; status is the latest run's outcome (ok, waived, failed): a waived engine shows here,
//     never as a zero bandwidth. The reason is in /snapshot.json.
//   p2pscope_transfer_status{ROW,status} 1 for the row's status in the latest run (ok, waived,
//     fault, error), 0 for the others
//   rows that ran (status ok) in the latest run:
//   p2pscope_transfer_bandwidth_bytes_per_second{ROW}
//   p2pscope_transfer_latency_seconds{ROW} summary: quantiles 0.5, 0.9, 0.99 of the latest run,
//     _sum and _count (transfers) over every run of the key (kept across restarts by the journal)
//   p2pscope_transfer_latency_min_seconds{ROW}, p2pscope_transfer_latency_max_seconds{ROW}
//   p2pscope_transfer_last_run_transfers{ROW}
//   p2pscope_transfer_verified{ROW} 1 when the data arrived intact, 0 when not; absent when unchecked
//   p2pscope_transfer_link_ceiling_ratio{ROW} bandwidth / the path's raw link rate; absent without a link
//   p2pscope_transfer_bytes_total{ROW} over every run (rows that stopped early count what they moved)
#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

constexpr const char* kRowStatuses[] = {"ok", "waived", "fault", "error"};

class TransferCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto info = family("p2pscope_transfer_info",
                           "Transfer measurement: engine, devices, path and the outcome of its latest run.");
        auto status = family("p2pscope_transfer_status",
                             "Status of a transfer row (access width or copy kind) in the latest run: 1 for the "
                             "current one.");
        auto bw = family("p2pscope_transfer_bandwidth_bytes_per_second", "Bandwidth of the latest transfer run.");
        auto lat = family("p2pscope_transfer_latency_seconds",
                          "Latency of one transfer: quantiles of the latest run, sum and count over every run.",
                          MetricType::Summary);
        auto min = family("p2pscope_transfer_latency_min_seconds", "Smallest transfer latency of the latest run.");
        auto max = family("p2pscope_transfer_latency_max_seconds", "Largest transfer latency of the latest run.");
        auto transfers = family("p2pscope_transfer_last_run_transfers", "Transfers timed in the latest run.");
        auto verified = family("p2pscope_transfer_verified",
                               "Whether the data of the latest run arrived intact (1) or not (0); absent when not "
                               "checked.");
        auto ceiling = family("p2pscope_transfer_link_ceiling_ratio",
                              "Bandwidth of the latest run as a fraction of the path's raw PCIe link rate.");
        auto bytes = family("p2pscope_transfer_bytes_total", "Bytes moved over every run of the transfer measurement.",
                            MetricType::Counter);
        for (const auto& r : s.measurements) {
            if (r->kind != MeasurementKind::transfer || !r->transfer) continue;
            const auto& t = *r->transfer;
            add_gauge(info,
                      {{"key", r->key},
                       {"engine", t.engine},
                       {"device", t.device},
                       {"peer", t.peer},
                       {"direction", t.direction},
                       {"memory", t.memory},
                       {"path", t.path_class},
                       {"verdict", t.p2pdma_verdict},
                       {"status", std::string(to_string(r->status))}},
                      1);
            for (const auto& row : t.rows) {
                const Labels l{{"key", r->key},     {"engine", t.engine},       {"device", t.device},
                               {"peer", t.peer},    {"label", row.label},       {"direction", t.direction},
                               {"memory", t.memory}};
                for (const char* st : kRowStatuses) {
                    Labels ls = l;
                    ls.push_back({"status", st});
                    add_gauge(status, std::move(ls), row.status == st ? 1 : 0);
                }
                if (auto it = r->totals.transfer_rows.find(row.label); it != r->totals.transfer_rows.end())
                    add_counter(bytes, l, static_cast<double>(it->second.bytes));
                if (row.status != "ok" || row.transfers == 0) continue;
                add_gauge(bw, l, row.bytes_per_second);
                ClientMetric c;
                c.label = l;
                if (auto it = r->totals.transfer_rows.find(row.label); it != r->totals.transfer_rows.end()) {
                    c.summary.sample_count = it->second.transfers;
                    c.summary.sample_sum = static_cast<double>(it->second.sum_ns) / kNsPerSecond;
                }
                c.summary.quantile = {{0.5, row.p50_ns / kNsPerSecond},
                                      {0.9, row.p90_ns / kNsPerSecond},
                                      {0.99, row.p99_ns / kNsPerSecond}};
                lat.metric.push_back(std::move(c));
                add_gauge(min, l, row.min_ns / kNsPerSecond);
                add_gauge(max, l, row.max_ns / kNsPerSecond);
                add_gauge(transfers, l, static_cast<double>(row.transfers));
                if (row.verified) add_gauge(verified, l, *row.verified ? 1 : 0);
                if (row.ceiling_fraction) add_gauge(ceiling, l, *row.ceiling_fraction);
            }
        }
        for (auto* f : {&info, &status, &bw, &lat, &min, &max, &transfers, &verified, &ceiling, &bytes})
            emit(out, std::move(*f));
        return Ok{};
    }
};

const CollectorRegistration registration{{.name = "transfer",
                                          .help = "transfer bandwidth and latency per engine and pair",
                                          .position = 70,
                                          .needs_transfer_engine = true,
                                          .make = make_collector<TransferCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
