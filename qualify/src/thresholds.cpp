// SPDX-License-Identifier: GPL-2.0-or-later
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "p2pscope/input_file.hpp"
#include "p2pscope/json_text.hpp"
#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::qualify {

std::string to_string(const ClassPair& p) {
    return std::string(probe::to_string(p.a)) + "-" + std::string(probe::to_string(p.b));
}

namespace {

using nlohmann::json;
constexpr std::string_view kSchema = "p2pscope.qualify-thresholds/1";

std::string type_name(const json& j) {
    if (j.is_number()) return "a number";
    if (j.is_string()) return "a string";
    if (j.is_boolean()) return "a boolean";
    if (j.is_array()) return "an array";
    if (j.is_object()) return "an object";
    return "null";
}

// Reads one document; the first problem found is kept as the error.
class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}
    bool failed() const { return error_.has_value(); }
    Error error() const { return *error_; }

    void fail(const std::string& key, const std::string& problem) {
        if (!error_)
            error_ = make_error(Errc::bad_input,
                                origin_ + ": " + (key.empty() ? std::string("the document") : "key " + key) + ": " + problem);
    }
    // Every key of `obj` must be one of `known`.
    bool object(const json& obj, const std::string& key, std::initializer_list<std::string_view> known) {
        if (!obj.is_object()) {
            fail(key, "expected an object, got " + type_name(obj));
            return false;
        }
        for (const auto& [k, v] : obj.items()) {
            bool ok = false;
            for (auto name : known) ok = ok || k == name;
            if (!ok) {
                std::string list;
                for (auto name : known) list += (list.empty() ? "" : ", ") + std::string(name);
                fail(key.empty() ? k : key + "." + k, "unknown key (known here: " + list + ")");
                return false;
            }
        }
        return true;
    }
    // A number in [lo, hi] (lo excluded when open_lo).
    void number(const json& obj, const std::string& parent, const char* name, double lo, bool open_lo, double hi,
                double& out) {
        if (!obj.contains(name)) return;
        const std::string key = parent + "." + name;
        const json& v = obj.at(name);
        if (!v.is_number()) return fail(key, "expected a number, got " + type_name(v));
        const double d = v.get<double>();
        if (!std::isfinite(d) || (open_lo ? d <= lo : d < lo) || d > hi) {
            std::ostringstream os;
            os << "must be " << (open_lo ? "> " : ">= ") << lo << " and <= " << hi << ", got " << v.dump();
            return fail(key, os.str());
        }
        out = d;
    }
    void bytes(const json& obj, const std::string& parent, const char* name, uint64_t multiple, uint64_t& out) {
        if (!obj.contains(name)) return;
        const std::string key = parent + "." + name;
        const json& v = obj.at(name);
        if (!v.is_number_integer() || v.is_number_float())
            return fail(key, "expected a whole number of bytes, got " + (v.is_number() ? v.dump() : type_name(v)));
        if (v.is_number_unsigned() ? false : v.get<int64_t>() <= 0) return fail(key, "must be > 0, got " + v.dump());
        const uint64_t b = v.get<uint64_t>();
        if (b == 0 || b % multiple || b > (uint64_t{1} << 30))
            return fail(key, "must be a multiple of " + std::to_string(multiple) + " bytes up to 1 GiB, got " +
                                 v.dump());
        out = b;
    }
    std::vector<std::string> strings(const json& v, const std::string& key) {
        std::vector<std::string> out;
        if (!v.is_array()) {
            fail(key, "expected an array of strings, got " + type_name(v));
            return out;
        }
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string()) {
                fail(key + "[" + std::to_string(i) + "]", "expected a string, got " + type_name(v[i]));
                return {};
            }
            out.push_back(v[i].get<std::string>());
        }
        return out;
    }

private:
    std::string origin_;
    std::optional<Error> error_;
};

std::optional<probe::P2pdmaVerdict> parse_verdict(const std::string& s) {
    for (auto v : {probe::P2pdmaVerdict::BUS_ADDR, probe::P2pdmaVerdict::THRU_HOST_BRIDGE,
                   probe::P2pdmaVerdict::NOT_SUPPORTED})
        if (probe::to_string(v) == s) return v;
    return std::nullopt;
}

}  // namespace

Result<Thresholds> parse_thresholds(std::string_view text, const std::string& origin) {
    auto parsed = parse_json_text(text);
    if (!parsed) return make_error(Errc::bad_input, origin + ": " + parsed.error().message);
    json doc = std::move(*parsed);
    Thresholds t;
    Reader r(origin);
    if (!r.object(doc, "", {"schema", "p2p_class_pairs", "p2pdma", "map", "transfer", "iommu", "ats", "mps_mrrs",
                            "relaxed_ordering", "bar", "numa"}))
        return r.error();
    if (doc.contains("schema")) {
        const json& s = doc["schema"];
        if (!s.is_string()) r.fail("schema", "expected a string, got " + type_name(s));
        else if (s.get<std::string>() != kSchema)
            r.fail("schema", "expected \"" + std::string(kSchema) + "\", got " + s.dump());
    }
    if (doc.contains("p2p_class_pairs")) {
        t.p2p_class_pairs.clear();
        const auto names = r.strings(doc["p2p_class_pairs"], "p2p_class_pairs");
        for (size_t i = 0; i < names.size() && !r.failed(); ++i) {
            const std::string& n = names[i];
            const auto dash = n.find('-');
            auto a = dash == std::string::npos ? std::nullopt : probe::parse_device_class(n.substr(0, dash));
            auto b = dash == std::string::npos ? std::nullopt : probe::parse_device_class(n.substr(dash + 1));
            if (!a || !b)
                r.fail("p2p_class_pairs[" + std::to_string(i) + "]",
                       "'" + n + "' is not CLASS-CLASS (classes: gpu, nic, nvme, accel, other)");
            else
                t.p2p_class_pairs.push_back({*a, *b});
        }
    }
    if (doc.contains("p2pdma") && r.object(doc["p2pdma"], "p2pdma", {"allowed_verdicts"}) &&
        doc["p2pdma"].contains("allowed_verdicts")) {
        t.allowed_verdicts.clear();
        const auto names = r.strings(doc["p2pdma"]["allowed_verdicts"], "p2pdma.allowed_verdicts");
        for (size_t i = 0; i < names.size() && !r.failed(); ++i) {
            if (auto v = parse_verdict(names[i])) t.allowed_verdicts.push_back(*v);
            else
                r.fail("p2pdma.allowed_verdicts[" + std::to_string(i) + "]",
                       "'" + names[i] + "' is not BUS_ADDR, THRU_HOST_BRIDGE or NOT_SUPPORTED");
        }
    }
    if (doc.contains("map") && r.object(doc["map"], "map", {"p99_ns_max", "size_bytes", "seconds"})) {
        const json& m = doc["map"];
        r.number(m, "map", "p99_ns_max", 0, true, 1e12, t.map_p99_ns_max);
        r.bytes(m, "map", "size_bytes", 1, t.map_size_bytes);
        r.number(m, "map", "seconds", 0, true, 60, t.map_seconds);
    }
    if (doc.contains("transfer") &&
        r.object(doc["transfer"], "transfer", {"min_fraction_of_ceiling", "size_bytes", "seconds"})) {
        const json& x = doc["transfer"];
        r.number(x, "transfer", "min_fraction_of_ceiling", 0, true, 1, t.transfer_min_fraction);
        r.bytes(x, "transfer", "size_bytes", 4096, t.transfer_size_bytes);
        r.number(x, "transfer", "seconds", 0, true, 60, t.transfer_seconds);
    }
    auto classes = [&](const json& v, const std::string& key, std::vector<probe::DeviceClass>& out) {
        out.clear();
        const auto names = r.strings(v, key);
        for (size_t i = 0; i < names.size() && !r.failed(); ++i) {
            if (auto c = probe::parse_device_class(names[i])) out.push_back(*c);
            else r.fail(key + "[" + std::to_string(i) + "]", "'" + names[i] + "' is not gpu, nic, nvme, accel or other");
        }
    };
    if (doc.contains("iommu") && r.object(doc["iommu"], "iommu", {"allowed_domain_types"}) &&
        doc["iommu"].contains("allowed_domain_types")) {
        t.iommu_allowed_domains = r.strings(doc["iommu"]["allowed_domain_types"], "iommu.allowed_domain_types");
        for (size_t i = 0; i < t.iommu_allowed_domains.size() && !r.failed(); ++i) {
            const std::string& d = t.iommu_allowed_domains[i];
            if (d != "identity" && d != "DMA" && d != "DMA-FQ" && d != "unmanaged" && d != "blocked" && d != "off")
                r.fail("iommu.allowed_domain_types[" + std::to_string(i) + "]",
                       "'" + d + "' is not identity, DMA, DMA-FQ, unmanaged, blocked or off");
        }
    }
    if (doc.contains("ats") && r.object(doc["ats"], "ats", {"required_classes"}) && doc["ats"].contains("required_classes"))
        classes(doc["ats"]["required_classes"], "ats.required_classes", t.ats_required_classes);
    if (doc.contains("mps_mrrs") && r.object(doc["mps_mrrs"], "mps_mrrs", {"mrrs_min_bytes"}) &&
        doc["mps_mrrs"].contains("mrrs_min_bytes")) {
        r.bytes(doc["mps_mrrs"], "mps_mrrs", "mrrs_min_bytes", 128, t.mrrs_min_bytes);
        if (!r.failed() && (t.mrrs_min_bytes > 4096 || (t.mrrs_min_bytes & (t.mrrs_min_bytes - 1))))
            r.fail("mps_mrrs.mrrs_min_bytes", "must be a power of two from 128 to 4096");
    }
    if (doc.contains("relaxed_ordering") &&
        r.object(doc["relaxed_ordering"], "relaxed_ordering", {"required_classes", "forbidden_classes"})) {
        if (doc["relaxed_ordering"].contains("required_classes"))
            classes(doc["relaxed_ordering"]["required_classes"], "relaxed_ordering.required_classes",
                    t.relaxed_ordering_required);
        if (doc["relaxed_ordering"].contains("forbidden_classes"))
            classes(doc["relaxed_ordering"]["forbidden_classes"], "relaxed_ordering.forbidden_classes",
                    t.relaxed_ordering_forbidden);
    }
    if (doc.contains("bar") && r.object(doc["bar"], "bar", {"gpu_min_bytes", "resizable_at_largest"})) {
        const json& b = doc["bar"];
        if (b.contains("gpu_min_bytes")) {
            const json& v = b["gpu_min_bytes"];
            if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() == 0))
                r.fail("bar.gpu_min_bytes", "expected a whole number of bytes (0: no minimum), got " + v.dump());
            else t.gpu_bar_min_bytes = v.get<uint64_t>();
        }
        if (b.contains("resizable_at_largest")) {
            if (!b["resizable_at_largest"].is_boolean())
                r.fail("bar.resizable_at_largest", "expected a boolean, got " + type_name(b["resizable_at_largest"]));
            else t.resizable_bar_at_largest = b["resizable_at_largest"].get<bool>();
        }
    }
    if (doc.contains("numa") && r.object(doc["numa"], "numa", {"gpu_nic_worst_path"}) &&
        doc["numa"].contains("gpu_nic_worst_path")) {
        const json& v = doc["numa"]["gpu_nic_worst_path"];
        bool ok = false;
        for (auto p : {probe::PathClass::PIX, probe::PathClass::PXB, probe::PathClass::PHB, probe::PathClass::NODE,
                       probe::PathClass::SYS})
            if (v.is_string() && v.get<std::string>() == probe::to_string(p)) t.gpu_nic_worst_path = p, ok = true;
        if (!ok) r.fail("numa.gpu_nic_worst_path", "expected one of PIX, PXB, PHB, NODE, SYS, got " + v.dump());
    }
    if (r.failed()) return r.error();
    return t;
}

Result<Thresholds> load_thresholds(const std::string& path) {
    auto text = read_input_file(path, 1u << 20, "a thresholds file");
    if (!text) return text.error();
    return parse_thresholds(*text, path);
}

}  // namespace p2pscope::qualify
