// SPDX-License-Identifier: GPL-2.0-or-later
// Live plots: transfer bandwidth (with per-transfer latency p50 and p99) and
// map latency percentiles over time, one ring buffer per series (ImGui's
// PlotLines reads them in place), for the selected pair or for every series.
// A transfer series gains a point per finished run (repeat: until stopped).
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

const ImVec4 kBandwidth{0.85f, 0.45f, 1.00f, 1.0f};  // 217,115,255: the screenshot test looks for it

const Percentile kPercentiles[] = {{"p50", &LatencySeries::p50_ns, kP50},
                                   {"p90", &LatencySeries::p90_ns, kP90},
                                   {"p99", &LatencySeries::p99_ns, kP99},
                                   {"p99.9", &LatencySeries::p999_ns, kP999}};

class PlotsPanel final : public Panel {
public:
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
        std::vector<const BandwidthSeries*> rates;
        if (f.ui.plots_all || !pair_selected) {
            for (const auto& [key, s] : all.all()) shown.push_back(&s);
            std::sort(shown.begin(), shown.end(), [](auto* a, auto* b) { return a->time_unix_s.back() > b->time_unix_s.back(); });
            for (const auto& [key, s] : all.bandwidth()) rates.push_back(&s);
        } else {
            shown = all.for_pair(device, peer);
            rates = all.bandwidth_for_pair(device, peer);
            // Transfers on a file have no device: they belong to no pair and show with any.
            for (const auto* b : all.bandwidth_for_pair("", "")) rates.push_back(b);
        }
        // Newest first; one configuration's rows (widths) stay together in their key order.
        std::stable_sort(rates.begin(), rates.end(),
                         [](auto* a, auto* b) { return a->time_unix_s.back() > b->time_unix_s.back(); });
        char subtitle[160];
        if (f.ui.plots_all || !pair_selected)
            std::snprintf(subtitle, sizeof subtitle, "all: %zu bandwidth, %zu latency series", all.bandwidth().size(),
                          all.size());
        else
            std::snprintf(subtitle, sizeof subtitle, "%s%s%s", device.c_str(), peer.empty() ? " with host memory" : " -> ",
                          peer.c_str());
        panel_title("Live plots", subtitle);
        ImGui::Checkbox("Every series", &f.ui.plots_all);
        ImGui::SameLine();
        // The bandwidth line's colour appears on screen only where a bandwidth plot is drawn (the screenshot test
        // counts it); its overlay names it.
        for (const auto& p : kPercentiles) {
            ImGui::SameLine(0, 12);
            ImGui::TextColored(p.color, "%s", p.name);
        }
        ImGui::SameLine(0, 12);
        ImGui::TextDisabled("latency; bandwidth in violet; newest right");

        ImGui::BeginChild("series", ImVec2(0, 0), false);
        if (!rates.empty()) {
            ImGui::TextDisabled("Transfer bandwidth, one point per run");
            for (const BandwidthSeries* b : rates) plot(*b);
            ImGui::Separator();
        }
        if (shown.empty()) empty(f, pair_selected, !rates.empty());
        else ImGui::TextDisabled("Map latency");
        for (const LatencySeries* s : shown) plot(*s);
        ImGui::EndChild();
    }

private:
    // One line on its own scale (so its shape shows), the overlay giving the figures.
    template <class Format>
    static void line(const char* id, const Ring<float>& r, const ImVec4& color, const char* name, Format format,
                     float height, bool from_zero) {
        float lo = r.back(), hi = r.back();
        for (size_t i = 0; i < r.size(); ++i) {
            lo = std::min(lo, r[i]);
            hi = std::max(hi, r[i]);
        }
        const float pad = std::max(1.0f, (hi - lo) * 0.12f);
        char overlay[160];
        std::snprintf(overlay, sizeof overlay, "%s %s  (%s .. %s)", name, format(r.back()).c_str(), format(lo).c_str(),
                      format(hi).c_str());
        ImGui::PushStyleColor(ImGuiCol_PlotLines, color);
        ImGui::PushID(id);
        ImGui::PlotLines("##line", r.data(), static_cast<int>(r.size()), static_cast<int>(r.offset()), overlay,
                         from_zero ? 0.0f : std::max(0.0f, lo - pad), hi + pad,
                         ImVec2(ImGui::GetContentRegionAvail().x, height));
        ImGui::PopID();
        ImGui::PopStyleColor();
    }

    static void plot(const BandwidthSeries& s) {
        ImGui::PushID(s.key.c_str());
        ImGui::TextUnformatted(s.label.c_str());
        ImGui::SameLine();
        const auto& t = s.last.transfer;
        const char* verified = !t || !t->verified ? "not verified" : *t->verified ? "verified" : "DID NOT VERIFY";
        ImGui::TextDisabled("%zu runs, last %s, %s, %s", s.samples, clock_time(s.time_unix_s.back()).c_str(),
                            s.device.empty() ? "no PCI device" : (s.device + (s.peer.empty() ? "" : " -> " + s.peer)).c_str(),
                            verified);
        if (s.unverified) {
            ImGui::SameLine();
            ImGui::TextColored(kP999, "%zu runs did not verify", s.unverified);
        }
        // Bandwidth from zero: a drop shows as one.
        line("bw", s.bytes_per_s, kBandwidth, "bandwidth", [](float v) { return format_rate(v); }, 48, true);
        line("p50", s.p50_ns, kP50, "p50", [](float v) { return format_ns(v); }, 26, false);
        line("p99", s.p99_ns, kP99, "p99", [](float v) { return format_ns(v); }, 26, false);
        ImGui::Spacing();
        ImGui::PopID();
    }

    static void empty(Frame& f, bool pair_selected, bool have_transfers) {
        ImGui::PushTextWrapPos(0);
        if (have_transfers) {
            ImGui::TextDisabled("No map measurement%s yet.", pair_selected && !f.ui.plots_all ? " of this pair" : "");
            ImGui::PopTextWrapPos();
            return;
        }
        if (f.state.source.kind == "daemon")
            ImGui::TextDisabled("No finished map measurement%s from p2pscoped yet; its series appear here as it "
                                "finishes them.", pair_selected && !f.ui.plots_all ? " of this pair" : "");
        else if (pair_selected && !f.ui.plots_all)
            ImGui::TextDisabled("No map measurement or transfer of this pair yet: start one under Run controls.");
        else
            ImGui::TextDisabled("No map measurement or transfer yet: start one under Run controls (a transfer "
                                "needs no kernel module).");
        ImGui::PopTextWrapPos();
    }

    static void plot(const LatencySeries& s) {
        ImGui::PushID(s.key.c_str());
        ImGui::TextUnformatted(s.label.c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("%zu samples, last %s, %s%s%s", s.samples, clock_time(s.time_unix_s.back()).c_str(),
                            s.device.c_str(), s.peer.empty() ? " with host memory" : " -> ", s.peer.c_str());
        for (const auto& p : kPercentiles)
            line(p.name, s.*(p.ring), p.color, p.name, [](float v) { return format_ns(v); }, 34, false);
        ImGui::Spacing();
        ImGui::PopID();
    }
};

const PanelRegistration registration{{.name = "Live plots", .make = make_panel<PlotsPanel>}};

}  // namespace

}  // namespace p2pscope::gui::ui
