// SPDX-License-Identifier: GPL-2.0-or-later
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "p2pscope/input_file.hpp"
#include "p2pscope/json_text.hpp"
#include "p2pscope/qualify/thresholds.hpp"
#include "check_table.hpp"
#include "thresholds_keys.hpp"

namespace p2pscope::qualify {

std::string to_string(const ClassPair& p) {
    return std::string(probe::to_string(p.a)) + "-" + std::string(probe::to_string(p.b));
}

using nlohmann::json;

namespace {
constexpr std::string_view kSchema = "p2pscope.qualify-thresholds/1";
}  // namespace

std::string ThresholdsReader::type_name(const json& j) {
    if (j.is_number()) return "a number";
    if (j.is_string()) return "a string";
    if (j.is_boolean()) return "a boolean";
    if (j.is_array()) return "an array";
    if (j.is_object()) return "an object";
    return "null";
}

void ThresholdsReader::fail(const std::string& key, const std::string& problem) {
    if (!error_)
        error_ = make_error(Errc::bad_input,
                            origin_ + ": " + (key.empty() ? std::string("the document") : "key " + key) + ": " + problem);
}

bool ThresholdsReader::object(const json& obj, const std::string& key, const std::vector<std::string_view>& known) {
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

void ThresholdsReader::number(const json& v, const std::string& key, double lo, bool open_lo, double hi, double& out) {
    if (!v.is_number()) return fail(key, "expected a number, got " + type_name(v));
    const double d = v.get<double>();
    if (!std::isfinite(d) || (open_lo ? d <= lo : d < lo) || d > hi) {
        std::ostringstream os;
        os << "must be " << (open_lo ? "> " : ">= ") << lo << " and <= " << hi << ", got " << v.dump();
        return fail(key, os.str());
    }
    out = d;
}

void ThresholdsReader::bytes(const json& v, const std::string& key, uint64_t multiple, uint64_t& out) {
    if (!v.is_number_integer() || v.is_number_float())
        return fail(key, "expected a whole number of bytes, got " + (v.is_number() ? v.dump() : type_name(v)));
    if (v.is_number_unsigned() ? false : v.get<int64_t>() <= 0) return fail(key, "must be > 0, got " + v.dump());
    const uint64_t b = v.get<uint64_t>();
    if (b == 0 || b % multiple || b > (uint64_t{1} << 30))
        return fail(key, "must be a multiple of " + std::to_string(multiple) + " bytes up to 1 GiB, got " + v.dump());
    out = b;
}

std::vector<std::string> ThresholdsReader::strings(const json& v, const std::string& key) {
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

void ThresholdsReader::classes(const json& v, const std::string& key, std::vector<probe::DeviceClass>& out) {
    out.clear();
    const auto names = strings(v, key);
    for (size_t i = 0; i < names.size() && !failed(); ++i) {
        if (auto c = probe::parse_device_class(names[i])) out.push_back(*c);
        else fail(key + "[" + std::to_string(i) + "]", "'" + names[i] + "' is not gpu, nic, nvme, accel or other");
    }
}

Result<Thresholds> parse_thresholds(std::string_view text, const std::string& origin) {
    auto parsed = parse_json_text(text);
    if (!parsed) return make_error(Errc::bad_input, origin + ": " + parsed.error().message);
    const json doc = std::move(*parsed);
    Thresholds t;
    ThresholdsReader r(origin);
    std::vector<std::string_view> top = {"schema", "p2p_class_pairs"};
    for (const auto& check : check_table())
        if (!check.thresholds.empty()) top.push_back(check.name);
    if (!r.object(doc, "", top)) return r.error();
    if (doc.contains("schema")) {
        const json& s = doc.at("schema");
        if (!s.is_string()) r.fail("schema", "expected a string, got " + ThresholdsReader::type_name(s));
        else if (s.get<std::string>() != kSchema)
            r.fail("schema", "expected \"" + std::string(kSchema) + "\", got " + s.dump());
    }
    if (doc.contains("p2p_class_pairs")) {
        t.p2p_class_pairs.clear();
        const auto names = r.strings(doc.at("p2p_class_pairs"), "p2p_class_pairs");
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
    // Each check's section, with the keys its entry in the check table declares.
    for (const auto& check : check_table()) {
        const std::string section(check.name);
        if (check.thresholds.empty() || !doc.contains(section)) continue;
        std::vector<std::string_view> keys;
        for (const auto& k : check.thresholds) keys.push_back(k.name);
        const json& values = doc.at(section);
        if (!r.object(values, section, keys)) continue;
        for (const auto& k : check.thresholds) {
            const std::string name(k.name);
            if (values.contains(name)) k.read(r, values.at(name), section + "." + name, t);
        }
    }
    if (r.failed()) return r.error();
    return t;
}

json thresholds_json(const Thresholds& t) {
    json out;
    json pairs = json::array();
    for (const auto& cp : t.p2p_class_pairs) pairs.push_back(to_string(cp));
    out["p2p_class_pairs"] = pairs;
    for (const auto& check : check_table())
        for (const auto& k : check.thresholds) out[std::string(check.name)][std::string(k.name)] = k.write(t);
    return out;
}

Result<Thresholds> load_thresholds(const std::string& path) {
    auto text = read_input_file(path, 1u << 20, "a thresholds file");
    if (!text) return text.error();
    return parse_thresholds(*text, path);
}

}  // namespace p2pscope::qualify
