// SPDX-License-Identifier: GPL-2.0-or-later
// The UAPI's other constants (limits, flags, codes) under C++ names, so that
// user space outside kclient reads them here and not from the C header.
#pragma once

#include <cstdint>

#include "p2pscope.h"  // kmod/uapi: the UAPI of p2pscope.ko

namespace p2pscope::kclient {

inline constexpr const char* kDevicePath = P2PSCOPE_DEVICE_PATH;
inline constexpr uint32_t kAbiMajor = P2PSCOPE_ABI_MAJOR;  // of the UAPI this p2pscope was built with
inline constexpr uint32_t kAbiMinor = P2PSCOPE_ABI_MINOR;

// Limits of one map measurement (the module also reports them in its caps).
inline constexpr uint64_t kMaxSizeBytes = P2PSCOPE_MAX_SIZE_BYTES;
inline constexpr uint32_t kMaxSegments = P2PSCOPE_MAX_SEGMENTS;
inline constexpr uint64_t kMaxIterations = P2PSCOPE_MAX_ITERATIONS;
inline constexpr uint64_t kMaxDurationNs = P2PSCOPE_MAX_DURATION_NS;

// Limits of the transfer commands.
inline constexpr uint32_t kMaxBlockBytes = P2PSCOPE_MAX_BLOCK_BYTES;  // one bio
inline constexpr uint32_t kMaxQueueDepth = P2PSCOPE_MAX_QUEUE_DEPTH;
inline constexpr uint64_t kMaxDmaCopyBytes = P2PSCOPE_MAX_DMA_COPY_BYTES;

inline constexpr uint32_t kHistBuckets = P2PSCOPE_HIST_BUCKETS;  // of every latency histogram

// MapRequest::clock
inline constexpr uint32_t kClockDefault = P2PSCOPE_CLOCK_DEFAULT;  // the module's pick
inline constexpr uint32_t kClockLocal = P2PSCOPE_CLOCK_LOCAL;
inline constexpr uint32_t kClockMonotonic = P2PSCOPE_CLOCK_MONOTONIC;

// MapRequest::flags
inline constexpr uint32_t kMapDirty = P2PSCOPE_MAP_F_DIRTY;
inline constexpr uint32_t kMapIovaPerRequest = P2PSCOPE_MAP_F_IOVA_PER_REQUEST;

// BlockXferRequest::flags, DmaXferRequest::flags
inline constexpr uint32_t kXferVerify = P2PSCOPE_XFER_F_VERIFY;
inline constexpr uint32_t kXferDestructive = P2PSCOPE_XFER_F_DESTRUCTIVE;
inline constexpr uint32_t kXferForce = P2PSCOPE_XFER_F_FORCE;

// Reason codes of a result's status (reason_name spells them all).
inline constexpr uint32_t kReasonNone = P2PSCOPE_REASON_NONE;  // ran to completion
inline constexpr uint32_t kReasonP2pNotSupported = P2PSCOPE_REASON_P2P_NOT_SUPPORTED;

// p2pscope_bar::flags of a device query
inline constexpr uint32_t kBarMem = P2PSCOPE_BAR_F_MEM;
inline constexpr uint32_t kBarPages = P2PSCOPE_BAR_F_PAGES;  // has struct pages (p2pmem)

// What a transfer's data check found.
enum class VerifyState : uint32_t {
    not_checked = P2PSCOPE_VERIFY_NOT_CHECKED,
    matched = P2PSCOPE_VERIFY_MATCHED,
    mismatch = P2PSCOPE_VERIFY_MISMATCH,
};

}  // namespace p2pscope::kclient
