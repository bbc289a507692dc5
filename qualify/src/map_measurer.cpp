// SPDX-License-Identifier: GPL-2.0-or-later
// Map latency of a pair through p2pscope.ko: one device of the pair maps the
// other's memory, p2pmem with dma_map_sgtable (the P2PDMA path) where either
// publishes it, else a page-less memory BAR with dma_map_resource.
#include <cstring>
#include <optional>

#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/map_run.hpp"
#include "p2pscope/qualify/measure.hpp"

namespace p2pscope::qualify {

namespace {

bool publishes_p2pmem(const probe::PciFunction& f) { return f.p2pmem && f.p2pmem->published; }

class KclientMapMeasurer final : public MapMeasurer {
public:
    explicit KclientMapMeasurer(std::string path) : path_(std::move(path)) {}

    Measurement map_p99_ns(const probe::Topology&, const probe::PciFunction& a, const probe::PciFunction& b,
                           const Thresholds& th) override {
        if (!device_ && open_error_.empty()) {
            auto d = kclient::Device::open(path_);
            if (d) device_.emplace(std::move(*d));
            else open_error_ = "p2pscope.ko: " + d.error().message;
        }
        if (!device_) return open_error_;

        kclient::MapRequest q;
        q.size_bytes = th.map_size_bytes;
        q.duration_ns = static_cast<uint64_t>(th.map_seconds * 1e9);
        std::string what;
        if (publishes_p2pmem(b) || publishes_p2pmem(a)) {
            const bool b_owns = publishes_p2pmem(b);
            q.device = (b_owns ? a : b).address;
            q.peer = (b_owns ? b : a).address;
            q.api = kclient::MapApi::map_sgtable;
            q.mem = kclient::MapMemory::p2pmem;
            what = "map_sgtable by " + q.device.to_string() + " of " + q.peer->to_string() + "'s p2pmem";
        } else {
            auto info = device_->query(b.address);
            if (!info) return "cannot query " + b.address.to_string() + " through p2pscope.ko: " + info.error().message;
            std::optional<uint32_t> bar;
            for (uint32_t i = 0; i < 6 && !bar; ++i) {
                const auto& r = info->bars[i];
                if ((r.flags & kclient::kBarMem) && !(r.flags & kclient::kBarPages) &&
                    r.len_bytes >= th.map_size_bytes)
                    bar = i;
            }
            if (!bar)
                return "neither device publishes p2pmem, and " + b.address.to_string() +
                       " has no page-less memory BAR of " + std::to_string(th.map_size_bytes) + " bytes to map";
            q.device = a.address;
            q.peer = b.address;
            q.api = kclient::MapApi::map_resource;
            q.mem = kclient::MapMemory::bar;
            q.bar = *bar;
            what = "map_resource by " + a.address.to_string() + " of BAR " + std::to_string(*bar) + " of " +
                   b.address.to_string();
        }
        auto r = kclient::run_map(*device_, q);
        if (!r) return what + ": " + r.error().message;
        const std::string reason(r->raw.reason, ::strnlen(r->raw.reason, sizeof r->raw.reason));
        // The kernel refusing the P2P mapping is the answer for this pair, not a gap in the run.
        if (r->raw.status == kclient::kReasonP2pNotSupported) return RunFailed{what + ": " + reason};
        if (!r->complete() || !r->ran()) return what + ": the module did not complete the run: " + reason;
        return Measured{r->map.percentile_ns(0.99),
                        what + ", " + std::to_string(th.map_size_bytes) + " bytes, " + std::to_string(r->map.count) +
                            " maps"};
    }

private:
    std::string path_;
    std::optional<kclient::Device> device_;
    std::string open_error_;
};

}  // namespace

std::unique_ptr<MapMeasurer> make_kclient_map_measurer(std::string device_path) {
    return std::make_unique<KclientMapMeasurer>(std::move(device_path));
}

}  // namespace p2pscope::qualify
