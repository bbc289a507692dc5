// SPDX-License-Identifier: GPL-2.0-or-later
#include "bench_options.hpp"

#include <algorithm>

#include <CLI/CLI.hpp>

#include "../cli/size_option.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/kclient/uapi.hpp"
#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::bench {

namespace {

Error bad(const std::string& msg) { return make_error(Errc::invalid_argument, msg); }

bool is_benchmark_flag(const std::string& a) {
    return a.rfind("--benchmark_", 0) == 0 || a == "--v" || a.rfind("--v=", 0) == 0;
}

// Options whose values are names or sizes are read as text and checked after
// parsing, so that an error names the option, the value and what it may be.
struct Text {
    std::vector<std::string> devices, engines, sizes, widths, apis;
    std::string peer, offset;
};

// The usage line heads the help, before the description.
class Help : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App*, std::string) const override { return {}; }
};

// What --device is to the engines that find their device from --block, one
// line each: "nvme: the NVMe controller whose first namespace is used (unless --block)".
std::string block_device_roles() {
    std::string out;
    for (const auto& e : xfer::engines())
        if (e.reads(xfer::kFieldBlock)) out += ";\n" + std::string(e.name) + ": " + std::string(e.device);
    return out;
}

// The memories --peer provides: "nvme with --memory p2pmem: the device whose p2pmem is used".
std::string peer_memories() {
    std::string out;
    for (const auto& e : xfer::engines())
        for (const auto m : e.memories_with(xfer::kMemOfPeer))
            out += std::string(out.empty() ? "" : ";\n") + std::string(e.name) + " with --memory " + std::string(m) +
                   ": the device whose " + std::string(m) + " is used";
    return out;
}

void add_options(CLI::App& app, Options& o, Text& t) {
    app.description(
        "usage: p2pscope-bench [OPTIONS] [--benchmark_* flags of Google Benchmark]\n"
        "Registers one benchmark per discovered combination and runs it with Google Benchmark;\n"
        "each iteration is one measurement, timed by the kernel's or the engine's own clock.\n");
    app.footer("Exit status: 0 done, 2 bad input. Documentation: docs/bench.md");
    app.formatter(std::make_shared<Help>());
    app.get_formatter()->column_width(26);
    app.option_defaults()->disable_flag_override();
    app.allow_extras();
    const uint64_t most = uint64_t{1} << 32;
    app.add_option("--device,--devices", t.devices,
                   "devices: map benchmarks, and the memory the engines use" + block_device_roles())
        ->delimiter(',')->type_name("BDF[,...]");
    app.add_option("--engines,--engine", t.engines,
                   "transfer engines (" + xfer::engine_names() +
                       ", all;\ndefault all, where an engine that cannot run is reported as waived)")
        ->delimiter(',')->type_name("LIST");
    app.add_option("--memory", o.memory,
                   "map: " + kclient::mem_names() + ";\ntransfers, by engine:\n" +
                       xfer::memory_choices_text(false))
        ->delimiter(',')->type_name("LIST");
    app.add_option("--sizes,--size", t.sizes, "bytes per transfer / per mapping (4096, 64K, 1M; default 64K)")
        ->delimiter(',')->type_name("LIST");
    app.add_option("--widths,--width", t.widths,
                   xfer::engines_reading(xfer::kFieldWidths) + " access widths " + xfer::width_choices_text() +
                       " (default 8,memcpy)")
        ->delimiter(',')->type_name("LIST");
    app.add_option("--directions,--direction", o.directions,
                   xfer::direction_choices_text())
        ->delimiter(',')->type_name("LIST");
    app.add_option("--queue-depths,--queue-depth", o.queue_depths,
                   xfer::engines_reading(xfer::kFieldQueueDepth) + ": transfers in flight, 1.." +
                       std::to_string(kclient::kMaxQueueDepth) + " (default 1)")
        ->delimiter(',')->type_name("LIST")->check(CLI::Range(1u, unsigned{kclient::kMaxQueueDepth}));
    app.add_option("--block", o.block,
                   xfer::engines_reading(xfer::kFieldBlock) +
                       ": the block device (namespace); default --device's first namespace;\n" +
                       xfer::engines_reading(xfer::kFieldSourceBlock) + ": the block device read into p2pmem")
        ->type_name("DEV");
    app.add_option("--peer", t.peer, peer_memories())->type_name("BDF");
    app.add_flag("--destructive", o.destructive,
                 "allow writes to a block device or a BAR a driver owns (" +
                     xfer::engines_reading(xfer::kFieldDestructive) +
                     ");\nreads of either then verify their data, a pattern written first (without it they run "
                     "unverified)");
    app.add_option("--apis,--api", t.apis, "map APIs (default map_single,map_page; all)")
        ->delimiter(',')->type_name("LIST");
    app.add_flag("--map,!--no-map", o.map, "run the map benchmarks through /dev/p2pscope (default; the last of the two wins)");
    app.add_option("--file", o.file, "a regular file the cpu engine maps (memory file)")->type_name("PATH");
    app.add_option("--bar", o.bar, "the BAR the cpu engine (uc, wc) or dmaengine (ram-to-bar, bar-to-ram) uses")
        ->type_name("N")->check(CLI::Range(0, 5));
    app.add_option("--offset", t.offset, "into the BAR, p2pmem or file; nvme: into the namespace (default 0)")
        ->type_name("SIZE");
    app.add_option("--transfers", o.transfers, "transfers per measurement (default 100)")
        ->type_name("N")->check(CLI::Range(uint64_t{1}, most));
    app.add_option("--map-samples", o.map_samples, "map+unmap samples per map measurement (default 10000)")
        ->type_name("N")->check(CLI::Range(uint64_t{1}, most));
    app.add_option("--papi-events", o.papi_events, "PAPI events (default PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L3_TCM)")
        ->delimiter(',')->type_name("LIST");
    app.add_flag_callback("--no-papi-uncore", [&o] { o.papi_uncore = false; },
                          "do not add perf_event_uncore IIO/PCIe events");
    app.add_option("--sysfs-root", o.topology.sysfs_root, "topology for the context's hash: a sysfs tree")
        ->type_name("DIR");
    auto* xml = app.add_option("--hwloc-xml", o.topology.hwloc_xml, "... or an hwloc XML file")->type_name("FILE");
    app.add_option("--lspci-dump", o.topology.lspci_dump, "... or an `lspci -xxxx` dump")
        ->type_name("FILE")->excludes(xml);
}

}  // namespace

bool is_map_memory(const std::string& name) { return kclient::parse_mem(name).has_value(); }

// A memory some engine measures in one row (gpu's "all" is several).
bool is_xfer_memory(const std::string& name) {
    for (const auto& e : xfer::engines())
        if (const auto* m = e.memory(name); m && !(m->traits & xfer::kMemSeveral)) return true;
    return false;
}

namespace {

std::string xfer_memory_names() {
    std::vector<std::string> names;
    for (const auto& e : xfer::engines())
        for (const auto& m : e.memories)
            if (is_xfer_memory(std::string(m.name)) && std::find(names.begin(), names.end(), m.name) == names.end())
                names.emplace_back(m.name);
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// The checks CLI11 cannot make: names known to xfer and kclient, sizes with suffixes.
Status check_text(const Text& t, Options& o) {
    for (const auto& d : t.devices) {
        auto bdf = probe::PciAddress::parse(d);
        if (!bdf) return bad("--device: " + bdf.error().message);
        o.devices.push_back(*bdf);
    }
    if (!t.peer.empty()) {
        auto bdf = probe::PciAddress::parse(t.peer);
        if (!bdf) return bad("--peer: " + bdf.error().message);
        o.peer = *bdf;
    }
    if (!o.block.empty() && o.block[0] != '/')
        return bad("--block '" + o.block + "' must be a block device path (/dev/...)");
    if (!t.offset.empty()) {
        auto n = cli::parse_size(t.offset, "--offset");
        if (!n) return n.error();
        o.offset = *n;
    }
    if (!t.sizes.empty()) o.sizes.clear();
    for (const auto& s : t.sizes) {
        auto n = cli::parse_size(s, "--sizes");
        if (!n) return n.error();
        if (*n == 0) return bad("--sizes: a size must not be 0");
        o.sizes.push_back(*n);
    }
    o.engines_named = !t.engines.empty();
    for (const auto& e : t.engines)
        if (e != "all" && !xfer::find_engine(e))
            return bad("--engines: unknown engine '" + e + "' (one of " + xfer::engine_names() + ", all)");
    if (!o.engines_named || std::find(t.engines.begin(), t.engines.end(), "all") != t.engines.end())
        for (const auto& info : xfer::engines()) o.engines.emplace_back(info.name);
    else
        o.engines = t.engines;
    for (const auto& m : o.memory)
        if (!is_map_memory(m) && !is_xfer_memory(m))
            return bad("--memory: unknown memory type '" + m +
                       "' (map: " + kclient::mem_names() + "; transfers: " +
                       xfer_memory_names() + ")");
    for (const auto& w : t.widths)
        if (w != "all" && !xfer::parse_width(w))
            return bad("--widths: unknown access width '" + w + "' (" + xfer::width_choices_text() + ")");
    if (std::find(t.widths.begin(), t.widths.end(), "all") != t.widths.end()) o.widths = xfer::all_widths();
    else if (!t.widths.empty()) o.widths = t.widths;
    for (const auto& api : t.apis)
        if (api != "all" && !kclient::parse_api(api)) return bad("--apis: unknown map API '" + api + "'");
    if (std::find(t.apis.begin(), t.apis.end(), "all") != t.apis.end()) {
        o.apis.clear();
        for (kclient::MapApi x : kclient::all_apis()) o.apis.emplace_back(kclient::api_name(x));
    } else if (!t.apis.empty()) {
        o.apis = t.apis;
    }
    return Ok{};
}

}  // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
    // Ours first, then Google Benchmark's flags, which go to benchmark::Initialize untouched.
    Options o;
    std::vector<std::string> own;
    for (const auto& a : args) {
        if (is_benchmark_flag(a)) {
            o.benchmark_args.push_back(a);
        } else if (!o.benchmark_args.empty() && a.rfind("--", 0) == 0 && a != "--help") {
            return bad("option " + a.substr(0, a.find('=')) +
                       " must come before Google Benchmark's --benchmark_* flags");
        } else {
            own.push_back(a);
        }
    }
    CLI::App app;
    Text t;
    add_options(app, o, t);
    for (const auto& a : own)  // a flag given a value: CLI11 would take --destructive=true, or call =yes an "override"
        if (const auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos)
            if (const CLI::Option* opt = app.get_option_no_throw(a.substr(0, eq)); opt && opt->get_expected_max() == 0)
                return bad("option " + a.substr(0, eq) + " takes no value");
    std::reverse(own.begin(), own.end());  // CLI11 takes them from the back
    try {
        app.parse(own);
    } catch (const CLI::CallForHelp&) {
        o.help = true;
        return o;
    } catch (const CLI::ParseError& e) {
        return bad(e.what());
    }
    if (auto extra = app.remaining(); !extra.empty())
        return bad("unknown option '" + extra[0] + "' (see --help; Google Benchmark's flags start with --benchmark_)");
    if (auto st = check_text(t, o); !st) return st.error();
    return o;
}

std::string usage() {
    CLI::App app;
    Options o;
    Text t;
    add_options(app, o, t);
    return app.help();
}

}  // namespace p2pscope::bench
