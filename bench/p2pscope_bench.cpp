// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-bench: Google Benchmark over what this machine has. Benchmarks are
// registered at run time (bench/registry.cpp): map measurements through
// /dev/p2pscope and transfers by the xfer engines, each iteration timed by
// the kernel's or the engine's own clock (manual time), with user counters
// (bytes_per_second, p50_ns, p99_ns, link_fraction, verified, PAPI events)
// and a context naming the machine (kernel, IOMMU mode, CPU, topology hash).
//   p2pscope-bench [OPTIONS] [--benchmark_* flags]       (docs/bench.md)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench_context.hpp"
#include "bench_options.hpp"
#include "papi_counters.hpp"
#include "registry.hpp"

using namespace p2pscope;
using namespace p2pscope::bench;

namespace {

int fail(const Error& e) {
    std::fprintf(stderr, "p2pscope-bench: %s\n", e.message.c_str());
    return exit_status(e.code);
}

bool machine_readable_stdout(const std::vector<std::string>& gbench_args) {
    for (const auto& a : gbench_args)
        if (a == "--benchmark_format=json" || a == "--benchmark_format=csv") return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = parse_options(args);
    if (!parsed) return fail(parsed.error());
    const Options& o = *parsed;
    if (o.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }

    // Google Benchmark's own flags: every one must be known to it.
    std::vector<std::string> gargs{argv[0]};
    gargs.insert(gargs.end(), o.benchmark_args.begin(), o.benchmark_args.end());
    std::vector<char*> gargv;
    for (auto& a : gargs) gargv.push_back(a.data());
    int gargc = static_cast<int>(gargv.size());
    benchmark::Initialize(&gargc, gargv.data());
    if (gargc > 1) {
        std::fprintf(stderr, "p2pscope-bench: unknown Google Benchmark flag '%s'\n", gargv[1]);
        return 2;
    }

    const bool named_source = o.topology.sysfs_root != "/" || !o.topology.hwloc_xml.empty() ||
                              !o.topology.lspci_dump.empty();
    ContextLines context;
    context.add("p2pscope_version", P2PSCOPE_VERSION);
    context.add("kernel_release", kernel_release());
    context.add("cpu_model", cpu_model(o.topology.sysfs_root));
    context.add("iommu_mode", iommu_mode(o.topology.sysfs_root));
    auto hash = topology_hash(o.topology);
    if (!hash && named_source) return fail(hash.error());
    context.add("topology_source", !o.topology.hwloc_xml.empty()    ? "hwloc-xml " + o.topology.hwloc_xml
                                   : !o.topology.lspci_dump.empty() ? "lspci-dump " + o.topology.lspci_dump
                                                                    : "sysfs " + o.topology.sysfs_root);
    context.add("topology_hash", hash ? *hash : "unavailable: " + hash.error().message);

    // The devices' links, for the fraction of the ceiling.
    std::optional<probe::Topology> topology;
    if (!o.devices.empty() || !o.block.empty()) {
        probe::TopologyInput live;
        live.sysfs_root = o.topology.sysfs_root;
        if (auto t = probe::load_topology(live)) topology = std::move(*t);
        else context.add("link_ceilings", "unavailable: " + t.error().message);
    }

    std::vector<std::string> events = o.papi_events.empty() ? PapiCounters::default_events() : o.papi_events;
    if (o.papi_uncore) {
        auto uncore = PapiCounters::uncore_pcie_events();
        if (uncore) events.insert(events.end(), uncore->begin(), uncore->end());
        context.add("papi_uncore", uncore ? std::to_string(uncore->size()) + " IIO/PCIe event(s) asked for"
                                          : "none: " + uncore.error().message);
    }
    auto harness = std::make_shared<Harness>(PapiCounters::open(events));
    context.add("papi", harness->papi.status_line());

    auto maps = register_map_family(o, harness, context);
    if (!maps) return fail(maps.error());
    auto xfers = register_xfer_family(o, topology ? &*topology : nullptr, harness, context);
    if (!xfers) return fail(xfers.error());
    context.add("benchmarks_registered", std::to_string(maps->size()) + " map, " + std::to_string(xfers->size()) +
                                             " transfer");
    context.add("harness_overhead", "counter harness_ratio: wall time of an iteration (harness and PAPI included) "
                                    "over the kernel's or engine's measured time");
    for (const auto& [k, v] : context.lines()) benchmark::AddCustomContext(k, v);

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

    // The harness's cost, where it does not get in the way of a report on stdout.
    FILE* figures = machine_readable_stdout(o.benchmark_args) ? stderr : stdout;
    for (const auto& [name, ov] : harness->overhead)
        std::fprintf(figures, "harness overhead %s: %.3f (wall %.1f us vs measured %.1f us per iteration)\n",
                     name.c_str(), ov.wall_seconds / ov.measured_seconds,
                     ov.wall_seconds / static_cast<double>(ov.iterations) * 1e6,
                     ov.measured_seconds / static_cast<double>(ov.iterations) * 1e6);
    return 0;
}
