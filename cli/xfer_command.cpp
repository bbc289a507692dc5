// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer: real data movement over a PCIe path by one of the engines in
// xfer/ (p2pscope xfer --list), with bandwidth, latency percentiles, the
// fraction of the link's raw rate, and whether the data arrived intact.
#include <cstdio>
#include <memory>
#include <ostream>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "p2pscope/cli_checks.hpp"
#include "commands.hpp"
#include "p2pscope/probe/sources.hpp"
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/json.hpp"
#include "p2pscope/xfer/link.hpp"
#include "size_option.hpp"

namespace p2pscope::cli {

namespace {

struct XferOptions {
    bool list = false;
    std::string engine;
    std::string device, peer;
    int bar = -1;
    std::string memory;
    std::string file;
    std::string direction;
    std::vector<std::string> widths{"8"};
    std::string block;
    std::string span = "0";
    bool no_verify = false;
    std::string source_block, destination_block;
    bool destructive = false;
    bool force = false;
    std::string size = "64K";
    std::string offset = "0";
    uint32_t queue_depth = 1;
    uint64_t iterations = 0;
    double seconds = 0;
    bool fault_test = false;
    std::string format = "text";
    std::string sysfs_root = "/";
    // The options for a Request field only some engines read, as parsed: one
    // given for an engine that does not read its field is refused.
    std::vector<std::pair<const CLI::Option*, xfer::RequestField>> field_options;
};

struct Report {
    xfer::Request request;
    std::string engine;
    std::string capabilities;  // "read write verify"
    std::string status = "ok";
    xfer::PathInfo path;
    std::vector<xfer::Measurement> rows;
};

std::optional<double> fraction(const Report& r, const xfer::Measurement& m) {
    if (!r.path.ceiling_bytes_per_s || *r.path.ceiling_bytes_per_s <= 0 || m.transfers == 0) return std::nullopt;
    return m.bytes_per_second / *r.path.ceiling_bytes_per_s;
}

std::string render_xfer_json(const Report& r) {
    using nlohmann::json;
    json doc;
    doc["schema"] = "p2pscope.xfer/1";
    doc["kernel_release"] = xfer::kernel_version().release;
    doc["engine"] = r.engine;
    doc["engine_capabilities"] = json::array();
    for (const auto& c : [&] {
             std::vector<std::string> v;
             std::string s = r.capabilities, w;
             for (char ch : s + " ") {
                 if (ch == ' ') { if (!w.empty()) v.push_back(w); w.clear(); } else w += ch;
             }
             return v;
         }())
        doc["engine_capabilities"].push_back(c);
    doc["status"] = r.status;
    doc["request"] = xfer::request_json(r.request);
    doc["path"] = xfer::path_json(r.path);
    doc["results"] = json::array();
    for (const auto& m : r.rows) doc["results"].push_back(xfer::measurement_json(m, r.path.ceiling_bytes_per_s));
    return doc.dump(2) + "\n";
}

std::string human_rate(double bps) {
    char buf[32];
    if (bps >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB/s", bps / 1e9);
    else if (bps >= 1e6) std::snprintf(buf, sizeof buf, "%.2f MB/s", bps / 1e6);
    else std::snprintf(buf, sizeof buf, "%.1f kB/s", bps / 1e3);
    return buf;
}

std::string render_xfer_text(const Report& r) {
    std::string out;
    char line[768];
    const auto& q = r.request;
    std::snprintf(line, sizeof line, "engine %s (%s), Linux %s\n", r.engine.c_str(), r.capabilities.c_str(),
                  xfer::kernel_version().release.c_str());
    out += line;
    std::string path = r.path.bdfs.empty() ? std::string("-") : "";
    for (size_t i = 0; i < r.path.bdfs.size(); ++i) path += (i ? " <-> " : "") + r.path.bdfs[i];
    out += "path: " + path;
    if (!r.path.path_class.empty()) out += ", class " + r.path.path_class;
    if (!r.path.p2pdma_verdict.empty()) out += ", P2PDMA " + r.path.p2pdma_verdict + " (" + r.path.p2pdma_reason + ")";
    if (!r.path.path_note.empty()) out += " [" + r.path.path_note + "]";
    out += "\n";
    if (r.path.ceiling_bytes_per_s)
        out += "link ceiling: " + human_rate(*r.path.ceiling_bytes_per_s) + " at " + r.path.ceiling_link + " (" +
               r.path.ceiling_note + ")\n";
    else if (!r.path.bdfs.empty())
        out += "link ceiling: " + r.path.ceiling_note + "\n";
    std::snprintf(line, sizeof line, "memory %s, direction %s, %llu bytes per transfer at offset %llu\n",
                  q.memory.empty() ? "-" : q.memory.c_str(), q.direction.c_str(),
                  static_cast<unsigned long long>(q.size), static_cast<unsigned long long>(q.offset));
    out += line;
    if (r.status != "ok") {
        out += r.status + "\n";
        return out;
    }
    out += "latency per transfer in ns: min / p50 / p90 / p99 / max (mean)\n";
    std::snprintf(line, sizeof line, "%-22s %9s %12s %7s  %-48s %-8s %s\n", "ACCESS", "TRANSFERS", "BANDWIDTH",
                  "CEIL%", "LATENCY", "VERIFIED", "STATUS");
    out += line;
    for (const auto& m : r.rows) {
        char lat[128] = "-", frac[16] = "-";
        if (m.transfers)
            std::snprintf(lat, sizeof lat, "%.0f/%.0f/%.0f/%.0f/%.0f (%.0f)", m.latency.min_ns, m.latency.p50_ns,
                          m.latency.p90_ns, m.latency.p99_ns, m.latency.max_ns, m.latency.mean_ns);
        if (auto f = fraction(r, m)) std::snprintf(frac, sizeof frac, "%.2f", *f * 100);
        std::snprintf(line, sizeof line, "%-22s %9llu %12s %7s  %-48s %-8s %s%s\n", m.label.c_str(),
                      static_cast<unsigned long long>(m.transfers),
                      m.transfers ? human_rate(m.bytes_per_second).c_str() : "-", frac, lat,
                      m.verified ? (*m.verified ? "yes" : "NO") : "-", m.status_text().c_str(),
                      m.verify_detail.empty() ? "" : (" (" + m.verify_detail + ")").c_str());
        out += line;
    }
    return out;
}

Status run_xfer(const XferOptions& o, std::ostream& out) {
    if (o.list) {
        for (const auto& e : xfer::engines()) {
            char line[256];
            std::snprintf(line, sizeof line, "%-16s %-44s %s\n", std::string(e.name).c_str(),
                          xfer::capability_names(e).c_str(), std::string(e.description).c_str());
            out << line;
        }
        return Ok{};
    }
    if (o.engine.empty())
        return make_error(Errc::invalid_argument, "--engine is required (one of " + xfer::engine_names() + ")");
    const xfer::EngineSpec* spec = xfer::find_engine(o.engine);
    if (!spec)
        return make_error(Errc::invalid_argument,
                          "unknown engine '" + o.engine + "' (one of " + xfer::engine_names() + ")");
    for (const auto& [option, field] : o.field_options)
        if (option->count() > 0 && !spec->reads(field))
            return make_error(Errc::invalid_argument,
                              xfer::not_read_reason(o.engine, option->get_name(), xfer::engines_reading(field)));

    if (o.force && !o.destructive)
        return make_error(Errc::invalid_argument, "--force only overrides a refusal to write: it needs --destructive");
    xfer::Request q;
    q.engine = o.engine;
    if (!o.device.empty()) {
        auto a = probe::PciAddress::parse(o.device);
        if (!a) return a.error();
        q.device = *a;
    }
    if (!o.peer.empty()) {
        auto a = probe::PciAddress::parse(o.peer);
        if (!a) return a.error();
        q.peer = *a;
    }
    q.bar = o.bar;
    q.file = o.file;
    q.memory = o.memory;
    q.direction = o.direction;
    q.widths = xfer::expand_widths(o.widths);
    q.block = o.block;
    auto span = parse_size(o.span, "--span");
    if (!span) return span.error();
    q.span = *span;
    q.verify = !o.no_verify;
    q.source_block = o.source_block;
    q.destination_block = o.destination_block;
    q.destructive = o.destructive;
    q.force = o.force;
    auto size = parse_size(o.size, "--size");
    if (!size) return size.error();
    q.size = *size;
    auto offset = parse_size(o.offset, "--offset");
    if (!offset) return offset.error();
    q.offset = *offset;
    q.queue_depth = o.queue_depth;
    if (o.iterations && o.seconds > 0)
        return make_error(Errc::invalid_argument, "--iterations and --seconds exclude each other");
    if (o.seconds < 0 || o.seconds > 600) return make_error(Errc::invalid_argument, "--seconds must be within 0..600");
    q.iterations = o.iterations;
    q.seconds = o.seconds > 0 ? o.seconds : 1.0;
    q.fault_test = o.fault_test;
    q.sysfs_root = o.sysfs_root;

    // A device the prober does not know is bad input, refused before anything moves.
    auto run = xfer::run_once(q, {.describe_path = true, .path_required = true});
    if (run.error) return *run.error;
    if (run.outcome == xfer::Outcome::invalid) return make_error(Errc::invalid_argument, run.reason);

    Report r;
    r.request = run.request;
    r.engine = o.engine;
    r.capabilities = xfer::capability_names(*spec);
    r.path = *run.path;
    r.rows = std::move(run.rows);
    if (r.rows.empty() && run.outcome == xfer::Outcome::waived) r.status = "waived: " + run.reason;
    out << (o.format == "json" ? render_xfer_json(r) : render_xfer_text(r));

    size_t stopped = 0, bad = 0;
    for (const auto& m : r.rows) {
        stopped += m.status == xfer::RowStatus::fault || m.status == xfer::RowStatus::error;
        bad += m.verified == false;
    }
    if (stopped)
        return make_error(Errc::system, std::to_string(stopped) +
                                            " measurement(s) faulted or failed (see their status); their figures "
                                            "cover only the transfers before");
    if (bad)
        return make_error(Errc::regression, std::to_string(bad) + " measurement(s) moved data that did not verify");
    if (r.rows.empty() && run.outcome == xfer::Outcome::failed) return make_error(Errc::system, run.reason);
    return Ok{};
}

// What --device or --peer is to each engine that reads it, one line each.
std::string roles(std::string_view xfer::EngineSpec::*role) {
    std::string out;
    for (const auto& e : xfer::engines())
        if (!(e.*role).empty()) out += "\n" + std::string(e.name) + ": " + std::string(e.*role);
    return out;
}

// The memories that are a BAR --bar picks: "cpu uc, wc; dmaengine ram-to-bar, bar-to-ram".
std::string bar_memories() {
    std::string out;
    for (const auto& e : xfer::engines()) {
        std::string names;
        for (const auto m : e.memories_with(xfer::kMemBar)) names += (names.empty() ? "" : ", ") + std::string(m);
        if (!names.empty()) out += (out.empty() ? "" : "; ") + std::string(e.name) + " " + names;
    }
    return out;
}

}  // namespace

Action add_xfer_command(CLI::App& app) {
    auto o = std::make_shared<XferOptions>();
    // An option for a request field, named as xfer::kFieldNames names it (a
    // flag when it sets a bool): refused for an engine that does not read it
    // (run_xfer), and its help names the engines that do.
    auto field = [&app, &o](xfer::RequestField f, auto& value, std::string help) {
        // (--device, --peer and --bar name theirs already, with what each is to it.)
        if (!(f & (xfer::kFieldDevice | xfer::kFieldPeer | xfer::kFieldBar)))
            help += " [" + xfer::engines_reading(f) + "]";
        const std::string name(xfer::field_name(f).option);
        CLI::Option* option;
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, bool>)
            option = app.add_flag(name, value, help);
        else
            option = app.add_option(name, value, help);
        o->field_options.emplace_back(option, f);
        return option;
    };
    app.add_flag("--list", o->list, "List the engines and their capabilities");
    app.add_option("--engine", o->engine, "Engine: " + xfer::engine_names() + " (see --list)");
    field(xfer::kFieldDevice, o->device, "The device, by engine:" + roles(&xfer::EngineSpec::device))->type_name("BDF");
    field(xfer::kFieldPeer, o->peer, "The second device, by engine:" + roles(&xfer::EngineSpec::peer))->type_name("BDF");
    field(xfer::kFieldBar, o->bar, "BAR index, for memory " + bar_memories());
    app.add_option("--memory", o->memory,
                   "Memory, by engine (with a choice of memory):\n" + xfer::memory_choices_text());
    field(xfer::kFieldFile, o->file, "Memory file: map this regular file (tests the harness; past EOF faults)");
    app.add_option("--direction", o->direction, xfer::direction_choices_text());
    field(xfer::kFieldWidths, o->widths, "Access widths: " + xfer::width_choices_text())
        ->delimiter(',')
        ->capture_default_str()
        ->type_name("LIST");
    field(xfer::kFieldBlock, o->block, "The block device (default: --device's first namespace)")->type_name("DEV");
    field(xfer::kFieldSpan, o->span, "Bytes of the device the transfers walk (default size x queue depth)");
    field(xfer::kFieldVerify, o->no_verify, "Do not check the data (raw bandwidth)");
    field(xfer::kFieldSourceBlock, o->source_block, "Block device read from")->type_name("DEV");
    field(xfer::kFieldDestinationBlock, o->destination_block, "Block device written to")->type_name("DEV");
    field(xfer::kFieldDestructive, o->destructive,
          "Allow writing a driver-owned BAR (cpu) or a block device (p2pmem-odirect, nvme); also needed to verify "
          "reads of either, which write a pattern first");
    field(xfer::kFieldForce, o->force,
          "With --destructive: write even while another process has the block device open (the module refuses "
          "otherwise)");
    app.add_option("--size", o->size, "Bytes per transfer (K, M, G suffixes)")->capture_default_str();
    field(xfer::kFieldOffset, o->offset, "Offset into the BAR, p2pmem, file or block devices")->capture_default_str();
    field(xfer::kFieldQueueDepth, o->queue_depth, "Transfers in flight")
        ->check(CLI::Range(1u, 4096u))
        ->capture_default_str();
    // Each transfer's latency is kept: a bound, so that -1 (read as 2^64 - 1) is an error, not an abort.
    app.add_option("--iterations", o->iterations, "Transfers per measurement (instead of --seconds)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
    app.add_option("--seconds", o->seconds, "Duration of each measurement (default 1)")->check(p2pscope::finite());
    field(xfer::kFieldFaultTest, o->fault_test,
          "Run each transfer across the end of the mapping on purpose, to show a fault is caught");
    app.add_option("--format", o->format, "Output: text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--sysfs-root", o->sysfs_root, "Root of the sysfs tree")->capture_default_str();
    app.footer(
        "Mapping BARs and p2pmem needs root. An engine that cannot run on this machine is reported as waived\n"
        "with the reason. Bandwidth is compared with the link's raw rate (speed x width x line code, before\n"
        "TLP overhead). Exit status: 0 done, 1 data did not verify, 2 bad input, 3 could not run here or a\n"
        "measurement faulted.");
    return [o](std::ostream& out) { return run_xfer(*o, out); };
}

}  // namespace p2pscope::cli
