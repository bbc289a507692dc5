// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace p2pscope::exporter {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxHead = 16384;       // request line and headers
constexpr size_t kMaxDrain = 65536;      // what is read and dropped after a reply before closing anyway
constexpr auto kAcceptPause = std::chrono::milliseconds(100);  // out of file descriptors: try again after this
constexpr const char* kTextPlain = "text/plain; charset=utf-8";
constexpr const char* kExposition = "text/plain; version=0.0.4; charset=utf-8";

const char* reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

// A whole reply, head and body; every reply closes the connection.
std::string reply(int status, const char* type, const std::string& body, bool head = false, const char* allow = nullptr) {
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-store\r\n";
    if (allow) r += std::string("Allow: ") + allow + "\r\n";
    r += "Connection: close\r\n\r\n";
    if (!head) r += body;
    return r;
}

std::string error_reply(int status, const std::string& why) { return reply(status, kTextPlain, why + "\n"); }

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c);
    });
}

// The request's head, as far as p2pscoped needs it. Anything after the head
// (a body a GET should not have, a pipelined request) is never read.
struct RequestHead {
    std::string_view method, path;  // path: the target up to '?', not decoded
    int error = 0;                  // an HTTP status when the head is unusable
};

RequestHead parse_head(std::string_view head) {
    RequestHead r;
    const size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return {{}, {}, 400};
    r.method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
    if (!is_token(r.method) || target.empty() || target.front() != '/' ||
        std::any_of(target.begin(), target.end(), [](unsigned char c) { return c <= ' ' || c >= 0x7f; }) ||
        version.substr(0, 5) != "HTTP/")
        return {{}, {}, 400};
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return {{}, {}, 505};
    // Every header line is NAME: VALUE.
    for (size_t at = line_end + 2; at < head.size();) {
        const size_t end = head.find("\r\n", at);
        const std::string_view field = head.substr(at, end - at);
        if (field.empty()) break;
        const size_t colon = field.find(':');
        if (colon == std::string_view::npos || !is_token(field.substr(0, colon))) return {{}, {}, 400};
        at = end + 2;
    }
    r.path = target.substr(0, target.find('?'));
    return r;
}

struct Address {
    std::string host;  // without brackets
    int port = 0;
    bool v6 = false;
};

Result<Address> parse_listen(const std::string& listen) {
    auto bad = [&](const std::string& why) -> Error {
        return make_error(Errc::invalid_argument, "--listen '" + listen + "': " + why + " (e.g. 127.0.0.1:9477, [::1]:9477)");
    };
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("needs ADDRESS:PORT");
    Address a;
    a.host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
        return bad("the port must be a number within 0..65535");
    a.port = static_cast<int>(std::stoul(port));
    unsigned char buf[16];
    if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
        a.host = a.host.substr(1, a.host.size() - 2);
        a.v6 = true;
        if (inet_pton(AF_INET6, a.host.c_str(), buf) != 1) return bad("not an IPv6 address");
    } else if (inet_pton(AF_INET, a.host.c_str(), buf) != 1) {
        return bad("the address must be a literal IPv4 address or [IPv6] address");
    }
    return a;
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

Status check_listen_address(const std::string& listen) {
    if (auto a = parse_listen(listen); !a) return a.error();
    return Ok{};
}

Status check_http_options(const HttpOptions& o) {
    if (auto s = check_listen_address(o.listen); !s) return s;
    if (o.connection_timeout_ms < 100 || o.connection_timeout_ms > 300000)
        return make_error(Errc::invalid_argument, "the HTTP timeout must be within 0.1..300 s");
    if (o.max_connections < 1 || o.max_connections > 65536)
        return make_error(Errc::invalid_argument, "the HTTP connection limit must be within 1..65536");
    if (o.per_client < 1 || o.per_client > o.max_connections)
        return make_error(Errc::invalid_argument, "the per-client HTTP connection limit must be within 1..the connection limit");
    return Ok{};
}

struct HttpServer::Impl {
    enum class Stage { head, reply, drain };
    struct Connection {
        std::string client;  // the peer's address bytes: the per-client count's key
        Clock::time_point deadline;
        Stage stage = Stage::head;
        std::string in;   // the head so far
        std::string out;  // the reply
        size_t sent = 0, drained = 0;
    };

    HttpOptions options;
    std::shared_ptr<const ScrapeCollectable> metrics;
    const SnapshotStore& store;
    std::string landing;
    int epoll_fd = -1, stop_fd = -1;
    std::vector<int> listeners;
    std::unordered_map<int, Connection> connections;
    std::map<std::string, unsigned> per_client;
    Clock::time_point accept_paused_until{};
    bool accept_paused = false;
    std::thread loop;

    Impl(HttpOptions o, std::shared_ptr<const ScrapeCollectable> m, const SnapshotStore& s, std::string l)
        : options(std::move(o)), metrics(std::move(m)), store(s), landing(std::move(l)) {}
    ~Impl() {
        for (auto& [fd, c] : connections) ::close(fd);
        for (int fd : listeners) ::close(fd);
        if (stop_fd >= 0) ::close(stop_fd);
        if (epoll_fd >= 0) ::close(epoll_fd);
    }

    Status listen_on(const Address& a, std::vector<int>& ports) {
        sockaddr_storage ss{};
        socklen_t len;
        if (a.v6) {
            auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(static_cast<uint16_t>(a.port));
            inet_pton(AF_INET6, a.host.c_str(), &s6->sin6_addr);
            len = sizeof *s6;
        } else {
            auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
            s4->sin_family = AF_INET;
            s4->sin_port = htons(static_cast<uint16_t>(a.port));
            inet_pton(AF_INET, a.host.c_str(), &s4->sin_addr);
            len = sizeof *s4;
        }
        const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) return make_error(Errc::system, "cannot open a socket: " + errno_text(errno));
        listeners.push_back(fd);
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (a.v6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 128) != 0) {
            const int e = errno;
            return make_error(Errc::system, "cannot listen on " + options.listen + " (" +
                                                (e == EADDRINUSE      ? std::string("in use")
                                                 : e == EADDRNOTAVAIL ? std::string("not an address of this machine")
                                                 : e == EACCES        ? std::string("a port below 1024 needs root")
                                                                      : errno_text(e)) + ")");
        }
        sockaddr_storage bound{};
        socklen_t bound_len = sizeof bound;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
        ports.push_back(ntohs(a.v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                   : reinterpret_cast<sockaddr_in*>(&bound)->sin_port));
        return watch(fd, EPOLLIN);
    }

    Status watch(int fd, uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
            return make_error(Errc::system, "epoll: " + errno_text(errno));
        return Ok{};
    }

    void rewatch(int fd, uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    }

    void close_connection(int fd) {
        auto it = connections.find(fd);
        if (it == connections.end()) return;
        auto count = per_client.find(it->second.client);
        if (count != per_client.end() && --count->second == 0) per_client.erase(count);
        connections.erase(it);
        ::close(fd);  // also leaves the epoll set
    }

    // Over a limit: one best-effort 503 and the connection closes at once.
    static void turn_away(int fd, const std::string& why) {
        const std::string r = error_reply(503, why);
        (void)::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
    }

    void accept_all(int listener) {
        for (;;) {
            sockaddr_storage peer{};
            socklen_t len = sizeof peer;
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting();
                return;  // EAGAIN: all taken
            }
            std::string client;
            if (peer.ss_family == AF_INET6)
                client.assign(reinterpret_cast<const char*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr), 16);
            else
                client.assign(reinterpret_cast<const char*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr), 4);
            if (connections.size() >= options.max_connections) {
                turn_away(fd, "p2pscoped is serving its limit of connections; try again shortly");
                continue;
            }
            unsigned& mine = per_client[client];
            if (mine >= options.per_client) {
                turn_away(fd, "this client has its limit of connections open at once");
                continue;
            }
            if (!watch(fd, EPOLLIN | EPOLLRDHUP)) {
                if (mine == 0) per_client.erase(client);
                ::close(fd);
                continue;
            }
            ++mine;
            Connection& c = connections[fd];
            c.client = std::move(client);
            c.deadline = Clock::now() + std::chrono::milliseconds(options.connection_timeout_ms);
        }
    }

    // Out of file descriptors or memory: stop listening for a moment, or
    // the level-triggered listener would spin the loop.
    void pause_accepting() {
        for (int l : listeners) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, l, nullptr);
        accept_paused = true;
        accept_paused_until = Clock::now() + kAcceptPause;
    }

    void resume_accepting() {
        for (int l : listeners) (void)watch(l, EPOLLIN);
        accept_paused = false;
    }

    std::string respond(const RequestHead& r) {
        if (r.error) return error_reply(r.error, "p2pscoped: malformed request");
        if (r.method != "GET" && r.method != "HEAD")
            return reply(405, kTextPlain, "p2pscoped serves GET and HEAD only\n", false, "GET, HEAD");
        const bool head = r.method == "HEAD";
        try {
            if (r.path == "/metrics") return reply(200, kExposition, metrics->Expose(), head);
            if (r.path == "/snapshot.json") {
                const auto s = store.load();
                if (!s) return reply(503, kTextPlain, "no snapshot yet\n", head);
                return reply(200, "application/json", s->json, head);
            }
            if (r.path == "/") return reply(200, "text/html; charset=utf-8", landing, head);
        } catch (const std::exception& e) {
            return reply(500, kTextPlain, std::string("p2pscoped: ") + e.what() + "\n", head);
        }
        return reply(404, kTextPlain, "not found: see / for what p2pscoped serves\n", head);
    }

    void start_reply(int fd, Connection& c, std::string text) {
        c.stage = Stage::reply;
        c.out = std::move(text);
        c.in = std::string();
        rewatch(fd, EPOLLOUT);
        write_reply(fd, c);
    }

    void read_head(int fd, Connection& c) {
        char buf[4096];
        for (;;) {
            const size_t room = kMaxHead + 4 - c.in.size();
            const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, room), 0);
            if (n == 0) return close_connection(fd);  // the client gave up
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) close_connection(fd);
                return;
            }
            const size_t scan_from = c.in.size() < 3 ? 0 : c.in.size() - 3;
            c.in.append(buf, static_cast<size_t>(n));
            const size_t end = c.in.find("\r\n\r\n", scan_from);
            if (end != std::string::npos) return start_reply(fd, c, respond(parse_head(std::string_view(c.in).substr(0, end + 2))));
            if (c.in.size() > kMaxHead) return start_reply(fd, c, error_reply(431, "p2pscoped: request head over 16 KiB"));
        }
    }

    void write_reply(int fd, Connection& c) {
        while (c.sent < c.out.size()) {
            const ssize_t n = ::send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) close_connection(fd);
                return;
            }
            c.sent += static_cast<size_t>(n);
        }
        // All sent. Closing with unread input would reset the connection and
        // could lose the reply's tail at the client: end our side, then read
        // and drop what still comes until the client closes, a bound, or the
        // deadline.
        c.stage = Stage::drain;
        c.out = std::string();
        ::shutdown(fd, SHUT_WR);
        rewatch(fd, EPOLLIN | EPOLLRDHUP);
        drain(fd, c);
    }

    void drain(int fd, Connection& c) {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0 || (c.drained += static_cast<size_t>(n)) > kMaxDrain) return close_connection(fd);
        }
    }

    void serve(int fd, uint32_t events) {
        auto it = connections.find(fd);
        if (it == connections.end()) return;
        Connection& c = it->second;
        switch (c.stage) {
        case Stage::head: return read_head(fd, c);
        case Stage::reply:
            if (events & (EPOLLERR | EPOLLHUP)) return close_connection(fd);
            return write_reply(fd, c);
        case Stage::drain: return drain(fd, c);
        }
    }

    // Connections past their deadline close; a client that sent part of a
    // request hears why. Returns the milliseconds until the next deadline.
    int expire() {
        const auto now = Clock::now();
        Clock::time_point next = now + std::chrono::seconds(60);
        std::vector<int> late;
        for (auto& [fd, c] : connections) {
            if (c.deadline <= now) late.push_back(fd);
            else next = std::min(next, c.deadline);
        }
        for (int fd : late) {
            Connection& c = connections[fd];
            if (c.stage == Stage::head && !c.in.empty()) {
                const std::string r = error_reply(408, "p2pscoped: the request did not arrive within the HTTP timeout");
                (void)::send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            close_connection(fd);
        }
        if (accept_paused) {
            if (accept_paused_until <= now) resume_accepting();
            else next = std::min(next, accept_paused_until);
        }
        return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count()) + 1;
    }

    void run() {
        epoll_event events[64];
        int timeout_ms = 0;
        for (;;) {
            const int n = ::epoll_wait(epoll_fd, events, 64, timeout_ms);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == stop_fd) return;
                if (std::find(listeners.begin(), listeners.end(), fd) != listeners.end()) accept_all(fd);
                else serve(fd, events[i].events);
            }
            timeout_ms = expire();
        }
    }
};

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpOptions& o, std::shared_ptr<const ScrapeCollectable> metrics,
                                                      const SnapshotStore& store, std::string landing_page) {
    if (auto s = check_http_options(o); !s) return s.error();
    auto address = parse_listen(o.listen);
    if (!address) return address.error();
    std::unique_ptr<HttpServer> server(new HttpServer());
    server->impl_ = std::make_unique<Impl>(o, std::move(metrics), store, std::move(landing_page));
    Impl& impl = *server->impl_;
    impl.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    impl.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (impl.epoll_fd < 0 || impl.stop_fd < 0) return make_error(Errc::system, "epoll: " + errno_text(errno));
    if (auto s = impl.watch(impl.stop_fd, EPOLLIN); !s) return s.error();
    if (auto s = impl.listen_on(*address, server->ports_); !s) return s.error();
    impl.loop = std::thread([&impl] { impl.run(); });
    return server;
}

HttpServer::~HttpServer() {
    if (!impl_ || !impl_->loop.joinable()) return;
    const uint64_t one = 1;
    (void)::write(impl_->stop_fd, &one, sizeof one);
    impl_->loop.join();
}

}  // namespace p2pscope::exporter
