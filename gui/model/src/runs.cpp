// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/runs.hpp"

#include <cmath>

#include "p2pscope/gui/sources.hpp"
#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/names.hpp"

namespace p2pscope::gui {

std::string map_key(const MapSpec& s) {
    return "map/" + s.device + "/" + (s.peer.empty() ? std::string("host") : s.peer) + "/" + s.api + "/" + s.memory +
           "/" + std::to_string(s.size_bytes) + "/t" + std::to_string(s.threads);
}

namespace {
bool needs_peer(const std::string& memory) { return memory == "p2pmem" || memory == "bar"; }
}  // namespace

Status check_spec(const MapSpec& s) {
    if (!kclient::parse_api(s.api)) return make_error(Errc::invalid_argument, "unknown API '" + s.api + "'");
    if (!kclient::parse_mem(s.memory))
        return make_error(Errc::invalid_argument, "unknown memory type '" + s.memory + "'");
    if (auto d = probe::PciAddress::parse(s.device); !d) return d.error();
    if (needs_peer(s.memory) && s.peer.empty())
        return make_error(Errc::invalid_argument,
                          "memory " + s.memory + " needs a peer: select a pair in the matrix (row maps, column owns)");
    if (!s.peer.empty())
        if (auto p = probe::PciAddress::parse(s.peer); !p) return p.error();
    if (s.size_bytes == 0) return make_error(Errc::invalid_argument, "the size must be above 0");
    if (s.threads == 0 || s.threads > 4096) return make_error(Errc::invalid_argument, "threads must be within 1..4096");
    if (!(s.sample_seconds > 0) || s.sample_seconds > 60)
        return make_error(Errc::invalid_argument, "a sample must last within 0..60 s");
    return Ok{};
}

namespace {

LatencyView summary(const kclient::Histogram& h) {
    const auto s = h.summary();
    return {s.count, static_cast<double>(s.min_ns), s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns,
            static_cast<double>(s.max_ns), s.mean_ns};
}

class KclientBackend final : public MapBackend {
public:
    explicit KclientBackend(kclient::Device dev) : dev_(std::move(dev)) {}

    Result<MeasurementView> run(const MapSpec& s) override {
        if (auto st = check_spec(s); !st) return st.error();
        kclient::MapRequest q;
        q.device = *probe::PciAddress::parse(s.device);
        if (needs_peer(s.memory)) q.peer = *probe::PciAddress::parse(s.peer);
        q.api = *kclient::parse_api(s.api);
        q.mem = *kclient::parse_mem(s.memory);
        q.threads = s.threads;
        q.size_bytes = s.size_bytes;
        q.duration_ns = static_cast<uint64_t>(std::llround(s.sample_seconds * 1e9));
        std::optional<kclient::Udmabuf> buf;
        if (q.mem == P2PSCOPE_MEM_DMABUF) {
            auto b = kclient::Udmabuf::create(s.size_bytes);
            if (!b) return b.error();
            buf.emplace(std::move(*b));
            q.dmabuf_fd = buf->fd();
        }
        auto r = dev_.map_bench(q);
        if (!r) return r.error();
        MeasurementView m;
        m.kind = "map";
        m.key = map_key(s);
        m.finished_unix_s = now_unix_s();
        m.status = r->complete() ? "ok" : r->ran() ? "stopped" : "waived";
        m.reason = r->raw.reason;
        m.device = s.device;
        m.peer = needs_peer(s.memory) ? s.peer : "";
        m.api = s.api;
        m.memory = s.memory;
        m.size_bytes = r->raw.size_bytes ? r->raw.size_bytes : s.size_bytes;
        if (r->ran()) {
            m.map = summary(r->map);
            m.unmap = summary(r->unmap);
        }
        return m;
    }

private:
    kclient::Device dev_;
};

}  // namespace

Result<std::unique_ptr<MapBackend>> open_kclient_backend(const std::string& device_node) {
    auto dev = kclient::Device::open(device_node);
    if (!dev) return dev.error();
    std::unique_ptr<MapBackend> b = std::make_unique<KclientBackend>(std::move(*dev));
    return b;
}

RunController::RunController(Store& store, std::unique_ptr<MapBackend> backend, std::string unavailable_reason)
    : store_(store), backend_(std::move(backend)) {
    store_.update([&](AppState& s) {
        s.run.map_available = backend_ != nullptr;
        s.run.map_unavailable = backend_ ? "" : unavailable_reason;
    });
}

RunController::~RunController() {
    stop();
    join();
}

Status RunController::start(const MapSpec& spec) {
    std::lock_guard lock(mutex_);
    if (!backend_) return make_error(Errc::unsupported, store_.get()->run.map_unavailable);
    if (store_.get()->run.phase != RunPhase::idle)
        return make_error(Errc::invalid_argument, "a measurement is running: stop it first");
    if (auto st = check_spec(spec); !st) return st;
    if (worker_.joinable()) worker_.join();
    stop_ = false;
    store_.update([&](AppState& s) {
        s.run.phase = RunPhase::running;
        s.run.spec = spec;
        s.run.samples = 0;
        s.run.started_unix_s = now_unix_s();
        s.run.message = "running";
    });
    worker_ = std::thread([this, spec] { loop(spec); });
    return Ok{};
}

void RunController::stop() {
    stop_ = true;
    store_.update([](AppState& s) {
        if (s.run.phase == RunPhase::running) s.run.phase = RunPhase::stopping;
    });
}

void RunController::join() {
    std::lock_guard lock(mutex_);
    if (worker_.joinable()) worker_.join();
}

void RunController::loop(MapSpec spec) {
    std::string outcome = "stopped by the user";
    while (!stop_) {
        auto r = backend_->run(spec);
        if (!r) {
            outcome = "stopped: " + r.error().message;
            break;
        }
        MeasurementView m = std::move(*r);
        const bool ok = m.ok();
        const std::string why = m.status + (m.reason.empty() ? "" : ": " + m.reason);
        store_.update([&](AppState& s) {
            auto series = std::make_shared<SeriesSet>(*s.series);
            if (series->add(m)) s.series = std::move(series);
            Store::add_local(s, std::move(m));
            ++s.run.samples;
        });
        if (!ok) {
            outcome = why;
            break;
        }
    }
    store_.update([&](AppState& s) {
        s.run.phase = RunPhase::idle;
        s.run.message = outcome;
    });
}

}  // namespace p2pscope::gui
