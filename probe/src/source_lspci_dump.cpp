// SPDX-License-Identifier: GPL-2.0-or-later
// `lspci -xxxx` dumps, read by libpci's dump method. The file is checked
// first, because libpci reads a short row as unset bytes without a word;
// a dump cut short must be an error, not a smaller device.
#include <cctype>
#include <sstream>

#include "libpci_reader.hpp"
#include "lspci_lines.hpp"
#include "pci_ids.hpp"
#include "unique_functions.hpp"
#include "p2pscope/input_file.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::probe {

namespace {

// "00:02.0 ..." or "0000:00:02.0 ...": a device header line.
bool is_device_line(const std::string& l) {
    auto at = [&](size_t i, char c) { return i < l.size() && l[i] == c; };
    auto hex_at = [&](size_t i) { return i < l.size() && is_hex(l[i]); };
    if (hex_at(0) && hex_at(1) && at(2, ':') && hex_at(3) && hex_at(4) && at(5, '.')) return true;
    return hex_at(0) && hex_at(1) && hex_at(2) && hex_at(3) && at(4, ':') && hex_at(5) && hex_at(6) &&
           at(7, ':') && hex_at(8) && hex_at(9) && at(10, '.');
}

Status check_dump(const std::string& path) {
    // libpci reads the file again itself: bounded and regular here first.
    auto text = read_input_file(path, 256u << 20, "an lspci dump");
    if (!text) return text.error();
    std::istringstream in(*text);
    std::string line, device;
    UniqueFunctions seen;
    unsigned expect = 0, lineno = 0, devices = 0;
    auto close_device = [&]() -> Status {
        if (device.empty()) return Ok{};
        if (expect != 64 && expect != 256 && expect != 4096)
            return make_error(Errc::bad_input, path + ": truncated dump: device " + device + " has " +
                                                   std::to_string(expect) +
                                                   " bytes of config space (expected 64, 256 or 4096)");
        return Ok{};
    };
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (is_device_line(line)) {
            if (auto s = close_device(); !s) return s;
            device = line.substr(0, line.find(' '));
            const std::string where = path + ":" + std::to_string(lineno);
            const auto address = PciAddress::parse(device);
            if (!address) return make_error(Errc::bad_input, where + ": " + address.error().message);
            if (auto s = seen.add(*address, where, "two dumps pasted together?"); !s) return s;
            expect = 0;
            ++devices;
            continue;
        }
        unsigned offset = 0, bytes = 0;
        if (!device.empty() && parse_row(line, offset, bytes)) {
            if (bytes == 16 && offset + 16 == expect)
                return make_error(Errc::bad_input, path + ":" + std::to_string(lineno) + ": device " + device +
                                                       ": the row at offset " + line.substr(0, line.find(':')) +
                                                       " appears twice");
            if (offset != expect || bytes != 16)
                return make_error(Errc::bad_input, path + ":" + std::to_string(lineno) + ": truncated dump: device " +
                                                       device + " row at offset " + line.substr(0, line.find(':')) +
                                                       (bytes != 16 ? " is incomplete" : " is out of order"));
            expect += 16;
        }
    }
    if (auto s = close_device(); !s) return s;
    if (devices == 0) return make_error(Errc::bad_input, path + ": not an lspci -xxxx dump (no device found)");
    return Ok{};
}

// The bridge whose secondary..subordinate range holds a bus is its parent;
// the innermost (largest secondary bus) wins.
void link_parents(std::vector<PciFunction>& fs) {
    for (auto& f : fs) {
        const PciFunction* best = nullptr;
        for (const auto& b : fs) {
            if (!b.is_bridge || !b.secondary_bus || !b.subordinate_bus || &b == &f) continue;
            if (b.address.domain != f.address.domain) continue;
            if (*b.secondary_bus == 0 || f.address.bus < *b.secondary_bus || f.address.bus > *b.subordinate_bus)
                continue;
            if (!best || *b.secondary_bus > *best->secondary_bus) best = &b;
        }
        // A bridge's secondary bus holds its children; a function on a bus
        // deeper in its range sits below a bridge the dump lacks, and heads a
        // tree of its own (finalize() notes that its top is no root bus).
        if (best && f.address.bus == *best->secondary_bus) f.parent = best->address;
    }
}

}  // namespace

Result<Topology> load_lspci_dump(const std::string& path) {
    if (auto s = check_dump(path); !s) return s.error();
    std::vector<std::string> warnings;
    auto functions = read_libpci(LibpciSource{LibpciSource::Method::dump, path}, warnings);
    if (!functions) return functions.error();
    Topology t;
    t.source = "lspci-dump:" + path;
    t.functions = std::move(*functions);
    link_parents(t.functions);
    fill_names(t.functions);
    finalize(t);
    t.notes.push_back("an lspci dump holds no NUMA locality, CPU identity or IOMMU groups, and may hold only some "
                      "of the machine's devices");
    for (auto& w : warnings) t.notes.push_back("libpci: " + w);
    return t;
}

}  // namespace p2pscope::probe
