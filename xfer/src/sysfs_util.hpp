// SPDX-License-Identifier: GPL-2.0-or-later
// Small sysfs and mmap helpers shared by the engines (internal).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "p2pscope/result.hpp"

namespace p2pscope::xfer::detail {

std::string pci_dir(const std::string& sysfs_root, const std::string& bdf);  // ROOT/sys/bus/pci/devices/BDF
bool exists(const std::string& path);
std::string driver_of(const std::string& device_dir);  // "" when unbound

struct BarInfo {
    uint64_t start = 0, end = 0, flags = 0;
    uint64_t size() const { return end > start ? end - start + 1 : 0; }
    bool is_mem() const { return flags & 0x200; }
    bool prefetchable() const { return flags & 0x2000; }
};
// Line `bar` of DEVICE_DIR/resource; none when the file or line is missing.
std::optional<BarInfo> bar_info(const std::string& device_dir, int bar);

// A shared mapping of [offset, offset + length) of fd followed by one
// inaccessible guard page (so running off the end faults at once).
class Mapping {
public:
    Mapping() = default;
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    Mapping(Mapping&& o) noexcept { *this = std::move(o); }
    Mapping& operator=(Mapping&& o) noexcept;
    ~Mapping() { reset(); }
    static Result<Mapping> map(int fd, uint64_t offset, uint64_t length, const std::string& what);
    void reset();
    unsigned char* data() const { return data_; }  // at `offset`
    uint64_t length() const { return length_; }
    // The first byte of the guard page: the end of the page-rounded window.
    unsigned char* window_end() const { return static_cast<unsigned char*>(base_) + reserved_ - page_; }
    explicit operator bool() const { return base_ != nullptr; }

private:
    void* base_ = nullptr;  // page-aligned start of the reservation
    size_t reserved_ = 0;
    unsigned char* data_ = nullptr;
    uint64_t length_ = 0;
    size_t page_ = 0;
};

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept;
    ~Fd() { reset(); }
    void reset();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

}  // namespace p2pscope::xfer::detail
