// SPDX-License-Identifier: GPL-2.0-or-later
#include "papi_counters.hpp"

#include <papi.h>

#include <algorithm>
#include <cctype>

namespace p2pscope::bench {

namespace {

// PAPI_strerror can return null for codes it knows (7.0): our own words.
std::string papi_error(int code) {
    switch (code) {
    case PAPI_EINVAL: return "invalid argument (PAPI_EINVAL)";
    case PAPI_ENOMEM: return "out of memory (PAPI_ENOMEM)";
    case PAPI_ESYS: return "system call failed (PAPI_ESYS)";
    case PAPI_ECMP: return "not supported by the component (PAPI_ECMP)";
    case PAPI_ENOEVNT: return "event does not exist on this machine (PAPI_ENOEVNT)";
    case PAPI_ECNFLCT: return "no counter left for it (PAPI_ECNFLCT)";
    case PAPI_ENOTRUN: return "event set not running (PAPI_ENOTRUN)";
    case PAPI_EISRUN: return "event set already running (PAPI_EISRUN)";
    case PAPI_ENOEVST: return "no such event set (PAPI_ENOEVST)";
    case PAPI_ENOTPRESET: return "not a preset event (PAPI_ENOTPRESET)";
    case PAPI_ENOCNTR: return "hardware has no counters (PAPI_ENOCNTR)";
    case PAPI_EPERM: return "permission denied (PAPI_EPERM; see /proc/sys/kernel/perf_event_paranoid)";
    case PAPI_ENOCMP: return "component not present (PAPI_ENOCMP)";
    case PAPI_ECMP_DISABLED: return "component disabled (PAPI_ECMP_DISABLED)";
    default: break;
    }
    const char* s = PAPI_strerror(code);
    return (s ? std::string(s) : std::string("PAPI error")) + " (" + std::to_string(code) + ")";
}

// The library is initialized once per process by PAPI itself; later calls
// return the first call's result.
std::string init_error() {
    const int r = PAPI_library_init(PAPI_VER_CURRENT);
    if (r == PAPI_VER_CURRENT) return {};
    if (r > 0) return "PAPI library version mismatch (built against " + std::to_string(PAPI_VER_CURRENT) + ")";
    return "PAPI_library_init failed: " + papi_error(r);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::vector<std::string> PapiCounters::default_events() { return {"PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L3_TCM"}; }

Result<std::vector<std::string>> PapiCounters::uncore_pcie_events(size_t limit) {
    if (auto e = init_error(); !e.empty()) return make_error(Errc::unsupported, e);
    const int cidx = PAPI_get_component_index("perf_event_uncore");
    if (cidx < 0) return make_error(Errc::unsupported, "PAPI has no perf_event_uncore component");
    const PAPI_component_info_t* info = PAPI_get_component_info(cidx);
    if (!info) return make_error(Errc::unsupported, "perf_event_uncore: no component information");
    if (info->disabled)
        return make_error(Errc::unsupported, std::string("perf_event_uncore disabled: ") + info->disabled_reason);
    std::vector<std::string> found;
    int code = PAPI_NATIVE_MASK;
    int r = PAPI_enum_cmp_event(&code, PAPI_ENUM_FIRST, cidx);
    while (r == PAPI_OK && found.size() < limit) {
        char name[PAPI_MAX_STR_LEN] = {};
        if (PAPI_event_code_to_name(code, name) == PAPI_OK) {
            const std::string l = lower(name);
            if (l.find("iio") != std::string::npos || l.find("pcie") != std::string::npos) found.emplace_back(name);
        }
        r = PAPI_enum_cmp_event(&code, PAPI_ENUM_EVENTS, cidx);
    }
    if (found.empty()) return make_error(Errc::unsupported, "perf_event_uncore lists no IIO or PCIe events here");
    return found;
}

PapiCounters PapiCounters::open(const std::vector<std::string>& events) {
    PapiCounters c;
    if (events.empty()) {
        c.reason_ = "no events asked for";
        return c;
    }
    if (auto e = init_error(); !e.empty()) {
        c.reason_ = e;
        return c;
    }
    std::vector<int> components;  // parallel to counting_
    for (const auto& name : events) {
        int code = 0;
        if (int r = PAPI_event_name_to_code(name.c_str(), &code); r != PAPI_OK) {
            c.skipped_.push_back(name + ": " + papi_error(r));
            continue;
        }
        const int cidx = PAPI_get_event_component(code);
        auto it = std::find(components.begin(), components.end(), cidx);
        size_t i = static_cast<size_t>(it - components.begin());
        bool fresh = false;
        if (it == components.end()) {
            int handle = PAPI_NULL;
            if (int r = PAPI_create_eventset(&handle); r != PAPI_OK) {
                c.skipped_.push_back(name + ": " + papi_error(r));
                continue;
            }
            components.push_back(cidx);
            c.counting_.push_back(Set{handle, {}});
            i = c.counting_.size() - 1;
            fresh = true;
        }
        if (int r = PAPI_add_event(c.counting_[i].handle, code); r != PAPI_OK) {
            c.skipped_.push_back(name + ": " + papi_error(r));
            if (fresh) {
                PAPI_destroy_eventset(&c.counting_[i].handle);
                c.counting_.pop_back();
                components.pop_back();
            }
            continue;
        }
        c.counting_[i].events.push_back(name);
    }
    if (c.counting_.empty()) {
        std::string why;
        for (const auto& s : c.skipped_) why += (why.empty() ? "" : "; ") + s;
        c.reason_ = "no event could be added (" + why + ")";
    }
    return c;
}

PapiCounters::PapiCounters(PapiCounters&& o) noexcept
    : counting_(std::move(o.counting_)), skipped_(std::move(o.skipped_)), reason_(std::move(o.reason_)),
      running_(o.running_) {
    o.counting_.clear();
    o.running_ = false;
}

PapiCounters& PapiCounters::operator=(PapiCounters&& o) noexcept {
    if (this != &o) {
        release();
        counting_ = std::move(o.counting_);
        skipped_ = std::move(o.skipped_);
        reason_ = std::move(o.reason_);
        running_ = o.running_;
        o.counting_.clear();
        o.running_ = false;
    }
    return *this;
}

PapiCounters::~PapiCounters() { release(); }

void PapiCounters::release() {
    for (auto& s : counting_) {
        if (running_) {
            std::vector<long long> scratch(s.events.size());
            PAPI_stop(s.handle, scratch.data());
        }
        PAPI_cleanup_eventset(s.handle);
        PAPI_destroy_eventset(&s.handle);
    }
    counting_.clear();
    running_ = false;
}

std::vector<std::string> PapiCounters::events() const {
    std::vector<std::string> out;
    for (const auto& s : counting_) out.insert(out.end(), s.events.begin(), s.events.end());
    return out;
}

std::string PapiCounters::status_line() const {
    if (!available()) return "no counters: " + reason_;
    std::string line = "counting";
    for (const auto& e : events()) line += " " + e;
    if (!skipped_.empty()) {
        line += " (skipped";
        for (size_t i = 0; i < skipped_.size(); ++i) line += (i ? "; " : " ") + skipped_[i];
        line += ")";
    }
    return line;
}

Status PapiCounters::start() {
    if (!available()) return make_error(Errc::unsupported, "no counters: " + reason_);
    if (running_) return make_error(Errc::invalid_argument, "PAPI counters already started");
    for (size_t i = 0; i < counting_.size(); ++i) {
        if (int r = PAPI_start(counting_[i].handle); r != PAPI_OK) {
            for (size_t j = 0; j < i; ++j) {
                std::vector<long long> scratch(counting_[j].events.size());
                PAPI_stop(counting_[j].handle, scratch.data());
            }
            return make_error(Errc::unsupported, "PAPI_start failed: " + papi_error(r));
        }
    }
    running_ = true;
    return Ok{};
}

Result<std::vector<CounterValue>> PapiCounters::stop() {
    if (!running_) return make_error(Errc::invalid_argument, "PAPI counters not started");
    running_ = false;
    std::vector<CounterValue> out;
    std::string failed;
    for (auto& s : counting_) {
        std::vector<long long> values(s.events.size());
        if (int r = PAPI_stop(s.handle, values.data()); r != PAPI_OK) {
            failed = "PAPI_stop failed: " + papi_error(r);
            continue;
        }
        for (size_t i = 0; i < values.size(); ++i) out.push_back({s.events[i], values[i]});
    }
    if (!failed.empty()) return make_error(Errc::system, failed);
    return out;
}

}  // namespace p2pscope::bench
