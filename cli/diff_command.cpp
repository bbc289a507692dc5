// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope diff GOLDEN.json CANDIDATE.json: does this server match the golden one?
#include <memory>
#include <ostream>

#include "commands.hpp"
#include "p2pscope/input_file.hpp"
#include "p2pscope/qualify/diff.hpp"

namespace p2pscope::cli {

namespace {

struct DiffOptions {
    std::string golden, candidate;
    std::string format = "text";
    qualify::DiffOptions diff;
};

Status run_diff(const DiffOptions& o, std::ostream& out) {
    auto golden = read_input_file(o.golden, 256u << 20, "a topo or qualify report");
    if (!golden) return golden.error();
    auto candidate = read_input_file(o.candidate, 256u << 20, "a topo or qualify report");
    if (!candidate) return candidate.error();
    auto r = qualify::diff_reports(*golden, o.golden, *candidate, o.candidate, o.diff);
    if (!r) return r.error();
    out << (o.format == "json"       ? qualify::render_diff_json(*r)
            : o.format == "markdown" ? qualify::render_diff_markdown(*r)
                                     : qualify::render_diff_text(*r));
    if (!r->differences.empty())
        return make_error(Errc::regression, std::to_string(r->differences.size()) +
                                                " difference(s) from the golden server");
    return Ok{};
}

}  // namespace

Action add_diff_command(CLI::App& app) {
    auto o = std::make_shared<DiffOptions>();
    app.add_option("golden", o->golden,
                   "The golden server's `p2pscope topo --format json` or `p2pscope qualify --format json` report")
        ->required()
        ->type_name("GOLDEN.json");
    app.add_option("candidate", o->candidate, "The candidate server's report")->required()->type_name("CANDIDATE.json");
    app.add_option("--tolerance", o->diff.tolerance,
                   "Two qualify reports: a measurement differs when further from the golden server's than this "
                   "fraction of it")
        ->check(CLI::Range(0.0, 100.0))
        ->capture_default_str();
    app.add_option("--format", o->format, "text, markdown or json")
        ->check(CLI::IsMember({"text", "markdown", "json"}))
        ->capture_default_str();
    app.footer(
        "Devices are matched by their place in the PCI tree (host bridge, then device.function numbers from the root\n"
        "bus down) and their ids, not by bus number. Compared: missing, extra or other devices, link speed and width,\n"
        "ACS control, MPS, MRRS, IOMMU domain, ATS, relaxed ordering, and each pair's path and P2PDMA verdict;\n"
        "with two qualify reports also each pair's check results and measurements (--tolerance).\n"
        "Exit status: 0 the same, 1 differences, 2 bad input.");
    return [o](std::ostream& out) { return run_diff(*o, out); };
}

}  // namespace p2pscope::cli
