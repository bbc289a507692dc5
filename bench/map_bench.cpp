// SPDX-License-Identifier: GPL-2.0-or-later
// Map benchmark: the rate at which p2pscope.ko takes samples on its fastest
// paths, and the cost of its clock, against the targets of at least 1 M
// samples/s per core and at most 15 ns of timer overhead per sample (ordinary
// x86 hardware; under QEMU's TCG both are far off, and the output says which
// machine it ran on).
//   p2pscope_map_bench --device BDF [Google Benchmark flags]
// Needs the module and the device bound to p2pscope (exclusive mode).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/names.hpp"

using namespace p2pscope;

namespace {

void run(benchmark::State& state, const kclient::Device& dev, kclient::MapRequest q) {
    for (auto _ : state) {
        auto r = dev.map_bench(q);
        if (!r) {
            state.SkipWithError(r.error().message.c_str());
            return;
        }
        if (!r->complete()) {
            state.SkipWithError(r->raw.reason);
            return;
        }
        const double seconds = static_cast<double>(r->raw.elapsed_ns) / 1e9;
        state.SetIterationTime(seconds);
        const auto map = r->map.summary();
        // One sample is a map and an unmap, each timed: two clock reads apiece.
        state.counters["samples_per_s"] = static_cast<double>(r->raw.map.count) / seconds;
        state.counters["timer_overhead_ns"] = static_cast<double>(r->raw.timer_overhead_ns);
        state.counters["map_p50_ns"] = map.p50_ns;
        state.counters["map_p99_ns"] = map.p99_ns;
        state.counters["unmap_p50_ns"] = r->unmap.summary().p50_ns;
    }
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
    std::string device;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--device") == 0) {
            device = argv[i + 1];
            for (int j = i; j + 2 <= argc; ++j) argv[j] = argv[j + 2];
            argc -= 2;
            break;
        }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    auto bdf = probe::PciAddress::parse(device);
    if (!bdf) {
        std::fprintf(stderr, "p2pscope_map_bench: --device BDF is required (%s)\n", bdf.error().message.c_str());
        return 2;
    }
    auto dev = kclient::Device::open();
    if (!dev) {
        std::fprintf(stderr, "p2pscope_map_bench: %s\n", dev.error().message.c_str());
        return 1;
    }
    auto caps = dev->caps();
    benchmark::AddCustomContext("kernel_release", dev->version().kernel_release);
    benchmark::AddCustomContext("module_version", dev->version().module_version);
    benchmark::AddCustomContext("cpu_model", cpu_model());
    if (caps)
        benchmark::AddCustomContext("timer_overhead_ns_local_clock",
                                    std::to_string(caps->timer_overhead_ns[P2PSCOPE_CLOCK_LOCAL]));

    // The fastest paths: one page of RAM through the streaming APIs.
    for (uint32_t api : {P2PSCOPE_API_MAP_SINGLE, P2PSCOPE_API_MAP_PAGE}) {
        kclient::MapRequest q;
        q.device = *bdf;
        q.api = api;
        q.mem = P2PSCOPE_MEM_RAM;
        q.size_bytes = 4096;
        q.iterations = 200000;
        const std::string name = "map/" + std::string(kclient::api_name(api)) + "/ram/4096";
        benchmark::RegisterBenchmark(name.c_str(), [&dev, q](benchmark::State& s) { run(s, *dev, q); })
            ->UseManualTime()
            ->Iterations(3)
            ->Unit(benchmark::kMillisecond);
    }
    benchmark::RunSpecifiedBenchmarks();
    std::printf("targets (ordinary x86 hardware): samples_per_s >= 1e6 per core, timer_overhead_ns <= 15\n");
    benchmark::Shutdown();
    return 0;
}
