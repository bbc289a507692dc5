// SPDX-License-Identifier: GPL-2.0-or-later
// The pair matrix as a heat map, switchable between path class, P2PDMA
// verdict, measured map latency and transfer bandwidth. The cells are one
// texture (a pixel per pair) re-uploaded only when the view changes, so a
// 256-device matrix costs one quad a frame; labels, grid and the hover
// outline are drawn on top when cells are big enough to carry them.
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "../panel.hpp"

namespace p2pscope::gui::ui {

namespace {

class MatrixPanel final : public Panel {
public:
    void draw(Frame& f) override {
        const auto& t = f.state.topology;
        char subtitle[64] = "";
        if (t) std::snprintf(subtitle, sizeof subtitle, "%zu devices, %zu pairs", t->matrix.size(), t->pairs.size());
        panel_title("Pair matrix", subtitle);
        for (auto m : {MatrixMode::path, MatrixMode::verdict, MatrixMode::latency, MatrixMode::bandwidth}) {
            if (ImGui::RadioButton(std::string(title(m)).c_str(), f.ui.mode == m)) f.ui.mode = m;
            ImGui::SameLine();
        }
        ImGui::NewLine();
        if (!t) {
            ImGui::TextWrapped("%s", f.state.source.error.empty() ? "Reading the topology..." : f.state.source.error.c_str());
            return;
        }
        refresh(f);
        legend();
        if (!view_.note.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
            ImGui::TextWrapped("%s", view_.note.c_str());
            ImGui::PopStyleColor();
        }
        if (t->matrix.empty()) {
            ImGui::TextWrapped("No device takes part in pairs: the input has no GPU, NIC, NVMe drive or accelerator "
                               "(start with --class all to pair every endpoint).");
            return;
        }
        ImGui::BeginChild("heatmap", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
        heatmap(f, *t);
        ImGui::EndChild();
    }

private:
    void refresh(Frame& f) {
        const bool measured = f.ui.mode == MatrixMode::latency;
        if (f.state.topology == topology_ && f.ui.mode == mode_ && (!measured || f.state.measurements == measurements_))
            return;
        topology_ = f.state.topology;
        measurements_ = f.state.measurements;
        mode_ = f.ui.mode;
        view_ = build_matrix(*topology_, *measurements_, mode_);
        const size_t n = view_.n;
        pixels_.assign(n * n * 4, 255);
        for (size_t i = 0; i < n * n; ++i) {
            pixels_[i * 4 + 0] = view_.cells[i].color.r;
            pixels_[i * 4 + 1] = view_.cells[i].color.g;
            pixels_[i * 4 + 2] = view_.cells[i].color.b;
        }
        upload_ = true;
        ++version_;
        // Where consecutive rows change host bridge: drawn as heavier grid lines.
        bridge_breaks_.clear();
        for (size_t i = 1; i < n; ++i)
            if (topology_->devices[static_cast<size_t>(topology_->matrix[i])].host_bridge !=
                topology_->devices[static_cast<size_t>(topology_->matrix[i - 1])].host_bridge)
                bridge_breaks_.push_back(i);
    }

    void legend() {
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float sz = ImGui::GetTextLineHeight() * 0.8f;
        for (const auto& e : view_.legend) {
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float y = p.y + (ImGui::GetTextLineHeight() - sz) * 0.5f;
            dl->AddRectFilled(ImVec2(p.x, y), ImVec2(p.x + sz, y + sz), im_color(e.color), 2.0f);
            ImGui::Dummy(ImVec2(sz, ImGui::GetTextLineHeight()));
            ImGui::SameLine(0, 4);
            ImGui::TextUnformatted(e.label.c_str());
            ImGui::SameLine(0, 14);
        }
        ImGui::NewLine();
    }

    void heatmap(Frame& f, const TopologyView& t) {
        const int n = static_cast<int>(view_.n);
        if (upload_) {
            texture_.upload(n, n, pixels_.data());
            upload_ = false;
        }
        ImGui::PushFont(f.fonts.mono);
        const float line = ImGui::GetTextLineHeight();
        bool short_names = true;
        for (int m : t.matrix) short_names &= t.devices[static_cast<size_t>(m)].bdf.rfind("0000:", 0) == 0;
        const std::string widest = std::to_string(n - 1) + " " + (short_names ? "00:00.0" : "0000:00:00.0");
        const float label_w = ImGui::CalcTextSize(widest.c_str()).x + 8;
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float fit = std::floor(std::min((avail.x - label_w - 4) / static_cast<float>(n),
                                              (avail.y - line - 6) / static_cast<float>(n)));
        const float cell = std::clamp(fit, 3.0f, 44.0f);
        const bool numbers = cell >= ImGui::CalcTextSize(std::to_string(n - 1).c_str()).x + 2;
        const float header_h = numbers ? line + 2 : 0;
        const ImVec2 origin = ImGui::GetCursorScreenPos();
        const ImVec2 grid(origin.x + label_w, origin.y + header_h);
        const float side = cell * static_cast<float>(n);
        ImGui::InvisibleButton("##cells", ImVec2(label_w + side, header_h + side));
        const bool hovered = ImGui::IsItemHovered();
        const bool clicked = ImGui::IsItemClicked();

        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 clip_min = ImGui::GetWindowPos();
        const ImVec2 clip_max(clip_min.x + ImGui::GetWindowSize().x, clip_min.y + ImGui::GetWindowSize().y);
        auto cell_min = [&](int r, int c) {
            return ImVec2(grid.x + static_cast<float>(c) * cell, grid.y + static_cast<float>(r) * cell);
        };
        // The cells: one textured quad.
        dl->AddImage(texture_.id(), grid, ImVec2(grid.x + side, grid.y + side));
        // Visible rows and columns only, from here on.
        const int r0 = std::max(0, static_cast<int>((clip_min.y - grid.y) / cell));
        const int r1 = std::min(n, static_cast<int>((clip_max.y - grid.y) / cell) + 1);
        const int c0 = std::max(0, static_cast<int>((clip_min.x - grid.x) / cell));
        const int c1 = std::min(n, static_cast<int>((clip_max.x - grid.x) / cell) + 1);
        if (cell >= 8) {
            const ImU32 thin = IM_COL32(0, 0, 0, 90);
            for (int i = std::max(r0, 1); i < r1; ++i)
                dl->AddLine(ImVec2(grid.x, grid.y + i * cell), ImVec2(grid.x + side, grid.y + i * cell), thin);
            for (int i = std::max(c0, 1); i < c1; ++i)
                dl->AddLine(ImVec2(grid.x + i * cell, grid.y), ImVec2(grid.x + i * cell, grid.y + side), thin);
        }
        const ImU32 heavy = IM_COL32(230, 230, 240, 150);
        for (size_t b : bridge_breaks_) {
            const float at = static_cast<float>(b) * cell;
            dl->AddLine(ImVec2(grid.x, grid.y + at), ImVec2(grid.x + side, grid.y + at), heavy, 1.5f);
            dl->AddLine(ImVec2(grid.x + at, grid.y), ImVec2(grid.x + at, grid.y + side), heavy, 1.5f);
        }
        // Cell labels where they fit.
        if (cell >= 22) {
            for (int r = r0; r < r1; ++r)
                for (int c = c0; c < c1; ++c) {
                    const Cell& cl = view_.at(static_cast<size_t>(r), static_cast<size_t>(c));
                    if (cl.label.empty()) continue;
                    // Full size, or smaller when the label would not fit (NODE in a small cell).
                    float size = ImGui::GetFontSize();
                    ImVec2 ts = ImGui::CalcTextSize(cl.label.c_str());
                    if (ts.x > cell - 3) {
                        size *= (cell - 3) / ts.x;
                        if (size < 9.0f) continue;
                        ts = ImVec2(ts.x * size / ImGui::GetFontSize(), ts.y * size / ImGui::GetFontSize());
                    }
                    const ImVec2 p = cell_min(r, c);
                    dl->AddText(ImGui::GetFont(), size, ImVec2(p.x + (cell - ts.x) * 0.5f, p.y + (cell - ts.y) * 0.5f),
                                im_color(text_color_on(cl.color)), cl.label.c_str());
                }
        }
        // Row labels ("index BDF") and column numbers.
        const bool row_labels = cell >= line * 0.9f;
        for (int r = r0; r < r1 && row_labels; ++r) {
            const DeviceView& d = t.devices[static_cast<size_t>(t.matrix[static_cast<size_t>(r)])];
            const std::string s = std::to_string(r) + " " + (short_names ? d.short_bdf() : d.bdf);
            const bool mine = r == f.ui.row;
            dl->AddText(ImVec2(origin.x, grid.y + static_cast<float>(r) * cell + (cell - line) * 0.5f),
                        mine ? IM_COL32(255, 255, 255, 255) : IM_COL32(170, 172, 180, 255), s.c_str());
        }
        if (numbers)
            for (int c = c0; c < c1; ++c) {
                const std::string s = std::to_string(c);
                const float w = ImGui::CalcTextSize(s.c_str()).x;
                dl->AddText(ImVec2(grid.x + static_cast<float>(c) * cell + (cell - w) * 0.5f, origin.y),
                            c == f.ui.col ? IM_COL32(255, 255, 255, 255) : IM_COL32(170, 172, 180, 255), s.c_str());
            }
        ImGui::PopFont();

        // Selection.
        if (f.ui.row >= 0 && f.ui.row < n) {
            const ImVec2 a = cell_min(f.ui.row, 0);
            dl->AddRect(a, ImVec2(a.x + side, a.y + cell), IM_COL32(255, 255, 255, 110), 0, 0, 1.0f);
            if (f.ui.col >= 0 && f.ui.col < n) {
                const ImVec2 p = cell_min(f.ui.row, f.ui.col);
                dl->AddRect(ImVec2(p.x - 1, p.y - 1), ImVec2(p.x + cell + 1, p.y + cell + 1), IM_COL32(255, 255, 255, 255),
                            0, 0, 2.0f);
            }
        }
        if (f.ui.want_row >= 0 && f.ui.want_row < n && f.ui.want_col >= 0 && f.ui.want_col < n) {
            const ImVec2 p = cell_min(f.ui.want_row, f.ui.want_col);
            f.ui.want_x = p.x + cell * 0.5f;
            f.ui.want_y = p.y + cell * 0.5f;
        }
        // Hover: outline and the explanation.
        if (hovered) {
            const ImVec2 m = ImGui::GetIO().MousePos;
            const int c = static_cast<int>(std::floor((m.x - grid.x) / cell));
            const int r = static_cast<int>(std::floor((m.y - grid.y) / cell));
            if (r >= 0 && r < n && c >= 0 && c < n) {
                const ImVec2 p = cell_min(r, c);
                dl->AddRect(p, ImVec2(p.x + cell, p.y + cell), IM_COL32(255, 255, 120, 255), 0, 0, 2.0f);
                if (hover_r_ != r || hover_c_ != c || hover_version_ != version_ || hover_text_.empty()) {
                    hover_text_ = explain_cell(t, *measurements_, mode_, static_cast<size_t>(r), static_cast<size_t>(c));
                    hover_r_ = r;
                    hover_c_ = c;
                    hover_version_ = version_;
                }
                f.ui.hover_text = hover_text_;
                ImGui::BeginTooltip();
                ImGui::PushTextWrapPos(ImGui::GetFontSize() * 42.0f);
                ImGui::TextUnformatted(hover_text_.c_str());
                ImGui::TextDisabled("Click to select this pair for the run controls and plots.");
                ImGui::PopTextWrapPos();
                ImGui::EndTooltip();
                if (clicked) select_cell(f.ui, t, r, c);
            }
        } else {
            hover_r_ = hover_c_ = -1;
        }
    }

    std::shared_ptr<const TopologyView> topology_;
    std::shared_ptr<const std::vector<MeasurementView>> measurements_;
    MatrixMode mode_ = MatrixMode::path;
    MatrixView view_;
    std::vector<uint8_t> pixels_;
    std::vector<size_t> bridge_breaks_;
    bool upload_ = false;
    Texture texture_;
    int hover_r_ = -1, hover_c_ = -1;
    uint64_t version_ = 0, hover_version_ = 0;
    std::string hover_text_;
};

const PanelRegistration registration{{.name = "Pair matrix", .make = make_panel<MatrixPanel>}};

}  // namespace

}  // namespace p2pscope::gui::ui
