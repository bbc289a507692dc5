// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/snapshot.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "p2pscope/json_text.hpp"

namespace p2pscope::gui {

using nlohmann::json;

std::string format_bytes(uint64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    uint64_t v = bytes;
    while (u + 1 < std::size(units) && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        ++u;
    }
    return std::to_string(v) + " " + units[u];
}

std::string format_ns(double ns) {
    char buf[32];
    if (!std::isfinite(ns)) return "-";
    if (ns < 10'000)
        std::snprintf(buf, sizeof buf, "%.0f ns", ns);
    else if (ns < 10'000'000)
        std::snprintf(buf, sizeof buf, "%.1f us", ns / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
    return buf;
}

std::string format_rate(double bps) {
    char buf[32];
    if (bps >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2f GB/s", bps / 1e9);
    else if (bps >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2f MB/s", bps / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.1f kB/s", bps / 1e3);
    return buf;
}

std::string MeasurementView::config_label() const {
    std::string s = api.empty() ? kind : api;
    // An engine's row label may say the direction or memory itself (nvme's "read 128K qd4 p2pmem from ..."): once.
    const auto row_says = [&](const std::string& word) {
        return transfer && !word.empty() && (" " + transfer->label + " ").find(" " + word + " ") != std::string::npos;
    };
    if (transfer)
        s = transfer->engine + (row_says(transfer->direction) ? "" : " " + transfer->direction) + " " + transfer->label;
    if (!memory.empty() && !row_says(memory)) s += " " + memory;
    if (size_bytes) s += " " + format_bytes(size_bytes);
    return s;
}

namespace {

struct BadKey {
    std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw BadKey{path + ": " + what}; }

std::string text_or_empty(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_string()) fail(path + "." + key, std::string("expected a string, found ") + it->type_name());
    return it->get<std::string>();
}

double number(const json& obj, const char* key, const std::string& path, bool required) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (required) fail(path + "." + key, "missing");
        return 0;
    }
    if (!it->is_number()) fail(path + "." + key, std::string("expected a number, found ") + it->type_name());
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < 0) fail(path + "." + key, "must be a finite number >= 0");
    return v;
}

std::optional<LatencyView> latency(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    const std::string p = path + "." + key;
    if (!it->is_object()) fail(p, std::string("expected an object or null, found ") + it->type_name());
    LatencyView l;
    l.count = static_cast<uint64_t>(number(*it, "count", p, true));
    l.min_ns = number(*it, "min_ns", p, true);
    l.p50_ns = number(*it, "p50_ns", p, true);
    l.p90_ns = number(*it, "p90_ns", p, true);
    l.p99_ns = number(*it, "p99_ns", p, true);
    l.p999_ns = number(*it, "p999_ns", p, true);
    l.max_ns = number(*it, "max_ns", p, true);
    l.mean_ns = number(*it, "mean_ns", p, true);
    return l;
}

// Daemon transfer entries: the p2pscope.xfer/1 parts (request fields flat,
// "engine", "path", "results[]") of one run, as p2pscoped serves them.
std::optional<bool> bool_or_null(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) fail(path + "." + key, std::string("expected true, false or null, found ") + it->type_name());
    return it->get<bool>();
}

// One results[] row as a transfer view, shaped as the in-process runs shape
// theirs (runs.cpp transfer_row): status "ok", "waived", "fault", "error"
// with xfer's text after ": " as the reason.
MeasurementView transfer_row(const MeasurementView& run, const json& row, const std::string& p) {
    if (!row.is_object()) fail(p, std::string("expected an object, found ") + row.type_name());
    MeasurementView m = run;
    TransferView& v = *m.transfer;
    v.label = text_or_empty(row, "label", p);
    if (v.label.empty()) fail(p + ".label", "missing");
    const std::string status = text_or_empty(row, "status", p);
    if (status.empty()) fail(p + ".status", "missing");
    const auto colon = status.find(": ");
    m.status = colon == std::string::npos ? status : status.substr(0, colon);
    m.reason = colon == std::string::npos ? std::string() : status.substr(colon + 2);
    m.key = run.key + "/" + v.label;
    if (const double bytes = number(row, "transfer_bytes", p, false); bytes > 0) m.size_bytes = static_cast<uint64_t>(bytes);
    v.transfers = static_cast<uint64_t>(number(row, "transfers", p, true));
    v.seconds = number(row, "seconds", p, false);
    v.bytes_per_second = number(row, "bytes_per_second", p, true);
    if (auto lat = row.find("latency_ns"); lat != row.end() && !lat->is_null()) {
        const std::string lp = p + ".latency_ns";
        if (!lat->is_object()) fail(lp, std::string("expected an object or null, found ") + lat->type_name());
        v.min_ns = number(*lat, "min", lp, true);
        v.p50_ns = number(*lat, "p50", lp, true);
        v.p90_ns = number(*lat, "p90", lp, true);
        v.p99_ns = number(*lat, "p99", lp, true);
        v.max_ns = number(*lat, "max", lp, true);
        v.mean_ns = number(*lat, "mean", lp, true);
    }
    v.verified = bool_or_null(row, "verified", p);
    v.verify_detail = text_or_empty(row, "verify_detail", p);
    return m;
}

// A daemon transfer entry becomes one view per results[] row, keyed
// "KEY/LABEL" (a series per row, as in-process); a run without rows (waived,
// failed before running) one view "KEY/-" with the entry's status and reason.
void transfer_entry(const json& j, MeasurementView m, const std::string& p, std::vector<MeasurementView>& out) {
    TransferView v;
    v.engine = text_or_empty(j, "engine", p);
    v.direction = text_or_empty(j, "direction", p);
    const json* results = nullptr;
    if (auto it = j.find("results"); it != j.end() && !it->is_null()) {
        if (!it->is_array()) fail(p + ".results", std::string("expected an array, found ") + it->type_name());
        results = &*it;
    }
    if (!results || results->empty()) {
        m.key += "/-";
        m.api = v.engine.empty() ? std::string() : v.engine + (v.direction.empty() ? "" : " " + v.direction);
        out.push_back(std::move(m));
        return;
    }
    m.transfer = std::move(v);
    for (size_t r = 0; r < results->size(); ++r)
        out.push_back(transfer_row(m, (*results)[r], p + ".results[" + std::to_string(r) + "]"));
}

std::vector<MeasurementView> measurements(const json& array) {
    if (!array.is_array()) fail("measurements", std::string("expected an array, found ") + array.type_name());
    std::vector<MeasurementView> out;
    out.reserve(array.size());
    for (size_t i = 0; i < array.size(); ++i) {
        const std::string p = "measurements[" + std::to_string(i) + "]";
        const json& j = array[i];
        if (!j.is_object()) fail(p, std::string("expected an object, found ") + j.type_name());
        MeasurementView m;
        m.kind = text_or_empty(j, "kind", p);
        if (m.kind.empty()) fail(p + ".kind", "missing");
        m.key = text_or_empty(j, "key", p);
        if (m.key.empty()) fail(p + ".key", "missing");
        m.finished_unix_s = number(j, "finished_unix_s", p, true);
        m.status = text_or_empty(j, "status", p);
        if (m.status.empty()) fail(p + ".status", "missing");
        m.reason = text_or_empty(j, "reason", p);
        m.device = text_or_empty(j, "device", p);
        m.peer = text_or_empty(j, "peer", p);
        m.api = text_or_empty(j, "api", p);
        m.memory = text_or_empty(j, "memory", p);
        m.size_bytes = static_cast<uint64_t>(number(j, "size_bytes", p, false));
        if (m.kind == "transfer") {
            transfer_entry(j, std::move(m), p, out);
            continue;
        }
        m.map = latency(j, "map", p);
        m.unmap = latency(j, "unmap", p);
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace

Result<std::vector<MeasurementView>> read_measurements(const json& array) {
    try {
        return measurements(array);
    } catch (const BadKey& e) {
        return make_error(Errc::bad_input, e.message);
    }
}

Result<Snapshot> read_snapshot(const json& doc) {
    if (!doc.is_object()) return make_error(Errc::bad_input, "expected a JSON object at the top level");
    auto schema = doc.find("schema");
    if (schema == doc.end() || !schema->is_string())
        return make_error(Errc::bad_input, "schema: missing (not a p2pscope snapshot)");
    if (*schema != "p2pscope.snapshot/1")
        return make_error(Errc::bad_input,
                          "schema: '" + schema->get<std::string>() + "' is not p2pscope.snapshot/1");
    Snapshot s;
    if (auto g = doc.find("generated_unix_s"); g != doc.end() && g->is_number()) s.generated_unix_s = g->get<double>();
    auto topo = doc.find("topology");
    if (topo == doc.end()) return make_error(Errc::bad_input, "topology: missing");
    auto view = view_from_topo_json(*topo);
    if (!view) return make_error(Errc::bad_input, "topology." + view.error().message);
    s.topology = std::move(*view);
    if (auto m = doc.find("measurements"); m != doc.end() && !m->is_null()) {
        auto list = read_measurements(*m);
        if (!list) return list.error();
        s.measurements = std::move(*list);
    }
    return s;
}

Result<Snapshot> parse_snapshot_json(std::string_view text) {
    auto doc = parse_json_text(text);
    if (!doc) return doc.error();
    return read_snapshot(*doc);
}

Result<Snapshot> parse_saved_json(std::string_view text) {
    auto doc = parse_json_text(text);
    if (!doc) return doc.error();
    if (doc->is_object()) {
        if (auto schema = doc->find("schema"); schema != doc->end() && *schema == "p2pscope.topo/1") {
            auto view = view_from_topo_json(*doc);
            if (!view) return view.error();
            Snapshot s;
            s.topology = std::move(*view);
            return s;
        }
    }
    auto s = read_snapshot(*doc);
    if (!s && s.error().message.rfind("schema:", 0) == 0)
        return make_error(Errc::bad_input, "neither a p2pscope.topo/1 nor a p2pscope.snapshot/1 document (" +
                                               s.error().message + ")");
    return s;
}

}  // namespace p2pscope::gui
