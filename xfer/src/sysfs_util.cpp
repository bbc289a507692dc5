// SPDX-License-Identifier: GPL-2.0-or-later
#include "sysfs_util.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace p2pscope::xfer::detail {

std::string pci_dir(const std::string& sysfs_root, const std::string& bdf) {
    std::string root = sysfs_root.empty() ? "/" : sysfs_root;
    if (root.back() != '/') root += '/';
    return root + "sys/bus/pci/devices/" + bdf;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string driver_of(const std::string& device_dir) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(device_dir + "/driver", ec);
    return ec ? std::string() : target.filename().string();
}

std::optional<BarInfo> bar_info(const std::string& device_dir, int bar) {
    std::ifstream in(device_dir + "/resource");
    std::string line;
    for (int i = 0; std::getline(in, line); ++i) {
        if (i != bar) continue;
        BarInfo b;
        unsigned long long s = 0, e = 0, f = 0;
        if (std::sscanf(line.c_str(), "%llx %llx %llx", &s, &e, &f) != 3) return std::nullopt;
        b.start = s;
        b.end = e;
        b.flags = f;
        return b;
    }
    return std::nullopt;
}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
    if (this != &o) {
        reset();
        base_ = o.base_;
        reserved_ = o.reserved_;
        data_ = o.data_;
        length_ = o.length_;
        page_ = o.page_;
        o.base_ = nullptr;
        o.reserved_ = 0;
        o.data_ = nullptr;
        o.length_ = 0;
    }
    return *this;
}

void Mapping::reset() {
    if (base_) munmap(base_, reserved_);
    base_ = nullptr;
    reserved_ = 0;
    data_ = nullptr;
    length_ = 0;
}

Result<Mapping> Mapping::map(int fd, uint64_t offset, uint64_t length, const std::string& what) {
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t aligned = offset & ~(page - 1);
    const uint64_t window = (offset - aligned + length + page - 1) & ~(page - 1);
    Mapping m;
    m.reserved_ = window + page;
    m.page_ = page;
    m.base_ = mmap(nullptr, m.reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m.base_ == MAP_FAILED) {
        m.base_ = nullptr;
        return make_error(Errc::system, "cannot reserve address space for " + what + ": " + std::strerror(errno));
    }
    void* p = mmap(m.base_, window, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, static_cast<off_t>(aligned));
    if (p == MAP_FAILED)
        return make_error(Errc::system, "cannot map " + what + ": " + std::strerror(errno));
    m.data_ = static_cast<unsigned char*>(m.base_) + (offset - aligned);
    m.length_ = length;
    return m;
}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

void Fd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace p2pscope::xfer::detail
