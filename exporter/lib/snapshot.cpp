// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/exporter/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace p2pscope::exporter {

std::string render_snapshot_json(const Snapshot& s) {
    nlohmann::json measurements = nlohmann::json::array();
    for (const auto& r : s.measurements) measurements.push_back(snapshot_entry(*r));
    // The topology is spliced in as rendered: byte for byte `p2pscope topo --format json`.
    std::string out;
    const std::string m = measurements.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string& topo = s.topology ? s.topology->json : std::string("null");
    out.reserve(topo.size() + m.size() + 128);
    out += "{\"schema\":\"";
    out += kSnapshotSchema;
    out += "\",\"generated_unix_s\":";
    out += nlohmann::json(s.generated_unix_s).dump();
    out += ",\"boot_id\":";
    out += s.boot_id.empty() ? std::string("null") : nlohmann::json(s.boot_id).dump();
    out += ",\"topology\":";
    out += topo.empty() ? std::string("null") : topo;
    out += ",\"measurements\":";
    out += m;
    out += "}\n";
    return out;
}

}  // namespace p2pscope::exporter
