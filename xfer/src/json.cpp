// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/xfer/json.hpp"

namespace p2pscope::xfer {

using nlohmann::json;

namespace {

json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
json bdf_or_null(const std::optional<probe::PciAddress>& a) { return a ? json(a->to_string()) : json(nullptr); }

}  // namespace

json request_json(const Request& q) {
    return {{"device", bdf_or_null(q.device)},
            {"peer", bdf_or_null(q.peer)},
            {"memory", q.memory},
            {"bar", q.bar >= 0 ? json(q.bar) : json(nullptr)},
            {"file", str_or_null(q.file)},
            {"direction", q.direction},
            {"widths", q.widths},
            {"size_bytes", q.size},
            {"offset_bytes", q.offset},
            {"queue_depth", q.queue_depth},
            {"iterations", q.iterations},
            {"seconds", q.seconds},
            {"block", str_or_null(q.block)},
            {"span_bytes", q.span},
            {"verify", q.verify},
            {"source_block", str_or_null(q.source_block)},
            {"destination_block", str_or_null(q.destination_block)},
            {"fault_test", q.fault_test}};
}

json path_json(const PathInfo& p) {
    return {{"bdfs", p.bdfs},
            {"path_class", str_or_null(p.path_class)},
            {"path_note", str_or_null(p.path_note)},
            {"p2pdma_verdict", str_or_null(p.p2pdma_verdict)},
            {"p2pdma_reason", str_or_null(p.p2pdma_reason)},
            {"link_ceiling_bytes_per_s", p.ceiling_bytes_per_s ? json(*p.ceiling_bytes_per_s) : json(nullptr)},
            {"link_ceiling_link", str_or_null(p.ceiling_link)},
            {"link_ceiling_note", p.ceiling_note}};
}

json measurement_json(const Measurement& m, std::optional<double> ceiling) {
    const bool fraction = ceiling && *ceiling > 0 && m.transfers > 0;
    return {{"label", m.label},
            {"status", m.status_text()},
            {"transfer_bytes", m.transfer_bytes},
            {"transfers", m.transfers},
            {"seconds", m.seconds},
            {"bytes_per_second", m.bytes_per_second},
            {"fraction_of_link_ceiling", fraction ? json(m.bytes_per_second / *ceiling) : json(nullptr)},
            {"latency_ns",
             {{"min", m.latency.min_ns},
              {"p50", m.latency.p50_ns},
              {"p90", m.latency.p90_ns},
              {"p99", m.latency.p99_ns},
              {"max", m.latency.max_ns},
              {"mean", m.latency.mean_ns}}},
            {"verified", m.verified ? json(*m.verified) : json(nullptr)},
            {"verify_detail", str_or_null(m.verify_detail)}};
}

}  // namespace p2pscope::xfer
