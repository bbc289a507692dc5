// SPDX-License-Identifier: GPL-2.0-or-later
#include "pci_ids.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <map>
#include <set>
#include <string_view>

namespace p2pscope::probe {

namespace {

std::optional<uint16_t> hex4(std::string_view s) {
    unsigned v = 0;
    if (s.size() < 4) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + 4, v, 16);
    if (ec != std::errc() || p != s.data() + 4) return std::nullopt;
    return static_cast<uint16_t>(v);
}

// "vvvv  Name" after the id and two spaces.
std::string_view name_after_id(std::string_view line) {
    auto pos = line.find_first_not_of(' ', 4);
    return pos == std::string_view::npos ? std::string_view{} : line.substr(pos);
}

}  // namespace

void fill_names(std::vector<PciFunction>& functions, const std::string& pci_ids) {
    std::map<uint16_t, std::set<uint16_t>> wanted;
    for (const auto& f : functions)
        if (f.vendor_name.empty() && f.device_name.empty()) wanted[f.vendor_id].insert(f.device_id);
    if (wanted.empty()) return;

    const int fd = ::open(pci_ids.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        ::close(fd);
        return;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return;
    const std::string_view text(static_cast<const char*>(map), size);

    std::map<uint16_t, std::string> vendors;
    std::map<std::pair<uint16_t, uint16_t>, std::string> devices;
    const std::set<uint16_t>* current = nullptr;  // devices wanted of the vendor being read
    uint16_t current_vendor = 0;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty() || line[0] == '#') continue;
        if (line[0] != '\t') {
            // The class list ("C 0c ...") follows the vendors: nothing more to find.
            if (line[0] == 'C' && line.size() > 1 && line[1] == ' ') break;
            current = nullptr;
            auto id = hex4(line);
            if (!id) continue;
            auto it = wanted.find(*id);
            if (it == wanted.end()) continue;
            current = &it->second;
            current_vendor = *id;
            vendors[*id] = std::string(name_after_id(line));
        } else if (current && line.size() > 1 && line[1] != '\t') {
            auto id = hex4(line.substr(1));
            if (id && current->count(*id)) devices[{current_vendor, *id}] = std::string(name_after_id(line.substr(1)));
        }
    }
    ::munmap(map, size);

    for (auto& f : functions) {
        if (!f.vendor_name.empty() || !f.device_name.empty()) continue;
        if (auto v = vendors.find(f.vendor_id); v != vendors.end()) f.vendor_name = v->second;
        if (auto d = devices.find({f.vendor_id, f.device_id}); d != devices.end()) f.device_name = d->second;
    }
}

}  // namespace p2pscope::probe
