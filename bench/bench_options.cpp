// SPDX-License-Identifier: GPL-2.0-or-later
#include "bench_options.hpp"

#include <algorithm>

#include "../cli/size_option.hpp"
#include "p2pscope.h"  // kmod/uapi: P2PSCOPE_MAX_QUEUE_DEPTH
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::bench {

namespace {

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s + ",") {
        if (c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

Error bad(const std::string& msg) { return make_error(Errc::invalid_argument, msg); }

Result<uint64_t> parse_count(const std::string& text, const std::string& option, uint64_t max) {
    size_t used = 0;
    unsigned long long v = 0;
    try {
        if (text.empty() || text[0] == '-') throw 0;
        v = std::stoull(text, &used, 10);
    } catch (...) {
        used = 0;
    }
    if (used == 0 || used != text.size() || v == 0 || v > max)
        return bad(option + " '" + text + "' must be a whole number from 1 to " + std::to_string(max));
    return static_cast<uint64_t>(v);
}

}  // namespace

bool is_map_memory(const std::string& name) { return kclient::parse_mem(name).has_value(); }

bool is_xfer_memory(const std::string& name) {
    static const char* const names[] = {"uc",  "wc",         "p2pmem",     "file",      "pageable",
                                        "pinned", "ram", "ram-to-ram", "ram-to-bar", "bar-to-ram"};
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

Result<Options> parse_options(const std::vector<std::string>& args) {
    Options o;
    bool own_done = false;  // Google Benchmark's flags come last
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--benchmark_", 0) == 0 || a == "--v" || a.rfind("--v=", 0) == 0) {
            o.benchmark_args.push_back(a);
            own_done = true;
            continue;
        }
        std::string name = a, value;
        bool inline_value = false;
        if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = a.substr(0, eq);
            value = a.substr(eq + 1);
            inline_value = true;
        }
        if (own_done && name.rfind("--", 0) == 0 && name != "--help")
            return bad("option " + name + " must come before Google Benchmark's --benchmark_* flags");
        auto take = [&]() -> Result<std::string> {
            if (inline_value) return value;
            if (i + 1 >= args.size()) return bad("option " + name + " needs a value");
            return args[++i];
        };
        auto flag = [&](bool& target, bool v) -> Status {
            if (inline_value) return bad("option " + name + " takes no value");
            target = v;
            return Ok{};
        };
        Status st = Ok{};
        if (name == "--help" || name == "-h") {
            o.help = true;
        } else if (name == "--map") {
            st = flag(o.map, true);
        } else if (name == "--no-map") {
            st = flag(o.map, false);
        } else if (name == "--no-papi-uncore") {
            st = flag(o.papi_uncore, false);
        } else if (name == "--destructive") {
            st = flag(o.destructive, true);
        } else if (name == "--block") {
            auto v = take();
            if (!v) return v.error();
            if (v->empty() || (*v)[0] != '/') return bad("--block '" + *v + "' must be a block device path (/dev/...)");
            o.block = *v;
        } else if (name == "--peer") {
            auto v = take();
            if (!v) return v.error();
            auto bdf = probe::PciAddress::parse(*v);
            if (!bdf) return bad("--peer: " + bdf.error().message);
            o.peer = *bdf;
        } else if (name == "--queue-depths" || name == "--queue-depth") {
            auto v = take();
            if (!v) return v.error();
            o.queue_depths.clear();
            for (const auto& d : split(*v)) {
                auto n = parse_count(d, "--queue-depths", P2PSCOPE_MAX_QUEUE_DEPTH);
                if (!n) return n.error();
                o.queue_depths.push_back(static_cast<uint32_t>(*n));
            }
            if (o.queue_depths.empty()) return bad("--queue-depths needs at least one depth");
        } else if (name == "--offset") {
            auto v = take();
            if (!v) return v.error();
            auto n = cli::parse_size(*v, "--offset");
            if (!n) return n.error();
            o.offset = *n;
        } else if (name == "--device" || name == "--devices") {
            auto v = take();
            if (!v) return v.error();
            for (const auto& d : split(*v)) {
                auto bdf = probe::PciAddress::parse(d);
                if (!bdf) return bad("--device: " + bdf.error().message);
                o.devices.push_back(*bdf);
            }
            if (o.devices.empty()) return bad("--device needs at least one BDF");
        } else if (name == "--engines" || name == "--engine") {
            auto v = take();
            if (!v) return v.error();
            o.engines.clear();
            for (const auto& e : split(*v)) {
                if (e == "all") {
                    o.engines.clear();
                    for (const auto& info : xfer::engines()) o.engines.emplace_back(info.name);
                    break;
                }
                if (!xfer::make_engine(e)) {
                    std::string known;
                    for (const auto& info : xfer::engines()) known += (known.empty() ? "" : ", ") + std::string(info.name);
                    return bad("--engines: unknown engine '" + e + "' (one of " + known + ", all)");
                }
                o.engines.push_back(e);
            }
            if (o.engines.empty()) return bad("--engines needs at least one engine");
            o.engines_named = true;
        } else if (name == "--memory") {
            auto v = take();
            if (!v) return v.error();
            o.memory = split(*v);
            for (const auto& m : o.memory)
                if (!is_map_memory(m) && !is_xfer_memory(m))
                    return bad("--memory: unknown memory type '" + m +
                               "' (map: ram, ram_huge, p2pmem, bar, bounce, dmabuf, encrypted; transfers: uc, wc, "
                               "p2pmem, file, pageable, pinned, ram, ram-to-ram, ram-to-bar, bar-to-ram)");
            if (o.memory.empty()) return bad("--memory needs at least one memory type");
        } else if (name == "--sizes" || name == "--size") {
            auto v = take();
            if (!v) return v.error();
            o.sizes.clear();
            for (const auto& s : split(*v)) {
                auto n = cli::parse_size(s, "--sizes");
                if (!n) return n.error();
                if (*n == 0) return bad("--sizes: a size must not be 0");
                o.sizes.push_back(*n);
            }
            if (o.sizes.empty()) return bad("--sizes needs at least one size");
        } else if (name == "--widths" || name == "--width") {
            auto v = take();
            if (!v) return v.error();
            o.widths.clear();
            for (const auto& w : split(*v)) {
                if (w == "all") {
                    o.widths = xfer::all_widths();
                    break;
                }
                if (!xfer::parse_width(w))
                    return bad("--widths: unknown access width '" + w + "' (1, 2, 4, 8, 16, 32, 64, memcpy or all)");
                o.widths.push_back(w);
            }
            if (o.widths.empty()) return bad("--widths needs at least one width");
        } else if (name == "--directions" || name == "--direction") {
            auto v = take();
            if (!v) return v.error();
            o.directions = split(*v);
            if (o.directions.empty()) return bad("--directions needs at least one direction");
        } else if (name == "--apis" || name == "--api") {
            auto v = take();
            if (!v) return v.error();
            o.apis.clear();
            for (const auto& api : split(*v)) {
                if (api == "all") {
                    o.apis.clear();
                    for (uint32_t x : kclient::all_apis()) o.apis.emplace_back(kclient::api_name(x));
                    break;
                }
                if (!kclient::parse_api(api)) return bad("--apis: unknown map API '" + api + "'");
                o.apis.push_back(api);
            }
            if (o.apis.empty()) return bad("--apis needs at least one API");
        } else if (name == "--file") {
            auto v = take();
            if (!v) return v.error();
            if (v->empty()) return bad("--file needs a path");
            o.file = *v;
        } else if (name == "--bar") {
            auto v = take();
            if (!v) return v.error();
            if (v->size() != 1 || (*v)[0] < '0' || (*v)[0] > '5') return bad("--bar '" + *v + "' must be 0..5");
            o.bar = (*v)[0] - '0';
        } else if (name == "--transfers") {
            auto v = take();
            if (!v) return v.error();
            auto n = parse_count(*v, "--transfers", 1ull << 32);
            if (!n) return n.error();
            o.transfers = *n;
        } else if (name == "--map-samples") {
            auto v = take();
            if (!v) return v.error();
            auto n = parse_count(*v, "--map-samples", 1ull << 32);
            if (!n) return n.error();
            o.map_samples = *n;
        } else if (name == "--papi-events") {
            auto v = take();
            if (!v) return v.error();
            o.papi_events = split(*v);
            if (o.papi_events.empty()) return bad("--papi-events needs at least one event");
        } else if (name == "--sysfs-root") {
            auto v = take();
            if (!v) return v.error();
            o.topology.sysfs_root = *v;
        } else if (name == "--hwloc-xml") {
            auto v = take();
            if (!v) return v.error();
            o.topology.hwloc_xml = *v;
        } else if (name == "--lspci-dump") {
            auto v = take();
            if (!v) return v.error();
            o.topology.lspci_dump = *v;
        } else {
            return bad("unknown option '" + a + "' (see --help; Google Benchmark's flags start with --benchmark_)");
        }
        if (!st) return st.error();
    }
    if (!o.topology.hwloc_xml.empty() && !o.topology.lspci_dump.empty())
        return bad("--hwloc-xml and --lspci-dump exclude each other");
    if (!o.engines_named)
        for (const auto& info : xfer::engines()) o.engines.emplace_back(info.name);
    return o;
}

std::string usage() {
    return "usage: p2pscope-bench [OPTIONS] [--benchmark_* flags of Google Benchmark]\n"
           "Registers one benchmark per discovered combination and runs it with Google Benchmark;\n"
           "each iteration is one measurement, timed by the kernel's or the engine's own clock.\n"
           "  --device BDF[,...]      devices: map benchmarks, and the memory the engines use\n"
           "                          (nvme: the NVMe controller whose namespace is read or written)\n"
           "  --engines LIST          transfer engines (cpu, p2pmem-odirect, gpu, nvme, dmaengine, all;\n"
           "                          default all, where an engine that cannot run is reported as waived)\n"
           "  --memory LIST           map: ram, ram_huge, p2pmem, bar, bounce, dmabuf, encrypted;\n"
           "                          transfers: uc, wc, p2pmem, file (cpu), pageable, pinned (gpu),\n"
           "                          ram, p2pmem (nvme), ram-to-ram, ram-to-bar, bar-to-ram (dmaengine)\n"
           "  --sizes LIST            bytes per transfer / per mapping (4096, 64K, 1M; default 64K)\n"
           "  --widths LIST           cpu access widths 1..64, memcpy or all (default 8,memcpy)\n"
           "  --directions LIST       cpu, nvme: read, write; gpu: h2d, d2h, d2d; default the engine's own\n"
           "  --queue-depths LIST     nvme: bios in flight, 1..256 (default 1)\n"
           "  --block DEV             nvme: the block device (namespace); default the NVMe of --device;\n"
           "                          p2pmem-odirect: the block device read into p2pmem\n"
           "  --peer BDF              nvme with --memory p2pmem: the device whose p2pmem is used\n"
           "  --destructive           allow writes (nvme; cpu on a BAR a driver owns); nvme then verifies\n"
           "                          its data (without it nvme reads run unverified)\n"
           "  --apis LIST             map APIs (default map_single,map_page; all)\n"
           "  --map / --no-map        run the map benchmarks through /dev/p2pscope (default --map)\n"
           "  --file PATH             a regular file the cpu engine maps (memory file)\n"
           "  --bar N                 the BAR the cpu engine (uc, wc) or dmaengine (ram-to-bar, bar-to-ram) uses\n"
           "  --offset SIZE           into the BAR, p2pmem or file; nvme: into the namespace (default 0)\n"
           "  --transfers N           transfers per measurement (default 100)\n"
           "  --map-samples N         map+unmap samples per map measurement (default 10000)\n"
           "  --papi-events LIST      PAPI events (default PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L3_TCM)\n"
           "  --no-papi-uncore        do not add perf_event_uncore IIO/PCIe events\n"
           "  --sysfs-root DIR | --hwloc-xml FILE | --lspci-dump FILE   topology for the context's hash\n"
           "Exit status: 0 done, 2 bad input. Documentation: docs/bench.md\n";
}

}  // namespace p2pscope::bench
