// SPDX-License-Identifier: GPL-2.0-or-later
// Inside p2pscope_qualify: how the thresholds file's keys are read (with the
// error that names the first bad key) and written back into a report. Each
// check's keys are declared with the check, in check_table.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "p2pscope/qualify/thresholds.hpp"

namespace p2pscope::qualify {

// Reads one document; the first problem found is kept as the error.
class ThresholdsReader {
public:
    explicit ThresholdsReader(std::string origin) : origin_(std::move(origin)) {}
    bool failed() const { return error_.has_value(); }
    Error error() const { return *error_; }

    // KEY is the value's path ("map.p99_ns_max", "" for the document).
    void fail(const std::string& key, const std::string& problem);
    // Every key of `obj` must be one of `known`.
    bool object(const nlohmann::json& obj, const std::string& key, const std::vector<std::string_view>& known);
    // A number in [lo, hi] (lo excluded when open_lo).
    void number(const nlohmann::json& v, const std::string& key, double lo, bool open_lo, double hi, double& out);
    // A whole number of bytes, a multiple of `multiple`, up to 1 GiB.
    void bytes(const nlohmann::json& v, const std::string& key, uint64_t multiple, uint64_t& out);
    std::vector<std::string> strings(const nlohmann::json& v, const std::string& key);
    // Device class names ("gpu", ...), replacing `out`.
    void classes(const nlohmann::json& v, const std::string& key, std::vector<probe::DeviceClass>& out);

    static std::string type_name(const nlohmann::json& j);  // "a number", "a string", ...

private:
    std::string origin_;
    std::optional<Error> error_;
};

// One key of a check's section of the thresholds file ("p99_ns_max" under
// "map"): how it is read into Thresholds, and its value in a report.
struct ThresholdKey {
    std::string_view name;
    void (*read)(ThresholdsReader& r, const nlohmann::json& value, const std::string& key, Thresholds& t) = nullptr;
    nlohmann::json (*write)(const Thresholds& t) = nullptr;
};

// The values in force, keyed as in the thresholds file (without `schema`).
nlohmann::json thresholds_json(const Thresholds& t);

}  // namespace p2pscope::qualify
