// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CivetServer.h>
#include <civetweb.h>

#include <atomic>
#include <chrono>
#include <string_view>
#include <thread>

namespace p2pscope::exporter {

namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";

std::string_view local_uri(mg_connection* conn) {
    const mg_request_info* ri = mg_get_request_info(conn);
    return ri && ri->local_uri ? ri->local_uri : "";
}

const char* reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

// The head is written here rather than by civetweb's mg_response_header_*,
// whose Date header comes from gmtime(): not thread-safe in Debian's build.
void reply(mg_connection* conn, bool head, int status, const char* type, const std::string& body,
           const char* allow = nullptr) {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-store\r\n";
    if (allow) h += std::string("Allow: ") + allow + "\r\n";
    h += "Connection: close\r\n\r\n";
    if (!head) h += body;  // one write: head and body leave in as few segments as the kernel likes
    mg_write(conn, h.data(), h.size());
}

// GET and HEAD on exactly one path; 405 for every other method.
class Page : public CivetHandler {
public:
    using CivetHandler::handleDelete;
    using CivetHandler::handleGet;
    using CivetHandler::handleHead;
    using CivetHandler::handleOptions;
    using CivetHandler::handlePatch;
    using CivetHandler::handlePost;
    using CivetHandler::handlePut;
    explicit Page(std::string path) : path_(std::move(path)) {}
    bool handleGet(CivetServer*, mg_connection* conn) override { return serve(conn, false); }
    bool handleHead(CivetServer*, mg_connection* conn) override { return serve(conn, true); }
    bool handlePost(CivetServer*, mg_connection* conn) override { return refuse(conn); }
    bool handlePut(CivetServer*, mg_connection* conn) override { return refuse(conn); }
    bool handleDelete(CivetServer*, mg_connection* conn) override { return refuse(conn); }
    bool handlePatch(CivetServer*, mg_connection* conn) override { return refuse(conn); }
    bool handleOptions(CivetServer*, mg_connection* conn) override { return refuse(conn); }

protected:
    virtual void respond(mg_connection* conn, bool head) = 0;

private:
    static bool refuse(mg_connection* conn) {
        reply(conn, false, 405, kTextPlain, "p2pscoped serves GET and HEAD only\n", "GET, HEAD");
        return true;
    }
    bool serve(mg_connection* conn, bool head) {
        if (local_uri(conn) != path_) reply(conn, head, 404, kTextPlain, "not found: see / for what p2pscoped serves\n");
        else respond(conn, head);
        return true;
    }
    std::string path_;
};

class MetricsPage final : public Page {
public:
    explicit MetricsPage(std::shared_ptr<const ScrapeCollectable> metrics) : Page("/metrics"), metrics_(std::move(metrics)) {}

private:
    void respond(mg_connection* conn, bool head) override { reply(conn, head, 200, kExposition, metrics_->Expose()); }
    std::shared_ptr<const ScrapeCollectable> metrics_;
};

class SnapshotPage final : public Page {
public:
    explicit SnapshotPage(const SnapshotStore& store) : Page("/snapshot.json"), store_(store) {}

private:
    void respond(mg_connection* conn, bool head) override {
        const auto s = store_.load();
        if (!s) reply(conn, head, 503, kTextPlain, "no snapshot yet\n");
        else reply(conn, head, 200, "application/json", s->json);
    }
    const SnapshotStore& store_;
};

class LandingPage final : public Page {
public:
    explicit LandingPage(std::string html) : Page("/"), html_(std::move(html)) {}

private:
    void respond(mg_connection* conn, bool head) override { reply(conn, head, 200, "text/html; charset=utf-8", html_); }
    std::string html_;
};

// civetweb logs through this; a client's malformed request is nothing
// p2pscoped can act on, so it stays quiet.
int quiet(const mg_connection*, const char*) { return 1; }

}  // namespace

struct HttpServer::Impl {
    MetricsPage metrics;
    SnapshotPage snapshot;
    LandingPage landing;
    std::string listen;
    std::unique_ptr<CivetServer> server;  // last: stopped (threads joined) before the pages go
};

Status check_listen_address(const std::string& listen) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument, "--listen '" + listen + "': " + why + " (e.g. 127.0.0.1:9477, 0.0.0.0:9477)");
    };
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("needs ADDRESS:PORT");
    const std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
        return bad("the port must be a number within 0..65535");
    unsigned char buf[16];
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) != 1) return bad("not an IPv6 address");
        if (!mg_check_feature(8)) return bad("this civetweb was built without IPv6 (Debian 12's is): use an IPv4 address");
    } else if (inet_pton(AF_INET, host.c_str(), buf) != 1) {
        return bad("the address must be a literal IPv4 address or [IPv6] address");
    }
    return Ok{};
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpOptions& o, std::shared_ptr<const ScrapeCollectable> metrics,
                                                      const SnapshotStore& store, std::string landing_page) {
    if (auto s = check_listen_address(o.listen); !s) return s.error();
    if (o.threads < 1 || o.threads > 256) return make_error(Errc::invalid_argument, "HTTP threads must be within 1..256");
    std::unique_ptr<HttpServer> server(new HttpServer());
    server->impl_.reset(new Impl{MetricsPage(std::move(metrics)), SnapshotPage(store), LandingPage(std::move(landing_page)), o.listen,
                                nullptr});
    CivetCallbacks callbacks;
    callbacks.log_message = quiet;
    const std::vector<std::string> options{"listening_ports",    o.listen,
                                           "num_threads",        std::to_string(o.threads),
                                           "request_timeout_ms", std::to_string(o.request_timeout_ms),
                                           "max_request_size",   "16384",
                                           "enable_keep_alive",  "no"};
    try {
        server->impl_->server = std::make_unique<CivetServer>(options, &callbacks);
    } catch (const std::exception&) {  // CivetException: civetweb's message adds nothing
        return make_error(Errc::system, "cannot listen on " + o.listen + " (in use, or not an address of this machine)");
    }
    auto& civet = *server->impl_->server;
    civet.addHandler("/metrics", server->impl_->metrics);
    civet.addHandler("/snapshot.json", server->impl_->snapshot);
    civet.addHandler("/", server->impl_->landing);  // and every other path: 404
    server->ports_ = civet.getListeningPorts();
    return server;
}

namespace {

// civetweb's accept loop notices a stop only between polls of up to two
// seconds; a connection wakes it. The address to knock on: the one
// listened on, loopback for a wildcard.
void knock(const std::string& listen, int port) {
    std::string host = listen.substr(0, listen.rfind(':'));
    const bool v6 = host.size() > 2 && host.front() == '[';
    if (v6) host = host.substr(1, host.size() - 2);
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return;
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return;
        len = sizeof *a;
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return;
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
    ::close(fd);
}

}  // namespace

HttpServer::~HttpServer() {
    if (!impl_ || !impl_->server) return;
    // close() joins civetweb's threads; knock until it has, so that a stop
    // takes milliseconds instead of up to two seconds. Bounded: 5 s.
    std::atomic<bool> closed{false};
    std::thread knocker([&] {
        for (int i = 0; i < 250 && !closed; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            for (int p : ports_) knock(impl_->listen, p);
        }
    });
    impl_->server->close();
    closed = true;
    knocker.join();
}

}  // namespace p2pscope::exporter
