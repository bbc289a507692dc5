// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope qualify: the pairs that matter (GPUs, NICs, NVMe, accelerators),
// checked against a thresholds file: P2PDMA verdict, degraded links, map p99
// through p2pscope.ko, transfer bandwidth against the link ceiling. A pass/fail
// report per pair, and an exit status for scripts (docs/qualify.md).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <ostream>

#include "commands.hpp"
#include "p2pscope/qualify/machine.hpp"

namespace p2pscope::cli {

namespace {

struct QualifyOptions {
    probe::TopologyInput input;
    std::string thresholds;
    std::string baseline;
    std::vector<std::string> devices;
    std::string format = "text";
    VerdictFlags verdict;
    bool no_map = false;
    bool no_transfers = false;
    std::string device_node = "/dev/p2pscope";
    bool destructive = false;
};

// One line on stderr per pair as it is measured (seconds each): "qualify: pair 2/3 A B: checking" on a terminal, replaced by the
// result; elsewhere (CI, the lab's console) the result line with its duration.
qualify::ProgressFn progress_on_stderr() {
    const bool tty = isatty(STDERR_FILENO) != 0;
    auto start = std::make_shared<std::chrono::steady_clock::time_point>();
    return [tty, start](const qualify::PairProgress& p) {
        char head[128];
        std::snprintf(head, sizeof head, "qualify: pair %zu/%zu %s %s", p.index + 1, p.total,
                      p.pair->a.to_string().c_str(), p.pair->b.to_string().c_str());
        if (!p.done) {
            *start = std::chrono::steady_clock::now();
            if (tty) std::fprintf(stderr, "\r\033[K%s: checking", head);
            return;
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - *start).count();
        std::fprintf(stderr, "%s%s: %s in %.1f s\n", tty ? "\r\033[K" : "", head,
                     std::string(qualify::to_string(p.done->outcome())).c_str(), s);
    };
}

Status run_qualify(const QualifyOptions& o, std::ostream& out) {
    qualify::MachineRequest q;
    q.input = o.input;
    q.thresholds_file = o.thresholds;
    q.baseline_file = o.baseline;
    for (const auto& d : o.devices) {
        auto a = probe::PciAddress::parse(d);
        if (!a) return a.error();
        q.devices.push_back(*a);
    }
    auto verdict = verdict_options(o.verdict);
    if (!verdict) return verdict.error();
    q.verdict = *verdict;
    if (o.no_map) q.map_off = "not run (--no-map)";
    if (o.no_transfers) q.transfers_off = "not run (--no-transfers)";
    q.destructive = o.destructive;
    q.device_node = o.device_node;
    q.with_topology = o.format == "json";  // only the JSON report carries it
    auto qualified = qualify::qualify_machine(q, progress_on_stderr());
    if (!qualified) return qualified.error();
    const qualify::Report& report = *qualified;

    out << (o.format == "json" ? qualify::render_json(report) : qualify::render_text(report));
    switch (report.verdict()) {
    case qualify::Verdict::fail: {
        std::string what = std::to_string(report.checks(qualify::Outcome::fail)) + " check(s) failed on " +
                           std::to_string(report.pairs_with(qualify::Outcome::fail)) + " of " +
                           std::to_string(report.pairs.size()) + " pair(s)";
        if (report.baseline && !report.baseline->differences.empty())
            what += "; " + std::to_string(report.baseline->differences.size()) + " difference(s) from the baseline " +
                    o.baseline;
        return make_error(Errc::regression, what);
    }
    case qualify::Verdict::nothing_checked:
        return make_error(Errc::unsupported,
                          report.pairs.empty()
                              ? "nothing to check: no pair of devices meant for P2P in " + report.source
                              : "nothing could be checked: all " +
                                    std::to_string(report.checks(qualify::Outcome::waived)) + " checks were waived");
    case qualify::Verdict::pass:
    case qualify::Verdict::pass_with_waivers: break;
    }
    return Ok{};
}

}  // namespace

Action add_qualify_command(CLI::App& app) {
    auto o = std::make_shared<QualifyOptions>();
    add_topology_source_options(app, o->input);
    app.add_option("--thresholds", o->thresholds,
                   "Thresholds file (JSON, docs/qualify.md); default: the built-in values of qualify/thresholds.json")
        ->type_name("FILE");
    app.add_option("--baseline", o->baseline,
                   "A golden server's `p2pscope topo --class all --format json` (or qualify --format json) report: "
                   "differences from its topology fail (as p2pscope diff)")
        ->type_name("FILE");
    app.add_option("--devices", o->devices, "Qualify every pair of exactly these functions (BDFs, bridges allowed)")
        ->delimiter(',')
        ->type_name("BDF,...");
    app.add_option("--format", o->format, "Output: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    add_verdict_options(app, o->verdict);
    app.add_flag("--no-map", o->no_map, "Do not measure map latency (the map checks are reported as waived)");
    app.add_flag("--no-transfers", o->no_transfers, "Do not move data (the transfer checks are reported as waived)");
    app.add_flag("--destructive", o->destructive,
                 "Let the nvme engine write a pattern into each NVMe namespace's first bytes, so that P2P reads "
                 "are verified (destroys that data)");
    app.add_option("--device-node", o->device_node, "The p2pscope module's device node")
        ->type_name("PATH")
        ->capture_default_str();
    std::string checks;
    for (auto name : qualify::check_names()) checks += (checks.empty() ? "" : ", ") + std::string(name);
    app.footer(
        "Checks per pair, in the report's order (docs/qualify.md):\n" + checks +
        "\n(map needs p2pscope.ko, transfer an engine that moves data between the two).\n"
        "Exit status: 0 every check that ran passed (waived checks are counted in the summary), 1 a check\n"
        "failed, 2 bad input, 3 nothing could be checked.");
    return [o](std::ostream& out) { return run_qualify(*o, out); };
}

}  // namespace p2pscope::cli
