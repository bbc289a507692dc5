// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/record.hpp"

#include <cmath>

#include "p2pscope/exporter/transfer.hpp"

namespace p2pscope::exporter {

namespace {

using nlohmann::json;

Error bad(const std::string& what) { return make_error(Errc::bad_input, "journal record: " + what); }

bool is_count(const json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0); }

bool is_time(const json& j) { return j.is_number() && std::isfinite(j.get<double>()) && j.get<double>() >= 0; }

}  // namespace

void derive_typed_views(MeasurementRecord& r) {
    r.map.reset();
    r.transfer.reset();
    r.qualify.reset();
    const json& res = r.result;
    auto text = [&](const char* k) {
        auto it = res.find(k);
        return it != res.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (r.kind == MeasurementKind::map) {
        auto m = res.find("map"), u = res.find("unmap");
        if (m == res.end() || u == res.end()) return;
        auto mf = latency_from_json(*m), uf = latency_from_json(*u);
        if (!mf || !uf || mf->count == 0) return;
        r.map = MapFigures{text("device"), text("api"), text("memory"), *mf, *uf};
    } else if (r.kind == MeasurementKind::transfer) {
        if (text("engine").empty()) return;
        TransferFigures t{text("engine"), text("device"), text("peer"), text("direction"), text("memory"), {}, {}, {}};
        if (auto p = res.find("path"); p != res.end() && p->is_object()) {
            auto field = [&](const char* k) {
                auto it = p->find(k);
                return it != p->end() && it->is_string() ? it->get<std::string>() : std::string();
            };
            t.path_class = field("path_class");
            t.p2pdma_verdict = field("p2pdma_verdict");
        }
        if (auto rows = res.find("results"); rows != res.end() && rows->is_array()) {
            for (const auto& row : *rows) {
                if (!row.is_object()) continue;
                TransferRowFigures f;
                auto num = [&](const json& obj, const char* k, double& out) {
                    auto it = obj.find(k);
                    if (it != obj.end() && is_time(*it)) out = it->get<double>();
                };
                auto count = [&](const char* k, uint64_t& out) {
                    auto it = row.find(k);
                    if (it != row.end() && is_count(*it)) out = it->get<uint64_t>();
                };
                if (auto l = row.find("label"); l != row.end() && l->is_string()) f.label = l->get<std::string>();
                if (auto st = row.find("status"); st != row.end() && st->is_string())
                    f.status = std::string(xfer::to_string(xfer::row_status_of(st->get<std::string>())));
                count("transfer_bytes", f.transfer_bytes);
                count("transfers", f.transfers);
                num(row, "bytes_per_second", f.bytes_per_second);
                if (auto fr = row.find("fraction_of_link_ceiling"); fr != row.end() && is_time(*fr))
                    f.ceiling_fraction = fr->get<double>();
                if (auto l = row.find("latency_ns"); l != row.end() && l->is_object()) {
                    num(*l, "min", f.min_ns);
                    num(*l, "p50", f.p50_ns);
                    num(*l, "p90", f.p90_ns);
                    num(*l, "p99", f.p99_ns);
                    num(*l, "max", f.max_ns);
                    num(*l, "mean", f.mean_ns);
                }
                if (auto v = row.find("verified"); v != row.end() && v->is_boolean()) f.verified = v->get<bool>();
                if (!f.label.empty()) t.rows.push_back(std::move(f));
            }
        }
        r.transfer = std::move(t);
    } else if (r.kind == MeasurementKind::qualify) {
        if (text("result").empty()) return;
        QualifyFigures q{text("result"), std::nullopt, {}};
        if (auto b = res.find("baseline"); b != res.end() && b->is_object())
            if (auto d = b->find("differences"); d != b->end() && d->is_array()) q.baseline_differences = d->size();
        auto field = [](const json& obj, const char* k) {
            auto it = obj.find(k);
            return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        if (auto pairs = res.find("pairs"); pairs != res.end() && pairs->is_array())
            for (const auto& p : *pairs) {
                if (!p.is_object()) continue;
                QualifyPairFigures pf{field(p, "a"), field(p, "b"), field(p, "classes"), field(p, "path"),
                                      field(p, "result"), {}};
                if (auto checks = p.find("checks"); checks != p.end() && checks->is_array())
                    for (const auto& c : *checks) {
                        if (!c.is_object() || field(c, "check").empty()) continue;
                        QualifyCheckFigures cf{field(c, "check"), field(c, "result"), std::nullopt};
                        if (auto m = c.find("measured"); m != c.end() && m->is_number()) cf.measured = m->get<double>();
                        pf.checks.push_back(std::move(cf));
                    }
                if (!pf.a.empty() && !pf.b.empty()) q.pairs.push_back(std::move(pf));
            }
        r.qualify = std::move(q);
    }
}

std::string_view to_string(MeasurementKind kind) {
    switch (kind) {
    case MeasurementKind::topology: return "topology";
    case MeasurementKind::map: return "map";
    case MeasurementKind::transfer: return "transfer";
    case MeasurementKind::qualify: return "qualify";
    }
    return "topology";
}

std::optional<MeasurementKind> parse_kind(std::string_view name) {
    if (name == "topology") return MeasurementKind::topology;
    if (name == "map") return MeasurementKind::map;
    if (name == "transfer") return MeasurementKind::transfer;
    if (name == "qualify") return MeasurementKind::qualify;
    return std::nullopt;
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::ok: return "ok";
    case Outcome::waived: return "waived";
    case Outcome::failed: return "failed";
    }
    return "failed";
}

std::optional<Outcome> parse_outcome(std::string_view name) {
    for (auto o : kOutcomes)
        if (to_string(o) == name) return o;
    return std::nullopt;
}

void RunTotals::add(const RunTotals& o) {
    for (size_t i = 0; i < runs.size(); ++i) runs[i] += o.runs[i];
    map_samples += o.map_samples;
    map_sum_ns += o.map_sum_ns;
    unmap_samples += o.unmap_samples;
    unmap_sum_ns += o.unmap_sum_ns;
    transfer_bytes += o.transfer_bytes;
    transfer_samples += o.transfer_samples;
    transfer_sum_ns += o.transfer_sum_ns;
    for (const auto& [label, row] : o.transfer_rows) {
        auto& mine = transfer_rows[label];
        mine.bytes += row.bytes;
        mine.transfers += row.transfers;
        mine.sum_ns += row.sum_ns;
    }
}

json latency_json(const LatencyFigures& f) {
    return {{"count", f.count},   {"min_ns", f.min_ns},   {"p50_ns", f.p50_ns},   {"p90_ns", f.p90_ns},
            {"p99_ns", f.p99_ns}, {"p999_ns", f.p999_ns}, {"max_ns", f.max_ns},   {"mean_ns", f.mean_ns}};
}

std::optional<LatencyFigures> latency_from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    LatencyFigures f;
    auto count = [&](const char* k, uint64_t& out) {
        auto it = j.find(k);
        if (it == j.end() || !is_count(*it)) return false;
        out = it->get<uint64_t>();
        return true;
    };
    auto real = [&](const char* k, double& out) {
        auto it = j.find(k);
        if (it == j.end() || !is_time(*it)) return false;
        out = it->get<double>();
        return true;
    };
    if (!count("count", f.count) || !count("min_ns", f.min_ns) || !count("max_ns", f.max_ns) ||
        !real("mean_ns", f.mean_ns) || !real("p50_ns", f.p50_ns) || !real("p90_ns", f.p90_ns) ||
        !real("p99_ns", f.p99_ns) || !real("p999_ns", f.p999_ns))
        return std::nullopt;
    return f;
}

std::string to_journal_json(const MeasurementRecord& r) {
    const auto& t = r.totals;
    json j{{"seq", r.seq},
           {"key", r.key},
           {"kind", to_string(r.kind)},
           {"started_unix_s", r.started_unix_s},
           {"finished_unix_s", r.finished_unix_s},
           {"duration_s", r.duration_s},
           {"status", to_string(r.status)},
           {"reason", r.reason},
           {"result", r.result},
           {"totals",
            {{"runs", {{"ok", t.runs[0]}, {"waived", t.runs[1]}, {"failed", t.runs[2]}}},
             {"map_samples", t.map_samples},
             {"map_sum_ns", t.map_sum_ns},
             {"unmap_samples", t.unmap_samples},
             {"unmap_sum_ns", t.unmap_sum_ns},
             {"transfer_bytes", t.transfer_bytes},
             {"transfer_samples", t.transfer_samples},
             {"transfer_sum_ns", t.transfer_sum_ns}}}};
    if (!t.transfer_rows.empty()) {
        json rows = json::object();
        for (const auto& [label, row] : t.transfer_rows)
            rows[label] = {{"bytes", row.bytes}, {"transfers", row.transfers}, {"sum_ns", row.sum_ns}};
        j["totals"]["transfer_rows"] = std::move(rows);
    }
    // One line: dump() without indent escapes every control character.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<MeasurementRecord> from_journal_json(std::string_view text) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    MeasurementRecord r;
    auto get = [&](const char* k) -> const json* {
        auto it = j.find(k);
        return it == j.end() ? nullptr : &*it;
    };
    const json* seq = get("seq");
    const json* key = get("key");
    const json* kind = get("kind");
    const json* status = get("status");
    const json* reason = get("reason");
    const json* result = get("result");
    const json* totals = get("totals");
    if (!seq || !is_count(*seq)) return bad("seq");
    if (!key || !key->is_string() || key->get<std::string>().empty()) return bad("key");
    if (!kind || !kind->is_string() || !parse_kind(kind->get<std::string>())) return bad("kind");
    if (!status || !status->is_string() || !parse_outcome(status->get<std::string>())) return bad("status");
    if (!reason || !reason->is_string()) return bad("reason");
    if (!result || !result->is_object()) return bad("result");
    if (!totals || !totals->is_object()) return bad("totals");
    r.seq = seq->get<uint64_t>();
    r.key = key->get<std::string>();
    r.kind = *parse_kind(kind->get<std::string>());
    r.status = *parse_outcome(status->get<std::string>());
    r.reason = reason->get<std::string>();
    r.result = *result;
    for (auto [name, field] : {std::pair{"started_unix_s", &r.started_unix_s}, std::pair{"finished_unix_s", &r.finished_unix_s},
                               std::pair{"duration_s", &r.duration_s}}) {
        const json* v = get(name);
        if (!v || !is_time(*v)) return bad(name);
        *field = v->get<double>();
    }
    const json& t = *totals;
    auto runs = t.find("runs");
    if (runs == t.end() || !runs->is_object()) return bad("totals.runs");
    for (auto o : kOutcomes) {
        auto it = runs->find(std::string(to_string(o)));
        if (it == runs->end() || !is_count(*it)) return bad("totals.runs");
        r.totals.runs[static_cast<size_t>(o)] = it->get<uint64_t>();
    }
    for (auto [name, field] : {std::pair{"map_samples", &r.totals.map_samples}, std::pair{"map_sum_ns", &r.totals.map_sum_ns},
                               std::pair{"unmap_samples", &r.totals.unmap_samples},
                               std::pair{"unmap_sum_ns", &r.totals.unmap_sum_ns},
                               std::pair{"transfer_bytes", &r.totals.transfer_bytes},
                               std::pair{"transfer_samples", &r.totals.transfer_samples},
                               std::pair{"transfer_sum_ns", &r.totals.transfer_sum_ns}}) {
        auto it = t.find(name);
        if (it == t.end() || !is_count(*it)) return bad(std::string("totals.") + name);
        *field = it->get<uint64_t>();
    }
    // Per transfer row; absent in records of other kinds and of older builds.
    if (auto rows = t.find("transfer_rows"); rows != t.end()) {
        if (!rows->is_object()) return bad("totals.transfer_rows");
        for (auto it = rows->begin(); it != rows->end(); ++it) {
            RunTotals::Row row;
            for (auto [name, field] : {std::pair{"bytes", &row.bytes}, std::pair{"transfers", &row.transfers},
                                       std::pair{"sum_ns", &row.sum_ns}}) {
                auto f = it->is_object() ? it->find(name) : it->end();
                if (!it->is_object() || f == it->end() || !is_count(*f)) return bad("totals.transfer_rows." + it.key());
                *field = f->get<uint64_t>();
            }
            r.totals.transfer_rows[it.key()] = row;
        }
    }
    derive_typed_views(r);
    return r;
}

json snapshot_entry(const MeasurementRecord& r) {
    json j = r.result.is_object() ? r.result : json::object();
    // The entry's own fields come last, so they win over a result field of
    // the same name (a map result's status ok|stopped|waived, its reason).
    j["kind"] = to_string(r.kind);
    j["key"] = r.key;
    j["started_unix_s"] = r.started_unix_s;
    j["finished_unix_s"] = r.finished_unix_s;
    j["duration_s"] = r.duration_s;
    j["status"] = to_string(r.status);
    j["reason"] = r.reason;
    return j;
}

}  // namespace p2pscope::exporter
