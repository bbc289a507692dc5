// SPDX-License-Identifier: GPL-2.0-or-later
// The pair matrix as a heat map: one colour and short label per cell for each
// view (path class, P2PDMA verdict, measured map latency, measured transfer
// bandwidth), its legend, and the explanation a hover shows. Pure functions
// of the view model and the measurements: testable without a window.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/gui/snapshot.hpp"
#include "p2pscope/gui/view_model.hpp"

namespace p2pscope::gui {

enum class MatrixMode { path, verdict, latency, bandwidth };
std::string_view to_string(MatrixMode m);  // path, verdict, latency, bandwidth
std::optional<MatrixMode> parse_matrix_mode(std::string_view name);
std::string_view title(MatrixMode m);      // "Path class", ...

struct Color {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Color&) const = default;
};
// Black or white, whichever reads better on the background.
Color text_color_on(Color background);

struct Cell {
    Color color;
    std::string label;  // short: "PIX", "B 4", "412"; empty when nothing to say
    bool has_value = false;
    double value = 0;   // latency mode: p50 map latency in ns; bandwidth mode: bytes/s
};

struct LegendEntry {
    Color color;
    std::string label;
};

struct MatrixView {
    MatrixMode mode = MatrixMode::path;
    size_t n = 0;
    std::vector<Cell> cells;  // n*n, row-major
    std::vector<LegendEntry> legend;
    std::string note;         // a line under the legend: what rows/columns mean, why nothing is shown
    double min_value = 0, max_value = 0;  // latency and bandwidth modes: the colour scale's ends
    const Cell& at(size_t row, size_t col) const { return cells[row * n + col]; }
};


// The latest map measurement per (device, peer) cell: rows are the device
// that maps, columns the peer whose memory it maps (the diagonal: host memory).
// Bandwidth mode: the fastest row of the latest transfer run per cell: rows are
// the transfer's device, columns its peer (the diagonal: the CPU or host memory).
MatrixView build_matrix(const TopologyView& view, const std::vector<MeasurementView>& measurements, MatrixMode mode);

// The bandwidth view's note before any transfer of a device has finished.
extern const char* const kNoTransferYet;

// Everything known about cell (row, col), as lines for a tooltip.
std::string explain_cell(const TopologyView& view, const std::vector<MeasurementView>& measurements, MatrixMode mode,
                         size_t row, size_t col);

// Colour of a path class or verdict name, shared with the legend and the tree.
Color path_color(std::string_view path);
Color verdict_color(std::string_view verdict);
// A perceptually ordered ramp (viridis), t in [0, 1].
Color ramp(double t);

}  // namespace p2pscope::gui
