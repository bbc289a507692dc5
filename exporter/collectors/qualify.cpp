// SPDX-License-Identifier: GPL-2.0-or-later
// qualify: the latest report of each configured qualify measurement (key), as
// `p2pscope qualify` gives it. Labels are bounded: keys are configured, a and
// b are the pair's PCI addresses, check names and results come from a fixed
// list. Reasons and remedies are prose and live in /snapshot.json.
//   p2pscope_qualify_result{key,result} 1 for the report's verdict (pass,
//     pass_with_waivers, fail, nothing_checked), 0 for the others
//   p2pscope_qualify_pairs{key,result}, p2pscope_qualify_checks{key,result}: counts by result
//     (pass, fail, waived)
//   p2pscope_qualify_check_result{key,a,b,classes,check,result} 1 per check of each pair, the
//     label result its outcome (pass, fail, waived)
//   p2pscope_qualify_map_p99_seconds{key,a,b}: the map check's p99, where measured
//   p2pscope_qualify_transfer_link_ceiling_ratio{key,a,b}: the transfer check's fraction of the
//     link ceiling, where measured
//   p2pscope_qualify_baseline_differences{key}: differences from the golden server, with a baseline
#include <array>

#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

constexpr std::array<const char*, 4> kVerdicts{"pass", "pass_with_waivers", "fail", "nothing_checked"};
constexpr std::array<const char*, 3> kResults{"pass", "fail", "waived"};

class QualifyCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto verdict = family("p2pscope_qualify_result",
                              "Verdict of the latest qualify report: 1 for the current one (pass, pass_with_waivers, "
                              "fail, nothing_checked).");
        auto pairs = family("p2pscope_qualify_pairs", "Pairs of the latest qualify report by result.");
        auto checks = family("p2pscope_qualify_checks", "Checks of the latest qualify report by result.");
        auto check = family("p2pscope_qualify_check_result",
                            "A metric with a constant '1' value per check of each pair in the latest qualify "
                            "report; the label result is its outcome (pass, fail, waived).");
        auto map = family("p2pscope_qualify_map_p99_seconds", "99th percentile map latency the map check measured.");
        auto ceiling = family("p2pscope_qualify_transfer_link_ceiling_ratio",
                              "Bandwidth the transfer check measured, as a fraction of the path's link ceiling.");
        auto baseline = family("p2pscope_qualify_baseline_differences",
                               "Differences of the latest qualify report from its golden server (baseline).");
        for (const auto& r : s.measurements) {
            if (r->kind != MeasurementKind::qualify || !r->qualify) continue;
            const auto& q = *r->qualify;
            for (const char* v : kVerdicts) add_gauge(verdict, {{"key", r->key}, {"result", v}}, q.result == v);
            std::array<int, kResults.size()> pair_n{}, check_n{};
            for (const auto& p : q.pairs) {
                for (size_t i = 0; i < kResults.size(); ++i) pair_n[i] += p.result == kResults[i];
                for (const auto& c : p.checks) {
                    for (size_t i = 0; i < kResults.size(); ++i) check_n[i] += c.result == kResults[i];
                    add_gauge(check,
                              {{"key", r->key},
                               {"a", p.a},
                               {"b", p.b},
                               {"classes", p.classes},
                               {"check", c.check},
                               {"result", c.result}},
                              1);
                    if (!c.measured || c.result == "waived") continue;
                    if (c.check == "map") add_gauge(map, {{"key", r->key}, {"a", p.a}, {"b", p.b}}, *c.measured / kNsPerSecond);
                    if (c.check == "transfer") add_gauge(ceiling, {{"key", r->key}, {"a", p.a}, {"b", p.b}}, *c.measured);
                }
            }
            for (size_t i = 0; i < kResults.size(); ++i) {
                add_gauge(pairs, {{"key", r->key}, {"result", kResults[i]}}, pair_n[i]);
                add_gauge(checks, {{"key", r->key}, {"result", kResults[i]}}, check_n[i]);
            }
            if (q.baseline_differences)
                add_gauge(baseline, {{"key", r->key}}, static_cast<double>(*q.baseline_differences));
        }
        emit(out, std::move(verdict));
        emit(out, std::move(pairs));
        emit(out, std::move(checks));
        emit(out, std::move(check));
        emit(out, std::move(map));
        emit(out, std::move(ceiling));
        emit(out, std::move(baseline));
        return Ok{};
    }
};

const CollectorRegistration registration{{.name = "qualify",
                                          .help = "verdict, pairs and checks of each qualify measurement's latest report",
                                          .position = 60,
                                          .make = make_collector<QualifyCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
