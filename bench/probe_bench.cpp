// SPDX-License-Identifier: GPL-2.0-or-later
// Probe benchmark: the full analysis of the DGX-2 hwloc XML and of the live
// machine, beside lstopo and lspci reading the same inputs in the same run.
// Targets: DGX-2 analysis within 1.5x of `lstopo-no-graphics -i FILE --of xml`,
// the live probe with pair analysis no slower than `lspci -vvv`.
// Both sides are timed as whole processes (start-up included), and in-process
// figures are printed beside them.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/sources.hpp"

using namespace p2pscope::probe;

namespace {

const std::string kDgx2 = std::string(P2PSCOPE_FIXTURES) + "/hwloc-xml/nvidiaDGX2.xml";
const std::string kP2pscope = P2PSCOPE_BINARY;

void run_command(benchmark::State& state, const std::string& cmd) {
    const std::string quiet = cmd + " >/dev/null 2>&1";
    for (auto _ : state) {
        if (std::system(quiet.c_str()) != 0) {
            state.SkipWithError(("command failed: " + cmd).c_str());
            break;
        }
    }
}

void analyse(benchmark::State& state, const std::function<p2pscope::Result<Topology>()>& load) {
    PairSelection all;
    all.all_classes = true;
    for (auto _ : state) {
        auto t = load();
        if (!t) {
            state.SkipWithError(t.error().message.c_str());
            break;
        }
        auto sel = select_functions(*t, all);
        auto pairs = analyse_pairs(*t, *sel);
        benchmark::DoNotOptimize(pairs.data());
        state.counters["pairs"] = static_cast<double>(pairs.size());
    }
}

void BM_Dgx2_InProcess(benchmark::State& s) { analyse(s, [] { return load_hwloc_xml(kDgx2); }); }
void BM_Dgx2_P2pscopeProcess(benchmark::State& s) {
    run_command(s, kP2pscope + " topo --class all --format json --hwloc-xml " + kDgx2);
}
void BM_Dgx2_Lstopo(benchmark::State& s) { run_command(s, "lstopo-no-graphics -i " + kDgx2 + " --of xml -"); }
void BM_Live_InProcess(benchmark::State& s) { analyse(s, [] { return load_sysfs(SysfsOptions{}); }); }
void BM_Live_P2pscopeProcess(benchmark::State& s) { run_command(s, kP2pscope + " topo --class all --format json"); }
void BM_Live_LspciVvv(benchmark::State& s) { run_command(s, "lspci -vvv"); }

BENCHMARK(BM_Dgx2_InProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_P2pscopeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Lstopo)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_InProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_P2pscopeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_LspciVvv)->Unit(benchmark::kMillisecond)->UseRealTime();

// Keeps each run's real time per iteration so the ratios can be printed.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& r : runs)
            if (!r.error_occurred && r.run_type == Run::RT_Iteration)
                seconds[r.benchmark_name()] = r.GetAdjustedRealTime() / 1e3;  // ms -> s
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    auto ratio = [&](const char* ours, const char* ref, double target, const char* what) {
        auto a = reporter.seconds.find(ours), b = reporter.seconds.find(ref);
        if (a == reporter.seconds.end() || b == reporter.seconds.end() || b->second <= 0) {
            std::printf("%-58s not measured\n", what);
            return;
        }
        const double r = a->second / b->second;
        std::printf("%-58s %6.2fx (target <= %.1fx) %s\n", what, r, target, r <= target ? "met" : "MISSED");
    };
    std::printf("\nRatios (process against process, same run):\n");
    ratio("BM_Dgx2_P2pscopeProcess/real_time", "BM_Dgx2_Lstopo/real_time", 1.5,
          "DGX-2 XML: p2pscope topo --class all vs lstopo --of xml");
    ratio("BM_Live_P2pscopeProcess/real_time", "BM_Live_LspciVvv/real_time", 1.0,
          "live: p2pscope topo --class all vs lspci -vvv");
    benchmark::Shutdown();
    return 0;
}
