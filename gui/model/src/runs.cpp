// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/runs.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "p2pscope/gui/sources.hpp"
#include "p2pscope/kclient/device.hpp"
#include "p2pscope/kclient/names.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::gui {

std::string map_key(const MapSpec& s) {
    return "map/" + s.device + "/" + (s.peer.empty() ? std::string("host") : s.peer) + "/" + s.api + "/" + s.memory +
           "/" + std::to_string(s.size_bytes) + "/t" + std::to_string(s.threads);
}

bool memory_needs_peer(const std::string& memory) {
    const auto m = kclient::parse_mem(memory);
    return m && kclient::mem_traits(*m).peer == kclient::MemPeer::owner;
}

Status check_spec(const MapSpec& s) {
    if (!kclient::parse_api(s.api)) return make_error(Errc::invalid_argument, "unknown API '" + s.api + "'");
    if (!kclient::parse_mem(s.memory))
        return make_error(Errc::invalid_argument, "unknown memory type '" + s.memory + "'");
    if (auto d = probe::PciAddress::parse(s.device); !d) return d.error();
    if (memory_needs_peer(s.memory) && s.peer.empty())
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
        if (memory_needs_peer(s.memory)) q.peer = *probe::PciAddress::parse(s.peer);
        q.api = *kclient::parse_api(s.api);
        q.mem = *kclient::parse_mem(s.memory);
        q.threads = s.threads;
        q.size_bytes = s.size_bytes;
        q.duration_ns = static_cast<uint64_t>(std::llround(s.sample_seconds * 1e9));
        std::optional<kclient::Udmabuf> buf;
        if (q.mem == kclient::MapMemory::dmabuf) {
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
        m.peer = memory_needs_peer(s.memory) ? s.peer : "";
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

Status RunController::begin() {
    if (store_.get()->run.phase != RunPhase::idle)
        return make_error(Errc::invalid_argument, "a measurement is running: stop it first");
    if (worker_.joinable()) worker_.join();
    stop_ = false;
    return Ok{};
}

Status RunController::start(const MapSpec& spec) {
    std::lock_guard lock(mutex_);
    if (!backend_) return make_error(Errc::unsupported, store_.get()->run.map_unavailable);
    if (auto st = begin(); !st) return st;
    if (auto st = check_spec(spec); !st) return st;
    store_.update([&](AppState& s) {
        s.run.phase = RunPhase::running;
        s.run.kind = RunKind::map;
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

// ---- transfers ----

std::vector<std::string> transfer_engine_names() {
    std::vector<std::string> out;
    for (const auto& e : xfer::engines()) out.emplace_back(e.name);
    return out;
}

std::optional<EngineChoices> transfer_engine_choices(const std::string& engine) {
    const xfer::EngineSpec* e = xfer::find_engine(engine);
    if (!e) return std::nullopt;
    EngineChoices c;
    c.description = std::string(e->description);
    c.capabilities = xfer::capability_names(*e);
    c.widths = e->reads(xfer::kFieldWidths);
    c.peer = e->reads(xfer::kFieldPeer);
    c.blocks = e->reads(xfer::kFieldSourceBlock);
    for (const auto m : e->memory_names()) c.memories.emplace_back(m);
    for (const auto m : e->memories_with(xfer::kMemBar)) c.bar_memories.emplace_back(m);
    if (const auto files = e->memories_with(xfer::kMemFile); !files.empty()) c.file_memory = files.front();
    if (e->directions.size() > 1) c.directions.assign(e->directions.begin(), e->directions.end());
    return c;
}

namespace {

std::string engine_list() {
    std::string s;
    for (const auto& n : transfer_engine_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

// p2pscope xfer's defaults for what the user left empty.
xfer::Request to_request(const TransferSpec& t) {
    xfer::Request q;
    q.engine = t.engine;
    // check_transfer_spec() refuses a bad BDF; here it is left out.
    if (auto d = probe::PciAddress::parse(t.device); !t.device.empty() && d) q.device = *d;
    if (auto p = probe::PciAddress::parse(t.peer); !t.peer.empty() && p) q.peer = *p;
    q.memory = t.memory;
    q.bar = t.bar;
    q.file = t.file;
    q.direction = t.direction;
    q.widths = xfer::expand_widths(t.widths);
    if (const auto* e = xfer::find_engine(t.engine)) e->complete(q);
    q.source_block = t.source_block;
    q.destination_block = t.destination_block;
    q.destructive = t.destructive;
    q.size = t.size_bytes;
    q.offset = t.offset;
    q.seconds = t.seconds;
    return q;
}

// The spec with the defaults to_request() applied, so that keys and labels say what ran.
TransferSpec effective(const TransferSpec& t) {
    const xfer::Request q = to_request(t);
    TransferSpec e = t;
    e.memory = q.memory;
    e.direction = q.direction;
    e.widths = q.widths;
    return e;
}

MeasurementView transfer_row(const TransferSpec& t, const xfer::Measurement& r, double finished) {
    MeasurementView m;
    m.kind = "transfer";
    m.key = transfer_key(t, r.label);
    m.finished_unix_s = finished;
    m.status = std::string(xfer::to_string(r.status));
    m.reason = r.reason;
    m.device = t.device;
    m.peer = t.peer;
    m.memory = t.memory;
    m.size_bytes = r.transfer_bytes ? r.transfer_bytes : t.size_bytes;
    TransferView v;
    v.engine = t.engine;
    v.direction = t.direction;
    v.label = r.label;
    v.transfers = r.transfers;
    v.seconds = r.seconds;
    v.bytes_per_second = r.bytes_per_second;
    v.min_ns = r.latency.min_ns;
    v.p50_ns = r.latency.p50_ns;
    v.p90_ns = r.latency.p90_ns;
    v.p99_ns = r.latency.p99_ns;
    v.max_ns = r.latency.max_ns;
    v.mean_ns = r.latency.mean_ns;
    v.verified = r.verified;
    v.verify_detail = r.verify_detail;
    m.transfer = std::move(v);
    return m;
}

std::optional<uint64_t> parse_bytes(std::string_view v) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end == v.data()) return std::nullopt;
    std::string_view unit(end, static_cast<size_t>(v.data() + v.size() - end));
    int shift = 0;
    if (unit.empty() || unit == "B")
        shift = 0;
    else if (unit == "K" || unit == "KiB" || unit == "k")
        shift = 10;
    else if (unit == "M" || unit == "MiB")
        shift = 20;
    else if (unit == "G" || unit == "GiB")
        shift = 30;
    else
        return std::nullopt;
    if (shift && n > (~uint64_t{0} >> shift)) return std::nullopt;
    return n << shift;
}

}  // namespace

std::string transfer_key(const TransferSpec& spec, const std::string& row_label) {
    const TransferSpec t = effective(spec);
    const std::string target = !t.device.empty() ? t.device : !t.file.empty() ? "file:" + t.file : std::string("-");
    return "xfer/" + t.engine + "/" + target + "/" + (t.peer.empty() ? std::string("-") : t.peer) + "/" +
           (t.memory.empty() ? std::string("-") : t.memory) + "/" + t.direction + "/" + std::to_string(t.size_bytes) +
           "/" + row_label;
}

Status check_transfer_spec(const TransferSpec& t) {
    if (!xfer::find_engine(t.engine))
        return make_error(Errc::invalid_argument, "unknown engine '" + t.engine + "' (one of " + engine_list() + ")");
    if (t.size_bytes == 0) return make_error(Errc::invalid_argument, "the transfer size must be above 0");
    if (!(t.seconds > 0) || t.seconds > 60)
        return make_error(Errc::invalid_argument, "seconds per measurement must be within 0..60");
    if (!t.device.empty())
        if (auto d = probe::PciAddress::parse(t.device); !d) return d.error();
    if (!t.peer.empty())
        if (auto p = probe::PciAddress::parse(t.peer); !p) return p.error();
    if (t.widths.empty()) return make_error(Errc::invalid_argument, "choose at least one access width");
    if (t.bar < -1 || t.bar > 5) return make_error(Errc::invalid_argument, "the BAR index must be within 0..5");
    return Ok{};
}

Status check_transfer(const TransferSpec& t) {
    if (auto st = check_transfer_spec(t); !st) return st;
    const xfer::Session session(to_request(t));
    if (session.checked().outcome == xfer::Outcome::invalid)
        return make_error(Errc::invalid_argument, session.checked().reason);
    return Ok{};
}

Result<TransferSpec> parse_transfer_spec(std::string_view text) {
    TransferSpec t;
    std::vector<std::string_view> parts;
    for (size_t at = 0; at <= text.size();) {
        const size_t comma = std::min(text.find(',', at), text.size());
        parts.push_back(text.substr(at, comma - at));
        at = comma + 1;
    }
    auto bad = [&](const std::string& why) { return make_error(Errc::invalid_argument, "--transfer: " + why); };
    if (parts.empty() || parts[0].empty() || parts[0].find('=') != std::string_view::npos)
        return bad("'" + std::string(text) + "' does not start with an engine (" + engine_list() + ")");
    t.engine = std::string(parts[0]);
    for (size_t i = 1; i < parts.size(); ++i) {
        const std::string_view p = parts[i];
        const size_t eq = p.find('=');
        const std::string key(p.substr(0, eq));
        const std::string value = eq == std::string_view::npos ? "" : std::string(p.substr(eq + 1));
        const bool flag = eq == std::string_view::npos;
        if (key == "repeat" && flag) {
            t.repeat = true;
        } else if (key == "destructive" && flag) {
            t.destructive = true;
        } else if (flag) {
            return bad("'" + key + "' needs a value (KEY=VALUE)");
        } else if (key == "device") {
            t.device = value;
        } else if (key == "peer") {
            t.peer = value;
        } else if (key == "memory") {
            t.memory = value;
        } else if (key == "file") {
            t.file = value;
        } else if (key == "direction") {
            t.direction = value;
        } else if (key == "source-block") {
            t.source_block = value;
        } else if (key == "destination-block") {
            t.destination_block = value;
        } else if (key == "width") {
            t.widths.clear();
            for (size_t at = 0; at <= value.size();) {
                const size_t plus = std::min(value.find('+', at), value.size());
                if (plus > at) t.widths.push_back(value.substr(at, plus - at));
                at = plus + 1;
            }
        } else if (key == "size" || key == "offset") {
            auto n = parse_bytes(value);
            if (!n) return bad(key + " '" + value + "' is not a byte count (like 4096, 64K, 2M)");
            (key == "size" ? t.size_bytes : t.offset) = *n;
        } else if (key == "bar") {
            int b = -1;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), b);
            if (ec != std::errc{} || end != value.data() + value.size() || b < 0 || b > 5)
                return bad("bar '" + value + "' is not a BAR index 0..5");
            t.bar = b;
        } else if (key == "seconds") {
            char* end = nullptr;
            const double d = std::strtod(value.c_str(), &end);
            if (value.empty() || end != value.c_str() + value.size())
                return bad("seconds '" + value + "' is not a number");
            t.seconds = d;
        } else {
            return bad("unknown key '" + key +
                       "' (device, peer, memory, bar, file, direction, width, size, offset, seconds, source-block, "
                       "destination-block, repeat, destructive)");
        }
    }
    if (auto st = check_transfer_spec(t); !st) return bad(st.error().message);
    return t;
}

namespace {

// One transfer session on the worker: runs until done (no repeat), stopped, or a row faults.
// The session was checked once, in start_transfer.
std::string run_transfers(Store& store, const std::atomic<bool>& stop, const xfer::Session& session,
                          const TransferSpec& spec) {
    for (;;) {
        auto run = session.run();
        if (run.rows.empty()) return "stopped: " + run.reason;
        const double finished = now_unix_s();
        std::vector<MeasurementView> views;
        size_t failed = 0;
        std::string first_failure;
        for (const auto& r : run.rows) {
            views.push_back(transfer_row(spec, r, finished));
            if (r.status == xfer::RowStatus::fault || r.status == xfer::RowStatus::error) {
                if (!failed) first_failure = r.label + ": " + r.status_text();
                ++failed;
            }
        }
        store.update([&](AppState& s) {
            auto series = std::make_shared<SeriesSet>(*s.series);
            bool added = false;
            for (const auto& v : views) added = series->add(v) || added;
            if (added) s.series = std::move(series);
            for (const auto& v : views) Store::add_local(s, v);
            s.run.last_rows = views;
            ++s.run.samples;
        });
        if (failed)
            return std::to_string(failed) + " measurement(s) faulted or failed, the first " + first_failure;
        if (!spec.repeat) return run.outcome == xfer::Outcome::unverified ? "done: " + run.reason : "done";
        if (stop) return "stopped by the user";
    }
}

}  // namespace

Status RunController::start_transfer(const TransferSpec& requested) {
    std::lock_guard lock(mutex_);
    if (auto st = check_transfer_spec(requested); !st) return st;
    if (auto st = begin(); !st) return st;
    const TransferSpec spec = effective(requested);
    const xfer::Session session(to_request(requested));
    const xfer::RunResult& verdict = session.checked();
    if (verdict.outcome == xfer::Outcome::invalid) return make_error(Errc::invalid_argument, verdict.reason);
    if (verdict.outcome == xfer::Outcome::waived) {
        MeasurementView m;
        m.kind = "transfer";
        m.key = transfer_key(spec, "-");
        m.finished_unix_s = now_unix_s();
        m.status = "waived";
        m.reason = verdict.reason;
        m.device = spec.device;
        m.peer = spec.peer;
        m.api = spec.engine + " " + spec.direction;
        m.memory = spec.memory;
        m.size_bytes = spec.size_bytes;
        store_.update([&](AppState& s) {
            s.run.kind = RunKind::transfer;
            s.run.transfer = spec;
            s.run.samples = 0;
            s.run.started_unix_s = m.finished_unix_s;
            s.run.last_rows = {m};
            s.run.message = "waived: " + verdict.reason;
            Store::add_local(s, std::move(m));
        });
        return Ok{};
    }
    store_.update([&](AppState& s) {
        s.run.phase = RunPhase::running;
        s.run.kind = RunKind::transfer;
        s.run.transfer = spec;
        s.run.samples = 0;
        s.run.last_rows.clear();
        s.run.started_unix_s = now_unix_s();
        s.run.message = "running";
    });
    worker_ = std::thread([this, session, spec] {
        const std::string outcome = run_transfers(store_, stop_, session, spec);
        store_.update([&](AppState& s) {
            s.run.phase = RunPhase::idle;
            s.run.message = outcome;
        });
    });
    return Ok{};
}

}  // namespace p2pscope::gui
