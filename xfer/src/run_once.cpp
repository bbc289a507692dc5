// SPDX-License-Identifier: GPL-2.0-or-later
// One measurement run, start to end, as every front end runs an engine.
#include "p2pscope/xfer/engine.hpp"
#include "p2pscope/xfer/link.hpp"

namespace p2pscope::xfer {

std::pair<Outcome, std::string> judge_rows(const std::vector<Measurement>& rows) {
    size_t stopped = 0, bad = 0, waived = 0;
    for (const auto& m : rows) {
        waived += m.status == RowStatus::waived;
        stopped += m.status == RowStatus::fault || m.status == RowStatus::error;
        bad += m.verified == false;
    }
    if (rows.empty()) return {Outcome::failed, "the engine returned no measurement"};
    if (stopped)
        return {Outcome::failed, std::to_string(stopped) + " of " + std::to_string(rows.size()) +
                                     " measurement(s) faulted or failed (see their status)"};
    if (bad) return {Outcome::unverified, std::to_string(bad) + " measurement(s) moved data that did not verify"};
    if (waived == rows.size()) return {Outcome::waived, rows.front().reason};
    return {Outcome::ok, ""};
}

Session::Session(const Request& request, const RunOptions& options) {
    RunResult& r = checked_;
    r.request = request;
    const std::vector<EngineSpec>& list = options.engines ? options.engines->entries() : engines();
    spec_ = find_engine(list, request.engine);
    if (!spec_) {
        r.outcome = Outcome::invalid;
        r.reason = "unknown engine '" + request.engine + "' (one of " + engine_names(list) + ")";
        return;
    }
    spec_->complete(r.request);
    const auto verdict = check_request(*spec_, *spec_->make(), r.request);
    if (options.describe_path) {  // also for a refused request: p2pscoped reports the path it would have taken
        auto p = describe_request_path(r.request);
        PathInfo path;
        if (p) {
            path = std::move(*p);
        } else {
            path.path_note = "path not described: " + p.error().message;
            path.ceiling_note = "unknown: " + p.error().message;
            r.path_error = p.error();
        }
        r.path = std::make_shared<const PathInfo>(std::move(path));
    }
    if (verdict.kind == CheckResult::Kind::invalid) {
        r.outcome = Outcome::invalid;
        r.reason = verdict.reason;
        return;
    }
    if (r.path_error && options.path_required) {  // a device the prober does not know: nothing moves
        r.outcome = Outcome::invalid;
        r.reason = r.path_error->message;
        r.error = r.path_error;
        return;
    }
    if (!verdict.ok()) {
        r.outcome = Outcome::waived;
        r.reason = verdict.reason;
        return;
    }
    r.outcome = Outcome::ok;
}

RunResult Session::run() const {
    RunResult r = checked_;
    if (!runnable()) return r;
    r.outcome = Outcome::failed;
    auto engine = spec_->make();
    if (auto s = engine->setup(r.request); !s) {
        engine->teardown();
        r.reason = s.error().message;
        r.error = s.error();
        return r;
    }
    auto rows = engine->run();
    engine->teardown();
    if (!rows) {
        r.reason = rows.error().message;
        r.error = rows.error();
        return r;
    }
    r.rows = std::move(*rows);
    std::tie(r.outcome, r.reason) = judge_rows(r.rows);
    return r;
}

RunResult run_once(const Request& request, const RunOptions& options) { return Session(request, options).run(); }

}  // namespace p2pscope::xfer
