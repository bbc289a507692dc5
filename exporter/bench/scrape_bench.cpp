// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped_bench: scrape latency and memory of p2pscoped on a DGX-2 sized
// topology while a measurement runs, as a Prometheus server (1 scraper), a
// few dashboards (4) and a stampede (50) would load it. Prints p50/p90/p99/max
// and the daemon's RSS against the targets (p99 <= 5 ms, RSS <= 40 MB); it
// asserts nothing: figures, not a timed test.
//
//   p2pscoped_bench [--fixture FILE.xml] [--scrapes N] [--daemon PATH]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scrape_client.hpp"

namespace {

using p2pscope::scrape::Daemon;

struct Phase {
    int scrapers;
    int scrapes_each;
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
    return v[i];
}

}  // namespace

int main(int argc, char** argv) {
    std::string fixture = std::string(P2PSCOPE_FIXTURES_DEFAULT) + "/hwloc-xml/nvidiaDGX2.xml";
    std::string daemon_path = P2PSCOPED;
    int scrapes = 2000;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--fixture" && i + 1 < argc) fixture = argv[++i];
        else if (a == "--daemon" && i + 1 < argc) daemon_path = argv[++i];
        else if (a == "--scrapes" && i + 1 < argc) scrapes = std::max(50, std::atoi(argv[++i]));
        else {
            std::fprintf(stderr, "usage: p2pscoped_bench [--fixture FILE.xml] [--scrapes N] [--daemon PATH]\n");
            return 2;
        }
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "p2pscoped-bench-XXXXXX").string();  // $TMPDIR
    if (!::mkdtemp(tmpl.data())) {
        std::perror("mkdtemp");
        return 1;
    }
    const std::filesystem::path dir = tmpl;
    // A topology probe every 50 ms within a 50 % duty cycle: scrapes meet a
    // measurement about half of the time, and snapshots swap under them.
    {
        std::ofstream cfg(dir / "bench.json");
        cfg << R"({"schema":"p2pscoped.config/1","duty_cycle":0.5,"journal":{"path":")" << (dir / "journal").string()
            << R"("},"measurements":[{"key":"topology","kind":"topology","interval_s":0.05},)"
            << R"({"key":"gpu0-map","kind":"map","device":"0000:34:00.0","interval_s":0.05}]})";
    }
    Daemon d(daemon_path, {"--hwloc-xml", fixture, "--config", (dir / "bench.json").string(),
                            "--http-per-client", "256"},  // 50 scrapers from one address: a load, not an abuse
             (dir / "log").string());
    const int port = d.wait_port();
    if (!port) {
        std::fprintf(stderr, "p2pscoped_bench: p2pscoped did not start:\n%s", d.log().c_str());
        return 1;
    }
    auto first = p2pscope::scrape::get(port, "/metrics");
    size_t series = 0;
    for (size_t p = 0; p < first.body.size(); p = first.body.find('\n', p) + 1) {
        if (first.body[p] != '#') ++series;
        if (first.body.find('\n', p) == std::string::npos) break;
    }
    std::printf("p2pscoped_bench: %s, /metrics %zu bytes, %zu samples; topology probe every 50 ms at 50 %% duty cycle\n",
                std::filesystem::path(fixture).filename().c_str(), first.body.size(), series);
    for (int i = 0; i < 200; ++i) (void)p2pscope::scrape::get(port, "/metrics");  // warm up

    const std::vector<Phase> phases{{1, scrapes}, {4, scrapes / 4}, {50, std::max(20, scrapes / 50)}};
    std::printf("%-9s %8s %9s %9s %9s %9s %10s %8s %9s %9s\n", "scrapers", "scrapes", "p50 ms", "p90 ms", "p99 ms", "max ms",
                "scrapes/s", "errors", "RSS MB", "peak MB");
    bool met = true;
    for (const auto& ph : phases) {
        std::vector<std::vector<double>> lat(static_cast<size_t>(ph.scrapers));
        std::atomic<int> errors{0};
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < ph.scrapers; ++t) {
            threads.emplace_back([&, t] {
                auto& mine = lat[static_cast<size_t>(t)];
                mine.reserve(static_cast<size_t>(ph.scrapes_each));
                for (int i = 0; i < ph.scrapes_each; ++i) {
                    const auto s = std::chrono::steady_clock::now();
                    auto r = p2pscope::scrape::get(port, "/metrics");
                    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
                    if (!r.ok()) ++errors;
                    mine.push_back(ms);
                }
            });
        }
        for (auto& t : threads) t.join();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::vector<double> all;
        for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
        const auto [rss, hwm] = p2pscope::scrape::rss_bytes(d.pid());
        const double p50 = percentile(all, 0.5), p90 = percentile(all, 0.9), p99 = percentile(all, 0.99);
        std::printf("%-9d %8zu %9.3f %9.3f %9.3f %9.3f %10.0f %8d %9.1f %9.1f\n", ph.scrapers, all.size(), p50, p90, p99,
                    all.empty() ? 0.0 : all.back(), static_cast<double>(all.size()) / wall, errors.load(),
                    static_cast<double>(rss) / 1e6, static_cast<double>(hwm) / 1e6);
        if (ph.scrapers == 1) met &= p99 <= 5.0;
        met &= hwm <= 40'000'000;
    }
    const auto snap = p2pscope::scrape::get(port, "/snapshot.json");
    std::printf("/snapshot.json %zu bytes\n", snap.body.size());
    std::printf("targets: p99 <= 5 ms for a single scraper (Prometheus), peak RSS <= 40 MB: %s\n", met ? "met" : "NOT met");
    d.kill(SIGTERM);
    std::filesystem::remove_all(dir);
    return 0;
}
