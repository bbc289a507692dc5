// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a file a user named (a configuration, a thresholds file, a dump, a
// saved report): a regular file only, opened without blocking (a FIFO never
// hangs the reader), and never more than a bound (/dev/zero never grows
// memory). Every failure is a value with one line that names the file.
#pragma once

#include <cstddef>
#include <string>

#include "p2pscope/result.hpp"

namespace p2pscope {

// The whole of PATH, when it is a regular file of at most MAX_BYTES; WHAT
// names the kind of file in messages, with its article ("an lspci dump").
// Errc::not_found when PATH does not exist, Errc::bad_input otherwise.
Result<std::string> read_input_file(const std::string& path, size_t max_bytes, const std::string& what);

// The same checks without reading (for libraries that open the path
// themselves, such as hwloc): Ok when PATH is a readable regular file of at
// most MAX_BYTES.
Status check_input_file(const std::string& path, size_t max_bytes, const std::string& what);

}  // namespace p2pscope
