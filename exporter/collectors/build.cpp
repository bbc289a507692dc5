// SPDX-License-Identifier: GPL-2.0-or-later
// build: what p2pscoped is and since when it runs.
//   p2pscope_build_info{version,revision,uapi_abi,compiler} 1
//   p2pscope_start_time_seconds
#include <string>

#include "families.hpp"
#include "p2pscope/kclient/uapi.hpp"

namespace p2pscope::exporter::collectors {

namespace {

class BuildCollector final : public Collector {
public:
    Status collect(const Snapshot& s, std::vector<MetricFamily>& out) const override {
        auto info = family("p2pscope_build_info",
                           "A metric with a constant '1' value labeled by version, revision, the kernel module's "
                           "UAPI ABI and compiler from which p2pscoped was built.");
        add_gauge(info,
                  {{"version", P2PSCOPE_VERSION},
                   {"revision", P2PSCOPE_REVISION},
                   {"uapi_abi", std::to_string(kclient::kAbiMajor) + "." + std::to_string(kclient::kAbiMinor)},
                   {"compiler", compiler()}},
                  1);
        emit(out, std::move(info));
        auto start = family("p2pscope_start_time_seconds", "Start time of p2pscoped since the Unix epoch in seconds.");
        add_gauge(start, {}, s.start_unix_s);
        emit(out, std::move(start));
        return Ok{};
    }

    bool topology_only() const override { return true; }  // and constants

private:
    static std::string compiler() {
#if defined(__clang__)
        return std::string("clang-") + __clang_version__;
#elif defined(__GNUC__)
        return "gcc-" + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
               std::to_string(__GNUC_PATCHLEVEL__);
#else
        return "unknown";
#endif
    }
};

const CollectorRegistration registration{{.name = "build",
                                          .help = "version and start time of p2pscoped",
                                          .position = 10,
                                          .make = make_collector<BuildCollector>}};

}  // namespace

}  // namespace p2pscope::exporter::collectors
