// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a measurement over mapped device memory so that a fault (SIGBUS,
// SIGSEGV) ends the measurement instead of the process: handlers are installed
// for the call, a fault siglongjmps back, and the previous handlers are
// restored. The function runs between sigsetjmp and the jump: it must own no
// C++ object with a destructor (plain loops over raw pointers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace p2pscope::xfer {

struct FaultInfo {
    bool faulted = false;
    int signo = 0;
    uintptr_t address = 0;  // si_addr
    bool in_region = false; // the address lies in [base, base + length)
    uint64_t offset = 0;    // address - base when in_region
};

FaultInfo run_guarded(void (*fn)(void*), void* context, const void* base, size_t length);
std::string signal_name(int signo);  // "SIGBUS"

}  // namespace p2pscope::xfer
