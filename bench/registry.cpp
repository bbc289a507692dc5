// SPDX-License-Identifier: GPL-2.0-or-later
#include "registry.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <set>

#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/map_run.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::bench {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// SkipWithError that the later repetitions of the benchmark repeat.
void fail(benchmark::State& state, Harness& h, const std::string& name, const std::string& why) {
    h.failed.emplace(name, why);
    state.SkipWithError(why.c_str());
}

// True (and the state skipped) when an earlier repetition of `name` failed.
bool failed_before(benchmark::State& state, const Harness& h, const std::string& name) {
    const auto it = h.failed.find(name);
    if (it == h.failed.end()) return false;
    state.SkipWithError(("an earlier repetition failed: " + it->second).c_str());
    return true;
}

void record_overhead(Harness& h, const std::string& name, double wall, double measured, uint64_t n,
                     benchmark::State& state) {
    if (n == 0 || measured <= 0) return;
    h.overhead[name] = Overhead{wall, measured, n};
    state.counters["harness_ratio"] = wall / measured;
}

// ---- map ------------------------------------------------------------------

void run_map_benchmark(benchmark::State& state, const kclient::Device& dev, const kclient::MapRequest& q,
                       Harness& h, const std::string& name) {
    double measured = 0, wall = 0, bytes = 0, samples = 0;
    double p50 = 0, p99 = 0, up50 = 0, up99 = 0, timer = 0;
    double min_ns = std::numeric_limits<double>::infinity();
    uint64_t n = 0;
    bool slowed = false;
    if (failed_before(state, h, name)) return;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        auto r = kclient::run_map(dev, q);
        wall += since(t0);
        if (!r) {
            fail(state, h, name, r.error().message);
            break;
        }
        if (!r->complete()) {
            fail(state, h, name, std::string(r->ran() ? "stopped: " : "waived: ") + r->raw.reason);
            break;
        }
        const double s = static_cast<double>(r->raw.elapsed_ns) / 1e9;
        if (s <= 0) {
            fail(state, h, name, "the module measured no time");
            break;
        }
        state.SetIterationTime(s);
        measured += s;
        ++n;
        const auto m = r->map.summary();
        const auto u = r->unmap.summary();
        samples += static_cast<double>(r->raw.map.count);
        bytes += static_cast<double>(r->raw.map.count) * static_cast<double>(r->raw.size_bytes);
        p50 += m.p50_ns;
        p99 += m.p99_ns;
        min_ns = std::min(min_ns, static_cast<double>(m.min_ns));
        up50 += u.p50_ns;
        up99 += u.p99_ns;
        timer += static_cast<double>(r->raw.timer_overhead_ns);
        slowed = slowed || r->test_slowdown();
    }
    if (n == 0) return;
    // a module loaded with test_slowdown_pct: inflated on purpose, say so
    if (slowed) state.counters["test_slowdown"] = 1;
    const double dn = static_cast<double>(n);
    state.counters["bytes_per_second"] = bytes / measured;  // bytes mapped (and unmapped) per second
    state.counters["samples_per_s"] = samples / measured;
    state.counters["p50_ns"] = p50 / dn;
    state.counters["p99_ns"] = p99 / dn;
    state.counters["min_ns"] = min_ns;  // the fastest map of all: what interference cannot inflate
    state.counters["unmap_p50_ns"] = up50 / dn;
    state.counters["unmap_p99_ns"] = up99 / dn;
    state.counters["timer_overhead_ns"] = timer / dn;
    record_overhead(h, name, wall, measured, n, state);
}

// ---- transfers ------------------------------------------------------------

struct XferCase {
    std::string name;
    xfer::Request request;
    std::optional<double> ceiling;  // bytes/s of the narrowest link on the path
    std::string label;              // the path, or why it has no link
};

void run_xfer_benchmark(benchmark::State& state, const XferCase& c, Harness& h) {
    if (failed_before(state, h, c.name)) return;
    auto engine = xfer::make_engine(c.request.engine);
    if (!engine) {
        state.SkipWithError("unknown engine");
        return;
    }
    if (auto s = engine->setup(c.request); !s) {
        engine->teardown();
        fail(state, h, c.name, "setup: " + s.error().message);
        return;
    }
    state.SetLabel(c.label);
    bool count = h.papi.available();
    std::map<std::string, double> papi_sum;
    double measured = 0, wall = 0, bytes = 0, p50 = 0, p99 = 0, transfers = 0;
    uint64_t n = 0;
    std::optional<bool> verified;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        if (count && !h.papi.start()) count = false;
        auto rows = engine->run();
        std::optional<std::vector<CounterValue>> papi;
        if (count) {
            auto v = h.papi.stop();
            if (v) papi = std::move(*v);
            else count = false;
        }
        wall += since(t0);
        if (!rows) {
            fail(state, h, c.name, rows.error().message);
            break;
        }
        if (rows->size() != 1) {
            fail(state, h, c.name,
                 "the engine returned " + std::to_string(rows->size()) + " measurements for one request");
            break;
        }
        const auto& m = rows->front();
        if (!m.ok()) {
            fail(state, h, c.name, m.status_text());
            break;
        }
        if (m.seconds <= 0 || m.transfers == 0) {
            fail(state, h, c.name, "the engine measured no time");
            break;
        }
        state.SetIterationTime(m.seconds);
        measured += m.seconds;
        ++n;
        bytes += static_cast<double>(m.transfers) * static_cast<double>(m.transfer_bytes);
        transfers += static_cast<double>(m.transfers);
        p50 += m.latency.p50_ns;
        p99 += m.latency.p99_ns;
        if (m.verified) verified = verified.value_or(true) && *m.verified;
        if (papi)
            for (const auto& v : *papi) papi_sum[v.event] += static_cast<double>(v.value);
    }
    engine->teardown();
    if (n == 0) return;
    const double dn = static_cast<double>(n);
    const double rate = bytes / measured;
    state.counters["bytes_per_second"] = rate;
    state.counters["p50_ns"] = p50 / dn;
    state.counters["p99_ns"] = p99 / dn;
    state.counters["transfers"] = transfers / dn;
    if (c.ceiling && *c.ceiling > 0) state.counters["link_fraction"] = rate / *c.ceiling;
    if (verified) state.counters["verified"] = *verified ? 1 : 0;
    // Per measurement (iteration), counted around the engine's run().
    if (count)
        for (const auto& [event, sum] : papi_sum) state.counters[event] = sum / dn;
    record_overhead(h, c.name, wall, measured, n, state);
}

std::string size_label(uint64_t size) { return std::to_string(size); }

// The memories of an engine a benchmark measures: those of --memory it
// takes, else its default (each memory it stands for, when several), and the
// memory a --peer provides.
std::vector<std::string> bench_memories(const xfer::EngineSpec& e, const Options& o) {
    std::vector<std::string> out;
    auto one_row = [](const xfer::MemoryChoice* m) { return m && !(m->traits & xfer::kMemSeveral); };
    if (!o.memory.empty()) {
        for (const auto& m : o.memory)
            if (one_row(e.memory(m))) out.push_back(m);
        return out;
    }
    xfer::Request defaults;
    defaults.file = o.file;
    e.complete(defaults);
    const xfer::MemoryChoice* d = e.memory(defaults.memory);
    if (!d && !e.memories.empty()) d = &e.memories.front();  // the implied one
    for (const auto& m : e.memories) {
        const bool chosen = d && (d->traits & xfer::kMemSeveral) ? one_row(&m) : &m == d;
        if (chosen || ((m.traits & xfer::kMemOfPeer) && o.peer)) out.emplace_back(m.name);
    }
    return out;
}

// The directions of an engine a benchmark measures: those of --directions it
// takes, else its default; an engine with one direction has no choice.
std::vector<std::string> bench_directions(const xfer::EngineSpec& e, const Options& o) {
    std::vector<std::string> out;
    if (e.directions.empty()) return {""};
    if (o.directions.empty() || e.directions.size() == 1) return {std::string(e.directions.front())};
    for (const auto& d : o.directions)
        if (std::find(e.directions.begin(), e.directions.end(), d) != e.directions.end()) out.push_back(d);
    return out;
}

// The last part of a path: the benchmark name's target for a block device.
std::string base_name(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

}  // namespace

void ContextLines::add(const std::string& key, const std::string& value) {
    for (auto& [k, v] : lines_)
        if (k == key) {
            if (("; " + v + "; ").find("; " + value + "; ") == std::string::npos) v += "; " + value;
            return;
        }
    lines_.emplace_back(key, value);
}

Result<std::vector<std::string>> register_map_family(const Options& o, std::shared_ptr<Harness> harness,
                                                     ContextLines& context) {
    std::vector<std::string> names;
    if (!o.map) {
        context.add("map", "waived: --no-map");
        return names;
    }
    std::vector<kclient::MapMemory> mems;
    for (const auto& m : o.memory)
        if (auto v = kclient::parse_mem(m)) mems.push_back(*v);
    if (o.memory.empty()) mems.push_back(kclient::MapMemory::ram);
    if (mems.empty()) {
        context.add("map", "waived: no map memory type in --memory");
        return names;
    }
    if (o.devices.empty()) {
        context.add("map", "waived: no --device given (the module maps for a device)");
        return names;
    }
    auto opened = kclient::Device::open();
    if (!opened) {
        context.add("map", "waived: " + opened.error().message);
        return names;
    }
    auto dev = std::make_shared<kclient::Device>(std::move(*opened));
    context.add("module_version", dev->version().module_version);
    for (const auto& bdf : o.devices)
        for (const auto& api_text : o.apis)
            for (kclient::MapMemory mem : mems)
                for (uint64_t size : o.sizes) {
                    kclient::MapRequest q;
                    q.device = bdf;
                    q.api = *kclient::parse_api(api_text);
                    q.mem = mem;
                    q.size_bytes = size;
                    q.iterations = 16;
                    q = kclient::normalize(q);
                    const std::string name = "map/" + bdf.to_string() + "/" + api_text + "/" +
                                             std::string(kclient::mem_name(mem)) + "/" + size_label(size);
                    // A short run first: what the module cannot do is a waiver, not a benchmark.
                    auto probe = kclient::run_map(*dev, q);
                    if (!probe) {
                        context.add(name, "waived: " + probe.error().message);
                        continue;
                    }
                    if (!probe->complete()) {
                        context.add(name, std::string(probe->ran() ? "stopped: " : "waived: ") + probe->raw.reason);
                        continue;
                    }
                    q.iterations = o.map_samples;
                    benchmark::RegisterBenchmark(name.c_str(),
                                                 [dev, q, harness, name](benchmark::State& s) {
                                                     run_map_benchmark(s, *dev, q, *harness, name);
                                                 })
                        ->UseManualTime()
                        ->Unit(benchmark::kMicrosecond);
                    names.push_back(name);
                }
    if (names.empty()) context.add("map", "waived: no combination ran (see the map/... lines)");
    return names;
}

Result<std::vector<std::string>> register_xfer_family(const Options& o, const probe::Topology* topology,
                                                      std::shared_ptr<Harness> harness, ContextLines& context) {
    std::vector<std::string> names;
    for (const auto& engine_name : o.engines) {
        const xfer::EngineSpec* spec = xfer::find_engine(engine_name);
        if (!spec) return make_error(Errc::invalid_argument, "unknown engine '" + engine_name + "'");
        auto engine = spec->make();
        const std::string key = "xfer " + engine_name;
        const std::vector<std::string> memories = bench_memories(*spec, o);
        if (memories.empty()) {
            context.add(key, "waived: none of --memory applies to it");
            continue;
        }
        const std::vector<std::string> directions = bench_directions(*spec, o);
        if (directions.empty()) {
            context.add(key, "waived: none of --directions applies to it");
            continue;
        }
        const bool widths = spec->reads(xfer::kFieldWidths);
        const std::vector<std::string> width_list = widths ? o.widths : std::vector<std::string>{"8"};
        const bool depths = spec->reads(xfer::kFieldQueueDepth);
        const std::vector<uint32_t> depth_list = depths ? o.queue_depths : std::vector<uint32_t>{1};
        std::set<std::string> reasons;
        size_t registered = 0;
        std::vector<std::pair<std::string, std::string>> waived;  // combination, reason
        for (const auto& memory : memories) {
            const xfer::MemoryChoice& mem = *spec->memory(memory);
            const bool file = mem.traits & xfer::kMemFile;
            // Memory without a device (a file, RAM to RAM), or a device found from --block.
            const bool no_device = !mem.no_link.empty() || (spec->reads(xfer::kFieldBlock) && !o.block.empty());
            std::vector<std::optional<probe::PciAddress>> devices;
            if (no_device || o.devices.empty()) devices.push_back(std::nullopt);
            else devices.assign(o.devices.begin(), o.devices.end());
            for (const auto& device : devices)
                for (const auto& direction : directions)
                    for (const auto& width : width_list)
                        for (uint32_t depth : depth_list)
                        for (uint64_t size : o.sizes) {
                            xfer::Request q;
                            q.engine = engine_name;
                            q.device = device;
                            q.memory = mem.traits & xfer::kMemImplied ? "" : memory;
                            q.bar = mem.no_link.empty() ? o.bar : -1;
                            q.file = file ? o.file : "";
                            q.offset = o.offset;
                            q.queue_depth = depth;
                            q.destructive = o.destructive;
                            if (spec->reads(xfer::kFieldBlock)) q.block = o.block;
                            if (spec->reads(xfer::kFieldSourceBlock)) q.source_block = o.block;  // read into p2pmem
                            if (mem.traits & xfer::kMemOfPeer) q.peer = o.peer;
                            q.direction = direction;
                            q.widths = {width};
                            q.size = size;
                            q.iterations = o.transfers;
                            q.sysfs_root = o.topology.sysfs_root;
                            const std::string target = file ? "file"
                                                       : device         ? device->to_string()
                                                       : !q.block.empty() ? base_name(q.block)
                                                                        : "default";
                            std::string name = "xfer/" + engine_name + "/" + target +
                                               (file ? "" : "/" + memory) + "/" + direction;
                            if (widths) name += "/" + width;
                            if (depths) name += "/qd" + std::to_string(depth);
                            name += "/" + size_label(size);
                            const auto verdict = xfer::check_request(*spec, *engine, q);
                            if (verdict.kind == xfer::CheckResult::Kind::invalid && o.engines_named)
                                return make_error(Errc::invalid_argument, verdict.reason.rfind("engine ", 0) == 0
                                                                              ? verdict.reason
                                                                              : "engine " + engine_name + ": " + verdict.reason);
                            if (!verdict.ok()) {
                                reasons.insert(verdict.reason);
                                waived.emplace_back(name, verdict.reason);
                                continue;
                            }
                            XferCase c;
                            c.name = name;
                            c.request = q;
                            // The devices on the path: the one named, or the block device's; nvme's p2pmem provider.
                            std::vector<probe::PciAddress> path;
                            if (device) path.push_back(*device);
                            else if (!q.block.empty())
                                if (auto b = xfer::block_device_pci(o.topology.sysfs_root, q.block)) path.push_back(*b);
                            if (q.peer && !path.empty() && *q.peer != path.front()) path.push_back(*q.peer);
                            if (!mem.no_link.empty()) {
                                c.label = "no link: " + std::string(mem.no_link);
                            } else if (!path.empty() && topology) {
                                auto p = xfer::describe_path(*topology, path);
                                if (p && p->ceiling_bytes_per_s) {
                                    c.ceiling = p->ceiling_bytes_per_s;
                                    c.label = p->ceiling_link;
                                } else {
                                    c.label = p ? "no link ceiling known" : "no link ceiling: " + p.error().message;
                                }
                            } else {
                                c.label = !path.empty() ? "no link ceiling: topology not read" : "engine's default device";
                            }
                            benchmark::RegisterBenchmark(
                                name.c_str(), [c, harness](benchmark::State& s) { run_xfer_benchmark(s, c, *harness); })
                                ->UseManualTime()
                                ->Unit(benchmark::kMicrosecond);
                            names.push_back(name);
                            ++registered;
                        }
        }
        if (registered == 0 && reasons.size() == 1) {
            context.add(key, "waived: " + *reasons.begin());
        } else {
            for (const auto& [combo, reason] : waived) context.add(combo, "waived: " + reason);
        }
    }
    return names;
}

}  // namespace p2pscope::bench
