// SPDX-License-Identifier: GPL-2.0-or-later
// JSON text to a document, with the parser's complaint as a one-line Error.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "p2pscope/result.hpp"

namespace p2pscope::gui {

inline Result<nlohmann::json> parse_json_text(std::string_view text) {
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
        std::string what = e.what();
        if (auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
            what.erase(0, close + 2);
        return make_error(Errc::bad_input, "not valid JSON: " + what);
    }
}

}  // namespace p2pscope::gui
