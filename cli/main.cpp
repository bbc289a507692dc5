// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope: characterizes PCIe peer-to-peer DMA paths.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "p2pscope/cli_checks.hpp"


int main(int argc, char** argv) {
    CLI::App app{"p2pscope: characterize PCIe peer-to-peer DMA paths on this machine or from saved topology data.",
                 "p2pscope"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(P2PSCOPE_VERSION));
    std::vector<std::pair<CLI::App*, p2pscope::cli::Action>> commands;
    {
        auto* topo = app.add_subcommand("topo", "Map the PCI topology: the DMA path of every device pair and "
                                                "whether Linux allows P2P DMA between them, and why not");
        commands.emplace_back(topo, p2pscope::cli::add_topo_command(*topo));
        auto* map = app.add_subcommand("map", "Measure DMA map/unmap latency of a device across APIs and memory "
                                              "types, inside the kernel (needs the p2pscope module)");
        commands.emplace_back(map, p2pscope::cli::add_map_command(*map));
        auto* cmp = app.add_subcommand("compare", "Compare two Google Benchmark JSON reports and fail on a "
                                                  "significant regression");
        commands.emplace_back(cmp, p2pscope::cli::add_compare_command(*cmp));
        auto* xfer = app.add_subcommand("xfer", "Move real data over a PCIe path (CPU to a BAR or p2pmem, O_DIRECT "
                                                "into p2pmem, CUDA copies) and measure bandwidth and latency");
        commands.emplace_back(xfer, p2pscope::cli::add_xfer_command(*xfer));
        auto* qualify = app.add_subcommand("qualify", "Qualify a server: check the device pairs that matter (P2PDMA "
                                                      "verdict, degraded links, map p99, transfer bandwidth) against "
                                                      "thresholds, pass or fail per pair");
        commands.emplace_back(qualify, p2pscope::cli::add_qualify_command(*qualify));
        auto* diff = app.add_subcommand("diff", "Compare a server with a golden one of the same model: devices, links, "
                                                "ACS/MPS/IOMMU/ATS settings and P2P verdicts, matched by place in the tree");
        commands.emplace_back(diff, p2pscope::cli::add_diff_command(*diff));
    }
    // CLI11 says "a subcommand is required" for a misspelt one: name it.
    const auto unknown_command = [&](const CLI::ParseError&) -> std::optional<std::string> {
        std::string names;
        bool known = false;
        for (const auto& c : commands) {
            names += (names.empty() ? "" : ", ") + c.first->get_name();
            known = known || (argc > 1 && c.first->get_name() == argv[1]);
        }
        if (argc > 1 && argv[1][0] != '-' && !known)
            return "unknown command '" + std::string(argv[1]) + "' (one of " + names + ")";
        return std::nullopt;
    };
    if (auto done = p2pscope::parse_command_line(app, argc, argv, unknown_command)) {
        std::cout << done->out;
        std::cerr << done->err;
        return done->status;
    }
    for (auto& [sub, action] : commands) {
        if (!sub->parsed()) continue;
        auto status = action(std::cout);
        std::cout.flush();
        if (!status) {
            std::cerr << "p2pscope " << sub->get_name() << ": " << status.error().message << "\n";
            return p2pscope::exit_status(status.error().code);
        }
        if (!std::cout) {
            std::cerr << "p2pscope: cannot write the output\n";
            return 3;
        }
    }
    return 0;
}
