// SPDX-License-Identifier: GPL-2.0-or-later
// `lspci -vvv` text, as engineers paste it into tickets: with or without -nn,
// -D and a `-tv` tree in the same file. The tree comes from bridges' "Bus:"
// lines (a -tv tree, where present, must agree); ids and classes from -nn or
// from pci.ids by name; capabilities from lspci's decoded register lines.
// What the text lacks stays unknown, as for every other input.
// This file splits the text into devices' blocks of fields and a -tv tree,
// reads the tree and each device's header line, and puts the topology
// together; what the fields say is read in lspci_text_fields.cpp.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "lspci_lines.hpp"
#include "lspci_text.hpp"
#include "p2pscope/input_file.hpp"
#include "p2pscope/probe/sources.hpp"
#include "pci_ids.hpp"
#include "unique_functions.hpp"

namespace p2pscope::probe {

namespace {

using lspci_text::apply_fields;
using lspci_text::Block;
using lspci_text::hex_value;
using lspci_text::is_extended_capability;

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

// "[DDDD:]BB:DD.F " at the start of a line: a device's header.
std::optional<PciAddress> header_address(const std::string& l, size_t& end) {
    size_t sp = l.find(' ');
    if (sp == std::string::npos || sp < 7 || sp > 16) return std::nullopt;
    for (size_t i = 0; i < sp; ++i)
        if (!is_hex(l[i]) && l[i] != ':' && l[i] != '.') return std::nullopt;
    auto a = PciAddress::parse(std::string_view(l).substr(0, sp));
    if (!a.ok()) return std::nullopt;
    end = sp + 1;
    return *a;
}

std::string hex2(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x", v);
    return buf;
}

struct Parsed {
    std::vector<Block> blocks;
    std::vector<std::string> tree;  // -tv lines
};

// Outside a device's block, a line whose first visible character draws a
// -tv tree ("-[0000:00]-+-00.0", " +-01.0-[01]--", " |   \-00.1").
bool is_tree_line(const std::string& l) {
    const size_t i = l.find_first_not_of(' ');
    return i != std::string::npos && std::string_view("-+\\|").find(l[i]) != std::string_view::npos;
}

Result<Parsed> split(const std::string& path, const std::string& text) {
    Parsed out;
    std::istringstream in(text);
    std::string l;
    unsigned lineno = 0;
    Block* current = nullptr;
    UniqueFunctions seen;
    size_t tab_width = 0;  // spaces per tab, where a ticket system turned lspci's tabs into spaces
    while (std::getline(in, l)) {
        ++lineno;
        if (!l.empty() && l.back() == '\r') l.pop_back();
        if (l.empty()) {
            current = nullptr;
            continue;
        }
        // Lines indented with spaces inside a device's block: back to tabs,
        // the first such line's indent being one tab.
        if (l[0] == ' ' && current && !is_tree_line(l)) {
            const size_t spaces = l.find_first_not_of(' ');
            if (spaces == std::string::npos) continue;
            if (!tab_width) tab_width = spaces;
            l = std::string(std::max<size_t>(1, (spaces + tab_width / 2) / tab_width), '\t') + l.substr(spaces);
        }
        if (l[0] != '\t') {
            size_t end = 0;
            if (auto a = header_address(l, end)) {
                if (auto s = seen.add(*a, path + ":" + std::to_string(lineno), "two outputs pasted together?"); !s)
                    return s.error();
                out.blocks.push_back(Block{*a, l.substr(end), lineno, {}});
                current = &out.blocks.back();
            } else {
                current = nullptr;
                if (is_tree_line(l)) out.tree.push_back(l);
            }
            continue;
        }
        if (!current) continue;
        // One tab opens a field ("Bus: ...", "Capabilities: [90] Express ..."),
        // two a capability's register ("DevCtl:\tCorrErr- ...") unless the line
        // has no key (a field's second line); deeper lines continue the last.
        size_t tabs = 0;
        while (tabs < l.size() && l[tabs] == '\t') ++tabs;
        const std::string body = trim(std::string_view(l).substr(tabs));
        const size_t colon = body.find(':');
        const bool opens = tabs == 1 || (tabs == 2 && colon != std::string::npos) || current->fields.empty();
        if (opens) {
            if (colon == std::string::npos)
                current->fields.push_back({body, "", tabs});
            else
                current->fields.push_back({trim(std::string_view(body).substr(0, colon)),
                                           trim(std::string_view(body).substr(colon + 1)), tabs});
        } else {
            current->fields.back().value += " " + body;
        }
    }
    return out;
}

// The -tv tree: each device's bus, and the secondary bus of each bridge.
struct TreeFacts {
    std::set<PciAddress> devices;
    std::map<PciAddress, uint8_t> secondary;  // bridge -> the bus drawn below it
};

Result<TreeFacts> parse_tree(const std::string& path, const std::vector<std::string>& lines) {
    TreeFacts out;
    struct Open {
        size_t column;
        uint32_t domain;
        uint8_t bus;
    };
    std::vector<Open> open;  // buses drawn at these columns, innermost last
    uint32_t domain = 0;
    auto bad = [&](const std::string& what) { return make_error(Errc::bad_input, path + ": -tv tree: " + what); };
    // A bus or device drawn at a column ends the buses drawn there and to its right.
    auto close_from = [&](size_t column) {
        while (!open.empty() && open.back().column >= column) open.pop_back();
    };
    for (const auto& l : lines) {
        std::optional<PciAddress> last_device;
        size_t last_device_end = 0;
        for (size_t i = 0; i < l.size(); ++i) {
            // A device's name follows it after two blanks: the drawing has ended.
            if (l[i] == ' ' && i + 1 < l.size() && l[i + 1] == ' ' && last_device && i == last_device_end + 1) break;
            if (l[i] == '[' && i > 0 && l[i - 1] == '-') {
                const size_t close = l.find(']', i);
                if (close == std::string::npos) return bad("unclosed bus number");
                std::string inside = l.substr(i + 1, close - i - 1);  // "0000:00", "03", "03-05"
                if (auto colon = inside.find(':'); colon != std::string::npos) {
                    auto d = hex_value(inside.substr(0, colon));
                    if (!d) return bad("bad bus [" + inside + "]");
                    domain = *d;
                    inside = inside.substr(colon + 1);
                }
                auto b = hex_value(inside.substr(0, inside.find('-')));
                if (!b || *b > 0xff) return bad("bad bus [" + inside + "]");
                close_from(i);
                open.push_back({i, domain, static_cast<uint8_t>(*b)});
                if (last_device && i == last_device_end + 2) out.secondary[*last_device] = static_cast<uint8_t>(*b);
                i = close;
                continue;
            }
            if (l[i] == '-' && i + 4 < l.size() && is_hex(l[i + 1]) && is_hex(l[i + 2]) && l[i + 3] == '.' &&
                l[i + 4] >= '0' && l[i + 4] <= '7') {
                close_from(i);
                if (open.empty()) return bad("a device outside any bus");
                PciAddress a;
                a.domain = open.back().domain;
                a.bus = open.back().bus;
                a.device = static_cast<uint8_t>(*hex_value(l.substr(i + 1, 2)));
                a.function = static_cast<uint8_t>(l[i + 4] - '0');
                if (a.device > 0x1f) return bad("bad device " + l.substr(i + 1, 4));
                out.devices.insert(a);
                last_device = a;
                last_device_end = i + 4;
                i += 4;
            }
        }
    }
    return out;
}

// The header after the address: "Class name [cccc]: Vendor Device [vvvv:dddd] (rev 02) (prog-if 00 [...])",
// with or without the bracketed ids, or "cccc: vvvv:dddd" (-n).
struct Header {
    std::string class_text, device_text;
    std::optional<uint16_t> class_id, vendor_id, device_id;
    uint8_t prog_if = 0;
};

Header parse_header(std::string h) {
    Header out;
    if (auto p = h.find(" (prog-if "); p != std::string::npos) {
        if (auto v = hex_value(h.substr(p + 10, 2))) out.prog_if = static_cast<uint8_t>(*v);
        h.erase(p);
    }
    if (auto p = h.rfind(" (rev "); p != std::string::npos && h.back() == ')') h.erase(p);
    const size_t colon = h.find(": ");
    std::string cls = colon == std::string::npos ? h : h.substr(0, colon);
    std::string dev = colon == std::string::npos ? "" : h.substr(colon + 2);
    // -nn: "... [0604]" and "... [8086:2f04]"
    if (cls.size() >= 6 && cls.back() == ']' && cls[cls.size() - 6] == '[') {
        if (auto v = hex_value(cls.substr(cls.size() - 5, 4))) out.class_id = static_cast<uint16_t>(*v);
        cls = trim(cls.substr(0, cls.size() - 6));
    } else if (cls.size() == 4) {
        if (auto v = hex_value(cls)) out.class_id = static_cast<uint16_t>(*v);
    }
    if (dev.size() >= 11 && dev.back() == ']' && dev[dev.size() - 11] == '[' && dev[dev.size() - 6] == ':') {
        out.vendor_id = static_cast<uint16_t>(hex_value(dev.substr(dev.size() - 10, 4)).value_or(0));
        out.device_id = static_cast<uint16_t>(hex_value(dev.substr(dev.size() - 5, 4)).value_or(0));
        dev = trim(dev.substr(0, dev.size() - 11));
    } else if (dev.size() == 9 && dev[4] == ':') {
        const auto vendor = hex_value(dev.substr(0, 4)), device = hex_value(dev.substr(5));
        if (vendor && device) {
            out.vendor_id = static_cast<uint16_t>(*vendor);
            out.device_id = static_cast<uint16_t>(*device);
            dev.clear();
        }
    }
    out.class_text = cls;
    out.device_text = dev;
    return out;
}

}  // namespace

Result<Topology> load_lspci_text(const std::string& path) {
    auto text = read_input_file(path, 64u << 20, "lspci -vvv text");
    if (!text) return text.error();
    auto parsed = split(path, *text);
    if (!parsed) return parsed.error();
    if (parsed->blocks.empty())
        return make_error(Errc::bad_input, path + (parsed->tree.empty()
                                                        ? ": not lspci text (no device found)"
                                                        : ": a -tv tree alone names no device classes; give lspci -vvv "
                                                          "output (the tree may follow it in the same file)"));
    Topology t;
    t.source = "lspci-text:" + path;
    bool extended_visible = false;
    for (const auto& b : parsed->blocks)
        for (const auto& field : b.fields)
            if (field.key == "Capabilities" && is_extended_capability(field.value)) extended_visible = true;

    std::vector<NameLookup> lookups;
    std::vector<Header> headers;
    for (const auto& b : parsed->blocks) {
        const Header& h = headers.emplace_back(parse_header(b.header));
        lookups.push_back(NameLookup{h.device_text, h.class_text, h.vendor_id, h.device_id, h.class_id});
    }
    if (std::any_of(lookups.begin(), lookups.end(),
                    [](const NameLookup& q) { return !q.vendor_id || !q.class_id; }))
        resolve_names(lookups);

    unsigned denied = 0;
    std::vector<std::string> unresolved;
    for (size_t i = 0; i < parsed->blocks.size(); ++i) {
        const Block& b = parsed->blocks[i];
        PciFunction f;
        f.address = b.address;
        const NameLookup& q = lookups[i];
        f.ids_known = q.vendor_id && q.device_id && q.class_id;
        f.vendor_id = q.vendor_id.value_or(0xffff);
        f.device_id = q.device_id.value_or(0xffff);
        f.class_code = static_cast<uint32_t>(q.class_id.value_or(0xff00)) << 8 | headers[i].prog_if;
        // Named from pci.ids by id, as every input; as printed where no id is known.
        if (!f.ids_known) {
            unresolved.push_back(b.address.to_string() + " (\"" + headers[i].device_text + "\")");
            f.device_name = headers[i].device_text;
        }
        bool access_denied = false;
        apply_fields(b, extended_visible, f, access_denied);
        if (access_denied) ++denied;
        t.functions.push_back(std::move(f));
    }
    if (!parsed->tree.empty()) {
        // The tree drawn by -tv must be the machine the -vvv text describes;
        // it supplies bridges' buses where the text lacks "Bus:" lines.
        auto tree = parse_tree(path, parsed->tree);
        if (!tree) return tree.error();
        for (auto& f : t.functions) {
            if (!tree->devices.count(f.address))
                return make_error(Errc::bad_input, path + ": the -tv tree lacks " + f.address.to_string() +
                                                       ", which the -vvv text has (outputs of two machines?)");
            auto it = tree->secondary.find(f.address);
            if (it == tree->secondary.end()) continue;
            if (f.secondary_bus && *f.secondary_bus != it->second)
                return make_error(Errc::bad_input, path + ": bridge " + f.address.to_string() + ": the -tv tree "
                                                       "puts bus " + hex2(it->second) + " below it, its Bus: line " +
                                                       hex2(*f.secondary_bus));
            f.is_bridge = true;
            f.secondary_bus = it->second;
        }
        if (tree->devices.size() != t.functions.size())
            return make_error(Errc::bad_input, path + ": the -tv tree has " + std::to_string(tree->devices.size()) +
                                                   " devices, the -vvv text " + std::to_string(t.functions.size()) +
                                                   " (outputs of two machines?)");
    }
    // The parent of a function: the bridge whose secondary bus it is on.
    for (auto& f : t.functions)
        for (const auto& g : t.functions)
            if (g.is_bridge && g.secondary_bus && *g.secondary_bus != 0 && g.address.domain == f.address.domain &&
                *g.secondary_bus == f.address.bus)
                f.parent = g.address;
    finalize(t);
    fill_names(t.functions);
    t.notes.push_back("lspci text holds no CPU identity and NUMA locality only where lspci printed \"NUMA node\"");
    if (denied)
        t.notes.push_back(std::to_string(denied) + " functions' capabilities were not readable when lspci ran "
                          "(\"<access denied>\": run it as root): their ACS state and links are unknown");
    if (!extended_visible)
        t.notes.push_back("no extended capability appears in this text (lspci ran without root, or on a dump of 256 "
                          "bytes): ACS state is unknown");
    if (!unresolved.empty()) {
        std::string list;
        for (size_t i = 0; i < unresolved.size() && i < 5; ++i) list += (i ? ", " : "") + unresolved[i];
        if (unresolved.size() > 5) list += ", ...";
        t.notes.push_back(std::to_string(unresolved.size()) + " devices' names do not map to one id in this "
                          "machine's pci.ids (rerun lspci with -nn): " + list);
    }
    return t;
}

}  // namespace p2pscope::probe
