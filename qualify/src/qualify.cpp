// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>

#include "p2pscope/qualify/qualify.hpp"
#include "check_table.hpp"

namespace p2pscope::qualify {

std::string_view to_string(Verdict v) {
    switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::pass_with_waivers: return "pass_with_waivers";
    case Verdict::fail: return "fail";
    case Verdict::nothing_checked: return "nothing_checked";
    }
    return "nothing_checked";
}

int PairReport::count(Outcome o) const {
    int n = 0;
    for (const auto& c : checks) n += c.outcome == o;
    return n;
}

Outcome PairReport::outcome() const {
    if (count(Outcome::fail)) return Outcome::fail;
    if (count(Outcome::pass)) return Outcome::pass;
    return Outcome::waived;
}

int Report::checks(Outcome o) const {
    int n = 0;
    for (const auto& p : pairs) n += p.count(o);
    return n;
}

int Report::pairs_with(Outcome o) const {
    int n = 0;
    for (const auto& p : pairs) n += p.outcome() == o;
    return n;
}

Verdict Report::verdict() const {
    if (checks(Outcome::fail) || (baseline && !baseline->differences.empty())) return Verdict::fail;
    if (!checks(Outcome::pass) && !baseline) return Verdict::nothing_checked;
    return checks(Outcome::waived) ? Verdict::pass_with_waivers : Verdict::pass;
}

Result<std::vector<probe::Pair>> select_pairs(const probe::Topology& t, const std::vector<probe::PciAddress>& devices,
                                              const Thresholds& th, const probe::VerdictOptions& verdict) {
    probe::PairSelection selection;
    selection.devices = devices;
    if (devices.empty()) {
        if (th.p2p_class_pairs.empty()) return std::vector<probe::Pair>{};
        for (const auto& cp : th.p2p_class_pairs)
            for (auto c : {cp.a, cp.b})
                if (std::find(selection.classes.begin(), selection.classes.end(), c) == selection.classes.end())
                    selection.classes.push_back(c);
    }
    auto selected = probe::select_functions(t, selection);
    if (!selected) return selected.error();
    auto pairs = probe::analyse_pairs(t, *selected, verdict);
    if (!devices.empty()) return pairs;  // the user named them: every pair is meant for P2P
    std::vector<probe::Pair> out;
    for (auto& p : pairs) {
        const auto ca = probe::classify(*t.find(p.a));
        const auto cb = probe::classify(*t.find(p.b));
        for (const auto& cp : th.p2p_class_pairs)
            if (cp.matches(ca, cb)) {
                out.push_back(std::move(p));
                break;
            }
    }
    return out;
}

Report run(const probe::Topology& t, const std::vector<probe::Pair>& pairs, const Thresholds& th,
           const Measurers& m, const ProgressFn& progress, const std::function<bool()>& stop) {
    Report r;
    r.source = t.source;
    r.thresholds = th;
    const auto table = check_table();
    const auto measures = [](const CheckDefinition& c) { return c.measures; };
    const auto first_measuring = std::find_if(table.begin(), table.end(), measures);
    const auto after_measuring = std::find_if(table.rbegin(), table.rend(), measures).base();  // past the last one
    for (const auto& p : pairs) {
        if (stop && stop()) {
            r.stopped = true;
            break;
        }
        if (progress) progress({r.pairs.size(), pairs.size(), &p, nullptr});
        const probe::PciFunction& a = *t.find(p.a);
        const probe::PciFunction& b = *t.find(p.b);
        PairReport pr;
        pr.pair = p;
        pr.classes = std::string(probe::to_string(probe::classify(a))) + "-" +
                     std::string(probe::to_string(probe::classify(b)));
        const auto links = links_on_path(t, a, b);
        // AER counters around this pair's measurements: an error they cause is this pair's.
        std::vector<probe::PciAddress> path;
        for (const auto* end : {&a, &b})
            for (const auto* f : upstream_chain(t, *end))
                if (std::find(path.begin(), path.end(), f->address) == path.end()) path.push_back(f->address);
        std::optional<AerSnapshot> aer_before, aer_after;
        PairContext context{t, p, a, b, links, th, m};
        for (auto check = table.begin(); check != table.end(); ++check) {
            if (check == first_measuring && m.read_aer) context.aer_before = &aer_before.emplace(m.read_aer(path));
            if (auto c = check->run(context)) {
                c->check = check->name;
                pr.checks.push_back(std::move(*c));
            }
            if (check + 1 == after_measuring && m.read_aer) context.aer_after = &aer_after.emplace(m.read_aer(path));
        }
        r.pairs.push_back(std::move(pr));
        if (progress) progress({r.pairs.size() - 1, pairs.size(), &p, &r.pairs.back()});
    }
    return r;
}

}  // namespace p2pscope::qualify
