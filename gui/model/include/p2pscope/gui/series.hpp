// SPDX-License-Identifier: GPL-2.0-or-later
// Time series for the live plots: a fixed-size ring buffer per series, laid
// out so that ImGui::PlotLines can draw it in place (values + offset of the
// oldest sample), and the sets of map latency and transfer bandwidth series
// keyed by measurement key.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "p2pscope/gui/snapshot.hpp"

namespace p2pscope::gui {

template <class T>
class Ring {
public:
    explicit Ring(size_t capacity = 600) : capacity_(capacity ? capacity : 1) { data_.reserve(capacity_); }

    void push(T v) {
        if (data_.size() < capacity_) {
            data_.push_back(v);
        } else {
            data_[head_] = v;
            head_ = (head_ + 1) % capacity_;
        }
    }
    size_t size() const { return data_.size(); }
    size_t capacity() const { return capacity_; }
    bool empty() const { return data_.empty(); }
    // The storage and where the oldest sample is in it: PlotLines(values, count, offset).
    const T* data() const { return data_.data(); }
    size_t offset() const { return head_; }
    // Oldest first.
    T operator[](size_t i) const { return data_[(head_ + i) % data_.size()]; }
    T back() const { return (*this)[data_.size() - 1]; }
    std::vector<T> values() const {
        std::vector<T> out;
        out.reserve(data_.size());
        for (size_t i = 0; i < data_.size(); ++i) out.push_back((*this)[i]);
        return out;
    }

private:
    size_t capacity_;
    size_t head_ = 0;  // index of the oldest sample once full
    std::vector<T> data_;
};

// Map latency percentiles of one measurement configuration over time.
struct LatencySeries {
    explicit LatencySeries(size_t capacity = 600)
        : time_unix_s(capacity), p50_ns(capacity), p90_ns(capacity), p99_ns(capacity), p999_ns(capacity) {}
    std::string key;
    std::string device, peer;
    std::string label;  // "map_single ram 4 KiB"
    Ring<double> time_unix_s;
    Ring<float> p50_ns, p90_ns, p99_ns, p999_ns;
    MeasurementView last;  // the latest sample as received
    size_t samples = 0;    // all samples ever appended (the ring keeps the newest)
    // The range a plot of all four percentiles needs.
    float min_value() const;
    float max_value() const;
};

// Transfer bandwidth and per-transfer latency of one transfer configuration
// (one engine row: an access width, a copy kind) over time, one point per run.
struct BandwidthSeries {
    explicit BandwidthSeries(size_t capacity = 600)
        : time_unix_s(capacity), bytes_per_s(capacity), p50_ns(capacity), p99_ns(capacity) {}
    std::string key;
    std::string device, peer;  // empty device: no PCI device (a file)
    std::string label;         // "cpu read 8-byte file 64 KiB"
    Ring<double> time_unix_s;
    Ring<float> bytes_per_s, p50_ns, p99_ns;
    MeasurementView last;  // the latest row as received (verified or not)
    size_t samples = 0;
    size_t unverified = 0;  // points whose data did not verify
};

class SeriesSet {
public:
    explicit SeriesSet(size_t capacity = 600) : capacity_(capacity) {}
    // Appends the measurement to its series when it is ok, ran, and is newer
    // than the series' last sample (a daemon serves the same finished
    // measurement again until the next one); returns whether it did. Map
    // measurements go to the latency series, transfer rows to the bandwidth ones.
    bool add(const MeasurementView& m);
    const LatencySeries* find(const std::string& key) const;
    const std::map<std::string, LatencySeries>& all() const { return series_; }
    // Series of one device pair (peer empty: the device with host memory), newest first.
    std::vector<const LatencySeries*> for_pair(const std::string& device, const std::string& peer) const;
    size_t size() const { return series_.size(); }

    const BandwidthSeries* find_bandwidth(const std::string& key) const;
    const std::map<std::string, BandwidthSeries>& bandwidth() const { return bandwidth_; }
    // Bandwidth series of one pair (as for_pair), newest first.
    std::vector<const BandwidthSeries*> bandwidth_for_pair(const std::string& device, const std::string& peer) const;

private:
    bool add_transfer(const MeasurementView& m);

    size_t capacity_;
    std::map<std::string, LatencySeries> series_;
    std::map<std::string, BandwidthSeries> bandwidth_;
};

}  // namespace p2pscope::gui
