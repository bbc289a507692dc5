// SPDX-License-Identifier: GPL-2.0-or-later
// Transfers from the run controls: xfer's real cpu engine on a regular file
// (memory "file", the harness's own target) through the runs worker, its rows
// in the bandwidth series; repeat grows the plot; a waived engine says why and
// plots nothing; bad input is refused with one clear message; a faulting row
// shows its status and stops the run; the --transfer spec parser.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "p2pscope/gui/runs.hpp"
#include "p2pscope/xfer/engine.hpp"

using namespace p2pscope;
using namespace p2pscope::gui;

namespace {

template <class F>
bool eventually(F f, int seconds = 30) {
    for (int i = 0; i < seconds * 100; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// A regular file of `bytes` zero bytes in a private directory, removed afterwards.
class TempFile {
public:
    explicit TempFile(size_t bytes) {
        char tmpl[] = "/tmp/p2pscope-gui-xfer.XXXXXX";
        const char* d = mkdtemp(tmpl);
        EXPECT_NE(d, nullptr);
        dir_ = d ? d : "/tmp";
        path_ = dir_ + "/data";
        std::ofstream out(path_, std::ios::binary);
        out << std::string(bytes, '\0');
    }
    ~TempFile() {
        std::remove(path_.c_str());
        rmdir(dir_.c_str());
    }
    const std::string& path() const { return path_; }

private:
    std::string dir_, path_;
};

TransferSpec file_spec(const std::string& file) {
    TransferSpec t;
    t.engine = "cpu";
    t.file = file;
    t.direction = "write";  // writes a pattern, reads it back: verified
    t.widths = {"8", "memcpy"};
    t.size_bytes = 65536;
    t.seconds = 0.05;
    return t;
}

bool idle(const Store& store) { return store.get()->run.phase == RunPhase::idle; }

// xfer's registry as the messages list it (engines are added over time).
std::string engine_list() {
    std::string s;
    for (const auto& n : transfer_engine_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

}  // namespace

TEST(TransferRuns, CpuEngineOnAFileFillsTheBandwidthSeries) {
    TempFile f(65536);
    Store store;
    RunController runs(store, nullptr, "no module here");  // transfers need no kernel module
    const TransferSpec spec = file_spec(f.path());
    ASSERT_TRUE(runs.start_transfer(spec).ok());
    ASSERT_TRUE(eventually([&] { return idle(store); }));
    runs.join();
    auto s = store.get();
    EXPECT_EQ(s->run.kind, RunKind::transfer);
    EXPECT_EQ(s->run.message, "done");
    EXPECT_EQ(s->run.samples, 1u);
    EXPECT_EQ(s->run.transfer.memory, "file");  // the engine's default for a file, as p2pscope xfer applies it
    ASSERT_EQ(s->run.last_rows.size(), 2u);
    for (const char* label : {"8-byte", "memcpy"}) {
        const std::string key = transfer_key(spec, label);
        EXPECT_EQ(key, "xfer/cpu/file:" + f.path() + "/-/file/write/65536/" + label);
        const BandwidthSeries* b = s->series->find_bandwidth(key);
        ASSERT_NE(b, nullptr) << key;
        ASSERT_EQ(b->samples, 1u);
        EXPECT_GT(b->bytes_per_s.back(), 1e6f) << label;  // a memory-speed copy of 64 KiB: well above 1 MB/s
        EXPECT_GT(b->p50_ns.back(), 0.f);
        EXPECT_GE(b->p99_ns.back(), b->p50_ns.back());
        ASSERT_TRUE(b->last.transfer.has_value());
        EXPECT_EQ(b->last.transfer->verified, std::optional<bool>(true)) << label;
        EXPECT_GT(b->last.transfer->transfers, 0u);
        EXPECT_EQ(b->unverified, 0u);
        EXPECT_EQ(b->label, std::string("cpu write ") + label + " file 64 KiB");
    }
    // The rows are listed with the other in-process measurements.
    ASSERT_EQ(s->local->size(), 2u);
    EXPECT_EQ((*s->local)[0].kind, "transfer");
    EXPECT_TRUE((*s->local)[0].ok());
}

TEST(TransferRuns, RepeatGrowsThePlotUntilStopped) {
    TempFile f(65536);
    Store store;
    RunController runs(store, nullptr, "no module here");
    TransferSpec spec = file_spec(f.path());
    spec.widths = {"8"};
    spec.direction = "read";
    spec.seconds = 0.02;
    spec.repeat = true;
    ASSERT_TRUE(runs.start_transfer(spec).ok());
    EXPECT_EQ(store.get()->run.phase, RunPhase::running);
    auto again = runs.start_transfer(spec);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().message, "a measurement is running: stop it first");
    const std::string key = transfer_key(spec, "8-byte");
    ASSERT_TRUE(eventually([&] {
        const auto* b = store.get()->series->find_bandwidth(key);
        return b && b->samples >= 4;
    }));
    runs.stop();
    runs.join();
    auto s = store.get();
    EXPECT_EQ(s->run.phase, RunPhase::idle);
    EXPECT_EQ(s->run.message, "stopped by the user");
    const BandwidthSeries* b = s->series->find_bandwidth(key);
    ASSERT_NE(b, nullptr);
    EXPECT_GE(b->samples, 4u);
    EXPECT_EQ(b->samples, s->run.samples);
    for (size_t i = 0; i < b->bytes_per_s.size(); ++i) {
        EXPECT_GT(b->bytes_per_s[i], 0.f);
        if (i) {
            EXPECT_GT(b->time_unix_s[i], b->time_unix_s[i - 1]);
        }
    }
    // The engine fills a pattern before it reads and checks what it read.
    EXPECT_EQ(b->last.transfer->verified, std::optional<bool>(true));
    EXPECT_EQ(b->unverified, 0u);
}

TEST(TransferRuns, WaivedEngineSaysWhyAndPlotsNothing) {
    TransferSpec spec;
    spec.engine = "gpu";
    spec.direction = "h2d";
    spec.size_bytes = 1 << 20;
    // The engine's own answer on this machine decides what the GUI must show.
    xfer::Request q;
    q.engine = "gpu";
    q.direction = "h2d";
    q.size = spec.size_bytes;
    const xfer::RunResult verdict = xfer::Session(q).checked();
    if (verdict.outcome != xfer::Outcome::waived)
        GTEST_SKIP() << "the gpu engine can run on this machine (the CUDA driver loaded): nothing is waived here";
    Store store;
    RunController runs(store, nullptr, "");
    ASSERT_TRUE(runs.start_transfer(spec).ok());
    auto s = store.get();
    EXPECT_EQ(s->run.phase, RunPhase::idle);  // nothing ran
    EXPECT_EQ(s->run.message, "waived: " + verdict.reason);
    EXPECT_FALSE(verdict.reason.empty());
    ASSERT_EQ(s->run.last_rows.size(), 1u);
    EXPECT_EQ(s->run.last_rows[0].status, "waived");
    EXPECT_EQ(s->run.last_rows[0].reason, verdict.reason);
    EXPECT_TRUE(s->series->bandwidth().empty());
    EXPECT_EQ(s->run.samples, 0u);
    ASSERT_EQ(s->local->size(), 1u);  // listed (the matrix shows it waived), not plotted
}

TEST(TransferRuns, BadInputIsRefusedWithOneClearMessage) {
    TempFile f(65536);
    Store store;
    RunController runs(store, nullptr, "");
    auto expect_refused = [&](const TransferSpec& t, const std::string& message) {
        auto st = runs.start_transfer(t);
        ASSERT_FALSE(st.ok()) << message;
        EXPECT_EQ(st.error().code, Errc::invalid_argument);
        EXPECT_EQ(st.error().message, message);
        EXPECT_EQ(store.get()->run.phase, RunPhase::idle);
    };
    TransferSpec t = file_spec(f.path());
    t.size_bytes = 0;
    expect_refused(t, "the transfer size must be above 0");
    t = file_spec(f.path());
    t.engine = "dma-engine";
    expect_refused(t, "unknown engine 'dma-engine' (one of " + engine_list() + ")");
    t = file_spec(f.path());
    t.seconds = 0;
    expect_refused(t, "seconds per measurement must be within 0..60");
    t = file_spec(f.path());
    t.widths.clear();
    expect_refused(t, "choose at least one access width");
    // The engine's check(): what only it knows.
    t = file_spec(f.path());
    t.size_bytes = 100;
    expect_refused(t, "engine cpu: --size must be a non-zero multiple of 64 bytes");
    t = file_spec("/nonexistent/p2pscope-data");
    expect_refused(t, "engine cpu: /nonexistent/p2pscope-data: no such file");
    t = file_spec(f.path());
    t.widths = {"3"};
    expect_refused(t, "engine cpu: unknown access width '3' (1, 2, 4, 8, 16, 32, 64, memcpy or all)");
    // The memory and direction from the engine's spec.
    t = file_spec(f.path());
    t.memory = "vram";
    expect_refused(t, "engine cpu: --memory must be uc, wc, p2pmem or file, not 'vram'");
    // The same verdicts without starting anything (p2pscope-gui --transfer, before its window opens).
    EXPECT_EQ(check_transfer(file_spec("/nonexistent/p2pscope-data")).error().message,
              "engine cpu: /nonexistent/p2pscope-data: no such file");
    EXPECT_TRUE(check_transfer(file_spec(f.path())).ok());
    t = file_spec(f.path());
    t.device = "34:00";
    EXPECT_FALSE(runs.start_transfer(t).ok());
    EXPECT_TRUE(store.get()->series->bandwidth().empty());
    EXPECT_TRUE(store.get()->local->empty());
}

TEST(TransferRuns, AFaultShowsItsStatusAndEndsTheRun) {
    TempFile f(4096);  // a 64 KiB mapping of a 4 KiB file: SIGBUS at 0x1000
    Store store;
    RunController runs(store, nullptr, "");
    TransferSpec spec = file_spec(f.path());
    spec.repeat = true;  // a fault ends even a repeating run
    ASSERT_TRUE(runs.start_transfer(spec).ok());
    ASSERT_TRUE(eventually([&] { return idle(store); }));
    runs.join();
    auto s = store.get();
    EXPECT_EQ(s->run.samples, 1u);
    ASSERT_EQ(s->run.last_rows.size(), 2u);
    EXPECT_EQ(s->run.last_rows[0].status, "fault");
    EXPECT_EQ(s->run.last_rows[0].reason, "SIGBUS at offset 0x1000 with 8-byte writes");
    EXPECT_EQ(s->run.message,
              "2 measurement(s) faulted or failed, the first 8-byte: fault: SIGBUS at offset 0x1000 with 8-byte writes");
    EXPECT_TRUE(s->series->bandwidth().empty());  // no figure of a faulted row is plotted
}

TEST(TransferRuns, EngineChoices) {
    const auto names = transfer_engine_names();
    ASSERT_GE(names.size(), 3u);
    EXPECT_EQ(names[0], "cpu");
    EXPECT_NE(engine_list().find("gpu"), std::string::npos);
    for (const auto& n : names) EXPECT_TRUE(transfer_engine_choices(n).has_value()) << n;
    auto cpu = transfer_engine_choices("cpu");
    EXPECT_TRUE(cpu->widths);
    EXPECT_EQ(cpu->directions[0], "read");
    EXPECT_NE(cpu->capabilities.find("verify"), std::string::npos);
    // The form's BAR index and file fields follow the memory's traits.
    EXPECT_EQ(cpu->bar_memories, (std::vector<std::string>{"uc", "wc"}));
    EXPECT_EQ(cpu->file_memory, "file");
    auto dma = transfer_engine_choices("dmaengine");
    EXPECT_EQ(dma->bar_memories, (std::vector<std::string>{"ram-to-bar", "bar-to-ram"}));
    EXPECT_EQ(dma->file_memory, "");
    EXPECT_TRUE(transfer_engine_choices("gpu")->bar_memories.empty());
    EXPECT_FALSE(transfer_engine_choices("nope").has_value());
}

TEST(TransferRuns, ParseSpec) {
    auto t = parse_transfer_spec("cpu,file=/tmp/x,size=64K,width=8+memcpy,seconds=0.2,direction=write,repeat");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->engine, "cpu");
    EXPECT_EQ(t->file, "/tmp/x");
    EXPECT_EQ(t->size_bytes, 65536u);
    EXPECT_EQ(t->widths, (std::vector<std::string>{"8", "memcpy"}));
    EXPECT_DOUBLE_EQ(t->seconds, 0.2);
    EXPECT_EQ(t->direction, "write");
    EXPECT_TRUE(t->repeat);
    EXPECT_FALSE(t->destructive);
    t = parse_transfer_spec("gpu,device=0000:34:00.0,peer=0000:36:00.0,direction=peer,size=2M,offset=4K");
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->size_bytes, 2u << 20);
    EXPECT_EQ(t->offset, 4096u);
    auto bad = [](const char* text) {
        auto r = parse_transfer_spec(text);
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? std::string() : r.error().message;
    };
    EXPECT_EQ(bad("cpu,size=0"), "--transfer: the transfer size must be above 0");
    EXPECT_EQ(bad("dma"), "--transfer: unknown engine 'dma' (one of " + engine_list() + ")");
    EXPECT_EQ(bad("file=/x"), "--transfer: 'file=/x' does not start with an engine (" + engine_list() + ")");
    EXPECT_EQ(bad("cpu,size=lots"), "--transfer: size 'lots' is not a byte count (like 4096, 64K, 2M)");
    EXPECT_EQ(bad("cpu,bar=9"), "--transfer: bar '9' is not a BAR index 0..5");
    EXPECT_EQ(bad("cpu,file"), "--transfer: 'file' needs a value (KEY=VALUE)");
    EXPECT_NE(bad("cpu,colour=red").find("--transfer: unknown key 'colour'"), std::string::npos);
}
