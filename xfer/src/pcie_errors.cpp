// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/xfer/pcie_errors.hpp"

#include <filesystem>
#include <fstream>
#include <regex>

namespace p2pscope::xfer {

std::vector<std::string> pci_path_dirs(const std::string& device_dir) {
    namespace fs = std::filesystem;
    static const std::regex bdf(R"([0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])");
    std::error_code ec;
    const fs::path real = fs::canonical(device_dir, ec);
    std::vector<std::string> out;
    if (ec) return out;
    fs::path at;
    for (const auto& part : real) {
        at /= part;
        if (std::regex_match(part.string(), bdf)) out.push_back(at.string());
    }
    return out;
}

std::optional<AerTotals> read_aer_totals(const std::string& pci_dir) {
    auto total = [](const std::string& file, const std::string& key) -> std::optional<uint64_t> {
        std::ifstream in(file);
        std::string name;
        uint64_t n = 0;
        while (in >> name >> n)
            if (name == key) return n;
        return std::nullopt;
    };
    auto fatal = total(pci_dir + "/aer_dev_fatal", "TOTAL_ERR_FATAL");
    auto nonfatal = total(pci_dir + "/aer_dev_nonfatal", "TOTAL_ERR_NONFATAL");
    if (!fatal || !nonfatal) return std::nullopt;
    return AerTotals{*fatal, *nonfatal};
}

PcieErrorWatch::PcieErrorWatch(const std::vector<std::string>& device_dirs) {
    for (const auto& dev : device_dirs)
        for (const auto& dir : pci_path_dirs(dev)) {
            bool seen = false;
            for (const auto& [d, t] : before_) seen = seen || d == dir;
            if (seen) continue;
            if (auto t = read_aer_totals(dir)) before_.emplace_back(dir, *t);
        }
}

std::vector<std::string> PcieErrorWatch::uncorrectable_since() const {
    std::vector<std::string> out;
    for (const auto& [dir, was] : before_) {
        auto now = read_aer_totals(dir);
        if (!now) continue;
        const std::string name = std::filesystem::path(dir).filename().string();
        if (now->fatal > was.fatal) out.push_back(name + ": aer_dev_fatal +" + std::to_string(now->fatal - was.fatal));
        if (now->nonfatal > was.nonfatal)
            out.push_back(name + ": aer_dev_nonfatal +" + std::to_string(now->nonfatal - was.nonfatal));
    }
    return out;
}

}  // namespace p2pscope::xfer
