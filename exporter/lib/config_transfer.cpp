// SPDX-License-Identifier: GPL-2.0-or-later
// A transfer measurement of p2pscoped's configuration: one `p2pscope xfer` run,
// under xfer's option names (snake_case) and with its defaults. The engine by
// name, the keys it does not read refused, then the memory and direction, each
// key of xfer::kFieldNames into its field, the size and how long a run lasts.
// The checkers of single values are config.cpp's (config_checks.hpp).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config_checks.hpp"
#include "p2pscope/xfer/cpu_access.hpp"

namespace p2pscope::exporter::detail {

namespace {

// The keys a transfer measurement takes: the measurement's own, the engine,
// the request's fields that every engine reads, and the key of each field of
// xfer::kFieldNames that has one.
const std::vector<std::string_view>& transfer_keys() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> k{"key", "kind", "interval_s", "engine"};
        for (const auto& f : xfer::kFieldNames)
            if (!f.key.empty()) k.push_back(f.key);
        k.insert(k.end(), {"memory", "direction", "size", "iterations", "seconds"});
        return k;
    }();
    return keys;
}

// The engine named by "engine", one of `engines`.
Result<std::shared_ptr<TransferEngine>> find_engine(const Checker& c, const json& m, const std::string& path,
                                                    const TransferEngines& engines) {
    auto eng = m.find("engine");
    if (eng == m.end()) return c.fail(path, "a transfer measurement needs \"engine\"");
    auto name = text(c, *eng, path + ".engine");
    if (!name) return name.error();
    std::vector<std::string_view> known;
    std::shared_ptr<TransferEngine> engine;
    for (const auto& e : engines) {
        known.push_back(e->spec().name);
        if (e->spec().name == *name) engine = e;
    }
    if (!engine) return c.fail(path + ".engine", "unknown engine '" + *name + "' (" + list_text(known) + ")");
    return engine;
}

// As p2pscope xfer refuses an option for a field the engine does not read, a
// key for one is refused, naming the engines of `engines` that read it. (A
// null is a key not given: "peer": null is no peer.)
std::optional<Error> unread_keys(const Checker& c, const json& m, const std::string& path, const xfer::EngineSpec& spec,
                                 const TransferEngines& engines) {
    for (const auto& f : xfer::kFieldNames) {
        if (f.key.empty() || spec.reads(f.field)) continue;
        const std::string key(f.key);
        if (auto it = m.find(key); it == m.end() || it->is_null()) continue;
        std::vector<const xfer::EngineSpec*> specs;
        for (const auto& e : engines) specs.push_back(&e->spec());
        return c.fail(path + "." + key, xfer::not_read_reason(spec.name, key, xfer::engines_reading(specs, f.field)));
    }
    return std::nullopt;
}

// Appends the comma-separated items of one "width" entry (a string or a
// whole number) to `list`.
std::optional<Error> split_widths(const Checker& c, const json& w, const std::string& where,
                                  std::vector<std::string>& list) {
    if (w.is_number_unsigned()) {
        list.push_back(std::to_string(w.get<uint64_t>()));
        return std::nullopt;
    }
    if (!w.is_string()) return c.fail(where, "must be a width, a list of widths or \"all\"");
    std::string item;
    for (char ch : w.get<std::string>() + ",") {
        if (ch != ',') {
            item += ch;
        } else if (!item.empty()) {
            list.push_back(item);
            item.clear();
        }
    }
    return std::nullopt;
}

// "width" as --width takes it: "all", "8", "8,memcpy", 8 or ["8", "memcpy"].
std::optional<Error> parse_widths(const Checker& c, const json& a, const std::string& where,
                                  std::vector<std::string>& widths) {
    std::vector<std::string> list;
    if (a.is_array()) {
        for (const auto& w : a)
            if (auto e = split_widths(c, w, where, list)) return *e;
    } else if (auto e = split_widths(c, a, where, list)) {
        return *e;
    }
    widths.clear();
    for (const auto& w : list) {
        if (w == "all") {
            widths = xfer::all_widths();
            break;
        }
        if (!xfer::parse_width(w))
            return c.fail(where, "unknown access width '" + w + "' (" + xfer::width_choices_text() + ")");
        if (std::find(widths.begin(), widths.end(), w) != widths.end())
            return c.fail(where, "width " + w + " given twice");
        widths.push_back(w);
    }
    if (widths.empty()) return c.fail(where, "no access width given");
    return std::nullopt;
}

// A string that is not empty ("memory", "file", "block", ...).
Result<std::string> non_empty(const Checker& c, const json& v, const std::string& where) {
    auto t = text(c, v, where);
    if (t && t->empty()) return c.fail(where, "must not be empty");
    return t;
}

// A size that may also be 0 ("offset", "span").
Result<uint64_t> size_or_zero(const Checker& c, const json& a, const std::string& where) {
    if (a.is_number_integer() && !a.is_number_unsigned() && a.get<int64_t>() < 0)
        return c.fail(where, "must be a size (0, 4096, \"4K\", \"2M\", \"1G\")");
    if ((a.is_number_integer() && a.get<uint64_t>() == 0) || (a.is_string() && a == "0")) return uint64_t{0};
    return byte_size(c, a, where, 1ULL << 50);
}

// The value of one key of xfer::kFieldNames, into its field of the request.
// The switch has no default: a new RequestField draws -Wswitch (an error in
// the test command's -Werror build) until it has a case here. A field with a
// key must be read in its case, not join the keyless ones at the end.
std::optional<Error> read_field(const Checker& c, xfer::RequestField field, const json& v, const std::string& where,
                                TransferRequest& q) {
    switch (field) {
        case xfer::kFieldDevice: return v.is_null() ? std::nullopt : store(bdf(c, v, where), q.device);
        case xfer::kFieldPeer: return v.is_null() ? std::nullopt : store(bdf(c, v, where), q.peer);  // null: no peer
        case xfer::kFieldBar: return store(integer(c, v, where, 0, 5), q.bar);
        case xfer::kFieldFile: return store(non_empty(c, v, where), q.file);
        case xfer::kFieldOffset: return store(size_or_zero(c, v, where), q.offset);
        case xfer::kFieldWidths: return parse_widths(c, v, where, q.widths);
        case xfer::kFieldBlock: return store(non_empty(c, v, where), q.block);
        case xfer::kFieldSpan: return store(size_or_zero(c, v, where), q.span);
        case xfer::kFieldVerify: return store(boolean(c, v, where), q.verify);
        case xfer::kFieldSourceBlock: return store(non_empty(c, v, where), q.source_block);
        case xfer::kFieldDestinationBlock: return store(non_empty(c, v, where), q.destination_block);
        case xfer::kFieldDestructive: return store(boolean(c, v, where), q.destructive);
        case xfer::kFieldQueueDepth: return store(integer(c, v, where, 1, 4096), q.queue_depth);
        // No key: p2pscoped never forces a destructive run on a device in
        // use, nor provokes faults (options of p2pscope xfer only).
        case xfer::kFieldForce:
        case xfer::kFieldFaultTest:
        case xfer::kFieldEnd: break;
    }
    return std::nullopt;
}

// How long a run lasts: "iterations" or "seconds", not both. Each row (access
// width) runs for `seconds`, and a run ends within 60 s.
std::optional<Error> transfer_bound(const Checker& c, const json& m, const std::string& path,
                                    const TransferEngine& engine, TransferRequest& q) {
    const auto iterations = m.find("iterations");
    const auto seconds = m.find("seconds");
    if (iterations != m.end() && seconds != m.end())
        return c.fail(path + ".iterations", "excludes \"seconds\"");
    if (iterations != m.end())
        if (auto e = store(integer(c, *iterations, path + ".iterations", 1, 1000000000), q.iterations)) return *e;
    const double rows = static_cast<double>(engine.spec().reads(xfer::kFieldWidths) ? q.widths.size() : 1);
    if (seconds != m.end())
        if (auto e = store(number(c, *seconds, path + ".seconds", 0, 60, true), q.seconds)) return *e;
    if (q.iterations == 0 && q.seconds * rows > 60)
        return c.fail(path + ".seconds", "seconds x widths must be <= 60 (a run ends within a minute)");
    return std::nullopt;
}

}  // namespace

// One `p2pscope xfer` run: the same option names (snake_case) and defaults.
Result<MeasurementSpec> parse_transfer(const Checker& c, const json& m, const std::string& path, MeasurementSpec spec,
                                       const TransferEngines& engines) {
    if (engines.empty())
        return c.fail(path + ".kind",
                      "this build of p2pscoped has no transfer engine: transfer measurements cannot run");
    if (auto e = c.only_keys(m, path, transfer_keys())) return *e;
    auto found = find_engine(c, m, path, engines);
    if (!found) return found.error();
    TransferEngine& engine = **found;
    if (auto e = unread_keys(c, m, path, engine.spec(), engines)) return *e;
    const std::string name(engine.spec().name);
    spec.engine = name;
    TransferRequest& q = spec.transfer;
    q = TransferRequest{};
    q.engine = name;
    q.size = 64 << 10;  // p2pscope xfer's --size default
    q.direction.clear();
    for (auto [k, field] : {std::pair{"memory", &q.memory}, std::pair{"direction", &q.direction}}) {
        auto it = m.find(k);
        if (it == m.end()) continue;
        if (auto e = store(non_empty(c, *it, path + "." + k), *field)) return *e;
    }
    for (const auto& f : xfer::kFieldNames) {
        if (f.key.empty()) continue;
        const std::string key(f.key);
        if (auto it = m.find(key); it != m.end())
            if (auto e = read_field(c, f.field, *it, path + "." + key, q)) return *e;
    }
    if (auto a = m.find("size"); a != m.end())
        if (auto e = store(byte_size(c, *a, path + ".size", 1ULL << 34), q.size)) return *e;
    if (auto e = transfer_bound(c, m, path, engine, q)) return *e;
    engine.spec().complete(q);
    return spec;
}

}  // namespace p2pscope::exporter::detail
