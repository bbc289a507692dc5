// SPDX-License-Identifier: GPL-2.0-or-later
// Topology tree: package / NUMA node, host bridge, ports and switches,
// endpoints; link speed and width (degraded links in red), IOMMU group and
// domain type, ACS control bits (redirection in amber), p2pmem. Only the rows
// in view are drawn, so a machine with thousands of functions costs the same.
#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "../panel.hpp"

namespace p2pscope::gui::ui {

namespace {

const ImVec4 kRed{1.0f, 0.42f, 0.35f, 1.0f};
const ImVec4 kAmber{1.0f, 0.72f, 0.30f, 1.0f};
const ImVec4 kGreen{0.45f, 0.85f, 0.45f, 1.0f};

ImVec4 kind_color(const std::string& kind) {
    if (kind == "gpu") return {0.52f, 0.82f, 0.20f, 1.0f};
    if (kind == "nic") return {0.40f, 0.70f, 1.00f, 1.0f};
    if (kind == "nvme") return {1.00f, 0.66f, 0.25f, 1.0f};
    if (kind == "accel") return {0.80f, 0.55f, 1.00f, 1.0f};
    return {0.62f, 0.62f, 0.66f, 1.0f};
}

std::string kind_tag(const DeviceView& d) {
    switch (d.role) {
    case Role::root_port: return "root port";
    case Role::switch_upstream: return "switch";
    case Role::switch_downstream: return "switch port";
    case Role::bridge: return "bridge";
    case Role::endpoint: break;
    }
    if (d.kind == "gpu") return "GPU";
    if (d.kind == "nic") return "NIC";
    if (d.kind == "nvme") return "NVMe";
    if (d.kind == "accel") return "accel";
    if (d.kind == "bridge") return "host/bridge";
    return "other";
}

struct Row {
    enum Kind { group, host_bridge, device, orphans } kind;
    int index;  // group, host bridge or device index
    int depth;
    bool has_children;
};

bool contains_ci(const std::string& hay, const char* needle) {
    const size_t n = std::strlen(needle);
    if (n == 0) return true;
    auto it = std::search(hay.begin(), hay.end(), needle, needle + n,
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
    return it != hay.end();
}

class TopologyPanel final : public Panel {
public:
    void draw(Frame& f) override {
        const auto& t = f.state.topology;
        char subtitle[96] = "";
        if (t) std::snprintf(subtitle, sizeof subtitle, "%zu PCI functions", t->devices.size());
        panel_title("Topology", subtitle);
        if (!t) {
            ImGui::TextWrapped("%s", f.state.source.error.empty() ? "Reading the topology..." : f.state.source.error.c_str());
            return;
        }
        ImGui::SetNextItemWidth(std::min(320.0f, ImGui::GetContentRegionAvail().x * 0.6f));
        if (ImGui::InputTextWithHint("##filter", "filter: BDF, name, driver, kind", f.ui.filter, sizeof f.ui.filter))
            dirty_ = true;
        ImGui::SameLine();
        if (ImGui::SmallButton("Expand all")) set_all(*t, f.ui, true);
        ImGui::SameLine();
        if (ImGui::SmallButton("Collapse all")) set_all(*t, f.ui, false);
        if (!t->notes.empty()) {
            ImGui::SameLine();
            ImGui::TextColored(kAmber, "%zu note%s", t->notes.size(), t->notes.size() == 1 ? "" : "s");
            if (ImGui::IsItemHovered()) {
                ImGui::BeginTooltip();
                ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
                for (const auto& n : t->notes) ImGui::BulletText("%s", n.c_str());
                ImGui::PopTextWrapPos();
                ImGui::EndTooltip();
            }
        }

        if (t != built_for_ || dirty_ || std::strcmp(filter_.c_str(), f.ui.filter) != 0) build_rows(t, f.ui);

        const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                      ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingStretchProp;
        if (!ImGui::BeginTable("tree", 5, flags)) return;
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("Device", ImGuiTableColumnFlags_NoHide, 4.6f);
        ImGui::TableSetupColumn("Link", 0, 1.5f);
        ImGui::TableSetupColumn("IOMMU", 0, 0.8f);
        ImGui::TableSetupColumn("ACS", 0, 0.9f);
        ImGui::TableSetupColumn("p2pmem", 0, 0.8f);
        ImGui::TableHeadersRow();

        if (f.ui.scroll_to_device) {
            f.ui.scroll_to_device = false;
            reveal(t, f.ui);
            for (size_t i = 0; i < rows_.size(); ++i)
                if (rows_[i].kind == Row::device && rows_[i].index == f.ui.device) {
                    const float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
                    ImGui::SetScrollY(std::max(0.0f, static_cast<float>(i) * row_h - ImGui::GetWindowHeight() * 0.4f));
                }
        }

        ImGuiListClipper clipper;
        clipper.Begin(static_cast<int>(rows_.size()));
        while (clipper.Step())
            for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) draw_row(*t, f, rows_[static_cast<size_t>(i)]);
        ImGui::EndTable();
    }

private:
    static std::string key(const Row& r, const TopologyView& t) {
        switch (r.kind) {
        case Row::group: return "g" + t.groups[static_cast<size_t>(r.index)].label();
        case Row::host_bridge: return "h" + t.host_bridges[static_cast<size_t>(r.index)].id;
        case Row::device: return "d" + t.devices[static_cast<size_t>(r.index)].bdf;
        case Row::orphans: return "o";
        }
        return {};
    }

    bool is_open(const UiState& ui, const std::string& k) const {
        auto it = ui.open.find(k);
        return it == ui.open.end() ? true : it->second;  // everything starts unfolded
    }

    void add_device(const TopologyView& t, const UiState& ui, int d, int depth) {
        const DeviceView& dev = t.devices[static_cast<size_t>(d)];
        Row r{Row::device, d, depth, !dev.children.empty()};
        rows_.push_back(r);
        if (!r.has_children || !is_open(ui, key(r, t))) return;
        for (int c : dev.children) add_device(t, ui, c, depth + 1);
    }

    void build_rows(const std::shared_ptr<const TopologyView>& tp, const UiState& ui) {
        const TopologyView& t = *tp;
        rows_.clear();
        built_for_ = tp;
        dirty_ = false;
        filter_ = ui.filter;
        if (!filter_.empty()) {  // a flat list of what matches
            for (size_t i = 0; i < t.devices.size(); ++i) {
                const DeviceView& d = t.devices[i];
                if (contains_ci(d.bdf, ui.filter) || contains_ci(d.title(), ui.filter) || contains_ci(d.kind, ui.filter) ||
                    contains_ci(kind_tag(d), ui.filter) || contains_ci(d.driver.value_or(""), ui.filter))
                    rows_.push_back({Row::device, static_cast<int>(i), 0, false});
            }
            return;
        }
        for (size_t g = 0; g < t.groups.size(); ++g) {
            Row gr{Row::group, static_cast<int>(g), 0, true};
            rows_.push_back(gr);
            if (!is_open(ui, key(gr, t))) continue;
            for (int hb : t.groups[g].host_bridges) {
                Row hr{Row::host_bridge, hb, 1, !t.host_bridges[static_cast<size_t>(hb)].roots.empty()};
                rows_.push_back(hr);
                if (!is_open(ui, key(hr, t))) continue;
                for (int d : t.host_bridges[static_cast<size_t>(hb)].roots) add_device(t, ui, d, 2);
            }
        }
        if (!t.orphans.empty()) {
            Row o{Row::orphans, 0, 0, true};
            rows_.push_back(o);
            if (is_open(ui, key(o, t)))
                for (int d : t.orphans) add_device(t, ui, d, 1);
        }
    }

    void set_all(const TopologyView& t, UiState& ui, bool open) {
        ui.open.clear();
        if (!open) {
            for (size_t g = 0; g < t.groups.size(); ++g) ui.open[key({Row::group, static_cast<int>(g), 0, true}, t)] = true;
            for (size_t h = 0; h < t.host_bridges.size(); ++h)
                ui.open[key({Row::host_bridge, static_cast<int>(h), 0, true}, t)] = true;
            for (size_t d = 0; d < t.devices.size(); ++d)
                if (!t.devices[d].children.empty()) ui.open[key({Row::device, static_cast<int>(d), 0, true}, t)] = false;
        }
        dirty_ = true;
    }

    // Unfolds the selected device's ancestors.
    void reveal(const std::shared_ptr<const TopologyView>& tp, UiState& ui) {
        const TopologyView& t = *tp;
        if (ui.device < 0) return;
        clear_filter(ui);
        for (int up : t.upstream_chain(ui.device))
            if (up != ui.device) ui.open[key({Row::device, up, 0, true}, t)] = true;
        const DeviceView& d = t.devices[static_cast<size_t>(ui.device)];
        const int hb = t.find_host_bridge(d.host_bridge);
        if (hb >= 0) ui.open[key({Row::host_bridge, hb, 0, true}, t)] = true;
        for (size_t g = 0; g < t.groups.size(); ++g)
            if (std::find(t.groups[g].host_bridges.begin(), t.groups[g].host_bridges.end(), hb) != t.groups[g].host_bridges.end())
                ui.open[key({Row::group, static_cast<int>(g), 0, true}, t)] = true;
        build_rows(tp, ui);
    }

    static void clear_filter(UiState& ui) { ui.filter[0] = '\0'; }

    void tree_node(const TopologyView& t, Frame& f, const Row& r, bool selected, const char* id) {
        const float indent = ImGui::GetStyle().IndentSpacing * static_cast<float>(r.depth);
        if (indent > 0) ImGui::Indent(indent);
        ImGuiTreeNodeFlags flags = ImGuiTreeNodeFlags_SpanFullWidth | ImGuiTreeNodeFlags_NoTreePushOnOpen |
                                   ImGuiTreeNodeFlags_OpenOnArrow | ImGuiTreeNodeFlags_OpenOnDoubleClick;
        if (!r.has_children) flags |= ImGuiTreeNodeFlags_Leaf;
        if (selected) flags |= ImGuiTreeNodeFlags_Selected;
        const std::string k = key(r, t);
        const bool open = r.has_children && is_open(f.ui, k);
        ImGui::SetNextItemOpen(open, ImGuiCond_Always);
        const bool now = ImGui::TreeNodeEx(id, flags, "%s", "");
        if (r.has_children && now != open) {
            f.ui.open[k] = now;
            dirty_ = true;
        }
        if (r.kind == Row::device && ImGui::IsItemClicked() && !ImGui::IsItemToggledOpen())
            select_device(f.ui, t, r.index);
        if (indent > 0) ImGui::Unindent(indent);
        ImGui::SameLine();
    }

    void draw_row(const TopologyView& t, Frame& f, const Row& r) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushID(static_cast<int>(r.kind) * 1000003 + r.index);
        switch (r.kind) {
        case Row::group: {
            tree_node(t, f, r, false, "##g");
            const auto& g = t.groups[static_cast<size_t>(r.index)];
            ImGui::TextColored(ImVec4(0.85f, 0.85f, 0.95f, 1.0f), "%s", g.label().c_str());
            break;
        }
        case Row::host_bridge: {
            tree_node(t, f, r, false, "##h");
            const auto& hb = t.host_bridges[static_cast<size_t>(r.index)];
            ImGui::Text("Host bridge %s", hb.id.c_str());
            ImGui::SameLine();
            ImGui::TextDisabled("root bus %s", hb.id.substr(hb.id.find(':') + 1).c_str());
            break;
        }
        case Row::orphans:
            tree_node(t, f, r, false, "##o");
            ImGui::TextDisabled("Functions whose host bridge the input does not list");
            break;
        case Row::device: draw_device(t, f, r); break;
        }
        ImGui::PopID();
    }

    void draw_device(const TopologyView& t, Frame& f, const Row& r) {
        const DeviceView& d = t.devices[static_cast<size_t>(r.index)];
        tree_node(t, f, r, f.ui.device == r.index, "##d");
        ImGui::PushFont(f.fonts.mono);
        ImGui::TextUnformatted(d.short_bdf().c_str());
        ImGui::PopFont();
        ImGui::SameLine();
        const std::string tag = kind_tag(d);
        ImGui::TextColored(d.role == Role::endpoint ? kind_color(d.kind) : ImVec4(0.62f, 0.62f, 0.66f, 1.0f), "%s",
                           tag.c_str());
        ImGui::SameLine();
        // Ports are known by their place; endpoints and switches by their names.
        if (d.role == Role::endpoint || d.role == Role::switch_upstream) ImGui::TextUnformatted(d.short_title().c_str());
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s %s", d.bdf.c_str(), d.title().c_str());
        if (d.selected) {
            ImGui::SameLine();
            ImGui::TextDisabled("#%d", d.matrix_index);
        }

        ImGui::TableSetColumnIndex(1);
        const std::string link = d.link_text();
        if (d.link.degraded.value_or(false)) {
            ImGui::TextColored(kRed, "%s DEGRADED", link.c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("The link trained below what both of its ends support (speed or width).");
        } else if (link == "-") {
            ImGui::TextDisabled("-");
        } else {
            ImGui::TextUnformatted(link.c_str());
        }

        ImGui::TableSetColumnIndex(2);
        if (d.iommu_group)
            ImGui::Text("%d %s", *d.iommu_group, d.iommu_domain_type.value_or("").c_str());
        else
            ImGui::TextDisabled("-");

        ImGui::TableSetColumnIndex(3);
        if (d.acs) {
            const std::string bits = d.acs->control_bits.empty() ? "off" : d.acs->control_bits;
            if (d.acs->redirect)
                ImGui::TextColored(kAmber, "%s", bits.c_str());
            else
                ImGui::TextUnformatted(bits.c_str());
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("ACS capability %04x, control %04x%s", d.acs->capability, d.acs->control,
                                  d.acs->redirect ? "\nRedirect bits set: peer-to-peer traffic below this port is "
                                                    "sent up to the root (pci=disable_acs_redir= clears them)"
                                                  : "");
        } else if (d.acs_known) {
            ImGui::TextDisabled("none");
        } else {
            ImGui::TextDisabled("?");
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("The input holds no extended config space: ACS unknown");
        }

        ImGui::TableSetColumnIndex(4);
        if (d.p2pmem) {
            const std::string size = format_bytes(d.p2pmem->size_bytes);
            if (d.p2pmem->published)
                ImGui::TextColored(kGreen, "%s", size.c_str());
            else
                ImGui::Text("%s (private)", size.c_str());
        }
    }

    std::vector<Row> rows_;
    std::shared_ptr<const TopologyView> built_for_;
    std::string filter_;
    bool dirty_ = true;
};

const PanelRegistration registration{{.name = "Topology", .make = make_panel<TopologyPanel>}};

}  // namespace

}  // namespace p2pscope::gui::ui
