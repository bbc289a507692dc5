// SPDX-License-Identifier: GPL-2.0-or-later
#include "libpci_reader.hpp"

#include <csetjmp>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

extern "C" {
#include <pci/pci.h>
}

#include "config_space.hpp"

namespace p2pscope::probe {

namespace {

// libpci reports fatal errors through a callback that must not return (its
// default prints and exits). The callback formats the message and longjmps
// back to the guarded call. Only libpci's C frames lie between the two, and
// the guarded regions below create no C++ objects, so no destructor is skipped.
struct Trap {
    std::jmp_buf env;
    char message[512];
    std::vector<std::string>* warnings;
};
thread_local Trap* current_trap = nullptr;

extern "C" [[noreturn]] void trap_error(char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(current_trap->message, sizeof current_trap->message, fmt, ap);
    va_end(ap);
    std::longjmp(current_trap->env, 1);
}

extern "C" void trap_warning(char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (current_trap && current_trap->warnings) current_trap->warnings->emplace_back(buf);
}

extern "C" void trap_debug(char*, ...) {}

struct AccessDeleter {
    void operator()(pci_access* a) const { pci_cleanup(a); }
};
using Access = std::unique_ptr<pci_access, AccessDeleter>;

Access make_access() {
    Access a(pci_alloc());
    a->error = trap_error;
    a->warning = trap_warning;
    a->debug = trap_debug;
    return a;
}

// Plain data gathered inside the guarded region.
struct RawFunction {  // NOLINT: plain data, filled field by field
    int domain, bus, dev, func;
    unsigned vendor, device, device_class, subsys_vendor, subsys_id, prog_if;
    bool has_subsys;
    unsigned config_len;
    uint8_t config[4096];
};

// Reads what decode_config_space() looks at, and no more: every config
// access is a bus transaction (in a VM, a trap to the hypervisor), and a
// whole 4 KiB extended space costs a millisecond per device. The standard
// 256 bytes are read whole; in extended space only each capability's header
// and the fields of ACS, ATS, SR-IOV, AER and resizable BAR are read, into their own offsets.
// Returns how much of the space the input holds: 4096, 256, 64 or 0.
unsigned read_config(pci_dev* d, uint8_t* config) {
    if (!pci_read_block(d, 0, config, 256)) return pci_read_block(d, 0, config, 64) ? 64 : 0;
    // The extended space exists only behind a PCI Express capability.
    bool pcie = false;
    if (config[0x06] & 0x10) {
        unsigned seen = 0;
        for (unsigned pos = config[0x34] & 0xfcu; pos >= 0x40 && seen++ < 48; pos = config[pos + 1] & 0xfcu)
            if (config[pos] == 0x10) pcie = true;
    }
    if (!pcie) return 256;
    uint8_t header[4];
    if (!pci_read_block(d, 0x100, header, 4)) return 256;
    unsigned pos = 0x100, seen = 0;
    while (pos >= 0x100 && pos + 4 <= 4096 && seen++ < 256) {
        if (pos != 0x100 && !pci_read_block(d, static_cast<int>(pos), header, 4)) break;
        const uint32_t h = header[0] | header[1] << 8 | header[2] << 16 | static_cast<uint32_t>(header[3]) << 24;
        std::memcpy(config + pos, header, 4);
        if (h == 0 || h == 0xffffffff) break;
        const unsigned id = h & 0xffff;
        // ACS and ATS: 4 bytes; SR-IOV, AER status: 16; resizable BAR: six entries.
        const unsigned body = id == 0x000d || id == 0x000f ? 4 : id == 0x0010 || id == 0x0001 ? 0x10 : id == 0x0015 ? 0x30 : 0;
        if (body && pos + 4 + body <= 4096) pci_read_block(d, static_cast<int>(pos + 4), config + pos + 4, static_cast<int>(body));
        pos = (h >> 20) & 0xffc;
    }
    return 4096;
}

}  // namespace

Result<std::vector<PciFunction>> read_libpci(const LibpciSource& source, std::vector<std::string>& warnings) {
    Access access = make_access();
    pci_access* a = access.get();
    if (source.method == LibpciSource::Method::dump) {
        a->method = PCI_ACCESS_DUMP;
        pci_set_param(a, const_cast<char*>("dump.name"), const_cast<char*>(source.path.c_str()));
    } else {
        a->method = PCI_ACCESS_SYS_BUS_PCI;
        pci_set_param(a, const_cast<char*>("sysfs.path"), const_cast<char*>(source.path.c_str()));
    }

    // Locals changed between setjmp and longjmp would be indeterminate after
    // it, so what the region fills lives on the heap behind a constant pointer.
    const auto raw_storage = std::make_unique<std::vector<RawFunction>>();
    std::vector<RawFunction>& raw = *raw_storage;
    const auto trap = std::make_unique<Trap>();
    trap->warnings = &warnings;
    current_trap = trap.get();
    if (setjmp(trap->env) != 0) {
        current_trap = nullptr;
        return make_error(Errc::bad_input, source.path + ": " + trap->message);
    }
    pci_init(a);
    pci_scan_bus(a);
    for (pci_dev* d = a->devices; d; d = d->next) {
        pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS);
        raw.emplace_back();
        RawFunction& r = raw.back();
        r.domain = d->domain;
        r.bus = d->bus;
        r.dev = d->dev;
        r.func = d->func;
        r.vendor = d->vendor_id;
        r.device = d->device_id;
        r.device_class = d->device_class;
        r.prog_if = d->prog_if;
        r.has_subsys = d->subsys_vendor_id != 0xffff && d->subsys_vendor_id != 0;
        r.subsys_vendor = d->subsys_vendor_id;
        r.subsys_id = d->subsys_id;
        r.config_len = read_config(d, r.config);
    }
    current_trap = nullptr;

    std::vector<PciFunction> out;
    out.reserve(raw.size());
    for (const RawFunction& r : raw) {
        PciFunction f;
        f.address = PciAddress{static_cast<uint32_t>(r.domain), static_cast<uint8_t>(r.bus),
                               static_cast<uint8_t>(r.dev), static_cast<uint8_t>(r.func)};
        f.vendor_id = static_cast<uint16_t>(r.vendor);
        f.device_id = static_cast<uint16_t>(r.device);
        f.class_code = (r.device_class & 0xffff) << 8 | (r.prog_if & 0xff);
        if (r.has_subsys) {
            f.subsystem_vendor_id = static_cast<uint16_t>(r.subsys_vendor);
            f.subsystem_id = static_cast<uint16_t>(r.subsys_id);
        }
        decode_config_space(std::span<const uint8_t>(r.config, r.config_len), f);
        out.push_back(std::move(f));
    }
    return out;
}


}  // namespace p2pscope::probe
