// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-bench's benchmark families, registered at run time from what is
// discovered: map measurements through /dev/p2pscope (device x API x memory x
// size) and transfers by the xfer engines (engine x device x memory x
// direction x width x size) whose check() accepts. Each iteration runs one
// measurement and gives Google Benchmark the kernel's or the engine's own
// measured time (manual time). What cannot run becomes a context line
// "waived: <reason>" instead of a benchmark.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench_options.hpp"
#include "papi_counters.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::bench {

// Context lines in the order they were added; a repeated key gets its values joined.
class ContextLines {
public:
    void add(const std::string& key, const std::string& value);
    const std::vector<std::pair<std::string, std::string>>& lines() const { return lines_; }

private:
    std::vector<std::pair<std::string, std::string>> lines_;
};

// What the harness costs: per benchmark, the wall time of its iterations
// (harness included) against the time the kernel or engine measured.
struct Overhead {
    double wall_seconds = 0;
    double measured_seconds = 0;
    uint64_t iterations = 0;
};
using OverheadLog = std::map<std::string, Overhead>;

// Shared by every registered benchmark; lives as long as the closures do.
struct Harness {
    explicit Harness(PapiCounters c) : papi(std::move(c)) {}
    PapiCounters papi;
    OverheadLog overhead;
    // The first failure of each benchmark (by name). Once a repetition failed,
    // the later ones fail with it: a DMA fault the kernel logged once may go
    // unlogged (rate-limited) the next time, and a benchmark whose first
    // repetition has no counters crashes Google Benchmark's aggregates (1.7).
    std::map<std::string, std::string> failed;
};

// Registers the map family. No benchmark and a "map" context line when the
// module cannot be opened or --no-map; an Errc::invalid_argument error only
// for a request the user made wrong.
Result<std::vector<std::string>> register_map_family(const Options& options, std::shared_ptr<Harness> harness,
                                                     ContextLines& context);

// Registers the transfer family. `topology` (may be null) gives the link
// ceilings of the devices. An engine the user named that refuses a request as
// invalid is an Errc::invalid_argument error; otherwise refusals are waivers.
Result<std::vector<std::string>> register_xfer_family(const Options& options, const probe::Topology* topology,
                                                      std::shared_ptr<Harness> harness, ContextLines& context);

}  // namespace p2pscope::bench
