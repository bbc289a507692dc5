// SPDX-License-Identifier: GPL-2.0-or-later
// The registry the panels' files add themselves to.
#include "panel.hpp"

namespace p2pscope::gui::ui {

namespace {

// Filled by PanelRegistration during static initialisation; read-only afterwards.
std::vector<std::unique_ptr<Panel> (*)()>& registry() {
    static std::vector<std::unique_ptr<Panel> (*)()> factories;
    return factories;
}

}  // namespace

PanelRegistration::PanelRegistration(std::unique_ptr<Panel> (*make)()) { registry().push_back(make); }

std::map<std::string, std::unique_ptr<Panel>> make_registered_panels() {
    std::map<std::string, std::unique_ptr<Panel>> out;
    for (const auto make : registry()) {
        auto panel = make();
        const std::string name = panel->name();
        out.emplace(name, std::move(panel));
    }
    return out;
}

}  // namespace p2pscope::gui::ui
