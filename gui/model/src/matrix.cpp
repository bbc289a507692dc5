// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/matrix.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <utility>

#include "p2pscope/probe/analysis.hpp"

namespace p2pscope::gui {

std::string_view to_string(MatrixMode m) {
    switch (m) {
    case MatrixMode::path: return "path";
    case MatrixMode::verdict: return "verdict";
    case MatrixMode::latency: return "latency";
    case MatrixMode::bandwidth: return "bandwidth";
    }
    return "path";
}

std::optional<MatrixMode> parse_matrix_mode(std::string_view name) {
    for (auto m : {MatrixMode::path, MatrixMode::verdict, MatrixMode::latency, MatrixMode::bandwidth})
        if (to_string(m) == name) return m;
    return std::nullopt;
}

std::string_view title(MatrixMode m) {
    switch (m) {
    case MatrixMode::path: return "Path class";
    case MatrixMode::verdict: return "P2PDMA verdict";
    case MatrixMode::latency: return "Map latency (p50)";
    case MatrixMode::bandwidth: return "Transfer bandwidth";
    }
    return "";
}

Color text_color_on(Color c) {
    const double luma = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    return luma > 140 ? Color{16, 16, 16} : Color{240, 240, 240};
}

const char* const kNoTransferYet =
    "No transfer of a device yet: start one under Run controls (Transfer bandwidth) on this machine.";

namespace {

constexpr Color kSame{52, 52, 58};
constexpr Color kUnknown{96, 96, 104};
constexpr Color kAbsent{40, 40, 44};
constexpr Color kNoData{44, 46, 52};
constexpr Color kWaived{70, 86, 120};
constexpr Color kFailed{150, 40, 60};

std::optional<probe::PathClass> parse_path(std::string_view name) {
    using P = probe::PathClass;
    for (P p : {P::X, P::PIX, P::PXB, P::PHB, P::NODE, P::SYS, P::unknown})
        if (probe::to_string(p) == name) return p;
    return std::nullopt;
}

std::string clock_time(double unix_s) {
    if (unix_s <= 0) return "?";
    const std::time_t t = static_cast<std::time_t>(unix_s);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

std::string compact_ns(double ns) {
    char buf[16];
    if (ns < 1000)
        std::snprintf(buf, sizeof buf, "%.0f", ns);
    else if (ns < 10'000)
        std::snprintf(buf, sizeof buf, "%.1fu", ns / 1e3);
    else if (ns < 1'000'000)
        std::snprintf(buf, sizeof buf, "%.0fu", ns / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.1fm", ns / 1e6);
    return buf;
}

using CellKey = std::pair<std::string, std::string>;  // device, peer

// The latest map measurement of each (device, peer), any configuration.
std::map<CellKey, const MeasurementView*> latest_maps(const std::vector<MeasurementView>& ms) {
    std::map<CellKey, const MeasurementView*> out;
    for (const auto& m : ms) {
        if (m.kind != "map" || m.device.empty()) continue;
        auto& slot = out[{m.device, m.peer}];
        if (!slot || m.finished_unix_s >= slot->finished_unix_s) slot = &m;
    }
    return out;
}

CellKey cell_key(const TopologyView& v, size_t row, size_t col) {
    const auto& a = v.devices[static_cast<size_t>(v.matrix[row])];
    if (row == col) return {a.bdf, ""};
    return {a.bdf, v.devices[static_cast<size_t>(v.matrix[col])].bdf};
}

// The latest transfer run of each (device, peer): its fastest ok row, or, when
// none ran, a row that says why.
std::map<CellKey, const MeasurementView*> latest_transfers(const std::vector<MeasurementView>& ms) {
    std::map<CellKey, const MeasurementView*> out;
    auto rate = [](const MeasurementView* m) {
        return m->ok() && m->transfer && m->transfer->transfers ? m->transfer->bytes_per_second : -1.0;
    };
    for (const auto& m : ms) {
        if (m.kind != "transfer" || m.device.empty()) continue;
        auto& slot = out[{m.device, m.peer}];
        if (!slot || m.finished_unix_s > slot->finished_unix_s ||
            (m.finished_unix_s == slot->finished_unix_s && rate(&m) > rate(slot)))
            slot = &m;
    }
    return out;
}

std::string compact_rate(double bps) {
    char buf[16];
    if (bps >= 1e9)
        std::snprintf(buf, sizeof buf, "%.1fG", bps / 1e9);
    else if (bps >= 1e6)
        std::snprintf(buf, sizeof buf, "%.0fM", bps / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.0fk", bps / 1e3);
    return buf;
}

std::string transfer_line(const MeasurementView& m) {
    std::string s = m.config_label() + ", finished " + clock_time(m.finished_unix_s) + ": ";
    if (!m.ok()) return s + m.status + (m.reason.empty() ? "" : " (" + m.reason + ")");
    if (!m.transfer || !m.transfer->transfers) return s + "no transfers";
    const TransferView& t = *m.transfer;
    return s + format_rate(t.bytes_per_second) + ", p50 " + format_ns(t.p50_ns) + ", p99 " + format_ns(t.p99_ns) +
           (t.verified ? (*t.verified ? ", verified" : ", DID NOT VERIFY") : ", not verified");
}

std::string latency_line(const MeasurementView& m) {
    std::string s = m.config_label() + ", finished " + clock_time(m.finished_unix_s) + ": ";
    if (!m.ok()) return s + m.status + (m.reason.empty() ? "" : " (" + m.reason + ")");
    if (!m.map) return s + "no samples";
    return s + "map p50 " + format_ns(m.map->p50_ns) + ", p99 " + format_ns(m.map->p99_ns) + ", p99.9 " +
           format_ns(m.map->p999_ns) + " (" + std::to_string(m.map->count) + " samples)";
}

}  // namespace

Color path_color(std::string_view path) {
    if (path == "X") return kSame;
    if (path == "PIX") return {26, 152, 80};
    if (path == "PXB") return {145, 207, 96};
    if (path == "PHB") return {254, 224, 139};
    if (path == "NODE") return {252, 141, 89};
    if (path == "SYS") return {215, 48, 39};
    return kUnknown;
}

Color verdict_color(std::string_view verdict) {
    if (verdict == "BUS_ADDR") return {26, 152, 80};
    if (verdict == "THRU_HOST_BRIDGE") return {253, 174, 97};
    if (verdict == "NOT_SUPPORTED") return {215, 48, 39};
    return kUnknown;
}

Color ramp(double t) {
    // viridis at 0, .25, .5, .75, 1
    static constexpr std::array<Color, 5> stops{{{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    const double x = t * (stops.size() - 1);
    const size_t i = std::min(static_cast<size_t>(x), stops.size() - 2);
    const double f = x - static_cast<double>(i);
    auto mix = [f](uint8_t a, uint8_t b) { return static_cast<uint8_t>(std::lround(a + (b - a) * f)); };
    return {mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g), mix(stops[i].b, stops[i + 1].b)};
}

namespace {

// Path and verdict: each pair's cell from its view; the diagonal is the device itself.
template <class CellOf>
void fill_pair_cells(MatrixView& out, const TopologyView& v, CellOf cell_of) {
    const size_t n = out.n;
    for (size_t r = 0; r < n; ++r)
        for (size_t c = 0; c < n; ++c) {
            const PairView* p = r == c ? nullptr : v.pair(r, c);
            out.cells[r * n + c] = r == c                 ? Cell{kSame, "X", false, 0}
                                   : !p || !p->present ? Cell{kAbsent, "", false, 0}
                                                       : cell_of(*p);
        }
}

// Latency and bandwidth: the latest measurement of each cell, its value (none:
// nothing measured) on a log colour scale from the lowest to the highest, and
// the legend. False when no cell has a value.
template <class ValueOf>
bool fill_measured_cells(MatrixView& out, const TopologyView& v, const std::map<CellKey, const MeasurementView*>& latest,
                         ValueOf value_of, std::string (*compact)(double), std::string (*format)(double)) {
    const size_t n = out.n;
    double lo = 0, hi = 0;
    bool any = false;
    for (size_t r = 0; r < n; ++r)
        for (size_t c = 0; c < n; ++c) {
            Cell& cell = out.cells[r * n + c];
            auto it = latest.find(cell_key(v, r, c));
            const MeasurementView* m = it == latest.end() ? nullptr : it->second;
            const std::optional<double> value = m && m->ok() ? value_of(*m) : std::nullopt;
            if (m && !m->ok()) {
                const bool waived = m->status == "waived";
                cell = {waived ? kWaived : kFailed, waived ? "W" : "F", false, 0};
            } else if (!value) {
                cell = {kNoData, "", false, 0};
            } else {
                cell = {{}, compact(*value), true, *value};
                lo = any ? std::min(lo, *value) : *value;
                hi = any ? std::max(hi, *value) : *value;
                any = true;
            }
        }
    out.min_value = lo;
    out.max_value = hi;
    const double llo = std::log(std::max(lo, 1.0)), lhi = std::log(std::max(hi, 1.0));
    for (auto& cell : out.cells)
        if (cell.has_value) cell.color = ramp(lhi > llo ? (std::log(std::max(cell.value, 1.0)) - llo) / (lhi - llo) : 0.5);
    if (any) out.legend = {{ramp(0), format(lo)}, {ramp(0.5), "log scale"}, {ramp(1), format(hi)}};
    out.legend.push_back({kWaived, "waived"});
    out.legend.push_back({kFailed, "failed"});
    out.legend.push_back({kNoData, "not measured"});
    return any;
}

}  // namespace

MatrixView build_matrix(const TopologyView& v, const std::vector<MeasurementView>& measurements, MatrixMode mode) {
    MatrixView out;
    out.mode = mode;
    out.n = v.matrix.size();
    out.cells.resize(out.n * out.n);
    switch (mode) {
    case MatrixMode::path:
        fill_pair_cells(out, v, [](const PairView& p) {
            return Cell{path_color(p.path), p.path == "unknown" ? "?" : p.path, false, 0};
        });
        for (const char* p : {"PIX", "PXB", "PHB", "NODE", "SYS", "unknown"})
            out.legend.push_back({path_color(p), p});
        out.note = "nvidia-smi topo -m's legend for any vendor: PIX at most one switch, PXB several switches, PHB a "
                   "host bridge, NODE host bridges of one NUMA node, SYS across NUMA nodes.";
        break;
    case MatrixMode::verdict:
        fill_pair_cells(out, v, [](const PairView& p) {
            std::string label = p.verdict == "BUS_ADDR"           ? "B"
                                : p.verdict == "THRU_HOST_BRIDGE" ? "H"
                                : p.verdict == "NOT_SUPPORTED"    ? "N"
                                                                  : "?";
            if (p.distance) label += std::to_string(*p.distance);
            return Cell{verdict_color(p.verdict), label, false, 0};
        });
        out.legend = {{verdict_color("BUS_ADDR"), "BUS_ADDR"},
                      {verdict_color("THRU_HOST_BRIDGE"), "THRU_HOST_BRIDGE"},
                      {verdict_color("NOT_SUPPORTED"), "NOT_SUPPORTED"},
                      {verdict_color("unknown"), "unknown"}};
        out.note = "As drivers/pci/p2pdma.c computes it, the lower address as provider; the number is the distance. "
                   "Hover a cell for the reason.";
        break;
    case MatrixMode::latency: {
        const auto p50 = [](const MeasurementView& m) {
            return m.map && m.map->count ? std::optional<double>(m.map->p50_ns) : std::nullopt;
        };
        const bool any = fill_measured_cells(out, v, latest_maps(measurements), p50, compact_ns, format_ns);
        out.note = any ? "Rows map the memory of the column's device (diagonal: host memory); latest map "
                         "measurement per cell, any API."
                       : "No map measurement yet: start one under Run controls (needs /dev/p2pscope) or connect "
                         "to a p2pscoped that measures.";
        break;
    }
    case MatrixMode::bandwidth: {
        const auto rate = [](const MeasurementView& m) {
            return m.transfer && m.transfer->transfers ? std::optional<double>(m.transfer->bytes_per_second)
                                                       : std::nullopt;
        };
        const bool any = fill_measured_cells(out, v, latest_transfers(measurements), rate, compact_rate, format_rate);
        out.note = any ? "Rows are the transfer's device, columns its peer (diagonal: the CPU or host memory); the "
                         "fastest row of the latest transfer run per cell."
                       : kNoTransferYet;
        break;
    }
    }
    return out;
}

std::string explain_cell(const TopologyView& v, const std::vector<MeasurementView>& measurements, MatrixMode mode,
                         size_t row, size_t col) {
    const size_t n = v.matrix.size();
    if (row >= n || col >= n) return {};
    const DeviceView& a = v.devices[static_cast<size_t>(v.matrix[row])];
    const DeviceView& b = v.devices[static_cast<size_t>(v.matrix[col])];
    std::string s;
    auto measured = [&] {
        std::vector<const MeasurementView*> ms;
        const CellKey key = cell_key(v, row, col);
        for (const auto& m : measurements)
            if (m.kind == "map" && m.device == key.first && m.peer == key.second) ms.push_back(&m);
        std::sort(ms.begin(), ms.end(), [](auto* x, auto* y) { return x->finished_unix_s > y->finished_unix_s; });
        const std::string what = row == col ? a.bdf + " mapping host memory"
                                            : a.bdf + " mapping memory of " + b.bdf;
        if (ms.empty()) return "Map latency: no measurement of " + what + " yet.";
        std::string out = "Map latency of " + what + ":";
        for (size_t i = 0; i < ms.size() && i < 6; ++i) out += "\n  " + latency_line(*ms[i]);
        if (ms.size() > 6) out += "\n  ... " + std::to_string(ms.size() - 6) + " more";
        return out;
    };
    auto transfers = [&] {
        std::vector<const MeasurementView*> ms;
        const CellKey key = cell_key(v, row, col);
        for (const auto& m : measurements)
            if (m.kind == "transfer" && m.device == key.first && m.peer == key.second) ms.push_back(&m);
        std::sort(ms.begin(), ms.end(), [](auto* x, auto* y) { return x->finished_unix_s > y->finished_unix_s; });
        const std::string what = row == col ? a.bdf : a.bdf + " with " + b.bdf;
        if (ms.empty()) return "Transfer bandwidth: no transfer of " + what + " yet.";
        std::string out = "Transfers of " + what + ":";
        for (size_t i = 0; i < ms.size() && i < 6; ++i) out += "\n  " + transfer_line(*ms[i]);
        if (ms.size() > 6) out += "\n  ... " + std::to_string(ms.size() - 6) + " more";
        return out;
    };
    if (row == col) {
        s = a.bdf + "  " + a.title() + "\nThe same device.";
        if (mode == MatrixMode::latency) s += "\n" + measured();
        if (mode == MatrixMode::bandwidth) s += "\n" + transfers();
        return s;
    }
    const DeviceView& lo = a.bdf < b.bdf ? a : b;
    const DeviceView& hi = a.bdf < b.bdf ? b : a;
    s = a.bdf + "  <->  " + b.bdf + "\n";
    s += a.bdf + ": " + a.title() + " (" + a.kind + ")\n";
    s += b.bdf + ": " + b.title() + " (" + b.kind + ")\n";
    const PairView* p = v.pair(row, col);
    if (!p || !p->present) {
        s += "The input has no analysis of this pair.";
    } else {
        std::string path_line = "Path: " + p->path;
        if (auto pc = parse_path(p->path); pc && *pc != probe::PathClass::unknown)
            path_line += " - " + std::string(probe::describe(*pc));
        if (!p->path_reason.empty()) path_line += " (" + p->path_reason + ")";
        std::string verdict_line = "P2PDMA (" + lo.bdf + " provides memory, " + hi.bdf + " is the client): " + p->verdict;
        if (p->distance) verdict_line += ", distance " + std::to_string(*p->distance);
        verdict_line += "\nWhy: " + (p->reason.empty() ? std::string("(no reason given)") : p->reason);
        if (mode == MatrixMode::verdict)
            s += verdict_line + "\n" + path_line;
        else
            s += path_line + "\n" + verdict_line;
    }
    if (mode == MatrixMode::latency) s += "\n" + measured();
    if (mode == MatrixMode::bandwidth) s += "\n" + transfers();
    return s;
}

}  // namespace p2pscope::gui
