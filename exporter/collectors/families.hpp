// SPDX-License-Identifier: GPL-2.0-or-later
// Small helpers the collectors share to build prometheus-cpp metric families
// straight from a snapshot.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "p2pscope/exporter/collector.hpp"
#include "p2pscope/probe/topology.hpp"

namespace p2pscope::exporter::collectors {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

inline MetricFamily family(std::string name, std::string help, MetricType type = MetricType::Gauge) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

inline void add_gauge(MetricFamily& f, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

inline void add_counter(MetricFamily& f, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.counter.value = value;
    f.metric.push_back(std::move(m));
}

// Families without samples are left out of the exposition.
inline void emit(std::vector<MetricFamily>& out, MetricFamily&& f) {
    if (!f.metric.empty()) out.push_back(std::move(f));
}

// node_exporter's pcidevice collector's labels, spelled as it spells them
// (segment %04x, bus %02x, device %02x, function %x), so that series join.
inline Labels pci_labels(const probe::PciAddress& a) {
    char seg[12], bus[4], dev[4], fn[4];
    std::snprintf(seg, sizeof seg, "%04x", a.domain);
    std::snprintf(bus, sizeof bus, "%02x", a.bus);
    std::snprintf(dev, sizeof dev, "%02x", a.device);
    std::snprintf(fn, sizeof fn, "%x", a.function);
    return {{"segment", seg}, {"bus", bus}, {"device", dev}, {"function", fn}};
}

inline constexpr double kNsPerSecond = 1e9;

}  // namespace p2pscope::exporter::collectors
