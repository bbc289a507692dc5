// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the GUI's tests: the DGX-2's topology document and measurement
// records shaped as p2pscoped serves them. These are test inputs; the GUI
// itself never makes measurements up.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::gui::testdata {

inline nlohmann::json dgx2_topology() {
    static const nlohmann::json doc = [] {
        auto t = probe::load_hwloc_xml((std::filesystem::path(P2PSCOPE_FIXTURES) / "hwloc-xml/nvidiaDGX2.xml").string());
        auto selected = probe::select_functions(*t, {});
        const auto pairs = probe::analyse_pairs(*t, *selected);
        return nlohmann::json::parse(probe::render_json(probe::Report{*t, *selected, pairs}));
    }();
    return doc;
}

inline nlohmann::json latency(double p50) {
    return {{"count", 1000},      {"min_ns", p50 * 0.8}, {"p50_ns", p50},       {"p90_ns", p50 * 1.2},
            {"p99_ns", p50 * 1.5}, {"p999_ns", p50 * 2}, {"max_ns", p50 * 3}, {"mean_ns", p50 * 1.05}};
}

inline nlohmann::json map_measurement(const std::string& key, double finished, const std::string& device,
                                      const std::string& peer, double p50, const std::string& status = "ok",
                                      const std::string& reason = "") {
    nlohmann::json m{{"kind", "map"},
                     {"key", key},
                     {"finished_unix_s", finished},
                     {"status", status},
                     {"reason", reason},
                     {"device", device},
                     {"peer", peer.empty() ? nlohmann::json(nullptr) : nlohmann::json(peer)},
                     {"api", "map_single"},
                     {"memory", peer.empty() ? "ram" : "p2pmem"},
                     {"size_bytes", 4096},
                     {"direction", "bidirectional"}};
    if (status == "ok") {
        m["map"] = latency(p50);
        m["unmap"] = latency(p50 / 2);
    } else {
        m["map"] = nullptr;
        m["unmap"] = nullptr;
    }
    return m;
}

// `measurements` as given, even when it is not an array (error tests).
inline nlohmann::json snapshot_with(const nlohmann::json& measurements) {
    return {{"schema", "p2pscope.snapshot/1"},
            {"generated_unix_s", 1700000100},
            {"topology", dgx2_topology()},
            {"measurements", measurements}};
}

inline nlohmann::json snapshot(const std::vector<nlohmann::json>& measurements) {
    return snapshot_with(nlohmann::json(measurements));
}

}  // namespace p2pscope::gui::testdata
