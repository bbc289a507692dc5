// SPDX-License-Identifier: GPL-2.0-or-later
// Which input a front end named, and what a file holds when it did not say.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "lspci_lines.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::probe {

bool TopologyInput::is_live() const {
    return hwloc_xml.empty() && lspci_dump.empty() && lspci_text.empty() && file.empty() &&
           (sysfs_root.empty() || sysfs_root == "/");
}

std::string this_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    if (!std::getline(in, id) || id.size() != 36) return {};  // a UUID
    return id;
}

Result<InputFormat> detect_input_format(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return make_error(Errc::not_found, path + ": no such file or directory");
    if (std::filesystem::is_directory(status)) {
        if (std::filesystem::is_directory(std::filesystem::path(path) / "sys/bus/pci/devices", ec))
            return InputFormat::sysfs_tree;
        return make_error(Errc::bad_input, path + ": a directory without sys/bus/pci/devices (not a saved sysfs tree)");
    }
    if (!std::filesystem::is_regular_file(status))
        return make_error(Errc::bad_input, path + ": not a regular file (name a file or a saved sysfs tree)");
    // The first 64 KiB tell: the formats differ in their first lines.
    std::ifstream in(path, std::ios::binary);
    std::string head(64 * 1024, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (head.find('\0') != std::string::npos)
        return make_error(Errc::bad_input, path + ": binary data, not a topology (hwloc XML, lspci text or dump)");
    const size_t first = head.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && head.compare(first, 5, "<?xml") == 0) return InputFormat::hwloc_xml;
    if (head.find("<topology") != std::string::npos) return InputFormat::hwloc_xml;
    bool device_line = false, tree = false;
    size_t pos = 0;
    while (pos < head.size()) {
        size_t end = head.find('\n', pos);
        if (end == std::string::npos) end = head.size();
        std::string_view l(head.data() + pos, end - pos);
        pos = end + 1;
        unsigned offset = 0, bytes = 0;
        if (parse_row(l, offset, bytes) && bytes > 0) return InputFormat::lspci_dump;
        const size_t sp = l.find(' ');
        if (sp != std::string_view::npos && sp >= 7 && PciAddress::parse(l.substr(0, sp)).ok()) device_line = true;
        if (!l.empty() && (l[0] == '-' || l.rfind("+-[", 0) == 0)) tree = true;
    }
    if (device_line || tree) return InputFormat::lspci_text;
    return make_error(Errc::bad_input, path + ": cannot tell what this is (expected hwloc XML, lspci -vvv text, an "
                                              "lspci -xxxx dump or a saved sysfs tree)");
}

Result<Topology> load_topology(const TopologyInput& input) {
    const int named = !input.hwloc_xml.empty() + !input.lspci_dump.empty() + !input.lspci_text.empty() +
                      !input.file.empty();
    if (named > 1)
        return make_error(Errc::invalid_argument,
                          "name one input: an hwloc XML file, an lspci dump, lspci text or a file to detect");
    if (!input.hwloc_xml.empty()) return load_hwloc_xml(input.hwloc_xml);
    if (!input.lspci_dump.empty()) return load_lspci_dump(input.lspci_dump);
    if (!input.lspci_text.empty()) return load_lspci_text(input.lspci_text);
    if (!input.file.empty()) {
        auto format = detect_input_format(input.file);
        if (!format) return format.error();
        switch (*format) {
        case InputFormat::sysfs_tree: return load_sysfs(SysfsOptions{input.file, ""});
        case InputFormat::hwloc_xml: return load_hwloc_xml(input.file);
        case InputFormat::lspci_dump: return load_lspci_dump(input.file);
        case InputFormat::lspci_text: return load_lspci_text(input.file);
        }
    }
    return load_sysfs(SysfsOptions{input.sysfs_root, ""});
}

}  // namespace p2pscope::probe
