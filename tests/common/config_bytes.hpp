// SPDX-License-Identifier: GPL-2.0-or-later
// Writing little-endian registers into a made-up PCI configuration space.
#pragma once

#include <cstdint>
#include <vector>

namespace p2pscope::test {

inline void write_u16(std::vector<uint8_t>& c, unsigned off, unsigned v) {
    c[off] = v & 0xff;
    c[off + 1] = (v >> 8) & 0xff;
}
inline void write_u32(std::vector<uint8_t>& c, unsigned off, uint32_t v) {
    write_u16(c, off, v & 0xffff);
    write_u16(c, off + 2, v >> 16);
}

}  // namespace p2pscope::test
