// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscoped's configuration file: the document (schema, duty cycle, start
// delay, device node, journal) and its measurements, each of kind topology,
// map, transfer (config_transfer.cpp) or qualify; and the checkers of single
// values that both files use (config_checks.hpp).
#include "p2pscope/exporter/config.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "config_checks.hpp"
#include "p2pscope/input_file.hpp"
#include "p2pscope/json_text.hpp"
#include "p2pscope/exporter/journal.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/kclient/uapi.hpp"
#include "p2pscope/qualify/diff.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::exporter {

namespace detail {

Result<double> number(const Checker& c, const json& j, const std::string& path, double lo, double hi, bool lo_open) {
    if (!j.is_number()) return c.fail(path, "must be a number");
    const double v = j.get<double>();
    if (!std::isfinite(v) || v > hi || v < lo || (lo_open && v == lo)) {
        std::ostringstream range;
        range << (lo_open ? "> " : ">= ") << lo << " and <= " << hi;
        return c.fail(path, "must be " + range.str());
    }
    return v;
}

Result<uint64_t> integer(const Checker& c, const json& j, const std::string& path, uint64_t lo, uint64_t hi) {
    if (!j.is_number_integer() || (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0))
        return c.fail(path, "must be a whole number");
    const uint64_t v = j.get<uint64_t>();
    if (v < lo || v > hi) return c.fail(path, "must be within " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

Result<bool> boolean(const Checker& c, const json& j, const std::string& path) {
    if (!j.is_boolean()) return c.fail(path, "must be true or false");
    return j.get<bool>();
}

Result<std::string> text(const Checker& c, const json& j, const std::string& path) {
    if (!j.is_string()) return c.fail(path, "must be a string");
    auto s = j.get<std::string>();
    // A path or name with a NUL would be cut short where the system reads it.
    if (s.find('\0') != std::string::npos) return c.fail(path, "must not contain a NUL character");
    return s;
}

// 4096, "4096", "4K", "2M", "1G" (powers of 1024), as p2pscope map's --size.
Result<uint64_t> byte_size(const Checker& c, const json& j, const std::string& path, uint64_t hi) {
    if (j.is_number_integer()) return integer(c, j, path, 1, hi);
    if (!j.is_string()) return c.fail(path, "must be a size (4096, \"4K\", \"2M\", \"1G\")");
    const std::string s = j.get<std::string>();
    auto bad = [&] { return c.fail(path, "'" + s + "' is not a size (4096, 4K, 2M, 1G)"); };
    if (s.empty() || s[0] < '0' || s[0] > '9') return bad();
    size_t used = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(s, &used, 10);
    } catch (...) {
        return bad();
    }
    unsigned shift = 0;
    if (used + 1 == s.size()) {
        switch (s[used]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return bad();
        }
    } else if (used != s.size()) {
        return bad();
    }
    if (shift && v > (hi >> shift)) return c.fail(path, "'" + s + "' is above " + std::to_string(hi) + " bytes");
    const uint64_t bytes = static_cast<uint64_t>(v) << shift;
    if (bytes == 0 || bytes > hi) return c.fail(path, "must be within 1.." + std::to_string(hi) + " bytes");
    return bytes;
}

Result<probe::PciAddress> bdf(const Checker& c, const json& j, const std::string& path) {
    auto t = text(c, j, path);
    if (!t) return t.error();
    auto a = probe::PciAddress::parse(*t);
    if (!a) return c.fail(path, a.error().message);
    return *a;
}

}  // namespace detail

namespace {

using detail::Checker;
using detail::json;
using detail::bdf;
using detail::boolean;
using detail::byte_size;
using detail::integer;
using detail::number;
using detail::store;
using detail::text;

bool valid_key(const std::string& k) {
    if (k.empty() || k.size() > 64) return false;
    for (char ch : k) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                        ch == '.' || ch == ':' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

// Reads the optional name at m[key] into `out` with `parse` (kclient::parse_api
// and its kin); a name it does not know is refused with the list of `names()`.
template <class T>
std::optional<Error> known_name(const Checker& c, const json& m, const std::string& path, const char* key,
                                const char* what, std::optional<T> (*parse)(std::string_view),
                                std::string (*names)(), T& out) {
    auto a = m.find(key);
    if (a == m.end()) return std::nullopt;
    const std::string where = path + "." + key;
    auto t = text(c, *a, where);
    if (!t) return t.error();
    auto v = parse(*t);
    if (!v) return c.fail(where, "unknown " + std::string(what) + " '" + *t + "' (" + names() + ")");
    out = *v;
    return std::nullopt;
}

Result<MapSpec> parse_map(const Checker& c, const json& m, const std::string& path) {
    if (auto e = c.only_keys(m, path, {"key", "kind", "interval_s", "device", "peer", "api", "memory", "direction", "size",
                                       "segments", "threads", "seconds"}))
        return *e;
    MapSpec s;
    auto dev = m.find("device");
    if (dev == m.end()) return c.fail(path, "a map measurement needs \"device\" (a BDF)");
    auto d = bdf(c, *dev, path + ".device");
    if (!d) return d.error();
    s.device = *d;
    if (auto p = m.find("peer"); p != m.end() && !p->is_null()) {
        auto pa = bdf(c, *p, path + ".peer");
        if (!pa) return pa.error();
        s.peer = *pa;
    }
    if (auto e = known_name(c, m, path, "api", "API", kclient::parse_api, kclient::api_names, s.api)) return *e;
    if (auto e = known_name(c, m, path, "memory", "memory type", kclient::parse_mem, kclient::mem_names, s.mem))
        return *e;
    if (auto e = known_name(c, m, path, "direction", "direction", kclient::parse_dir, kclient::dir_names, s.dir))
        return *e;
    if (auto a = m.find("size"); a != m.end()) {
        if (auto e = store(byte_size(c, *a, path + ".size", kclient::kMaxSizeBytes), s.size_bytes)) return *e;
    }
    // As p2pscope map: segments apply to the APIs that map a list; the module
    // counts the entries of the APIs that decide them (dma-bufs, noncontiguous
    // allocations) itself.
    const kclient::Segments segments = kclient::api_traits(s.api).segments;
    if (auto a = m.find("segments"); a != m.end()) {
        auto v = integer(c, *a, path + ".segments", 1, kclient::kMaxSegments);
        if (!v) return v.error();
        if (segments != kclient::Segments::list && *v != 1)
            return c.fail(path + ".segments", "only " + kclient::list_api_names(" and ") + " map several segments");
        s.segments = static_cast<uint32_t>(*v);
    }
    if (segments == kclient::Segments::one) s.segments = 1;
    if (segments == kclient::Segments::module) s.segments = 0;
    if (auto a = m.find("threads"); a != m.end()) {
        if (auto e = store(integer(c, *a, path + ".threads", 1, 4096), s.threads)) return *e;
    }
    if (auto a = m.find("seconds"); a != m.end()) {
        if (auto e = store(number(c, *a, path + ".seconds", 0, 60, true), s.seconds)) return *e;
    }
    return s;
}

Result<QualifySpec> parse_qualify(const Checker& c, const json& m, const std::string& path) {
    if (auto e = c.only_keys(m, path, {"key", "kind", "interval_s", "thresholds", "baseline", "devices", "map",
                                       "transfers", "destructive"}))
        return *e;
    QualifySpec s;
    if (auto t = m.find("thresholds"); t != m.end()) {
        auto v = text(c, *t, path + ".thresholds");
        if (!v) return v.error();
        // Read now, so that --check-config and the start refuse a bad file.
        if (auto th = qualify::load_thresholds(*v); !th) return c.fail(path + ".thresholds", th.error().message);
        s.thresholds = *v;
    }
    if (auto b = m.find("baseline"); b != m.end()) {
        auto v = text(c, *b, path + ".baseline");
        if (!v) return v.error();
        if (v->empty()) return c.fail(path + ".baseline", "must name a file");
        // Read now too: a golden report that is missing or of another kind is refused at start.
        auto golden = read_input_file(*v, 256u << 20, "a topo or qualify report");
        if (!golden) return c.fail(path + ".baseline", golden.error().message);
        if (auto ok = qualify::check_report(*golden, *v); !ok) return c.fail(path + ".baseline", ok.error().message);
        s.baseline = *v;
    }
    if (auto d = m.find("devices"); d != m.end()) {
        if (!d->is_array() || d->size() < 2 || d->size() > 64)
            return c.fail(path + ".devices", "must be a list of 2 to 64 BDFs");
        for (size_t i = 0; i < d->size(); ++i) {
            auto a = bdf(c, (*d)[i], path + ".devices[" + std::to_string(i) + "]");
            if (!a) return a.error();
            s.devices.push_back(*a);
        }
    }
    for (auto [name, field] : {std::pair{"map", &s.map}, std::pair{"transfers", &s.transfers},
                               std::pair{"destructive", &s.destructive}}) {
        auto f = m.find(name);
        if (f == m.end()) continue;
        if (auto e = store(boolean(c, *f, path + "." + name), *field)) return *e;
    }
    return s;
}

Result<MeasurementSpec> parse_measurement(const Checker& c, const json& m, const std::string& path,
                                          const TransferEngines& engines) {
    if (!m.is_object()) return c.fail(path, "must be an object");
    MeasurementSpec spec;
    auto key = m.find("key");
    if (key == m.end()) return c.fail(path, "needs \"key\"");
    auto k = text(c, *key, path + ".key");
    if (!k) return k.error();
    if (!valid_key(*k)) return c.fail(path + ".key", "'" + *k + "' must be 1 to 64 of A-Z a-z 0-9 _ . : -");
    spec.key = *k;
    auto kind = m.find("kind");
    const std::string kinds = std::string("topology, map") + (engines.empty() ? "" : ", transfer") + ", qualify";
    if (kind == m.end()) return c.fail(path, "needs \"kind\" (" + kinds + ")");
    auto kt = text(c, *kind, path + ".kind");
    if (!kt) return kt.error();
    auto kv = parse_kind(*kt);
    if (!kv)
        return c.fail(path + ".kind", "unknown kind '" + *kt + "' (" + kinds + ")");
    spec.kind = *kv;
    if (auto i = m.find("interval_s"); i != m.end()) {
        if (auto e = store(number(c, *i, path + ".interval_s", 0.05, 366.0 * 86400, false), spec.interval_s)) return *e;
    }
    switch (spec.kind) {
    case MeasurementKind::topology:
        if (auto e = c.only_keys(m, path, {"key", "kind", "interval_s"})) return *e;
        return spec;
    case MeasurementKind::map: {
        auto s = parse_map(c, m, path);
        if (!s) return s.error();
        spec.map = *s;
        return spec;
    }
    case MeasurementKind::transfer:
        return detail::parse_transfer(c, m, path, spec, engines);
    case MeasurementKind::qualify: {
        auto s = parse_qualify(c, m, path);
        if (!s) return s.error();
        spec.qualify = std::move(*s);
        return spec;
    }
    }
    return spec;
}

}  // namespace

Result<Config> parse_config(const std::string& text_in, const std::string& origin, const TransferEngines& engines) {
    Checker c(origin);
    auto parsed = parse_json_text(text_in);
    if (!parsed) return c.fail("", parsed.error().message);
    json doc = std::move(*parsed);
    if (!doc.is_object()) return c.fail("", "must be a JSON object");
    if (auto e = c.only_keys(doc, "", {"schema", "duty_cycle", "start_delay_s", "device_node", "journal", "measurements"}))
        return *e;
    Config cfg;
    if (auto s = doc.find("schema"); s != doc.end()) {
        if (!s->is_string() || s->get<std::string>() != kConfigSchema)
            return c.fail("schema", std::string("must be \"") + kConfigSchema + "\"");
    }
    if (auto d = doc.find("duty_cycle"); d != doc.end()) {
        if (auto e = store(number(c, *d, "duty_cycle", 0, 1, true), cfg.duty_cycle)) return *e;
    }
    if (auto d = doc.find("start_delay_s"); d != doc.end()) {
        if (auto e = store(number(c, *d, "start_delay_s", 0, 86400, false), cfg.start_delay_s)) return *e;
    }
    if (auto d = doc.find("device_node"); d != doc.end()) {
        auto v = text(c, *d, "device_node");
        if (!v) return v.error();
        if (v->empty() || (*v)[0] != '/') return c.fail("device_node", "must be an absolute path");
        cfg.device_node = *v;
    }
    if (auto j = doc.find("journal"); j != doc.end()) {
        if (!j->is_object()) return c.fail("journal", "must be an object");
        if (auto e = c.only_keys(*j, "journal", {"path", "max_bytes"})) return *e;
        if (auto p = j->find("path"); p != j->end()) {
            auto v = text(c, *p, "journal.path");
            if (!v) return v.error();
            if (v->empty()) return c.fail("journal.path", "must not be empty");
            cfg.journal.path = *v;
        }
        if (auto m = j->find("max_bytes"); m != j->end()) {
            auto v = byte_size(c, *m, "journal.max_bytes", 1ULL << 30);
            if (!v) return v.error();
            if (*v < kJournalMinBytes) return c.fail("journal.max_bytes", "must be at least " + std::to_string(kJournalMinBytes));
            cfg.journal.max_bytes = *v;
        }
    }
    if (auto ms = doc.find("measurements"); ms != doc.end()) {
        if (!ms->is_array()) return c.fail("measurements", "must be an array");
        if (ms->size() > kMaxMeasurements)
            return c.fail("measurements", "at most " + std::to_string(kMaxMeasurements) + " measurements");
        std::set<std::string> keys;
        for (size_t i = 0; i < ms->size(); ++i) {
            const std::string path = "measurements[" + std::to_string(i) + "]";
            auto spec = parse_measurement(c, (*ms)[i], path, engines);
            if (!spec) return spec.error();
            if (!keys.insert(spec->key).second) return c.fail(path + ".key", "'" + spec->key + "' is used twice");
            cfg.measurements.push_back(std::move(*spec));
        }
    }
    return cfg;
}

Result<Config> load_config(const std::string& path, const TransferEngines& engines) {
    auto text = read_input_file(path, 1u << 20, "a configuration");
    if (!text) return text.error();
    return parse_config(*text, path, engines);
}

}  // namespace p2pscope::exporter
