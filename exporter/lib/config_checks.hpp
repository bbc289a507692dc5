// SPDX-License-Identifier: GPL-2.0-or-later
// Inside p2pscope_exporter_lib: the checkers that read one value of the
// configuration file, each refusing a bad one with the file and the JSON path
// (config.cpp), store() to put a checked value in its place, and the parser of
// a transfer measurement (config_transfer.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "p2pscope/exporter/config.hpp"
#include "p2pscope/list_text.hpp"
#include "p2pscope/exporter/transfer.hpp"
#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::exporter::detail {

using nlohmann::json;

// Collects the first error with the JSON path of the value it is about.
class Checker {
public:
    explicit Checker(std::string origin) : origin_(std::move(origin)) {}

    Error fail(const std::string& path, const std::string& what) const {
        return make_error(Errc::invalid_argument, origin_ + ": " + (path.empty() ? "" : path + ": ") + what);
    }

    // Unknown keys are typos until proven otherwise.
    std::optional<Error> only_keys(const json& obj, const std::string& path, const std::vector<std::string_view>& keys) const {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool known = false;
            for (std::string_view k : keys) known |= it.key() == k;
            if (!known) {
                return fail(path.empty() ? it.key() : path + "." + it.key(),
                            "unknown key (known: " + list_text(keys) + ")");
            }
        }
        return std::nullopt;
    }

private:
    std::string origin_;
};

// A number within lo..hi (lo itself refused when lo_open).
Result<double> number(const Checker& c, const json& j, const std::string& path, double lo, double hi, bool lo_open);
// A whole number within lo..hi.
Result<uint64_t> integer(const Checker& c, const json& j, const std::string& path, uint64_t lo, uint64_t hi);
// true or false.
Result<bool> boolean(const Checker& c, const json& j, const std::string& path);
// A string with no NUL.
Result<std::string> text(const Checker& c, const json& j, const std::string& path);
// 4096, "4096", "4K", "2M", "1G" (powers of 1024), as p2pscope map's --size.
Result<uint64_t> byte_size(const Checker& c, const json& j, const std::string& path, uint64_t hi);
// A PCI address ("34:00.0", "0000:34:00.0").
Result<probe::PciAddress> bdf(const Checker& c, const json& j, const std::string& path);

// A checked value into its field, or its error.
template <class T, class Field>
std::optional<Error> store(const Result<T>& value, Field& field) {
    if (!value) return value.error();
    field = static_cast<Field>(*value);
    return std::nullopt;
}

// A measurement of kind transfer (`spec` has its key, kind and interval): one
// `p2pscope xfer` run of one of `engines`.
Result<MeasurementSpec> parse_transfer(const Checker& c, const json& m, const std::string& path, MeasurementSpec spec,
                                       const TransferEngines& engines);

}  // namespace p2pscope::exporter::detail
