// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope diff: a candidate server against a golden one of the same model,
// from their `p2pscope topo --format json` or `p2pscope qualify --format json`
// reports (a qualify report carries its server's topology). Devices are matched by
// their place in the PCI tree (host bridge, then device.function numbers from
// the root bus down) and their ids, never by bus number: bus numbers differ
// between servers of one model as firmware enumerates them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "p2pscope/result.hpp"

namespace p2pscope::qualify {

struct Difference {
    std::string kind;       // "missing", "extra", "other_device", "link", "acs", "mps", "mrrs", "iommu", "ats",
                            // "relaxed_ordering", "verdict", "path"; two qualify reports: "check" (a check's
                            // result), or a check's name ("map", "transfer") for its measurement
    std::string place;      // "hb1/03.0/00.0" (or a pair: "hb1/03.0/00.0 hb1/03.0/00.1")
    std::string golden;     // the golden server's value and BDF ("8 GT/s x16 at 0000:1b:00.0")
    std::string candidate;  // the candidate's
};

struct DiffReport {
    std::string golden_source, candidate_source;
    size_t matched_devices = 0, matched_pairs = 0;
    std::vector<Difference> differences;
};

struct DiffOptions {
    // Two qualify reports' measurements differ when they are further apart
    // than this fraction of the golden server's.
    double tolerance = 0.25;
};

// Compares two reports, each a topo JSON document (schema p2pscope.topo/1) or
// a qualify report (p2pscope.qualify/1, its topology compared); with two
// qualify reports, also each matched pair's checks and measurements.
// `golden_name` and `candidate_name` name them in errors. Errc::bad_input for
// anything else.
Result<DiffReport> diff_reports(std::string_view golden, const std::string& golden_name, std::string_view candidate,
                                const std::string& candidate_name, const DiffOptions& options = {});

// Ok when `text` is a report diff_reports takes (a topo or qualify report).
Status check_report(std::string_view text, const std::string& name);

// differences[] as p2pscope.diff/1 writes them (also in qualify's report).
nlohmann::json differences_json(const std::vector<Difference>& differences);

std::string render_diff_text(const DiffReport& r);
std::string render_diff_markdown(const DiffReport& r);
std::string render_diff_json(const DiffReport& r);  // schema p2pscope.diff/1

}  // namespace p2pscope::qualify
