// SPDX-License-Identifier: GPL-2.0-or-later
// The topology view read back from p2pscope.topo/1 JSON (`p2pscope topo
// --format json`, or a file saved from it): the same view the prober's own
// topology gives, so the GUI can show a machine it does not run on.
#include <limits>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "p2pscope/gui/view_model.hpp"
#include "p2pscope/json_text.hpp"

namespace p2pscope::gui {

using nlohmann::json;

namespace {

// Thrown inside the reader only; turned into an Error at its boundary.
struct BadKey {
    std::string message;
};

const char* type_name(const json& j) { return j.type_name(); }

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw BadKey{path + ": " + what}; }

const json& member(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path.empty() ? key : path + "." + key, "missing");
    return *it;
}

std::string sub(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

std::string get_string(const json& obj, const char* key, const std::string& path) {
    const json& j = member(obj, key, path);
    if (!j.is_string()) fail(sub(path, key), std::string("expected a string, found ") + type_name(j));
    return j.get<std::string>();
}

bool get_bool(const json& obj, const char* key, const std::string& path) {
    const json& j = member(obj, key, path);
    if (!j.is_boolean()) fail(sub(path, key), std::string("expected true or false, found ") + type_name(j));
    return j.get<bool>();
}

template <class Int>
Int to_int(const json& j, const std::string& where) {
    if (!j.is_number_integer()) fail(where, std::string("expected an integer, found ") + type_name(j));
    if (j.is_number_unsigned()) {
        const auto u = j.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) fail(where, "out of range");
        return static_cast<Int>(u);
    }
    const auto s = j.get<int64_t>();
    if constexpr (std::is_unsigned_v<Int>) {
        if (s < 0) fail(where, "must not be negative");
        if (static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<Int>::max())) fail(where, "out of range");
    } else {
        if (s < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
            s > static_cast<int64_t>(std::numeric_limits<Int>::max()))
            fail(where, "out of range");
    }
    return static_cast<Int>(s);
}

template <class Int>
Int get_int(const json& obj, const char* key, const std::string& path) {
    return to_int<Int>(member(obj, key, path), sub(path, key));
}

// A key that may be null or, as later schema revisions may drop it, absent.
std::optional<int> opt_int(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    return to_int<int>(*it, sub(path, key));
}

std::optional<double> opt_double(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) fail(sub(path, key), std::string("expected a number, found ") + type_name(*it));
    return it->get<double>();
}

std::optional<bool> opt_bool(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) fail(sub(path, key), std::string("expected true, false or null, found ") + type_name(*it));
    return it->get<bool>();
}

std::optional<std::string> opt_string(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) fail(sub(path, key), std::string("expected a string or null, found ") + type_name(*it));
    return it->get<std::string>();
}

const json* opt_object(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object()) fail(sub(path, key), std::string("expected an object or null, found ") + type_name(*it));
    return &*it;
}

const json& get_array(const json& obj, const char* key, const std::string& path) {
    const json& j = member(obj, key, path);
    if (!j.is_array()) fail(sub(path, key), std::string("expected an array, found ") + type_name(j));
    return j;
}

uint16_t get_hex16(const json& obj, const char* key, const std::string& path) {
    const std::string s = get_string(obj, key, path);
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        fail(sub(path, key), "'" + s + "' is not 4 hex digits");
    return static_cast<uint16_t>(std::stoul(s, nullptr, 16));
}

std::string idx(const char* array, size_t i) { return std::string(array) + "[" + std::to_string(i) + "]"; }

DeviceView read_device(const json& j, const std::string& p) {
    if (!j.is_object()) fail(p, std::string("expected an object, found ") + type_name(j));
    DeviceView d;
    d.bdf = get_string(j, "bdf", p);
    if (!probe::PciAddress::parse(d.bdf)) fail(sub(p, "bdf"), "'" + d.bdf + "' is not a PCI address");
    d.vendor_id = get_string(j, "vendor_id", p);
    d.device_id = get_string(j, "device_id", p);
    d.class_code = get_string(j, "class", p);
    d.kind = get_string(j, "kind", p);
    d.vendor = get_string(j, "vendor", p);
    d.name = get_string(j, "name", p);
    d.selected = get_bool(j, "selected", p);
    d.parent = opt_string(j, "parent", p).value_or("");
    d.host_bridge = get_string(j, "host_bridge", p);
    d.numa_node = opt_int(j, "numa_node", p);
    d.package = opt_int(j, "package", p);
    d.bridge = get_bool(j, "bridge", p);
    if (const json* buses = opt_object(j, "buses", p)) {
        d.secondary_bus = opt_int(*buses, "secondary", sub(p, "buses"));
        d.subordinate_bus = opt_int(*buses, "subordinate", sub(p, "buses"));
    }
    d.port_type = opt_string(j, "port_type", p);
    d.config_bytes = get_int<unsigned>(j, "config_bytes", p);
    if (const json* l = opt_object(j, "link", p)) {
        const std::string lp = sub(p, "link");
        d.link.speed_gts = opt_double(*l, "speed_gts", lp);
        d.link.width = opt_int(*l, "width", lp);
        d.link.max_speed_gts = opt_double(*l, "max_speed_gts", lp);
        d.link.max_width = opt_int(*l, "max_width", lp);
        d.link.bandwidth_gbps = opt_double(*l, "bandwidth_gbps", lp);
        d.link.degraded = opt_bool(*l, "degraded", lp);
    }
    if (const json* a = opt_object(j, "acs", p)) {
        const std::string ap = sub(p, "acs");
        AcsView acs;
        acs.capability = get_hex16(*a, "capability", ap);
        acs.control = get_hex16(*a, "control", ap);
        acs.control_bits = get_string(*a, "control_bits", ap);
        acs.redirect = get_bool(*a, "redirect", ap);
        d.acs = std::move(acs);
    }
    d.acs_known = get_bool(j, "acs_known", p);
    d.ats_enabled = opt_bool(j, "ats_enabled", p);
    d.mps_bytes = opt_int(j, "mps_bytes", p);
    d.mrrs_bytes = opt_int(j, "mrrs_bytes", p);
    if (const json* s = opt_object(j, "sriov", p))
        d.sriov = SriovView{get_int<int>(*s, "total_vfs", sub(p, "sriov")), get_int<int>(*s, "num_vfs", sub(p, "sriov"))};
    d.physfn = opt_string(j, "physfn", p).value_or("");
    d.iommu_group = opt_int(j, "iommu_group", p);
    d.iommu_domain_type = opt_string(j, "iommu_domain_type", p);
    if (const json* m = opt_object(j, "p2pmem", p)) {
        const std::string mp = sub(p, "p2pmem");
        d.p2pmem = P2pmemView{get_int<uint64_t>(*m, "size_bytes", mp), get_int<uint64_t>(*m, "available_bytes", mp),
                              get_bool(*m, "published", mp)};
    }
    d.driver = opt_string(j, "driver", p);
    return d;
}

TopologyView read_topology(const json& doc) {
    if (!doc.is_object()) fail("topology", std::string("expected an object, found ") + type_name(doc));
    const std::string schema = get_string(doc, "schema", "");
    if (schema != "p2pscope.topo/1")
        fail("schema", "'" + schema + "' is not p2pscope.topo/1 (a newer p2pscope wrote it?)");
    TopologyView v;
    v.source = get_string(doc, "source", "");
    if (const json* c = opt_object(doc, "cpu", "")) {
        v.cpu = CpuView{get_string(*c, "vendor", "cpu"), opt_int(*c, "family", "cpu"),
                        opt_string(*c, "model", "cpu").value_or("")};
    }
    v.packages = opt_int(doc, "packages", "");
    v.numa_nodes = opt_int(doc, "numa_nodes", "");
    const json& hbs = get_array(doc, "host_bridges", "");
    for (size_t i = 0; i < hbs.size(); ++i) {
        const std::string p = idx("host_bridges", i);
        if (!hbs[i].is_object()) fail(p, "expected an object");
        v.host_bridges.push_back({get_string(hbs[i], "id", p), opt_int(hbs[i], "numa_node", p),
                                  opt_int(hbs[i], "package", p), {}});
    }
    const json& sws = get_array(doc, "switches", "");
    for (size_t i = 0; i < sws.size(); ++i) {
        const std::string p = idx("switches", i);
        if (!sws[i].is_object()) fail(p, "expected an object");
        SwitchView s{get_string(sws[i], "upstream", p), {}, get_bool(sws[i], "inferred", p)};
        const json& ds = get_array(sws[i], "downstream", p);
        for (size_t k = 0; k < ds.size(); ++k) {
            if (!ds[k].is_string()) fail(p + "." + idx("downstream", k), "expected a BDF string");
            s.downstream.push_back(ds[k].get<std::string>());
        }
        v.switches.push_back(std::move(s));
    }
    const json& devs = get_array(doc, "devices", "");
    v.devices.reserve(devs.size());
    for (size_t i = 0; i < devs.size(); ++i) v.devices.push_back(read_device(devs[i], idx("devices", i)));
    for (size_t i = 1; i < v.devices.size(); ++i)
        if (v.devices[i].bdf == v.devices[i - 1].bdf) fail(idx("devices", i), v.devices[i].bdf + " is listed twice");
    if (auto it = doc.find("notes"); it != doc.end() && !it->is_null()) {
        if (!it->is_array()) fail("notes", "expected an array of strings");
        for (size_t i = 0; i < it->size(); ++i) {
            if (!(*it)[i].is_string()) fail(idx("notes", i), "expected a string");
            v.notes.push_back((*it)[i].get<std::string>());
        }
    }
    finish(v);

    const json& pairs = get_array(doc, "pairs", "");
    for (size_t i = 0; i < pairs.size(); ++i) {
        const std::string p = idx("pairs", i);
        const json& j = pairs[i];
        if (!j.is_object()) fail(p, "expected an object");
        const std::string a = get_string(j, "a", p), b = get_string(j, "b", p);
        const int da = v.find(a), db = v.find(b);
        if (da < 0) fail(sub(p, "a"), a + " is not in devices[]");
        if (db < 0) fail(sub(p, "b"), b + " is not in devices[]");
        const int ia = v.devices[static_cast<size_t>(da)].matrix_index;
        const int ib = v.devices[static_cast<size_t>(db)].matrix_index;
        if (ia < 0 || ib < 0) fail(p, "pairs a device that is not selected");
        PairView* cell = v.pair(static_cast<size_t>(ia), static_cast<size_t>(ib));
        if (!cell) fail(p, "pairs a device with itself");
        cell->path = get_string(j, "path", p);
        cell->path_reason = opt_string(j, "path_reason", p).value_or("");
        const json& q = member(j, "p2pdma", p);
        if (!q.is_object()) fail(sub(p, "p2pdma"), "expected an object");
        cell->verdict = get_string(q, "verdict", sub(p, "p2pdma"));
        cell->distance = opt_int(q, "distance", sub(p, "p2pdma"));
        cell->reason = get_string(q, "reason", sub(p, "p2pdma"));
        cell->present = true;
    }
    return v;
}

}  // namespace

Result<TopologyView> view_from_topo_json(const json& doc) {
    try {
        return read_topology(doc);
    } catch (const BadKey& e) {
        return make_error(Errc::bad_input, e.message);
    }
}

Result<TopologyView> parse_topo_json(std::string_view text) {
    auto doc = parse_json_text(text);
    if (!doc) return doc.error();
    return view_from_topo_json(*doc);
}

}  // namespace p2pscope::gui
