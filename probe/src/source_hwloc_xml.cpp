// SPDX-License-Identifier: GPL-2.0-or-later
// hwloc XML from any machine: the PCI tree, link bandwidth, packages, NUMA
// nodes and CPU identity. It carries no config space (so no ACS, port types or
// link capabilities) and no IOMMU groups, and it may omit devices hwloc found
// unimportant; the analysis says unknown where that matters.
#include "hwloc_view.hpp"
#include "p2pscope/input_file.hpp"
#include "libpci_reader.hpp"
#include "pci_ids.hpp"
#include "unique_functions.hpp"
#include "p2pscope/probe/sources.hpp"

namespace p2pscope::probe {

Result<Topology> load_hwloc_xml(const std::string& path) {
    // hwloc reads the file itself: a regular file of bounded size first.
    if (auto s = check_input_file(path, 256u << 20, "an hwloc XML topology"); !s) return s.error();
    auto hw = load_hwloc_xml_file(path);
    if (!hw) return hw.error();
    Topology t;
    t.source = "hwloc-xml:" + path;
    t.functions = hwloc_pci_functions(hw->get());
    if (t.functions.empty())
        return make_error(Errc::bad_input, path + ": the topology holds no PCI devices (exported without I/O?)");
    UniqueFunctions seen;
    for (const auto& f : t.functions)
        if (auto s = seen.add(f.address, path, "hwloc exports each device once: a file edited or merged by hand?"); !s)
            return s.error();
    fill_names(t.functions);
    finalize(t);
    apply_hwloc_locality(hw->get(), t);
    finalize(t);
    t.notes.push_back("hwloc XML holds no PCI config space: ACS state, port types and link capabilities are unknown");
    t.notes.push_back("hwloc XML holds no IOMMU groups");
    return t;
}

}  // namespace p2pscope::probe
