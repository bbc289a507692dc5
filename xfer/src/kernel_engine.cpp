// SPDX-License-Identifier: GPL-2.0-or-later
#include "kernel_engine.hpp"

#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>

#include "p2pscope/kclient/uapi.hpp"

namespace p2pscope::xfer::detail {

std::optional<std::string> missing_module(const std::string& node) {
    struct stat st{};
    if (::stat(node.c_str(), &st) != 0)
        return "this engine runs in p2pscope.ko, which is not loaded (" + node +
               " missing): load it (kmod/README.md) or run in the lab (lab/run)";
    return std::nullopt;
}

Latency latency_from(const kclient::Histogram& h) {
    Latency l;
    if (!h.count) return l;
    auto s = h.summary();
    l.min_ns = static_cast<double>(s.min_ns);
    l.max_ns = static_cast<double>(s.max_ns);
    l.p50_ns = s.p50_ns;
    l.p90_ns = s.p90_ns;
    l.p99_ns = s.p99_ns;
    l.mean_ns = s.mean_ns;
    return l;
}

void set_module_status(Measurement& m, uint32_t status, uint64_t transfers, const char* reason) {
    if (status != kclient::kReasonNone) m.stop(transfers ? RowStatus::error : RowStatus::waived, reason);
}

std::string bytes_label(uint64_t b) {
    char buf[32];
    if (b && b % (1 << 20) == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 "M", b >> 20);
    else if (b && b % 1024 == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 "K", b >> 10);
    else std::snprintf(buf, sizeof buf, "%" PRIu64, b);
    return buf;
}

}  // namespace p2pscope::xfer::detail
