// SPDX-License-Identifier: GPL-2.0-or-later
// Probe benchmark: the full analysis of the DGX-2 hwloc XML and of the live
// machine, beside lstopo and lspci reading the same inputs in the same run.
// Targets: DGX-2 analysis within 1.5x of `lstopo-no-graphics -i FILE --of xml`,
// the live probe with pair analysis no slower than `lspci -vvv`.
// Both sides are timed as whole processes (start-up included), and in-process
// figures are printed beside them.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/report.hpp"
#include "pci_ids.hpp"  // the prober's own pci.ids reader, timed alone
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

// Where a DGX-2 run's time goes: each stage alone.
const Topology& dgx2() {
    static const Topology t = *load_hwloc_xml(kDgx2);
    return t;
}
void BM_Dgx2_Stage_Load(benchmark::State& s) {
    for (auto _ : s) benchmark::DoNotOptimize(load_hwloc_xml(kDgx2));
}
void BM_Dgx2_Stage_PciIdsNames(benchmark::State& s) {
    std::vector<PciFunction> functions = dgx2().functions;
    for (auto& f : functions) f.vendor_name.clear(), f.device_name.clear();
    for (auto _ : s) {
        auto copy = functions;
        fill_names(copy);
        benchmark::DoNotOptimize(copy.data());
    }
}
void BM_Dgx2_Stage_Pairs(benchmark::State& s) {
    PairSelection all;
    all.all_classes = true;
    for (auto _ : s) {
        auto sel = select_functions(dgx2(), all);
        benchmark::DoNotOptimize(analyse_pairs(dgx2(), *sel));
    }
}
void report_stage(benchmark::State& s, bool json) {
    PairSelection all;
    all.all_classes = true;
    auto sel = select_functions(dgx2(), all);
    const auto pairs = analyse_pairs(dgx2(), *sel);
    const Report report{dgx2(), *sel, pairs};
    for (auto _ : s) benchmark::DoNotOptimize(json ? render_json(report) : render_text(report));
}
void BM_Dgx2_Stage_RenderJson(benchmark::State& s) { report_stage(s, true); }
void BM_Dgx2_Stage_RenderText(benchmark::State& s) { report_stage(s, false); }
// Process start-up alone: loading p2pscope's libraries and exiting.
void BM_Startup_P2pscopeVersion(benchmark::State& s) { run_command(s, kP2pscope + " --version"); }
void BM_Startup_LstopoVersion(benchmark::State& s) { run_command(s, "lstopo-no-graphics --version"); }
void BM_Dgx2_P2pscopeProcess(benchmark::State& s) {
    run_command(s, kP2pscope + " topo --class all --format json --hwloc-xml " + kDgx2);
}
void BM_Dgx2_Lstopo(benchmark::State& s) { run_command(s, "lstopo-no-graphics -i " + kDgx2 + " --of xml -"); }
void BM_Live_InProcess(benchmark::State& s) { analyse(s, [] { return load_sysfs(SysfsOptions{}); }); }
void BM_Live_P2pscopeProcess(benchmark::State& s) { run_command(s, kP2pscope + " topo --class all --format json"); }
void BM_Live_LspciVvv(benchmark::State& s) { run_command(s, "lspci -vvv"); }

BENCHMARK(BM_Dgx2_InProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Stage_Load)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Stage_PciIdsNames)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Stage_Pairs)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Stage_RenderJson)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Stage_RenderText)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Startup_P2pscopeVersion)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Startup_LstopoVersion)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_P2pscopeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Dgx2_Lstopo)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_InProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_P2pscopeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Live_LspciVvv)->Unit(benchmark::kMillisecond)->UseRealTime();

// Keeps each run's real time per iteration so the ratios can be printed.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        // One figure per benchmark: its run, or the median of its repetitions.
        for (const auto& r : runs) {
            if (r.error_occurred) continue;
            if (r.run_type == Run::RT_Iteration && !medians.count(r.run_name.str()))
                seconds[r.run_name.str()] = r.GetAdjustedRealTime() / 1e3;  // ms -> s
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
                seconds[r.run_name.str()] = r.GetAdjustedRealTime() / 1e3;
                medians.insert(r.run_name.str());
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> seconds;
    std::set<std::string> medians;
};

// The benchmarks above repeat each stage in one warm process. A p2pscope run
// does each once, in a fresh process: its first hwloc load, pair analysis
// and JSON report also pay for what is new to the process (heap pages
// touched for the first time, code and pci.ids pages mapped in, lazy symbol
// binding). `p2pscope_probe_bench --cold-stages` runs them once and prints
// each one's microseconds and minor page faults, and writing the report to
// /dev/null as p2pscope's standard output would be in the process benchmark.
constexpr const char* kColdStages = "--cold-stages";
constexpr int kColdColumns = 8;  // load, pairs, json, write (us); their page faults

int cold_stages() {
    using Clock = std::chrono::steady_clock;
    std::vector<double> cols;
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    Clock::time_point start = Clock::now();
    std::vector<long> faults;
    auto lap = [&] {
        const auto now = Clock::now();
        rusage r{};
        ::getrusage(RUSAGE_SELF, &r);
        cols.push_back(std::chrono::duration<double, std::micro>(now - start).count());
        faults.push_back(r.ru_minflt - before.ru_minflt);
        before = r;
        start = Clock::now();
    };
    auto t = load_hwloc_xml(kDgx2);
    if (!t) return 1;
    lap();
    PairSelection all;
    all.all_classes = true;
    auto sel = select_functions(*t, all);
    const auto pairs = analyse_pairs(*t, *sel);
    lap();
    const std::string json = render_json(Report{*t, *sel, pairs});
    lap();
    FILE* null = std::fopen("/dev/null", "w");
    if (!null || std::fwrite(json.data(), 1, json.size(), null) != json.size() || std::fclose(null) != 0) return 1;
    lap();
    for (double c : cols) std::printf("%.1f ", c);
    for (long f : faults) std::printf("%ld ", f);
    std::printf("\n");
    return 0;
}

// Medians over RUNS fresh processes of the columns cold_stages() prints; empty when a run fails.
std::vector<double> cold_stage_medians(int runs) {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return {};
    self[n] = '\0';
    std::vector<std::vector<double>> samples(kColdColumns);
    for (int i = 0; i < runs; ++i) {
        FILE* child = ::popen(("'" + std::string(self) + "' " + kColdStages).c_str(), "r");
        if (!child) return {};
        std::vector<double> row(kColdColumns);
        int got = 0;
        for (double& v : row) got += std::fscanf(child, "%lf", &v) == 1;
        if (::pclose(child) != 0 || got != kColdColumns) return {};
        for (int c = 0; c < kColdColumns; ++c) samples[static_cast<size_t>(c)].push_back(row[static_cast<size_t>(c)]);
    }
    std::vector<double> medians;
    for (auto& s : samples) {
        std::sort(s.begin(), s.end());
        medians.push_back(s[s.size() / 2]);
    }
    return medians;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], kColdStages) == 0) return cold_stages();
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
    std::printf("\nWhere a DGX-2 `p2pscope topo --class all --format json` run goes (ms):\n");
    auto ms = [&](const char* name) {
        auto it = reporter.seconds.find(std::string(name) + "/real_time");
        return it == reporter.seconds.end() ? -1.0 : it->second * 1e3;
    };
    const double whole = ms("BM_Dgx2_P2pscopeProcess"), startup = ms("BM_Startup_P2pscopeVersion"),
                 load = ms("BM_Dgx2_Stage_Load"), names = ms("BM_Dgx2_Stage_PciIdsNames"),
                 pairs = ms("BM_Dgx2_Stage_Pairs"), json = ms("BM_Dgx2_Stage_RenderJson");
    if (std::min({whole, startup, load, names, pairs, json, ms("BM_Startup_LstopoVersion")}) < 0) {
        std::printf("  not measured (run every BM_Dgx2_* and BM_Startup_* benchmark)\n");
    } else {
        std::printf("  warm, each stage repeated in this process: hwloc XML load %.2f (of which pci.ids names %.2f), "
                    "pairs %.2f, JSON %.2f\n",
                    load, names, pairs, json);
        const auto cold = cold_stage_medians(15);
        if (cold.empty()) {
            std::printf("  whole process %.2f = start-up %.2f (lstopo's %.2f) + warm stages %.2f + rest %.2f "
                        "(the cold stages could not be measured)\n",
                        whole, startup, ms("BM_Startup_LstopoVersion"), load + pairs + json,
                        whole - startup - load - pairs - json);
        } else {
            const double c_load = cold[0] / 1e3, c_pairs = cold[1] / 1e3, c_json = cold[2] / 1e3, c_write = cold[3] / 1e3;
            std::printf("  cold, once in a fresh process (median of 15): hwloc XML load %.2f (%.0f page faults), pairs "
                        "%.2f (%.0f), JSON %.2f (%.0f), writing it %.2f (%.0f)\n",
                        c_load, cold[4], c_pairs, cold[5], c_json, cold[6], c_write, cold[7]);
            std::printf("  whole process %.2f = start-up %.2f (lstopo's %.2f) + cold stages %.2f (%.2f over the warm "
                        "ones: first-touch memory and code) + rest %.2f (arguments, exit)\n",
                        whole, startup, ms("BM_Startup_LstopoVersion"), c_load + c_pairs + c_json + c_write,
                        c_load + c_pairs + c_json + c_write - load - pairs - json,
                        whole - startup - c_load - c_pairs - c_json - c_write);
        }
    }
    ratio("BM_Live_P2pscopeProcess/real_time", "BM_Live_LspciVvv/real_time", 1.0,
          "live: p2pscope topo --class all vs lspci -vvv");
    benchmark::Shutdown();
    return 0;
}
