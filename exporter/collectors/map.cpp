// SPDX-License-Identifier: GPL-2.0-or-later
// map: DMA map/unmap latency measured inside the kernel by p2pscope.ko, per
// configured measurement (key) and its device, API and memory type.
//   p2pscope_map_latency_seconds{key,device,api,memory,op} summary: quantiles
//     0.5, 0.9, 0.99, 0.999 of the latest run that took samples; _sum and
//     _count over every run of the key (kept across restarts by the journal)
//   p2pscope_map_latency_min_seconds{...}, p2pscope_map_latency_max_seconds{...} of that run
// op is map or unmap (alloc/free, link/unlink for the APIs that do that).
// Fails, with the reason, when the module cannot be used (not loaded, no
// permission); the latest results it has are still exposed.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

Status module_usable(const std::string& node) {
    if (::access(node.c_str(), R_OK | W_OK) == 0) return Ok{};
    if (errno == ENOENT)
        return make_error(Errc::unsupported, node + " does not exist: the p2pscope module is not loaded");
    if (errno == EACCES || errno == EPERM)
        return make_error(Errc::unsupported, node + ": permission denied (p2pscoped needs root to use the module)");
    return make_error(Errc::system, node + ": " + std::strerror(errno));
}

class MapCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto latency = family("p2pscope_map_latency_seconds",
                              "DMA map/unmap latency inside the kernel: quantiles of the latest run, sum and count "
                              "over every run.",
                              MetricType::Summary);
        auto min = family("p2pscope_map_latency_min_seconds", "Smallest map/unmap latency of the latest run.");
        auto max = family("p2pscope_map_latency_max_seconds", "Largest map/unmap latency of the latest run.");
        for (const auto& r : s.measurements) {
            if (r->kind != MeasurementKind::map || !r->map) continue;
            const auto& m = *r->map;
            for (int op = 0; op < 2; ++op) {
                const LatencyFigures& f = op == 0 ? m.map : m.unmap;
                const Labels l{{"key", r->key},  {"device", m.device}, {"api", m.api},
                               {"memory", m.memory}, {"op", op == 0 ? "map" : "unmap"}};
                ClientMetric c;
                c.label = l;
                c.summary.sample_count = op == 0 ? r->totals.map_samples : r->totals.unmap_samples;
                c.summary.sample_sum =
                    static_cast<double>(op == 0 ? r->totals.map_sum_ns : r->totals.unmap_sum_ns) / kNsPerSecond;
                c.summary.quantile = {{0.5, f.p50_ns / kNsPerSecond},
                                      {0.9, f.p90_ns / kNsPerSecond},
                                      {0.99, f.p99_ns / kNsPerSecond},
                                      {0.999, f.p999_ns / kNsPerSecond}};
                latency.metric.push_back(std::move(c));
                add_gauge(min, l, static_cast<double>(f.min_ns) / kNsPerSecond);
                add_gauge(max, l, static_cast<double>(f.max_ns) / kNsPerSecond);
            }
        }
        emit(out, std::move(latency));
        emit(out, std::move(min));
        emit(out, std::move(max));
        return Ok{};
    }

    // The module can be loaded or unloaded between two snapshots.
    Status check(const Snapshot& s) const override { return module_usable(s.device_node); }
};

const CollectorRegistration registration{{.name = "map",
                                          .help = "DMA map/unmap latency from the kernel module (p2pscope.ko)",
                                          .position = 50,
                                          .make = make_collector<MapCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
