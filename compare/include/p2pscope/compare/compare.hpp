// SPDX-License-Identifier: GPL-2.0-or-later
// Regression detection between two Google Benchmark JSON reports, from any
// program: benchmarks paired by name, the change of each metric's mean, and a
// Mann-Whitney U test over the repetitions, as google/benchmark's
// tools/compare.py does, with a verdict per benchmark.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "p2pscope/result.hpp"

namespace p2pscope::compare {

// One benchmark's repetitions in one report (aggregates are ignored: they are
// recomputed from the repetitions).
struct Series {
    std::string name;                 // run_name
    std::vector<double> values;       // the metric, per repetition, in ns for times
};

struct Report {
    std::string path;
    std::string kernel_release;  // the context's kernel_release (p2pscope-bench writes it), or empty
    std::vector<Series> series;
};

// metric: "real_time", "cpu_time" or a user counter name.
Result<Report> load_report(const std::string& path, const std::string& metric);

struct Options {
    std::string metric = "real_time";
    // Lower values are better for times; counters named like "..._per_second"
    // or "bytes_per_second" are higher-is-better unless overridden.
    std::optional<bool> higher_is_better;
    double threshold = 0.05;  // relative change of the mean counted as a regression
    double alpha = 0.05;      // significance level of the U test
    // Fraction of each side's repetitions kept, the best ones (the fastest for
    // lower-is-better metrics), before the means and the test: 1 keeps all. On
    // a shared or virtual machine interference only ever makes a run worse, so
    // the best repetitions carry the signal and the rest carry the neighbours.
    double keep_best = 1.0;
};

enum class Verdict { unchanged, improved, regressed, regressed_untested, missing_old, missing_new };
std::string_view to_string(Verdict v);

struct Row {
    std::string name;
    size_t old_n = 0, new_n = 0;      // repetitions used (after keep_best)
    double old_mean = 0, new_mean = 0;
    double change = 0;                // (new - old) / old; signed, in the metric's own direction
    std::optional<double> p_value;    // two-sided U test; none with fewer than 2 repetitions a side
    Verdict verdict = Verdict::unchanged;
};

struct Comparison {
    Options options;
    bool higher_is_better = false;
    std::string old_kernel, new_kernel;  // the reports' kernel releases, where they say
    std::vector<Row> rows;
    size_t regressions() const;
};

Comparison compare(const Report& old_report, const Report& new_report, const Options& options);

std::string render_markdown(const Comparison& c, const std::string& old_path, const std::string& new_path);
std::string render_json(const Comparison& c, const std::string& old_path, const std::string& new_path);

// Two-sided Mann-Whitney U test p-value as SciPy's mannwhitneyu computes it
// (method="auto"): exact when a sample has at most 8 values and there are no
// ties, otherwise the normal approximation with tie and continuity corrections.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);
// The smallest two-sided p the U test can give for n1 and n2 values (all of one
// side below all of the other): 2 / C(n1 + n2, n1). 3 against 3 cannot go below 0.1.
double min_p_value(size_t n1, size_t n2);

}  // namespace p2pscope::compare
