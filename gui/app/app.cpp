// SPDX-License-Identifier: GPL-2.0-or-later
#include "app.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <imgui.h>
#include <nlohmann/json.hpp>

namespace p2pscope::gui::ui {

namespace {

std::string clock_time(double unix_s) {
    if (unix_s <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

// A thin draggable bar between two areas; returns the new fraction.
float splitter(const char* id, bool vertical, float fraction, float total, float thickness = 6.0f) {
    ImGui::PushID(id);
    ImGui::InvisibleButton("##split", vertical ? ImVec2(thickness, ImGui::GetContentRegionAvail().y)
                                                : ImVec2(ImGui::GetContentRegionAvail().x, thickness));
    if (ImGui::IsItemHovered() || ImGui::IsItemActive())
        ImGui::SetMouseCursor(vertical ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
    if (ImGui::IsItemActive() && total > 0) {
        const float d = vertical ? ImGui::GetIO().MouseDelta.x : ImGui::GetIO().MouseDelta.y;
        fraction = std::clamp(fraction + d / total, 0.15f, 0.85f);
    }
    ImGui::PopID();
    return fraction;
}

}  // namespace

App::App(Store& store, Actions& actions, const Fonts& fonts, AppOptions o)
    : store_(store), actions_(actions), fonts_(fonts), panels_(make_registered_panels()) {
    ui_.mode = o.mode;
    ui_.want_row = o.hover_row;
    ui_.want_col = o.hover_col;
    if (!o.select.empty()) ui_.pending_select = o.select + (o.select_peer.empty() ? "" : "," + o.select_peer);
}

App::~App() = default;

void App::apply_pending_selection(const AppState& s) {
    if (s.topology == ui_.selection_topology) return;
    // A new topology: indexes may point elsewhere now. Keep the selection by BDF.
    std::string keep_device, keep_peer;
    if (!ui_.pending_select.empty()) {
        const auto comma = ui_.pending_select.find(',');
        keep_device = ui_.pending_select.substr(0, comma);
        if (comma != std::string::npos) keep_peer = ui_.pending_select.substr(comma + 1);
    } else {
        keep_device = ui_.draft.device;
        keep_peer = ui_.draft.peer;
    }
    ui_.selection_topology = s.topology;
    ui_.device = ui_.row = ui_.col = -1;
    if (!s.topology) return;
    const TopologyView& t = *s.topology;
    ui_.pending_select.clear();
    const int d = keep_device.empty() ? -1 : t.find(keep_device);
    const int p = keep_peer.empty() ? -1 : t.find(keep_peer);
    if (d >= 0 && p >= 0 && t.devices[static_cast<size_t>(d)].matrix_index >= 0 &&
        t.devices[static_cast<size_t>(p)].matrix_index >= 0)
        select_cell(ui_, t, t.devices[static_cast<size_t>(d)].matrix_index, t.devices[static_cast<size_t>(p)].matrix_index);
    else if (d >= 0)
        select_device(ui_, t, d);
}

void App::header(const AppState& s) {
    // Right-aligned: freshness and reload. Measured first so the left side never runs under it.
    std::string fresh;
    if (s.source.loading && s.source.error.empty())
        fresh = "loading...";
    else if (s.source.kind == "daemon")
        fresh = "updated " + clock_time(s.source.updated_unix_s) + ", polled every " +
                (s.source.interval_s ? std::to_string(static_cast<int>(*s.source.interval_s + 0.5)) : "?") + " s";
    else
        fresh = "read " + clock_time(s.source.updated_unix_s);
    const ImGuiStyle& st = ImGui::GetStyle();
    const float right_w = ImGui::CalcTextSize(fresh.c_str()).x + ImGui::CalcTextSize("Reload").x +
                          st.FramePadding.x * 2 + st.ItemSpacing.x * 2;
    const float right_x = ImGui::GetWindowContentRegionMax().x - right_w;

    // Left: the pieces that fit, most important first.
    struct Piece {
        std::string text;
        ImVec4 color;
    };
    const ImVec4 normal = st.Colors[ImGuiCol_Text], dim = st.Colors[ImGuiCol_TextDisabled];
    std::vector<Piece> pieces{{"p2pscope", ImVec4(0.55f, 0.78f, 1.0f, 1.0f)},
                              {s.source.description.empty() ? "starting" : s.source.description, normal}};
    if (s.topology) {
        const TopologyView& t = *s.topology;
        if (t.degraded_links)
            pieces.push_back({std::to_string(t.degraded_links) + " degraded link" + (t.degraded_links == 1 ? "" : "s"),
                              ImVec4(1.0f, 0.45f, 0.35f, 1.0f)});
        pieces.push_back({"|", dim});
        pieces.push_back({std::to_string(t.devices.size()) + " PCI functions, " + std::to_string(t.matrix.size()) +
                              " paired,",
                          normal});
        pieces.push_back({std::to_string(t.host_bridges.size()) + " host bridges, " + std::to_string(t.switches.size()) +
                              " switches,",
                          normal});
        pieces.push_back({(t.packages ? std::to_string(*t.packages) : "?") + " packages, " +
                              (t.numa_nodes ? std::to_string(*t.numa_nodes) : "?") + " NUMA nodes",
                          normal});
        if (t.cpu) pieces.push_back({"| " + (t.cpu->model.empty() ? t.cpu->vendor : t.cpu->model), dim});
    }
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (i) {
            ImGui::SameLine();
            if (ImGui::GetCursorPosX() + ImGui::CalcTextSize(pieces[i].text.c_str()).x > right_x - 12) break;
        }
        ImGui::TextColored(pieces[i].color, "%s", pieces[i].text.c_str());
    }
    ImGui::SameLine(std::max(right_x, ImGui::GetCursorPosX()));
    ImGui::TextDisabled("%s", fresh.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Reload")) actions_.reload();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Read the source again now");
    if (!s.source.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.35f, 1.0f));
        ImGui::TextWrapped("%s%s", s.topology ? "Showing the last good data; the latest fetch failed: " : "",
                           s.source.error.c_str());
        ImGui::PopStyleColor();
    }
}

// The panel of that name, in an area of its own; an area whose panel this
// build lacks stays empty and out of the layout (the screenshot tests find it so).
void App::draw_panel(const char* name, Frame& f, float w, float h) {
    ImGui::BeginChild(name, ImVec2(w, h), true);
    if (const auto it = panels_.find(name); it != panels_.end()) {
        const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
        const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
        rects_.push_back({name, pos.x * scale.x, pos.y * scale.y, size.x * scale.x, size.y * scale.y});
        it->second->draw(f);
    }
    ImGui::EndChild();
}

void App::frame() {
    const auto state = store_.get();  // the one read of shared state this frame
    const AppState& s = *state;
    apply_pending_selection(s);
    rects_.clear();
    ui_.hover_text.clear();
    Frame f{s, ui_, actions_, fonts_};

    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(vp->WorkSize);
    ImGui::Begin("p2pscope", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                     ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);  // glClear paints it
    header(s);

    // The layout, by the panels' names: on the left the topology tree above the
    // details; on the right the pair matrix above the live plots beside the run
    // controls. Every border between two areas is a bar that drags.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float split = 6.0f;
    const float left_w = std::floor((avail.x - split) * left_);
    const float right_w = avail.x - split - left_w - ImGui::GetStyle().ItemSpacing.x * 2;

    ImGui::BeginChild("left", ImVec2(left_w, avail.y), false, ImGuiWindowFlags_NoScrollbar);
    {
        const float h = ImGui::GetContentRegionAvail().y;
        const float top = std::floor((h - split) * tree_);
        draw_panel("Topology", f, -1, top);
        tree_ = splitter("tree-details", false, tree_, h);
        draw_panel("Details", f, -1, -1);
    }
    ImGui::EndChild();
    ImGui::SameLine();
    left_ = splitter("left-right", true, left_, avail.x);
    ImGui::SameLine();
    ImGui::BeginChild("right", ImVec2(right_w, avail.y), false, ImGuiWindowFlags_NoScrollbar);
    {
        const float h = ImGui::GetContentRegionAvail().y;
        const float top = std::floor((h - split) * matrix_);
        draw_panel("Pair matrix", f, -1, top);
        matrix_ = splitter("matrix-bottom", false, matrix_, h);
        const float w = ImGui::GetContentRegionAvail().x;
        const float pw = std::floor((w - split) * plots_);
        draw_panel("Live plots", f, pw, -1);
        ImGui::SameLine();
        plots_ = splitter("plots-run", true, plots_, w);
        ImGui::SameLine();
        draw_panel("Run controls", f, -1, -1);
    }
    ImGui::EndChild();
    ImGui::End();

    running_ = s.run.phase != RunPhase::idle;
    text_input_ = ImGui::GetIO().WantTextInput;
}

std::optional<double> App::redraw_after() const {
    if (text_input_) return 0.5;  // the text cursor blinks
    if (running_) return 1.0;     // the run's clock; samples themselves wake the loop
    return std::nullopt;
}

std::string App::layout_json() const {
    nlohmann::json doc;
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
    doc["width"] = static_cast<int>(size.x * scale.x);
    doc["height"] = static_cast<int>(size.y * scale.y);
    doc["hover"] = ui_.hover_text;  // the matrix tooltip on screen, if any
    // What the panels drew from: the run and the series (tests check them beside the pixels).
    const auto state = store_.get();
    doc["run"] = {{"kind", state->run.kind == RunKind::transfer ? "transfer" : "map"},
                  {"phase", state->run.phase == RunPhase::idle ? "idle" : "running"},
                  {"runs", state->run.samples},
                  {"message", state->run.message},
                  {"rows", nlohmann::json::array()}};
    for (const auto& m : state->run.last_rows)
        doc["run"]["rows"].push_back(
            {{"label", m.transfer ? m.transfer->label : ""},
             {"status", m.status + (m.reason.empty() ? "" : ": " + m.reason)},
             {"bytes_per_second", m.transfer ? m.transfer->bytes_per_second : 0.0},
             {"verified", m.transfer && m.transfer->verified ? nlohmann::json(*m.transfer->verified) : nullptr}});
    doc["series"] = {{"latency", state->series->size()}, {"bandwidth", nlohmann::json::object()}};
    for (const auto& [key, b] : state->series->bandwidth()) doc["series"]["bandwidth"][key] = b.samples;
    doc["panels"] = nlohmann::json::array();
    for (const auto& r : rects_)
        doc["panels"].push_back({{"name", r.name},
                                 {"x", static_cast<int>(r.x)},
                                 {"y", static_cast<int>(r.y)},
                                 {"w", static_cast<int>(r.w)},
                                 {"h", static_cast<int>(r.h)}});
    return doc.dump(2) + "\n";
}

LoopStats run_loop(Window& window, App& app, Store& store, const LoopOptions& o) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - start).count(); };
    LoopStats stats;
    uint64_t drawn_generation = o.draw_at_start ? ~uint64_t{0} : store.generation();
    int settle = o.draw_at_start ? 2 : 0;  // ImGui needs a frame or two after a change to settle (sizes, hover)
    while (!window.should_close()) {
        if (o.frames > 0) {
            if (stats.frames >= static_cast<uint64_t>(o.frames)) break;
            glfwPollEvents();
        } else {
            glfwPollEvents();
            if (window.take_input()) settle = 2;
            if (store.generation() != drawn_generation) settle = std::max(settle, 1);
            if (settle == 0) {
                // Nothing to show: sleep until input, a worker's publication, or a timer the UI asked for.
                const auto periodic = app.redraw_after();
                double timeout = periodic.value_or(3600.0);
                if (o.seconds > 0) timeout = std::min(timeout, o.seconds - elapsed());
                if (timeout <= 0) break;
                glfwWaitEventsTimeout(timeout);
                ++stats.wakeups;
                if (o.seconds > 0 && elapsed() >= o.seconds) break;
                if (window.take_input()) settle = 2;
                if (store.generation() != drawn_generation) settle = std::max(settle, 1);
                if (settle == 0 && !periodic) continue;  // woken for nothing on screen
            }
        }
        drawn_generation = store.generation();  // read before drawing: a later publication draws again
        window.begin_frame();
        app.frame();
        const bool last = o.frames > 0 && stats.frames + 1 == static_cast<uint64_t>(o.frames);
        window.end_frame(last ? o.capture_last : nullptr);
        ++stats.frames;
        if (settle > 0) --settle;
    }
    return stats;
}

}  // namespace p2pscope::gui::ui
