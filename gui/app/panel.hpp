// SPDX-License-Identifier: GPL-2.0-or-later
// The panel interface. A panel is one function per frame over plain state: it
// reads the AppState the workers published (never blocking them), reads and
// writes the UI's own state (selection, modes), and asks for actions through
// Actions. One file per panel in panels/ (NAME_panel.cpp), which registers it
// (PanelRegistration); the App lays the panels out by their names.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "p2pscope/gui/matrix.hpp"
#include "p2pscope/gui/store.hpp"
#include "p2pscope/registry.hpp"
#include "window.hpp"

namespace p2pscope::gui::ui {

// What the panels can ask the rest of the program to do.
class Actions {
public:
    virtual ~Actions() = default;
    virtual void reload() = 0;
    virtual Status start_map(const MapSpec& spec) = 0;
    virtual Status start_transfer(const TransferSpec& spec) = 0;
    virtual void stop_run() = 0;  // the map measurement or transfer that runs
};

// State the user changes; lives across frames, owned by the UI thread only.
struct UiState {
    int device = -1;                  // selected device (index into the topology's devices)
    int row = -1, col = -1;           // selected matrix cell
    bool scroll_to_device = false;    // the tree brings the selection into view once
    MatrixMode mode = MatrixMode::path;
    MapSpec draft;                    // the run controls' settings (device and peer: the selection)
    RunKind run_kind = RunKind::map;  // which form the run controls show
    TransferSpec transfer;            // the transfer form's settings
    bool transfer_selected = true;    // the transfer uses the selected device (and peer)
    std::string last_error;           // the last refused action, shown by the run controls
    bool plots_all = false;           // plots: every series, not just the selected pair's
    std::map<std::string, bool> open; // tree nodes the user folded or unfolded
    char filter[128] = {};            // tree: show only devices matching this
    std::string pending_select;       // --select for a topology that has not arrived yet
    std::string hover_text;           // this frame's matrix tooltip, if one is shown (screenshot layouts)
    int want_row = -1, want_col = -1; // --hover-cell: the matrix says where that cell is drawn
    float want_x = -1, want_y = -1;   // its centre, in window coordinates; -1 until drawn
    std::shared_ptr<const TopologyView> selection_topology;  // the topology the indexes above refer to
};

struct Frame {
    const AppState& state;
    UiState& ui;
    Actions& actions;
    const Fonts& fonts;
};

class Panel {
public:
    virtual ~Panel() = default;
    virtual void draw(Frame& f) = 0;
};

template <class P>
std::unique_ptr<Panel> make_panel() {
    return std::make_unique<P>();
}

// A panel's file declares it with one of these at namespace scope:
//   const PanelRegistration registration{{.name = "Topology", .make = make_panel<TopologyPanel>}};
// The name is what the App's layout places it by (and the layout JSON names it
// by). Core's Registry: filled before main, only read afterwards; a second
// panel of a name is kept out.
struct PanelInfo {
    std::string name;
    std::unique_ptr<Panel> (*make)() = nullptr;
};
using PanelRegistration = Registration<PanelInfo>;

// One of each registered panel, by name.
std::map<std::string, std::unique_ptr<Panel>> make_registered_panels();
// Panels kept out of the registry, "NAME (why)" (core's Registry::kept_out).
const std::vector<std::string>& kept_out_panels();

// Shared drawing helpers.
void panel_title(const char* title, const char* subtitle = nullptr);
unsigned im_color(Color c, uint8_t alpha = 255);
// Selects device `d` (and no cell), as a click in the tree does.
void select_device(UiState& ui, const TopologyView& t, int d);
// Selects matrix cell (row, col): row's device maps, column's is the peer.
void select_cell(UiState& ui, const TopologyView& t, int row, int col);

}  // namespace p2pscope::gui::ui
