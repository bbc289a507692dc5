// SPDX-License-Identifier: GPL-2.0-or-later
// gui_screenshot_check PNG LAYOUT.json [--expect "PANEL=R,G,B[~TOL][:MIN]"]... [--hover-contains TEXT]...
// Checks a p2pscope-gui screenshot: the image has the layout's size and many
// colours, and every panel's rectangle has content (several colours, text,
// pixels other than its background). --expect asks for at least MIN pixels
// (default 100) within TOL (default 0) of a colour inside a panel, e.g. the
// heat map's PIX green. --hover-contains asks that the matrix tooltip on
// screen (--hover-cell) said TEXT. Prints what it measured; exit 0 when all holds.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "panel.hpp"
#include "window.hpp"

namespace {

struct Rect {
    std::string name;
    int x, y, w, h;
};

struct Expect {
    std::string panel;
    int r, g, b, tol = 0;
    int min = 100;
};

bool parse_expect(const std::string& s, Expect& e) {
    const auto eq = s.find('=');
    if (eq == std::string::npos) return false;
    e.panel = s.substr(0, eq);
    const std::string rest = s.substr(eq + 1);
    char c1 = 0, c2 = 0;
    int used = 0;
    if (std::sscanf(rest.c_str(), "%d%c%d%c%d%n", &e.r, &c1, &e.g, &c2, &e.b, &used) != 5 || c1 != ',' || c2 != ',')
        return false;
    std::string tail = rest.substr(static_cast<size_t>(used));
    if (!tail.empty() && tail[0] == '~') {
        size_t n = 0;
        e.tol = std::stoi(tail.substr(1), &n);
        tail = tail.substr(1 + n);
    }
    if (!tail.empty() && tail[0] == ':') e.min = std::stoi(tail.substr(1));
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: gui_screenshot_check PNG LAYOUT.json [--expect PANEL=R,G,B[~TOL][:MIN]]... "
                     "[--hover-contains TEXT]...\n";
        return 2;
    }
    std::vector<Expect> expects;
    std::vector<std::string> hover_texts;
    for (int i = 3; i < argc; ++i) {
        if (std::string(argv[i]) == "--hover-contains" && i + 1 < argc) {
            hover_texts.push_back(argv[++i]);
            continue;
        }
        Expect e;
        if (std::string(argv[i]) != "--expect" || i + 1 >= argc || !parse_expect(argv[i + 1], e)) {
            std::cerr << "gui_screenshot_check: bad argument '" << argv[i] << "'\n";
            return 2;
        }
        expects.push_back(e);
        ++i;
    }
    auto img = p2pscope::gui::ui::read_png(argv[1]);
    if (!img) {
        std::cerr << "FAIL: " << img.error().message << "\n";
        return 1;
    }
    nlohmann::json layout;
    try {
        std::ifstream in(argv[2]);
        layout = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
        std::cerr << "FAIL: " << argv[2] << ": " << e.what() << "\n";
        return 1;
    }
    int failures = 0;
    auto fail = [&](const std::string& what) {
        std::cout << "FAIL: " << what << "\n";
        ++failures;
    };
    const int W = img->width, H = img->height;
    auto px = [&](int x, int y) {
        const uint8_t* p = &img->rgba[(static_cast<size_t>(y) * static_cast<size_t>(W) + static_cast<size_t>(x)) * 4];
        return (static_cast<uint32_t>(p[0]) << 16) | (static_cast<uint32_t>(p[1]) << 8) | p[2];
    };
    if (layout.value("width", 0) != W || layout.value("height", 0) != H)
        fail("image is " + std::to_string(W) + "x" + std::to_string(H) + ", layout says " +
             std::to_string(layout.value("width", 0)) + "x" + std::to_string(layout.value("height", 0)));
    std::set<uint32_t> all;
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) all.insert(px(x, y));
    std::cout << "image " << W << "x" << H << ", " << all.size() << " distinct colours\n";
    if (all.size() < 100) fail("fewer than 100 distinct colours: a blank or single-colour frame");

    std::map<std::string, Rect> rects;
    for (const auto& p : layout.value("panels", nlohmann::json::array()))
        rects[p.value("name", "")] = {p.value("name", ""), p.value("x", 0), p.value("y", 0), p.value("w", 0), p.value("h", 0)};
    for (const char* want : {"Topology", "Details", "Pair matrix", "Live plots", "Run controls"})
        if (!rects.count(want)) fail(std::string("panel '") + want + "' is not in the layout");
    // This program links the same panels as p2pscope-gui: each must have its place in the layout.
    for (const auto& [name, panel] : p2pscope::gui::ui::make_registered_panels())
        if (!rects.count(name)) fail("panel '" + name + "' is registered but has no place in the layout");
    for (const auto& what : p2pscope::gui::ui::kept_out_panels()) fail("panel kept out of the registry: " + what);

    for (const auto& [name, r] : rects) {
        if (r.w < 50 || r.h < 50 || r.x < 0 || r.y < 0 || r.x + r.w > W || r.y + r.h > H) {
            fail("panel '" + name + "' has a bad rectangle");
            continue;
        }
        std::map<uint32_t, long> hist;
        long bright = 0;
        for (int y = r.y; y < r.y + r.h; ++y)
            for (int x = r.x; x < r.x + r.w; ++x) {
                const uint32_t c = px(x, y);
                ++hist[c];
                const double luma = 0.2126 * (c >> 16) + 0.7152 * ((c >> 8) & 255) + 0.0722 * (c & 255);
                bright += luma > 150;
            }
        long top = 0;
        for (const auto& [c, n] : hist) top = std::max(top, n);
        const long total = static_cast<long>(r.w) * r.h;
        const double other = 1.0 - static_cast<double>(top) / static_cast<double>(total);
        std::printf("panel %-13s %4dx%-4d at %4d,%-4d: %5zu colours, %5.1f %% off its background, %6ld bright pixels\n",
                    name.c_str(), r.w, r.h, r.x, r.y, hist.size(), other * 100, bright);
        if (hist.size() < 12) fail("panel '" + name + "' has fewer than 12 colours");
        if (other < 0.02) fail("panel '" + name + "' is nearly all one colour");
        if (bright < 300) fail("panel '" + name + "' has almost no text (fewer than 300 bright pixels)");
    }
    for (const auto& e : expects) {
        auto it = rects.find(e.panel);
        if (it == rects.end()) {
            fail("--expect: no panel '" + e.panel + "'");
            continue;
        }
        const Rect& r = it->second;
        long n = 0;
        for (int y = r.y; y < r.y + r.h; ++y)
            for (int x = r.x; x < r.x + r.w; ++x) {
                const uint32_t c = px(x, y);
                if (std::abs(static_cast<int>(c >> 16) - e.r) <= e.tol && std::abs(static_cast<int>((c >> 8) & 255) - e.g) <= e.tol &&
                    std::abs(static_cast<int>(c & 255) - e.b) <= e.tol)
                    ++n;
            }
        std::printf("panel %-13s colour %d,%d,%d (within %d): %ld pixels (want %d)\n", e.panel.c_str(), e.r, e.g, e.b,
                    e.tol, n, e.min);
        if (n < e.min) fail("panel '" + e.panel + "' lacks the expected colour");
    }
    const std::string hover = layout.value("hover", "");
    for (const auto& t : hover_texts) {
        std::cout << "hover text " << (hover.find(t) != std::string::npos ? "has" : "lacks") << " '" << t << "'\n";
        if (hover.find(t) == std::string::npos) fail("the matrix tooltip does not say '" + t + "' (it says: '" + hover + "')");
    }
    if (failures) return 1;
    std::cout << "ok: every panel has content\n";
    return 0;
}
