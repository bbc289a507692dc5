// SPDX-License-Identifier: GPL-2.0-or-later
// The engines p2pscope xfer knows. Adding one: a file in engines/ that defines
// its make function, and one line here.
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

std::unique_ptr<Engine> make_cpu_engine();
std::unique_ptr<Engine> make_p2pmem_odirect_engine();
std::unique_ptr<Engine> make_gpu_engine();
std::unique_ptr<Engine> make_nvme_engine();
std::unique_ptr<Engine> make_dmaengine_engine();

const std::vector<EngineInfo>& engines() {
    static const std::vector<EngineInfo> list = {
        {"cpu", "CPU loads/stores (1-64 bytes, memcpy) to a BAR (uncached or write-combining) or p2pmem",
         make_cpu_engine},
        {"p2pmem-odirect", "O_DIRECT read from one block device into p2pmem, then write to another (Linux 6.2+)",
         make_p2pmem_odirect_engine},
        {"gpu", "CUDA driver API copies (dlopen libcuda.so.1): h2d, d2h (pageable, pinned), d2d, peer",
         make_gpu_engine},
        {"nvme", "Kernel NVMe engine (p2pscope.ko): bios into RAM or another device's p2pmem, queue depth",
         make_nvme_engine},
        {"dmaengine", "Kernel dmaengine copies (p2pscope.ko, DMA_MEMCPY channel): RAM<->BAR, RAM->RAM",
         make_dmaengine_engine},
    };
    return list;
}

}  // namespace p2pscope::xfer
