// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/series.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace p2pscope::gui {

namespace {
template <class F>
void each(const LatencySeries& s, F f) {
    for (const Ring<float>* r : {&s.p50_ns, &s.p90_ns, &s.p99_ns, &s.p999_ns})
        for (size_t i = 0; i < r->size(); ++i) f((*r)[i]);
}
}  // namespace

float LatencySeries::min_value() const {
    float lo = std::numeric_limits<float>::infinity();
    each(*this, [&](float v) { lo = std::min(lo, v); });
    return std::isinf(lo) ? 0.f : lo;
}

float LatencySeries::max_value() const {
    float hi = 0;
    each(*this, [&](float v) { hi = std::max(hi, v); });
    return hi;
}

bool SeriesSet::add(const MeasurementView& m) {
    if (m.kind == "transfer") return add_transfer(m);
    if (m.kind != "map" || !m.ok() || !m.map || m.map->count == 0) return false;
    auto it = series_.find(m.key);
    if (it == series_.end()) {
        LatencySeries s(capacity_);
        s.key = m.key;
        s.device = m.device;
        s.peer = m.peer;
        s.label = m.config_label();
        it = series_.emplace(m.key, std::move(s)).first;
    }
    LatencySeries& s = it->second;
    if (s.samples > 0) {
        const double last = s.time_unix_s.back();
        if (m.finished_unix_s < last) return false;
        if (m.finished_unix_s == last && m == s.last) return false;  // the same result served again
    }
    s.time_unix_s.push(m.finished_unix_s);
    s.p50_ns.push(static_cast<float>(m.map->p50_ns));
    s.p90_ns.push(static_cast<float>(m.map->p90_ns));
    s.p99_ns.push(static_cast<float>(m.map->p99_ns));
    s.p999_ns.push(static_cast<float>(m.map->p999_ns));
    s.last = m;
    ++s.samples;
    return true;
}

bool SeriesSet::add_transfer(const MeasurementView& m) {
    if (!m.ok() || !m.transfer || m.transfer->transfers == 0 || !(m.transfer->bytes_per_second > 0)) return false;
    auto it = bandwidth_.find(m.key);
    if (it == bandwidth_.end()) {
        BandwidthSeries s(capacity_);
        s.key = m.key;
        s.device = m.device;
        s.peer = m.peer;
        s.label = m.config_label();
        it = bandwidth_.emplace(m.key, std::move(s)).first;
    }
    BandwidthSeries& s = it->second;
    if (s.samples > 0) {
        const double last = s.time_unix_s.back();
        if (m.finished_unix_s < last) return false;
        if (m.finished_unix_s == last && m == s.last) return false;
    }
    s.time_unix_s.push(m.finished_unix_s);
    s.bytes_per_s.push(static_cast<float>(m.transfer->bytes_per_second));
    s.p50_ns.push(static_cast<float>(m.transfer->p50_ns));
    s.p99_ns.push(static_cast<float>(m.transfer->p99_ns));
    s.unverified += m.transfer->verified == false;
    s.last = m;
    ++s.samples;
    return true;
}

const BandwidthSeries* SeriesSet::find_bandwidth(const std::string& key) const {
    auto it = bandwidth_.find(key);
    return it == bandwidth_.end() ? nullptr : &it->second;
}

std::vector<const BandwidthSeries*> SeriesSet::bandwidth_for_pair(const std::string& device,
                                                                  const std::string& peer) const {
    std::vector<const BandwidthSeries*> out;
    for (const auto& [key, s] : bandwidth_)
        if (s.device == device && s.peer == peer) out.push_back(&s);
    std::sort(out.begin(), out.end(), [](const BandwidthSeries* a, const BandwidthSeries* b) {
        return a->time_unix_s.back() > b->time_unix_s.back();
    });
    return out;
}

const LatencySeries* SeriesSet::find(const std::string& key) const {
    auto it = series_.find(key);
    return it == series_.end() ? nullptr : &it->second;
}

std::vector<const LatencySeries*> SeriesSet::for_pair(const std::string& device, const std::string& peer) const {
    std::vector<const LatencySeries*> out;
    for (const auto& [key, s] : series_)
        if (s.device == device && s.peer == peer) out.push_back(&s);
    std::sort(out.begin(), out.end(), [](const LatencySeries* a, const LatencySeries* b) {
        return a->time_unix_s.back() > b->time_unix_s.back();
    });
    return out;
}

}  // namespace p2pscope::gui
