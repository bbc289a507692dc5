// SPDX-License-Identifier: GPL-2.0-or-later
// CPU-side hardware counters through PAPI around a region of code: cycles,
// instructions, cache misses, and uncore (IIO/PCIe) events where the platform
// exposes them. Events of different PAPI components (core perf_event,
// perf_event_uncore) go in one event set each. An event that cannot be added
// is skipped with its reason; when none can (virtual machines), the object
// says why and start()/stop() report that instead of counting. Never prints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "p2pscope/result.hpp"

namespace p2pscope::bench {

struct CounterValue {
    std::string event;  // the name it was asked for: "PAPI_TOT_CYC"
    long long value = 0;
};

class PapiCounters {
public:
    // PAPI_TOT_CYC, PAPI_TOT_INS, PAPI_L3_TCM.
    static std::vector<std::string> default_events();
    // Native events of PAPI's perf_event_uncore component whose names say IIO
    // or PCIe traffic (at most `limit`), or why there are none.
    static Result<std::vector<std::string>> uncore_pcie_events(size_t limit = 4);

    // Builds the event sets. Never fails: an object that counts nothing
    // carries the reason (reason() non-empty).
    static PapiCounters open(const std::vector<std::string>& events);

    PapiCounters(PapiCounters&& other) noexcept;
    PapiCounters& operator=(PapiCounters&& other) noexcept;
    PapiCounters(const PapiCounters&) = delete;
    PapiCounters& operator=(const PapiCounters&) = delete;
    ~PapiCounters();

    bool available() const { return !counting_.empty(); }
    // Why nothing is counted ("" when something is).
    const std::string& reason() const { return reason_; }
    // The events being counted, in the order stop() returns them.
    std::vector<std::string> events() const;
    // Events asked for that could not be added, each "NAME: why".
    const std::vector<std::string>& skipped() const { return skipped_; }
    // One line for a report: "counting A, B (skipped C: why)" or "no counters: why".
    std::string status_line() const;

    // Starts counting; an error when nothing can be counted or PAPI refuses.
    Status start();
    // Stops counting and returns the counts since start().
    Result<std::vector<CounterValue>> stop();

private:
    struct Set {
        int handle = -1;  // PAPI_NULL
        std::vector<std::string> events;
    };
    PapiCounters() = default;
    void release();
    std::vector<Set> counting_;
    std::vector<std::string> skipped_;
    std::string reason_;
    bool running_ = false;
};

}  // namespace p2pscope::bench
