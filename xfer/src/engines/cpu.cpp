// SPDX-License-Identifier: GPL-2.0-or-later
// cpu: the CPU reads or writes device memory mapped into user space: a BAR
// through sysfs resourceN (uncached) or resourceN_wc (write-combining), or
// p2pmem through p2pmem/allocate (Linux 6.2+), at access widths 1..64 bytes
// or with memcpy. Memory "file" maps a regular file instead: the harness's
// own test target (fio's null engine), which can be made to fault.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "../sysfs_util.hpp"
#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

namespace {

class CpuEngine final : public Engine {
public:
    CheckResult check(const Request& r) const override {
        if (r.widths.empty()) return CheckResult::bad("engine cpu: no access width given");
        for (const auto& w : r.widths)
            if (!parse_width(w))
                return CheckResult::bad("engine cpu: unknown access width '" + w + "' (" + width_choices_text() + ")");
        if (r.size == 0 || r.size % 64)
            return CheckResult::bad("engine cpu: --size must be a non-zero multiple of 64 bytes");
        if (r.memory == "file") {
            if (r.file.empty()) return CheckResult::bad("engine cpu: memory file needs --file PATH");
            if (r.device)
                return CheckResult::bad("engine cpu: --file maps a file, not " + r.device->to_string() +
                                        "'s memory: give --file or --device, not both");
            struct stat st {};
            if (::stat(r.file.c_str(), &st) != 0) return CheckResult::bad("engine cpu: " + r.file + ": no such file");
            if (!S_ISREG(st.st_mode))
                return CheckResult::bad("engine cpu: " + r.file + " is not a regular file (--file maps one)");
            // Past the end within the mapping is the harness's fault test; an
            // offset at or past the end is a mistake.
            if (r.offset >= static_cast<uint64_t>(st.st_size))
                return CheckResult::bad("engine cpu: --offset " + std::to_string(r.offset) + " is at or past the end of " +
                                        r.file + " (" + std::to_string(st.st_size) + " bytes)");
            return CheckResult::yes();
        }
        if (!r.device) return CheckResult::bad("engine cpu: memory " + r.memory + " needs --device BDF");
        const std::string bdf = r.device->to_string();
        const std::string dir = detail::pci_dir(r.sysfs_root, bdf);
        if (!detail::exists(dir)) return CheckResult::bad("no PCI function " + bdf + " on this system");
        if (r.memory == "p2pmem") {
            if (auto w = p2pmem_userspace_waiver(kernel_version())) return CheckResult::waive(*w);
            if (!detail::exists(dir + "/p2pmem/allocate"))
                return CheckResult::bad(bdf + " publishes no p2pmem (no " + dir + "/p2pmem/allocate)");
            return CheckResult::yes();
        }
        if (r.bar < 0 || r.bar > 5) return CheckResult::bad("engine cpu: memory " + r.memory + " needs --bar 0..5");
        auto bar = detail::bar_info(dir, r.bar);
        if (!bar || bar->size() == 0)
            return CheckResult::bad(bdf + " has no BAR " + std::to_string(r.bar) + " (not implemented, size 0)");
        if (!bar->is_mem()) return CheckResult::bad("BAR " + std::to_string(r.bar) + " of " + bdf + " is an I/O port BAR");
        const std::string file = dir + "/resource" + std::to_string(r.bar) + (r.memory == "wc" ? "_wc" : "");
        if (r.memory == "wc" && !bar->prefetchable())
            return CheckResult::bad("BAR " + std::to_string(r.bar) + " of " + bdf +
                                    " is not prefetchable: it has no write-combining mapping");
        if (!detail::exists(file)) return CheckResult::bad(bdf + ": no " + file);
        if (r.offset + r.size > bar->size())
            return CheckResult::bad("offset + size (" + std::to_string(r.offset + r.size) + ") exceed BAR " +
                                    std::to_string(r.bar) + " of " + bdf + " (" + std::to_string(bar->size()) +
                                    " bytes)");
        const std::string drv = detail::driver_of(dir);
        if (r.direction == "write" && !drv.empty() && !r.destructive)
            return CheckResult::bad("BAR " + std::to_string(r.bar) + " of " + bdf + " belongs to driver " + drv +
                                    "; writing it can corrupt the device's state: pass --destructive (and an "
                                    "--offset clear of what the driver uses)");
        return CheckResult::yes();
    }

    Status setup(const Request& r) override {
        request_ = r;
        unverified_.clear();
        std::string path, what;
        uint64_t file_offset = r.offset;
        if (r.memory == "file") {
            path = r.file;
            what = r.file;
        } else {
            const std::string dir = detail::pci_dir(r.sysfs_root, r.device->to_string());
            if (r.memory == "p2pmem") {
                path = dir + "/p2pmem/allocate";
                // The allocation is the mapping itself: offsets into it are taken after mmap.
                file_offset = 0;
            } else {
                path = dir + "/resource" + std::to_string(r.bar) + (r.memory == "wc" ? "_wc" : "");
                // A driver's BAR is written only when the user said so (check()
                // refuses a write without it): reads then read, nothing more.
                const std::string drv = detail::driver_of(dir);
                if (!drv.empty() && !r.destructive)
                    unverified_ = "not verified: checking a read writes a pattern first, into BAR " +
                                  std::to_string(r.bar) + " of driver " + drv + " (pass --destructive)";
            }
            what = path;
        }
        detail::Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!fd)
            return make_error(Errc::system, "cannot open " + path + ": " + std::strerror(errno) +
                                                (errno == EACCES || errno == EPERM ? " (needs root)" : ""));
        const uint64_t map_len = r.memory == "p2pmem" ? r.offset + r.size : r.size;
        auto m = detail::Mapping::map(fd.get(), file_offset, map_len, what);
        if (!m) return m.error();
        mapping_ = std::move(*m);
        return Ok{};
    }

    Result<std::vector<Measurement>> run() override {
        std::vector<Measurement> rows;
        if (!mapping_) return make_error(Errc::system, "engine cpu: run() before setup()");
        const uint64_t skip = request_.memory == "p2pmem" ? request_.offset : 0;
        for (const auto& w : request_.widths) {
            const unsigned width = *parse_width(w);
            CpuAccess a;
            a.width = width;
            a.write = request_.direction == "write";
            a.may_write = unverified_.empty();
            a.iterations = request_.iterations;
            a.seconds = request_.seconds;
            volatile unsigned char* region = mapping_.data() + skip;
            if (request_.fault_test) {
                // Straddle the end of the mapping: the last access of each
                // transfer runs into the guard page after it.
                const uint64_t shift = width > 1 ? width / 2 : 1;
                region = mapping_.window_end() - request_.size + shift;
            }
            rows.push_back(measure_cpu_region(region, request_.size, mapping_.data(), mapping_.length(), a));
            if (!a.write && !a.may_write && rows.back().status == RowStatus::ok) rows.back().verify_detail = unverified_;
        }
        return rows;
    }

    void teardown() override { mapping_.reset(); }

private:
    Request request_;
    detail::Mapping mapping_;
    std::string unverified_;  // why reads are not verified (a driver's BAR), or empty
};

const Registration<EngineSpec> registration{EngineSpec{
    .name = "cpu",
    .description = "CPU loads/stores (1-64 bytes, memcpy) to a BAR (uncached or write-combining) or p2pmem",
    .capabilities = kCapRead | kCapWrite | kCapVerify,
    .memories = {{.name = "uc", .help = "the BAR (--bar) mapped uncached (sysfs resourceN)", .traits = kMemBar},
                 {.name = "wc", .help = "the BAR (--bar) mapped write-combining (resourceN_wc)", .traits = kMemBar},
                 {.name = "p2pmem", .help = "the device's published p2pmem (Linux 6.2+)"},
                 {.name = "file",
                  .help = "a regular file (--file) mapped shared: the harness's own target",
                  .traits = kMemFile,
                  .no_link = "a file (harness test)"}},
    .directions = {"read", "write"},
    .fields = kFieldDevice | kFieldBar | kFieldFile | kFieldOffset | kFieldWidths | kFieldDestructive | kFieldFaultTest,
    .device = "the device whose BAR or p2pmem is mapped",
    .make = make_engine_of<CpuEngine>,
}};

}  // namespace

}  // namespace p2pscope::xfer
