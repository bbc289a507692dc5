// SPDX-License-Identifier: GPL-2.0-or-later
// Names listed for messages and help: "a, b or c".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace p2pscope {

// The names separated by ", ", the last two by `last` (" or ", " and ", ", ").
inline std::string list_text(const std::vector<std::string_view>& names, std::string_view last = ", ") {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += i + 1 == names.size() ? last : ", ";
        out += names[i];
    }
    return out;
}

}  // namespace p2pscope
