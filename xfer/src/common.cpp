// SPDX-License-Identifier: GPL-2.0-or-later
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "p2pscope/list_text.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

std::string_view to_string(RowStatus s) {
    switch (s) {
    case RowStatus::ok: return "ok";
    case RowStatus::waived: return "waived";
    case RowStatus::fault: return "fault";
    case RowStatus::error: return "error";
    }
    return "error";
}

RowStatus row_status_of(std::string_view text) {
    for (RowStatus s : {RowStatus::waived, RowStatus::fault, RowStatus::error}) {
        const std::string_view name = to_string(s);
        if (text.size() > name.size() && text.substr(0, name.size()) == name && text[name.size()] == ':') return s;
    }
    return text == "ok" ? RowStatus::ok : RowStatus::error;
}

std::string Measurement::status_text() const {
    if (status == RowStatus::ok) return "ok";
    return std::string(to_string(status)) + ": " + reason;
}

Latency summarize(std::vector<double> s) {
    Latency l;
    if (s.empty()) return l;
    std::sort(s.begin(), s.end());
    // Nearest-rank percentiles.
    auto pct = [&](double p) {
        size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size())));
        return s[std::clamp<size_t>(rank, 1, s.size()) - 1];
    };
    l.min_ns = s.front();
    l.max_ns = s.back();
    l.p50_ns = pct(50);
    l.p90_ns = pct(90);
    l.p99_ns = pct(99);
    double sum = 0;
    for (double v : s) sum += v;
    l.mean_ns = sum / static_cast<double>(s.size());
    return l;
}

KernelVersion parse_kernel_release(const std::string& release) {
    KernelVersion k;
    k.release = release;
    if (std::sscanf(release.c_str(), "%d.%d", &k.major, &k.minor) != 2) k.major = k.minor = 0;
    return k;
}

KernelVersion kernel_version() {
    struct utsname u {};
    if (uname(&u) != 0) return {};
    return parse_kernel_release(u.release);
}

std::optional<std::string> p2pmem_userspace_waiver(const KernelVersion& k) {
    if (k.major > 6 || (k.major == 6 && k.minor >= 2)) return std::nullopt;
    return "user-space p2pmem (mmap of sysfs p2pmem/allocate) needs Linux 6.2 or later; this kernel is " +
           (k.release.empty() ? std::string("unknown") : k.release);
}

const std::vector<std::string>& all_widths() {
    static const std::vector<std::string> all = {"1", "2", "4", "8", "16", "32", "64", "memcpy"};
    return all;
}

std::vector<std::string> expand_widths(const std::vector<std::string>& widths) {
    for (const auto& w : widths)
        if (w == "all") return all_widths();
    return widths;
}

std::string width_choices_text() {
    std::vector<std::string_view> names(all_widths().begin(), all_widths().end());
    names.push_back("all");
    return list_text(names, " or ");
}

}  // namespace p2pscope::xfer
