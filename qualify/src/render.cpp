// SPDX-License-Identifier: GPL-2.0-or-later
// qualify's report for people (a line per pair, a line per check, a summary)
// and for programs (p2pscope.qualify/1, docs/qualify.md).
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "p2pscope/qualify/qualify.hpp"
#include "thresholds_keys.hpp"

namespace p2pscope::qualify {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string summary(const Report& r) {
    std::string head;
    switch (r.verdict()) {
    case Verdict::pass: head = "PASS"; break;
    case Verdict::pass_with_waivers:
        head = "PASS with " + std::to_string(r.checks(Outcome::waived)) + " check(s) waived, not a full pass";
        break;
    case Verdict::fail: head = "FAIL"; break;
    case Verdict::nothing_checked: head = "NOTHING CHECKED"; break;
    }
    return "Summary: " + head + ": " + std::to_string(r.pairs.size()) + " pair(s): " +
           std::to_string(r.pairs_with(Outcome::fail)) + " failed, " + std::to_string(r.pairs_with(Outcome::pass)) +
           " passed, " + std::to_string(r.pairs_with(Outcome::waived)) + " waived; checks: " +
           std::to_string(r.checks(Outcome::pass)) + " passed, " + std::to_string(r.checks(Outcome::fail)) +
           " failed, " + std::to_string(r.checks(Outcome::waived)) + " waived\n";
}

}  // namespace

std::string render_text(const Report& r) {
    std::string out = "p2pscope qualify: " + r.source + ", thresholds " +
                      (r.thresholds_file.empty() ? std::string("built-in (qualify/thresholds.json)") : r.thresholds_file) +
                      "\n";
    char line[256];
    std::snprintf(line, sizeof line, "%-7s %-12s %-12s %-12s %-5s %s\n", "RESULT", "A", "B", "CLASSES", "PATH",
                  "P2PDMA");
    out += line;
    for (const auto& p : r.pairs) {
        std::string result = upper(to_string(p.outcome()));
        std::snprintf(line, sizeof line, "%-7s %-12s %-12s %-12s %-5s %s", result.c_str(), p.pair.a.to_string().c_str(),
                      p.pair.b.to_string().c_str(), p.classes.c_str(),
                      std::string(probe::to_string(p.pair.path.path)).c_str(),
                      std::string(probe::to_string(p.pair.p2pdma.verdict)).c_str());
        out += line;
        if (p.outcome() == Outcome::pass && p.count(Outcome::waived))
            out += " (" + std::to_string(p.count(Outcome::waived)) + " of " + std::to_string(p.checks.size()) +
                   " checks waived)";
        out += "\n";
        for (const auto& c : p.checks) {
            std::snprintf(line, sizeof line, "  %-7s %-16s ", upper(to_string(c.outcome)).c_str(), c.check.c_str());
            out += line + c.reason + "\n";
            if (c.outcome == Outcome::fail && !c.remedy.empty()) out += "                           fix: " + c.remedy + "\n";
        }
    }
    if (r.baseline) {
        out += "Baseline " + r.baseline_file + ": " + std::to_string(r.baseline->differences.size()) +
               " difference(s) over " + std::to_string(r.baseline->matched_devices) + " devices and " +
               std::to_string(r.baseline->matched_pairs) + " pairs matched by their place in the tree\n";
        for (const auto& d : r.baseline->differences)
            out += "  " + d.kind + " " + d.place + ": golden " + d.golden + ", here " + d.candidate + "\n";
    }
    out += summary(r);
    return out;
}

std::string render_json(const Report& r) {
    using nlohmann::json;
    json doc;
    doc["schema"] = "p2pscope.qualify/1";
    doc["source"] = r.source;
    doc["thresholds"] = thresholds_json(r.thresholds);
    doc["thresholds"]["file"] = r.thresholds_file.empty() ? json(nullptr) : json(r.thresholds_file);
    doc["result"] = std::string(to_string(r.verdict()));
    if (r.baseline) {
        doc["baseline"] = {{"file", r.baseline_file},
                           {"matched_devices", r.baseline->matched_devices},
                           {"matched_pairs", r.baseline->matched_pairs},
                           {"differences", differences_json(r.baseline->differences)}};
    } else {
        doc["baseline"] = nullptr;
    }
    doc["topology"] = r.topology_json.empty() ? json(nullptr) : json::parse(r.topology_json, nullptr, false);
    doc["summary"] = {
        {"pairs", r.pairs.size()},
        {"pairs_failed", r.pairs_with(Outcome::fail)},
        {"pairs_passed", r.pairs_with(Outcome::pass)},
        {"pairs_waived", r.pairs_with(Outcome::waived)},
        {"checks_passed", r.checks(Outcome::pass)},
        {"checks_failed", r.checks(Outcome::fail)},
        {"checks_waived", r.checks(Outcome::waived)},
    };
    doc["pairs"] = json::array();
    for (const auto& p : r.pairs) {
        json checks = json::array();
        for (const auto& c : p.checks)
            checks.push_back({
                {"check", c.check},
                {"result", std::string(to_string(c.outcome))},
                {"reason", c.reason},
                {"measured", c.measured ? json(*c.measured) : json(nullptr)},
                {"limit", c.limit ? json(*c.limit) : json(nullptr)},
                {"unit", c.unit.empty() ? json(nullptr) : json(c.unit)},
                {"remedy", c.outcome == Outcome::fail && !c.remedy.empty() ? json(c.remedy) : json(nullptr)},
            });
        doc["pairs"].push_back({
            {"a", p.pair.a.to_string()},
            {"b", p.pair.b.to_string()},
            {"classes", p.classes},
            {"path", std::string(probe::to_string(p.pair.path.path))},
            {"p2pdma_verdict", std::string(probe::to_string(p.pair.p2pdma.verdict))},
            {"p2pdma_reason", p.pair.p2pdma.reason},
            {"result", std::string(to_string(p.outcome()))},
            {"checks", checks},
        });
    }
    return doc.dump(2) + "\n";
}

}  // namespace p2pscope::qualify
