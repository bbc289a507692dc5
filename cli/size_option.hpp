// SPDX-License-Identifier: GPL-2.0-or-later
// Byte sizes on the command line: 4096, 4K, 2M, 1G (powers of 1024).
#pragma once

#include <cstdint>
#include <string>

#include "p2pscope/result.hpp"

namespace p2pscope::cli {

inline Result<uint64_t> parse_size(const std::string& text, const char* option) {
    auto bad = [&] {
        return make_error(Errc::invalid_argument,
                          std::string(option) + " '" + text + "' is not a size (e.g. 4096, 4K, 2M, 1G)");
    };
    if (text.empty() || text[0] == '-') return bad();
    size_t used = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(text, &used, 0);
    } catch (...) {
        return bad();
    }
    unsigned shift = 0;
    if (used + 1 == text.size()) {
        switch (text[used]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return bad();
        }
    } else if (used != text.size()) {
        return bad();
    }
    if (shift && v > (~0ULL >> shift)) return bad();
    return static_cast<uint64_t>(v << shift);
}

}  // namespace p2pscope::cli
