// SPDX-License-Identifier: GPL-2.0-or-later
// Live plots: map latency percentiles over time, one ring buffer per series
// (ImGui's PlotLines reads them in place), for the selected pair or for every
// series; transfer bandwidth is shown as unavailable, never invented.
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "../panel.hpp"

namespace p2pscope::gui::ui {

namespace {

std::string clock_time(double unix_s) {
    const std::time_t t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

struct Percentile {
    const char* name;
    const Ring<float> LatencySeries::*ring;
    ImVec4 color;
};

const ImVec4 kP50{0.40f, 0.75f, 1.00f, 1.0f};
const ImVec4 kP90{0.45f, 0.85f, 0.45f, 1.0f};
const ImVec4 kP99{1.00f, 0.72f, 0.30f, 1.0f};
const ImVec4 kP999{1.00f, 0.42f, 0.35f, 1.0f};

const Percentile kPercentiles[] = {{"p50", &LatencySeries::p50_ns, kP50},
                                   {"p90", &LatencySeries::p90_ns, kP90},
                                   {"p99", &LatencySeries::p99_ns, kP99},
                                   {"p99.9", &LatencySeries::p999_ns, kP999}};

class PlotsPanel final : public Panel {
public:
    const char* name() const override { return "Live plots"; }

    void draw(Frame& f) override {
        const SeriesSet& all = *f.state.series;
        std::string device, peer;
        bool pair_selected = false;
        if (f.state.topology && f.ui.device >= 0 && f.ui.device < static_cast<int>(f.state.topology->devices.size())) {
            device = f.state.topology->devices[static_cast<size_t>(f.ui.device)].bdf;
            pair_selected = true;
            if (f.ui.row >= 0 && f.ui.col >= 0 && f.ui.row != f.ui.col)
                peer = f.state.topology->devices[static_cast<size_t>(f.state.topology->matrix[static_cast<size_t>(f.ui.col)])].bdf;
        }
        std::vector<const LatencySeries*> shown;
        if (f.ui.plots_all || !pair_selected) {
            for (const auto& [key, s] : all.all()) shown.push_back(&s);
            std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->time_unix_s.back() > b->time_unix_s.back(); });
        } else {
            shown = all.for_pair(device, peer);
        }
        char subtitle[160];
        if (f.ui.plots_all || !pair_selected)
            std::snprintf(subtitle, sizeof subtitle, "all %zu series", all.size());
        else
            std::snprintf(subtitle, sizeof subtitle, "%s%s%s", device.c_str(), peer.empty() ? " with host memory" : " -> ",
                          peer.c_str());
        panel_title("Live plots", subtitle);
        ImGui::Checkbox("Every series", &f.ui.plots_all);
        ImGui::SameLine();
        for (const auto& p : kPercentiles) {
            ImGui::SameLine(0, 12);
            ImGui::TextColored(p.color, "%s", p.name);
        }
        ImGui::SameLine(0, 12);
        ImGui::TextDisabled("map latency, newest right");

        ImGui::BeginChild("series", ImVec2(0, -bandwidth_height()), false);
        if (shown.empty()) empty(f, pair_selected);
        for (const LatencySeries* s : shown) plot(*s);
        ImGui::EndChild();
        bandwidth(f);
    }

private:
    static float bandwidth_height() { return ImGui::GetTextLineHeightWithSpacing() * 2 + 40; }

    static void empty(Frame& f, bool pair_selected) {
        ImGui::PushTextWrapPos(0);
        if (f.state.source.kind == "daemon")
            ImGui::TextDisabled("No finished map measurement%s from p2pscoped yet; its series appear here as it "
                                "finishes them.", pair_selected && !f.ui.plots_all ? " of this pair" : "");
        else if (pair_selected && !f.ui.plots_all)
            ImGui::TextDisabled("No map measurement of this pair yet: start one under Run controls.");
        else
            ImGui::TextDisabled("No map measurement yet: select a device or pair and start one under Run controls.");
        ImGui::PopTextWrapPos();
    }

    static void plot(const LatencySeries& s) {
        ImGui::PushID(s.key.c_str());
        ImGui::TextUnformatted(s.label.c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("%zu samples, last %s, %s%s%s", s.samples, clock_time(s.time_unix_s.back()).c_str(),
                            s.device.c_str(), s.peer.empty() ? " with host memory" : " -> ", s.peer.c_str());
        const float w = ImGui::GetContentRegionAvail().x;
        for (const auto& p : kPercentiles) {
            const Ring<float>& r = s.*(p.ring);
            // Each line on its own scale, so its shape shows; the overlay gives the figures.
            float lo = r.back(), hi = r.back();
            for (size_t i = 0; i < r.size(); ++i) {
                lo = std::min(lo, r[i]);
                hi = std::max(hi, r[i]);
            }
            const float pad = std::max(1.0f, (hi - lo) * 0.12f);
            char overlay[128];
            std::snprintf(overlay, sizeof overlay, "%s %s  (%s .. %s)", p.name, format_ns(r.back()).c_str(),
                          format_ns(lo).c_str(), format_ns(hi).c_str());
            ImGui::PushStyleColor(ImGuiCol_PlotLines, p.color);
            ImGui::PushID(p.name);
            ImGui::PlotLines("##line", r.data(), static_cast<int>(r.size()), static_cast<int>(r.offset()), overlay,
                             std::max(0.0f, lo - pad), hi + pad, ImVec2(w, 34));
            ImGui::PopID();
            ImGui::PopStyleColor();
        }
        ImGui::Spacing();
        ImGui::PopID();
    }

    static void bandwidth(Frame& f) {
        ImGui::Separator();
        ImGui::TextUnformatted("Transfer bandwidth");
        ImGui::SameLine();
        ImGui::TextColored(ImVec4(1.0f, 0.72f, 0.30f, 1.0f), "unavailable");
        const float dummy = 0;
        ImGui::PlotLines("##bw", &dummy, 0, 0, "no data", 0, 1, ImVec2(ImGui::GetContentRegionAvail().x, 24));
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", f.state.run.transfer_unavailable.c_str());
    }
};

}  // namespace

std::unique_ptr<Panel> make_plots_panel() { return std::make_unique<PlotsPanel>(); }

}  // namespace p2pscope::gui::ui
