// SPDX-License-Identifier: GPL-2.0-or-later
// p2pscope xfer: real data movement over a PCIe path. Every way of moving data
// is an Engine (fio's ioengines), declared by an EngineSpec in its own file in
// src/engines/: its name, capabilities, the memories and directions it takes
// (defaults first) and the request fields it reads. Every front end (p2pscope
// xfer, p2pscoped, qualify, p2pscope-bench, the GUI) lists, completes and runs
// engines from these specs only, so an engine added is shown everywhere.
// check_request() says whether an engine can serve a request and, when not,
// why; then setup, run, teardown, or run_once() (a Session) for all of it.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pscope/probe/topology.hpp"
#include "p2pscope/registry.hpp"
#include "p2pscope/result.hpp"

namespace p2pscope::xfer {

// Capability flags. (Queue depth and access widths are fields the engine
// reads: EngineSpec::fields.)
enum Capability : uint32_t {
    kCapRead = 1u << 0,    // moves data from device memory to host memory
    kCapWrite = 1u << 1,   // and from host memory to device memory
    kCapVerify = 1u << 2,  // checks the data that arrived
    kCapPeer = 1u << 3,    // moves data between two devices
};
// Every access width the cpu engine knows, in order.
const std::vector<std::string>& all_widths();
// "all" anywhere in the list stands for all_widths().
std::vector<std::string> expand_widths(const std::vector<std::string>& widths);
// For help and error texts: "1, 2, 4, 8, 16, 32, 64, memcpy or all".
std::string width_choices_text();

// What the user selected; each engine reads the fields it needs (its spec's
// fields) and check_request() says which it cannot serve.
struct Request {
    std::string engine;
    std::optional<probe::PciAddress> device;  // the device whose memory is used (cpu, gpu, p2pmem provider)
    std::optional<probe::PciAddress> peer;    // second device (gpu peer copies, nvme p2pmem provider)
    std::string memory;                       // one of the engine's memories (its spec); empty: its default
    int bar = -1;                             // cpu: BAR index (uc, wc)
    std::string file;                         // cpu memory file: a regular file mapped shared (harness tests)
    std::string direction;                    // one of the engine's directions; empty: its default
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

// How one row of results ended.
enum class RowStatus {
    ok,
    waived,  // this machine cannot do it (the reason says what it lacks)
    fault,   // the access faulted (SIGBUS, an IOMMU fault): figures cover the transfers before
    error,   // anything else that stopped it
};
std::string_view to_string(RowStatus s);  // "ok", "waived", "fault", "error"
// The status of a row from its text as reported ("ok", "waived: R", ...); anything else is error.
RowStatus row_status_of(std::string_view status_text);

// One row of results: one access width, one copy kind.
struct Measurement {
    std::string label;         // "32-byte" / "memcpy" / "h2d pinned"
    RowStatus status = RowStatus::ok;
    std::string reason;        // why, unless ok: "SIGBUS at offset X with N-byte reads"
    uint64_t transfer_bytes = 0;
    uint64_t transfers = 0;
    double seconds = 0;         // sum of the timed transfers
    double bytes_per_second = 0;
    Latency latency;
    std::optional<bool> verified;  // none: not checked
    std::string verify_detail;     // on a mismatch: where; or why it was not checked
    bool ok() const { return status == RowStatus::ok; }
    // "ok" or "STATUS: REASON", as schema p2pscope.xfer/1 reports it.
    std::string status_text() const;
    void stop(RowStatus s, std::string why) {
        status = s;
        reason = std::move(why);
    }
};

// A value of Request::memory that an engine takes.
enum MemoryTrait : uint32_t {
    kMemSeveral = 1u << 0,  // stands for every other memory of the engine in one run ("all")
    kMemImplied = 1u << 1,  // the engine's only memory, not a request value (named in labels only)
    kMemFile = 1u << 2,     // Request::file is the memory; chosen by default when a file is given
    kMemOfPeer = 1u << 3,   // Request::peer provides it
    kMemBar = 1u << 4,      // a BAR of Request::device, Request::bar its index (the memory or one end of the copy)
};
struct MemoryChoice {
    std::string_view name = {};  // "uc"
    std::string_view help = {};  // "the BAR, uncached"
    uint32_t traits = 0;       // MemoryTrait bits
    std::string_view no_link = {};  // memory on no PCIe link and needing no device: what it is ("RAM to RAM")
};

// The Request fields an engine reads besides engine, memory, direction, size,
// iterations, seconds and sysfs_root (which all read) and module_node (which
// the kernel engines read, and every front end sets). p2pscope xfer refuses
// an option, and p2pscoped a configuration key, for a field the engine does
// not read (kFieldNames).
enum RequestField : uint32_t {
    kFieldDevice = 1u << 0,  // EngineSpec::device says what it is to the engine
    kFieldPeer = 1u << 1,    // EngineSpec::peer says what it is to the engine
    kFieldBar = 1u << 2,     // the engine has a memory with kMemBar
    kFieldFile = 1u << 3,    // the engine has a memory with kMemFile
    kFieldOffset = 1u << 4,
    kFieldWidths = 1u << 5,  // capability "access-width"
    kFieldBlock = 1u << 6,   // the engine finds its device from the block device
    kFieldSpan = 1u << 7,
    kFieldVerify = 1u << 8,
    kFieldSourceBlock = 1u << 9,
    kFieldDestinationBlock = 1u << 10,
    kFieldDestructive = 1u << 11,
    kFieldForce = 1u << 12,
    kFieldQueueDepth = 1u << 13,  // capability "queue-depth"
    kFieldFaultTest = 1u << 14,
    // A new field goes above this line, as the next bit. Not a field (never
    // pass it): one past the last field's bit, from which kAllFields follows.
    kFieldEnd,
};
// Every RequestField bit: kFieldNames has a row for each.
inline constexpr uint32_t kAllFields = ((static_cast<uint32_t>(kFieldEnd) - 1) << 1) - 1;
// Each RequestField as the front ends name it: p2pscope xfer's option and
// p2pscoped's configuration key (empty where the configuration has none),
// entry i for the field 1 << i. Both refuse one given for an engine that does
// not read its field, with not_read_reason().
struct FieldName {
    RequestField field;
    std::string_view option;  // "--queue-depth"
    std::string_view key;     // "queue_depth"
};
inline constexpr std::array<FieldName, 15> kFieldNames{{
    {kFieldDevice, "--device", "device"},
    {kFieldPeer, "--peer", "peer"},
    {kFieldBar, "--bar", "bar"},
    {kFieldFile, "--file", "file"},
    {kFieldOffset, "--offset", "offset"},
    {kFieldWidths, "--width", "width"},
    {kFieldBlock, "--block", "block"},
    {kFieldSpan, "--span", "span"},
    {kFieldVerify, "--no-verify", "verify"},
    {kFieldSourceBlock, "--source-block", "source_block"},
    {kFieldDestinationBlock, "--destination-block", "destination_block"},
    {kFieldDestructive, "--destructive", "destructive"},
    {kFieldForce, "--force", ""},
    {kFieldQueueDepth, "--queue-depth", "queue_depth"},
    {kFieldFaultTest, "--fault-test", ""},
}};
static_assert(
    [] {
        for (size_t i = 0; i < kFieldNames.size(); ++i)
            if (kFieldNames[i].field != 1u << i) return false;
        return true;
    }(),
    "kFieldNames: entry i names the RequestField 1 << i, one entry per field");
static_assert(
    [] {
        uint32_t named = 0;
        for (const auto& f : kFieldNames) named |= f.field;
        return named == kAllFields;
    }(),
    "kFieldNames: a row for every RequestField (a new field needs its row)");
// The names of one field (a single RequestField bit).
constexpr const FieldName& field_name(RequestField field) {
    return kFieldNames[static_cast<size_t>(std::countr_zero(static_cast<uint32_t>(field)))];
}
// "engine cpu does not read --queue-depth (engines that do: nvme)": the
// refusal of `name` (an option or key) for a field the engine does not read;
// `readers` names the engines that do (engines_reading()).
std::string not_read_reason(std::string_view engine, std::string_view name, std::string_view readers);

class Engine;

// Everything a front end knows of an engine. Each engine's file registers one:
//   const Registration<EngineSpec> registration{EngineSpec{.name = "cpu", ...}};
struct EngineSpec {
    std::string_view name = {};
    std::string_view description = {};
    uint32_t capabilities = 0;                      // Capability bits
    std::vector<MemoryChoice> memories = {};        // the first is the default
    std::vector<std::string_view> directions = {};  // the first is the default; a single one is no choice
    uint32_t fields = 0;                       // RequestField bits
    std::string_view device = {};              // with kFieldDevice: what Request::device is to it ("the GPU")
    std::string_view peer = {};                // with kFieldPeer: what Request::peer is to it
    std::unique_ptr<Engine> (*make)() = nullptr;

    bool reads(RequestField f) const { return (fields & f) != 0; }
    const MemoryChoice* memory(std::string_view name) const;  // null when not one of its memories
    // The memories a request can name (not the implied one), default first.
    std::vector<std::string_view> memory_names() const;
    // Its memories with any of these MemoryTrait bits, in order.
    std::vector<std::string_view> memories_with(uint32_t traits) const;
    // Fills what the user left empty: the memory (the file memory when a
    // file is given, else the first, unless implied) and the direction.
    void complete(Request& request) const;
    // Whether a completed request's memory and direction are this engine's;
    // the refusal names the ones it takes.
    CheckResult check_choices(const Request& completed) const;
};
// "read write verify queue-depth access-width peer": the capabilities, and the fields that show as ones.
std::string capability_names(const EngineSpec& spec);

template <class E>
std::unique_ptr<Engine> make_engine_of() {
    return std::make_unique<E>();
}

class Engine {
public:
    virtual ~Engine() = default;
    // Whether this engine can serve the request on this machine; no side effects.
    // Requests come completed (EngineSpec::complete) with a memory and a
    // direction of the engine's spec (EngineSpec::check_choices):
    // check_request() sees to both, and check() to the rest.
    virtual CheckResult check(const Request& request) const = 0;
    // Acquire what run() needs (mappings, contexts, buffers).
    virtual Status setup(const Request& request) = 0;
    // The measurements; a row that could not run says why in its status.
    virtual Result<std::vector<Measurement>> run() = 0;
    // Release everything setup() acquired; safe to call twice.
    virtual void teardown() = 0;
};

// Every registered engine, by name; one kept out (a second of a name, a late one) is listed by kept_out_engines().
const std::vector<EngineSpec>& engines();
const std::vector<std::string>& kept_out_engines();
// The spec's choices (check_choices), then the engine's own check().
CheckResult check_request(const EngineSpec& spec, const Engine& engine, const Request& completed);
const EngineSpec* find_engine(std::string_view name);  // null when unknown
std::unique_ptr<Engine> make_engine(std::string_view name);  // null when unknown
std::string engine_names();  // "cpu, dmaengine, ..."
// The same over another list of engines (a test's Registry<EngineSpec>).
const EngineSpec* find_engine(const std::vector<EngineSpec>& list, std::string_view name);
std::string engine_names(const std::vector<EngineSpec>& list);
// For --help, the memories of the engines with a choice, one line each:
//   "cpu uc (default): the BAR (--bar) mapped uncached (sysfs resourceN)"
// Without `several`, a memory that stands for several is left out and those
// it stands for are each marked default.
std::string memory_choices_text(bool several = true);
// For --help: "cpu: read (default), write; gpu: ...", engines with a choice only.
std::string direction_choices_text();
// The engines that read a field: "dmaengine, nvme".
std::string engines_reading(RequestField field);
// The same over other engines (p2pscoped's, a test's), in their order.
std::string engines_reading(const std::vector<const EngineSpec*>& specs, RequestField field);

// One measurement run, start to end: complete the request, check, (describe
// the path), setup, run, teardown, and judge the rows. A Session does the
// first part once and the rest as often as asked; run_once() runs one once.
enum class Outcome {
    ok,          // every row ran (some may be waived) and what was checked verified
    waived,      // check() waived it, or every row was waived: the reason says why
    invalid,     // check() refused the request as asked wrong
    failed,      // setup or run failed, a row faulted or failed, or no row came back
    unverified,  // the rows ran but data did not verify
};

struct PathInfo;
struct RunOptions {
    bool describe_path = false;  // look the request's devices up in the live topology
    bool path_required = false;  // with describe_path: a device the topology lacks is invalid, before any setup
    // Where the engine is found; null: the registered ones (engines()). A
    // Session keeps a pointer into it: it must outlive the Session and its copies.
    const Registry<EngineSpec>* engines = nullptr;
};
struct RunResult {
    Outcome outcome = Outcome::failed;
    std::string reason;  // unless ok
    Request request;     // as completed
    std::vector<Measurement> rows;
    std::shared_ptr<const PathInfo> path;  // when describe_path: the path, or a note why not
    std::optional<Error> path_error;      // when describe_path found a device the topology lacks
    std::optional<Error> error;           // setup's, run's or (path_required) the path's own error, when one stopped it
    bool ok() const { return outcome == Outcome::ok; }
};
// Judges rows that came back from run(): ok, waived (all waived), failed or unverified, with the reason.
std::pair<Outcome, std::string> judge_rows(const std::vector<Measurement>& rows);

// A request completed, checked and its path described once, then run any
// number of times, each run with a fresh engine: setup, run, teardown and the
// rows judged. The GUI's repeating transfer runs one each round.
class Session {
public:
    explicit Session(const Request& request, const RunOptions& options = {});
    // The check's answer: outcome invalid or waived with the reason, else ok
    // (it can run); the completed request and the path.
    const RunResult& checked() const { return checked_; }
    bool runnable() const { return checked_.outcome == Outcome::ok; }
    // One run; checked() when it cannot run.
    RunResult run() const;

private:
    const EngineSpec* spec_ = nullptr;
    RunResult checked_;
};
RunResult run_once(const Request& request, const RunOptions& options = {});  // Session(request, options).run()

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
