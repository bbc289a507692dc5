// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/qualify/diff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "p2pscope/json_text.hpp"

namespace p2pscope::qualify {

namespace {

using nlohmann::json;

// A member of an object, or null: reading a report never asserts or throws on a missing or mistyped key.
const json& field(const json& j, const char* key) {
    static const json null;
    if (!j.is_object()) return null;
    auto it = j.find(key);
    return it == j.end() ? null : *it;
}

// One report's devices by their place in the tree.
struct Server {
    std::string source;
    std::map<std::string, const json*> by_place;
    std::map<std::string, std::string> place_of;  // bdf -> place
    const json* pairs = nullptr;
};

// A topo report, or a qualify report with the topology it carries.
struct Input {
    json doc;
    bool qualify = false;
    const json& topology() const { return qualify ? field(doc, "topology") : doc; }
};

Result<Input> parse(std::string_view text, const std::string& name) {
    auto doc = parse_json_text(text);
    if (!doc) return make_error(Errc::bad_input, name + ": " + doc.error().message);
    Input r{std::move(*doc)};
    r.qualify = field(r.doc, "schema") == "p2pscope.qualify/1" && field(r.doc, "pairs").is_array();
    if (r.qualify && !field(r.doc, "topology").is_object())
        return make_error(Errc::bad_input, name + ": a qualify report without its server's topology (an older "
                                                  "p2pscope made it): run p2pscope qualify again");
    const json& t = r.topology();
    if (!t.is_object() || field(t, "schema") != "p2pscope.topo/1" || !field(t, "devices").is_array() ||
        !field(t, "host_bridges").is_array())
        return make_error(Errc::bad_input, name + ": not a p2pscope topo or qualify report (p2pscope topo --format json, "
                                                  "p2pscope qualify --format json)");
    return r;
}

Result<Server> index(const json& doc, const std::string& name) {
    Server s;
    s.source = field(doc, "source").is_string() ? field(doc, "source").get<std::string>() : name;
    std::map<std::string, size_t> host_bridge;
    for (const auto& hb : field(doc, "host_bridges"))
        if (hb.is_object() && field(hb, "id").is_string()) host_bridge.emplace(field(hb, "id").get<std::string>(), host_bridge.size());
    std::map<std::string, const json*> by_bdf;
    for (const auto& d : field(doc, "devices")) {
        if (!d.is_object() || !field(d, "bdf").is_string())
            return make_error(Errc::bad_input, name + ": a device without a bdf");
        by_bdf[field(d, "bdf").get<std::string>()] = &d;
    }
    for (const auto& [bdf, d] : by_bdf) {
        // device.function numbers from the top of the tree down to this one.
        std::string place;
        const json* cur = d;
        for (int depth = 0; cur && depth < 64; ++depth) {
            const std::string b = field(*cur, "bdf").get<std::string>();
            place = "/" + b.substr(b.size() >= 4 ? b.size() - 4 : 0) + place;
            const json& parent = field(*cur, "parent");
            cur = parent.is_string() && by_bdf.count(parent.get<std::string>()) ? by_bdf[parent.get<std::string>()] : nullptr;
        }
        const std::string hb = field(*d, "host_bridge").is_string() ? field(*d, "host_bridge").get<std::string>() : "";
        auto it = host_bridge.find(hb);
        place = "hb" + (it == host_bridge.end() ? std::string("?") : std::to_string(it->second)) + place;
        // Two devices at one place (their parents are not in the report: hwloc
        // XML, trimmed trees) are told apart by their order, as on any server of the model.
        for (int n = 2; s.by_place.count(place); ++n) place = place.substr(0, place.rfind('#')) + "#" + std::to_string(n);
        s.by_place[place] = d;
        s.place_of[bdf] = place;
    }
    s.pairs = field(doc, "pairs").is_array() ? &field(doc, "pairs") : nullptr;
    return s;
}

std::string str(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "unknown";
    return v.dump();
}

std::string link_text(const json& d) {
    const json& l = field(d, "link");
    const json& speed = field(l, "speed_gts");
    const json& width = field(l, "width");
    if (!speed.is_number() || !width.is_number_integer()) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%g GT/s x%lld", speed.get<double>(), static_cast<long long>(width.get<int64_t>()));
    return buf;
}

std::string ids(const json& d) { return str(field(d, "vendor_id")) + ":" + str(field(d, "device_id")); }


// A pair by its two devices' places (in order), when both are in the tree.
using PairKey = std::pair<std::string, std::string>;
std::optional<PairKey> pair_key(const Server& s, const json& p) {
    auto a = s.place_of.find(str(field(p, "a"))), b = s.place_of.find(str(field(p, "b")));
    if (a == s.place_of.end() || b == s.place_of.end()) return std::nullopt;
    return std::minmax(a->second, b->second);
}

std::map<PairKey, const json*> pairs_by_place(const Server& s, const json& pairs) {
    std::map<PairKey, const json*> out;
    for (const auto& p : pairs)
        if (auto k = pair_key(s, p)) out[*k] = &p;
    return out;
}

// Two qualify reports' pairs, matched by their places: each check's result,
// and the measurements, apart by more than the tolerance.
void diff_checks(const json& golden, const Server& g, const json& candidate, const Server& c,
                 const DiffOptions& options, DiffReport& r) {
    const auto candidate_pairs = pairs_by_place(c, field(candidate, "pairs"));
    for (const auto& p : field(golden, "pairs")) {
        auto k = pair_key(g, p);
        if (!k) continue;
        auto it = candidate_pairs.find(*k);
        if (it == candidate_pairs.end()) continue;
        const json& q = *it->second;
        const std::string place = k->first + " " + k->second;
        const std::string gbdfs = " (" + str(field(p, "a")) + " " + str(field(p, "b")) + ")";
        const std::string cbdfs = " (" + str(field(q, "a")) + " " + str(field(q, "b")) + ")";
        std::map<std::string, const json*> candidate_checks;
        for (const auto& cc : field(q, "checks"))
            if (field(cc, "check").is_string()) candidate_checks[field(cc, "check").get<std::string>()] = &cc;
        for (const auto& gc : field(p, "checks")) {
            auto cit = candidate_checks.find(str(field(gc, "check")));
            if (cit == candidate_checks.end()) continue;
            const json& cc = *cit->second;
            const std::string name = str(field(gc, "check"));
            const std::string gr = str(field(gc, "result")), cr = str(field(cc, "result"));
            if (gr != cr)
                r.differences.push_back({"check", place, name + " " + gr + gbdfs,
                                         name + " " + cr + cbdfs + (cr == "pass" ? "" : ": " + str(field(cc, "reason")))});
            // Measurements of the same kind (unit) taken on both.
            const json& gm = field(gc, "measured");
            const json& cm = field(cc, "measured");
            if (!gm.is_number() || !cm.is_number() || field(gc, "unit") != field(cc, "unit")) continue;
            const double a = gm.get<double>(), b = cm.get<double>();
            if (a <= 0 || std::abs(b - a) / a <= options.tolerance) continue;
            char buf[64];
            std::snprintf(buf, sizeof buf, " (%+.0f%%)", (b - a) / a * 100);
            const std::string unit = field(gc, "unit").is_string() ? " " + str(field(gc, "unit")) : "";
            r.differences.push_back({name, place, str(gm) + unit + gbdfs, str(cm) + unit + buf + cbdfs});
        }
    }
}

}  // namespace

Status check_report(std::string_view text, const std::string& name) {
    auto r = parse(text, name);
    if (!r) return r.error();
    return Ok{};
}

Result<DiffReport> diff_reports(std::string_view golden_text, const std::string& golden_name,
                                std::string_view candidate_text, const std::string& candidate_name,
                                const DiffOptions& options) {
    auto golden_doc = parse(golden_text, golden_name);
    if (!golden_doc) return golden_doc.error();
    auto candidate_doc = parse(candidate_text, candidate_name);
    if (!candidate_doc) return candidate_doc.error();
    auto g = index(golden_doc->topology(), golden_name);
    if (!g) return g.error();
    auto c = index(candidate_doc->topology(), candidate_name);
    if (!c) return c.error();
    DiffReport r;
    r.golden_source = g->source;
    r.candidate_source = c->source;
    auto add = [&](std::string kind, const std::string& place, std::string golden, std::string candidate) {
        r.differences.push_back({std::move(kind), place, std::move(golden), std::move(candidate)});
    };
    for (const auto& [place, gd] : g->by_place) {
        auto it = c->by_place.find(place);
        const std::string gbdf = str(field(*gd, "bdf"));
        if (it == c->by_place.end()) {
            add("missing", place, ids(*gd) + " " + str(field(*gd, "name")) + " at " + gbdf, "none");
            continue;
        }
        const json& cd = *it->second;
        const std::string cbdf = str(field(cd, "bdf"));
        if (ids(*gd) != ids(cd)) {
            add("other_device", place, ids(*gd) + " at " + gbdf, ids(cd) + " at " + cbdf);
            continue;
        }
        ++r.matched_devices;
        // Facts compared where both reports know them.
        const std::string gl = link_text(*gd), cl = link_text(cd);
        if (!gl.empty() && !cl.empty() && gl != cl) add("link", place, gl + " at " + gbdf, cl + " at " + cbdf);
        auto fact = [&](const char* kind, const json& a, const json& b) {
            if (!a.is_null() && !b.is_null() && a != b) add(kind, place, str(a) + " at " + gbdf, str(b) + " at " + cbdf);
        };
        fact("acs", field(field(*gd, "acs"), "control_bits"), field(field(cd, "acs"), "control_bits"));
        static constexpr std::pair<const char*, const char*> facts[] = {
            {"mps", "mps_bytes"},          {"mrrs", "mrrs_bytes"}, {"iommu", "iommu_domain_type"},
            {"ats", "ats_enabled"},        {"relaxed_ordering", "relaxed_ordering"}};
        for (const auto& [kind, key] : facts) fact(kind, field(*gd, key), field(cd, key));
    }
    for (const auto& [place, cd] : c->by_place)
        if (!g->by_place.count(place)) add("extra", place, "none", ids(*cd) + " " + str(field(*cd, "name")) + " at " + str(field(*cd, "bdf")));
    // Pairs present in both reports, by their two places.
    if (g->pairs && c->pairs) {
        const auto candidate_pairs = pairs_by_place(*c, *c->pairs);
        for (const auto& p : *g->pairs) {
            auto k = pair_key(*g, p);
            if (!k) continue;
            auto it = candidate_pairs.find(*k);
            if (it == candidate_pairs.end()) continue;
            ++r.matched_pairs;
            const json& q = *it->second;
            const std::string place = k->first + " " + k->second;
            const std::string gv = str(field(field(p, "p2pdma"), "verdict"));
            const std::string cv = str(field(field(q, "p2pdma"), "verdict"));
            if (gv != cv)
                add("verdict", place, gv + " (" + str(field(p, "a")) + " " + str(field(p, "b")) + ")",
                    cv + " (" + str(field(q, "a")) + " " + str(field(q, "b")) + ")" +
                        (field(q, "p2pdma").is_object() ? ": " + str(field(field(q, "p2pdma"), "reason")) : ""));
            if (str(field(p, "path")) != str(field(q, "path")))
                add("path", place, str(field(p, "path")) + " (" + str(field(p, "a")) + " " + str(field(p, "b")) + ")",
                    str(field(q, "path")) + " (" + str(field(q, "a")) + " " + str(field(q, "b")) + ")");
        }
    }
    if (golden_doc->qualify && candidate_doc->qualify) diff_checks(golden_doc->doc, *g, candidate_doc->doc, *c, options, r);
    return r;
}

std::string render_diff_text(const DiffReport& r) {
    std::string out = "p2pscope diff: golden " + r.golden_source + ", candidate " + r.candidate_source + "\n" +
                      std::to_string(r.matched_devices) + " devices and " + std::to_string(r.matched_pairs) +
                      " pairs matched by their place in the tree; " + std::to_string(r.differences.size()) +
                      (r.differences.size() == 1 ? " difference\n" : " differences\n");
    for (const auto& d : r.differences) {
        std::string kind = d.kind;
        kind.resize(std::max<size_t>(kind.size(), 16), ' ');
        out += "  " + kind + " " + d.place + "\n      golden:    " + d.golden + "\n      candidate: " + d.candidate + "\n";
    }
    return out;
}

std::string render_diff_markdown(const DiffReport& r) {
    auto cell = [](std::string s) {
        for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
        return s;
    };
    std::string out = "**p2pscope diff**: golden `" + r.golden_source + "`, candidate `" + r.candidate_source +
                      "`: " + std::to_string(r.differences.size()) + " difference(s) over " +
                      std::to_string(r.matched_devices) + " devices and " + std::to_string(r.matched_pairs) +
                      " pairs\n\n";
    if (r.differences.empty()) return out;
    out += "| kind | place | golden | candidate |\n|---|---|---|---|\n";
    for (const auto& d : r.differences)
        out += "| " + d.kind + " | `" + d.place + "` | " + cell(d.golden) + " | " + cell(d.candidate) + " |\n";
    return out;
}

json differences_json(const std::vector<Difference>& differences) {
    json out = json::array();
    for (const auto& d : differences)
        out.push_back({{"kind", d.kind}, {"place", d.place}, {"golden", d.golden}, {"candidate", d.candidate}});
    return out;
}

std::string render_diff_json(const DiffReport& r) {
    json doc;
    doc["schema"] = "p2pscope.diff/1";
    doc["golden"] = r.golden_source;
    doc["candidate"] = r.candidate_source;
    doc["matched_devices"] = r.matched_devices;
    doc["matched_pairs"] = r.matched_pairs;
    doc["differences"] = differences_json(r.differences);
    return doc.dump(2) + "\n";
}

}  // namespace p2pscope::qualify
