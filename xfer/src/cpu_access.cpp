// SPDX-License-Identifier: GPL-2.0-or-later
// Access kernels of the CPU engine. Each moves `len` bytes between device
// memory (volatile, so every access is issued at exactly that width) and a
// host buffer. Wide kernels use intrinsics in functions compiled for their
// instruction set alone (target attributes); callers check the CPU first.
#include <time.h>

#include <cstdio>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "p2pscope/xfer/cpu_access.hpp"
#include "p2pscope/xfer/fault_guard.hpp"

namespace p2pscope::xfer {

namespace {

template <class T>
void read_scalar(volatile unsigned char* dev, unsigned char* host, size_t len) {
    auto* s = reinterpret_cast<volatile T*>(dev);
    auto* d = reinterpret_cast<T*>(host);
    for (size_t i = 0; i < len / sizeof(T); ++i) d[i] = s[i];
}
template <class T>
void write_scalar(volatile unsigned char* dev, const unsigned char* host, size_t len) {
    auto* d = reinterpret_cast<volatile T*>(dev);
    auto* s = reinterpret_cast<const T*>(host);
    for (size_t i = 0; i < len / sizeof(T); ++i) d[i] = s[i];
}

#if defined(__x86_64__)
// Device addresses go through unaligned-load/store intrinsics so a deliberately
// misaligned region (the fault test) issues the same instructions.
__attribute__((target("sse2"))) void read_sse(volatile unsigned char* dev, unsigned char* host, size_t len) {
    for (size_t i = 0; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128(const_cast<const __m128i*>(reinterpret_cast<volatile __m128i*>(dev + i)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(host + i), v);
        __asm__ volatile("" ::: "memory");  // one load per step: no merging, no elision
    }
}
__attribute__((target("sse2"))) void write_sse(volatile unsigned char* dev, const unsigned char* host, size_t len) {
    for (size_t i = 0; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(host + i));
        _mm_storeu_si128(const_cast<__m128i*>(reinterpret_cast<volatile __m128i*>(dev + i)), v);
        __asm__ volatile("" ::: "memory");
    }
}
__attribute__((target("avx2"))) void read_avx2(volatile unsigned char* dev, unsigned char* host, size_t len) {
    for (size_t i = 0; i + 32 <= len; i += 32) {
        __m256i v = _mm256_loadu_si256(const_cast<const __m256i*>(reinterpret_cast<volatile __m256i*>(dev + i)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(host + i), v);
        __asm__ volatile("" ::: "memory");
    }
}
__attribute__((target("avx2"))) void write_avx2(volatile unsigned char* dev, const unsigned char* host, size_t len) {
    for (size_t i = 0; i + 32 <= len; i += 32) {
        __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(host + i));
        _mm256_storeu_si256(const_cast<__m256i*>(reinterpret_cast<volatile __m256i*>(dev + i)), v);
        __asm__ volatile("" ::: "memory");
    }
}
__attribute__((target("avx512f"))) void read_avx512(volatile unsigned char* dev, unsigned char* host, size_t len) {
    for (size_t i = 0; i + 64 <= len; i += 64) {
        __m512i v = _mm512_loadu_si512(const_cast<const void*>(reinterpret_cast<volatile void*>(dev + i)));
        _mm512_storeu_si512(host + i, v);
        __asm__ volatile("" ::: "memory");
    }
}
__attribute__((target("avx512f"))) void write_avx512(volatile unsigned char* dev, const unsigned char* host,
                                                     size_t len) {
    for (size_t i = 0; i + 64 <= len; i += 64) {
        __m512i v = _mm512_loadu_si512(host + i);
        _mm512_storeu_si512(const_cast<void*>(reinterpret_cast<volatile void*>(dev + i)), v);
        __asm__ volatile("" ::: "memory");
    }
}
#endif

void read_memcpy(volatile unsigned char* dev, unsigned char* host, size_t len) {
    std::memcpy(host, const_cast<unsigned char*>(dev), len);
    __asm__ volatile("" ::: "memory");
}
void write_memcpy(volatile unsigned char* dev, const unsigned char* host, size_t len) {
    std::memcpy(const_cast<unsigned char*>(dev), host, len);
    __asm__ volatile("" ::: "memory");
}

using ReadFn = void (*)(volatile unsigned char*, unsigned char*, size_t);
using WriteFn = void (*)(volatile unsigned char*, const unsigned char*, size_t);

bool kernels_for(unsigned width, ReadFn& r, WriteFn& w) {
    switch (width) {
    case 0: r = read_memcpy; w = write_memcpy; return true;
    case 1: r = read_scalar<uint8_t>; w = write_scalar<uint8_t>; return true;
    case 2: r = read_scalar<uint16_t>; w = write_scalar<uint16_t>; return true;
    case 4: r = read_scalar<uint32_t>; w = write_scalar<uint32_t>; return true;
    case 8: r = read_scalar<uint64_t>; w = write_scalar<uint64_t>; return true;
#if defined(__x86_64__)
    case 16: r = read_sse; w = write_sse; return true;
    case 32: r = read_avx2; w = write_avx2; return true;
    case 64: r = read_avx512; w = write_avx512; return true;
#endif
    default: return false;
    }
}

uint64_t pattern(uint64_t i, uint64_t seed) { return (i + 1) * 0x9E3779B97F4A7C15ull ^ seed; }

double now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Everything the guarded body touches: plain data only (no destructors run
// when a fault jumps out of it).
struct Body {
    volatile unsigned char* dev;
    size_t len;
    unsigned char* host;     // source (write) or destination (read) of the timed transfers
    const unsigned char* expect;  // the pattern
    ReadFn rd;
    WriteFn wr;
    bool write;
    bool fill_and_verify;
    uint64_t iterations;
    double seconds;
    double* samples;
    size_t max_samples;
    size_t count;
    int phase;  // 0 fill, 1 timed, 2 verify
    bool mismatch;
    uint64_t mismatch_offset;
};

void guarded_body(void* p) {
    auto* b = static_cast<Body*>(p);
    if (b->fill_and_verify && !b->write) {
        b->phase = 0;  // the device holds the pattern before it is read
        write_scalar<uint64_t>(b->dev, b->expect, b->len);
    }
    b->phase = 1;
    const double start = now_ns();
    const double stop = start + b->seconds * 1e9;
    for (;;) {
        const double t0 = now_ns();
        if (b->write) {
            b->wr(b->dev, b->host, b->len);
#if defined(__x86_64__)
            // Drain write-combining buffers: a write transfer ends when its
            // stores have left the core (they are posted beyond that).
            __builtin_ia32_sfence();
#endif
        } else {
            b->rd(b->dev, b->host, b->len);
        }
        const double t1 = now_ns();
        b->samples[b->count++] = t1 - t0;
        if (b->count >= b->max_samples) break;
        if (b->iterations ? b->count >= b->iterations : t1 >= stop) break;
    }
    if (!b->fill_and_verify) return;
    b->phase = 2;
    if (b->write) {
        auto* d = reinterpret_cast<volatile uint64_t*>(b->dev);
        auto* e = reinterpret_cast<const uint64_t*>(b->expect);
        for (size_t i = 0; i < b->len / 8; ++i)
            if (d[i] != e[i]) { b->mismatch = true; b->mismatch_offset = i * 8; return; }
    } else {
        for (size_t i = 0; i < b->len; ++i)
            if (b->host[i] != b->expect[i]) { b->mismatch = true; b->mismatch_offset = i; return; }
    }
}

}  // namespace

std::optional<std::string> cpu_width_waiver(unsigned width) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (width == 32 && !__builtin_cpu_supports("avx2")) return "this CPU lacks AVX2 (32-byte accesses)";
    if (width == 64 && !__builtin_cpu_supports("avx512f")) return "this CPU lacks AVX-512F (64-byte accesses)";
    return std::nullopt;
#else
    if (width >= 16) return "16-, 32- and 64-byte accesses are implemented for x86-64 only";
    return std::nullopt;
#endif
}

std::string width_label(unsigned width) { return width ? std::to_string(width) + "-byte" : "memcpy"; }

std::optional<unsigned> parse_width(const std::string& t) {
    if (t == "memcpy") return 0u;
    for (unsigned w : {1u, 2u, 4u, 8u, 16u, 32u, 64u})
        if (t == std::to_string(w)) return w;
    return std::nullopt;
}

Measurement measure_cpu_region(volatile void* region, size_t length, const void* map_base, size_t map_length,
                               const CpuAccess& a) {
    Measurement m;
    m.label = width_label(a.width);
    m.transfer_bytes = length;
    if (auto w = cpu_width_waiver(a.width)) {
        m.stop(RowStatus::waived, *w);
        return m;
    }
    ReadFn rd = nullptr;
    WriteFn wr = nullptr;
    if (!kernels_for(a.width, rd, wr)) {
        m.stop(RowStatus::error, "no access kernel for width " + std::to_string(a.width));
        return m;
    }
    const size_t unit = a.width ? a.width : 1;
    if (length == 0 || length % 8 || length % unit) {
        m.stop(RowStatus::error, "size " + std::to_string(length) + " is not a multiple of 8 and of the access width");
        return m;
    }
    // Whether the data is checked: only when the region is the real one (the
    // fault test shifts it across the mapping's end on purpose).
    const auto* rb = const_cast<const unsigned char*>(static_cast<volatile unsigned char*>(region));
    const auto* mb = static_cast<const unsigned char*>(map_base);
    const bool inside = rb >= mb && rb + length <= mb + map_length;

    std::vector<unsigned char> host(length), expect(length);
    const uint64_t seed = 0xC0FFEEull * (a.width + 1) + (a.write ? 1 : 0);
    for (size_t i = 0; i < length / 8; ++i) {
        uint64_t v = pattern(i, seed);
        std::memcpy(&expect[i * 8], &v, 8);
    }
    if (a.write) host = expect;
    const size_t max_samples = a.iterations ? a.iterations : (1u << 20);
    std::vector<double> samples(max_samples);

    Body b{};
    b.dev = static_cast<volatile unsigned char*>(region);
    b.len = length;
    b.host = host.data();
    b.expect = expect.data();
    b.rd = rd;
    b.wr = wr;
    b.write = a.write;
    b.fill_and_verify = inside && (a.write || a.may_write);
    b.iterations = a.iterations;
    b.seconds = a.seconds;
    b.samples = samples.data();
    b.max_samples = max_samples;
    const FaultInfo f = run_guarded(guarded_body, &b, map_base, map_length);

    samples.resize(b.count);
    m.transfers = b.count;
    for (double s : samples) m.seconds += s / 1e9;
    if (m.seconds > 0) m.bytes_per_second = static_cast<double>(m.transfers * length) / m.seconds;
    m.latency = summarize(samples);
    if (f.faulted) {
        static const char* phases[] = {"8-byte writes (pattern fill)", "", "8-byte reads (verification)"};
        char buf[256];
        std::string how = b.phase == 1 ? width_label(a.width) + (a.write ? " writes" : " reads") : phases[b.phase];
        if (a.width == 0 && b.phase == 1) how = std::string("memcpy ") + (a.write ? "writes" : "reads");
        std::snprintf(buf, sizeof buf, "%s at offset 0x%llx%s with %s", signal_name(f.signo).c_str(),
                      static_cast<unsigned long long>(f.offset), f.in_region ? "" : " (outside the mapping)",
                      how.c_str());
        m.stop(RowStatus::fault, buf);
        return m;
    }
    if (b.fill_and_verify) {
        m.verified = !b.mismatch;
        if (b.mismatch) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "data mismatch at offset 0x%llx of the transfer",
                          static_cast<unsigned long long>(b.mismatch_offset));
            m.verify_detail = buf;
        }
    }
    return m;
}

}  // namespace p2pscope::xfer
