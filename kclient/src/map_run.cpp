// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/map_run.hpp"

#include <algorithm>
#include <optional>

#include "p2pscope/kclient/names.hpp"
#include "p2pscope/kclient/vfio_dmabuf.hpp"

namespace p2pscope::kclient {

namespace {

using nlohmann::json;

json summary_json(const Histogram& h) {
    const auto s = h.summary();
    return {{"count", s.count},   {"min_ns", s.min_ns},   {"p50_ns", s.p50_ns}, {"p90_ns", s.p90_ns},
            {"p99_ns", s.p99_ns}, {"p999_ns", s.p999_ns}, {"max_ns", s.max_ns}, {"mean_ns", s.mean_ns}};
}

}  // namespace

MapRequest normalize(MapRequest q) {
    switch (api_traits(q.api).segments) {
    case Segments::one: q.segments = 1; break;
    case Segments::module: q.segments = 0; break;
    case Segments::list: break;
    }
    if (q.api != MapApi::iova_link) q.flags &= ~kMapIovaPerRequest;
    // A udmabuf is RAM: no peer's memory to import it as.
    if (q.mem == MapMemory::dmabuf && q.dmabuf_fd < 0 && q.dmabuf_source == MapRequest::DmabufSource::udmabuf)
        q.peer.reset();
    return q;
}

Result<MapResult> run_map(const Device& device, MapRequest request) {
    MapRequest q = normalize(std::move(request));
    std::optional<Udmabuf> udmabuf;
    std::optional<VfioDmabuf> vfio;
    if (q.mem == MapMemory::dmabuf) {
        const uint64_t bytes = q.size_bytes * std::max<uint32_t>(1, q.threads);
        const bool made_here = q.dmabuf_fd < 0;
        if (made_here && q.dmabuf_source == MapRequest::DmabufSource::vfio) {
            if (!q.peer)
                return make_error(Errc::invalid_argument, "a vfio dma-buf needs the exporting device (--peer)");
            auto v = VfioDmabuf::create(*q.peer, q.bar, q.bar_offset_bytes, bytes);
            if (!v) return v.error();
            q.dmabuf_fd = v->fd();
            vfio.emplace(std::move(*v));
        } else if (made_here) {
            auto u = Udmabuf::create(bytes);
            if (!u) return make_error(u.error().code, "dma-buf memory: " + u.error().message);
            q.dmabuf_fd = u->fd();
            udmabuf.emplace(std::move(*u));
        }
        q.size_bytes = 0;
    }
    // bar and its offset are the module's for BAR memory only
    if (q.mem != MapMemory::bar) {
        q.bar = 0;
        q.bar_offset_bytes = 0;
    }
    return device.map_bench(q);
}

json map_request_json(const MapRequest& q) {
    return {{"device", q.device.to_string()},
            {"peer", q.peer ? json(q.peer->to_string()) : json(nullptr)},
            {"api", api_name(q.api)},
            {"memory", mem_name(q.mem)},
            {"direction", dir_name(q.dir)},
            {"size_bytes", q.size_bytes},
            {"segments", q.segments},
            {"threads", q.threads},
            {"iova", q.api != MapApi::iova_link         ? json(nullptr)
                     : (q.flags & kMapIovaPerRequest) ? json("per_request")
                                                      : json("reused")},
            {"map", nullptr},
            {"unmap", nullptr}};
}

json map_result_json(const MapRequest& q, const MapResult& r) {
    const auto& b = r.raw;
    json j = map_request_json(q);
    j["size_bytes"] = b.size_bytes;
    j["segments"] = b.segments;
    j["threads_run"] = b.threads_run;
    j["status"] = r.complete() ? "ok" : r.ran() ? "stopped" : "waived";
    j["reason_code"] = reason_name(b.status);
    j["reason"] = b.reason;
    j["error"] = b.error;
    j["mode"] = mode_name(b.mode);
    j["iommu_domain_type"] = iommu_name(b.iommu_domain_type);
    j["dma_mask"] = b.dma_mask;
    j["p2p_map_type"] = p2p_map_type_name(b.p2p_map_type);
    j["clock"] = clock_name(b.clock);
    j["timer_overhead_ns"] = b.timer_overhead_ns;
    j["elapsed_ns"] = b.elapsed_ns;
    j["cpus"] = r.cpus;
    j["preempted_windows"] = b.preempted_windows;
    j["clock_steps_back"] = b.clock_steps_back;
    j["bounced"] = r.bounced();
    j["iotlb_flush"] = (b.result_flags & P2PSCOPE_RES_F_IOTLB_DEFERRED) ? "deferred"
                       : (b.result_flags & P2PSCOPE_RES_F_IOTLB_STRICT) ? "strict"
                                                                         : "none";
    j["debug_kernel"] = r.debug_kernel();
    j["test_slowdown"] = r.test_slowdown();
    j["kernel_release"] = b.kernel_release;
    j["module_version"] = b.module_version;
    if (r.ran()) {
        j["map"] = summary_json(r.map);
        j["unmap"] = summary_json(r.unmap);
    }
    return j;
}

}  // namespace p2pscope::kclient
