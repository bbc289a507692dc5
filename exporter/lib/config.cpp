// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "p2pscope/input_file.hpp"
#include "p2pscope/json_text.hpp"
#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/exporter/journal.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/kclient/uapi.hpp"
#include "p2pscope/qualify/diff.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::exporter {

namespace {

using nlohmann::json;

// Collects the first error with the JSON path of the value it is about.
class Checker {
public:
    explicit Checker(std::string origin) : origin_(std::move(origin)) {}

    Error fail(const std::string& path, const std::string& what) const {
        return make_error(Errc::invalid_argument, origin_ + ": " + (path.empty() ? "" : path + ": ") + what);
    }

    // Unknown keys are typos until proven otherwise.
    std::optional<Error> only_keys(const json& obj, const std::string& path, std::initializer_list<const char*> keys) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool known = false;
            for (const char* k : keys) known |= it.key() == k;
            if (!known) {
                std::string list;
                for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
                return fail(path.empty() ? it.key() : path + "." + it.key(), "unknown key (known: " + list + ")");
            }
        }
        return std::nullopt;
    }

private:
    std::string origin_;
};

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
        auto v = byte_size(c, *a, path + ".size", kclient::kMaxSizeBytes);
        if (!v) return v.error();
        s.size_bytes = *v;
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
        auto v = integer(c, *a, path + ".threads", 1, 4096);
        if (!v) return v.error();
        s.threads = static_cast<uint32_t>(*v);
    }
    if (auto a = m.find("seconds"); a != m.end()) {
        auto v = number(c, *a, path + ".seconds", 0, 60, true);
        if (!v) return v.error();
        s.seconds = *v;
    }
    return s;
}

// The engine named by "engine", one of `engines`.
Result<std::shared_ptr<TransferEngine>> find_engine(const Checker& c, const json& m, const std::string& path,
                                                    const TransferEngines& engines) {
    auto eng = m.find("engine");
    if (eng == m.end()) return c.fail(path, "a transfer measurement needs \"engine\"");
    auto name = text(c, *eng, path + ".engine");
    if (!name) return name.error();
    std::string known;
    std::shared_ptr<TransferEngine> engine;
    for (const auto& e : engines) {
        known += (known.empty() ? "" : ", ") + std::string(e->spec().name);
        if (e->spec().name == *name) engine = e;
    }
    if (!engine) return c.fail(path + ".engine", "unknown engine '" + *name + "' (" + known + ")");
    return engine;
}

// As p2pscope xfer refuses an option for a field the engine does not read, a
// key for one is refused, naming the engines of `engines` that read it. (A
// null is a key not given: "peer": null is no peer.)
std::optional<Error> unread_keys(const Checker& c, const json& m, const std::string& path, const xfer::EngineSpec& spec,
                                 const TransferEngines& engines) {
    for (const auto& f : xfer::kFieldNames) {
        if (f.key.empty() || spec.reads(f.field)) continue;
        const std::string key(f.key);
        if (auto it = m.find(key); it == m.end() || it->is_null()) continue;
        std::string readers;
        for (const auto& e : engines)
            if (e->spec().reads(f.field)) readers += (readers.empty() ? "" : ", ") + std::string(e->spec().name);
        return c.fail(path + "." + key, xfer::not_read_reason(spec.name, key, readers));
    }
    return std::nullopt;
}

// The BDFs, the non-empty strings and the flags, each under its xfer option name.
std::optional<Error> transfer_fields(const Checker& c, const json& m, const std::string& path, TransferRequest& q) {
    for (auto [k, field] : {std::pair{"device", &q.device}, std::pair{"peer", &q.peer}}) {
        auto it = m.find(k);
        if (it == m.end() || it->is_null()) continue;
        auto a = bdf(c, *it, path + "." + k);
        if (!a) return a.error();
        *field = *a;
    }
    for (auto [k, field] : {std::pair{"memory", &q.memory}, std::pair{"file", &q.file}, std::pair{"direction", &q.direction},
                            std::pair{"block", &q.block}, std::pair{"source_block", &q.source_block},
                            std::pair{"destination_block", &q.destination_block}}) {
        auto it = m.find(k);
        if (it == m.end()) continue;
        auto t = text(c, *it, path + "." + k);
        if (!t) return t.error();
        if (t->empty()) return c.fail(path + "." + k, "must not be empty");
        *field = *t;
    }
    if (auto a = m.find("bar"); a != m.end()) {
        auto v = integer(c, *a, path + ".bar", 0, 5);
        if (!v) return v.error();
        q.bar = static_cast<int>(*v);
    }
    return std::nullopt;
}

// Appends the comma-separated items of one "width" entry (a string or a
// whole number) to `list`.
std::optional<Error> split_widths(const Checker& c, const json& w, const std::string& where,
                                  std::vector<std::string>& list) {
    if (w.is_number_unsigned()) {
        list.push_back(std::to_string(w.get<uint64_t>()));
        return std::nullopt;
    }
    if (!w.is_string()) return c.fail(where, "must be a width, a list of widths or \"all\"");
    std::string item;
    for (char ch : w.get<std::string>() + ",") {
        if (ch != ',') {
            item += ch;
        } else if (!item.empty()) {
            list.push_back(item);
            item.clear();
        }
    }
    return std::nullopt;
}

// "width" as --width takes it: "all", "8", "8,memcpy", 8 or ["8", "memcpy"].
std::optional<Error> parse_widths(const Checker& c, const json& a, const std::string& path,
                                  std::vector<std::string>& widths) {
    const std::string where = path + ".width";
    std::vector<std::string> list;
    if (a.is_array()) {
        for (const auto& w : a)
            if (auto e = split_widths(c, w, where, list)) return *e;
    } else if (auto e = split_widths(c, a, where, list)) {
        return *e;
    }
    widths.clear();
    for (const auto& w : list) {
        if (w == "all") {
            widths = xfer::all_widths();
            break;
        }
        if (!xfer::parse_width(w))
            return c.fail(where, "unknown access width '" + w + "' (" + xfer::width_choices_text() + ")");
        if (std::find(widths.begin(), widths.end(), w) != widths.end())
            return c.fail(where, "width " + w + " given twice");
        widths.push_back(w);
    }
    if (widths.empty()) return c.fail(where, "no access width given");
    return std::nullopt;
}

// "size", and "offset" and "span", which may also be 0.
std::optional<Error> transfer_sizes(const Checker& c, const json& m, const std::string& path, TransferRequest& q) {
    if (auto a = m.find("size"); a != m.end()) {
        auto v = byte_size(c, *a, path + ".size", 1ULL << 34);
        if (!v) return v.error();
        q.size = *v;
    }
    for (auto [k, field] : {std::pair{"offset", &q.offset}, std::pair{"span", &q.span}}) {
        auto a = m.find(k);
        if (a == m.end()) continue;
        const std::string where = path + "." + k;
        if (a->is_number_integer() && !a->is_number_unsigned() && a->get<int64_t>() < 0)
            return c.fail(where, "must be a size (0, 4096, \"4K\", \"2M\", \"1G\")");
        const bool zero = (a->is_number_integer() && a->get<uint64_t>() == 0) || (a->is_string() && *a == "0");
        auto v = zero ? Result<uint64_t>(uint64_t{0}) : byte_size(c, *a, where, 1ULL << 50);
        if (!v) return v.error();
        *field = *v;
    }
    return std::nullopt;
}

// How long a run lasts: "iterations" or "seconds", not both. Each row (access
// width) runs for `seconds`, and a run ends within 60 s.
std::optional<Error> transfer_bound(const Checker& c, const json& m, const std::string& path,
                                    const TransferEngine& engine, TransferRequest& q) {
    const auto iterations = m.find("iterations");
    const auto seconds = m.find("seconds");
    if (iterations != m.end() && seconds != m.end())
        return c.fail(path + ".iterations", "excludes \"seconds\"");
    if (iterations != m.end()) {
        auto v = integer(c, *iterations, path + ".iterations", 1, 1000000000);
        if (!v) return v.error();
        q.iterations = *v;
    }
    const double rows = static_cast<double>(engine.spec().reads(xfer::kFieldWidths) ? q.widths.size() : 1);
    if (seconds != m.end()) {
        auto v = number(c, *seconds, path + ".seconds", 0, 60, true);
        if (!v) return v.error();
        q.seconds = *v;
    }
    if (q.iterations == 0 && q.seconds * rows > 60)
        return c.fail(path + ".seconds", "seconds x widths must be <= 60 (a run ends within a minute)");
    return std::nullopt;
}

// One `p2pscope xfer` run: the same option names (snake_case) and defaults.
Result<MeasurementSpec> parse_transfer(const Checker& c, const json& m, const std::string& path, MeasurementSpec spec,
                                       const TransferEngines& engines) {
    if (engines.empty())
        return c.fail(path + ".kind",
                      "this build of p2pscoped has no transfer engine: transfer measurements cannot run");
    if (auto e = c.only_keys(m, path, {"key", "kind", "interval_s", "engine", "device", "peer", "bar", "memory", "file",
                                       "direction", "width", "block", "span", "verify", "source_block", "destination_block",
                                       "destructive", "size", "offset", "queue_depth", "iterations", "seconds"}))
        return *e;
    auto found = find_engine(c, m, path, engines);
    if (!found) return found.error();
    TransferEngine& engine = **found;
    if (auto e = unread_keys(c, m, path, engine.spec(), engines)) return *e;
    const std::string name(engine.spec().name);
    spec.engine = name;
    TransferRequest& q = spec.transfer;
    q = TransferRequest{};
    q.engine = name;
    q.size = 64 << 10;  // p2pscope xfer's --size default
    q.direction.clear();
    if (auto e = transfer_fields(c, m, path, q)) return *e;
    if (auto a = m.find("width"); a != m.end())
        if (auto e = parse_widths(c, *a, path, q.widths)) return *e;
    for (auto [k, field] : {std::pair{"destructive", &q.destructive}, std::pair{"verify", &q.verify}}) {
        auto a = m.find(k);
        if (a == m.end()) continue;
        if (!a->is_boolean()) return c.fail(path + "." + k, "must be true or false");
        *field = a->get<bool>();
    }
    if (auto e = transfer_sizes(c, m, path, q)) return *e;
    if (auto a = m.find("queue_depth"); a != m.end()) {
        auto v = integer(c, *a, path + ".queue_depth", 1, 4096);
        if (!v) return v.error();
        q.queue_depth = static_cast<uint32_t>(*v);
    }
    if (auto e = transfer_bound(c, m, path, engine, q)) return *e;
    engine.spec().complete(q);
    return spec;
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
        if (!f->is_boolean()) return c.fail(path + "." + name, "must be true or false");
        *field = f->get<bool>();
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
        auto v = number(c, *i, path + ".interval_s", 0.05, 366.0 * 86400, false);
        if (!v) return v.error();
        spec.interval_s = *v;
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
        return parse_transfer(c, m, path, spec, engines);
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
        auto v = number(c, *d, "duty_cycle", 0, 1, true);
        if (!v) return v.error();
        cfg.duty_cycle = *v;
    }
    if (auto d = doc.find("start_delay_s"); d != doc.end()) {
        auto v = number(c, *d, "start_delay_s", 0, 86400, false);
        if (!v) return v.error();
        cfg.start_delay_s = *v;
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
