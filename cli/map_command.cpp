// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope map: DMA mapping latency of one device across APIs and memory
// types, measured inside the kernel by p2pscope.ko.
#include <cstdio>
#include <memory>
#include <ostream>

#include <nlohmann/json.hpp>

#include "p2pscope/cli_checks.hpp"
#include "commands.hpp"
#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/map_run.hpp"
#include "p2pscope/kclient/names.hpp"
#include "size_option.hpp"

namespace p2pscope::cli {

namespace {

struct MapOptions {
    std::string device;
    std::string peer;
    std::vector<std::string> apis{"map_single"};
    std::vector<std::string> mems{"ram"};
    std::string size = "4K";
    uint32_t segments = 1;
    uint32_t threads = 1;
    uint64_t iterations = 0;
    double seconds = 0;
    std::string direction = "bidirectional";
    uint32_t bar = 0;
    std::string bar_offset = "0";
    int dmabuf_fd = -1;
    std::string dmabuf_source = "udmabuf";
    std::vector<uint32_t> cpus;
    uint32_t dma_mask_bits = 0;
    std::string format = "text";
    std::string node = kclient::kDevicePath;
    std::string clock = "default";
    bool dirty = false;
    std::string iova = "reused";
};

struct Row {
    kclient::MapRequest request;
    kclient::MapResult result;
};

template <typename Code>
Result<std::vector<Code>> parse_list(const std::vector<std::string>& names, const char* what,
                                     std::optional<Code> (*parse)(std::string_view), std::vector<Code> (*all)()) {
    std::vector<Code> out;
    for (const auto& n : names) {
        if (n == "all") return all();
        auto v = parse(n);
        if (!v) return make_error(Errc::invalid_argument, std::string("unknown ") + what + " '" + n + "'");
        out.push_back(*v);
    }
    return out;
}

std::string status_text(const kclient::MapResult& r) {
    const std::string slowed = r.test_slowdown() ? " (slowed by the module's test_slowdown_pct)" : "";
    if (r.complete()) return "ok" + slowed;
    return (r.ran() ? "stopped: " : "waived: ") + std::string(r.raw.reason) + slowed;
}

std::string render_map_json(const p2pscope_version& v, const std::vector<Row>& rows) {
    nlohmann::json doc;
    doc["schema"] = "p2pscope.map/1";
    doc["kernel_release"] = v.kernel_release;
    doc["module_version"] = v.module_version;
    doc["abi"] = std::to_string(v.abi_major) + "." + std::to_string(v.abi_minor);
    doc["results"] = nlohmann::json::array();
    for (const auto& row : rows) doc["results"].push_back(kclient::map_result_json(row.request, row.result));
    return doc.dump(2) + "\n";
}

std::string render_map_text(const p2pscope_version& v, const std::vector<Row>& rows) {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "p2pscope.ko %s (ABI %u.%u) on Linux %s\n", v.module_version, v.abi_major,
                  v.abi_minor, v.kernel_release);
    out += line;
    if (!rows.empty()) {
        const auto& b = rows.front().result.raw;
        std::snprintf(line, sizeof line, "device %s: mode %s, IOMMU domain %s, DMA mask 0x%llx, clock %s (overhead %llu ns)\n",
                      rows.front().request.device.to_string().c_str(), std::string(kclient::mode_name(b.mode)).c_str(),
                      std::string(kclient::iommu_name(b.iommu_domain_type)).c_str(),
                      static_cast<unsigned long long>(b.dma_mask), std::string(kclient::clock_name(b.clock)).c_str(),
                      static_cast<unsigned long long>(b.timer_overhead_ns));
        out += line;
    }
    out += "latencies in ns: min / p50 / p90 / p99 / p99.9 / max (mean)\n";
    std::snprintf(line, sizeof line, "%-16s %-9s %9s %5s %3s %10s  %-52s %-52s %s\n", "API", "MEMORY", "SIZE", "SEGS",
                  "THR", "SAMPLES", "MAP", "UNMAP", "STATUS");
    out += line;
    auto lat = [](const kclient::Histogram& h) {
        const auto s = h.summary();
        char buf[128];
        std::snprintf(buf, sizeof buf, "%llu/%.0f/%.0f/%.0f/%.0f/%llu (%.0f)", static_cast<unsigned long long>(s.min_ns),
                      s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, static_cast<unsigned long long>(s.max_ns), s.mean_ns);
        return std::string(buf);
    };
    for (const auto& row : rows) {
        const auto& q = row.request;
        const auto& b = row.result.raw;
        const bool ran = row.result.ran();
        std::snprintf(line, sizeof line, "%-16s %-9s %9llu %5u %3u %10llu  %-52s %-52s %s\n",
                      std::string(kclient::api_name(q.api)).c_str(), std::string(kclient::mem_name(q.mem)).c_str(),
                      static_cast<unsigned long long>(b.size_bytes), b.segments, q.threads,
                      static_cast<unsigned long long>(b.map.count), ran ? lat(row.result.map).c_str() : "-",
                      ran ? lat(row.result.unmap).c_str() : "-", status_text(row.result).c_str());
        out += line;
    }
    return out;
}

Status run_map(const MapOptions& o, std::ostream& out) {
    auto device = probe::PciAddress::parse(o.device);
    if (!device) return device.error();
    std::optional<probe::PciAddress> peer;
    if (!o.peer.empty()) {
        auto p = probe::PciAddress::parse(o.peer);
        if (!p) return p.error();
        peer = *p;
    }
    auto apis = parse_list(o.apis, "API", kclient::parse_api, kclient::all_apis);
    if (!apis) return apis.error();
    auto mems = parse_list(o.mems, "memory type", kclient::parse_mem, kclient::all_mems);
    if (!mems) return mems.error();
    auto dir = kclient::parse_dir(o.direction);
    if (!dir) return make_error(Errc::invalid_argument, "unknown direction '" + o.direction + "'");
    auto size = parse_size(o.size, "--size");
    if (!size) return size.error();
    if (*size == 0 || *size > kclient::kMaxSizeBytes)
        return make_error(Errc::invalid_argument, "--size must be within 1 byte..1G (what the module maps at once)");
    auto bar_offset = parse_size(o.bar_offset, "--bar-offset");
    if (!bar_offset) return bar_offset.error();
    if (!o.cpus.empty() && o.threads != 1 && o.threads != o.cpus.size())
        return make_error(Errc::invalid_argument, "--cpus lists " + std::to_string(o.cpus.size()) +
                                                      " CPUs for --threads " + std::to_string(o.threads) +
                                                      ": one CPU per thread");
    const uint32_t threads = o.cpus.empty() ? o.threads : static_cast<uint32_t>(o.cpus.size());
    if (o.dmabuf_source == "vfio" && !peer)
        return make_error(Errc::invalid_argument, "--dmabuf vfio exports --peer's BAR: name the peer");
    if (o.dmabuf_source == "vfio" && o.dmabuf_fd >= 0)
        return make_error(Errc::invalid_argument, "--dmabuf vfio and --dmabuf-fd exclude each other");
    if (o.iterations && o.seconds > 0)
        return make_error(Errc::invalid_argument, "--iterations and --seconds exclude each other");

    auto dev = kclient::Device::open(o.node);
    if (!dev) return dev.error();

    std::vector<Row> rows;
    for (kclient::MapApi api : *apis) {
        for (kclient::MapMemory mem : *mems) {
            kclient::MapRequest q;
            q.device = *device;
            q.peer = peer;
            q.api = api;
            q.mem = mem;
            q.dir = *dir;
            q.threads = threads;
            q.cpus = o.cpus;
            q.size_bytes = *size;
            q.segments = o.segments;
            q.iterations = o.iterations;
            q.duration_ns = o.iterations ? 0 : static_cast<uint64_t>((o.seconds > 0 ? o.seconds : 1.0) * 1e9);
            q.dma_mask_bits = o.dma_mask_bits;
            q.bar = o.bar;
            q.bar_offset_bytes = *bar_offset;
            q.dmabuf_fd = o.dmabuf_fd;
            if (o.dmabuf_source == "vfio") q.dmabuf_source = kclient::MapRequest::DmabufSource::vfio;
            q.clock = o.clock == "monotonic" ? kclient::kClockMonotonic
                      : o.clock == "local"   ? kclient::kClockLocal
                                             : kclient::kClockDefault;
            if (o.dirty) q.flags |= kclient::kMapDirty;
            if (o.iova == "per_request") q.flags |= kclient::kMapIovaPerRequest;
            q = kclient::normalize(q);
            auto r = kclient::run_map(*dev, q);
            if (!r) return make_error(r.error().code, std::string(kclient::api_name(api)) + " x " +
                                                          std::string(kclient::mem_name(mem)) + ": " + r.error().message);
            rows.push_back(Row{q, std::move(*r)});
        }
    }
    out << (o.format == "json" ? render_map_json(dev->version(), rows) : render_map_text(dev->version(), rows));
    size_t stopped = 0;
    for (const auto& row : rows) stopped += row.result.ran() && !row.result.complete();
    if (stopped)
        return make_error(Errc::system, std::to_string(stopped) +
                                            " measurement(s) stopped before completing (see their status); their "
                                            "figures cover only the samples taken");
    return Ok{};
}

}  // namespace

Action add_map_command(CLI::App& app) {
    auto o = std::make_shared<MapOptions>();
    app.add_option("--device", o->device, "Device under test (BDF); bound to p2pscope for exclusive mode")
        ->required()
        ->type_name("BDF");
    app.add_option("--api", o->apis, "Mapping APIs: " + kclient::api_names() + ", or all")
        ->delimiter(',')
        ->capture_default_str()
        ->type_name("LIST");
    app.add_option("--memory", o->mems, "Memory types: " + kclient::mem_names() + ", or all")
        ->delimiter(',')
        ->capture_default_str()
        ->type_name("LIST");
    app.add_option("--size", o->size, "Bytes per map and thread (K, M, G suffixes)")->capture_default_str();
    app.add_option("--segments", o->segments, "Scatterlist entries (" + kclient::list_api_names() + ")")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.add_option("--threads", o->threads, "Kernel threads, each pinned to its own CPU")
        ->check(CLI::Range(1u, 4096u))
        ->capture_default_str();
    app.add_option("--cpus", o->cpus,
                   "The CPU of each thread, e.g. 2,3 (as many threads; isolated CPUs allowed). Default: "
                   "housekeeping CPUs, never isolcpus or nohz_full ones")
        ->delimiter(',')
        ->type_name("LIST");
    app.add_option("--iterations", o->iterations, "Samples per thread (instead of --seconds)")
        ->check(CLI::Range(uint64_t{1}, kclient::kMaxIterations));
    app.add_option("--seconds", o->seconds, "Duration of each measurement, up to 60 (default 1)")
        ->check(p2pscope::finite())
        ->check(CLI::Range(1e-6, static_cast<double>(kclient::kMaxDurationNs) / 1e9));
    app.add_option("--direction", o->direction, kclient::dir_names(" or "))->capture_default_str();
    app.add_option("--peer", o->peer,
                   "p2pmem provider (memory p2pmem), BAR owner (memory bar) or dma-buf exporter (memory dmabuf)")
        ->type_name("BDF");
    app.add_option("--bar", o->bar, "BAR index for memory bar and --dmabuf vfio")
        ->check(CLI::Range(0u, 5u))
        ->capture_default_str();
    app.add_option("--bar-offset", o->bar_offset, "Offset into the BAR")->capture_default_str();
    app.add_option("--dmabuf", o->dmabuf_source,
                   "Memory dmabuf: udmabuf (RAM, made for the run), or vfio (--peer's BAR --bar at --bar-offset, "
                   "exported by vfio-pci: the peer must be bound to vfio-pci; Linux 6.19 and later)")
        ->check(CLI::IsMember({"udmabuf", "vfio"}))
        ->capture_default_str();
    app.add_option("--dmabuf-fd", o->dmabuf_fd,
                   "An inherited dma-buf to import instead; with --peer it is that device's memory (P2P import)");
    app.add_option("--dma-mask-bits", o->dma_mask_bits, "Set the device's DMA mask for the run (exclusive mode)")
        ->check(CLI::Range(24u, 64u));
    app.add_option("--format", o->format, "Output: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--device-node", o->node, "The module's device node")->capture_default_str();
    app.add_option("--clock", o->clock,
                   "Sample clock: default (the module's cheapest fine clock), local (sched_clock) or monotonic "
                   "(ktime_get_ns, as the kernel's dma_map_benchmark times)")
        ->check(CLI::IsMember({"default", "local", "monotonic"}))
        ->capture_default_str();
    app.add_option("--iova", o->iova,
                   "iova_link's IOVA space: reused (allocated once per thread; unmap = dma_iova_unlink) or "
                   "per_request (allocated and destroyed in every sample, as the block layer does)")
        ->check(CLI::IsMember({"reused", "per_request"}))
        ->capture_default_str();
    app.add_flag("--dirty", o->dirty, "Write the buffer from the CPU before each map (not timed), as "
                                      "dma_map_benchmark does");
    app.footer(
        "Needs the p2pscope module (kmod/, see kmod/README.md) and root. Combinations the kernel, platform or\n"
        "device cannot run are reported as waived with the reason. Exit status: 0 done, 2 bad input, 3 could\n"
        "not run here (module missing, a measurement stopped early).");
    return [o](std::ostream& out) { return run_map(*o, out); };
}

}  // namespace p2pscope::cli
