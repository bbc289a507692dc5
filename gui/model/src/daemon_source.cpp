// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped's snapshot over HTTP, with libcurl: GET on the collector thread,
// bounded in time and size; an ETag, when the daemon sends one, lets it
// answer 304 when nothing changed, and an unchanged body is not parsed again.
#include <curl/curl.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

#include "p2pscope/json_text.hpp"
#include "p2pscope/gui/sources.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::gui {

namespace {


void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlHandle {
    CURLU* h = curl_url();
    ~UrlHandle() { curl_url_cleanup(h); }
};

std::string url_part(CURLU* u, CURLUPart part) {
    char* s = nullptr;
    if (curl_url_get(u, part, &s, 0) != CURLUE_OK || !s) return {};
    std::string out = s;
    curl_free(s);
    return out;
}

// The body's hash without the value of generated_unix_s, which changes with every answer even when
// nothing else does: an unchanged snapshot is then recognised without parsing it.
size_t content_hash(std::string_view body) {
    constexpr std::string_view key = "\"generated_unix_s\"";
    const size_t at = body.find(key);
    if (at == std::string_view::npos) return std::hash<std::string_view>{}(body);
    size_t end = at + key.size();
    while (end < body.size() && std::string_view(" \t\r\n:").find(body[end]) != std::string_view::npos) ++end;
    while (end < body.size() && std::string_view("0123456789.eE+-").find(body[end]) != std::string_view::npos) ++end;
    const size_t h1 = std::hash<std::string_view>{}(body.substr(0, at));
    const size_t h2 = std::hash<std::string_view>{}(body.substr(end));
    return h1 ^ (h2 + 0x9e3779b97f4a7c15ull + (h1 << 6) + (h1 >> 2));
}

class DaemonSource final : public Source {
public:
    DaemonSource(std::string url, DaemonOptions o) : url_(std::move(url)), o_(std::move(o)) {
        global_init();
        curl_ = curl_easy_init();
    }
    ~DaemonSource() override {
        if (curl_) curl_easy_cleanup(curl_);
    }

    std::string kind() const override { return "daemon"; }
    std::string description() const override { return "p2pscoped at " + url_; }
    // The daemon's topology is this machine's when it serves its live machine and that machine booted as this one
    // did: an address says nothing (a port forward into a VM or an SSH tunnel also answers on loopback).
    bool this_machine() const override { return same_machine_; }
    std::optional<double> interval_s() const override { return o_.interval_s; }

    Result<Fetched> fetch() override {
        if (!curl_) return make_error(Errc::system, "libcurl could not make a handle");
        Body body{{}, o_.max_body_bytes, false};
        std::string etag;
        char errbuf[CURL_ERROR_SIZE] = {};
        curl_easy_reset(curl_);
        curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
        curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.timeout_s * 1000));
        curl_easy_setopt(curl_, CURLOPT_USERAGENT, o_.user_agent.c_str());
        curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl_, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o_.max_body_bytes));  // a declared length
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &DaemonSource::on_body);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &DaemonSource::on_header);
        curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &etag);
        curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
        if (!etag_.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + etag_).c_str());
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
        const CURLcode rc = curl_easy_perform(curl_);
        curl_slist_free_all(headers);
        if (rc != CURLE_OK) {
            std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
            if (rc == CURLE_FILESIZE_EXCEEDED || body.too_large)
                detail = "the answer is larger than the " + std::to_string(o_.max_body_bytes >> 20) + " MiB a snapshot may take";
            return make_error(Errc::system, "cannot fetch " + url_ + ": " + detail);
        }
        long status = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        if (status == 304) {
            Fetched f;
            f.unchanged = true;
            return f;
        }
        if (status != 200)
            return make_error(Errc::system, url_ + " answered HTTP " + std::to_string(status) +
                                                (status == 404 ? " (is this a p2pscoped? it serves /snapshot.json)" : ""));
        etag_ = etag;
        const size_t hash = content_hash(body.text);
        if (have_body_ && hash == body_hash_ && body.text.size() == body_size_) {
            Fetched f;
            f.unchanged = true;
            return f;
        }
        auto doc = parse_json_text(body.text);
        if (!doc) return make_error(Errc::bad_input, url_ + ": " + doc.error().message);
        auto schema = doc->is_object() ? doc->find("schema") : doc->end();
        if (!doc->is_object() || schema == doc->end() || *schema != "p2pscope.snapshot/1")
            return make_error(Errc::bad_input, url_ + ": not a p2pscope.snapshot/1 document");
        const auto boot_id = doc->find("boot_id");
        same_machine_ = boot_id != doc->end() && boot_id->is_string() && !local_boot_id_.empty() &&
                        *boot_id == local_boot_id_;
        Fetched f;
        // Rebuild the topology only when it changed: measurements change far more often.
        auto topo = doc->find("topology");
        if (topo == doc->end()) return make_error(Errc::bad_input, url_ + ": topology: missing");
        if (!topology_ || *topo != last_topology_) {
            auto view = view_from_topo_json(*topo);
            if (!view) return make_error(Errc::bad_input, url_ + ": topology." + view.error().message);
            topology_ = std::make_shared<const TopologyView>(std::move(*view));
            last_topology_ = std::move(*topo);
            f.topology = topology_;
        }
        if (auto m = doc->find("measurements"); m != doc->end() && !m->is_null()) {
            auto list = read_measurements(*m);
            if (!list) return make_error(Errc::bad_input, url_ + ": " + list.error().message);
            f.measurements = std::move(*list);
        } else {
            f.measurements.emplace();
        }
        have_body_ = true;
        body_hash_ = hash;
        body_size_ = body.text.size();
        return f;
    }

private:
    struct Body {
        std::string text;
        size_t max;
        bool too_large;
    };
    static size_t on_body(char* data, size_t size, size_t n, void* user) {
        auto* body = static_cast<Body*>(user);
        const size_t bytes = size * n;
        if (body->text.size() + bytes > body->max) {  // one without a declared length
            body->too_large = true;
            return 0;  // aborts the transfer
        }
        body->text.append(data, bytes);
        return bytes;
    }
    static size_t on_header(char* data, size_t size, size_t n, void* user) {
        const size_t bytes = size * n;
        std::string line(data, bytes);
        if (line.size() > 5 && strncasecmp(line.c_str(), "ETag:", 5) == 0) {
            std::string v = line.substr(5);
            const auto b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t\r\n");
            *static_cast<std::string*>(user) = b == std::string::npos ? "" : v.substr(b, e - b + 1);
        }
        return bytes;
    }

    std::string url_;
    DaemonOptions o_;
    const std::string local_boot_id_ = probe::this_boot_id();
    std::atomic<bool> same_machine_{false};  // set by fetch() on the collector thread
    CURL* curl_ = nullptr;
    std::string etag_;
    bool have_body_ = false;
    size_t body_hash_ = 0, body_size_ = 0;
    std::shared_ptr<const TopologyView> topology_;
    nlohmann::json last_topology_;
};

}  // namespace

Result<std::string> daemon_url(const std::string& text) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid_argument, "'" + text + "' is not a daemon address (" + why +
                                                      "; e.g. 127.0.0.1:9477 or http://host:9477/snapshot.json)");
    };
    if (text.empty()) return bad("empty");
    std::string t = text;
    if (t.find("://") == std::string::npos) t = "http://" + t;
    UrlHandle u;
    if (!u.h) return make_error(Errc::system, "libcurl could not parse URLs");
    if (curl_url_set(u.h, CURLUPART_URL, t.c_str(), 0) != CURLUE_OK) return bad("not a URL");
    const std::string scheme = url_part(u.h, CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https") return bad("only http and https");
    if (url_part(u.h, CURLUPART_HOST).empty()) return bad("no host");
    const std::string port = url_part(u.h, CURLUPART_PORT);
    if (port.empty() && text.find("://") == std::string::npos) return bad("no port");
    const std::string path = url_part(u.h, CURLUPART_PATH);
    if (path.empty() || path == "/") curl_url_set(u.h, CURLUPART_PATH, "/snapshot.json", 0);
    return url_part(u.h, CURLUPART_URL);
}

Result<std::unique_ptr<Source>> make_daemon_source(const std::string& url_or_host_port, const DaemonOptions& options) {
    global_init();
    auto url = daemon_url(url_or_host_port);
    if (!url) return url.error();
    if (!(options.interval_s > 0)) return make_error(Errc::invalid_argument, "the polling interval must be above 0 s");
    std::unique_ptr<Source> s = std::make_unique<DaemonSource>(*url, options);
    return s;
}

}  // namespace p2pscope::gui
