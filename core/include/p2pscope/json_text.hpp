// SPDX-License-Identifier: GPL-2.0-or-later
// JSON text from a file or a peer to a document: every complaint of the
// parser (syntax, a number beyond double range such as 1e400) and a key that
// appears twice in one object come back as one line, never as an exception.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "p2pscope/result.hpp"

namespace p2pscope {

inline Result<nlohmann::json> parse_json_text(std::string_view text) {
    using json = nlohmann::json;
    std::vector<std::set<std::string>> keys;  // of each object being read
    std::string duplicate;
    auto watch = [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) {
            keys.emplace_back();
        } else if (event == json::parse_event_t::object_end) {
            if (!keys.empty()) keys.pop_back();
        } else if (event == json::parse_event_t::key && !keys.empty() && duplicate.empty() &&
                   !keys.back().insert(parsed.get<std::string>()).second) {
            duplicate = parsed.get<std::string>();
        }
        return true;
    };
    try {
        json doc = json::parse(text.begin(), text.end(), watch);
        if (!duplicate.empty()) return make_error(Errc::bad_input, "the key \"" + duplicate + "\" appears twice in one object");
        return doc;
    } catch (const json::exception& e) {
        // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
        std::string what = e.what();
        if (auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
            what.erase(0, close + 2);
        return make_error(Errc::bad_input, "not valid JSON: " + what);
    }
}

}  // namespace p2pscope
