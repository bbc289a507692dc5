// SPDX-License-Identifier: GPL-2.0-or-later
// lspci -vvv text against the config space it was printed from: pciutils'
// own test dumps (and a made-up device with every capability qualification
// reads) rendered by the real lspci, read both ways, must give the same
// devices, facts, classes and verdicts. lspci's decoding is the oracle for
// the facts read from config space.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "p2pscope/probe/analysis.hpp"
#include "p2pscope/probe/report.hpp"
#include "p2pscope/probe/sources.hpp"
#include "common/config_bytes.hpp"
#include "common/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace p2pscope::probe;

namespace {

const fs::path kFixtures = P2PSCOPE_FIXTURES;
const char* const kDumps[] = {"cap-aer-root", "cap-dpc", "cap-multicast", "cap-pcie-1", "tree-asus-p6t6"};

using p2pscope::test::TempDir;

// Runs a shell command; its standard output, or a failed test.
std::string run(const std::string& cmd) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
    EXPECT_TRUE(pipe) << cmd;
    if (!pipe) return {};
    std::string out;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
    return out;
}

fs::path write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
    return p;
}

// What lspci prints for a dump, as a user would paste it.
std::string lspci(const fs::path& dump, const std::string& flags) {
    return run("lspci -F '" + dump.string() + "' " + flags + " 2>/dev/null");
}

// Everything the two readings must agree on, one line per device and pair.
std::string summary(const Topology& t) {
    std::ostringstream out;
    for (const auto& f : t.functions) {
        out << f.address.to_string() << " " << std::hex << f.vendor_id << ":" << f.device_id << " class " << f.class_code
            << std::dec << " parent " << (f.parent ? f.parent->to_string() : "-") << " hb " << f.host_bridge
            << " bridge " << f.is_bridge << " sec " << (f.secondary_bus ? int(*f.secondary_bus) : -1) << " type "
            << (f.port_type ? std::string(to_string(*f.port_type)) : "-") << " acs_known " << f.acs_known() << " acs "
            << (f.acs ? acs_bit_names(f.acs->capability) + "/" + acs_bit_names(f.acs->control) : "-") << " link "
            << f.link.speed_gts.value_or(0) << "x" << f.link.width.value_or(0) << " max "
            << f.link.max_speed_gts.value_or(0) << "x" << f.link.max_width.value_or(0) << " mps "
            << f.mps_bytes.value_or(0) << " mrrs " << f.mrrs_bytes.value_or(0) << " ro "
            << (f.relaxed_ordering ? int(*f.relaxed_ordering) : -1) << " ns " << (f.no_snoop ? int(*f.no_snoop) : -1)
            << " tags "
            << (f.ten_bit_tags ? std::to_string(f.ten_bit_tags->completer_supported) +
                                     std::to_string(f.ten_bit_tags->requester_supported) +
                                     std::to_string(f.ten_bit_tags->requester_enabled)
                               : "-")
            << " ats " << (f.ats_enabled ? int(*f.ats_enabled) : -1) << " aer "
            << (f.aer ? "[" + f.aer->uncorrectable_status + "|" + f.aer->correctable_status + "]" : "-") << " sriov "
            << (f.sriov ? std::to_string(f.sriov->total_vfs) + "/" + std::to_string(f.sriov->num_vfs) : "-")
            << " bars";
        for (const auto& b : f.bars) out << " " << b.index << (b.io ? "io" : "") << (b.prefetchable ? "pf" : "") << (b.is_64bit ? "64" : "");
        out << " rebar";
        for (const auto& rb : f.resizable_bars) {
            out << " " << rb.index << ":" << rb.current_bytes << "/";
            for (auto s : rb.supported_bytes) out << s << ",";
        }
        out << " kind " << to_string(classify(f)) << "\n";
    }
    auto selection = parse_selection({"all"}, {});
    auto selected = select_functions(t, *selection);
    if (selected.ok())
        for (const auto& p : analyse_pairs(t, *selected, VerdictOptions{}))
            out << p.a.to_string() << " " << p.b.to_string() << " " << to_string(p.path.path) << " "
                << to_string(p.p2pdma.verdict) << " " << p.p2pdma.distance.value_or(-1) << "\n";
    return out.str();
}

using p2pscope::test::write_u16;
using p2pscope::test::write_u32;

// A GPU-like endpoint with what qualification reads: relaxed ordering and
// no-snoop on, 10-bit tags, AER errors latched, ATS on, two resizable BARs.
std::string synthetic_dump() {
    std::vector<uint8_t> c(4096);
    write_u16(c, 0x00, 0x10de);
    write_u16(c, 0x02, 0x1db8);
    write_u16(c, 0x04, 0x0006);
    write_u16(c, 0x06, 0x0010);                 // capability list
    c[0x0a] = 0x02, c[0x0b] = 0x03;             // 3D controller
    write_u32(c, 0x10, 0xf6000000);             // BAR 0: 32-bit
    write_u32(c, 0x14, 0xe000000c);             // BAR 1: 64-bit prefetchable
    write_u32(c, 0x1c, 0xf000000c);             // BAR 3: 64-bit prefetchable
    c[0x34] = 0x40;
    c[0x40] = 0x10;                             // PCI Express, v2 endpoint
    write_u16(c, 0x42, 0x0002);
    write_u16(c, 0x48, 0x0010 | 0x0800 | 1 << 5 | 2 << 12);  // RO, NS, MPS 256, MRRS 512
    write_u32(c, 0x4c, 0x3 | 16 << 4);          // 8GT/s x16
    write_u16(c, 0x52, 0x3 | 8 << 4);           // at x8
    write_u32(c, 0x64, 1u << 16 | 1u << 17);    // 10-bit tag completer and requester
    write_u16(c, 0x68, 1u << 12);               // 10-bit tag requester enabled
    write_u32(c, 0x100, 0x0001 | 1u << 16 | 0x140u << 20);  // AER
    write_u32(c, 0x104, 1u << 14 | 1u << 20);   // CmpltTO UnsupReq
    write_u32(c, 0x110, 1u << 0 | 1u << 6);     // RxErr BadTLP
    write_u32(c, 0x140, 0x000f | 1u << 16 | 0x160u << 20);  // ATS
    write_u16(c, 0x146, 0x8000);
    write_u32(c, 0x160, 0x0015 | 1u << 16);     // resizable BAR, two entries
    uint32_t supported = 0;
    for (unsigned n = 6; n <= 15; ++n) supported |= 1u << (n + 4);  // 64 MiB .. 32 GiB
    write_u32(c, 0x164, supported);
    write_u32(c, 0x168, 1 | 2 << 5 | 8 << 8);   // BAR 1, 2 entries, 256 MiB
    write_u32(c, 0x16c, 1u << 8);               // 16 MiB only
    write_u32(c, 0x170, 0 | 4 << 8);            // BAR 0 at 16 MiB
    std::ostringstream out;
    out << "01:00.0 3D controller: made up\n";
    for (unsigned row = 0; row < 4096; row += 16) {
        char line[80];
        int n = std::snprintf(line, sizeof line, "%02x:", row);
        for (unsigned i = 0; i < 16; ++i) n += std::snprintf(line + n, sizeof line - n, " %02x", c[row + i]);
        out << line << "\n";
    }
    return out.str();
}

}  // namespace

TEST(LspciText, PciutilsDumpsGiveTheSameAnswersAsTheirText) {
    TempDir dir;
    for (const char* name : kDumps) {
        SCOPED_TRACE(name);
        const fs::path dump = kFixtures / "lspci-dump" / name;
        auto from_dump = load_lspci_dump(dump.string());
        ASSERT_TRUE(from_dump.ok()) << from_dump.error().message;
        // -nn and -D, with the -tv tree after it: everything the text can carry.
        const fs::path text = write(dir.path / (std::string(name) + ".txt"),
                                    lspci(dump, "-vvv -nn -D") + "\n" + lspci(dump, "-tv"));
        auto from_text = load_lspci_text(text.string());
        ASSERT_TRUE(from_text.ok()) << from_text.error().message;
        EXPECT_EQ(summary(*from_text), summary(*from_dump));
        EXPECT_EQ(from_text->functions.size(), from_dump->functions.size());
    }
}

TEST(LspciText, NamesWithoutIdsGiveTheSameClassesAndVerdicts) {
    TempDir dir;
    for (const char* name : kDumps) {
        SCOPED_TRACE(name);
        const fs::path dump = kFixtures / "lspci-dump" / name;
        auto from_dump = load_lspci_dump(dump.string());
        ASSERT_TRUE(from_dump.ok());
        auto from_text = load_lspci_text(write(dir.path / name, lspci(dump, "-vvv")).string());
        ASSERT_TRUE(from_text.ok()) << from_text.error().message;
        ASSERT_EQ(from_text->functions.size(), from_dump->functions.size());
        size_t resolved = 0;
        for (size_t i = 0; i < from_dump->functions.size(); ++i) {
            const PciFunction& d = from_dump->functions[i];
            const PciFunction& t = from_text->functions[i];
            EXPECT_EQ(t.address, d.address);
            EXPECT_EQ(t.class_code, d.class_code) << d.address.to_string();
            EXPECT_EQ(classify(t), classify(d)) << d.address.to_string();
            // A name pci.ids gives to several devices has no id; every other resolves to the dump's.
            resolved += t.ids_known;
            if (t.ids_known) {
                EXPECT_EQ(t.vendor_id, d.vendor_id) << d.address.to_string();
                EXPECT_EQ(t.device_id, d.device_id) << d.address.to_string();
            }
        }
        // Most names are unique in pci.ids (at least half of each machine's): the id comparison above must not pass for want of ids.
        EXPECT_GE(resolved * 2, from_dump->functions.size()) << resolved << " of " << from_dump->functions.size();
        auto sel = parse_selection({"all"}, {});
        auto a = select_functions(*from_dump, *sel);
        auto b = select_functions(*from_text, *sel);
        const auto pa = analyse_pairs(*from_dump, *a, VerdictOptions{});
        const auto pb = analyse_pairs(*from_text, *b, VerdictOptions{});
        ASSERT_EQ(pa.size(), pb.size());
        for (size_t i = 0; i < pa.size(); ++i) {
            EXPECT_EQ(pa[i].path.path, pb[i].path.path);
            EXPECT_EQ(pa[i].p2pdma.verdict, pb[i].p2pdma.verdict) << pa[i].a.to_string() << " " << pa[i].b.to_string();
        }
    }
}

TEST(LspciText, AmbiguousHostBridgeNameLeavesTheWhitelistUnknown) {
    // X58's 00:00.0 shares its pci.ids name with another device id: without
    // -nn the whitelist cannot be checked, and the reason says to rerun.
    TempDir dir;
    const fs::path dump = kFixtures / "lspci-dump/tree-asus-p6t6";
    auto t = load_lspci_text(write(dir.path / "plain", lspci(dump, "-vvv")).string());
    ASSERT_TRUE(t.ok());
    const PciFunction* hb = t->find(*PciAddress::parse("00:00.0"));
    ASSERT_TRUE(hb);
    EXPECT_FALSE(hb->ids_known);
    VerdictOptions intel;
    intel.assume_cpu = *parse_cpu("intel");
    auto sel = select_functions(*t, *parse_selection({}, {"00:1c.1", "00:1c.2"}));
    ASSERT_TRUE(sel.ok());
    const auto pairs = analyse_pairs(*t, *sel, intel);
    ASSERT_EQ(pairs.size(), 1u);
    // Two root ports of one host bridge: no common upstream bridge, so the whitelist decides.
    auto nn = load_lspci_text(write(dir.path / "nn", lspci(dump, "-vvv -nn")).string());
    ASSERT_TRUE(nn.ok());
    const auto known = analyse_pairs(*nn, *select_functions(*nn, *parse_selection({}, {"00:1c.1", "00:1c.2"})), intel);
    ASSERT_EQ(known.size(), 1u);
    EXPECT_EQ(known[0].p2pdma.verdict, P2pdmaVerdict::NOT_SUPPORTED) << known[0].p2pdma.reason;
    EXPECT_EQ(pairs[0].p2pdma.verdict, P2pdmaVerdict::unknown);
    EXPECT_NE(pairs[0].p2pdma.reason.find("lspci -nn"), std::string::npos) << pairs[0].p2pdma.reason;
}

TEST(LspciText, EveryQualificationFactMatchesLspcisDecoding) {
    TempDir dir;
    const fs::path dump = write(dir.path / "synthetic.dump", synthetic_dump());
    auto from_dump = load_lspci_dump(dump.string());
    ASSERT_TRUE(from_dump.ok()) << from_dump.error().message;
    const std::string rendered = lspci(dump, "-vvv -nn");
    // The oracle: lspci decodes the same bytes to these lines.
    ASSERT_NE(rendered.find("RlxdOrd+ ExtTag- PhantFunc- AuxPwr- NoSnoop+"), std::string::npos) << rendered;
    ASSERT_NE(rendered.find("BAR 1: current size: 256MB, supported: 64MB 128MB"), std::string::npos);
    ASSERT_NE(rendered.find("CmpltTO+"), std::string::npos);
    auto from_text = load_lspci_text(write(dir.path / "synthetic.txt", rendered).string());
    ASSERT_TRUE(from_text.ok()) << from_text.error().message;
    EXPECT_EQ(summary(*from_text), summary(*from_dump));

    const PciFunction& f = from_dump->functions.at(0);
    EXPECT_EQ(f.relaxed_ordering, true);
    EXPECT_EQ(f.no_snoop, true);
    EXPECT_EQ(f.mps_bytes, 256);
    EXPECT_EQ(f.mrrs_bytes, 512);
    ASSERT_TRUE(f.ten_bit_tags);
    EXPECT_TRUE(f.ten_bit_tags->completer_supported && f.ten_bit_tags->requester_supported &&
                f.ten_bit_tags->requester_enabled);
    EXPECT_EQ(f.ats_enabled, true);
    ASSERT_TRUE(f.aer);
    EXPECT_EQ(f.aer->uncorrectable_status, "CmpltTO UnsupReq");
    EXPECT_EQ(f.aer->correctable_status, "RxErr BadTLP");
    ASSERT_EQ(f.resizable_bars.size(), 2u);
    EXPECT_EQ(f.resizable_bars[0].index, 1);
    EXPECT_EQ(f.resizable_bars[0].current_bytes, 256ull << 20);
    ASSERT_EQ(f.resizable_bars[0].supported_bytes.size(), 10u);
    EXPECT_EQ(f.resizable_bars[0].supported_bytes.front(), 64ull << 20);
    EXPECT_EQ(f.resizable_bars[0].supported_bytes.back(), 32ull << 30);
    EXPECT_EQ(f.resizable_bars[1].current_bytes, 16ull << 20);
    ASSERT_EQ(f.bars.size(), 3u);
    EXPECT_TRUE(f.bars[1].is_64bit && f.bars[1].prefetchable);
    EXPECT_EQ(f.bars[2].index, 3);
    EXPECT_EQ(from_dump->link_degraded(f), true);

    // Text and JSON reports carry them.
    const Report report{*from_text, {&from_text->functions.at(0)}, {}};
    const std::string text = render_text(report);
    EXPECT_NE(text.find("RlxdOrd+ NoSnoop+ 10BitTagReq+ ATS+  AER CmpltTO UnsupReq RxErr BadTLP"), std::string::npos)
        << text;
    EXPECT_NE(text.find("ReBAR 1: 256M of 64M..32G"), std::string::npos) << text;
    const std::string json = render_json(report);
    EXPECT_NE(json.find("\"uncorrectable_status\": [\n          \"CmpltTO\",\n          \"UnsupReq\""), std::string::npos)
        << json;
}

TEST(LspciText, TreeFromAnotherMachineIsRefused) {
    TempDir dir;
    const fs::path a = kFixtures / "lspci-dump/tree-asus-p6t6";
    const fs::path b = kFixtures / "lspci-dump/cap-aer-root";
    auto mixed = load_lspci_text(write(dir.path / "mixed", lspci(a, "-vvv -nn") + "\n" + lspci(b, "-tv")).string());
    ASSERT_FALSE(mixed.ok());
    EXPECT_NE(mixed.error().message.find("two machines"), std::string::npos) << mixed.error().message;
    auto twice = load_lspci_text(write(dir.path / "twice", lspci(b, "-vvv") + "\n" + lspci(b, "-vvv")).string());
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("appears twice"), std::string::npos) << twice.error().message;
    auto tree_only = load_lspci_text(write(dir.path / "tree", lspci(a, "-tv")).string());
    ASSERT_FALSE(tree_only.ok());
    EXPECT_NE(tree_only.error().message.find("names no device classes"), std::string::npos);
    auto prose = load_lspci_text(write(dir.path / "prose", "hello\nworld\n").string());
    ASSERT_FALSE(prose.ok());
    EXPECT_NE(prose.error().message.find("not lspci text"), std::string::npos);
}

TEST(LspciText, WithoutRootNothingExtendedIsClaimed) {
    // lspci as a user prints "Capabilities: <access denied>": no port types, no ACS.
    TempDir dir;
    std::string text = lspci(kFixtures / "lspci-dump/cap-aer-root", "-vvv -nn");
    std::string denied;
    std::istringstream in(text);
    bool skipping = false;
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("\tCapabilities:", 0) == 0) {
            if (!skipping) denied += "\tCapabilities: <access denied>\n";
            skipping = true;
            continue;
        }
        if (skipping && l.rfind("\t\t", 0) == 0) continue;
        if (l.rfind("\t", 0) == 0 || l.empty() || l[0] != '\t') skipping = false;
        denied += l + "\n";
    }
    auto t = load_lspci_text(write(dir.path / "user", denied).string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    for (const auto& f : t->functions) {
        EXPECT_FALSE(f.acs_known()) << f.address.to_string();
        EXPECT_FALSE(f.port_type);
    }
    const PciFunction* nic = t->find(*PciAddress::parse("03:00.0"));
    ASSERT_TRUE(nic);
    EXPECT_EQ(nic->parent, PciAddress::parse("00:02.0").value());  // the Bus: line still places it
}

TEST(InputFormat, DetectedFromContent) {
    TempDir dir;
    const fs::path dump = kFixtures / "lspci-dump/cap-aer-root";
    EXPECT_EQ(detect_input_format(dump.string()).value(), InputFormat::lspci_dump);
    EXPECT_EQ(detect_input_format((kFixtures / "hwloc-xml/nvidiaDGX2.xml").string()).value(), InputFormat::hwloc_xml);
    EXPECT_EQ(detect_input_format(write(dir.path / "t", lspci(dump, "-vvv")).string()).value(), InputFormat::lspci_text);
    EXPECT_EQ(detect_input_format(write(dir.path / "x", lspci(dump, "-vvv -xxxx")).string()).value(),
              InputFormat::lspci_dump);
    fs::create_directories(dir.path / "root/sys/bus/pci/devices");
    EXPECT_EQ(detect_input_format((dir.path / "root").string()).value(), InputFormat::sysfs_tree);
    for (const std::string bad : {"/dev/null", "/tmp", "/nonexistent/file"}) {
        auto r = detect_input_format(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(detect_input_format(write(dir.path / "notes", "some notes\n").string()).ok());

    TopologyInput input;
    input.file = (dir.path / "t").string();
    auto t = load_topology(input);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->source.rfind("lspci-text:", 0), 0u);
    EXPECT_FALSE(input.is_live());
}

TEST(KernelCommandLine, KeepsTheOptionsThatDecideP2p) {
    const auto c = parse_kernel_command_line(
        "BOOT_IMAGE=/vmlinuz ro quiet iommu=pt intel_iommu=on pci=realloc,disable_acs_redir=0000:00:02.0;"
        "pci:10de:1db8,noats amd_iommu=off iommu.strict=0 title=\"a b iommu=pt\"\n");
    const std::vector<std::string> expected{"iommu=pt", "intel_iommu=on", "pci=disable_acs_redir=0000:00:02.0;pci:10de:1db8",
                                            "pci=noats", "amd_iommu=off", "iommu.strict=0"};
    EXPECT_EQ(c.options, expected);
    EXPECT_TRUE(parse_kernel_command_line("ro quiet").options.empty());
}

TEST(LspciText, CapabilityLinesDoNotPassForTheFunctionsOwn) {
    // SR-IOV prints its VFs' BARs as "Region" lines one level deeper: they are not the PF's.
    TempDir dir;
    const std::string text =
        "01:00.0 Ethernet controller [0200]: Intel Corporation Ethernet Controller X710 for 10GbE SFP+ [8086:1572] (rev 01)\n"
        "\tRegion 0: Memory at f0000000 (64-bit, prefetchable) [size=8M]\n"
        "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n"
        "\t\tIOVCap:\tMigration- 10BitTagReq- Interrupt Message Number: 000\n"
        "\t\tInitial VFs: 64, Total VFs: 64, Number of VFs: 4, Function Dependency Link: 00\n"
        "\t\tRegion 0: Memory at 00000000f1000000 (64-bit, prefetchable)\n";
    auto t = load_lspci_text(write(dir.path / "vf", text).string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    const PciFunction& f = t->functions.at(0);
    ASSERT_EQ(f.bars.size(), 1u);
    EXPECT_EQ(f.bars[0].size_bytes, 8ull << 20);
    ASSERT_TRUE(f.sriov);
    EXPECT_EQ(f.sriov->total_vfs, 64);
    EXPECT_EQ(f.sriov->num_vfs, 4);
    EXPECT_FALSE(f.ten_bit_tags);  // no PCI Express capability in this text
}

TEST(LspciText, TabsTurnedIntoSpacesReadTheSame) {
    // Ticket systems and mail often replace lspci's tabs with spaces.
    TempDir dir;
    const fs::path dump = kFixtures / "lspci-dump/tree-asus-p6t6";
    const std::string text = lspci(dump, "-vvv -nn");
    for (const int width : {8, 4}) {
        std::string spaced;
        for (char c : text) spaced += c == '\t' ? std::string(static_cast<size_t>(width), ' ') : std::string(1, c);
        auto a = load_lspci_text(write(dir.path / "tabs", text).string());
        auto b = load_lspci_text(write(dir.path / ("spaces" + std::to_string(width)), spaced).string());
        ASSERT_TRUE(a.ok() && b.ok());
        EXPECT_EQ(summary(*b), summary(*a)) << width << " spaces per tab";
    }
}

// A server's BMC console VGA is a display controller but never a DMA peer:
// classed `other`, not `gpu`, so it is not paired with the real GPU beside it.
// One case per id of is_management_display()'s table that no machine's data
// here holds, given as `lspci -vvv -nn` prints it (pci.ids' names).
struct ManagementDisplay {
    const char* test_name;
    const char* line;  // the device's header line
    uint16_t vendor_id, device_id;
};

class BmcDisplay : public testing::TestWithParam<ManagementDisplay> {};

TEST_P(BmcDisplay, IsClassedOtherNotGpu) {
    const ManagementDisplay& d = GetParam();
    TempDir dir;
    const std::string text = std::string(d.line) +
                             "\n\tSubsystem: Device [0000:0000]\n\n"
                             "3b:00.0 3D controller [0302]: NVIDIA Corporation GV100GL [Tesla V100 SXM2 32GB] "
                             "[10de:1db5] (rev a1)\n\tSubsystem: NVIDIA Corporation Device [10de:1249]\n";
    auto t = load_lspci_text(write(dir.path / "bmc.txt", text).string());
    ASSERT_TRUE(t.ok()) << t.error().message;
    const PciFunction* vga = t->find(*PciAddress::parse("02:00.0"));
    ASSERT_TRUE(vga);
    EXPECT_EQ(vga->vendor_id, d.vendor_id);
    EXPECT_EQ(vga->device_id, d.device_id);
    EXPECT_EQ(vga->base_class(), 0x03);
    EXPECT_TRUE(is_management_display(*vga));
    EXPECT_EQ(classify(*vga), DeviceClass::other);
    EXPECT_EQ(classify(*t->find(*PciAddress::parse("3b:00.0"))), DeviceClass::gpu);
    // The default selection (gpu, nic, nvme, accel) leaves it out: no pair with the V100.
    auto selected = select_functions(*t, *parse_selection({}, {}));
    ASSERT_TRUE(selected.ok());
    ASSERT_EQ(selected->size(), 1u);
    EXPECT_EQ(selected->front()->address.to_string(), "0000:3b:00.0");
    EXPECT_NE(render_json(Report{*t, *selected, {}}).find("\"kind\": \"other\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    IdTable, BmcDisplay,
    testing::Values(
        ManagementDisplay{"Aspeed", "02:00.0 VGA compatible controller [0300]: ASPEED Technology, Inc. ASPEED Graphics "
                                    "Family [1a03:2000] (rev 41)", 0x1a03, 0x2000},
        ManagementDisplay{"HisiliconHi171x", "02:00.0 VGA compatible controller [0300]: Huawei Technologies Co., Ltd. "
                                             "Hi171x Series [iBMC Intelligent Management system chip w/VGA support] "
                                             "[19e5:1711] (rev 01)", 0x19e5, 0x1711},
        ManagementDisplay{"XgiZ7Z9", "02:00.0 VGA compatible controller [0300]: XGI Technology Inc. (eXtreme Graphics "
                                     "Innovation) Z7/Z9 (XG20 core) [18ca:0020]", 0x18ca, 0x0020},
        ManagementDisplay{"XgiZ9sZ9m", "02:00.0 VGA compatible controller [0300]: XGI Technology Inc. (eXtreme "
                                       "Graphics Innovation) Z9s/Z9m (XG21 core) [18ca:0021]", 0x18ca, 0x0021}),
    [](const testing::TestParamInfo<ManagementDisplay>& p) { return std::string(p.param.test_name); });
