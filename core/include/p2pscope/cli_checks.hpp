// SPDX-License-Identifier: GPL-2.0-or-later
// Checks shared by the programs' command lines (CLI11). CLI11's Range lets NaN
// through (every comparison with NaN is false), and "nan" or "inf" parse as
// numbers: a --alpha nan disabled compare's test. finite() refuses both.
#pragma once

#include <cmath>
#include <string>

#include <CLI/CLI.hpp>

namespace p2pscope {

inline CLI::Validator finite() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            double v = 0;
            if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v)) return "'" + text + "' is not a finite number";
            return {};
        },
        "", "finite");
}

}  // namespace p2pscope
