// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <functional>
#include "p2pscope/compare/compare.hpp"
#include "p2pscope/input_file.hpp"
#include "p2pscope/json_text.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>

#include <nlohmann/json.hpp>

namespace p2pscope::compare {

namespace {

double to_ns(double v, const std::string& unit) {
    if (unit == "ns" || unit.empty()) return v;
    if (unit == "us") return v * 1e3;
    if (unit == "ms") return v * 1e6;
    if (unit == "s") return v * 1e9;
    return std::nan("");
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double mean(const std::vector<double>& v) {
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

}  // namespace

std::string_view to_string(Verdict v) {
    switch (v) {
    case Verdict::unchanged: return "unchanged";
    case Verdict::improved: return "improved";
    case Verdict::regressed: return "regressed";
    case Verdict::regressed_untested: return "regressed (untested)";
    case Verdict::missing_old: return "new";
    case Verdict::missing_new: return "missing";
    }
    return "unchanged";
}

// Google Benchmark writes a counter that is not a number as a bare NaN,
// -NaN, Infinity or -Infinity, which JSON has no word for: null instead
// (outside strings), so that one such counter does not reject the file.
static std::string google_benchmark_numbers(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (in_string) {
            out += ch;
            if (ch == '\\' && i + 1 < text.size()) out += text[++i];
            else if (ch == '"') in_string = false;
            continue;
        }
        if (ch == '"') in_string = true;
        bool replaced = false;
        for (std::string_view word : {"-Infinity", "Infinity", "-NaN", "NaN", "-nan", "nan", "-inf", "inf"}) {
            if (text.compare(i, word.size(), word) == 0) {
                out += "null";
                i += word.size() - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) out += ch;
    }
    return out;
}

Result<Report> load_report(const std::string& path, const std::string& metric) {
    auto text = read_input_file(path, 256u << 20, "benchmark JSON");
    if (!text) return text.error();
    auto parsed = parse_json_text(google_benchmark_numbers(*text));
    if (!parsed) return make_error(Errc::bad_input, path + ": " + parsed.error().message);
    nlohmann::json doc = std::move(*parsed);
    if (!doc.is_object() || !doc.contains("benchmarks") || !doc["benchmarks"].is_array())
        return make_error(Errc::bad_input, path + ": not a Google Benchmark JSON report (no \"benchmarks\" array)");
    Report r;
    r.path = path;
    if (doc.contains("context") && doc["context"].is_object() && doc["context"].contains("kernel_release") &&
        doc["context"]["kernel_release"].is_string())
        r.kernel_release = doc["context"]["kernel_release"].get<std::string>();
    std::map<std::string, size_t> index;
    const bool is_time = metric == "real_time" || metric == "cpu_time";
    // A text field of an entry, when it is there and is text.
    auto text_of = [](const nlohmann::json& b, const char* key) -> std::optional<std::string> {
        auto it = b.find(key);
        if (it == b.end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    std::map<std::string, size_t> seen_at;  // name -> entry, for duplicates
    size_t entry = 0;
    for (const auto& b : doc["benchmarks"]) {
        ++entry;
        const auto name_field = b.is_object() ? text_of(b, "name") : std::nullopt;
        if (!name_field)
            return make_error(Errc::bad_input, path + ": benchmark entry " + std::to_string(entry) + " has no name (text)");
        // Aggregates (mean, median, stddev) of repetitions, and the old format's "_mean" rows, are not runs.
        if (text_of(b, "run_type").value_or("iteration") != "iteration") continue;
        if (b.contains("aggregate_name")) continue;
        if (!b.contains("run_type")) {
            const std::string& n = *name_field;
            bool aggregate = false;
            for (std::string_view suffix : {"_mean", "_median", "_stddev", "_cv"})
                aggregate = aggregate || (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0);
            if (aggregate) continue;
        }
        if (b.contains("error_occurred") && b["error_occurred"].is_boolean() && b["error_occurred"].get<bool>()) continue;
        const std::string name = text_of(b, "run_name").value_or(*name_field);
        if (b.contains("repetition_index") && b["repetition_index"].is_number_unsigned()) {
            // Repetitions of one benchmark share its name; anything else twice is a mistake.
        } else if (auto [at, fresh] = seen_at.try_emplace(name, entry); !fresh) {
            return make_error(Errc::bad_input, path + ": benchmark '" + name + "' appears twice (entries " +
                                                   std::to_string(at->second) + " and " + std::to_string(entry) +
                                                   ") without repetition_index");
        }
        if (!b.contains(metric) || !b[metric].is_number()) {
            if (is_time) return make_error(Errc::bad_input, path + ": benchmark '" + name + "' has no " + metric);
            continue;  // a counter only some benchmarks carry, or one that is not a number (NaN)
        }
        double v = b[metric].get<double>();
        if (is_time) {
            v = to_ns(v, text_of(b, "time_unit").value_or("ns"));
            if (std::isnan(v))
                return make_error(Errc::bad_input, path + ": benchmark '" + name + "' has an unknown time_unit");
            if (v < 0) return make_error(Errc::bad_input, path + ": benchmark '" + name + "' has a negative " + metric);
        }
        auto [it, fresh] = index.try_emplace(name, r.series.size());
        if (fresh) r.series.push_back(Series{name, {}});
        r.series[it->second].values.push_back(v);
    }
    if (r.series.empty()) return make_error(Errc::bad_input, path + ": no benchmark carries " + metric);
    return r;
}

size_t Comparison::regressions() const {
    size_t n = 0;
    for (const auto& r : rows) n += r.verdict == Verdict::regressed || r.verdict == Verdict::regressed_untested;
    return n;
}

// The best ceil(keep * n) values (at least one), best first.
std::vector<double> best_of(std::vector<double> v, double keep, bool higher_is_better) {
    if (keep >= 1.0 || v.empty()) return v;
    if (higher_is_better) std::sort(v.begin(), v.end(), std::greater<>());
    else std::sort(v.begin(), v.end());
    const auto n = std::max<size_t>(1, static_cast<size_t>(std::ceil(keep * static_cast<double>(v.size()))));
    v.resize(std::min(n, v.size()));
    return v;
}

Comparison compare(const Report& old_report, const Report& new_report, const Options& options) {
    Comparison c;
    c.options = options;
    c.old_kernel = old_report.kernel_release;
    c.new_kernel = new_report.kernel_release;
    c.higher_is_better = options.higher_is_better.value_or(
        ends_with(options.metric, "per_second") || ends_with(options.metric, "_per_s"));
    const auto kept = [&](const std::vector<double>& v) { return best_of(v, options.keep_best, c.higher_is_better); };
    std::map<std::string, const Series*> old_by;
    for (const auto& s : old_report.series) old_by[s.name] = &s;
    std::map<std::string, bool> seen;
    for (const auto& s : new_report.series) {
        Row row;
        row.name = s.name;
        const std::vector<double> new_values = kept(s.values);
        row.new_n = new_values.size();
        row.new_mean = mean(new_values);
        seen[s.name] = true;
        auto it = old_by.find(s.name);
        if (it == old_by.end()) {
            row.verdict = Verdict::missing_old;
            c.rows.push_back(row);
            continue;
        }
        const std::vector<double> old_values = kept(it->second->values);
        row.old_n = old_values.size();
        row.old_mean = mean(old_values);
        row.change = row.old_mean != 0 ? (row.new_mean - row.old_mean) / std::fabs(row.old_mean) : 0;
        const double worse = c.higher_is_better ? -row.change : row.change;  // > 0: got worse
        if (row.old_n >= 2 && row.new_n >= 2) row.p_value = mann_whitney_p(old_values, new_values);
        // Too few repetitions for the test ever to reach alpha: the threshold alone judges, and says so.
        const bool testable = row.p_value && min_p_value(row.old_n, row.new_n) < options.alpha;
        const bool significant = !testable || *row.p_value < options.alpha;
        if (worse > options.threshold && significant)
            row.verdict = testable ? Verdict::regressed : Verdict::regressed_untested;
        else if (-worse > options.threshold && significant)
            row.verdict = Verdict::improved;
        else
            row.verdict = Verdict::unchanged;
        c.rows.push_back(row);
    }
    for (const auto& s : old_report.series) {
        if (seen.count(s.name)) continue;
        Row row;
        row.name = s.name;
        const std::vector<double> old_values = kept(s.values);
        row.old_n = old_values.size();
        row.old_mean = mean(old_values);
        row.verdict = Verdict::missing_new;
        c.rows.push_back(row);
    }
    return c;
}

std::string render_markdown(const Comparison& c, const std::string& old_path, const std::string& new_path) {
    std::string out = "### p2pscope compare: " + c.options.metric + " (" +
                      (c.higher_is_better ? "higher is better" : "lower is better") + ")\n\n";
    out += "`" + old_path + "` → `" + new_path + "`; regression: worse by more than " +
           fmt("%.1f", c.options.threshold * 100) + " % with U-test p < " + fmt("%g", c.options.alpha) +
           (c.options.keep_best < 1.0 ? ", over the best " + fmt("%g", c.options.keep_best * 100) +
                                            " % of each side's repetitions"
                                      : std::string()) +
           "\n\n";
    if (!c.old_kernel.empty() && !c.new_kernel.empty() && c.old_kernel != c.new_kernel)
        out += "Kernel upgrade: Linux " + c.old_kernel + " → Linux " + c.new_kernel +
               " (a regression is what the upgrade costs, an improvement what it saves)\n\n";
    out += "| benchmark | old | new | change | p-value | reps | verdict |\n|---|---:|---:|---:|---:|---:|---|\n";
    for (const auto& r : c.rows) {
        const bool both = r.verdict != Verdict::missing_old && r.verdict != Verdict::missing_new;
        out += "| " + r.name + " | " + (r.old_n ? fmt("%.4g", r.old_mean) : "-") + " | " +
               (r.new_n ? fmt("%.4g", r.new_mean) : "-") + " | " + (both ? fmt("%+.1f %%", r.change * 100) : "-") +
               " | " + (r.p_value ? fmt("%.4f", *r.p_value) : "-") + " | " + std::to_string(r.old_n) + " vs " +
               std::to_string(r.new_n) + " | " + std::string(to_string(r.verdict)) + " |\n";
    }
    out += "\n" + std::to_string(c.regressions()) + " regression(s) in " + std::to_string(c.rows.size()) +
           " benchmark(s).";
    for (const auto& r : c.rows)
        if (r.verdict == Verdict::regressed_untested) {
            out += " Some regressions had too few repetitions a side for the U test to reach p < " +
                   fmt("%g", c.options.alpha) + " (3 against 3 cannot go below 0.1): the threshold alone judged them "
                   "(run with --benchmark_repetitions=9 or more).";
            break;
        }
    return out + "\n";
}

std::string render_json(const Comparison& c, const std::string& old_path, const std::string& new_path) {
    nlohmann::json doc;
    doc["schema"] = "p2pscope.compare/1";
    doc["old"] = old_path;
    doc["new"] = new_path;
    doc["old_kernel_release"] = c.old_kernel.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.old_kernel);
    doc["new_kernel_release"] = c.new_kernel.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.new_kernel);
    doc["metric"] = c.options.metric;
    doc["higher_is_better"] = c.higher_is_better;
    doc["threshold"] = c.options.threshold;
    doc["alpha"] = c.options.alpha;
    doc["keep_best"] = c.options.keep_best;
    doc["regressions"] = c.regressions();
    doc["benchmarks"] = nlohmann::json::array();
    for (const auto& r : c.rows) {
        doc["benchmarks"].push_back({{"name", r.name},
                                     {"old_repetitions", r.old_n},
                                     {"new_repetitions", r.new_n},
                                     {"old_mean", r.old_n ? nlohmann::json(r.old_mean) : nlohmann::json(nullptr)},
                                     {"new_mean", r.new_n ? nlohmann::json(r.new_mean) : nlohmann::json(nullptr)},
                                     {"change", r.old_n && r.new_n ? nlohmann::json(r.change) : nlohmann::json(nullptr)},
                                     {"p_value", r.p_value ? nlohmann::json(*r.p_value) : nlohmann::json(nullptr)},
                                     {"verdict", std::string(to_string(r.verdict))}});
    }
    return doc.dump(2) + "\n";
}

}  // namespace p2pscope::compare
