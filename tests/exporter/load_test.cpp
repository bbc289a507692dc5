// SPDX-License-Identifier: GPL-2.0-or-later
// exporter.load: 50 concurrent scrapers, 1000 scrapes each, plus two GUI
// pollers on /snapshot.json, while measurements run (a topology probe every
// 50 ms within a 50 % duty cycle, a map run that fails without the module):
// every response must be whole and right, and the measurements must have
// gone on during the load.
//
//   exporter_load_test P2PSCOPED FIXTURE.xml
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scrape_client.hpp"

namespace {

constexpr int kScrapers = 50;
constexpr int kScrapesEach = 1000;

double counter(const std::string& text, const std::string& series) {
    const auto p = text.find(series + " ");
    return p == std::string::npos ? 0 : std::atof(text.c_str() + p + series.size() + 1);  // absent: no run yet
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: exporter_load_test P2PSCOPED FIXTURE.xml\n");
        return 2;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "p2pscoped-load-XXXXXX").string();  // $TMPDIR
    if (!::mkdtemp(tmpl.data())) return 2;
    const std::filesystem::path dir = tmpl;
    {
        std::ofstream cfg(dir / "load.json");
        cfg << R"({"duty_cycle":0.5,"journal":{"path":")" << (dir / "journal").string()
            << R"("},"measurements":[{"key":"topology","kind":"topology","interval_s":0.05},)"
            << R"({"key":"gpu0","kind":"map","device":"0000:34:00.0","interval_s":0.05}]})";
    }
    int rc = 0;
    {
        p2pscope::scrape::Daemon d(argv[1], {"--hwloc-xml", argv[2], "--config", (dir / "load.json").string(),
                                                    "--http-per-client", "256"},  // 50 scrapers from one address, each connection
                                                    // still closing as the next opens: a load, not an abuse
                                   (dir / "log").string());
        const int port = d.wait_port();
        if (!port) {
            std::fprintf(stderr, "FAIL: p2pscoped did not start:\n%s", d.log().c_str());
            std::filesystem::remove_all(dir);
            return 1;
        }
        const std::string runs_series = "p2pscope_measurement_runs_total{key=\"topology\",kind=\"topology\",status=\"ok\"}";
        const double runs_before = counter(p2pscope::scrape::get(port, "/metrics").body, runs_series);

        std::atomic<int> errors{0}, done{0};
        std::atomic<bool> stop_gui{false};
        std::mutex first_error_mutex;
        std::string first_error;
        auto fail = [&](const std::string& what) {
            if (errors++ == 0) {
                std::lock_guard lock(first_error_mutex);
                first_error = what;
            }
        };
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < kScrapers; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < kScrapesEach; ++i) {
                    auto r = p2pscope::scrape::get(port, "/metrics", 30);
                    if (!r.ok()) fail("/metrics: status " + std::to_string(r.status) + " " + r.error);
                    else if (r.body.find("p2pscope_pair_info{a=\"0000:34:00.0\",b=\"0000:36:00.0\",path=\"PIX\"") == std::string::npos ||
                             r.body.find("p2pscope_scrape_collector_success{collector=\"measurement\"} 1\n") == std::string::npos)
                        fail("/metrics: incomplete exposition of " + std::to_string(r.body.size()) + " bytes");
                    ++done;
                }
            });
        }
        int gui_fetches = 0;
        for (int g = 0; g < 2; ++g) {
            threads.emplace_back([&, g] {
                while (!stop_gui) {
                    auto r = p2pscope::scrape::get(port, "/snapshot.json", 30);
                    if (!r.ok() || r.body.rfind("{\"schema\":\"p2pscope.snapshot/1\"", 0) != 0 || r.body.back() != '\n')
                        fail("/snapshot.json: status " + std::to_string(r.status) + " " + r.error);
                    if (g == 0) ++gui_fetches;
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            });
        }
        for (int t = 0; t < kScrapers; ++t) threads[static_cast<size_t>(t)].join();
        stop_gui = true;
        for (size_t t = kScrapers; t < threads.size(); ++t) threads[t].join();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double runs_after = counter(p2pscope::scrape::get(port, "/metrics").body, runs_series);
        const auto [rss, hwm] = p2pscope::scrape::rss_bytes(d.pid());
        std::printf("%d scrapes by %d scrapers in %.1f s (%.0f/s), %d snapshot fetches, %d errors; topology runs %.0f -> %.0f; "
                    "RSS %.1f MB (peak %.1f MB)\n",
                    done.load(), kScrapers, wall, done.load() / wall, gui_fetches, errors.load(), runs_before, runs_after,
                    static_cast<double>(rss) / 1e6, static_cast<double>(hwm) / 1e6);
        if (errors) {
            std::printf("FAIL: %d errors; the first: %s\n", errors.load(), first_error.c_str());
            rc = 1;
        }
        if (done != kScrapers * kScrapesEach) {
            std::printf("FAIL: %d scrapes done\n", done.load());
            rc = 1;
        }
        if (!(runs_after > runs_before + 2)) {
            std::printf("FAIL: measurements did not go on during the load\n");
            rc = 1;
        }
        if (d.kill(SIGTERM) != 0) {
            std::printf("FAIL: p2pscoped did not stop cleanly on SIGTERM:\n%s", d.log().c_str());
            rc = 1;
        }
    }
    std::filesystem::remove_all(dir);
    return rc;
}
