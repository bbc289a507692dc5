// SPDX-License-Identifier: GPL-2.0-or-later
// What lspci's output lines look like, for the dump and text readers and for
// telling input formats apart.
#pragma once

#include <cctype>
#include <string_view>

namespace p2pscope::probe {

inline bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// "30: 00 11 ...": a row of `lspci -xxxx` config bytes; its offset and how
// many whole bytes follow (16 in a complete row).
inline bool parse_row(std::string_view l, unsigned& offset, unsigned& bytes) {
    const size_t colon = l.find(": ");
    if (colon == std::string_view::npos || colon == 0 || colon > 8) return false;
    offset = 0;
    for (size_t i = 0; i < colon; ++i) {
        if (!is_hex(l[i])) return false;
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(l[i])));
        offset = offset << 4 | static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    bytes = 0;
    size_t i = colon + 2;
    while (i + 1 < l.size() && is_hex(l[i]) && is_hex(l[i + 1])) {
        ++bytes;
        i += 2;
        if (i >= l.size() || l[i] != ' ') break;
        ++i;
    }
    return true;
}

}  // namespace p2pscope::probe
