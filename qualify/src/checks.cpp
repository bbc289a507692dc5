// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <cstdio>

#include "p2pscope/qualify/checks.hpp"

namespace p2pscope::qualify {

std::string_view to_string(Outcome o) {
    switch (o) {
    case Outcome::pass: return "pass";
    case Outcome::fail: return "fail";
    case Outcome::waived: return "waived";
    }
    return "waived";
}

namespace {

CheckResult result(Outcome o, std::string reason) {
    CheckResult r;
    r.outcome = o;
    r.reason = std::move(reason);
    return r;
}

std::string verdict_list(const std::vector<probe::P2pdmaVerdict>& vs) {
    std::string s;
    for (auto v : vs) s += (s.empty() ? "" : ", ") + std::string(probe::to_string(v));
    return s.empty() ? "none" : s;
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string speed_width(std::optional<double> speed, std::optional<int> width) {
    std::string s = speed ? fmt("%g GT/s", *speed) : "? GT/s";
    return s + " x" + (width ? std::to_string(*width) : "?");
}

std::optional<double> min_known(std::optional<double> a, std::optional<double> b) {
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}
std::optional<int> min_known(std::optional<int> a, std::optional<int> b) {
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
}

bool is_switch_internal(const probe::Topology& t, const probe::PciFunction& below, const probe::PciFunction& above) {
    for (const auto& sw : t.switches)
        if (sw.upstream == above.address &&
            std::find(sw.downstream.begin(), sw.downstream.end(), below.address) != sw.downstream.end())
            return true;
    return false;
}

}  // namespace

std::vector<const probe::PciFunction*> upstream_chain(const probe::Topology& t, const probe::PciFunction& f) {
    std::vector<const probe::PciFunction*> out;
    const probe::PciFunction* cur = &f;
    if (f.physfn)
        if (const auto* pf = t.find(*f.physfn)) cur = pf;
    for (int depth = 0; cur && depth < 64; ++depth) {
        out.push_back(cur);
        cur = t.upstream_bridge(*cur);
    }
    return out;
}

CheckResult check_p2pdma(const Thresholds& t, const probe::P2pdmaResult& v) {
    const std::string name(probe::to_string(v.verdict));
    if (v.verdict == probe::P2pdmaVerdict::unknown)
        return result(Outcome::waived, "verdict unknown: " + v.reason);
    const bool allowed = std::find(t.allowed_verdicts.begin(), t.allowed_verdicts.end(), v.verdict) !=
                         t.allowed_verdicts.end();
    if (!allowed)
        return result(Outcome::fail,
                      name + " (allowed: " + verdict_list(t.allowed_verdicts) + "): " + v.reason);
    return result(Outcome::pass,
                  name + (v.distance ? " distance " + std::to_string(*v.distance) : std::string()));
}

std::vector<LinkOnPath> links_on_path(const probe::Topology& t, const probe::PciFunction& a,
                                      const probe::PciFunction& b) {
    const auto ca = upstream_chain(t, a);
    const auto cb = upstream_chain(t, b);
    std::vector<LinkOnPath> out;
    auto add_side = [&](const std::vector<const probe::PciFunction*>& mine,
                        const std::vector<const probe::PciFunction*>& other) {
        for (const auto* f : mine) {
            if (std::find(other.begin(), other.end(), f) != other.end()) break;  // the common bridge
            if (!f->parent) continue;  // on a root bus: no link above it
            const probe::PciFunction* up = t.find(*f->parent);
            if (up && is_switch_internal(t, *f, *up)) continue;
            out.push_back({f, up});
        }
    };
    add_side(ca, cb);
    add_side(cb, ca);
    return out;
}

CheckResult check_links(const std::vector<LinkOnPath>& links) {
    if (links.empty())
        return result(Outcome::waived, "no PCIe link on the path (root-complex integrated functions)");
    std::string degraded, unknown;
    int good = 0;
    for (const auto& l : links) {
        const probe::Link& f = l.below->link;
        const probe::Link* p = l.above ? &l.above->link : nullptr;
        const auto speed = f.speed_gts ? f.speed_gts : (p ? p->speed_gts : std::nullopt);
        const auto width = f.width ? f.width : (p ? p->width : std::nullopt);
        const auto cap_speed = min_known(f.max_speed_gts, p ? p->max_speed_gts : std::nullopt);
        const auto cap_width = min_known(f.max_width, p ? p->max_width : std::nullopt);
        const std::string name = l.below->address.to_string() +
                                 (l.above ? " <-> " + l.above->address.to_string() : std::string(" (port above not in the input)"));
        const bool slow = speed && cap_speed && *speed + 1e-9 < *cap_speed;
        const bool narrow = width && cap_width && *width < *cap_width;
        if (slow || narrow) {
            degraded += (degraded.empty() ? "" : "; ") + name + " at " + speed_width(speed, width) +
                        (l.above ? ", both ends capable of " : ", capable of ") + speed_width(cap_speed, cap_width);
        } else if (speed && cap_speed && width && cap_width) {
            ++good;
        } else {
            unknown += (unknown.empty() ? "" : ", ") + name;
        }
    }
    if (!degraded.empty()) return result(Outcome::fail, "degraded link: " + degraded);
    if (!unknown.empty())
        return result(Outcome::waived, "link speed or width not in the input for " + unknown);
    return result(Outcome::pass,
                  std::to_string(good) + (good == 1 ? " link" : " links") + " at the speed and width both ends support");
}

CheckResult check_map(const Thresholds& t, const Measurement& m) {
    if (const auto* why = std::get_if<std::string>(&m)) return result(Outcome::waived, *why);
    if (const auto* f = std::get_if<RunFailed>(&m)) return result(Outcome::fail, f->reason);
    const auto& v = std::get<Measured>(m);
    const bool ok = v.value <= t.map_p99_ns_max;
    auto r = result(ok ? Outcome::pass : Outcome::fail,
                    "map p99 " + fmt("%.0f ns", v.value) + (ok ? " <= " : " > ") + fmt("%.0f ns", t.map_p99_ns_max) +
                        (v.detail.empty() ? "" : " (" + v.detail + ")"));
    r.measured = v.value;
    r.limit = t.map_p99_ns_max;
    r.unit = "ns";
    return r;
}

CheckResult check_transfer(const Thresholds& t, const Measurement& m, std::optional<double> ceiling,
                           const std::string& ceiling_link) {
    if (const auto* why = std::get_if<std::string>(&m)) return result(Outcome::waived, *why);
    if (const auto* f = std::get_if<RunFailed>(&m)) return result(Outcome::fail, f->reason);
    const auto& v = std::get<Measured>(m);
    if (!ceiling || *ceiling <= 0)
        return result(Outcome::waived,
                      "measured " + fmt("%.3g GB/s", v.value / 1e9) +
                          " but the link ceiling is unknown: the links' negotiated speed or width is not known");
    const double fraction = v.value / *ceiling;
    const bool ok = fraction >= t.transfer_min_fraction;
    auto r = result(ok ? Outcome::pass : Outcome::fail,
                    fmt("%.3g GB/s", v.value / 1e9) + " = " + fmt("%.1f%%", fraction * 100) + " of the " +
                        fmt("%.3g GB/s", *ceiling / 1e9) + " ceiling of " + ceiling_link + (ok ? ", at least " : ", below ") +
                        fmt("%.0f%%", t.transfer_min_fraction * 100) + (v.detail.empty() ? "" : " (" + v.detail + ")"));
    r.measured = fraction;
    r.limit = t.transfer_min_fraction;
    r.unit = "fraction of link ceiling";
    return r;
}

}  // namespace p2pscope::qualify
