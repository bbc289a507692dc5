// SPDX-License-Identifier: GPL-2.0-or-later
// The measuring thread: within the duty cycle budget, not before the start
// delay, and after a restart on the cadence the journal remembers.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "helpers.hpp"
#include "p2pscope/exporter/daemon.hpp"

namespace p2pscope::exporter {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Daemon> start(const std::string& config_text, const std::string& origin) {
    auto cfg = parse_config(config_text, origin, {});
    EXPECT_TRUE(cfg) << cfg.error().message;
    if (!cfg) return nullptr;
    DaemonOptions o;
    o.topology.source.hwloc_xml = test::kDgx2;
    o.config = *cfg;
    o.http.listen = "127.0.0.1:0";
    o.collectors = available_collectors({});
    auto d = Daemon::create(std::move(o));
    EXPECT_TRUE(d) << d.error().message;
    if (!d) return nullptr;
    auto s = (*d)->serve();
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return std::move(*d);
}

uint64_t runs(const Daemon& d, const std::string& key) {
    const auto snapshot = d.store().load();  // held while its records are read
    for (const auto& r : snapshot->measurements)
        if (r->key == key) {
            uint64_t n = 0;
            for (auto v : r->totals.runs) n += v;
            return n;
        }
    return 0;
}

// Polls (bounded) until pred holds.
template <class P>
bool eventually(P pred, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

TEST(Scheduler, KeepsWithinTheDutyCycle) {
    test::TempDir dir;
    auto d = start(R"({"duty_cycle":0.2,"journal":{"path":")" + (dir.path / "j").string() +
                       R"("},"measurements":[{"key":"t","kind":"topology","interval_s":0.05}]})",
                   "duty");
    ASSERT_TRUE(d);
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(1500ms);
    d->stop();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto s = d->store().load();
    EXPECT_GE(runs(*d, "t"), 3u);
    ASSERT_EQ(s->measurements.size(), 1u);
    // After a run of t seconds the thread rests 4 t: every run but the last
    // is followed by four times its length at rest, within the wall time.
    const double busy = s->scheduler.busy_seconds, last = s->measurements[0]->duration_s;
    EXPECT_LE(busy - last, 0.2 * wall + 0.005) << busy << " s busy of " << wall << " s, the last run " << last << " s";
    EXPECT_GT(busy, 0);
}

TEST(Scheduler, WaitsForTheStartDelay) {
    test::TempDir dir;
    auto d = start(R"({"start_delay_s":30,"journal":{"path":")" + (dir.path / "j").string() +
                       R"("},"measurements":[{"key":"t","kind":"topology","interval_s":0.05}]})",
                   "delay");
    ASSERT_TRUE(d);
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(runs(*d, "t"), 0u);
    d->stop();
}

TEST(Scheduler, RestartKeepsResultsAndCadence) {
    test::TempDir dir;
    const std::string cfg = R"({"journal":{"path":")" + (dir.path / "j").string() +
                            R"("},"measurements":[{"key":"t","kind":"topology","interval_s":3600},
                                                   {"key":"m","kind":"map","device":"34:00.0","interval_s":3600}]})";
    double finished = 0;
    {
        auto d = start(cfg, "first");
        ASSERT_TRUE(d);
        ASSERT_TRUE(eventually([&] { return runs(*d, "t") == 1 && runs(*d, "m") == 1; }));
        finished = d->store().load()->measurements[0]->finished_unix_s;
    }
    auto d = start(cfg, "second");
    ASSERT_TRUE(d);
    auto s = d->store().load();
    ASSERT_EQ(s->measurements.size(), 2u) << "replayed before serving";
    EXPECT_DOUBLE_EQ(s->measurements[0]->finished_unix_s, finished);
    EXPECT_EQ(s->measurements[1]->status, Outcome::failed);
    EXPECT_EQ(s->journal.replayed, 2u);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(runs(*d, "t"), 1u) << "ran an hour-interval measurement again right after a restart";
}

}  // namespace
}  // namespace p2pscope::exporter
