// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer's engines behind p2pscoped's TransferEngine: one adapter for
// every registered engine. A run is xfer::run_once, as `p2pscope xfer` runs
// it, with the path described from the live topology; check()'s refusal is a
// waived run with its reason.
#include "p2pscope/exporter/transfer.hpp"

namespace p2pscope::exporter {

namespace {

class XferEngine final : public TransferEngine {
public:
    explicit XferEngine(const xfer::EngineSpec& spec) : spec_(spec) {}

    const xfer::EngineSpec& spec() const override { return spec_; }

    TransferResult run(const TransferRequest& request) override {
        TransferRequest q = request;
        q.engine = std::string(spec_.name);
        auto run = xfer::run_once(q, {.describe_path = true});
        TransferResult r;
        // A request check() refuses names a device, BAR or file this machine
        // does not have: here that is a waiver of this machine, not bad input.
        switch (run.outcome) {
        case xfer::Outcome::ok: r.status = Outcome::ok; break;
        case xfer::Outcome::waived:
        case xfer::Outcome::invalid: r.status = Outcome::waived; break;
        case xfer::Outcome::failed:
        case xfer::Outcome::unverified: r.status = Outcome::failed; break;
        }
        r.reason = std::move(run.reason);
        r.rows = std::move(run.rows);
        if (run.path) r.path = *run.path;
        return r;
    }

private:
    const xfer::EngineSpec& spec_;
};

}  // namespace

TransferEngines builtin_transfer_engines() {
    TransferEngines out;
    for (const auto& e : xfer::engines()) out.push_back(std::make_shared<XferEngine>(e));
    return out;
}

}  // namespace p2pscope::exporter
