// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/xfer/kernel_log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <regex>

namespace p2pscope::xfer {

std::optional<DmaFault> parse_dma_fault(const std::string& line) {
    static const std::regex intel(R"(DMAR:.*fault addr (?:0x)?([0-9a-fA-F]+))");
    static const std::regex amd(R"(AMD-Vi:.*IO_PAGE_FAULT.*address=(0x[0-9a-fA-F]+))");
    static const std::regex smmu(R"(smmu.*(?:context fault|Unhandled).*iova=(0x[0-9a-fA-F]+))");
    std::smatch m;
    for (const auto* re : {&intel, &amd, &smmu}) {
        if (std::regex_search(line, m, *re)) {
            std::string a = m[1].str();
            if (a.rfind("0x", 0) != 0) a = "0x" + a;
            return DmaFault{a, line};
        }
    }
    return std::nullopt;
}

KernelLogWatch::KernelLogWatch(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
        why_not_ = path + ": " + std::strerror(errno);
        return;
    }
    // Only what comes from now on (a FIFO, standing in for it, has no past).
    if (::lseek(fd_, 0, SEEK_END) < 0 && errno != ESPIPE) {
        why_not_ = path + ": seek: " + std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
    }
}

KernelLogWatch::~KernelLogWatch() {
    if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> KernelLogWatch::drain() {
    std::vector<std::string> out;
    if (fd_ < 0) return out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);  // one record per read
        if (n < 0 && errno == EPIPE) continue;     // records were overwritten: go on with the next
        if (n <= 0) break;
        std::string rec(buf, static_cast<size_t>(n));
        // "prio,seq,usec,flags;text\n" followed by " KEY=value" continuation lines.
        auto semi = rec.find(';');
        auto nl = rec.find('\n');
        if (semi == std::string::npos) continue;
        out.push_back(rec.substr(semi + 1, nl == std::string::npos ? std::string::npos : nl - semi - 1));
    }
    return out;
}

std::optional<DmaFault> KernelLogWatch::await_dma_fault(std::chrono::milliseconds timeout,
                                                        std::vector<std::string>& records) {
    if (fd_ < 0) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool readable_now = false;
    for (;;) {
        auto more = drain();
        records.insert(records.end(), more.begin(), more.end());
        if (auto f = first_dma_fault(more)) return f;
        if (more.empty() && readable_now) return std::nullopt;  // it said readable, then gave nothing: broken
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return std::nullopt;
        pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
        const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
        if (n < 0 && errno != EINTR) return std::nullopt;
        if (n > 0 && (p.revents & POLLIN) == 0) return std::nullopt;  // POLLHUP, POLLERR: nothing more will come
        readable_now = n > 0;
    }
}

std::optional<DmaFault> first_dma_fault(const std::vector<std::string>& records) {
    for (const auto& r : records)
        if (auto f = parse_dma_fault(r)) return f;
    return std::nullopt;
}

}  // namespace p2pscope::xfer
