// SPDX-License-Identifier: GPL-2.0-or-later
#include "pci_ids.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
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


// pci.ids mapped read-only for the length of one lookup.
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
            if (map != MAP_FAILED) {
                map_ = map;
                size_ = static_cast<size_t>(st.st_size);
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (map_) ::munmap(map_, size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::string_view text() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view{}; }

private:
    void* map_ = nullptr;
    size_t size_ = 0;
};

// Calls line(text) for each line that is neither empty nor a comment.
template <class F>
void for_each_line(std::string_view text, F line) {
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        if (l.empty() || l[0] == '#') continue;
        if (!line(l)) break;
    }
}

std::optional<uint16_t> hex_word(std::string_view s) {
    return s.size() == 4 ? hex4(s) : std::nullopt;
}

}  // namespace

void resolve_names(std::vector<NameLookup>& lookups, const std::string& pci_ids) {
    // Class ids the input gave (-nn) are kept; one found by a base class's
    // name may still give way to a subclass of that name.
    std::vector<bool> given(lookups.size());
    for (size_t i = 0; i < lookups.size(); ++i) given[i] = lookups[i].class_id.has_value();
    // Names pci.ids lacks, printed as ids.
    for (auto& q : lookups) {
        std::string_view c = q.class_text;
        if (c.rfind("Class ", 0) == 0) q.class_id = hex_word(c.substr(6));
        std::string_view d = q.device_text;
        if (d.rfind("Device ", 0) == 0 && d.size() == 16 && d[11] == ':') {
            q.vendor_id = hex_word(d.substr(7, 4));
            q.device_id = hex_word(d.substr(12, 4));
        }
    }
    const MappedFile file(pci_ids);
    const std::string_view text = file.text();
    // Vendors whose name, and a blank, begin some device text: candidates.
    // Several vendors may share a prefix ("Intel Corporation" and longer);
    // the device name then decides.
    struct Candidate {
        uint16_t vendor;
        size_t name_length;
    };
    std::vector<std::vector<Candidate>> candidates(lookups.size());
    uint16_t vendor = 0;
    bool in_wanted_vendor = false;
    bool in_classes = false;
    uint8_t base_class = 0;
    std::map<std::pair<size_t, uint16_t>, std::vector<uint16_t>> devices;  // (lookup, vendor) -> device ids named so
    for_each_line(text, [&](std::string_view l) {
        if (l[0] != '\t') {
            in_wanted_vendor = false;
            if (l.size() > 2 && l[0] == 'C' && l[1] == ' ') {
                in_classes = true;
                unsigned v = 0;
                std::from_chars(l.data() + 2, l.data() + std::min<size_t>(4, l.size()), v, 16);
                base_class = static_cast<uint8_t>(v);
                const std::string_view name = l.size() > 6 ? l.substr(6) : std::string_view{};
                for (size_t i = 0; i < lookups.size(); ++i)
                    if (!given[i] && !lookups[i].class_id && lookups[i].class_text == name)
                        lookups[i].class_id = static_cast<uint16_t>(base_class << 8);
                return true;
            }
            if (in_classes || l.size() < 6) return true;
            auto id = hex4(l);
            if (!id) return true;
            vendor = *id;
            const std::string_view name = name_after_id(l);
            for (size_t i = 0; i < lookups.size(); ++i) {
                const std::string& d = lookups[i].device_text;
                if (d.size() > name.size() && d.compare(0, name.size(), name) == 0 && d[name.size()] == ' ') {
                    candidates[i].push_back({vendor, name.size()});
                    in_wanted_vendor = true;
                }
            }
            return true;
        }
        if (l.size() > 1 && l[1] == '\t') return true;  // subsystem or prog-if line
        if (in_classes) {
            // "\tss  Subclass name"
            unsigned v = 0;
            if (l.size() < 5) return true;
            std::from_chars(l.data() + 1, l.data() + 3, v, 16);
            const std::string_view name = l.substr(5);
            for (size_t i = 0; i < lookups.size(); ++i)
                if (!given[i] && lookups[i].class_text == name)
                    lookups[i].class_id = static_cast<uint16_t>(base_class << 8 | v);
            return true;
        }
        if (!in_wanted_vendor) return true;
        auto id = hex4(l.substr(1));
        if (!id) return true;
        const std::string_view name = name_after_id(l.substr(1));
        for (size_t i = 0; i < lookups.size(); ++i)
            for (const auto& c : candidates[i])
                if (c.vendor == vendor && lookups[i].device_text.size() == c.name_length + 1 + name.size() &&
                    std::string_view(lookups[i].device_text).substr(c.name_length + 1) == name)
                    devices[{i, vendor}].push_back(*id);
        return true;
    });
    for (size_t i = 0; i < lookups.size(); ++i) {
        NameLookup& q = lookups[i];
        if (q.vendor_id) continue;
        std::vector<std::pair<uint16_t, uint16_t>> found;  // named devices
        std::vector<std::pair<uint16_t, uint16_t>> by_id;  // "Vendor Device 1db8"
        for (const auto& c : candidates[i]) {
            if (auto it = devices.find({i, c.vendor}); it != devices.end())
                for (uint16_t d : it->second) found.emplace_back(c.vendor, d);
            const std::string_view rest = std::string_view(q.device_text).substr(c.name_length + 1);
            if (rest.rfind("Device ", 0) == 0 && rest.size() == 11)
                if (auto d = hex_word(rest.substr(7))) by_id.emplace_back(c.vendor, *d);
        }
        const auto& pick = found.empty() ? by_id : found;
        if (pick.size() == 1) {
            q.vendor_id = pick.front().first;
            q.device_id = pick.front().second;
        }
    }
}

void fill_names(std::vector<PciFunction>& functions, const std::string& pci_ids) {
    std::map<uint16_t, std::set<uint16_t>> wanted;
    for (const auto& f : functions)
        if (f.vendor_name.empty() && f.device_name.empty()) wanted[f.vendor_id].insert(f.device_id);
    if (wanted.empty()) return;

    const MappedFile file(pci_ids);
    const std::string_view text = file.text();
    if (text.empty()) return;

    // Each wanted vendor's block is found by searching for its line ("10de  NVIDIA
    // Corporation" after a newline: subsystem lines start with tabs and class
    // lines with "C "), and only that block is read: a handful of vendors
    // cost a fraction of reading every line of the 1.3 MB file.
    std::map<uint16_t, std::string> vendors;
    std::map<std::pair<uint16_t, uint16_t>, std::string> devices;
    for (const auto& [vendor, wanted_devices] : wanted) {
        if (vendor == 0x0000 || vendor == 0xffff) continue;  // no vendor: nothing to name
        char key[8];
        std::snprintf(key, sizeof key, "\n%04x  ", vendor);
        const void* at = ::memmem(text.data(), text.size(), key, 7);
        if (!at) continue;
        size_t pos = static_cast<size_t>(static_cast<const char*>(at) - text.data()) + 1;
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        vendors[vendor] = std::string(name_after_id(text.substr(pos, end - pos)));
        for (pos = end + 1; pos < text.size() && (text[pos] == '\t' || text[pos] == '#');) {
            end = text.find('\n', pos);
            if (end == std::string_view::npos) end = text.size();
            const std::string_view line = text.substr(pos, end - pos);
            pos = end + 1;
            if (line.size() < 2 || line[0] != '\t' || line[1] == '\t') continue;
            auto id = hex4(line.substr(1));
            if (id && wanted_devices.count(*id)) devices[{vendor, *id}] = std::string(name_after_id(line.substr(1)));
        }
    }
    for (auto& f : functions) {
        if (!f.vendor_name.empty() || !f.device_name.empty()) continue;
        if (auto v = vendors.find(f.vendor_id); v != vendors.end()) f.vendor_name = v->second;
        if (auto d = devices.find({f.vendor_id, f.device_id}); d != devices.end()) f.device_name = d->second;
    }
}

}  // namespace p2pscope::probe
