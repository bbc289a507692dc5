// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope's subcommands. Each registers its options on the CLI11 app and
// returns the action to run once parsing succeeded; the action returns a
// Status, which main() alone turns into a message and an exit status.
#pragma once

#include <functional>
#include <iosfwd>

#include <CLI/CLI.hpp>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/sources.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::cli {

using Action = std::function<Status(std::ostream& out)>;

// --sysfs-root, --hwloc-xml, --lspci-dump (at most one): where a command's
// topology comes from; none given means this machine.
void add_topology_source_options(CLI::App& app, probe::TopologyInput& input);

// --assume-cpu and --kernel-release: the inputs of the P2PDMA verdict a
// command line may set, and the options they make.
struct VerdictFlags {
    std::string assume_cpu;
    std::string kernel_release;
};
void add_verdict_options(CLI::App& app, VerdictFlags& flags);
Result<probe::VerdictOptions> verdict_options(const VerdictFlags& flags);

Action add_topo_command(CLI::App& app);
Action add_map_command(CLI::App& app);
Action add_compare_command(CLI::App& app);
Action add_xfer_command(CLI::App& app);
Action add_qualify_command(CLI::App& app);
Action add_diff_command(CLI::App& app);

}  // namespace p2pscope::cli
