// SPDX-License-Identifier: GPL-2.0-or-later
// kclient's percentiles from the module's log-linear histogram, against a
// brute-force reference: the exact nearest-rank percentile of the same
// samples, sorted. The histogram's answer must lie in the bucket that holds
// the exact value (so within half a bucket, 1/128 of the value above 64 ns,
// exact below), and within the exact min and max.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "p2pscope.h"
#include "p2pscope/kclient/histogram.hpp"

using p2pscope::kclient::Histogram;

namespace {

// The bucket that holds v, by binary search over the UAPI's bucket bounds
// (an index of its own, not the module's arithmetic).
uint32_t bucket_of(uint64_t v) {
    uint32_t lo = 0, hi = P2PSCOPE_HIST_BUCKETS - 1;
    while (lo < hi) {
        const uint32_t mid = (lo + hi + 1) / 2;
        if (p2pscope_hist_bucket_low_ns(mid) <= v) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

Histogram histogram_of(const std::vector<uint64_t>& samples) {
    Histogram h;
    h.buckets.assign(P2PSCOPE_HIST_BUCKETS, 0);
    h.min_ns = ~uint64_t{0};
    for (uint64_t v : samples) {
        ++h.buckets[bucket_of(v)];
        ++h.count;
        h.sum_ns += v;
        h.min_ns = std::min(h.min_ns, v);
        h.max_ns = std::max(h.max_ns, v);
    }
    return h;
}

uint64_t exact(std::vector<uint64_t> s, double p) {
    std::sort(s.begin(), s.end());
    const auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(p * static_cast<double>(s.size()))));
    return s[rank - 1];
}

}  // namespace

TEST(Histogram, BucketBoundsTileTheRange) {
    for (uint32_t i = 0; i + 1 < P2PSCOPE_HIST_BUCKETS; ++i) {
        ASSERT_EQ(p2pscope_hist_bucket_high_ns(i) + 1, p2pscope_hist_bucket_low_ns(i + 1)) << i;
        ASSERT_LE(p2pscope_hist_bucket_low_ns(i), p2pscope_hist_bucket_high_ns(i)) << i;
    }
    EXPECT_EQ(bucket_of(0), 0u);
    EXPECT_EQ(bucket_of(63), 63u);
    EXPECT_EQ(bucket_of(64), 64u);
    EXPECT_EQ(bucket_of(~uint64_t{0}), P2PSCOPE_HIST_BUCKETS - 1);
}

TEST(Histogram, PercentilesMatchABruteForceReference) {
    std::mt19937_64 rng(20261204);
    std::lognormal_distribution<double> map_latency(std::log(900.0), 0.6);  // ~1 us, a long tail
    std::uniform_int_distribution<uint64_t> small(0, 200);
    std::uniform_int_distribution<uint64_t> wide(0, uint64_t{1} << 44);  // up to the open-ended last bucket
    struct Case {
        const char* name;
        std::vector<uint64_t> samples;
    };
    std::vector<Case> cases;
    for (size_t n : {1u, 2u, 3u, 10u, 999u, 100000u}) {
        Case c{"lognormal", {}};
        for (size_t i = 0; i < n; ++i) c.samples.push_back(static_cast<uint64_t>(map_latency(rng)));
        if (n > 100) c.samples.back() = 5'000'000;  // one preempted sample
        cases.push_back(std::move(c));
    }
    Case s{"below 64 ns and around it", {}};
    for (int i = 0; i < 5000; ++i) s.samples.push_back(small(rng));
    cases.push_back(std::move(s));
    Case w{"up to 2^44 ns", {}};
    for (int i = 0; i < 5000; ++i) w.samples.push_back(wide(rng));
    cases.push_back(std::move(w));
    cases.push_back({"all equal", std::vector<uint64_t>(1000, 1234)});

    for (const auto& c : cases) {
        const Histogram h = histogram_of(c.samples);
        for (double p : {0.0, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0}) {
            SCOPED_TRACE(std::string(c.name) + " n=" + std::to_string(c.samples.size()) + " p=" + std::to_string(p));
            const uint64_t want = exact(c.samples, p);
            const double got = h.percentile_ns(p);
            const uint32_t b = bucket_of(want);
            const double low = static_cast<double>(p2pscope_hist_bucket_low_ns(b));
            const double high = b == P2PSCOPE_HIST_BUCKETS - 1 ? static_cast<double>(h.max_ns)
                                                                  : static_cast<double>(p2pscope_hist_bucket_high_ns(b));
            EXPECT_GE(got, low);
            EXPECT_LE(got, high);
            EXPECT_GE(got, static_cast<double>(h.min_ns));
            EXPECT_LE(got, static_cast<double>(h.max_ns));
            if (want < 64) {
                EXPECT_EQ(got, static_cast<double>(want));
            } else if (b < P2PSCOPE_HIST_BUCKETS - 1) {
                EXPECT_LE(std::abs(got - static_cast<double>(want)), static_cast<double>(want) / 64);
            }
        }
        const auto sum = h.summary();
        EXPECT_EQ(sum.count, c.samples.size());
        EXPECT_DOUBLE_EQ(sum.p99_ns, h.percentile_ns(0.99));
    }
    EXPECT_EQ(Histogram{}.percentile_ns(0.5), 0.0);  // no samples
}
