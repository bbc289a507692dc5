// SPDX-License-Identifier: GPL-2.0-or-later
// The HTTP side: /metrics (Prometheus text format 0.0.4), /snapshot.json
// (the live GUI's feed) and a landing page at /, GET and HEAD only.
//
// One thread runs an epoll loop over non-blocking sockets, so a client that
// is slow costs a file descriptor, never a worker: civetweb (what
// prometheus-cpp's exposer is built on) gives each connection a thread until
// it ends, reads a GET's declared body byte by byte before it closes, and
// restarts its timeout on every byte, so eight clients sending a byte a
// second took it off the air; libmicrohttpd's timeout is also one of
// inactivity. Here every connection has one deadline from its accept
// (request, reply and close together), the request head is read up to
// 16 KiB and nothing after it, every reply closes the connection, and each
// client address holds at most `per_client` connections, all clients
// together `max_connections`. The text served is what the collectors
// rendered once per snapshot (prometheus-cpp's TextSerializer), so serving
// costs a copy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "p2pscope/exporter/collector.hpp"
#include "p2pscope/exporter/snapshot.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

inline constexpr const char* kDefaultListen = "127.0.0.1:9477";

struct HttpOptions {
    std::string listen = kDefaultListen;  // IPv4:PORT or [IPv6]:PORT; port 0: any free port
    unsigned connection_timeout_ms = 5000;  // a connection's whole life: request, reply and close
    unsigned max_connections = 256;         // open at once, all clients together
    unsigned per_client = 8;                // open at once from one client address
};

// IPv4:PORT or [IPv6]:PORT, literal addresses only.
Status check_listen_address(const std::string& listen);
Status check_http_options(const HttpOptions& options);

class HttpServer {
public:
    static Result<std::unique_ptr<HttpServer>> start(const HttpOptions& options,
                                                     std::shared_ptr<const ScrapeCollectable> metrics,
                                                     const SnapshotStore& store, std::string landing_page);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    const std::vector<int>& ports() const { return ports_; }

private:
    struct Impl;
    HttpServer() = default;
    std::unique_ptr<Impl> impl_;
    std::vector<int> ports_;
};

}  // namespace p2pscope::exporter
