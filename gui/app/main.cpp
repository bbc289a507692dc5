// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-gui: explore PCIe peer-to-peer DMA paths: the topology tree, the
// pair matrix as a heat map, live plots of map latency and transfer
// bandwidth, and run controls (map measurements, transfers).
// Data from a running p2pscoped, the prober in-process, or offline inputs of
// any machine. Bad input: one line on stderr and exit status 2.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "p2pscope/cli_checks.hpp"
#include "app.hpp"
#include "p2pscope/gui/runs.hpp"
#include "p2pscope/gui/sources.hpp"
#include "p2pscope/kclient/uapi.hpp"  // the device node's default path
#include "p2pscope/probe/classes.hpp"
#include "window.hpp"

namespace gui = p2pscope::gui;
using p2pscope::Errc;

namespace {

struct Options {
    std::string connect, hwloc_xml, lspci_dump, sysfs_root, json;
    double interval = 0;
    std::vector<std::string> classes, devices;
    std::string assume_cpu;
    std::string matrix = "path";
    std::string select;
    std::string device_node = p2pscope::kclient::kDevicePath;
    std::string window = "1600x1000";
    std::string screenshot, layout_json, hover_cell;
    std::string transfer;
    int frames = 0;
    int wait_points = 0;
};

// Whether the pair has a plot, and every plot of it (map latency, transfer bandwidth) has `points` points.
bool pair_plots_have(const gui::AppState& s, const std::string& device, const std::string& peer, int points) {
    if (!s.series) return false;
    const auto latency = s.series->for_pair(device, peer);
    const auto bandwidth = s.series->bandwidth_for_pair(device, peer);
    if (latency.empty() && bandwidth.empty()) return false;
    const auto enough = [&](const auto* series) { return series->samples >= static_cast<size_t>(points); };
    return std::all_of(latency.begin(), latency.end(), enough) && std::all_of(bandwidth.begin(), bandwidth.end(), enough);
}

int fail(const p2pscope::Error& e) {
    std::cerr << "p2pscope-gui: " << e.message << "\n";
    return p2pscope::exit_status(e.code);  // 2 bad input, 3 cannot be done here
}

struct Built {
    std::unique_ptr<gui::Source> source;
    std::optional<gui::Fetched> first;  // fetched before the window opens: bad input fails here
};

p2pscope::Result<Built> make_source(const Options& o) {
    Built b;
    const bool analyses = o.connect.empty() && o.json.empty();
    if (!analyses && (!o.classes.empty() || !o.devices.empty() || !o.assume_cpu.empty()))
        return p2pscope::make_error(Errc::invalid_argument,
                                    "--class, --devices and --assume-cpu apply to inputs the GUI analyses itself "
                                    "(this machine, --sysfs-root, --hwloc-xml, --lspci-dump), not to --connect or --json");
    if (o.interval < 0 || o.interval > 86400)
        return p2pscope::make_error(Errc::invalid_argument, "--interval must be within 0..86400 seconds");
    if (!o.connect.empty()) {
        gui::DaemonOptions d;
        if (o.interval > 0) d.interval_s = o.interval;
        auto s = gui::make_daemon_source(o.connect, d);
        if (!s) return s.error();
        b.source = std::move(*s);
        // Its first answer says whether it serves this machine (its boot id), which decides whether measurements
        // run in-process; a daemon that is not up yet may come up later: its errors are shown in the window.
        if (auto first = b.source->fetch()) b.first = std::move(*first);
        return b;
    }
    if (!o.json.empty()) {
        b.source = gui::make_json_file_source(o.json, o.interval > 0 ? std::optional<double>(o.interval) : std::nullopt);
    } else {
        p2pscope::probe::PairSelection sel;
        for (const auto& c : o.classes) {
            if (c == "all") {
                sel.all_classes = true;
                continue;
            }
            auto cls = p2pscope::probe::parse_device_class(c);
            if (!cls)
                return p2pscope::make_error(Errc::invalid_argument,
                                            "unknown class '" + c + "' (gpu, nic, nvme, accel, other, all)");
            sel.classes.push_back(*cls);
        }
        for (const auto& d : o.devices) {
            auto a = p2pscope::probe::PciAddress::parse(d);
            if (!a) return a.error();
            sel.devices.push_back(*a);
        }
        p2pscope::probe::VerdictOptions vo;
        if (!o.assume_cpu.empty()) {
            auto cpu = p2pscope::probe::parse_cpu(o.assume_cpu);
            if (!cpu) return cpu.error();
            vo.assume_cpu = *cpu;
        }
        gui::ProbeInput in;
        if (!o.hwloc_xml.empty())
            in = {gui::ProbeInput::Kind::hwloc_xml, o.hwloc_xml, std::nullopt};
        else if (!o.lspci_dump.empty())
            in = {gui::ProbeInput::Kind::lspci_dump, o.lspci_dump, std::nullopt};
        else if (!o.sysfs_root.empty())
            in = {gui::ProbeInput::Kind::sysfs_root, o.sysfs_root, std::nullopt};
        if (o.interval > 0) in.interval_s = o.interval;
        b.source = gui::make_probe_source(in, sel, vo);
    }
    auto first = b.source->fetch();
    if (!first) return first.error();
    b.first = std::move(*first);
    return b;
}

class Actions final : public gui::ui::Actions {
public:
    Actions(gui::Collector& c, gui::RunController& r) : collector_(c), runs_(r) {}
    void reload() override { collector_.reload(); }
    p2pscope::Status start_map(const gui::MapSpec& spec) override { return runs_.start(spec); }
    p2pscope::Status start_transfer(const gui::TransferSpec& spec) override { return runs_.start_transfer(spec); }
    void stop_run() override { runs_.stop(); }

private:
    gui::Collector& collector_;
    gui::RunController& runs_;
};

// Every option of p2pscope-gui.
void add_options(CLI::App& app, Options& o) {
    app.set_version_flag("--version", std::string(P2PSCOPE_VERSION));
    auto* connect = app.add_option("--connect", o.connect, "A running p2pscoped: HOST:PORT or its URL (GET /snapshot.json)")
                        ->type_name("ADDR");
    auto* xml = app.add_option("--hwloc-xml", o.hwloc_xml, "Offline: hwloc XML from any machine (lstopo --of xml)")
                    ->type_name("FILE");
    auto* dump = app.add_option("--lspci-dump", o.lspci_dump, "Offline: an `lspci -xxxx` dump")->type_name("FILE");
    auto* sysfs = app.add_option("--sysfs-root", o.sysfs_root, "Offline: an unpacked copy of a machine's /sys and /proc")
                      ->type_name("DIR");
    auto* json = app.add_option("--json", o.json, "Offline: saved `p2pscope topo --format json` or snapshot.json")
                     ->type_name("FILE");
    std::vector<CLI::Option*> inputs{connect, xml, dump, sysfs, json};
    for (auto* a : inputs)
        for (auto* b : inputs)
            if (a != b) a->excludes(b);
    app.add_option("--interval", o.interval,
                   "Seconds between fetches: p2pscoped (default 2); this machine or a file: re-read every SECONDS "
                   "(default: on Reload only)")
        ->type_name("SECONDS")
        ->check(p2pscope::finite());
    app.add_option("--class", o.classes, "Device classes in the matrix: gpu, nic, nvme, accel, other, all "
                                         "(default gpu,nic,nvme,accel)")
        ->delimiter(',')
        ->type_name("LIST");
    app.add_option("--devices", o.devices, "Exactly these functions in the matrix (BDFs, bridges allowed)")
        ->delimiter(',')
        ->type_name("BDF,...");
    app.add_option("--assume-cpu", o.assume_cpu, "CPU for the kernel's P2PDMA CPU rule when the input does not say")
        ->type_name("VENDOR[:FAMILY]");
    app.add_option("--matrix", o.matrix, "Heat map at start: path, verdict, latency or bandwidth")
        ->check(CLI::IsMember({"path", "verdict", "latency", "bandwidth"}))
        ->capture_default_str();
    auto* select = app.add_option("--select", o.select, "Select a device, or a pair (device maps the peer's memory), at start")
        ->type_name("BDF[,PEER]");
    app.add_option("--device-node", o.device_node, "The kernel module's device node (in-process map measurements)")
        ->capture_default_str();
    app.add_option("--transfer", o.transfer,
                   "Start a transfer at once, as the run controls would: ENGINE[,KEY=VALUE...] with keys device, "
                   "peer, memory, bar, file, direction, width (8+memcpy, all), size, offset, seconds, source-block, "
                   "destination-block and the flags repeat, destructive; e.g. cpu,file=/tmp/f,size=64K,repeat. "
                   "With --screenshot, the frames are drawn after 3 runs (or when it ends)")
        ->type_name("SPEC");
    app.add_option("--window", o.window, "Window size")->type_name("WxH")->capture_default_str();
    auto* shot = app.add_option("--screenshot", o.screenshot, "Draw --frames frames, save the last as a PNG, and exit")
                     ->type_name("FILE");
    app.add_option("--frames", o.frames, "Frames to draw for --screenshot (default 5)")
        ->check(CLI::Range(1, 100000))
        ->needs(shot);
    app.add_option("--wait-points", o.wait_points,
                   "With --screenshot and --select: draw once every plot of the selected pair has this many points "
                   "(a live daemon's measurements; at most 5 minutes)")
        ->check(CLI::Range(1, 600))
        ->needs(shot)
        ->needs(select);
    app.add_option("--layout-json", o.layout_json, "With --screenshot: also write where each panel was drawn")
        ->type_name("FILE")
        ->needs(shot);
    app.add_option("--hover-cell", o.hover_cell, "With --screenshot: put the pointer on this pair matrix cell, to show "
                                            "its explanation")
        ->type_name("ROW,COL")
        ->needs(shot);
    app.footer(
        "Inputs: this machine by default (probed in-process; run as root to read ACS), or one of --connect,\n"
        "--hwloc-xml, --lspci-dump, --sysfs-root, --json. Map measurements run in-process through /dev/p2pscope\n"
        "when the topology is this machine's. Transfers run in-process through p2pscope xfer's engines\n"
        "(p2pscope xfer --list): an engine that cannot run here says why.\n"
        "Keys: mouse; hover a matrix cell for the verdict's reason, click it to select the pair.\n"
        "Exit status: 0 done, 2 bad input, 3 cannot be done here (no display, no OpenGL, cannot write the PNG).");
}

// What the options ask of the window and the App, checked before any window opens.
struct Start {
    gui::ui::WindowOptions window;
    gui::ui::AppOptions app;
    std::optional<std::pair<int, int>> hover;  // --hover-cell
    std::optional<gui::TransferSpec> transfer;
};

p2pscope::Result<Start> start_from(const Options& o) {
    Start st;
    int w = 0, h = 0;
    char x = 0, extra = 0;
    if (std::sscanf(o.window.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') || w < 320 ||
        h < 240 || w > 16384 || h > 16384)
        return p2pscope::make_error(Errc::invalid_argument,
                                    "--window '" + o.window + "' is not a size from 320x240 to 16384x16384");
    st.window.width = w;
    st.window.height = h;
    st.window.vsync = o.screenshot.empty();
    if (!o.hover_cell.empty()) {
        int r = -1, c = -1;
        char comma = 0;
        if (std::sscanf(o.hover_cell.c_str(), "%d%c%d%c", &r, &comma, &c, &extra) != 3 || comma != ',' || r < 0 || c < 0)
            return p2pscope::make_error(Errc::invalid_argument,
                                        "--hover-cell '" + o.hover_cell + "' is not a cell (ROW,COL, from 0)");
        st.hover = std::make_pair(r, c);
        std::tie(st.app.hover_row, st.app.hover_col) = *st.hover;
    }
    st.app.mode = *gui::parse_matrix_mode(o.matrix);
    if (!o.select.empty()) {
        const auto comma = o.select.find(',');
        auto a = p2pscope::probe::PciAddress::parse(o.select.substr(0, comma));
        if (!a) return a.error();
        st.app.select = a->to_string();
        if (comma != std::string::npos) {
            auto p = p2pscope::probe::PciAddress::parse(o.select.substr(comma + 1));
            if (!p) return p.error();
            st.app.select_peer = p->to_string();
        }
    }
    if (!o.transfer.empty()) {
        auto t = gui::parse_transfer_spec(o.transfer);
        if (!t) return t.error();
        if (auto c = gui::check_transfer(*t); !c) return c.error();
        st.transfer = std::move(*t);
    }
    return st;
}

// A screenshot shows data: the first fetch, for --transfer three runs (or the
// run's end), for --wait-points the selected pair's plots with that many points.
void wait_for_data(const gui::Store& store, const Options& o, const Start& st) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (store.get()->source.loading && store.get()->source.error.empty() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    while (st.transfer && store.get()->run.phase != gui::RunPhase::idle && store.get()->run.samples < 3 &&
           std::chrono::steady_clock::now() < deadline + std::chrono::seconds(40))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto& ao = st.app;
    while (o.wait_points > 0 && !pair_plots_have(*store.get(), ao.select, ao.select_peer, o.wait_points) &&
           std::chrono::steady_clock::now() < deadline + std::chrono::minutes(5))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (o.wait_points > 0 && !pair_plots_have(*store.get(), ao.select, ao.select_peer, o.wait_points))
        std::cerr << "p2pscope-gui: warning: the pair's plots did not reach " << o.wait_points
                  << " points in 5 minutes; the screenshot shows what there is\n";
}

// The window's frames until it closes, or --frames of them for --screenshot; the exit status.
int draw(gui::ui::Window& window, gui::Store& store, gui::ui::Actions& actions, const Options& o, const Start& st) {
    gui::ui::App ui(store, actions, window.fonts(), st.app);
    gui::ui::LoopOptions lo;
    gui::ui::Image shot_image;
    if (!o.screenshot.empty()) {
        lo.frames = o.frames;
        lo.capture_last = &shot_image;
        wait_for_data(store, o, st);
    }
    if (st.hover) {
        // Two frames lay the matrix out; then the pointer goes onto the cell and the frames below show the hover.
        gui::ui::LoopOptions layout;
        layout.frames = 2;
        gui::ui::run_loop(window, ui, store, layout);
        const auto at = ui.hover_target();
        if (!at) {
            std::cerr << "p2pscope-gui: --hover-cell " << o.hover_cell << ": no such cell in the pair matrix\n";
            return 2;
        }
        window.place_pointer(at->first, at->second);
    }
    gui::ui::run_loop(window, ui, store, lo);
    if (o.screenshot.empty()) return 0;
    if (auto w = gui::ui::write_png(o.screenshot, shot_image); !w) return fail(w.error());
    if (!o.layout_json.empty()) {
        std::ofstream out(o.layout_json);
        out << ui.layout_json();
        if (!out) return fail(p2pscope::make_error(Errc::system, o.layout_json + ": cannot write"));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"p2pscope-gui: explore PCIe peer-to-peer DMA paths: topology tree, pair matrix (path class, P2PDMA "
                 "verdict, measured latency and bandwidth), live latency and bandwidth plots and run controls.",
                 "p2pscope-gui"};
    add_options(app, o);
    if (auto done = p2pscope::parse_command_line(app, argc, argv)) {
        std::cout << done->out;
        std::cerr << done->err;
        return done->status;
    }

    if (!o.screenshot.empty() && o.frames == 0) o.frames = 5;
    auto start = start_from(o);
    if (!start) return fail(start.error());

    auto built = make_source(o);
    if (!built) return fail(built.error());
    if (built->first && built->first->topology && !start->app.select.empty()) {
        for (const std::string& bdf : {start->app.select, start->app.select_peer})
            if (!bdf.empty() && built->first->topology->find(bdf) < 0)
                return fail(p2pscope::make_error(Errc::not_found, "--select: no PCI function " + bdf + " in " +
                                                                      built->first->topology->source));
    }
    const bool this_machine = built->source->this_machine();
    const std::string where = built->source->description();

    auto window = gui::ui::Window::open(start->window);
    if (!window) return fail(window.error());

    gui::Store store;
    store.set_waker(&gui::ui::Window::post_wakeup);
    // In-process map measurements need the module and this machine's topology.
    std::unique_ptr<gui::MapBackend> backend;
    std::string unavailable;
    if (!this_machine) {
        unavailable = "the topology shown is not this machine's (" + where +
                      "); measurements run only on the machine itself";
    } else {
        auto b = gui::open_kclient_backend(o.device_node);
        if (b)
            backend = std::move(*b);
        else
            unavailable = b.error().message;
    }
    gui::RunController runs(store, std::move(backend), unavailable);
    gui::Collector collector(std::move(built->source), store);
    collector.start(std::move(built->first));
    Actions actions(collector, runs);
    if (start->transfer) {
        // The engine's own check first: a request it calls invalid is bad input, exit 2 (a waiver is shown, not an error).
        if (auto st = runs.start_transfer(*start->transfer); !st) {
            collector.stop();
            return fail(st.error());
        }
    }

    const int status = draw(**window, store, actions, o, *start);
    store.set_waker({});
    runs.stop();
    runs.join();
    collector.stop();
    return status;
}
