// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers every panel uses: titles, colours, selection.
#include <imgui.h>

#include "../panel.hpp"
#include "p2pscope/gui/runs.hpp"

namespace p2pscope::gui::ui {

void panel_title(const char* title, const char* subtitle) {
    ImGui::TextColored(ImVec4(0.55f, 0.78f, 1.0f, 1.0f), "%s", title);
    if (subtitle && *subtitle) {
        ImGui::SameLine();
        ImGui::TextDisabled("%s", subtitle);
    }
    ImGui::Separator();
}

unsigned im_color(Color c, uint8_t alpha) { return IM_COL32(c.r, c.g, c.b, alpha); }

void select_device(UiState& ui, const TopologyView& t, int d) {
    if (d < 0 || d >= static_cast<int>(t.devices.size())) return;
    const DeviceView& dev = t.devices[static_cast<size_t>(d)];
    ui.device = d;
    ui.row = dev.matrix_index;
    ui.col = -1;
    ui.draft.device = dev.bdf;
    ui.draft.peer.clear();
    if (memory_needs_peer(ui.draft.memory)) ui.draft.memory = "ram";
}

void select_cell(UiState& ui, const TopologyView& t, int row, int col) {
    const int n = static_cast<int>(t.matrix.size());
    if (row < 0 || col < 0 || row >= n || col >= n) return;
    const DeviceView& a = t.devices[static_cast<size_t>(t.matrix[static_cast<size_t>(row)])];
    ui.device = t.matrix[static_cast<size_t>(row)];
    ui.row = row;
    ui.col = col;
    ui.scroll_to_device = true;
    ui.draft.device = a.bdf;
    if (row == col) {
        ui.draft.peer.clear();
        if (memory_needs_peer(ui.draft.memory)) ui.draft.memory = "ram";
    } else {
        ui.draft.peer = t.devices[static_cast<size_t>(t.matrix[static_cast<size_t>(col)])].bdf;
        if (!memory_needs_peer(ui.draft.memory)) ui.draft.memory = "p2pmem";
    }
}

}  // namespace p2pscope::gui::ui
