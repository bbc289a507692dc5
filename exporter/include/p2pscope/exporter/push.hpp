// SPDX-License-Identifier: GPL-2.0-or-later
// Push mode, for CI: one run's metrics to a Prometheus Pushgateway through
// prometheus-cpp's push library.
#pragma once

#include <memory>
#include <string>

#include <prometheus/collectable.h>

#include "p2pscope/result.hpp"

namespace p2pscope::exporter {

struct PushOptions {
    std::string gateway;             // http://HOST:PORT
    std::string job = "p2pscoped";   // the job grouping label
    std::string instance;            // the instance grouping label; empty: none
};

// http://HOST:PORT (https too, if libcurl has it); an optional trailing /.
Status check_push_gateway(const std::string& url);

// Replaces the group job/JOB[/instance/INSTANCE] with the collectable's metrics.
Status push_metrics(const PushOptions& options, std::shared_ptr<prometheus::Collectable> metrics);

}  // namespace p2pscope::exporter
