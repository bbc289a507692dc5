// SPDX-License-Identifier: GPL-2.0-or-later
// Run controls: start or stop a map measurement of the selected device or
// pair, in-process through /dev/p2pscope (when the module is missing, or the
// topology is not this machine's, its controls are disabled and say why), or
// a transfer through one of xfer's engines: engine, device or file, memory,
// direction, size, access widths, seconds, repeat. The last transfer run's
// rows are listed with their bandwidth, latency, verification and status.
#include <imgui.h>
#include <imgui_stdlib.h>

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

template <typename Code>
std::vector<std::string> names(const std::vector<Code>& codes, std::string_view (*name)(Code)) {
    std::vector<std::string> out;
    for (Code c : codes) out.emplace_back(name(c));
    return out;
}

class RunPanel final : public Panel {
public:
    RunPanel()
        : apis_(names(kclient::all_apis(), kclient::api_name)), mems_(names(kclient::all_mems(), kclient::mem_name)) {}

    void draw(Frame& f) override {
        const RunState& run = f.state.run;
        const bool running = run.phase != RunPhase::idle;
        panel_title("Run controls", running ? "measuring" : nullptr);
        MapSpec& d = f.ui.draft;

        ImGui::BeginDisabled(running);
        if (ImGui::RadioButton("Map latency", f.ui.run_kind == RunKind::map)) f.ui.run_kind = RunKind::map;
        ImGui::SameLine();
        if (ImGui::RadioButton("Transfer bandwidth", f.ui.run_kind == RunKind::transfer))
            f.ui.run_kind = RunKind::transfer;
        ImGui::EndDisabled();
        if (running) f.ui.run_kind = run.kind;
        ImGui::Separator();
        if (f.ui.run_kind == RunKind::transfer) {
            transfer_form(f, running);
            return;
        }

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
        if (ImGui::Button("Stop")) f.actions.stop_run();
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
    static std::string what_runs(const RunState& run) {
        if (run.kind == RunKind::map) return map_key(run.spec);
        const TransferSpec& t = run.transfer;
        return t.engine + " " + t.direction + " " + (t.memory.empty() ? "" : t.memory + " ") +
               format_bytes(t.size_bytes) + (t.repeat ? ", repeating" : "");
    }

    static void status_line(const RunState& run) {
        const char* unit = run.kind == RunKind::map ? "samples" : "runs";
        if (run.phase == RunPhase::idle) {
            if (run.message.empty())
                ImGui::TextDisabled("idle");
            else if (run.message.rfind("waived", 0) == 0 || run.message.rfind("stopped:", 0) == 0 ||
                     run.message.find("faulted") != std::string::npos)
                ImGui::TextColored(kAmber, "last run: %s (%llu %s)", run.message.c_str(),
                                   static_cast<unsigned long long>(run.samples), unit);
            else
                ImGui::TextDisabled("last run: %s (%llu %s)", run.message.c_str(),
                                    static_cast<unsigned long long>(run.samples), unit);
            return;
        }
        const double secs = std::max(0.0, static_cast<double>(std::time(nullptr)) - run.started_unix_s);
        ImGui::TextColored(ImVec4(0.45f, 0.85f, 0.45f, 1.0f), "%s %s: %llu %s in %.0f s",
                           run.phase == RunPhase::stopping ? "stopping" : "running", what_runs(run).c_str(),
                           static_cast<unsigned long long>(run.samples), unit, secs);
    }

    void transfer_form(Frame& f, bool running) {
        const RunState& run = f.state.run;
        TransferSpec& t = f.ui.transfer;
        if (running && run.kind == RunKind::transfer) t = run.transfer;  // the form shows what runs
        const float w = std::min(220.0f, ImGui::GetContentRegionAvail().x * 0.45f);

        ImGui::BeginDisabled(running);
        ImGui::SetNextItemWidth(w);
        const std::string before = t.engine;
        if (combo("Engine", t.engine, engines_) && t.engine != before) {
            t.memory.clear();
            t.direction.clear();
        }
        const auto choices = transfer_engine_choices(t.engine);
        if (choices) {
            if (t.memory.empty() && !choices->memories.empty()) t.memory = choices->memories[0];
            if (t.direction.empty() && !choices->directions.empty()) t.direction = choices->directions[0];
            ImGui::PushTextWrapPos(0);
            ImGui::TextDisabled("%s (%s)", choices->description.c_str(), choices->capabilities.c_str());
            ImGui::PopTextWrapPos();
        }
        const bool file = choices && !choices->file_memory.empty() && t.memory == choices->file_memory;

        // The device: the selection in the tree or matrix, unless the target is a file.
        if (file) {
            t.device.clear();
            t.peer.clear();
            ImGui::TextDisabled("No PCI device: the engine maps the file below.");
        } else if (running) {
            ImGui::Text("Device %s%s%s", t.device.empty() ? "(the engine's default)" : t.device.c_str(),
                        t.peer.empty() ? "" : ", peer ", t.peer.c_str());
        } else {
            ImGui::Checkbox("Selected device", &f.ui.transfer_selected);
            ImGui::SameLine();
            if (f.ui.transfer_selected) {
                t.device = f.ui.draft.device;
                t.peer = choices && choices->peer ? f.ui.draft.peer : "";
                if (t.device.empty())
                    ImGui::TextDisabled("none selected (the engine's default device)");
                else
                    ImGui::Text("%s%s%s", t.device.c_str(), t.peer.empty() ? "" : ", peer ", t.peer.c_str());
            } else {
                t.device.clear();
                t.peer.clear();
                ImGui::TextDisabled("none (the engine's default device)");
            }
        }
        ImGui::SetNextItemWidth(w);
        if (choices && !choices->memories.empty())
            combo("Memory", t.memory, choices->memories);
        else
            ImGui::InputText("Memory", &t.memory);
        if (file) {
            ImGui::SetNextItemWidth(std::max(w, ImGui::GetContentRegionAvail().x - 80));
            ImGui::InputTextWithHint("File", "/path/to/a/regular/file", &t.file);
        }
        if (choices && std::find(choices->bar_memories.begin(), choices->bar_memories.end(), t.memory) !=
                           choices->bar_memories.end()) {
            ImGui::SetNextItemWidth(w);
            ImGui::SliderInt("BAR", &t.bar, -1, 5, t.bar < 0 ? "choose" : "%d");
        }
        ImGui::SetNextItemWidth(w);
        if (choices && !choices->directions.empty())
            combo("Direction", t.direction, choices->directions);
        else
            ImGui::InputText("Direction", &t.direction);
        if (choices && choices->blocks) {
            ImGui::SetNextItemWidth(w);
            ImGui::InputTextWithHint("Source block", "/dev/nvme0n1", &t.source_block);
            ImGui::SetNextItemWidth(w);
            ImGui::InputTextWithHint("Destination block", "/dev/nvme1n1", &t.destination_block);
        }
        ImGui::SetNextItemWidth(w);
        if (ImGui::BeginCombo("Size", format_bytes(t.size_bytes).c_str())) {
            for (uint64_t s : {4096ull, 65536ull, 1ull << 20, 2ull << 20, 16ull << 20, 64ull << 20})
                if (ImGui::Selectable(format_bytes(s).c_str(), s == t.size_bytes)) t.size_bytes = s;
            ImGui::EndCombo();
        }
        if (choices && choices->widths) {
            ImGui::TextUnformatted("Widths");
            const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
            for (const char* wd : {"1", "2", "4", "8", "16", "32", "64", "memcpy"}) {
                const float box = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x +
                                  ImGui::CalcTextSize(wd).x + ImGui::GetStyle().ItemSpacing.x;
                ImGui::SameLine();
                if (ImGui::GetCursorScreenPos().x + box > right) ImGui::NewLine();
                const auto it = std::find(t.widths.begin(), t.widths.end(), wd);
                bool on = it != t.widths.end();
                if (ImGui::Checkbox(wd, &on)) {
                    if (on)
                        t.widths.emplace_back(wd);
                    else
                        t.widths.erase(it);
                }
            }
        }
        float secs = static_cast<float>(t.seconds);
        ImGui::SetNextItemWidth(w);
        if (ImGui::SliderFloat("Seconds per measurement", &secs, 0.02f, 5.0f, "%.2f s")) t.seconds = secs;
        ImGui::Checkbox("Repeat until stopped", &t.repeat);
        ImGui::SameLine();
        ImGui::Checkbox("Destructive", &t.destructive);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Allow writing a driver-owned BAR (cpu) or a block device (p2pmem-odirect, nvme);\n"
                              "reads of either then verify, a pattern written first");
        ImGui::EndDisabled();

        const Status ready = check_transfer_spec(t);
        ImGui::BeginDisabled(running || !ready.ok());
        if (ImGui::Button("Start")) {
            auto st = f.actions.start_transfer(t);
            f.ui.last_error = st ? "" : st.error().message;
        }
        ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::BeginDisabled(run.phase != RunPhase::running);
        if (ImGui::Button("Stop")) f.actions.stop_run();
        ImGui::EndDisabled();
        ImGui::SameLine();
        status_line(run);
        ImGui::PushTextWrapPos(0);
        if (!ready) ImGui::TextColored(kAmber, "%s", ready.error().message.c_str());
        if (!f.ui.last_error.empty()) ImGui::TextColored(kRed, "%s", f.ui.last_error.c_str());
        ImGui::PopTextWrapPos();
        if (run.kind == RunKind::transfer && !run.last_rows.empty()) rows_table(run.last_rows);
    }

    // The last transfer run: one line per row, its status text as the engine said it.
    static void rows_table(const std::vector<MeasurementView>& rows) {
        const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit;
        if (!ImGui::BeginTable("rows", 6, flags)) return;
        for (const char* h : {"Row", "Bandwidth", "p50", "p99", "Verified", "Status"}) ImGui::TableSetupColumn(h);
        ImGui::TableHeadersRow();
        for (const auto& m : rows) {
            ImGui::TableNextRow();
            const bool ran = m.transfer && m.transfer->transfers > 0;
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(m.transfer ? m.transfer->label.c_str() : "-");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(ran ? format_rate(m.transfer->bytes_per_second).c_str() : "-");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(ran ? format_ns(m.transfer->p50_ns).c_str() : "-");
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(ran ? format_ns(m.transfer->p99_ns).c_str() : "-");
            ImGui::TableNextColumn();
            if (!m.transfer || !m.transfer->verified)
                ImGui::TextDisabled("not checked");
            else if (*m.transfer->verified)
                ImGui::TextColored(ImVec4(0.45f, 0.85f, 0.45f, 1.0f), "verified");
            else
                ImGui::TextColored(kRed, "NO: %s", m.transfer->verify_detail.c_str());
            ImGui::TableNextColumn();
            const std::string status = m.status + (m.reason.empty() ? "" : ": " + m.reason);
            if (m.ok())
                ImGui::TextUnformatted(status.c_str());
            else
                ImGui::TextColored(m.status == "waived" ? kAmber : kRed, "%s", status.c_str());
        }
        ImGui::EndTable();
    }

    std::vector<std::string> apis_, mems_;
    std::vector<std::string> engines_ = transfer_engine_names();
};

const PanelRegistration registration{{.name = "Run controls", .make = make_panel<RunPanel>}};

}  // namespace

}  // namespace p2pscope::gui::ui
