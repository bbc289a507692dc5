// SPDX-License-Identifier: GPL-2.0-or-later
// Details of the selected device: identity, place in the hierarchy, link,
// ACS, IOMMU, p2pmem, and how it pairs with the others. Without a selection:
// the machine, and what the input lacked.
#include <imgui.h>

#include <map>
#include <type_traits>

#include "../panel.hpp"

namespace p2pscope::gui::ui {

namespace {

const ImVec4 kRed{1.0f, 0.42f, 0.35f, 1.0f};
const ImVec4 kAmber{1.0f, 0.72f, 0.30f, 1.0f};

template <class T>
std::string opt_text(const std::optional<T>& v, const char* unknown = "unknown") {
    if (!v) return unknown;
    if constexpr (std::is_same_v<T, std::string>)
        return *v;
    else if constexpr (std::is_same_v<T, bool>)
        return *v ? "yes" : "no";
    else
        return std::to_string(*v);
}

void row(const char* key, const std::string& value, const ImVec4* color = nullptr) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextDisabled("%s", key);
    ImGui::TableSetColumnIndex(1);
    if (color)
        ImGui::PushStyleColor(ImGuiCol_Text, *color);
    ImGui::TextWrapped("%s", value.c_str());
    if (color) ImGui::PopStyleColor();
}

class DetailsPanel final : public Panel {
public:
    void draw(Frame& f) override {
        const auto& t = f.state.topology;
        if (!t || f.ui.device < 0 || f.ui.device >= static_cast<int>(t->devices.size())) {
            panel_title("Details", "select a device in the tree or a cell in the matrix");
            machine(f);
            return;
        }
        const DeviceView& d = t->devices[static_cast<size_t>(f.ui.device)];
        panel_title("Details", d.bdf.c_str());
        ImGui::TextWrapped("%s", d.title().c_str());
        if (!ImGui::BeginTable("details", 2, ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp))
            return;
        ImGui::TableSetupColumn("key", 0, 1.0f);
        ImGui::TableSetupColumn("value", 0, 3.2f);
        std::string ids = d.vendor_id + ":" + d.device_id + ", class " + d.class_code;
        row("IDs", ids);
        row("Kind", d.kind + ", " + std::string(to_string(d.role)) + (d.port_type ? " (" + *d.port_type + ")" : ""));
        row("Driver", opt_text(d.driver, "none / unknown"));
        std::string locality = "package " + opt_text(d.package, "?") + ", NUMA node " + opt_text(d.numa_node, "?") +
                               ", host bridge " + d.host_bridge;
        row("Locality", locality);
        std::string chain;
        for (int up : t->upstream_chain(f.ui.device)) chain += (chain.empty() ? "" : " < ") + t->devices[static_cast<size_t>(up)].short_bdf();
        row("Path to root", chain + " < host bridge " + d.host_bridge);
        if (d.bridge)
            row("Buses", "secondary " + opt_text(d.secondary_bus, "?") + ", subordinate " + opt_text(d.subordinate_bus, "?"));
        const bool degraded = d.link.degraded.value_or(false);
        row("Link", d.link_text() + (degraded ? "  DEGRADED" : !d.link.degraded ? "  (degradation unknown)" : ""),
            degraded ? &kRed : nullptr);
        if (d.mps_bytes || d.mrrs_bytes)
            row("MPS / MRRS", opt_text(d.mps_bytes, "?") + " / " + opt_text(d.mrrs_bytes, "?") + " bytes");
        if (d.acs) {
            std::string acs = "capability " + hex4(d.acs->capability) + ", control " + hex4(d.acs->control) + " (" +
                              (d.acs->control_bits.empty() ? "nothing enabled" : d.acs->control_bits) + ")";
            if (d.acs->redirect) acs += "; redirects P2P upstream";
            row("ACS", acs, d.acs->redirect ? &kAmber : nullptr);
        } else {
            row("ACS", d.acs_known ? "no ACS capability" : "unknown (the input holds no extended config space)");
        }
        row("ATS", opt_text(d.ats_enabled));
        if (d.sriov) row("SR-IOV", std::to_string(d.sriov->num_vfs) + " of " + std::to_string(d.sriov->total_vfs) + " VFs enabled");
        if (!d.physfn.empty()) row("Physical function", d.physfn);
        row("IOMMU", d.iommu_group ? "group " + std::to_string(*d.iommu_group) + ", domain " +
                                         d.iommu_domain_type.value_or("type unknown")
                                   : "unknown / no group");
        if (d.p2pmem)
            row("p2pmem", format_bytes(d.p2pmem->size_bytes) + ", " + format_bytes(d.p2pmem->available_bytes) +
                              " available, " + (d.p2pmem->published ? "published" : "not published"));
        row("Config space", std::to_string(d.config_bytes) + " bytes in the input");
        if (d.matrix_index >= 0) pairs(*t, d);
        ImGui::EndTable();
    }

private:
    static std::string hex4(unsigned v) {
        char b[8];
        std::snprintf(b, sizeof b, "%04x", v);
        return b;
    }

    static void pairs(const TopologyView& t, const DeviceView& d) {
        std::map<std::string, int> paths, verdicts;
        const size_t me = static_cast<size_t>(d.matrix_index);
        for (size_t j = 0; j < t.matrix.size(); ++j) {
            const PairView* p = t.pair(me, j);
            if (!p || !p->present) continue;
            ++paths[p->path];
            ++verdicts[p->verdict];
        }
        auto join = [](const std::map<std::string, int>& m) {
            std::string s;
            for (const auto& [k, n] : m) s += (s.empty() ? "" : ", ") + k + " " + std::to_string(n);
            return s.empty() ? std::string("none") : s;
        };
        row("Matrix", "row / column " + std::to_string(d.matrix_index));
        row("Paths to peers", join(paths));
        row("P2PDMA verdicts", join(verdicts));
    }

    static void machine(Frame& f) {
        const auto& t = f.state.topology;
        if (!t) {
            ImGui::TextWrapped("%s", f.state.source.error.empty() ? "Reading the topology..." : f.state.source.error.c_str());
            return;
        }
        if (!ImGui::BeginTable("machine", 2, ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp))
            return;
        ImGui::TableSetupColumn("key", 0, 1.0f);
        ImGui::TableSetupColumn("value", 0, 3.2f);
        row("Source", t->source);
        if (t->cpu)
            row("CPU", t->cpu->vendor + (t->cpu->family ? " family " + std::to_string(*t->cpu->family) : "") +
                           (t->cpu->model.empty() ? "" : ", " + t->cpu->model));
        else
            row("CPU", "unknown (the P2PDMA CPU rule cannot be applied)");
        row("Packages / NUMA", opt_text(t->packages, "?") + " / " + opt_text(t->numa_nodes, "?"));
        row("Host bridges", std::to_string(t->host_bridges.size()));
        int inferred = 0;
        for (const auto& s : t->switches) inferred += s.inferred;
        row("Switches", std::to_string(t->switches.size()) + (inferred ? " (" + std::to_string(inferred) + " with roles inferred)" : ""));
        row("Functions", std::to_string(t->devices.size()) + ", " + std::to_string(t->matrix.size()) + " in the pair matrix");
        if (t->degraded_links) row("Degraded links", std::to_string(t->degraded_links), &kRed);
        for (const auto& n : t->notes) row("Note", n, &kAmber);
        ImGui::EndTable();
    }
};

const PanelRegistration registration{{.name = "Details", .make = make_panel<DetailsPanel>}};

}  // namespace

}  // namespace p2pscope::gui::ui
