// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/measurement.hpp"
#include "p2pscope/xfer/json.hpp"

#include <chrono>
#include <optional>

#include "p2pscope/kclient/names.hpp"
#include "p2pscope/qualify/machine.hpp"

namespace p2pscope::exporter {

namespace {

using nlohmann::json;

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

LatencyFigures figures(const kclient::Histogram& h) {
    const auto s = h.summary();
    return LatencyFigures{s.count, s.min_ns, s.max_ns, s.mean_ns, s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns};
}

kclient::MapRequest map_request(const MapSpec& m) {
    kclient::MapRequest q;
    q.device = m.device;
    q.peer = m.peer;
    q.api = m.api;
    q.mem = m.mem;
    q.dir = m.dir;
    q.threads = m.threads;
    q.size_bytes = m.size_bytes;
    q.segments = m.segments;
    q.iterations = 0;
    q.duration_ns = static_cast<uint64_t>(m.seconds * 1e9);
    return q;
}

// What a map result says before (or without) the module answering.
json request_json(const kclient::MapRequest& q) {
    return {{"device", q.device.to_string()},
            {"peer", q.peer ? json(q.peer->to_string()) : json(nullptr)},
            {"api", kclient::api_name(q.api)},
            {"memory", kclient::mem_name(q.mem)},
            {"direction", kclient::dir_name(q.dir)},
            {"size_bytes", q.size_bytes},
            {"segments", q.segments},
            {"threads", q.threads},
            {"map", nullptr},
            {"unmap", nullptr}};
}

void run_map(const MapSpec& spec, const RunContext& ctx, MeasurementRecord& rec) {
    auto q = map_request(spec);
    rec.result = request_json(q);
    auto dev = kclient::Device::open(ctx.device_node);
    if (!dev) {
        rec.status = Outcome::failed;
        rec.reason = dev.error().message;
        return;
    }
    std::optional<kclient::Udmabuf> udmabuf;  // dma-buf memory: one made for the run, as p2pscope map does
    if (q.mem == kclient::MapMemory::dmabuf) {
        auto u = kclient::Udmabuf::create(q.size_bytes * std::max<uint32_t>(1, q.threads));
        if (!u) {
            rec.status = Outcome::failed;
            rec.reason = "dma-buf memory: " + u.error().message;
            return;
        }
        q.dmabuf_fd = u->fd();
        q.size_bytes = 0;  // the module takes the dma-buf's size
        udmabuf.emplace(std::move(*u));
    }
    auto r = dev->map_bench(q);
    if (!r) {
        rec.status = Outcome::failed;
        rec.reason = r.error().message;
        return;
    }
    rec.result = map_result_json(q, *r);
    if (r->complete()) {
        rec.status = Outcome::ok;
    } else if (!r->ran()) {
        rec.status = Outcome::waived;
        rec.reason = r->raw.reason;
    } else {
        rec.status = Outcome::failed;
        rec.reason = std::string("stopped before completing: ") + r->raw.reason;
    }
    if (r->ran()) {
        rec.totals.map_samples = r->raw.map.count;
        rec.totals.map_sum_ns = r->raw.map.sum_ns;
        rec.totals.unmap_samples = r->raw.unmap.count;
        rec.totals.unmap_sum_ns = r->raw.unmap.sum_ns;
    }
}

void run_topology(const RunContext& ctx, MeasurementRecord& rec, std::shared_ptr<const TopologyView>& out) {
    auto view = load_topology(ctx.topology_input);
    if (!view) {
        rec.status = Outcome::failed;
        rec.reason = view.error().message;
        return;
    }
    rec.status = Outcome::ok;
    rec.result = {{"source", (*view)->topology.source},
                  {"devices", (*view)->topology.functions.size()},
                  {"pairs", (*view)->pairs.size()}};
    out = std::move(*view);
}

void run_transfer(const MeasurementSpec& spec, const RunContext& ctx, MeasurementRecord& rec) {
    TransferRequest q = spec.transfer;
    q.engine = spec.engine;
    q.module_node = ctx.device_node;  // the kernel engines' helper: the configured device_node
    // The request and the results as `p2pscope xfer --format json` prints them
    // (schema p2pscope.xfer/1, docs/xfer-json.md): request fields flat, then
    // path and results[].
    rec.result = xfer::request_json(q);
    rec.result["engine"] = q.engine;
    rec.result["path"] = nullptr;
    rec.result["results"] = json::array();
    std::shared_ptr<TransferEngine> engine;
    for (const auto& e : ctx.engines)
        if (e->spec().name == spec.engine) engine = e;
    if (!engine) {
        rec.status = Outcome::failed;
        rec.reason = "no transfer engine '" + spec.engine + "' in this build";
        return;
    }
    const TransferResult r = engine->run(q);
    rec.status = r.status;
    rec.reason = r.status == Outcome::ok ? std::string() : r.reason;
    if (rec.status != Outcome::ok && rec.reason.empty()) rec.reason = "the engine gave no reason";
    rec.result["path"] = xfer::path_json(r.path);
    const auto ceiling = r.path.ceiling_bytes_per_s;
    for (const auto& m : r.rows) {
        rec.result["results"].push_back(xfer::measurement_json(m, ceiling));
        // Counters count what the engine timed, faulted rows' transfers before the fault included.
        auto& row = rec.totals.transfer_rows[m.label];
        row.bytes = m.transfers * m.transfer_bytes;
        row.transfers = m.transfers;
        row.sum_ns = static_cast<uint64_t>(m.seconds * 1e9 + 0.5);
        rec.totals.transfer_bytes += row.bytes;
        rec.totals.transfer_samples += row.transfers;
        rec.totals.transfer_sum_ns += row.sum_ns;
    }
}

// `p2pscope qualify` of the daemon's topology input: the report is the
// result (p2pscope.qualify/1). A run that reports is ok whatever its verdict
// (the verdict is what the metrics show); nothing to check is waived.
void run_qualify(const QualifySpec& spec, const RunContext& ctx, MeasurementRecord& rec, bool& cut_short) {
    qualify::MachineRequest q;
    q.input = ctx.topology_input.source;
    q.thresholds_file = spec.thresholds;
    q.baseline_file = spec.baseline;
    q.devices = spec.devices;
    q.verdict = ctx.topology_input.verdict;
    if (!spec.map) q.map_off = "not run (map: false)";
    if (!spec.transfers) q.transfers_off = "not run (transfers: false)";
    q.destructive = spec.destructive;
    q.device_node = ctx.device_node;
    q.stop = ctx.stopping;
    // The server's whole topology (what p2pscope diff matches devices by) is
    // the topology collector's business here: the journal's records stay small.
    q.with_topology = false;
    auto report = qualify::qualify_machine(q);
    if (!report) {
        rec.status = Outcome::failed;
        rec.reason = report.error().message;
        return;
    }
    rec.result = json::parse(qualify::render_json(*report));
    if (report->stopped) {
        rec.status = Outcome::failed;
        rec.reason = "stopped after " + std::to_string(report->pairs.size()) + " pair(s): p2pscoped is stopping";
        cut_short = true;
    } else if (report->verdict() == qualify::Verdict::nothing_checked) {
        rec.status = Outcome::waived;
        rec.reason = report->pairs.empty() ? "no pair of devices meant for P2P in " + report->source
                                           : "every check was waived";
    } else {
        rec.status = Outcome::ok;
    }
}

}  // namespace

json map_result_json(const kclient::MapRequest& q, const kclient::MapResult& result) {
    const auto& b = result.raw;
    json j{{"device", q.device.to_string()},
           {"peer", q.peer ? json(q.peer->to_string()) : json(nullptr)},
           {"api", kclient::api_name(q.api)},
           {"memory", kclient::mem_name(q.mem)},
           {"direction", kclient::dir_name(q.dir)},
           {"size_bytes", b.size_bytes},
           {"segments", b.segments},
           {"threads", q.threads},
           {"threads_run", b.threads_run},
           {"status", result.complete() ? "ok" : result.ran() ? "stopped" : "waived"},
           {"reason_code", kclient::reason_name(b.status)},
           {"reason", b.reason},
           {"error", b.error},
           {"mode", kclient::mode_name(b.mode)},
           {"iommu_domain_type", kclient::iommu_name(b.iommu_domain_type)},
           {"dma_mask", b.dma_mask},
           {"p2p_map_type", kclient::p2p_map_type_name(b.p2p_map_type)},
           {"clock", kclient::clock_name(b.clock)},
           {"timer_overhead_ns", b.timer_overhead_ns},
           {"elapsed_ns", b.elapsed_ns},
           {"cpus", result.cpus},
           {"preempted_windows", b.preempted_windows},
           {"clock_steps_back", b.clock_steps_back},
           {"bounced", result.bounced()},
           {"debug_kernel", result.debug_kernel()},
           {"test_slowdown", result.test_slowdown()},
           {"kernel_release", b.kernel_release},
           {"module_version", b.module_version}};
    if (result.ran()) {
        j["map"] = latency_json(figures(result.map));
        j["unmap"] = latency_json(figures(result.unmap));
    } else {
        j["map"] = nullptr;
        j["unmap"] = nullptr;
    }
    return j;
}

RunOutput run_measurement(const MeasurementSpec& spec, const RunContext& ctx) {
    RunOutput out;
    MeasurementRecord& rec = out.record;
    rec.key = spec.key;
    rec.kind = spec.kind;
    rec.started_unix_s = unix_now();
    const auto t0 = std::chrono::steady_clock::now();
    switch (spec.kind) {
    case MeasurementKind::topology: run_topology(ctx, rec, out.topology); break;
    case MeasurementKind::map: run_map(spec.map, ctx, rec); break;
    case MeasurementKind::transfer: run_transfer(spec, ctx, rec); break;
    case MeasurementKind::qualify: run_qualify(spec.qualify, ctx, rec, out.cut_short); break;
    }
    rec.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.finished_unix_s = rec.started_unix_s + rec.duration_s;
    rec.totals.runs[static_cast<size_t>(rec.status)] = 1;
    derive_typed_views(rec);
    return out;
}

}  // namespace p2pscope::exporter
