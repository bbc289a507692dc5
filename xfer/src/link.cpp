// SPDX-License-Identifier: GPL-2.0-or-later
#include <cstdio>
#include <filesystem>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/xfer/link.hpp"

#include "p2pscope/probe/sources.hpp"
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

Result<PathInfo> describe_path(const probe::Topology& t, const std::vector<probe::PciAddress>& devices) {
    PathInfo info;
    std::vector<const probe::PciFunction*> fns;
    for (const auto& a : devices) {
        const auto* f = t.find(a);
        if (!f) return make_error(Errc::not_found, "no PCI function " + a.to_string() + " in " + t.source);
        fns.push_back(f);
        info.bdfs.push_back(a.to_string());
        if (f->link.speed_gts && f->link.width) {
            double c = probe::link_ceiling_bytes_per_s(*f->link.speed_gts, *f->link.width);
            if (!info.ceiling_bytes_per_s || c < *info.ceiling_bytes_per_s) {
                info.ceiling_bytes_per_s = c;
                char buf[96];
                std::snprintf(buf, sizeof buf, "%g GT/s x%d (%s)", *f->link.speed_gts, *f->link.width,
                              a.to_string().c_str());
                info.ceiling_link = buf;
            }
        }
    }
    if (!info.ceiling_bytes_per_s) info.ceiling_note = "unknown: the link's negotiated speed or width is not known";
    if (fns.size() >= 2) {
        auto p = probe::path_class(t, *fns[0], *fns[1]);
        info.path_class = std::string(probe::to_string(p.path));
        info.path_note = p.reason;
        auto v = probe::p2pdma_verdict(t, *fns[0], *fns[1]);
        info.p2pdma_verdict = std::string(probe::to_string(v.verdict));
        info.p2pdma_reason = v.reason;
    } else if (fns.size() == 1) {
        info.path_note = "CPU to device memory: one device, no peer pair to classify";
    }
    return info;
}

std::optional<probe::PciAddress> block_device_pci(const std::string& sysfs_root, const std::string& dev_path) {
    std::string root = sysfs_root.empty() ? "/" : sysfs_root;
    if (root.back() != '/') root += '/';
    const std::string name = std::filesystem::path(dev_path).filename().string();
    std::error_code ec;
    auto real = std::filesystem::canonical(root + "sys/class/block/" + name, ec);
    if (ec) return std::nullopt;
    std::optional<probe::PciAddress> last;
    for (const auto& part : real) {
        const std::string s = part.string();
        if (s.size() == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.')
            if (auto a = probe::PciAddress::parse(s)) last = *a;
    }
    return last;
}

Result<PathInfo> describe_request_path(const Request& q) {
    std::vector<probe::PciAddress> devs;
    if (q.device) devs.push_back(*q.device);
    if (q.peer) devs.push_back(*q.peer);
    if (!q.device && !q.block.empty())
        if (auto a = block_device_pci(q.sysfs_root, q.block)) devs.insert(devs.begin(), *a);
    for (const auto* b : {&q.source_block, &q.destination_block})
        if (!b->empty())
            if (auto a = block_device_pci(q.sysfs_root, *b)) devs.push_back(*a);
    PathInfo path;
    if (devs.empty()) {
        path.path_note = !q.file.empty() ? "no PCI device: the target is a file (harness test)"
                                         : "no device given: the engine's default device, not looked up";
        path.ceiling_note = "none: no PCI link";
        return path;
    }
    probe::TopologyInput in;
    in.sysfs_root = q.sysfs_root;
    auto t = probe::load_topology(in);
    if (t) return describe_path(*t, devs);
    path.path_note = "topology not read: " + t.error().message;
    path.ceiling_note = "unknown: " + t.error().message;
    for (const auto& d : devs) path.bdfs.push_back(d.to_string());
    return path;
}

}  // namespace p2pscope::xfer
