// SPDX-License-Identifier: GPL-2.0-or-later
// The whole UI as one function per frame: a header line with the source, and
// the panels laid out by name in resizable columns and rows. The frame loop that calls
// it sleeps until input, a worker's publication, or a timer it asks for.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "p2pscope/gui/store.hpp"
#include "panel.hpp"
#include "window.hpp"

namespace p2pscope::gui::ui {

struct AppOptions {
    MatrixMode mode = MatrixMode::path;
    std::string select;       // BDF to select at start
    std::string select_peer;  // with select: the pair (select, peer) in the matrix
    int hover_row = -1, hover_col = -1;  // a matrix cell to find on screen (--hover-cell)
};

// Where a panel was drawn, in framebuffer pixels (tests check each has content).
struct PanelRect {
    std::string name;
    float x = 0, y = 0, w = 0, h = 0;
};

class App {
public:
    App(Store& store, Actions& actions, const Fonts& fonts, AppOptions options);
    ~App();

    // Builds one ImGui frame from the store's current state (between NewFrame and Render).
    void frame();
    // Seconds until the UI needs a redraw although nothing happened (a running
    // measurement's clock, a blinking text cursor); none: sleep until woken.
    std::optional<double> redraw_after() const;
    std::string layout_json() const;
    // Where the --hover-cell cell was drawn (window coordinates), once it was.
    std::optional<std::pair<float, float>> hover_target() const {
        if (ui_.want_x < 0) return std::nullopt;
        return std::make_pair(ui_.want_x, ui_.want_y);
    }
    // For the benchmark: what a click on the mode buttons does.
    void set_matrix_mode(MatrixMode m) { ui_.mode = m; }

private:
    void header(const AppState& s);
    void draw_panel(const char* name, Frame& f, float w, float h);
    void apply_pending_selection(const AppState& s);

    Store& store_;
    Actions& actions_;
    const Fonts& fonts_;
    UiState ui_;
    std::map<std::string, std::unique_ptr<Panel>> panels_;  // every registered panel, by name
    std::vector<PanelRect> rects_;
    float left_ = 0.40f, tree_ = 0.62f, matrix_ = 0.60f, plots_ = 0.56f;  // splitter fractions
    bool running_ = false;
    bool text_input_ = false;
};

// The frame loop: draws when something changed and otherwise sleeps in
// glfwWaitEventsTimeout. `frames` > 0 draws exactly that many frames without
// sleeping (screenshots); `seconds` > 0 returns after that long (benchmarks).
struct LoopOptions {
    int frames = 0;
    double seconds = 0;
    Image* capture_last = nullptr;  // the last of `frames` is read back into it
    bool draw_at_start = true;      // false: sleep until something changes (idle measurements)
};
struct LoopStats {
    uint64_t frames = 0;
    uint64_t wakeups = 0;
};
LoopStats run_loop(Window& window, App& app, Store& store, const LoopOptions& options);

}  // namespace p2pscope::gui::ui
