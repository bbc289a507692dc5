// SPDX-License-Identifier: GPL-2.0-or-later
// Live input: /sys/bus/pci (libpci's linux-sysfs method for config space,
// direct reads for what only Linux knows: IOMMU groups, p2pmem, drivers),
// hwloc for locality. A root other than "/" reads an unpacked copy.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <algorithm>

#include "config_space.hpp"
#include "hwloc_view.hpp"
#include "libpci_reader.hpp"
#include "pci_ids.hpp"
#include "p2pscope/probe/sources.hpp"

namespace fs = std::filesystem;

namespace p2pscope::probe {

namespace {

std::optional<std::string> read_line(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    return line;
}

std::optional<long long> read_number(const fs::path& p) {
    auto s = read_line(p);
    if (!s || s->empty()) return std::nullopt;
    try {
        size_t used = 0;
        long long v = std::stoll(*s, &used, 0);
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<std::string> link_target_name(const fs::path& p) {
    std::error_code ec;
    if (!fs::is_symlink(p, ec)) return std::nullopt;
    auto target = fs::read_symlink(p, ec);
    if (ec) return std::nullopt;
    return target.filename().string();
}

// "8.0 GT/s PCIe", "8 GT/s", "Unknown"
std::optional<double> parse_speed(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    try {
        double v = std::stod(*s);
        return v > 0 ? std::optional<double>(v) : std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<Cpu> read_cpuinfo(const fs::path& p) {
    std::ifstream in(p);
    if (!in) return std::nullopt;
    Cpu cpu;
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            if (!cpu.vendor.empty()) break;  // end of the first processor's block
            continue;
        }
        std::string key = line.substr(0, colon);
        while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
        std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
        if (key == "vendor_id") cpu.vendor = value;
        if (key == "cpu family") try { cpu.family = std::stoi(value); } catch (...) {}
        if (key == "model name") cpu.model_name = value;
    }
    if (cpu.vendor.empty()) return std::nullopt;
    return cpu;
}

// sysfs `resource`: one "start end flags" line per resource, BARs first.
void read_bar_sizes(const fs::path& p, PciFunction& f) {
    std::ifstream in(p);
    std::string line;
    for (int index = 0; index < 6 && std::getline(in, line); ++index) {
        unsigned long long start = 0, end = 0, flags = 0;
        if (std::sscanf(line.c_str(), "%llx %llx %llx", &start, &end, &flags) != 3 || end <= start) continue;
        for (auto& bar : f.bars)
            if (bar.index == index) bar.size_bytes = end - start + 1;
    }
}

// aer_dev_correctable, aer_dev_nonfatal, aer_dev_fatal (Linux 4.19+): "Name count"
// lines ending with a TOTAL_ERR_* line.
void read_aer_counters(const fs::path& dev, PciFunction& f) {
    static constexpr std::pair<const char*, std::optional<uint64_t> Aer::*> files[] = {
        {"aer_dev_correctable", &Aer::correctable_total},
        {"aer_dev_nonfatal", &Aer::nonfatal_total},
        {"aer_dev_fatal", &Aer::fatal_total},
    };
    for (const auto& [file, total] : files) {
        std::ifstream in(dev / file);
        if (!in) continue;
        Aer aer = f.aer.value_or(Aer{});
        std::string name;
        unsigned long long count = 0;
        while (in >> name >> count) {
            if (name.rfind("TOTAL_ERR_", 0) == 0)
                aer.*total = count;
            else if (count > 0)
                aer.counters.emplace_back(name, count);
        }
        f.aer = std::move(aer);
    }
}

void read_linux_attributes(const fs::path& root, const fs::path& dev, PciFunction& f, std::vector<std::string>& notes) {
    std::error_code ec;
    const fs::path real = fs::canonical(dev, ec);
    if (!ec) {
        // .../devices/pci0000:17/0000:17:00.0/0000:18:00.0: the parent directory
        // is the upstream bridge, the top one names the root bus.
        const std::string up = real.parent_path().filename().string();
        if (auto parent = PciAddress::parse(up); parent.ok()) f.parent = *parent;
        for (fs::path p = real; !p.empty() && p != p.root_path(); p = p.parent_path()) {
            const std::string name = p.filename().string();
            if (name.rfind("pci", 0) == 0 && name.size() > 3 && name.find(':') != std::string::npos) {
                f.host_bridge = name.substr(3);
                break;
            }
        }
    } else {
        notes.push_back(dev.string() + ": cannot resolve (" + ec.message() + ")");
    }
    if (auto pf = link_target_name(dev / "physfn"))
        if (auto a = PciAddress::parse(*pf); a.ok()) f.physfn = *a;
    if (auto group = link_target_name(dev / "iommu_group")) {
        try {
            f.iommu_group = std::stoi(*group);
        } catch (...) {
        }
        if (auto type = read_line(root / "sys/kernel/iommu_groups" / *group / "type")) f.iommu_domain_type = *type;
    }
    if (auto driver = link_target_name(dev / "driver")) f.driver = *driver;
    if (auto node = read_number(dev / "numa_node"); node && *node >= 0) f.numa_node = static_cast<int>(*node);
    if (fs::exists(dev / "p2pmem", ec)) {
        P2pmem m;
        m.size_bytes = static_cast<uint64_t>(read_number(dev / "p2pmem/size").value_or(0));
        m.available_bytes = static_cast<uint64_t>(read_number(dev / "p2pmem/available").value_or(0));
        m.published = read_number(dev / "p2pmem/published").value_or(0) != 0;
        f.p2pmem = m;
    }
    // Config space below 256 bytes has no PCIe capability; sysfs still says the link.
    if (!f.link.speed_gts) f.link.speed_gts = parse_speed(read_line(dev / "current_link_speed"));
    if (!f.link.max_speed_gts) f.link.max_speed_gts = parse_speed(read_line(dev / "max_link_speed"));
    if (!f.link.width)
        if (auto w = read_number(dev / "current_link_width"); w && *w > 0) f.link.width = static_cast<int>(*w);
    if (!f.link.max_width)
        if (auto w = read_number(dev / "max_link_width"); w && *w > 0) f.link.max_width = static_cast<int>(*w);
    read_bar_sizes(dev / "resource", f);
    read_aer_counters(dev, f);
    // amdgpu says how much memory the GPU has; with the BAR size that tells whether the BAR covers it.
    if (auto vram = read_number(dev / "mem_info_vram_total"); vram && *vram > 0)
        f.device_memory_bytes = static_cast<uint64_t>(*vram);
    if (!f.sriov) {
        auto total = read_number(dev / "sriov_totalvfs");
        if (total && *total > 0)
            f.sriov = Sriov{static_cast<uint16_t>(*total),
                            static_cast<uint16_t>(read_number(dev / "sriov_numvfs").value_or(0))};
    }
}

// A function's config file: as much of its 4096 bytes as the reader may see
// (64 without root on a live system; saved trees often hold 64 too).
std::vector<uint8_t> read_config_file(const fs::path& dir) {
    std::ifstream in(dir / "config", std::ios::binary);
    std::vector<uint8_t> config(4096);
    in.read(reinterpret_cast<char*>(config.data()), static_cast<std::streamsize>(config.size()));
    config.resize(static_cast<size_t>(in.gcount()));
    return config;
}

// "KEY=VALUE" from a device's uevent file.
std::optional<std::string> uevent_value(const fs::path& dir, const std::string& key) {
    std::ifstream in(dir / "uevent");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    return std::nullopt;
}

// One function read from its sysfs directory alone: a bridge in a device's
// path that sys/bus/pci/devices lacks (a trimmed copy of a tree), or every
// function of a tree libpci refuses. Saved trees do not all have the `vendor`
// and `device` files (seen on POWER9 machines): the ids then come from
// `uevent` (PCI_ID, PCI_CLASS) or the config space's first bytes.
std::optional<PciFunction> read_function_dir(const fs::path& dir, const PciAddress& address) {
    const std::vector<uint8_t> config = read_config_file(dir);
    auto vendor = read_number(dir / "vendor");
    auto device = read_number(dir / "device");
    auto cls = read_number(dir / "class");
    if ((!vendor || !device)) {
        if (auto id = uevent_value(dir, "PCI_ID")) {
            unsigned v = 0, d = 0;
            if (std::sscanf(id->c_str(), "%x:%x", &v, &d) == 2) vendor = v, device = d;
        }
    }
    if (!cls)
        if (auto c = uevent_value(dir, "PCI_CLASS")) try { cls = std::stoll(*c, nullptr, 16); } catch (...) {}
    if ((!vendor || !device) && config.size() >= 4) vendor = config[0] | config[1] << 8, device = config[2] | config[3] << 8;
    if (!cls && config.size() >= 12) cls = config[9] | config[10] << 8 | config[11] << 16;
    if (!vendor || !device || !cls) return std::nullopt;
    PciFunction f;
    f.address = address;
    f.vendor_id = static_cast<uint16_t>(*vendor);
    f.device_id = static_cast<uint16_t>(*device);
    f.class_code = static_cast<uint32_t>(*cls) & 0xffffff;
    decode_config_space(config, f);
    return f;
}

// Every function of sys/bus/pci/devices read directly, when libpci cannot
// read the tree; a function that says nothing of its ids is left out, named.
std::vector<PciFunction> read_function_dirs(const fs::path& devices, std::vector<std::string>& notes) {
    std::vector<PciFunction> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(devices, ec)) {
        auto address = PciAddress::parse(entry.path().filename().string());
        if (!address.ok()) continue;
        if (auto f = read_function_dir(entry.path(), *address))
            out.push_back(std::move(*f));
        else
            notes.push_back(address->to_string() + ": no vendor, device or class in its sysfs directory (left out)");
    }
    return out;
}

}  // namespace

std::optional<Aer> read_aer_state(const std::string& sysfs_root, const PciAddress& address) {
    const fs::path dev = fs::path(sysfs_root.empty() ? "/" : sysfs_root) / "sys/bus/pci/devices" / address.to_string();
    // The status registers (config space beyond 256 bytes: readable by root) and Linux's counters.
    PciFunction f;
    decode_config_space(read_config_file(dev), f);
    read_aer_counters(dev, f);
    return f.aer;
}

Result<Topology> load_sysfs(const SysfsOptions& options) {
    const fs::path root = options.root.empty() ? fs::path("/") : fs::path(options.root);
    const fs::path bus = root / "sys/bus/pci";
    const fs::path devices = bus / "devices";
    std::error_code ec;
    if (!fs::is_directory(devices, ec))
        return make_error(Errc::bad_input, options.root + ": no sys/bus/pci/devices here (not a sysfs tree)");

    Topology t;
    t.source = "sysfs:" + root.string();
    t.root_buses_complete = true;
    t.has_iommu_data = fs::is_directory(root / "sys/kernel/iommu_groups", ec);

    std::vector<std::string> warnings;
    auto functions = read_libpci(LibpciSource{LibpciSource::Method::sysfs, bus.string()}, warnings);
    if (functions) {
        t.functions = std::move(*functions);
    } else {
        // libpci gives up on the whole tree at the first function it cannot
        // read; read what is there instead, and say so.
        t.notes.push_back("libpci cannot read this tree (" + functions.error().message +
                          "): its functions were read from their sysfs directories");
        t.functions = read_function_dirs(devices, t.notes);
    }
    if (t.functions.empty()) return make_error(Errc::bad_input, devices.string() + ": no PCI functions");

    for (auto& f : t.functions) read_linux_attributes(root, devices / f.address.to_string(), f, t.notes);
    for (size_t i = 0; i < t.functions.size(); ++i) {
        const PciFunction f = t.functions[i];
        if (!f.parent || std::any_of(t.functions.begin(), t.functions.end(),
                                     [&](const PciFunction& g) { return g.address == *f.parent; }))
            continue;
        const fs::path dir = fs::canonical(devices / f.address.to_string()).parent_path();
        auto ghost = read_function_dir(dir, *f.parent);
        if (!ghost) {
            t.notes.push_back("bridge " + f.parent->to_string() + " above " + f.address.to_string() +
                              " is not readable in this tree");
            continue;
        }
        read_linux_attributes(root, dir, *ghost, t.notes);
        t.notes.push_back(f.parent->to_string() + " is in the device tree but not in sys/bus/pci/devices "
                          "(read from its directory)");
        t.functions.push_back(std::move(*ghost));  // checked in turn: its own parent may be missing too
    }
    fill_names(t.functions, options.pci_ids.empty() ? kDefaultPciIds : options.pci_ids);
    unsigned partial = 0;
    for (const auto& f : t.functions)
        if (!f.acs_known()) ++partial;
    if (partial)
        t.notes.push_back(std::to_string(partial) + " of " + std::to_string(t.functions.size()) +
                          " functions have no readable extended config space in this input (reading it needs "
                          "root; saved trees often hold 64 bytes): their ACS state is unknown");
    if (!t.has_iommu_data) t.notes.push_back("no IOMMU groups: the IOMMU is off or absent");
    for (auto& w : warnings) t.notes.push_back("libpci: " + w);

    t.cpu = read_cpuinfo(root / "proc/cpuinfo");
    if (auto cmdline = read_line(root / "proc/cmdline")) t.cmdline = parse_kernel_command_line(*cmdline);
    finalize(t);
    auto hw = load_hwloc_fsroot(root.string(), false);
    if (hw) {
        apply_sysfs_locality(hw->get(), root.string(), t);
        finalize(t);
    } else {
        t.notes.push_back("hwloc: " + hw.error().message + " (NUMA locality unknown)");
    }
    return t;
}

Status export_hwloc_xml(const SysfsOptions& options, const std::string& path) {
    auto hw = load_hwloc_fsroot(options.root, true);
    if (!hw) return hw.error();
    if (hwloc_topology_export_xml(hw->get(), path.c_str(), 0) != 0)
        return make_error(Errc::system, path + ": cannot write hwloc XML");
    return Ok{};
}

}  // namespace p2pscope::probe
