// SPDX-License-Identifier: GPL-2.0-or-later
// Run controls: start or stop a map measurement of the selected device or
// pair, in-process through /dev/p2pscope; transfers are shown as unavailable
// with the reason. When the module is missing, or the topology is not this
// machine's, the controls are disabled and say why.
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "../panel.hpp"
#include "p2pscope/gui/runs.hpp"
#include "p2pscope/kclient/names.hpp"

namespace p2pscope::gui::ui {

namespace {

const ImVec4 kAmber{1.0f, 0.72f, 0.30f, 1.0f};
const ImVec4 kRed{1.0f, 0.42f, 0.35f, 1.0f};

bool combo(const char* label, std::string& value, const std::vector<std::string>& items) {
    bool changed = false;
    if (ImGui::BeginCombo(label, value.c_str())) {
        for (const auto& it : items) {
            const bool sel = it == value;
            if (ImGui::Selectable(it.c_str(), sel)) {
                value = it;
                changed = true;
            }
            if (sel) ImGui::SetItemDefaultFocus();
        }
        ImGui::EndCombo();
    }
    return changed;
}

std::vector<std::string> names(std::vector<uint32_t> codes, std::string_view (*name)(uint32_t)) {
    std::vector<std::string> out;
    for (uint32_t c : codes) out.emplace_back(name(c));
    return out;
}

class RunPanel final : public Panel {
public:
    RunPanel()
        : apis_(names(kclient::all_apis(), kclient::api_name)), mems_(names(kclient::all_mems(), kclient::mem_name)) {}

    const char* name() const override { return "Run controls"; }

    void draw(Frame& f) override {
        const RunState& run = f.state.run;
        const bool running = run.phase != RunPhase::idle;
        panel_title("Run controls", running ? "measuring" : nullptr);
        MapSpec& d = f.ui.draft;

        ImGui::RadioButton("Map latency", true);
        ImGui::SameLine();
        ImGui::BeginDisabled();
        ImGui::RadioButton("Transfer bandwidth", false);
        ImGui::EndDisabled();
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(kAmber, "Transfers: unavailable.");
        ImGui::SameLine();
        ImGui::TextDisabled("%s", run.transfer_unavailable.c_str());
        ImGui::PopTextWrapPos();
        ImGui::Separator();

        if (d.device.empty()) {
            ImGui::PushTextWrapPos(0);
            ImGui::TextDisabled("Select a device in the tree, or a pair in the matrix (row maps the column's memory).");
            ImGui::PopTextWrapPos();
        } else
            ImGui::Text("Device %s%s%s", d.device.c_str(), d.peer.empty() ? "" : ", peer ", d.peer.c_str());

        ImGui::BeginDisabled(running);
        const float w = std::min(220.0f, ImGui::GetContentRegionAvail().x * 0.45f);
        ImGui::SetNextItemWidth(w);
        combo("API", d.api, apis_);
        ImGui::SetNextItemWidth(w);
        combo("Memory", d.memory, mems_);
        ImGui::SetNextItemWidth(w);
        if (ImGui::BeginCombo("Size", format_bytes(d.size_bytes).c_str())) {
            for (uint64_t s : {4096ull, 65536ull, 1ull << 20, 2ull << 20, 16ull << 20}) {
                if (ImGui::Selectable(format_bytes(s).c_str(), s == d.size_bytes)) d.size_bytes = s;
            }
            ImGui::EndCombo();
        }
        int threads = static_cast<int>(d.threads);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderInt("Threads", &threads, 1, 64)) d.threads = static_cast<uint32_t>(threads);
        float secs = static_cast<float>(d.sample_seconds);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderFloat("Seconds per sample", &secs, 0.05f, 2.0f, "%.2f s")) d.sample_seconds = secs;
        ImGui::EndDisabled();

        const Status ready = check_spec(d);
        const bool can_start = run.map_available && !running && ready.ok();
        ImGui::BeginDisabled(!can_start);
        if (ImGui::Button("Start")) {
            auto st = f.actions.start_map(d);
            f.ui.last_error = st ? "" : st.error().message;
        }
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::BeginDisabled(run.phase != RunPhase::running);
        if (ImGui::Button("Stop")) f.actions.stop_map();
        ImGui::EndDisabled();
        ImGui::SameLine();
        status_line(run);

        ImGui::PushTextWrapPos(0);
        if (!run.map_available)
            ImGui::TextColored(kAmber, "Map measurements unavailable: %s", run.map_unavailable.c_str());
        else if (!ready && !d.device.empty())
            ImGui::TextColored(kAmber, "%s", ready.error().message.c_str());
        if (!f.ui.last_error.empty()) ImGui::TextColored(kRed, "%s", f.ui.last_error.c_str());
        if (f.state.source.kind == "daemon")
            ImGui::TextDisabled("p2pscoped runs its own schedule; its measurements appear in the plots and the "
                                "latency matrix as it finishes them.");
        ImGui::PopTextWrapPos();
    }

private:
    static void status_line(const RunState& run) {
        if (run.phase == RunPhase::idle) {
            if (run.message.empty())
                ImGui::TextDisabled("idle");
            else
                ImGui::TextDisabled("last run: %s (%llu samples)", run.message.c_str(),
                                    static_cast<unsigned long long>(run.samples));
            return;
        }
        const double secs = std::max(0.0, static_cast<double>(std::time(nullptr)) - run.started_unix_s);
        ImGui::TextColored(ImVec4(0.45f, 0.85f, 0.45f, 1.0f), "%s %s: %llu samples in %.0f s",
                           run.phase == RunPhase::stopping ? "stopping" : "running", map_key(run.spec).c_str(),
                           static_cast<unsigned long long>(run.samples), secs);
    }

    std::vector<std::string> apis_, mems_;
};

}  // namespace

std::unique_ptr<Panel> make_run_panel() { return std::make_unique<RunPanel>(); }

}  // namespace p2pscope::gui::ui
