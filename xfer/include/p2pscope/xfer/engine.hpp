// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer: real data movement over a PCIe path. Every way of moving data
// is an Engine (fio's ioengines): a name, capability flags, check() that says
// whether it can serve the chosen source and destination and, when not, why;
// then setup, run, teardown. One file per engine in src/engines/, one line per
// engine in src/registry.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::xfer {

// Capability flags.
enum Capability : uint32_t {
    kCapRead = 1u << 0,         // moves data from device memory to host memory
    kCapWrite = 1u << 1,        // and from host memory to device memory
    kCapVerify = 1u << 2,       // checks the data that arrived
    kCapQueueDepth = 1u << 3,   // honours Request::queue_depth
    kCapAccessWidth = 1u << 4,  // honours Request::widths
    kCapPeer = 1u << 5,         // moves data between two devices
};
std::string capability_names(uint32_t caps);  // "read write verify"
// Every access width the cpu engine knows, in order.
const std::vector<std::string>& all_widths();
// "all" anywhere in the list stands for all_widths().
std::vector<std::string> expand_widths(const std::vector<std::string>& widths);

// What the user selected; each engine reads the fields it needs and check()
// says which it cannot serve.
struct Request {
    std::string engine;
    std::optional<probe::PciAddress> device;  // the device whose memory is used (cpu, gpu, p2pmem provider)
    std::optional<probe::PciAddress> peer;    // second device (gpu peer copies, nvme p2pmem provider)
    std::string memory;                       // cpu: uc (default), wc, p2pmem, file; gpu: pageable, pinned, all (default);
                                              // nvme: ram (default), p2pmem; dmaengine: ram-to-ram, ram-to-bar, bar-to-ram
    int bar = -1;                             // cpu: BAR index (uc, wc)
    std::string file;                         // cpu memory file: a regular file mapped shared (harness tests)
    std::string direction = "read";           // cpu: read, write; gpu: h2d, d2h, d2d, peer; odirect: copy
    std::vector<std::string> widths{"8"};     // cpu: 1 2 4 8 16 32 64 memcpy
    std::string block;                        // nvme: the block device (namespace); else found from device
    uint64_t span = 0;                        // nvme: bytes of the device the transfers walk (0: size x depth)
    bool verify = true;                       // nvme, dmaengine: check the data (nvme: needs destructive)
    std::string source_block;                 // odirect: block device read from
    std::string destination_block;            // odirect: block device written to
    bool destructive = false;                 // odirect: allowed to overwrite destination_block
    bool force = false;                       // nvme: destructive even while the device is open elsewhere
    uint64_t size = 1 << 20;                  // bytes per transfer
    uint64_t offset = 0;                      // into the BAR / p2pmem / file
    uint32_t queue_depth = 1;
    uint64_t iterations = 0;                  // transfers per measurement; 0: run for seconds
    double seconds = 1.0;
    bool fault_test = false;                  // cpu: deliberately access across the end of the mapping
    std::string sysfs_root = "/";             // where sys/bus/pci/devices is
    std::string module_node = "/dev/p2pscope";  // nvme, dmaengine: the kernel helper
};

struct CheckResult {
    enum class Kind { ok, waived, invalid };
    Kind kind = Kind::ok;
    std::string reason;  // waived: what this machine lacks; invalid: what the user asked wrong
    static CheckResult yes() { return {}; }
    static CheckResult waive(std::string r) { return {Kind::waived, std::move(r)}; }
    static CheckResult bad(std::string r) { return {Kind::invalid, std::move(r)}; }
    bool ok() const { return kind == Kind::ok; }
};

struct Latency {  // per transfer, nanoseconds
    double min_ns = 0, p50_ns = 0, p90_ns = 0, p99_ns = 0, max_ns = 0, mean_ns = 0;
};
Latency summarize(std::vector<double> samples_ns);

// One row of results: one access width, one copy kind.
struct Measurement {
    std::string label;         // "32-byte" / "memcpy" / "h2d pinned"
    std::string status = "ok"; // "ok", "waived: REASON", "fault: SIGBUS at offset X with N-byte reads", "error: ..."
    uint64_t transfer_bytes = 0;
    uint64_t transfers = 0;
    double seconds = 0;         // sum of the timed transfers
    double bytes_per_second = 0;
    Latency latency;
    std::optional<bool> verified;  // none: not checked
    std::string verify_detail;     // on a mismatch: where
    bool ok() const { return status == "ok"; }
};

class Engine {
public:
    virtual ~Engine() = default;
    virtual std::string_view name() const = 0;
    virtual std::string_view description() const = 0;
    virtual uint32_t capabilities() const = 0;
    // Fills what the user left empty (memory, direction) with this engine's
    // defaults; every front end (p2pscope xfer, p2pscoped, the GUI) calls it.
    virtual void complete(Request& request) const = 0;
    // Whether this engine can serve the request on this machine; no side effects.
    virtual CheckResult check(const Request& request) const = 0;
    // Acquire what run() needs (mappings, contexts, buffers).
    virtual Status setup(const Request& request) = 0;
    // The measurements; a row that could not run says why in its status.
    virtual Result<std::vector<Measurement>> run() = 0;
    // Release everything setup() acquired; safe to call twice.
    virtual void teardown() = 0;
};

struct EngineInfo {
    std::string_view name;
    std::string_view description;
    std::unique_ptr<Engine> (*make)();
};
// Every engine, in the order they are listed.
const std::vector<EngineInfo>& engines();
std::unique_ptr<Engine> make_engine(std::string_view name);  // null when unknown

// Kernel release as (major, minor); `uname -r` unless overridden (tests).
struct KernelVersion {
    int major = 0, minor = 0;
    std::string release;
};
KernelVersion kernel_version();
KernelVersion parse_kernel_release(const std::string& release);
// User-space p2pmem (mmap of sysfs p2pmem/allocate) arrived in Linux 6.2.
std::optional<std::string> p2pmem_userspace_waiver(const KernelVersion& k);

}  // namespace p2pscope::xfer
