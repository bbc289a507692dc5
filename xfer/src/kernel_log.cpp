// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/xfer/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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
    if (::lseek(fd_, 0, SEEK_END) < 0) {  // only what comes from now on
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

std::optional<DmaFault> first_dma_fault(const std::vector<std::string>& records) {
    for (const auto& r : records)
        if (auto f = parse_dma_fault(r)) return f;
    return std::nullopt;
}

}  // namespace p2pscope::xfer
