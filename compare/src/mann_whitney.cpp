// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "p2pscope/compare/compare.hpp"

namespace p2pscope::compare {

namespace {

// Number of ways each U value arises for sample sizes m, n (no ties), by the
// recurrence c(u; i, j) = c(u - j; i - 1, j) + c(u; i, j - 1): the largest
// pooled value comes from the first sample (beating all j of the second) or
// from the second. Columns j are built in turn, so memory is O(m * m * n).
std::vector<double> exact_u_distribution(size_t m, size_t n) {
    std::vector<std::vector<double>> col(m + 1);  // col[i]: counts for sizes (i, j)
    for (size_t i = 0; i <= m; ++i) col[i] = {1.0};  // j = 0: U is 0
    for (size_t j = 1; j <= n; ++j) {
        std::vector<std::vector<double>> next(m + 1);
        next[0] = {1.0};
        for (size_t i = 1; i <= m; ++i) {
            auto& v = next[i];
            v.assign(i * j + 1, 0.0);
            const auto& from_first = next[i - 1];  // sizes (i - 1, j)
            const auto& from_second = col[i];      // sizes (i, j - 1)
            for (size_t u = 0; u < from_first.size(); ++u) v[u + j] += from_first[u];
            for (size_t u = 0; u < from_second.size(); ++u) v[u] += from_second[u];
        }
        col = std::move(next);
    }
    return col[m];
}

}  // namespace

double min_p_value(size_t n1, size_t n2) {
    double ways = 1;  // C(n1 + n2, n1)
    for (size_t i = 1; i <= n1; ++i) ways = ways * static_cast<double>(n2 + i) / static_cast<double>(i);
    return std::min(1.0, 2.0 / ways);
}

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
    const size_t n1 = a.size(), n2 = b.size();
    if (n1 == 0 || n2 == 0) return 1.0;
    // Ranks over the pooled sample, ties given their mean rank.
    std::vector<std::pair<double, int>> pooled;
    for (double x : a) pooled.emplace_back(x, 0);
    for (double x : b) pooled.emplace_back(x, 1);
    std::sort(pooled.begin(), pooled.end(), [](auto& x, auto& y) { return x.first < y.first; });
    const size_t n = pooled.size();
    std::vector<double> rank(n);
    double tie_term = 0;  // sum of t^3 - t over tie groups
    bool ties = false;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && pooled[j + 1].first == pooled[i].first) ++j;
        const double r = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
        for (size_t k = i; k <= j; ++k) rank[k] = r;
        const double t = static_cast<double>(j - i + 1);
        if (t > 1) {
            ties = true;
            tie_term += t * t * t - t;
        }
        i = j + 1;
    }
    double r1 = 0;
    for (size_t i = 0; i < n; ++i)
        if (pooled[i].second == 0) r1 += rank[i];
    const double u1 = r1 - static_cast<double>(n1) * (static_cast<double>(n1) + 1) / 2.0;
    const double u2 = static_cast<double>(n1 * n2) - u1;
    const double u = std::max(u1, u2);

    // SciPy's choice: exact unless both samples exceed 8 or there are ties.
    if (!ties && (n1 <= 8 || n2 <= 8)) {
        const auto dist = exact_u_distribution(std::min(n1, n2), std::max(n1, n2));
        const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
        // P(U >= u) by symmetry, doubled for two sides.
        double tail = 0;
        for (size_t k = static_cast<size_t>(std::llround(u)); k < dist.size(); ++k) tail += dist[k];
        return std::min(1.0, 2.0 * tail / total);
    }
    const double nn1 = static_cast<double>(n1), nn2 = static_cast<double>(n2), nn = static_cast<double>(n);
    const double mean = nn1 * nn2 / 2.0;
    const double var = nn1 * nn2 / 12.0 * ((nn + 1.0) - tie_term / (nn * (nn - 1.0)));
    if (var <= 0) return 1.0;
    const double z = (u - mean - 0.5) / std::sqrt(var);  // continuity correction
    const double p = std::erfc(z / std::sqrt(2.0));      // 2 * (1 - Phi(z))
    return std::clamp(p, 0.0, 1.0);
}

}  // namespace p2pscope::compare
