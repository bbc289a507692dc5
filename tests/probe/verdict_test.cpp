// SPDX-License-Identifier: GPL-2.0-or-later
// Synthetic topologies for every branch of the P2PDMA verdict
// (drivers/pci/p2pdma.c, calc_map_type_and_dist()) and of the path classes.
#include <gtest/gtest.h>

#include "p2pscope/probe/analysis.hpp"

using namespace p2pscope::probe;

namespace {

PciAddress bdf(const char* s) { return *PciAddress::parse(s); }

// A small builder: functions with full (4096-byte) config space, ACS off.
struct Builder {
    Topology t;
    Builder() {
        t.source = "synthetic";
        t.root_buses_complete = true;
        t.cpu = Cpu{"GenuineIntel", 6, ""};
    }
    PciFunction& add(const char* address, const char* parent, bool bridge, PortType type, uint16_t vendor = 0x1234,
                     uint16_t device = 0x0001, uint32_t class_code = 0x030200) {
        PciFunction f;
        f.address = bdf(address);
        if (parent) f.parent = bdf(parent);
        f.is_bridge = bridge;
        f.port_type = type;
        f.vendor_id = vendor;
        f.device_id = device;
        f.class_code = bridge ? 0x060400 : class_code;
        f.config_bytes = 4096;
        t.functions.push_back(f);
        return t.functions.back();
    }
    void acs(const char* address, uint16_t control) {
        for (auto& f : t.functions)
            if (f.address == bdf(address)) f.acs = Acs{0x007f, control};
    }
    Topology& done() {
        finalize(t);
        return t;
    }
};

const PciFunction& fn(const Topology& t, const char* a) { return *t.find(bdf(a)); }

// Root bus 00: host bridge 00:00.0 (vendor/device chosen per test), root port
// 00:01.0 -> switch upstream 01:00.0 -> downstream 02:00.0 / 02:01.0 -> GPUs
// 03:00.0 / 04:00.0 (04:00.1 a second function); root port 00:02.0 -> 05:00.0.
Builder server(uint16_t hb_vendor, uint16_t hb_device) {
    Builder b;
    b.add("0000:00:00.0", nullptr, false, PortType::rc_integrated_endpoint, hb_vendor, hb_device, 0x060000);
    b.add("0000:00:01.0", nullptr, true, PortType::root_port);
    b.add("0000:01:00.0", "0000:00:01.0", true, PortType::upstream_port);
    b.add("0000:02:00.0", "0000:01:00.0", true, PortType::downstream_port);
    b.add("0000:02:01.0", "0000:01:00.0", true, PortType::downstream_port);
    b.add("0000:03:00.0", "0000:02:00.0", false, PortType::endpoint);
    b.add("0000:04:00.0", "0000:02:01.0", false, PortType::endpoint);
    b.add("0000:04:00.1", "0000:02:01.0", false, PortType::endpoint);
    b.add("0000:00:02.0", nullptr, true, PortType::root_port);
    b.add("0000:05:00.0", "0000:00:02.0", false, PortType::endpoint);
    return b;
}

}  // namespace

TEST(Verdict, SameFunctionIsBusAddrDistanceZero) {
    auto b = server(0x8086, 0xffff);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:03:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r.distance, 0);
    EXPECT_EQ(path_class(t, fn(t, "0000:03:00.0"), fn(t, "0000:03:00.0")).path, PathClass::X);
}

TEST(Verdict, FunctionsOfOneDeviceAreDistanceTwo) {
    auto b = server(0x8086, 0xffff);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:04:00.0"), fn(t, "0000:04:00.1"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r.distance, 2);
    EXPECT_EQ(path_class(t, fn(t, "0000:04:00.0"), fn(t, "0000:04:00.1")).path, PathClass::PIX);
}

TEST(Verdict, SameSwitchIsBusAddrDistanceFour) {
    auto b = server(0x8086, 0xffff);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r.distance, 4);
    EXPECT_NE(r.reason.find("0000:01:00.0"), std::string::npos) << r.reason;
    EXPECT_EQ(path_class(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).path, PathClass::PIX);
}

TEST(Verdict, AcsRedirectOnDownstreamPortGoesThroughHostBridge) {
    auto b = server(0x8086, 0x2030);  // whitelisted Skylake-E host bridge
    b.acs("0000:02:01.0", kAcsRequestRedirect | kAcsCompletionRedirect | kAcsSourceValidation);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE);
    EXPECT_EQ(r.distance, 4);
    EXPECT_NE(r.reason.find("0000:02:01.0 (ReqRedir CmpltRedir)"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("pci=disable_acs_redir=0000:02:01.0"), std::string::npos) << r.reason;
}

TEST(Verdict, AcsAtCommonAncestorCounts) {
    // The kernel tests the common upstream bridge itself (the provider's loop
    // checks each bridge before comparing it).
    auto b = server(0x8086, 0xffff);
    b.acs("0000:01:00.0", kAcsEgressControl);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED) << r.reason;
    EXPECT_FALSE(r.distance);
    EXPECT_NE(r.reason.find("0000:01:00.0 (EgressCtrl)"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("not on the kernel's P2PDMA host bridge whitelist"), std::string::npos) << r.reason;
}

TEST(Verdict, AcsBitsOutsideRedirectDoNotMatter) {
    auto b = server(0x8086, 0xffff);
    b.acs("0000:02:00.0", kAcsSourceValidation | kAcsTranslationBlocking | kAcsUpstreamForwarding);
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).verdict, P2pdmaVerdict::BUS_ADDR);
}

TEST(Verdict, DifferentRootPortsNotWhitelistedIsNotSupported) {
    auto b = server(0x8086, 0xffff);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED);
    EXPECT_NE(r.reason.find("[8086:ffff] is not on"), std::string::npos) << r.reason;
    EXPECT_EQ(path_class(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0")).path, PathClass::PHB);
}

TEST(Verdict, WhitelistedHostBridgeAllowsThroughHostBridge) {
    auto b = server(0x8086, 0x2020);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE);
    // dist_a + dist_b of the whole chains: 03:00.0 02:00.0 01:00.0 00:01.0 and 05:00.0 00:02.0.
    EXPECT_EQ(r.distance, 6);
}

TEST(Verdict, SameHostBridgeOnlyEntryRefusesAcrossHostBridges) {
    // 8086:2f00 (Xeon E5 v3) is whitelisted with REQ_SAME_HOST_BRIDGE.
    auto b = server(0x8086, 0x2f00);
    b.add("0001:00:00.0", nullptr, false, PortType::rc_integrated_endpoint, 0x8086, 0x2f00, 0x060000);
    b.add("0001:00:01.0", nullptr, true, PortType::root_port);
    b.add("0001:01:00.0", "0001:00:01.0", false, PortType::endpoint);
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0")).verdict,
              P2pdmaVerdict::THRU_HOST_BRIDGE);
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0001:01:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED);
    EXPECT_NE(r.reason.find("only for P2P below that same host bridge"), std::string::npos) << r.reason;
}

TEST(Verdict, RootPortAsFirstDeviceIsChecked) {
    // No 00.0 device: pci_host_bridge_dev() takes the first device if it is a root port.
    Builder b;
    b.add("0000:00:01.0", nullptr, true, PortType::root_port, 0x8086, 0x2030);
    b.add("0000:01:00.0", "0000:00:01.0", false, PortType::endpoint);
    b.add("0000:00:02.0", nullptr, true, PortType::root_port, 0x8086, 0x2031);
    b.add("0000:02:00.0", "0000:00:02.0", false, PortType::endpoint);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:01:00.0"), fn(t, "0000:02:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE) << r.reason;
    EXPECT_NE(r.reason.find("0000:00:01.0 [8086:2030]"), std::string::npos) << r.reason;
}

// The first device of the root bus is not 00.0 and its port type is not in
// the input: a root port would be checked against the whitelist, anything
// else refused. Not on the whitelist, both roads refuse: decided, and said so.
// On it, the answer stays unknown.
TEST(Verdict, UnknownPortTypeThatCannotMatterIsDecided) {
    for (const bool listed : {false, true}) {
        Builder b;
        b.add("0000:00:01.0", nullptr, true, PortType::root_port, 0x8086, listed ? 0x2030 : 0x1234);
        b.add("0000:01:00.0", "0000:00:01.0", false, PortType::endpoint);
        b.add("0000:00:02.0", nullptr, true, PortType::root_port, 0x8086, 0x2030);
        b.add("0000:02:00.0", "0000:00:02.0", false, PortType::endpoint);
        for (auto& f : b.t.functions)
            if (f.address == bdf("0000:00:01.0")) f.port_type.reset();
        auto& t = b.done();
        auto r = p2pdma_verdict(t, fn(t, "0000:01:00.0"), fn(t, "0000:02:00.0"));
        if (listed) {
            EXPECT_EQ(r.verdict, P2pdmaVerdict::unknown) << r.reason;
        } else {
            EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED) << r.reason;
            EXPECT_NE(r.reason.find("is a root port is not in the input, and it does not matter: host bridge "
                                    "0000:00:01.0 [8086:1234] is not on the kernel's P2PDMA host bridge whitelist"),
                      std::string::npos)
                << r.reason;
        }
    }
}

TEST(Verdict, FirstDeviceNeitherHostBridgeNorRootPortRefuses) {
    Builder b;
    b.add("0000:00:01.0", nullptr, false, PortType::rc_integrated_endpoint, 0x8086, 0x2030, 0x088000);
    b.add("0000:00:02.0", nullptr, true, PortType::root_port, 0x8086, 0x2030);
    b.add("0000:01:00.0", "0000:00:02.0", false, PortType::endpoint);
    b.add("0000:00:03.0", nullptr, true, PortType::root_port, 0x8086, 0x2030);
    b.add("0000:02:00.0", "0000:00:03.0", false, PortType::endpoint);
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:01:00.0"), fn(t, "0000:02:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED) << r.reason;
}

TEST(Verdict, AmdZenCpuRuleAllowsWithoutWhitelist) {
    auto b = server(0x1022, 0x1480);
    b.t.cpu = Cpu{"AuthenticAMD", 0x19, "EPYC"};
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE);
    EXPECT_NE(r.reason.find("AMD family 0x19"), std::string::npos) << r.reason;
}

TEST(Verdict, PreZenAmdGetsNoCpuRule) {
    auto b = server(0x1022, 0x1480);
    b.t.cpu = Cpu{"AuthenticAMD", 0x15, "Opteron"};
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0")).verdict, P2pdmaVerdict::NOT_SUPPORTED);
}

TEST(Verdict, AssumedCpuOverridesUnknownCpu) {
    auto b = server(0x1022, 0x1480);
    b.t.cpu.reset();
    auto& t = b.done();
    auto unknown = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"));
    EXPECT_EQ(unknown.verdict, P2pdmaVerdict::unknown);
    EXPECT_NE(unknown.reason.find("CPU vendor and family are not in the input"), std::string::npos) << unknown.reason;
    VerdictOptions o;
    o.assume_cpu = Cpu{"AuthenticAMD", 0x17, ""};
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"), o).verdict,
              P2pdmaVerdict::THRU_HOST_BRIDGE);
}

TEST(Verdict, VirtualFunctionUsesItsPhysicalFunctionsBridge) {
    auto b = server(0x8086, 0xffff);
    // A VF on another bus number, below the same downstream port as its PF 04:00.0.
    auto& vf = b.add("0000:04:10.0", nullptr, false, PortType::endpoint);
    vf.physfn = bdf("0000:04:00.0");
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:04:10.0"), fn(t, "0000:04:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r.distance, 2);
    auto r2 = p2pdma_verdict(t, fn(t, "0000:04:10.0"), fn(t, "0000:03:00.0"));
    EXPECT_EQ(r2.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r2.distance, 4);
    EXPECT_EQ(fn(t, "0000:04:10.0").host_bridge, "0000:00");
}

TEST(Verdict, MissingAcsRegistersGiveUnknownNamingThem) {
    auto b = server(0x8086, 0xffff);
    for (auto& f : b.t.functions)
        if (f.address == bdf("0000:02:00.0")) f.config_bytes = 64;
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::unknown);
    EXPECT_FALSE(r.distance);
    EXPECT_NE(r.reason.find("0000:02:00.0"), std::string::npos) << r.reason;
}

TEST(Verdict, KnownRedirectDecidesEvenWithOtherAcsUnknown) {
    auto b = server(0x8086, 0x2030);
    for (auto& f : b.t.functions)
        if (f.address == bdf("0000:03:00.0")) f.config_bytes = 256;
    b.acs("0000:02:01.0", kAcsRequestRedirect);
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).verdict,
              P2pdmaVerdict::THRU_HOST_BRIDGE);
}

TEST(Verdict, PartialInputWithoutDevice00HasUnknownWhitelist) {
    auto b = server(0x8086, 0x2030);
    b.t.functions.erase(b.t.functions.begin());  // drop 00:00.0
    b.t.root_buses_complete = false;
    auto& t = b.done();
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::unknown);
    EXPECT_NE(r.reason.find("no device at 00.0"), std::string::npos) << r.reason;
}

TEST(Verdict, BridgeMissingFromInputIsUnknown) {
    Builder b;
    b.add("0000:03:00.0", "0000:02:00.0", false, PortType::endpoint);
    b.add("0000:04:00.0", "0000:02:01.0", false, PortType::endpoint);
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).verdict, P2pdmaVerdict::unknown);
    EXPECT_EQ(path_class(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).path, PathClass::unknown);
}

TEST(PathClass, NodeAndSysFollowNumaNodes) {
    Builder b;
    b.add("0000:00:01.0", nullptr, true, PortType::root_port);
    b.add("0000:01:00.0", "0000:00:01.0", false, PortType::endpoint);
    b.add("0000:40:01.0", nullptr, true, PortType::root_port);
    b.add("0000:41:00.0", "0000:40:01.0", false, PortType::endpoint);
    b.add("0000:80:01.0", nullptr, true, PortType::root_port);
    b.add("0000:81:00.0", "0000:80:01.0", false, PortType::endpoint);
    auto& t = b.done();
    t.host_bridges[0].numa_node = 0;
    t.host_bridges[1].numa_node = 0;
    t.host_bridges[2].numa_node = 1;
    for (auto& f : t.functions) f.numa_node.reset();
    finalize(t);
    EXPECT_EQ(path_class(t, fn(t, "0000:01:00.0"), fn(t, "0000:41:00.0")).path, PathClass::NODE);
    EXPECT_EQ(path_class(t, fn(t, "0000:01:00.0"), fn(t, "0000:81:00.0")).path, PathClass::SYS);
}

TEST(PathClass, UnknownLocalityIsUnknownNotAGuess) {
    Builder b;
    b.add("0000:01:00.0", nullptr, false, PortType::endpoint);
    b.add("0000:81:00.0", nullptr, false, PortType::endpoint);
    auto& t = b.done();
    auto p = path_class(t, fn(t, "0000:01:00.0"), fn(t, "0000:81:00.0"));
    EXPECT_EQ(p.path, PathClass::unknown);
    EXPECT_NE(p.reason.find("NUMA"), std::string::npos);
}

TEST(PathClass, TwoSwitchLevelsArePXB) {
    auto b = server(0x8086, 0xffff);
    b.add("0000:02:02.0", "0000:01:00.0", true, PortType::downstream_port);
    b.add("0000:06:00.0", "0000:02:02.0", true, PortType::upstream_port);
    b.add("0000:07:00.0", "0000:06:00.0", true, PortType::downstream_port);
    b.add("0000:08:00.0", "0000:07:00.0", false, PortType::endpoint);
    auto& t = b.done();
    EXPECT_EQ(path_class(t, fn(t, "0000:03:00.0"), fn(t, "0000:08:00.0")).path, PathClass::PXB);
    auto r = p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:08:00.0"));
    EXPECT_EQ(r.verdict, P2pdmaVerdict::BUS_ADDR);
    EXPECT_EQ(r.distance, 6);
}

TEST(PciAddress, ParsesAndRejects) {
    EXPECT_EQ(bdf("0000:34:00.0").to_string(), "0000:34:00.0");
    EXPECT_EQ(bdf("34:1f.7").to_string(), "0000:34:1f.7");
    EXPECT_EQ(bdf("10000:00:00.0").domain, 0x10000u) << "wide domains (VMD) parse";
    for (const char* bad : {"", "34:00", "0000:34:00.8", "0000:34:20.0", "zz:00.0", "0000:134:00.0", "1:2:3:4.0"})
        EXPECT_FALSE(PciAddress::parse(bad).ok()) << bad;
}

TEST(Verdict, ConventionalPciFunctionsHaveNoAcsToRead) {
    // 256 bytes without a PCIe capability: no extended space exists, so no ACS
    // capability (the kernel's acs_cap is 0) and nothing is unknown.
    auto b = server(0x8086, 0xffff);
    for (auto& f : b.t.functions)
        if (f.address == bdf("0000:02:00.0")) {
            f.config_bytes = 256;
            f.port_type.reset();
        }
    auto& t = b.done();
    EXPECT_TRUE(fn(t, "0000:02:00.0").acs_known());
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:04:00.0")).verdict, P2pdmaVerdict::BUS_ADDR);
}

// The whitelist as each release has it (docs/kernel-releases.md): 7.2 adds
// Intel DSA/IAA/QAT devices and every Google device; 6.1 and 6.12 lack them.
VerdictOptions as_of(const char* release) {
    VerdictOptions o;
    o.kernel_release = *parse_kernel_release(release);
    return o;
}

TEST(VerdictByRelease, QatHostBridgeIsWhitelistedFrom72Only) {
    auto b = server(0x8086, 0x4940);  // QAT 4xxx as the root bus's first device
    auto& t = b.done();
    const auto& p = fn(t, "0000:03:00.0");
    const auto& c = fn(t, "0000:05:00.0");
    auto r72 = p2pdma_verdict(t, p, c, as_of("7.2"));
    EXPECT_EQ(r72.verdict, P2pdmaVerdict::THRU_HOST_BRIDGE) << r72.reason;
    EXPECT_NE(r72.reason.find("is on the kernel's P2PDMA whitelist (Linux 7.2)"), std::string::npos) << r72.reason;
    EXPECT_EQ(r72.kernel_release, (KernelRelease{7, 2}));
    for (const char* old : {"6.1", "6.12.117"}) {
        auto r = p2pdma_verdict(t, p, c, as_of(old));
        EXPECT_EQ(r.verdict, P2pdmaVerdict::NOT_SUPPORTED) << old << ": " << r.reason;
        EXPECT_NE(r.reason.find("not on the kernel's P2PDMA host bridge whitelist (Linux " +
                                parse_kernel_release(old)->to_string() + "); Linux 7.2 has it"),
                  std::string::npos)
            << r.reason;
    }
    // Between the releases read, the entry may or may not be there.
    auto r614 = p2pdma_verdict(t, p, c, as_of("6.14"));
    EXPECT_EQ(r614.verdict, P2pdmaVerdict::unknown) << r614.reason;
    EXPECT_NE(r614.reason.find("has not read Linux 6.14's"), std::string::npos) << r614.reason;
    EXPECT_EQ(p2pdma_verdict(t, p, c, as_of("8.0")).verdict, P2pdmaVerdict::THRU_HOST_BRIDGE);
}

TEST(VerdictByRelease, GoogleMatchesAnyDeviceId) {
    auto b = server(0x1ae0, 0x1234);
    auto& t = b.done();
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"), as_of("7.2")).verdict,
              P2pdmaVerdict::THRU_HOST_BRIDGE);
    EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"), as_of("6.12")).verdict,
              P2pdmaVerdict::NOT_SUPPORTED);
}

TEST(VerdictByRelease, OldEntriesHoldOnEveryRelease) {
    auto b = server(0x8086, 0x2020);
    auto& t = b.done();
    for (const char* r : {"6.1", "6.12", "6.14", "7.2"})
        EXPECT_EQ(p2pdma_verdict(t, fn(t, "0000:03:00.0"), fn(t, "0000:05:00.0"), as_of(r)).verdict,
                  P2pdmaVerdict::THRU_HOST_BRIDGE)
            << r;
}

TEST(VerdictByRelease, ParsesReleases) {
    EXPECT_EQ(*parse_kernel_release("6.12"), (KernelRelease{6, 12}));
    EXPECT_EQ(*parse_kernel_release("6.1.0-28-amd64"), (KernelRelease{6, 1}));
    EXPECT_EQ(*parse_kernel_release("7.2.13+deb14-amd64"), (KernelRelease{7, 2}));
    for (const char* bad : {"", "6", "6.", "x.y", "6.1x", "6.12abc", "1.0", "6.-1", "600.1"})
        EXPECT_FALSE(parse_kernel_release(bad)) << bad;
    EXPECT_TRUE(running_kernel_release());
}

TEST(Topology, VirtualFunctionTakesItsPhysicalFunctionsReservedControlBits) {
    // A VF's MPS, Relaxed Ordering and No Snoop read as 0 (reserved): the PF's govern it.
    Builder b = server(0x8086, 0x2020);
    PciFunction& pf = b.add("0000:03:00.1", "0000:02:00.0", false, PortType::endpoint);
    pf.mps_bytes = 256, pf.relaxed_ordering = true, pf.no_snoop = true, pf.mrrs_bytes = 512;
    PciFunction& vf = b.add("0000:03:02.0", nullptr, false, PortType::endpoint);
    vf.physfn = bdf("0000:03:00.1");
    vf.mps_bytes = 128, vf.relaxed_ordering = false, vf.no_snoop = false, vf.mrrs_bytes = 4096;
    const Topology& t = b.done();
    const PciFunction& v = fn(t, "0000:03:02.0");
    EXPECT_EQ(v.mps_bytes, 256);
    EXPECT_EQ(v.relaxed_ordering, true);
    EXPECT_EQ(v.no_snoop, true);
    EXPECT_EQ(v.mrrs_bytes, 4096);  // a VF's own field
}

// Against figures from elsewhere: hwloc's own link bandwidth for a Gen3 x16
// GPU in the DGX-2 XML (pci_link_speed="15.753846", GB/s), and the PCIe
// generations' published x1/x16 rates (Gen1 250 MB/s and Gen2 500 MB/s per
// lane, 8b/10b; Gen4 x16 31.508 and Gen5 x16 63.015 GB/s, 128b/130b).
TEST(LinkRate, CeilingMath) {
    EXPECT_NEAR(link_ceiling_bytes_per_s(8.0, 16) / 1e9, 15.753846, 1e-6);
    EXPECT_NEAR(link_ceiling_bytes_per_s(2.5, 1), 250e6, 1);
    EXPECT_NEAR(link_ceiling_bytes_per_s(5.0, 4), 4 * 500e6, 1);
    EXPECT_NEAR(link_ceiling_bytes_per_s(16.0, 16) / 1e9, 31.508, 0.001);
    EXPECT_NEAR(link_ceiling_bytes_per_s(32.0, 16) / 1e9, 63.015, 0.001);
    EXPECT_EQ(link_ceiling_bytes_per_s(0, 16), 0);
}
