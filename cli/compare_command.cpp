// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope compare OLD.json NEW.json: did anything regress?
#include <memory>
#include <ostream>

#include "p2pscope/cli_checks.hpp"
#include "commands.hpp"
#include "p2pscope/compare/compare.hpp"

namespace p2pscope::cli {

namespace {

struct CompareOptions {
    std::string old_path, new_path;
    std::string metric = "real_time";
    double threshold = 0.05;
    double alpha = 0.05;
    double keep_best = 1.0;
    std::string format = "markdown";
    std::string direction = "auto";
};

Status run_compare(const CompareOptions& o, std::ostream& out) {
    auto old_report = compare::load_report(o.old_path, o.metric);
    if (!old_report) return old_report.error();
    auto new_report = compare::load_report(o.new_path, o.metric);
    if (!new_report) return new_report.error();
    compare::Options options;
    options.keep_best = o.keep_best;
    options.metric = o.metric;
    options.threshold = o.threshold;
    options.alpha = o.alpha;
    if (o.direction != "auto") options.higher_is_better = o.direction == "higher";
    const auto c = compare::compare(*old_report, *new_report, options);
    out << (o.format == "json" ? compare::render_json(c, o.old_path, o.new_path)
                               : compare::render_markdown(c, o.old_path, o.new_path));
    if (c.regressions())
        return make_error(Errc::regression, std::to_string(c.regressions()) + " benchmark(s) regressed beyond " +
                                                std::to_string(static_cast<int>(o.threshold * 100 + 0.5)) + " %");
    return Ok{};
}

}  // namespace

Action add_compare_command(CLI::App& app) {
    auto o = std::make_shared<CompareOptions>();
    app.add_option("old", o->old_path, "Baseline Google Benchmark JSON (--benchmark_out_format=json)")
        ->required()
        ->type_name("OLD.json");
    app.add_option("new", o->new_path, "Candidate Google Benchmark JSON")->required()->type_name("NEW.json");
    app.add_option("--metric", o->metric, "real_time, cpu_time or a user counter")->capture_default_str();
    app.add_option("--threshold", o->threshold, "Relative change of the mean counted as a regression")
        ->check(p2pscope::finite())
        ->check(CLI::Range(0.0, 10.0))
        ->capture_default_str();
    app.add_option("--alpha", o->alpha, "Significance level of the Mann-Whitney U test over repetitions")
        ->check(p2pscope::finite())
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--keep-best", o->keep_best,
                   "Fraction of each side's repetitions kept, the best ones, before the test (1: all). Where "
                   "interference only slows runs down (shared or virtual machines), 0.5 drops its victims")
        ->check(p2pscope::finite())
        ->check(CLI::Range(0.01, 1.0))
        ->capture_default_str();
    app.add_option("--direction", o->direction,
                   "auto (times lower-is-better, *_per_second higher-is-better), lower or higher")
        ->check(CLI::IsMember({"auto", "lower", "higher"}))
        ->capture_default_str();
    app.add_option("--format", o->format, "markdown or json")
        ->check(CLI::IsMember({"markdown", "json"}))
        ->capture_default_str();
    app.footer(
        "Benchmarks are paired by run name; each needs 2 or more repetitions a side for the U test\n"
        "(--benchmark_repetitions=9 is a good start). Exit status: 0 no regression, 1 regression,\n"
        "2 bad input.");
    return [o](std::ostream& out) { return run_compare(*o, out); };
}

}  // namespace p2pscope::cli
