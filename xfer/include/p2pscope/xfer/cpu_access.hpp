// SPDX-License-Identifier: GPL-2.0-or-later
// The CPU engine's measurement over any mapped region (a BAR, p2pmem, a file):
// host tests call it on regions they make fault on purpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

// Access width in bytes, or 0 for memcpy.
struct CpuAccess {
    unsigned width = 8;
    bool write = false;
    // Whether reads may write the region first: the pattern they then read
    // back and verify. Without it, reads only read, and are not verified.
    bool may_write = true;
    uint64_t iterations = 0;  // 0: until seconds
    double seconds = 1.0;
};
// Whether this CPU can do accesses of this width (16 SSE2, 32 AVX2, 64 AVX-512F); the reason when not.
std::optional<std::string> cpu_width_waiver(unsigned width);
std::string width_label(unsigned width);  // "32-byte", "memcpy"
// Parses "1".."64" or "memcpy"; none when invalid.
std::optional<unsigned> parse_width(const std::string& text);

// Measures `length` bytes at `region` (the mapping, of map_length bytes, for fault offsets).
Measurement measure_cpu_region(volatile void* region, size_t length, const void* map_base, size_t map_length,
                               const CpuAccess& access);

}  // namespace p2pscope::xfer
