// SPDX-License-Identifier: GPL-2.0-or-later
// The module's log-linear latency histogram and the statistics read from it.
#pragma once

#include <cstdint>
#include <vector>

namespace p2pscope::kclient {

struct LatencySummary {
    uint64_t count = 0;
    uint64_t min_ns = 0, max_ns = 0;
    double mean_ns = 0;
    // Percentiles are the midpoint of the bucket holding the rank, clamped to
    // [min, max]: within 1/128 (0.8 %) of the true sample value.
    double p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0;
};

struct Histogram {
    std::vector<uint64_t> buckets;  // P2PSCOPE_HIST_BUCKETS counters
    uint64_t count = 0, min_ns = 0, max_ns = 0, sum_ns = 0;  // exact, from the module

    double percentile_ns(double p) const;  // p in [0, 1]
    LatencySummary summary() const;
};

}  // namespace p2pscope::kclient
