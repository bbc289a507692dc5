// SPDX-License-Identifier: GPL-2.0-or-later
// Where the GUI's data comes from: p2pscoped's snapshot over HTTP (against a
// loopback server run by the test), saved files, the prober, and the
// collector thread that publishes to the store.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "gui_test_data.hpp"
#include "p2pscope/gui/sources.hpp"
#include "p2pscope/probe/sources.hpp"

using namespace p2pscope;
using namespace p2pscope::gui;
namespace td = p2pscope::gui::testdata;
namespace fs = std::filesystem;

namespace {

// A one-connection-at-a-time HTTP server on 127.0.0.1 answering with canned responses.
class TestServer {
public:
    struct Response {
        int status = 200;
        std::string body;
        std::string extra_headers;
        bool chunked = false;  // the body in one chunk, no Content-Length
        long long declared_length = -1;  // the Content-Length sent when >= 0, whatever the body
    };

    TestServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(fd_, 8), 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~TestServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    int port() const { return port_; }
    std::string url() const { return "127.0.0.1:" + std::to_string(port_); }
    void push(Response r) {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(r));
    }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void serve() {
        while (!stop_) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::string req;
            char buf[4096];
            while (req.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                req.append(buf, static_cast<size_t>(n));
            }
            Response r{404, "no canned response", ""};
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(req);
                if (!queue_.empty()) {
                    r = queue_.front();
                    queue_.pop_front();
                }
            }
            std::ostringstream chunk;
            chunk << std::hex << r.body.size() << "\r\n" << r.body << "\r\n0\r\n\r\n";
            const std::string length =
                r.chunked ? "Transfer-Encoding: chunked"
                          : "Content-Length: " + std::to_string(r.declared_length >= 0 ? r.declared_length
                                                                                      : static_cast<long long>(r.body.size()));
            std::string out = "HTTP/1.1 " + std::to_string(r.status) + (r.status == 200 ? " OK" : " Other") +
                              "\r\nContent-Type: application/json\r\n" + length + "\r\nConnection: close\r\n" +
                              r.extra_headers + "\r\n" + (r.status == 304 ? "" : r.chunked ? chunk.str() : r.body);
            size_t sent = 0;
            while (sent < out.size()) {
                const ssize_t n = ::send(c, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;
                sent += static_cast<size_t>(n);
            }
            ::close(c);
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::deque<Response> queue_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

std::unique_ptr<Source> daemon(const std::string& url) {
    DaemonOptions o;
    o.timeout_s = 5;
    auto s = make_daemon_source(url, o);
    EXPECT_TRUE(s.ok()) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
}

}  // namespace

TEST(DaemonUrl, Forms) {
    EXPECT_EQ(*daemon_url("127.0.0.1:9464"), "http://127.0.0.1:9464/snapshot.json");
    EXPECT_EQ(*daemon_url("http://gpu-host:9464"), "http://gpu-host:9464/snapshot.json");
    EXPECT_EQ(*daemon_url("http://gpu-host:9464/"), "http://gpu-host:9464/snapshot.json");
    EXPECT_EQ(*daemon_url("https://gpu-host/p2p/snapshot.json"), "https://gpu-host/p2p/snapshot.json");
    EXPECT_EQ(*daemon_url("[::1]:9464"), "http://[::1]:9464/snapshot.json");
    for (const char* bad : {"", "gpu-host", "ftp://gpu-host:21/x", "http://:80", "127.0.0.1:99999"}) {
        auto u = daemon_url(bad);
        EXPECT_FALSE(u.ok()) << bad;
        if (!u) {
            EXPECT_EQ(u.error().code, Errc::invalid_argument);
            EXPECT_NE(u.error().message.find("is not a daemon address"), std::string::npos) << u.error().message;
        }
    }
    auto zero = make_daemon_source("127.0.0.1:1", DaemonOptions{0, 1, "x"});
    EXPECT_FALSE(zero.ok());
}

TEST(DaemonSource, FetchesParsesAndNoticesNoChange) {
    TestServer server;
    const std::string body =
        td::snapshot({td::map_measurement("k", 1700000000, "0000:34:00.0", "0000:36:00.0", 400)}).dump();
    server.push({200, body, "ETag: \"v1\"\r\n"});
    server.push({304, "", ""});
    auto next = td::snapshot({td::map_measurement("k", 1700000000, "0000:34:00.0", "0000:36:00.0", 400),
                              td::map_measurement("k", 1700000002, "0000:34:00.0", "0000:36:00.0", 420)});
    server.push({200, next.dump(), ""});
    server.push({200, next.dump(), ""});

    auto src = daemon(server.url());
    ASSERT_TRUE(src);
    EXPECT_EQ(src->kind(), "daemon");
    EXPECT_FALSE(src->this_machine());  // known from what the daemon says, once it answered
    EXPECT_EQ(src->description(), "p2pscoped at http://" + server.url() + "/snapshot.json");

    auto a = src->fetch();
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(a->topology);
    EXPECT_EQ(a->topology->matrix.size(), 16u);
    ASSERT_TRUE(a->measurements.has_value());
    EXPECT_EQ(a->measurements->size(), 1u);

    auto b = src->fetch();  // 304 after If-None-Match
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_TRUE(b->unchanged);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].rfind("GET /snapshot.json HTTP/1.1\r\n", 0), 0u) << reqs[0];
    EXPECT_NE(reqs[1].find("If-None-Match: \"v1\""), std::string::npos) << reqs[1];

    auto c = src->fetch();  // new measurements, same topology: not rebuilt
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->unchanged);
    EXPECT_FALSE(c->topology);
    EXPECT_EQ(c->measurements->size(), 2u);

    auto d = src->fetch();  // the same body again
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->unchanged);

    next["generated_unix_s"] = 1700000999;  // a new answer, nothing else new: not parsed, not redrawn
    server.push({200, next.dump(), ""});
    auto e = src->fetch();
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(e->unchanged);
}

// A daemon on loopback is not necessarily this machine (a port forward into a VM, an SSH tunnel): only its boot id says.
TEST(DaemonSource, ThisMachineByBootIdNotByAddress) {
    const std::string mine = p2pscope::probe::this_boot_id();
    ASSERT_EQ(mine.size(), 36u) << "this machine's boot id cannot be read";
    TestServer server;
    auto with_boot_id = [](const nlohmann::json& id) {
        auto doc = td::snapshot({});
        doc["boot_id"] = id;
        return doc.dump();
    };
    server.push({200, with_boot_id(mine), ""});
    server.push({200, with_boot_id("00000000-1111-2222-3333-444444444444"), ""});
    server.push({200, with_boot_id(nullptr), ""});  // a daemon whose topology is a saved file
    auto src = daemon(server.url());
    ASSERT_TRUE(src);
    for (bool expected : {true, false, false}) {
        auto f = src->fetch();
        ASSERT_TRUE(f.ok()) << f.error().message;
        EXPECT_EQ(src->this_machine(), expected);
    }
}

TEST(DaemonSource, Errors) {
    TestServer server;
    server.push({404, "not here", ""});
    server.push({200, "<html>", ""});
    server.push({200, R"({"schema": "p2pscope.topo/1"})", ""});
    server.push({200, td::snapshot_with(3).dump(), ""});
    auto src = daemon(server.url());
    ASSERT_TRUE(src);
    const std::string url = "http://" + server.url() + "/snapshot.json";
    auto e404 = src->fetch();
    ASSERT_FALSE(e404.ok());
    EXPECT_EQ(e404.error().message, url + " answered HTTP 404 (is this a p2pscoped? it serves /snapshot.json)");
    auto html = src->fetch();
    ASSERT_FALSE(html.ok());
    EXPECT_EQ(html.error().message.rfind(url + ": not valid JSON", 0), 0u) << html.error().message;
    auto schema = src->fetch();
    ASSERT_FALSE(schema.ok());
    EXPECT_EQ(schema.error().message, url + ": not a p2pscope.snapshot/1 document");
    auto list = src->fetch();
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.error().message, url + ": measurements: expected an array, found number");

    // Larger than a snapshot may be: declared (refused before the body), or not (cut off at the limit).
    server.push({200, "", "", false, 1ll << 30});
    server.push({200, std::string(3 << 20, ' '), "", true});
    DaemonOptions small;
    small.max_body_bytes = 2u << 20;
    auto limited = make_daemon_source(server.url(), small);
    ASSERT_TRUE(limited.ok());
    for (const char* what : {"declared", "chunked"}) {
        auto big = (*limited)->fetch();
        ASSERT_FALSE(big.ok()) << what;
        EXPECT_EQ(big.error().message, "cannot fetch " + url + ": the answer is larger than the 2 MiB a snapshot may take")
            << what;
    }

    // Nothing listening: a port that was just free.
    int port = 0;
    {
        TestServer gone;
        port = gone.port();
    }
    auto refused = daemon("127.0.0.1:" + std::to_string(port));
    auto r = refused->fetch();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("cannot fetch http://127.0.0.1:" + std::to_string(port) + "/snapshot.json: ", 0), 0u)
        << r.error().message;
}

TEST(Sources, SavedJsonAndProber) {
    const fs::path dir = fs::temp_directory_path() / ("p2pscope-gui-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream(dir / "topo.json") << td::dgx2_topology().dump();
        std::ofstream(dir / "bad.json") << "{";
    }
    auto ok = make_json_file_source((dir / "topo.json").string())->fetch();
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->topology->devices.size(), 84u);
    auto missing = make_json_file_source((dir / "none.json").string())->fetch();
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, (dir / "none.json").string() + ": no such file");
    auto bad = make_json_file_source((dir / "bad.json").string())->fetch();
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind((dir / "bad.json").string() + ": not valid JSON", 0), 0u);
    fs::remove_all(dir);

    const std::string xml = std::string(P2PSCOPE_FIXTURES) + "/hwloc-xml/nvidiaDGX2.xml";
    auto probe_src = make_probe_source({ProbeInput::Kind::hwloc_xml, xml, std::nullopt}, {});
    EXPECT_FALSE(probe_src->this_machine());
    EXPECT_EQ(probe_src->kind(), "hwloc-xml");
    EXPECT_EQ(probe_src->description(), "hwloc XML " + xml);
    auto v = probe_src->fetch();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->topology->matrix.size(), 16u);
    auto live = make_probe_source({}, {});
    EXPECT_TRUE(live->this_machine());
}

namespace {
// Hands out queued results; counts its fetches.
class FakeSource final : public Source {
public:
    std::string kind() const override { return "fake"; }
    std::string description() const override { return "a fake source"; }
    bool this_machine() const override { return false; }
    std::optional<double> interval_s() const override { return interval; }
    Result<Fetched> fetch() override {
        std::lock_guard lock(mutex);
        ++fetches;
        if (results.empty()) return make_error(Errc::system, "nothing queued");
        auto r = results.front();
        results.pop_front();
        return r;
    }
    std::mutex mutex;
    std::deque<Result<Fetched>> results;
    std::optional<double> interval;
    std::atomic<int> fetches{0};
};

template <class F>
bool eventually(F f) {
    for (int i = 0; i < 500; ++i) {
        if (f()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}
}  // namespace

TEST(Collector, PublishesKeepsLastGoodDataAndWakesOnlyOnChange) {
    Store store;
    std::atomic<int> wakeups{0};
    store.set_waker([&] { ++wakeups; });
    auto fake = std::make_unique<FakeSource>();
    FakeSource* f = fake.get();
    auto view = std::make_shared<const TopologyView>(*view_from_topo_json(td::dgx2_topology()));
    Fetched first;
    first.topology = view;
    first.measurements = *read_measurements(
        nlohmann::json::array({td::map_measurement("k", 1700000000, "0000:34:00.0", "0000:36:00.0", 400)}));
    f->results.push_back(first);
    f->results.push_back(make_error(Errc::system, "cannot fetch: connection refused"));
    Fetched same;
    same.unchanged = true;
    f->results.push_back(same);

    Collector c(std::move(fake), store);
    c.start();
    ASSERT_TRUE(eventually([&] { return !store.get()->source.loading; }));
    auto s = store.get();
    EXPECT_EQ(s->source.description, "a fake source");
    EXPECT_EQ(s->topology, view);
    EXPECT_EQ(s->measurements->size(), 1u);
    ASSERT_NE(s->series->find("k"), nullptr);
    EXPECT_EQ(s->series->find("k")->samples, 1u);

    c.reload();
    ASSERT_TRUE(eventually([&] { return !store.get()->source.error.empty(); }));
    s = store.get();
    EXPECT_EQ(s->source.error, "cannot fetch: connection refused");
    EXPECT_EQ(s->topology, view);  // the last good data stays
    EXPECT_EQ(s->source.failures, 1u);

    const int before = wakeups;
    c.reload();
    ASSERT_TRUE(eventually([&] { return store.get()->source.error.empty(); }));
    EXPECT_EQ(wakeups, before + 1);  // the error went away: one redraw
    const uint64_t gen = store.generation();
    {
        std::lock_guard lock(f->mutex);
        f->results.push_back(same);
    }
    const int w2 = wakeups;
    c.reload();
    ASSERT_TRUE(eventually([&] { return store.generation() > gen; }));
    EXPECT_EQ(wakeups, w2);  // nothing on screen changed: the UI sleeps on
    c.stop();
    EXPECT_EQ(f->fetches, 4);
}

TEST(Collector, PollsAtItsInterval) {
    Store store;
    auto fake = std::make_unique<FakeSource>();
    FakeSource* f = fake.get();
    f->interval = 0.02;
    Collector c(std::move(fake), store);
    c.start();
    ASSERT_TRUE(eventually([&] { return f->fetches >= 5; }));
    c.stop();
    const int n = f->fetches;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    EXPECT_EQ(f->fetches, n);  // stopped means stopped
}

TEST(Collector, AnEqualTopologyIsNotAChange) {
    Store store;
    std::atomic<int> wakeups{0};
    store.set_waker([&] { ++wakeups; });
    auto fake = std::make_unique<FakeSource>();
    FakeSource* f = fake.get();
    const TopologyView view = *view_from_topo_json(td::dgx2_topology());
    Fetched a, b;
    a.topology = std::make_shared<const TopologyView>(view);
    b.topology = std::make_shared<const TopologyView>(view);  // re-read, same content
    f->results.push_back(a);
    f->results.push_back(b);
    Collector c(std::move(fake), store);
    c.start();
    ASSERT_TRUE(eventually([&] { return !store.get()->source.loading; }));
    const auto first = store.get()->topology;
    EXPECT_EQ(first, a.topology);
    const int w = wakeups;
    const uint64_t gen = store.generation();
    c.reload();
    ASSERT_TRUE(eventually([&] { return store.generation() > gen; }));
    c.stop();
    EXPECT_EQ(store.get()->topology, first);  // the UI keeps its view and selection
    EXPECT_EQ(wakeups, w);
    EXPECT_EQ(f->fetches, 2);
}
