// SPDX-License-Identifier: GPL-2.0-or-later
#include "p2pscope/gui/synthetic.hpp"

#include <cstdio>
#include <string>

namespace p2pscope::gui {

namespace {

probe::PciFunction bridge(uint32_t domain, uint8_t bus, uint8_t dev, uint8_t sec, uint8_t sub, probe::PortType type,
                          std::optional<probe::PciAddress> parent, const char* hb) {
    probe::PciFunction f;
    f.address = {domain, bus, dev, 0};
    f.vendor_id = type == probe::PortType::root_port ? 0x8086 : 0x10b5;
    f.device_id = type == probe::PortType::root_port ? 0x2030 : 0x9797;
    f.vendor_name = type == probe::PortType::root_port ? "Intel Corporation" : "PLX Technology, Inc.";
    f.device_name = type == probe::PortType::root_port ? "Sky Lake-E PCI Express Root Port A"
                                                       : "PEX 88096 PCIe Gen 4 switch";
    f.class_code = 0x060400;
    f.is_bridge = true;
    f.secondary_bus = sec;
    f.subordinate_bus = sub;
    f.parent = parent;
    f.host_bridge = hb;
    f.config_bytes = 4096;
    f.port_type = type;
    f.link = {16.0, 16, 16.0, 16, std::nullopt};
    f.acs = probe::Acs{0x005f, 0x0000};
    f.mps_bytes = 256;
    f.mrrs_bytes = 512;
    return f;
}

}  // namespace

probe::Topology make_synthetic_topology(int endpoints) {
    probe::Topology t;
    t.source = "synthetic:" + std::to_string(endpoints) + "-endpoints";
    t.cpu = probe::Cpu{"GenuineIntel", 6, "synthetic Xeon"};
    t.root_buses_complete = true;
    t.has_iommu_data = true;
    const int host_bridges = (endpoints + 15) / 16;
    t.packages = host_bridges >= 2 ? 2 : 1;
    t.numa_nodes = host_bridges >= 4 ? 4 : *t.packages;
    int endpoint_no = 0, group = 0;
    for (int h = 0; h < host_bridges; ++h) {
        // Four host bridges per PCI segment, 29 buses each.
        const uint32_t domain = static_cast<uint32_t>(h / 4);
        const uint8_t rb = static_cast<uint8_t>((h % 4) * 32);
        char id[16];
        std::snprintf(id, sizeof id, "%04x:%02x", domain, rb);
        probe::HostBridge hb;
        hb.id = id;
        hb.domain = domain;
        hb.root_bus = rb;
        hb.subordinate_bus = static_cast<uint8_t>(rb + 28);
        hb.numa_node = h * *t.numa_nodes / host_bridges;
        hb.package = *hb.numa_node * *t.packages / *t.numa_nodes;
        t.host_bridges.push_back(hb);

        probe::PciFunction host;  // the host bridge's own function: what the kernel's whitelist reads
        host.address = {domain, rb, 0, 0};
        host.vendor_id = 0x8086;
        host.device_id = 0x2020;
        host.vendor_name = "Intel Corporation";
        host.device_name = "Sky Lake-E DMI3 Registers";
        host.class_code = 0x060000;
        host.host_bridge = id;
        host.config_bytes = 4096;
        t.functions.push_back(host);

        auto u8 = [](int v) { return static_cast<uint8_t>(v); };
        // Two root ports, each with a switch of two ports, each with a switch of four endpoints: 14 buses a port.
        for (int p = 0; p < 2; ++p) {
            const uint8_t base = u8(rb + 1 + p * 14);
            const probe::PciAddress rp{domain, rb, u8(1 + p), 0};
            t.functions.push_back(bridge(domain, rb, u8(1 + p), base, u8(base + 13), probe::PortType::root_port,
                                         std::nullopt, id));
            const probe::PciAddress us{domain, base, 0, 0};
            t.functions.push_back(bridge(domain, base, 0, u8(base + 1), u8(base + 13), probe::PortType::upstream_port,
                                         rp, id));
            for (int d = 0; d < 2; ++d) {
                const uint8_t sec = u8(base + 2 + d * 6);
                auto ds = bridge(domain, u8(base + 1), u8(d), sec, u8(sec + 5), probe::PortType::downstream_port, us, id);
                // Every third first-level port redirects peer requests upstream (ACS ReqRedir + CmpltRedir).
                if ((group++ % 3) == 2) ds.acs->control = 0x001d;
                t.functions.push_back(ds);
                const probe::PciAddress us2{domain, sec, 0, 0};
                t.functions.push_back(bridge(domain, sec, 0, u8(sec + 1), u8(sec + 5), probe::PortType::upstream_port,
                                             ds.address, id));
                for (int e = 0; e < 4; ++e) {
                    const uint8_t esec = u8(sec + 2 + e);
                    auto ds2 = bridge(domain, u8(sec + 1), u8(e), esec, esec, probe::PortType::downstream_port, us2, id);
                    probe::PciFunction ep;
                    ep.address = {domain, esec, 0, 0};
                    ep.parent = ds2.address;
                    ep.host_bridge = id;
                    ep.config_bytes = 4096;
                    ep.port_type = probe::PortType::endpoint;
                    ep.mps_bytes = 256;
                    ep.mrrs_bytes = 512;
                    ep.iommu_group = 100 + endpoint_no;
                    ep.iommu_domain_type = "DMA-FQ";
                    ep.ats_enabled = false;
                    const int slot = e + 4 * d + 8 * p;
                    if (slot % 4 < 2) {
                        ep.vendor_id = 0x10de;
                        ep.device_id = 0x20b0;
                        ep.vendor_name = "NVIDIA Corporation";
                        ep.device_name = "GA100 [A100 SXM4 40GB]";
                        ep.class_code = 0x030200;
                        ep.driver = "nvidia";
                    } else if (slot % 4 == 2) {
                        ep.vendor_id = 0x15b3;
                        ep.device_id = 0x101b;
                        ep.vendor_name = "Mellanox Technologies";
                        ep.device_name = "MT28908 Family [ConnectX-6]";
                        ep.class_code = 0x020700;
                        ep.driver = "mlx5_core";
                        ep.sriov = probe::Sriov{16, 0};
                    } else {
                        ep.vendor_id = 0x144d;
                        ep.device_id = 0xa824;
                        ep.vendor_name = "Samsung Electronics Co Ltd";
                        ep.device_name = "NVMe SSD Controller PM173X";
                        ep.class_code = 0x010802;
                        ep.driver = "nvme";
                        ep.p2pmem = probe::P2pmem{256ull << 20, 200ull << 20, true};
                    }
                    ep.link = {16.0, 16, 16.0, 16, std::nullopt};
                    if (endpoint_no % 37 == 5) ep.link.speed_gts = 8.0;  // trained below its capability
                    if (endpoint_no % 53 == 11) ep.link.width = 8;
                    t.functions.push_back(ds2);
                    t.functions.push_back(ep);
                    ++endpoint_no;
                }
            }
        }
    }
    probe::finalize(t);
    return t;
}

}  // namespace p2pscope::gui
