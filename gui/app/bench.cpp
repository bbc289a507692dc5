// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope-gui-bench: what the GUI costs. Prints, for a synthetic server with
// N endpoints (default 256: a 256x256 pair matrix), the time to analyse it
// and build the view model, the frame time of the full UI in each heat-map
// mode (building the ImGui frame, and rendering + presenting it), and the CPU
// the GUI uses while idle: the process's CPU seconds over a few seconds of
// the real frame loop with nothing changing. Needs a display (Xvfb will do:
// tests/gui/with-xvfb.sh build/gui/p2pscope-gui-bench). Figures, not a test.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "app.hpp"
#include "p2pscope/gui/synthetic.hpp"
#include "p2pscope/gui/view_model.hpp"
#include "window.hpp"

namespace gui = p2pscope::gui;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
    return v[i];
}

class NoActions final : public gui::ui::Actions {
public:
    void reload() override {}
    p2pscope::Status start_map(const gui::MapSpec&) override {
        return p2pscope::make_error(p2pscope::Errc::unsupported, "benchmark");
    }
    p2pscope::Status start_transfer(const gui::TransferSpec&) override {
        return p2pscope::make_error(p2pscope::Errc::unsupported, "benchmark");
    }
    void stop_run() override {}
};

}  // namespace

int main(int argc, char** argv) {
    int endpoints = 256, frames = 120;
    double idle_seconds = 5;
    std::string window_size = "1600x1000";
    CLI::App app{"p2pscope-gui-bench: frame time of p2pscope-gui on a synthetic server, and its CPU use while idle "
                 "(needs a display; Xvfb will do).",
                 "p2pscope-gui-bench"};
    app.add_option("--endpoints", endpoints, "Devices in the pair matrix")->check(CLI::Range(16, 4096))->capture_default_str();
    app.add_option("--frames", frames, "Frames timed per heat-map mode")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--idle-seconds", idle_seconds, "Length of the idle measurement")
        ->check(CLI::Range(0.5, 600.0))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    auto t0 = clock_type::now();
    const auto topology = gui::make_synthetic_topology(endpoints);
    const double make_ms = ms_since(t0);
    t0 = clock_type::now();
    auto view = gui::analyse_topology(topology, {});
    const double analyse_ms = ms_since(t0);
    if (!view) {
        std::cerr << "p2pscope-gui-bench: " << view.error().message << "\n";
        return p2pscope::exit_status(view.error().code);
    }
    std::printf("synthetic server: %zu PCI functions, %zu host bridges, %zu switches, %zu devices in the matrix "
                "(%zu pairs)\n",
                view->devices.size(), view->host_bridges.size(), view->switches.size(), view->matrix.size(),
                view->pairs.size());
    std::printf("  model: %.1f ms; pair analysis + view model: %.1f ms\n", make_ms, analyse_ms);

    gui::ui::WindowOptions wo;
    std::sscanf(window_size.c_str(), "%dx%d", &wo.width, &wo.height);
    wo.vsync = false;  // time the work, not the display's refresh
    auto window = gui::ui::Window::open(wo);
    if (!window) {
        std::cerr << "p2pscope-gui-bench: " << window.error().message << "\n";
        return p2pscope::exit_status(window.error().code);
    }
    gui::Store store;
    store.set_waker(&gui::ui::Window::post_wakeup);
    auto shared = std::make_shared<const gui::TopologyView>(std::move(*view));
    store.update([&](gui::AppState& s) {
        s.topology = shared;
        s.source.kind = "synthetic";
        s.source.description = topology.source;
        s.source.loading = false;
        s.run.map_unavailable = "benchmark";
    });
    NoActions actions;
    gui::ui::AppOptions ao;
    // A selected pair, as a user would have: details, highlights and the plots' header are drawn.
    const size_t n = shared->matrix.size();
    ao.select = shared->devices[static_cast<size_t>(shared->matrix[3 % n])].bdf;
    ao.select_peer = shared->devices[static_cast<size_t>(shared->matrix[(n * 2) / 3])].bdf;
    gui::ui::App ui(store, actions, (*window)->fonts(), ao);

    std::printf("frame time, %dx%d window, %d frames per mode, OpenGL renderer: %s\n", wo.width, wo.height, frames,
                (*window)->renderer().c_str());
    std::printf("  %-20s %18s %18s %18s %18s\n", "heat map", "UI build", "ImGui::Render", "GL draw", "present (swap)");
    for (auto mode : {gui::MatrixMode::path, gui::MatrixMode::verdict, gui::MatrixMode::latency, gui::MatrixMode::bandwidth}) {
        ui.set_matrix_mode(mode);
        std::vector<double> build, render, draw, swap;
        for (int i = 0; i < frames + 5; ++i) {
            auto f0 = clock_type::now();
            (*window)->begin_frame();
            ui.frame();
            const double b = ms_since(f0);
            gui::ui::Window::Timing t;
            (*window)->end_frame(nullptr, &t);
            if (i >= 5) {  // the first frames upload the texture and lay tables out
                build.push_back(b);
                render.push_back(t.imgui_render_ms);
                draw.push_back(t.gl_draw_ms);
                swap.push_back(t.swap_ms);
            }
        }
        auto fmt = [](const std::vector<double>& v) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.2f / %.2f", percentile(v, 0.5), percentile(v, 0.99));
            return std::string(buf);
        };
        std::printf("  %-20s %18s %18s %18s %18s\n", std::string(gui::title(mode)).c_str(), fmt(build).c_str(),
                    fmt(render).c_str(), fmt(draw).c_str(), fmt(swap).c_str());
    }
    std::printf("  (milliseconds, p50 / p99)\n");

    // Idle: the real frame loop, after the frames a change costs, with nothing changing.
    ui.set_matrix_mode(gui::MatrixMode::path);
    gui::ui::LoopOptions lo;
    lo.seconds = 0.5;  // lets the window's own events (expose, focus) from the timed frames pass
    gui::ui::run_loop(**window, ui, store, lo);
    const double c0 = cpu_seconds();
    auto w0 = clock_type::now();
    lo.seconds = idle_seconds;
    lo.draw_at_start = false;
    const auto stats = gui::ui::run_loop(**window, ui, store, lo);
    const double wall = ms_since(w0) / 1000;
    const double cpu = cpu_seconds() - c0;
    std::printf("idle: %.4f CPU seconds over %.1f s of the frame loop with nothing changing (%.3f %% of one core); "
                "%llu frames drawn, %llu wakeups\n",
                cpu, wall, 100.0 * cpu / wall, static_cast<unsigned long long>(stats.frames),
                static_cast<unsigned long long>(stats.wakeups));
    // And one publication a second (a daemon's new measurement): each costs a frame or two.
    std::atomic<bool> done{false};
    std::thread publisher([&] {
        while (!done) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            store.update([](gui::AppState& s) { s.source.updated_unix_s += 1; });
        }
    });
    const double c1 = cpu_seconds();
    w0 = clock_type::now();
    const auto busy = gui::ui::run_loop(**window, ui, store, lo);
    const double wall1 = ms_since(w0) / 1000;
    const double cpu1 = cpu_seconds() - c1;
    done = true;
    publisher.join();
    std::printf("one update a second: %.4f CPU seconds over %.1f s (%.2f %% of one core); %llu frames drawn\n", cpu1,
                wall1, 100.0 * cpu1 / wall1, static_cast<unsigned long long>(busy.frames));
    store.set_waker({});
    return 0;
}
