// SPDX-License-Identifier: GPL-2.0-or-later
// gpu: copies by the CUDA driver API, loaded with dlopen("libcuda.so.1") at
// run time, so p2pscope neither builds nor links against CUDA. Host to device
// and device to host from pageable and pinned host memory, device to device,
// and peer copies between two GPUs. Each transfer is a synchronous copy
// followed by cuCtxSynchronize, timed by the host's monotonic clock.
#include <dlfcn.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../sysfs_util.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

namespace {

// The driver API's types, as cuda.h declares them (64-bit).
using CUresult = int;
using CUdevice = int;
using CUcontext = struct CUctx_st*;
using CUdeviceptr = unsigned long long;
constexpr CUresult CUDA_SUCCESS = 0;

struct Cuda {
    void* lib = nullptr;
    CUresult (*cuInit)(unsigned) = nullptr;
    CUresult (*cuDeviceGetCount)(int*) = nullptr;
    CUresult (*cuDeviceGet)(CUdevice*, int) = nullptr;
    CUresult (*cuDeviceGetPCIBusId)(char*, int, CUdevice) = nullptr;
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
    CUresult (*cuDevicePrimaryCtxRelease)(CUdevice) = nullptr;
    CUresult (*cuCtxSetCurrent)(CUcontext) = nullptr;
    CUresult (*cuCtxSynchronize)() = nullptr;
    CUresult (*cuMemAlloc)(CUdeviceptr*, size_t) = nullptr;
    CUresult (*cuMemFree)(CUdeviceptr) = nullptr;
    CUresult (*cuMemAllocHost)(void**, size_t) = nullptr;
    CUresult (*cuMemFreeHost)(void*) = nullptr;
    CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void*, size_t) = nullptr;
    CUresult (*cuMemcpyDtoH)(void*, CUdeviceptr, size_t) = nullptr;
    CUresult (*cuMemcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t) = nullptr;
    CUresult (*cuMemcpyPeer)(CUdeviceptr, CUcontext, CUdeviceptr, CUcontext, size_t) = nullptr;
    CUresult (*cuDeviceCanAccessPeer)(int*, CUdevice, CUdevice) = nullptr;
    CUresult (*cuCtxEnablePeerAccess)(CUcontext, unsigned) = nullptr;
    CUresult (*cuGetErrorName)(CUresult, const char**) = nullptr;

    ~Cuda() {
        if (lib) dlclose(lib);
    }

    template <class F>
    bool sym(F& f, const char* name, const char* fallback = nullptr) {
        void* p = dlsym(lib, name);
        if (!p && fallback) p = dlsym(lib, fallback);
        f = reinterpret_cast<F>(p);
        return p != nullptr;
    }

    std::string err(CUresult r) const {
        const char* n = nullptr;
        if (cuGetErrorName && cuGetErrorName(r, &n) == CUDA_SUCCESS && n) return n;
        return "CUresult " + std::to_string(r);
    }

    // Empty when the driver is loaded and initialized; else the waiver.
    std::string load() {
        // RTLD_NODELETE: the driver stays loaded once initialized (check() and
        // setup() each load it; unloading an initialized libcuda is not safe).
        lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!lib) return "no CUDA driver (libcuda.so.1 not found)";
        bool all = sym(cuInit, "cuInit") && sym(cuDeviceGetCount, "cuDeviceGetCount") &&
                   sym(cuDeviceGet, "cuDeviceGet") && sym(cuDeviceGetPCIBusId, "cuDeviceGetPCIBusId") &&
                   sym(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
                   sym(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease") &&
                   sym(cuCtxSetCurrent, "cuCtxSetCurrent") && sym(cuCtxSynchronize, "cuCtxSynchronize") &&
                   sym(cuMemAlloc, "cuMemAlloc_v2") && sym(cuMemFree, "cuMemFree_v2") &&
                   sym(cuMemAllocHost, "cuMemAllocHost_v2") && sym(cuMemFreeHost, "cuMemFreeHost") &&
                   sym(cuMemcpyHtoD, "cuMemcpyHtoD_v2") && sym(cuMemcpyDtoH, "cuMemcpyDtoH_v2") &&
                   sym(cuMemcpyDtoD, "cuMemcpyDtoD_v2") && sym(cuMemcpyPeer, "cuMemcpyPeer") &&
                   sym(cuDeviceCanAccessPeer, "cuDeviceCanAccessPeer") &&
                   sym(cuCtxEnablePeerAccess, "cuCtxEnablePeerAccess");
        sym(cuGetErrorName, "cuGetErrorName");
        if (!all) return "libcuda.so.1 lacks a driver API function p2pscope uses (too old a driver?)";
        if (CUresult r = cuInit(0); r != CUDA_SUCCESS) return "cuInit failed: " + err(r);
        int n = 0;
        if (CUresult r = cuDeviceGetCount(&n); r != CUDA_SUCCESS) return "cuDeviceGetCount failed: " + err(r);
        if (n == 0) return "no CUDA GPU (cuDeviceGetCount found none)";
        return {};
    }

    int count() const {
        int n = 0;
        cuDeviceGetCount(&n);
        return n;
    }

    // The CUDA ordinal of a PCI function; -1 when it is not a CUDA device.
    int ordinal_of(const probe::PciAddress& a) const {
        for (int i = 0; i < count(); ++i) {
            CUdevice d = 0;
            char id[32] = {};
            if (cuDeviceGet(&d, i) != CUDA_SUCCESS || cuDeviceGetPCIBusId(id, sizeof id, d) != CUDA_SUCCESS) continue;
            auto p = probe::PciAddress::parse(id);
            if (!p) {
                // Some drivers print an 8-digit domain ("00000000:65:00.0").
                unsigned dom = 0, bus = 0, dev = 0, fn = 0;
                if (std::sscanf(id, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4) continue;
                if (dom == a.domain && bus == a.bus && dev == a.device && fn == a.function) return i;
                continue;
            }
            if (*p == a) return i;
        }
        return -1;
    }
};

double now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

class GpuEngine final : public Engine {
public:
    CheckResult check(const Request& r) const override {
        if (r.size == 0) return CheckResult::bad("engine gpu: --size must not be 0");
        for (const auto* a : {&r.device, &r.peer})
            if (*a && !detail::exists(detail::pci_dir(r.sysfs_root, (*a)->to_string())))
                return CheckResult::bad("no PCI function " + (*a)->to_string() + " on this system");
        Cuda cuda;
        if (auto w = cuda.load(); !w.empty()) return CheckResult::waive(w);
        int a = 0, b = -1;
        if (r.device && (a = cuda.ordinal_of(*r.device)) < 0)
            return CheckResult::bad(r.device->to_string() + " is not a CUDA device");
        if (r.direction == "peer") {
            if (r.peer) {
                if ((b = cuda.ordinal_of(*r.peer)) < 0)
                    return CheckResult::bad(r.peer->to_string() + " is not a CUDA device");
            } else if (cuda.count() < 2) {
                return CheckResult::waive("peer copies need two GPUs; CUDA sees " + std::to_string(cuda.count()));
            }
            if (b == a) return CheckResult::bad("--peer must be another GPU than --device");
        }
        return CheckResult::yes();
    }

    Status setup(const Request& r) override {
        request_ = r;
        if (auto w = cuda_.load(); !w.empty()) return make_error(Errc::unsupported, w);
        ord_a_ = r.device ? cuda_.ordinal_of(*r.device) : 0;
        if (r.direction == "peer") ord_b_ = r.peer ? cuda_.ordinal_of(*r.peer) : (ord_a_ == 0 ? 1 : 0);
        if (auto s = retain(ord_a_, dev_a_, ctx_a_); !s) return s;
        if (ord_b_ >= 0)
            if (auto s = retain(ord_b_, dev_b_, ctx_b_); !s) return s;
        return Ok{};
    }

    Result<std::vector<Measurement>> run() override {
        std::vector<Measurement> rows;
        const auto& r = request_;
        if (r.direction == "h2d" || r.direction == "d2h") {
            const bool both = r.memory.empty() || r.memory == "all";
            if (both || r.memory == "pageable") rows.push_back(host_copy(false));
            if (both || r.memory == "pinned") rows.push_back(host_copy(true));
        } else if (r.direction == "d2d") {
            rows.push_back(device_copy(false));
        } else {
            rows.push_back(device_copy(true));
        }
        return rows;
    }

    void teardown() override {
        if (ctx_a_) cuda_.cuDevicePrimaryCtxRelease(dev_a_);
        if (ctx_b_) cuda_.cuDevicePrimaryCtxRelease(dev_b_);
        ctx_a_ = ctx_b_ = nullptr;
    }

    ~GpuEngine() override { teardown(); }

private:
    Status retain(int ordinal, CUdevice& dev, CUcontext& ctx) {
        if (CUresult e = cuda_.cuDeviceGet(&dev, ordinal); e != CUDA_SUCCESS)
            return make_error(Errc::system, "cuDeviceGet(" + std::to_string(ordinal) + "): " + cuda_.err(e));
        if (CUresult e = cuda_.cuDevicePrimaryCtxRetain(&ctx, dev); e != CUDA_SUCCESS) {
            ctx = nullptr;
            return make_error(Errc::system, "cuDevicePrimaryCtxRetain: " + cuda_.err(e));
        }
        return Ok{};
    }

    // Runs `copy` (one synchronous transfer) until done; fills m's figures.
    template <class F>
    void timed(Measurement& m, F&& copy) {
        std::vector<double> samples;
        const double stop = now_ns() + request_.seconds * 1e9;
        for (;;) {
            const double t0 = now_ns();
            CUresult e = copy();
            if (e == CUDA_SUCCESS) e = cuda_.cuCtxSynchronize();
            const double t1 = now_ns();
            if (e != CUDA_SUCCESS) {
                m.stop(RowStatus::error, "copy failed: " + cuda_.err(e));
                break;
            }
            samples.push_back(t1 - t0);
            if (request_.iterations ? samples.size() >= request_.iterations : t1 >= stop) break;
        }
        m.transfers = samples.size();
        for (double s : samples) m.seconds += s / 1e9;
        if (m.seconds > 0) m.bytes_per_second = static_cast<double>(m.transfers * m.transfer_bytes) / m.seconds;
        m.latency = summarize(std::move(samples));
    }

    static void fill(unsigned char* p, size_t n, unsigned seed) {
        for (size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>((i * 131 + seed) >> 3);
    }

    Measurement host_copy(bool pinned) {
        const size_t n = request_.size;
        const bool h2d = request_.direction == "h2d";
        Measurement m;
        m.label = std::string(h2d ? "h2d " : "d2h ") + (pinned ? "pinned" : "pageable");
        m.transfer_bytes = n;
        cuda_.cuCtxSetCurrent(ctx_a_);
        CUdeviceptr d = 0;
        if (CUresult e = cuda_.cuMemAlloc(&d, n); e != CUDA_SUCCESS) {
            m.stop(RowStatus::error, "cuMemAlloc_v2: " + cuda_.err(e));
            return m;
        }
        std::vector<unsigned char> pageable;
        unsigned char* host = nullptr;
        if (pinned) {
            void* p = nullptr;
            if (CUresult e = cuda_.cuMemAllocHost(&p, n); e != CUDA_SUCCESS) {
                cuda_.cuMemFree(d);
                m.stop(RowStatus::error, "cuMemAllocHost_v2: " + cuda_.err(e));
                return m;
            }
            host = static_cast<unsigned char*>(p);
        } else {
            pageable.resize(n);
            host = pageable.data();
        }
        std::vector<unsigned char> want(n), back(n);
        fill(want.data(), n, pinned ? 7 : 3);
        if (h2d) {
            std::memcpy(host, want.data(), n);
            timed(m, [&] { return cuda_.cuMemcpyHtoD(d, host, n); });
            if (m.ok() && cuda_.cuMemcpyDtoH(back.data(), d, n) == CUDA_SUCCESS) m.verified = back == want;
        } else {
            if (cuda_.cuMemcpyHtoD(d, want.data(), n) == CUDA_SUCCESS) {
                timed(m, [&] { return cuda_.cuMemcpyDtoH(host, d, n); });
                if (m.ok()) m.verified = std::memcmp(host, want.data(), n) == 0;
            } else {
                m.stop(RowStatus::error, "could not place the pattern on the GPU");
            }
        }
        if (m.verified == false) m.verify_detail = "the data read back differs from the pattern";
        if (pinned) cuda_.cuMemFreeHost(host);
        cuda_.cuMemFree(d);
        return m;
    }

    Measurement device_copy(bool peer) {
        const size_t n = request_.size;
        Measurement m;
        m.label = peer ? "peer" : "d2d";
        m.transfer_bytes = n;
        CUdeviceptr src = 0, dst = 0;
        cuda_.cuCtxSetCurrent(ctx_a_);
        if (CUresult e = cuda_.cuMemAlloc(&src, n); e != CUDA_SUCCESS) {
            m.stop(RowStatus::error, "cuMemAlloc_v2: " + cuda_.err(e));
            return m;
        }
        if (peer) {
            int can = 0;
            cuda_.cuDeviceCanAccessPeer(&can, dev_a_, dev_b_);
            if (can) {
                // Direct peer access when the platform allows it; else the
                // driver stages cuMemcpyPeer through host memory.
                CUresult e = cuda_.cuCtxEnablePeerAccess(ctx_b_, 0);
                m.verify_detail = e == CUDA_SUCCESS || e == 704 /* already enabled */
                                      ? "peer access enabled"
                                      : "cuCtxEnablePeerAccess: " + cuda_.err(e);
            } else {
                m.verify_detail = "cuDeviceCanAccessPeer says no: the driver stages peer copies through the host";
            }
            cuda_.cuCtxSetCurrent(ctx_b_);
        }
        if (CUresult e = cuda_.cuMemAlloc(&dst, n); e != CUDA_SUCCESS) {
            cuda_.cuCtxSetCurrent(ctx_a_);
            cuda_.cuMemFree(src);
            m.stop(RowStatus::error, "cuMemAlloc_v2: " + cuda_.err(e));
            return m;
        }
        cuda_.cuCtxSetCurrent(ctx_a_);
        std::vector<unsigned char> want(n), back(n);
        fill(want.data(), n, 11);
        if (cuda_.cuMemcpyHtoD(src, want.data(), n) != CUDA_SUCCESS) m.stop(RowStatus::error, "could not place the pattern");
        if (m.ok()) {
            if (peer)
                timed(m, [&] { return cuda_.cuMemcpyPeer(dst, ctx_b_, src, ctx_a_, n); });
            else
                timed(m, [&] { return cuda_.cuMemcpyDtoD(dst, src, n); });
        }
        if (m.ok()) {
            if (peer) cuda_.cuCtxSetCurrent(ctx_b_);
            if (cuda_.cuMemcpyDtoH(back.data(), dst, n) == CUDA_SUCCESS) m.verified = back == want;
            if (m.verified == false) m.verify_detail = "the destination differs from the pattern";
        }
        cuda_.cuCtxSetCurrent(peer ? ctx_b_ : ctx_a_);
        cuda_.cuMemFree(dst);
        cuda_.cuCtxSetCurrent(ctx_a_);
        cuda_.cuMemFree(src);
        return m;
    }

    Request request_;
    Cuda cuda_;
    int ord_a_ = 0, ord_b_ = -1;
    CUdevice dev_a_ = 0, dev_b_ = 0;
    CUcontext ctx_a_ = nullptr, ctx_b_ = nullptr;
};

const Registration<EngineSpec> registration{EngineSpec{
    .name = "gpu",
    .description = "CUDA driver API copies (dlopen libcuda.so.1): h2d, d2h (pageable, pinned), d2d, peer",
    .capabilities = kCapRead | kCapWrite | kCapVerify | kCapPeer,
    .memories = {{.name = "all", .help = "each host memory below, one row each", .traits = kMemSeveral},
                 {.name = "pinned", .help = "page-locked host memory (cuMemAllocHost)"},
                 {.name = "pageable", .help = "ordinary host memory"}},
    .directions = {"h2d", "d2h", "d2d", "peer"},
    .fields = kFieldDevice | kFieldPeer,
    .device = "the GPU (default: CUDA's first)",
    .peer = "the second GPU of direction peer (default: another)",
    .make = make_engine_of<GpuEngine>,
}};

}  // namespace

}  // namespace p2pscope::xfer
