// SPDX-License-Identifier: GPL-2.0-or-later
// What the exporter's unit tests share: temporary folders, fixtures, and a
// look into prometheus-cpp metric families.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>
#include "common/temp_dir.hpp"

namespace p2pscope::exporter::test {

inline const std::filesystem::path kFixtures = P2PSCOPE_FIXTURES;
inline const std::filesystem::path kSource = P2PSCOPE_SOURCE_DIR;
inline const std::string kDgx2 = (kFixtures / "hwloc-xml/nvidiaDGX2.xml").string();
inline const std::string kAsus = (kFixtures / "lspci-dump/tree-asus-p6t6").string();

using p2pscope::test::TempDir;

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

// The laptop sysfs snapshot with IOMMU groups, unpacked into dir; its root.
inline std::string unpack_sysfs_snapshot(const std::filesystem::path& dir) {
    const std::string cmd = "tar -xzf '" +
                            (kFixtures / "sysfs-snapshot/linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d.tar.gz").string() +
                            "' -C '" + dir.string() + "' 2>/dev/null";
    return std::system(cmd.c_str()) == 0 ? dir.string() : std::string();
}

inline const prometheus::MetricFamily* find_family(const std::vector<prometheus::MetricFamily>& fs, const std::string& name) {
    for (const auto& f : fs)
        if (f.name == name) return &f;
    return nullptr;
}

inline std::string label(const prometheus::ClientMetric& m, const std::string& name) {
    for (const auto& l : m.label)
        if (l.name == name) return l.value;
    return "<none>";
}

// The sample of `name` whose labels include all of `want`; null if none.
inline const prometheus::ClientMetric* find_metric(const std::vector<prometheus::MetricFamily>& fs, const std::string& name,
                                                   const std::vector<std::pair<std::string, std::string>>& want) {
    const auto* f = find_family(fs, name);
    if (!f) return nullptr;
    for (const auto& m : f->metric) {
        bool all = true;
        for (const auto& [k, v] : want) all &= label(m, k) == v;
        if (all) return &m;
    }
    return nullptr;
}

}  // namespace p2pscope::exporter::test
