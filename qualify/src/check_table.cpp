// SPDX-License-Identifier: GPL-2.0-or-later
// Every check qualify runs on a pair, each declared once, in the order reports
// list them: its name, how it runs on a pair (its function is in checks.cpp or
// fact_checks.cpp) and the keys of its section of the thresholds file, each
// with how it is read and written back. Adding a check is its function, its
// entry here, its Thresholds fields with their defaults (thresholds.hpp, the
// shipped thresholds.json) and its rows in docs/qualify.md.
#include "check_table.hpp"

#include <cstdio>
#include <string>


namespace p2pscope::qualify {

namespace {

using nlohmann::json;
using Found = std::optional<CheckResult>;

std::string element(const std::string& key, size_t i) { return key + "[" + std::to_string(i) + "]"; }

json class_names(const std::vector<probe::DeviceClass>& classes) {
    json out = json::array();
    for (auto c : classes) out.push_back(std::string(probe::to_string(c)));
    return out;
}

std::optional<probe::P2pdmaVerdict> parse_verdict(const std::string& s) {
    for (auto v : {probe::P2pdmaVerdict::BUS_ADDR, probe::P2pdmaVerdict::THRU_HOST_BRIDGE,
                   probe::P2pdmaVerdict::NOT_SUPPORTED})
        if (probe::to_string(v) == s) return v;
    return std::nullopt;
}

// The narrowest link on the path: the most data can move between the two.
void path_ceiling(const std::vector<LinkOnPath>& links, std::optional<double>& ceiling, std::string& where) {
    ceiling.reset();
    for (const auto& l : links) {
        const auto& f = l.below->link;
        const auto speed = f.speed_gts ? f.speed_gts : (l.above ? l.above->link.speed_gts : std::nullopt);
        const auto width = f.width ? f.width : (l.above ? l.above->link.width : std::nullopt);
        if (!speed || !width) {
            ceiling.reset();
            return;
        }
        const double c = probe::link_ceiling_bytes_per_s(*speed, *width);
        if (!ceiling || c < *ceiling) {
            ceiling = c;
            char buf[96];
            std::snprintf(buf, sizeof buf, "%g GT/s x%d at %s", *speed, *width, l.below->address.to_string().c_str());
            where = buf;
        }
    }
}

Found run_transfer(const PairContext& c) {
    std::optional<double> ceiling;
    std::string where;
    path_ceiling(c.links, ceiling, where);
    const auto& m = c.measurers;
    return check_transfer(c.thresholds,
                          m.transfer ? m.transfer->bytes_per_second(c.topology, c.a, c.b, c.thresholds)
                                     : Measurement{m.transfer_waiver},
                          ceiling, where);
}

// Keys read by one of ThresholdsReader's kinds into one field, written back as it is.
template <double Thresholds::*Field, double Lo, bool OpenLo, double Hi>
constexpr ThresholdKey number_key(std::string_view name) {
    return {name,
            [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
                r.number(v, key, Lo, OpenLo, Hi, t.*Field);
            },
            [](const Thresholds& t) { return json(t.*Field); }};
}

template <uint64_t Thresholds::*Field, uint64_t Multiple>
constexpr ThresholdKey bytes_key(std::string_view name) {
    return {name,
            [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
                r.bytes(v, key, Multiple, t.*Field);
            },
            [](const Thresholds& t) { return json(t.*Field); }};
}

template <std::vector<probe::DeviceClass> Thresholds::*Field>
constexpr ThresholdKey classes_key(std::string_view name) {
    return {name,
            [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
                r.classes(v, key, t.*Field);
            },
            [](const Thresholds& t) { return class_names(t.*Field); }};
}

constexpr ThresholdKey kP2pdmaKeys[] = {
    {"allowed_verdicts",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         t.allowed_verdicts.clear();
         const auto names = r.strings(v, key);
         for (size_t i = 0; i < names.size() && !r.failed(); ++i) {
             if (auto verdict = parse_verdict(names[i])) t.allowed_verdicts.push_back(*verdict);
             else r.fail(element(key, i), "'" + names[i] + "' is not BUS_ADDR, THRU_HOST_BRIDGE or NOT_SUPPORTED");
         }
     },
     [](const Thresholds& t) {
         json out = json::array();
         for (auto v : t.allowed_verdicts) out.push_back(std::string(probe::to_string(v)));
         return out;
     }},
};

constexpr ThresholdKey kIommuKeys[] = {
    {"allowed_domain_types",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         t.iommu_allowed_domains = r.strings(v, key);
         for (size_t i = 0; i < t.iommu_allowed_domains.size() && !r.failed(); ++i) {
             const std::string& d = t.iommu_allowed_domains[i];
             if (d != "identity" && d != "DMA" && d != "DMA-FQ" && d != "unmanaged" && d != "blocked" && d != "off")
                 r.fail(element(key, i), "'" + d + "' is not identity, DMA, DMA-FQ, unmanaged, blocked or off");
         }
     },
     [](const Thresholds& t) { return json(t.iommu_allowed_domains); }},
};

constexpr ThresholdKey kAtsKeys[] = {classes_key<&Thresholds::ats_required_classes>("required_classes")};

constexpr ThresholdKey kMpsMrrsKeys[] = {
    {"mrrs_min_bytes",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         r.bytes(v, key, 128, t.mrrs_min_bytes);
         if (!r.failed() && (t.mrrs_min_bytes > 4096 || (t.mrrs_min_bytes & (t.mrrs_min_bytes - 1))))
             r.fail(key, "must be a power of two from 128 to 4096");
     },
     [](const Thresholds& t) { return json(t.mrrs_min_bytes); }},
};

constexpr ThresholdKey kRelaxedOrderingKeys[] = {
    classes_key<&Thresholds::relaxed_ordering_required>("required_classes"),
    classes_key<&Thresholds::relaxed_ordering_forbidden>("forbidden_classes"),
};

constexpr ThresholdKey kBarKeys[] = {
    {"gpu_min_bytes",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() == 0))
             r.fail(key, "expected a whole number of bytes (0: no minimum), got " + v.dump());
         else t.gpu_bar_min_bytes = v.get<uint64_t>();
     },
     [](const Thresholds& t) { return json(t.gpu_bar_min_bytes); }},
    {"resizable_at_largest",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         if (!v.is_boolean()) r.fail(key, "expected a boolean, got " + ThresholdsReader::type_name(v));
         else t.resizable_bar_at_largest = v.get<bool>();
     },
     [](const Thresholds& t) { return json(t.resizable_bar_at_largest); }},
};

constexpr ThresholdKey kNumaKeys[] = {
    {"gpu_nic_worst_path",
     [](ThresholdsReader& r, const json& v, const std::string& key, Thresholds& t) {
         bool ok = false;
         for (auto p : {probe::PathClass::PIX, probe::PathClass::PXB, probe::PathClass::PHB, probe::PathClass::NODE,
                        probe::PathClass::SYS})
             if (v.is_string() && v.get<std::string>() == probe::to_string(p)) t.gpu_nic_worst_path = p, ok = true;
         if (!ok) r.fail(key, "expected one of PIX, PXB, PHB, NODE, SYS, got " + v.dump());
     },
     [](const Thresholds& t) { return json(std::string(probe::to_string(t.gpu_nic_worst_path))); }},
};

constexpr ThresholdKey kMapKeys[] = {
    number_key<&Thresholds::map_p99_ns_max, 0.0, true, 1e12>("p99_ns_max"),
    bytes_key<&Thresholds::map_size_bytes, 1>("size_bytes"),
    number_key<&Thresholds::map_seconds, 0.0, true, 60.0>("seconds"),
};

constexpr ThresholdKey kTransferKeys[] = {
    number_key<&Thresholds::transfer_min_fraction, 0.0, true, 1.0>("min_fraction_of_ceiling"),
    bytes_key<&Thresholds::transfer_size_bytes, 4096>("size_bytes"),
    number_key<&Thresholds::transfer_seconds, 0.0, true, 60.0>("seconds"),
};

constexpr CheckDefinition kChecks[] = {
    {.name = "p2pdma",
     .thresholds = kP2pdmaKeys,
     .run = [](const PairContext& c) -> Found { return check_p2pdma(c.thresholds, c.pair.p2pdma); }},
    {.name = "links", .run = [](const PairContext& c) -> Found { return check_links(c.links); }},
    {.name = "acs", .run = [](const PairContext& c) { return check_acs(c.topology, c.a, c.b); }},
    {.name = "iommu",
     .thresholds = kIommuKeys,
     .run = [](const PairContext& c) -> Found { return check_iommu(c.thresholds, c.topology, c.a, c.b); }},
    {.name = "ats",
     .thresholds = kAtsKeys,
     .run = [](const PairContext& c) { return check_ats(c.thresholds, c.topology, c.a, c.b); }},
    {.name = "mps_mrrs",
     .thresholds = kMpsMrrsKeys,
     .run = [](const PairContext& c) -> Found { return check_mps_mrrs(c.thresholds, c.links, c.a, c.b); }},
    {.name = "relaxed_ordering",
     .thresholds = kRelaxedOrderingKeys,
     .run = [](const PairContext& c) { return check_relaxed_ordering(c.thresholds, c.a, c.b); }},
    {.name = "bar", .thresholds = kBarKeys, .run = [](const PairContext& c) { return check_bar(c.thresholds, c.a, c.b); }},
    {.name = "numa",
     .thresholds = kNumaKeys,
     .run = [](const PairContext& c) { return check_numa(c.thresholds, c.pair, c.a, c.b); }},
    {.name = "map",
     .measures = true,
     .thresholds = kMapKeys,
     .run = [](const PairContext& c) -> Found {
         const auto& m = c.measurers;
         return check_map(c.thresholds, m.map ? m.map->map_p99_ns(c.topology, c.a, c.b, c.thresholds)
                                              : Measurement{m.map_waiver});
     }},
    {.name = "transfer", .measures = true, .thresholds = kTransferKeys, .run = run_transfer},
    {.name = "aer",
     .run = [](const PairContext& c) -> Found {
         return check_aer(c.topology, c.a, c.b, c.aer_before, c.aer_after);
     }},
};

}  // namespace

std::span<const CheckDefinition> check_table() { return kChecks; }

std::vector<std::string_view> check_names() {
    std::vector<std::string_view> out;
    for (const auto& c : kChecks) out.push_back(c.name);
    return out;
}

}  // namespace p2pscope::qualify
