// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer's engines behind p2pscoped's TransferEngine: one adapter for
// every engine of xfer's registry. A run does what `p2pscope xfer` does
// (cli/xfer_command.cpp): check, describe the path from the live topology,
// setup, run, teardown; check()'s refusal is a waived run with its reason.
#include "p2pscope/exporter/transfer.hpp"

#include "p2pscope/probe/sources.hpp"

namespace p2pscope::exporter {

namespace {

class XferEngine final : public TransferEngine {
public:
    explicit XferEngine(const xfer::EngineInfo& info) : info_(info), caps_(info.make()->capabilities()) {}

    std::string_view name() const override { return info_.name; }
    std::string_view description() const override { return info_.description; }
    uint32_t capabilities() const override { return caps_; }

    void complete(TransferRequest& q) const override {
        q.engine = std::string(info_.name);
        info_.make()->complete(q);
    }

    TransferResult run(const TransferRequest& request) override {
        TransferResult r;
        TransferRequest q = request;
        complete(q);
        auto engine = info_.make();
        const auto verdict = engine->check(q);
        r.path = describe(q);
        if (!verdict.ok()) {  // waived here, or a device, BAR or file this machine does not have
            r.status = Outcome::waived;
            r.reason = verdict.reason;
            return r;
        }
        if (auto s = engine->setup(q); !s) {
            engine->teardown();
            r.reason = s.error().message;
            return r;
        }
        auto rows = engine->run();
        engine->teardown();
        if (!rows) {
            r.reason = rows.error().message;
            return r;
        }
        r.rows = std::move(*rows);
        size_t stopped = 0, bad = 0, waived = 0;
        for (const auto& m : r.rows) {
            const auto c = row_status_class(m.status);
            waived += c == "waived";
            stopped += c == "fault" || c == "error";
            bad += m.verified && !*m.verified;
        }
        if (stopped) {
            r.reason = std::to_string(stopped) + " of " + std::to_string(r.rows.size()) +
                       " measurement(s) faulted or failed (see their status)";
        } else if (bad) {
            r.reason = std::to_string(bad) + " measurement(s) moved data that did not verify";
        } else if (!r.rows.empty() && waived == r.rows.size()) {
            r.status = Outcome::waived;
            std::string_view why = r.rows.front().status;
            why.remove_prefix(std::string_view("waived:").size());
            while (!why.empty() && why.front() == ' ') why.remove_prefix(1);
            r.reason = std::string(why);
        } else if (r.rows.empty()) {
            r.reason = "the engine returned no measurement";
        } else {
            r.status = Outcome::ok;
        }
        return r;
    }

private:
    // The path as the prober sees it on this machine, as p2pscope xfer reports it.
    static xfer::PathInfo describe(const TransferRequest& q) {
        auto p = xfer::describe_request_path(q);
        if (p) return std::move(*p);
        xfer::PathInfo path;
        path.path_note = "path not described: " + p.error().message;
        path.ceiling_note = "unknown: " + p.error().message;
        return path;
    }

    xfer::EngineInfo info_;
    uint32_t caps_;
};

}  // namespace

TransferEngines builtin_transfer_engines() {
    TransferEngines out;
    for (const auto& e : xfer::engines()) out.push_back(std::make_shared<XferEngine>(e));
    return out;
}

std::string_view row_status_class(std::string_view status) {
    if (status == "ok") return "ok";
    for (std::string_view c : {"waived", "fault"})
        if (status.substr(0, c.size() + 1) == std::string(c) + ":") return c;
    return "error";
}

}  // namespace p2pscope::exporter
