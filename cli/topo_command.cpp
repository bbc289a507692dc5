// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope topo: read a topology (live, sysfs tree, hwloc XML or lspci dump),
// analyse the selected device pairs and print them.
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::cli {

namespace {

struct TopoOptions {
    probe::TopologyInput input;
    std::string export_hwloc_xml;
    std::vector<std::string> classes;
    std::vector<std::string> devices;
    std::string format = "text";
    VerdictFlags verdict;
};

Status run_topo(const TopoOptions& o, std::ostream& out) {
    auto selection = probe::parse_selection(o.classes, o.devices);
    if (!selection) return selection.error();
    auto verdict_opts = verdict_options(o.verdict);
    if (!verdict_opts) return verdict_opts.error();
    if (!o.export_hwloc_xml.empty()) {
        if (!o.input.hwloc_xml.empty() || !o.input.lspci_dump.empty() || !o.input.lspci_text.empty() ||
            !o.input.file.empty())
            return make_error(Errc::invalid_argument, "--export-hwloc-xml reads the live system or --sysfs-root only");
        if (auto s = probe::export_hwloc_xml(probe::SysfsOptions{o.input.sysfs_root, ""}, o.export_hwloc_xml); !s)
            return s;
    }
    auto topology = probe::load_topology(o.input);
    if (!topology) return topology.error();
    auto selected = probe::select_functions(*topology, *selection);
    if (!selected) return selected.error();
    const auto pairs = probe::analyse_pairs(*topology, *selected, *verdict_opts);
    const probe::Report report{*topology, *selected, pairs};
    // Render fully before writing, so a failure never leaves half a report.
    std::string text = o.format == "json" ? probe::render_json(report)
                       : o.format == "dot" ? probe::render_dot(report)
                                           : probe::render_text(report);
    out << text;
    return Ok{};
}

}  // namespace

void add_topology_source_options(CLI::App& app, probe::TopologyInput& input) {
    auto* sysfs = app.add_option("--sysfs-root", input.sysfs_root,
                                 "Read sys/ and proc/ under DIR instead of this machine's (an unpacked copy)")
                      ->type_name("DIR");
    auto* xml = app.add_option("--hwloc-xml", input.hwloc_xml, "Read an hwloc XML topology from any machine")
                    ->type_name("FILE");
    auto* dump = app.add_option("--lspci-dump", input.lspci_dump, "Read an `lspci -xxxx` dump")->type_name("FILE");
    auto* text = app.add_option("--lspci-text", input.lspci_text,
                                "Read `lspci -vvv` output (-nn and a -tv tree in the same file help)")
                     ->type_name("FILE");
    auto* file = app.add_option("input", input.file,
                                "Any of these inputs, its format told from its content (a directory: a sysfs tree)")
                     ->type_name("INPUT");
    const std::vector<CLI::Option*> inputs{sysfs, xml, dump, text, file};
    for (size_t i = 0; i < inputs.size(); ++i)
        for (size_t j = i + 1; j < inputs.size(); ++j) inputs[i]->excludes(inputs[j]);
}

void add_verdict_options(CLI::App& app, VerdictFlags& flags) {
    app.add_option("--assume-cpu", flags.assume_cpu,
                   "CPU for the kernel's CPU rule when the input does not say (e.g. amd:0x19, intel)")
        ->type_name("VENDOR[:FAMILY]");
    app.add_option("--kernel-release", flags.kernel_release,
                   "Decide P2PDMA as this kernel release would (rules read from 6.1, 6.12 and 7.2; default: the "
                   "running kernel)")
        ->type_name("X.Y");
}

Result<probe::VerdictOptions> verdict_options(const VerdictFlags& flags) {
    probe::VerdictOptions options;
    if (!flags.assume_cpu.empty()) {
        auto cpu = probe::parse_cpu(flags.assume_cpu);
        if (!cpu) return cpu.error();
        options.assume_cpu = *cpu;
    }
    if (!flags.kernel_release.empty()) {
        auto release = probe::parse_kernel_release(flags.kernel_release);
        if (!release) return release.error();
        options.kernel_release = *release;
    }
    return options;
}

Action add_topo_command(CLI::App& app) {
    auto o = std::make_shared<TopoOptions>();
    add_topology_source_options(app, o->input);
    app.add_option("--export-hwloc-xml", o->export_hwloc_xml,
                   "Also write this machine's (or --sysfs-root's) hwloc XML to FILE")
        ->type_name("FILE");
    app.add_option("--class", o->classes,
                   "Device classes to pair: gpu, nic, nvme, accel, other, all (default gpu,nic,nvme,accel)")
        ->delimiter(',')
        ->type_name("LIST");
    app.add_option("--devices", o->devices, "Pair exactly these functions (BDFs, bridges allowed)")
        ->delimiter(',')
        ->type_name("BDF,...");
    app.add_option("--format", o->format, "Output: text (table, matrices, legend), json or dot")
        ->check(CLI::IsMember({"text", "json", "dot"}))
        ->capture_default_str();
    add_verdict_options(app, o->verdict);
    app.footer(
        "Inputs: the live machine by default (run as root to read extended config space: ACS);\n"
        "--sysfs-root, --hwloc-xml, --lspci-dump or --lspci-text read data saved elsewhere, or name the file\n"
        "(or saved sysfs tree) and p2pscope tells its format: p2pscope topo lspci-vvv.txt\n"
        "JSON keys are documented in docs/topo-json.md. Exit status: 0 done, 2 bad input, 3 could not run here.");
    return [o](std::ostream& out) { return run_topo(*o, out); };
}

}  // namespace p2pscope::cli
