// SPDX-License-Identifier: GPL-2.0-or-later
// The run controller: start, samples into the series, stop; a waived run ends
// itself with the module's reason; no backend means unavailable, with why.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "p2pscope/gui/runs.hpp"
#include "p2pscope/gui/sources.hpp"

using namespace p2pscope;
using namespace p2pscope::gui;

namespace {

// Stands in for /dev/p2pscope: answers as a module would (test input, never shown by the GUI).
class ScriptedBackend final : public MapBackend {
public:
    enum class Mode { ok, waived_after_two, error } mode = Mode::ok;
    Result<MeasurementView> run(const MapSpec& spec) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ++calls;
        if (mode == Mode::error) return make_error(Errc::system, "P2PSCOPE_IOC_MAP_BENCH: interrupted by a signal; no result");
        MeasurementView m;
        m.kind = "map";
        m.key = map_key(spec);
        m.finished_unix_s = now_unix_s() + calls * 1e-3;
        m.device = spec.device;
        m.peer = spec.peer;
        m.api = spec.api;
        m.memory = spec.memory;
        m.size_bytes = spec.size_bytes;
        if (mode == Mode::waived_after_two && calls > 2) {
            m.status = "waived";
            m.reason = "no published p2pmem on 0000:36:00.0";
            return m;
        }
        m.status = "ok";
        m.map = LatencyView{1000, 300, 400.0 + calls, 450, 500, 600, 900, 410};
        return m;
    }
    std::atomic<int> calls{0};
};

template <class F>
bool eventually(F f) {
    for (int i = 0; i < 500; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

MapSpec pair_spec() {
    MapSpec s;
    s.device = "0000:34:00.0";
    s.peer = "0000:36:00.0";
    s.memory = "p2pmem";
    s.sample_seconds = 0.05;
    return s;
}

}  // namespace

TEST(Runs, StartSampleStop) {
    Store store;
    auto backend = std::make_unique<ScriptedBackend>();
    auto* b = backend.get();
    RunController runs(store, std::move(backend), "");
    EXPECT_TRUE(store.get()->run.map_available);
    ASSERT_TRUE(runs.start(pair_spec()).ok());
    EXPECT_EQ(store.get()->run.phase, RunPhase::running);
    auto again = runs.start(pair_spec());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().message, "a measurement is running: stop it first");
    ASSERT_TRUE(eventually([&] { return store.get()->run.samples >= 3; }));
    runs.stop();
    runs.join();
    auto s = store.get();
    EXPECT_EQ(s->run.phase, RunPhase::idle);
    EXPECT_EQ(s->run.message, "stopped by the user");
    const std::string key = map_key(pair_spec());
    EXPECT_EQ(key, "map/0000:34:00.0/0000:36:00.0/map_single/p2pmem/4096/t1");
    ASSERT_NE(s->series->find(key), nullptr);
    EXPECT_EQ(s->series->find(key)->samples, s->run.samples);
    EXPECT_EQ(s->local->size(), s->run.samples);
    EXPECT_EQ(s->measurements->size(), s->run.samples);
    EXPECT_EQ(static_cast<uint64_t>(b->calls.load()), s->run.samples);
    // And it can start again.
    ASSERT_TRUE(runs.start(pair_spec()).ok());
    runs.stop();
    runs.join();
}

TEST(Runs, WaivedEndsTheRunWithTheReason) {
    Store store;
    auto backend = std::make_unique<ScriptedBackend>();
    backend->mode = ScriptedBackend::Mode::waived_after_two;
    RunController runs(store, std::move(backend), "");
    ASSERT_TRUE(runs.start(pair_spec()).ok());
    ASSERT_TRUE(eventually([&] { return store.get()->run.phase == RunPhase::idle; }));
    runs.join();
    auto s = store.get();
    EXPECT_EQ(s->run.message, "waived: no published p2pmem on 0000:36:00.0");
    EXPECT_EQ(s->run.samples, 3u);
    EXPECT_EQ(s->series->find(map_key(pair_spec()))->samples, 2u);  // the waived one is listed, not plotted
}

TEST(Runs, ErrorStops) {
    Store store;
    auto backend = std::make_unique<ScriptedBackend>();
    backend->mode = ScriptedBackend::Mode::error;
    RunController runs(store, std::move(backend), "");
    ASSERT_TRUE(runs.start(pair_spec()).ok());
    ASSERT_TRUE(eventually([&] { return store.get()->run.phase == RunPhase::idle; }));
    runs.join();
    EXPECT_EQ(store.get()->run.message, "stopped: P2PSCOPE_IOC_MAP_BENCH: interrupted by a signal; no result");
}

TEST(Runs, UnavailableSaysWhy) {
    Store store;
    RunController runs(store, nullptr, "/dev/p2pscope does not exist: the p2pscope module is not loaded");
    EXPECT_FALSE(store.get()->run.map_available);
    auto st = runs.start(pair_spec());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::unsupported);
    EXPECT_EQ(st.error().message, "/dev/p2pscope does not exist: the p2pscope module is not loaded");
}

TEST(Runs, KclientBackendExplainsAMissingModule) {
    auto b = open_kclient_backend("/nonexistent/p2pscope");
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().message.find("/nonexistent/p2pscope does not exist"), std::string::npos) << b.error().message;
}

TEST(Runs, SpecChecks) {
    MapSpec s = pair_spec();
    EXPECT_TRUE(check_spec(s).ok());
    s.peer.clear();
    EXPECT_EQ(check_spec(s).error().message,
              "memory p2pmem needs a peer: select a pair in the matrix (row maps, column owns)");
    s = pair_spec();
    s.api = "map_everything";
    EXPECT_EQ(check_spec(s).error().message, "unknown API 'map_everything'");
    s = pair_spec();
    s.device = "34:00";
    EXPECT_FALSE(check_spec(s).ok());
    s = pair_spec();
    s.threads = 0;
    EXPECT_FALSE(check_spec(s).ok());
}

// The run controls pick p2pmem for a pair and ram for a device alone by this.
TEST(Runs, MemoryOfAPeerNeedsOne) {
    for (const char* m : {"p2pmem", "bar"}) EXPECT_TRUE(memory_needs_peer(m)) << m;
    for (const char* m : {"ram", "ram_huge", "bounce", "dmabuf", "encrypted", "vram", ""})
        EXPECT_FALSE(memory_needs_peer(m)) << m;
}
