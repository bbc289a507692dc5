// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/kclient/histogram.hpp"

#include <algorithm>
#include <cmath>

#include "p2pscope.h"

namespace p2pscope::kclient {

double Histogram::percentile_ns(double p) const {
    uint64_t total = 0;
    for (uint64_t c : buckets) total += c;
    if (total == 0) return 0;
    // The rank of the sample at or below which a fraction p of the samples lie.
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(p * static_cast<double>(total))));
    uint64_t seen = 0;
    for (uint32_t i = 0; i < buckets.size(); ++i) {
        seen += buckets[i];
        if (seen < rank) continue;
        const double low = static_cast<double>(p2pscope_hist_bucket_low_ns(i));
        const uint64_t high_raw = p2pscope_hist_bucket_high_ns(i);
        const double high = high_raw == ~uint64_t{0} ? static_cast<double>(max_ns) : static_cast<double>(high_raw);
        const double mid = (low + high) / 2.0;
        return std::clamp(mid, static_cast<double>(min_ns), static_cast<double>(max_ns));
    }
    return static_cast<double>(max_ns);
}

LatencySummary Histogram::summary() const {
    LatencySummary s;
    s.count = count;
    s.min_ns = min_ns;
    s.max_ns = max_ns;
    s.mean_ns = count ? static_cast<double>(sum_ns) / static_cast<double>(count) : 0;
    s.p50_ns = percentile_ns(0.50);
    s.p90_ns = percentile_ns(0.90);
    s.p99_ns = percentile_ns(0.99);
    s.p999_ns = percentile_ns(0.999);
    return s;
}

}  // namespace p2pscope::kclient
