// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-bench's own options, given before Google Benchmark's (--benchmark_*,
// --v), which are passed through to benchmark::Initialize untouched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/probe/sources.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::bench {

struct Options {
    bool help = false;
    std::vector<probe::PciAddress> devices;   // --device BDF[,...]
    std::vector<std::string> engines;         // --engines; empty: every engine, a refusal is a waiver
    bool engines_named = false;               // named ones must accept or the run is bad input
    std::vector<std::string> memory;          // --memory; map and xfer names, empty: defaults
    std::vector<uint64_t> sizes{64 * 1024};   // --sizes
    std::vector<std::string> widths{"8", "memcpy"};  // --widths (engines with access widths)
    std::vector<std::string> directions;      // --directions; empty: each engine's default
    std::vector<std::string> apis{"map_single", "map_page"};  // --apis (map)
    bool map = true;                          // --map / --no-map
    std::string file;                         // --file: the cpu engine's memory "file"
    int bar = -1;                             // --bar: the BAR of cpu (uc, wc) and dmaengine (ram-to-bar, bar-to-ram)
    uint64_t offset = 0;                      // --offset: into the BAR / p2pmem / file; nvme: into the namespace
    std::string block;                        // --block: the nvme engine's block device; else the NVMe of --device
    std::optional<probe::PciAddress> peer;    // --peer: the p2pmem provider of nvme with memory p2pmem
    std::vector<uint32_t> queue_depths{1};    // --queue-depths (engines with a queue depth: nvme)
    bool destructive = false;                 // --destructive: allow writes (nvme, cpu on a driver's BAR), nvme verify
    uint64_t transfers = 100;                 // --transfers: per measurement (one benchmark iteration)
    uint64_t map_samples = 10000;             // --map-samples: map+unmap pairs per measurement
    std::vector<std::string> papi_events;     // --papi-events; empty: PapiCounters::default_events()
    bool papi_uncore = true;                  // --no-papi-uncore
    probe::TopologyInput topology;            // --sysfs-root, --hwloc-xml, --lspci-dump
    std::vector<std::string> benchmark_args;  // Google Benchmark's flags, in order
};

// The map memory names (kclient) and the transfer memory names the engines take.
bool is_map_memory(const std::string& name);
bool is_xfer_memory(const std::string& name);

// args excludes the program name. Errors are one line, Errc::invalid_argument.
Result<Options> parse_options(const std::vector<std::string>& args);
std::string usage();

}  // namespace p2pscope::bench
