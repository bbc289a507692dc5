// SPDX-License-Identifier: GPL-2.0-or-later
#include "bench_context.hpp"

#include <sys/utsname.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/report.hpp"

namespace p2pscope::bench {

namespace fs = std::filesystem;

std::string kernel_release() {
    utsname u{};
    if (::uname(&u) != 0) return "unknown";
    return u.release;
}

std::string cpu_model(const std::string& root) {
    const fs::path p = fs::path(root) / "proc/cpuinfo";
    std::ifstream in(p);
    if (!in) return "unknown (" + p.string() + " unreadable)";
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
        }
    return "unknown (no model name in " + p.string() + ")";
}

std::string iommu_mode(const std::string& root) {
    std::error_code ec;
    std::set<std::string> units;
    for (const auto& e : fs::directory_iterator(fs::path(root) / "sys/class/iommu", ec)) units.insert(e.path().filename());
    std::map<std::string, int> types;
    int groups = 0;
    for (const auto& g : fs::directory_iterator(fs::path(root) / "sys/kernel/iommu_groups", ec)) {
        ++groups;
        std::ifstream in(g.path() / "type");
        std::string t;
        if (in >> t) ++types[t];
        else ++types["(type unreadable)"];
    }
    if (units.empty()) {
        std::string s = "off: no IOMMU units in /sys/class/iommu";
        if (groups) s += " (" + std::to_string(groups) + " IOMMU groups without units)";
        return s;
    }
    std::string s = "on:";
    bool first = true;
    for (const auto& u : units) {
        s += (first ? " " : ", ") + u;
        first = false;
    }
    s += "; groups:";
    if (types.empty()) s += " none";
    first = true;
    for (const auto& [t, n] : types) {
        s += (first ? " " : ", ") + t + " x " + std::to_string(n);
        first = false;
    }
    return s;
}

std::string fnv1a64_hex(const std::string& text) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
    return buf;
}

Result<std::string> topology_hash(const probe::TopologyInput& input) {
    auto t = probe::load_topology(input);
    if (!t) return t.error();
    probe::PairSelection all;
    all.all_classes = true;
    auto selected = probe::select_functions(*t, all);
    if (!selected) return selected.error();
    const auto pairs = probe::analyse_pairs(*t, *selected);
    return fnv1a64_hex(probe::render_json(probe::Report{*t, *selected, pairs}));
}

}  // namespace p2pscope::bench
