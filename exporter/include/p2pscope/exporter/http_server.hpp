// SPDX-License-Identifier: GPL-2.0-or-later
// The HTTP side, on civetweb (the server prometheus-cpp's pull exposer is
// built on): /metrics (Prometheus text format 0.0.4), /snapshot.json (the
// live GUI's feed) and a landing page at /. prometheus-cpp 1.0's Exposer
// serves only registered Collectables and serializes every family again on
// every scrape; p2pscoped serves text its collectors rendered once per
// snapshot (with prometheus-cpp's TextSerializer), which keeps a DGX-2's
// scrape far below a millisecond. civetweb bounds every connection: a
// request must arrive whole within request_timeout_ms, its head within
// 16 KiB, and a fixed pool of worker threads serves them.
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
    std::string listen = kDefaultListen;  // IPv4:PORT ([IPv6]:PORT where civetweb has IPv6); port 0: any free port
    unsigned threads = 8;                 // civetweb worker threads: connections served at once
    unsigned request_timeout_ms = 5000;   // a request must arrive whole within this
};

// IPv4:PORT, or [IPv6]:PORT when civetweb was built with IPv6; literal addresses only.
Status check_listen_address(const std::string& listen);

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
