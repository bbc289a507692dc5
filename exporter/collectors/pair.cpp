// SPDX-License-Identifier: GPL-2.0-or-later
// pair: for every pair of selected functions, the DMA path class and the
// P2PDMA verdict of drivers/pci/p2pdma.c (a as provider). The reasons are
// prose and live in /snapshot.json, not in labels.
//   p2pscope_pair_info{a,b,path,verdict} 1
//   p2pscope_pair_p2pdma_distance{a,b}
//   p2pscope_pairs{path,verdict}
#include <map>
#include <utility>

#include "families.hpp"

namespace p2pscope::exporter::collectors {

namespace {

class PairCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        if (!s.topology) return make_error(Errc::unsupported, "no topology loaded");
        auto info = family("p2pscope_pair_info",
                           "A metric with a constant '1' value per pair of selected PCI functions: the path class "
                           "(X, PIX, PXB, PHB, NODE, SYS, unknown) and the P2PDMA verdict (BUS_ADDR, "
                           "THRU_HOST_BRIDGE, NOT_SUPPORTED, unknown) with a as provider.");
        auto distance = family("p2pscope_pair_p2pdma_distance",
                               "pci_p2pdma_distance() of the pair, when the kernel would allow P2P DMA.");
        auto counts = family("p2pscope_pairs", "Number of pairs of selected PCI functions by path class and P2PDMA verdict.");
        std::map<std::pair<std::string_view, std::string_view>, int> by_class;
        for (const auto& p : s.topology->pairs) {
            const std::string a = p.a.to_string(), b = p.b.to_string();
            const auto path = probe::to_string(p.path.path);
            const auto verdict = probe::to_string(p.p2pdma.verdict);
            add_gauge(info, {{"a", a}, {"b", b}, {"path", std::string(path)}, {"verdict", std::string(verdict)}}, 1);
            if (p.p2pdma.distance) add_gauge(distance, {{"a", a}, {"b", b}}, *p.p2pdma.distance);
            ++by_class[{path, verdict}];
        }
        for (const auto& [k, n] : by_class)
            add_gauge(counts, {{"path", std::string(k.first)}, {"verdict", std::string(k.second)}}, n);
        emit(out, std::move(info));
        emit(out, std::move(distance));
        emit(out, std::move(counts));
        return Ok{};
    }

    bool topology_only() const override { return true; }
};

const CollectorRegistration registration{{.name = "pair",
                                          .help = "path class and P2PDMA verdict of every device pair",
                                          .position = 40,
                                          .make = make_collector<PairCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
