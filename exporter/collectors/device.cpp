// SPDX-License-Identifier: GPL-2.0-or-later
// device: the PCI functions of the topology and their links, labeled as
// node_exporter's pcidevice collector labels them (segment, bus, device,
// function) so that the series of both join.
//   p2pscope_topology_info{source} 1
//   p2pscope_pcidevice_info{segment,bus,device,function,vendor_id,device_id,class,kind,port_type,parent,host_bridge,driver} 1
//   p2pscope_pcidevice_numa_node{...}
//   p2pscope_pcidevice_current_link_transfers_per_second{...}, p2pscope_pcidevice_max_link_transfers_per_second{...}
//   p2pscope_pcidevice_current_link_width{...}, p2pscope_pcidevice_max_link_width{...}
//   p2pscope_pcidevice_link_degraded{...} 0|1
//   p2pscope_pcidevice_link_bandwidth_bytes_per_second{...} (hwloc's figure, when only that is known)
// A series is absent when the input does not carry the value.
#include <cstdio>

#include "families.hpp"
#include "p2pscope/probe/classes.hpp"

namespace p2pscope::exporter::collectors {

namespace {

std::string hex(unsigned value, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*x", digits, value);
    return buf;
}

class DeviceCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        if (!s.topology) return make_error(Errc::unsupported, "no topology loaded");
        const auto& t = s.topology->topology;
        auto topo = family("p2pscope_topology_info", "The input the topology was read from (sysfs:ROOT, hwloc-xml:FILE, lspci-dump:FILE).");
        add_gauge(topo, {{"source", t.source}}, 1);
        auto info = family("p2pscope_pcidevice_info",
                           "A metric with a constant '1' value per PCI function: ids, class, kind, PCIe port type, "
                           "upstream bridge, host bridge and bound driver (empty when unknown).");
        auto numa = family("p2pscope_pcidevice_numa_node", "NUMA node of the PCI function.");
        auto cur_speed = family("p2pscope_pcidevice_current_link_transfers_per_second",
                                "Current PCIe link speed per lane in transfers per second.");
        auto max_speed = family("p2pscope_pcidevice_max_link_transfers_per_second",
                                "Maximum PCIe link speed per lane the function supports in transfers per second.");
        auto cur_width = family("p2pscope_pcidevice_current_link_width", "Current PCIe link width in lanes.");
        auto max_width = family("p2pscope_pcidevice_max_link_width", "Maximum PCIe link width the function supports in lanes.");
        auto degraded = family("p2pscope_pcidevice_link_degraded",
                               "1 when the link trains below the speed or width both of its ends support, else 0.");
        auto bandwidth = family("p2pscope_pcidevice_link_bandwidth_bytes_per_second",
                                "Link bandwidth as hwloc reports it, in bytes per second (inputs without link registers).");
        for (const auto& f : t.functions) {
            const Labels id = pci_labels(f.address);
            Labels l = id;
            l.push_back({"vendor_id", hex(f.vendor_id, 4)});
            l.push_back({"device_id", hex(f.device_id, 4)});
            l.push_back({"class", hex(f.class_code, 6)});
            l.push_back({"kind", f.is_bridge ? "bridge" : std::string(probe::to_string(probe::classify(f)))});
            l.push_back({"port_type", f.port_type ? std::string(probe::to_string(*f.port_type)) : std::string()});
            l.push_back({"parent", f.parent ? f.parent->to_string() : std::string()});
            l.push_back({"host_bridge", f.host_bridge});
            l.push_back({"driver", f.driver.value_or("")});
            add_gauge(info, std::move(l), 1);
            if (f.numa_node) add_gauge(numa, id, *f.numa_node);
            if (f.link.speed_gts) add_gauge(cur_speed, id, *f.link.speed_gts * 1e9);
            if (f.link.max_speed_gts) add_gauge(max_speed, id, *f.link.max_speed_gts * 1e9);
            if (f.link.width) add_gauge(cur_width, id, *f.link.width);
            if (f.link.max_width) add_gauge(max_width, id, *f.link.max_width);
            if (auto d = t.link_degraded(f)) add_gauge(degraded, id, *d ? 1 : 0);
            if (f.link.bandwidth_gbps) add_gauge(bandwidth, id, *f.link.bandwidth_gbps * 1e9);
        }
        for (auto* fam : {&topo, &info, &numa, &cur_speed, &max_speed, &cur_width, &max_width, &degraded, &bandwidth})
            emit(out, std::move(*fam));
        return Ok{};
    }

    bool topology_only() const override { return true; }
};

const CollectorRegistration registration{{.name = "device",
                                          .help = "PCI functions, PCIe link speed and width (current, maximum, degraded)",
                                          .position = 20,
                                          .make = make_collector<DeviceCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
