// SPDX-License-Identifier: GPL-2.0-or-later
// iommu: IOMMU groups and the type of their default domain.
//   p2pscope_iommu_group_info{group,domain_type} 1
//   p2pscope_iommu_group_devices{group}
//   p2pscope_pcidevice_iommu_group_info{segment,bus,device,function,group} 1
// Nothing for functions whose group the input does not tell (hwloc XML, lspci dumps).
#include <map>

#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

class IommuCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        if (!s.topology) return make_error(Errc::unsupported, "no topology loaded");
        const auto& t = s.topology->topology;
        struct Group {
            std::string domain_type;
            int devices = 0;
        };
        std::map<int, Group> groups;
        auto member = family("p2pscope_pcidevice_iommu_group_info",
                             "A metric with a constant '1' value naming the IOMMU group of each PCI function.");
        for (const auto& f : t.functions) {
            if (!f.iommu_group) continue;
            auto& g = groups[*f.iommu_group];
            ++g.devices;
            if (f.iommu_domain_type) g.domain_type = *f.iommu_domain_type;
            Labels l = pci_labels(f.address);
            l.push_back({"group", std::to_string(*f.iommu_group)});
            add_gauge(member, std::move(l), 1);
        }
        auto info = family("p2pscope_iommu_group_info",
                           "A metric with a constant '1' value per IOMMU group, labeled by the type of its default "
                           "domain (identity, DMA, DMA-FQ, unmanaged, blocked; empty when unknown).");
        auto devices = family("p2pscope_iommu_group_devices", "Number of PCI functions in the IOMMU group.");
        for (const auto& [id, g] : groups) {
            add_gauge(info, {{"group", std::to_string(id)}, {"domain_type", g.domain_type}}, 1);
            add_gauge(devices, {{"group", std::to_string(id)}}, g.devices);
        }
        emit(out, std::move(info));
        emit(out, std::move(devices));
        emit(out, std::move(member));
        return Ok{};
    }

    bool topology_only() const override { return true; }
};

const CollectorRegistration registration{{.name = "iommu",
                                          .help = "IOMMU groups and their domain types",
                                          .position = 30,
                                          .make = make_collector<IommuCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
