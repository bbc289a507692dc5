// SPDX-License-Identifier: GPL-2.0-or-later
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

#include "p2pscope/xfer/fault_guard.hpp"

namespace p2pscope::xfer {

namespace {

// One guarded call per thread at a time; the handler reads only these.
thread_local sigjmp_buf g_jump;
thread_local volatile sig_atomic_t g_armed = 0;
thread_local volatile int g_signo = 0;
thread_local void* volatile g_address = nullptr;

void on_fault(int signo, siginfo_t* info, void*) {
    if (!g_armed) {
        // Not ours: the default action (core dump) with the handler gone.
        signal(signo, SIG_DFL);
        raise(signo);
        return;
    }
    g_armed = 0;
    g_signo = signo;
    g_address = info ? info->si_addr : nullptr;
    siglongjmp(g_jump, 1);
}

// Signal dispositions are the process's: guarded calls on several threads
// share one installation, made by the first to enter and undone by the last
// to leave, so that overlapping calls neither restore out of order nor leave
// the handler behind.
struct Installation {
    std::mutex mutex;
    int users = 0;
    struct sigaction old_bus {}, old_segv {};
};

Installation& installation() {
    static Installation i;
    return i;
}

void install() {
    Installation& i = installation();
    std::lock_guard lock(i.mutex);
    if (i.users++ > 0) return;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &i.old_bus);
    sigaction(SIGSEGV, &sa, &i.old_segv);
}

void uninstall() {
    Installation& i = installation();
    std::lock_guard lock(i.mutex);
    if (--i.users > 0) return;
    sigaction(SIGBUS, &i.old_bus, nullptr);
    sigaction(SIGSEGV, &i.old_segv, nullptr);
}

}  // namespace

std::string signal_name(int signo) {
    switch (signo) {
    case SIGBUS: return "SIGBUS";
    case SIGSEGV: return "SIGSEGV";
    default: return "signal " + std::to_string(signo);
    }
}

FaultInfo run_guarded(void (*fn)(void*), void* context, const void* base, size_t length) {
    install();
    FaultInfo f;
    g_signo = 0;
    g_address = nullptr;
    // sigsetjmp(..., 1) saves the signal mask, so the jump out of the handler
    // restores it; nothing with a destructor lives between here and fn's return.
    if (sigsetjmp(g_jump, 1) == 0) {
        g_armed = 1;
        fn(context);
        g_armed = 0;
    } else {
        f.faulted = true;
        f.signo = g_signo;
        f.address = reinterpret_cast<uintptr_t>(g_address);
    }
    uninstall();
    if (f.faulted) {
        auto b = reinterpret_cast<uintptr_t>(base);
        if (f.address >= b && f.address - b < length) {
            f.in_region = true;
            f.offset = f.address - b;
        } else {
            f.offset = f.address - b;  // past the end: still relative to base
        }
    }
    return f;
}

}  // namespace p2pscope::xfer
