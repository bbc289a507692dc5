// SPDX-License-Identifier: GPL-2.0-or-later
// read_input_file / check_input_file: regular files only, bounded, and never a
// hang on a FIFO or an endless read of a device.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "p2pscope/input_file.hpp"
#include "common/temp_dir.hpp"

using namespace p2pscope;
namespace fs = std::filesystem;

namespace {

using p2pscope::test::TempDir;

}  // namespace

TEST(InputFile, ReadsARegularFileWhole) {
    TempDir d;
    const auto f = (d.path / "cfg").string();
    std::ofstream(f) << "a = 1\nb = 2\n";
    auto text = read_input_file(f, 1024, "a configuration");
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, "a = 1\nb = 2\n");
    EXPECT_TRUE(check_input_file(f, 1024, "a configuration"));
}

TEST(InputFile, BoundedBySize) {
    TempDir d;
    const auto f = (d.path / "big").string();
    std::ofstream(f) << std::string(2048, 'x');
    auto text = read_input_file(f, 1024, "a configuration");
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().code, Errc::bad_input);
    EXPECT_EQ(text.error().message, f + ": larger than 1 KiB, too large for a configuration");
    EXPECT_FALSE(check_input_file(f, 1024, "a configuration"));
    EXPECT_TRUE(read_input_file(f, 2048, "a configuration"));  // exactly at the bound
}

// A regular file whose size stat does not know (procfs says 0) is read whole,
// the buffer growing past what stat said, and still only to the bound.
TEST(InputFile, ReadsPastTheSizeStatGave) {
    std::ifstream in("/proc/self/maps");
    const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(expected.size(), 200u);
    auto text = read_input_file("/proc/self/maps", 1u << 20, "a map");
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_GT(text->size(), expected.size() / 2);  // the maps of the moment: near, not equal
    EXPECT_EQ(text->substr(0, 40), expected.substr(0, 40));
    auto bounded = read_input_file("/proc/self/maps", 100, "a map");
    ASSERT_FALSE(bounded);
    EXPECT_EQ(bounded.error().message, "/proc/self/maps: larger than 100 bytes, too large for a map");
}

TEST(InputFile, RefusesWhatIsNotARegularFile) {
    TempDir d;
    const auto fifo = (d.path / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto r = read_input_file(fifo, 1024, "an lspci dump");  // must return at once: no writer ever comes
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, fifo + ": a FIFO, not an lspci dump (regular files only)");
    auto z = read_input_file("/dev/zero", 1024, "an lspci dump");
    ASSERT_FALSE(z);
    EXPECT_EQ(z.error().message, "/dev/zero: a character device, not an lspci dump (regular files only)");
    auto dir = read_input_file(d.path.string(), 1024, "an lspci dump");
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().message, d.path.string() + ": a directory, not an lspci dump (regular files only)");
    EXPECT_FALSE(check_input_file("/dev/null", 1024, "an hwloc XML topology"));
}

TEST(InputFile, MissingAndOddNames) {
    auto r = read_input_file("/nonexistent/p2pscope.cfg", 1024, "a configuration");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "/nonexistent/p2pscope.cfg: no such file");
    EXPECT_EQ(check_input_file("/nonexistent", 1, "x").error().code, Errc::not_found);
    auto nul = read_input_file(std::string("/etc/hostname\0.bak", 18), 1024, "a configuration");
    ASSERT_FALSE(nul);
    EXPECT_EQ(nul.error().code, Errc::bad_input);
}
