// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/push.hpp"

#include <prometheus/gateway.h>

namespace p2pscope::exporter {

namespace {

struct Url {
    std::string scheme_host;  // http://HOST
    std::string port;
};

Result<Url> parse_url(const std::string& url) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument, "--push-gateway '" + url + "': " + why + " (e.g. http://127.0.0.1:9091)");
    };
    std::string rest;
    std::string scheme;
    for (const char* s : {"http://", "https://"}) {
        if (url.rfind(s, 0) == 0) {
            scheme = s;
            rest = url.substr(scheme.size());
        }
    }
    if (scheme.empty()) return bad("needs http:// or https://");
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.find('/') != std::string::npos) return bad("no path, the gateway's address only");
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || (rest.front() == '[' && rest[colon - 1] != ']'))
        return bad("needs HOST:PORT");
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535)
        return bad("the port must be a number within 1..65535");
    return Url{scheme + rest.substr(0, colon), port};
}

bool valid_label_value(const std::string& v) {
    if (v.empty() || v.size() > 128) return false;
    for (char c : v)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    return true;
}

}  // namespace

Status check_push_gateway(const std::string& url) {
    auto u = parse_url(url);
    if (!u) return u.error();
    return Ok{};
}

Status push_metrics(const PushOptions& o, std::shared_ptr<prometheus::Collectable> metrics) {
    auto url = parse_url(o.gateway);
    if (!url) return url.error();
    if (!valid_label_value(o.job)) return make_error(Errc::invalid_argument, "--push-job '" + o.job + "': use A-Z a-z 0-9 _ - .");
    if (!o.instance.empty() && !valid_label_value(o.instance))
        return make_error(Errc::invalid_argument, "--push-instance '" + o.instance + "': use A-Z a-z 0-9 _ - .");
    prometheus::Labels grouping;
    if (!o.instance.empty()) grouping["instance"] = o.instance;
    int code = 0;
    try {
        prometheus::Gateway gateway(url->scheme_host, url->port, o.job, grouping);
        gateway.RegisterCollectable(metrics);
        // Replace the group: prometheus-cpp 1.0's Push() sends POST (which
        // merges) where the Pushgateway wants PUT, and later releases swap
        // Push and PushAdd back; DELETE then POST replaces with either.
        // Delete() forgets the grouping labels, DeleteForInstance() keeps them.
        code = grouping.empty() ? gateway.Delete() : gateway.DeleteForInstance();
        if (code >= 200 && code < 300) code = gateway.Push();
    } catch (const std::exception& e) {
        return make_error(Errc::system, "push to " + o.gateway + ": " + e.what());
    }
    if (code >= 200 && code < 300) return Ok{};
    if (code < 0)
        return make_error(Errc::system, "push to " + o.gateway + ": no answer (curl error " + std::to_string(-code) + ")");
    return make_error(Errc::system, "push to " + o.gateway + ": the gateway answered HTTP " + std::to_string(code));
}

}  // namespace p2pscope::exporter
