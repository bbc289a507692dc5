// SPDX-License-Identifier: GPL-2.0-or-later
// The registry the panels' files add themselves to.
#include "panel.hpp"

namespace p2pscope::gui::ui {

std::map<std::string, std::unique_ptr<Panel>> make_registered_panels() {
    std::map<std::string, std::unique_ptr<Panel>> out;
    for (const auto& p : Registry<PanelInfo>::instance().entries()) out.emplace(p.name, p.make());
    return out;
}

const std::vector<std::string>& kept_out_panels() { return Registry<PanelInfo>::instance().kept_out(); }

}  // namespace p2pscope::gui::ui
