// SPDX-License-Identifier: GPL-2.0-or-later
// The command-line parse every main shares: a run goes on, help and version
// come back as stdout text with status 0, a bad command line as one line for
// stderr with status 2, worded by the program when it asks to.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "p2pscope/cli_checks.hpp"

namespace p2pscope {
namespace {

struct Prog {
    CLI::App app{"prog: does a thing", "prog"};
    int count = 0;
    Prog() {
        app.set_version_flag("--version", std::string("1.2.3"));
        app.add_option("--count", count, "How many");
    }
    std::optional<CommandLineExit> parse(std::vector<const char*> args, const ParseErrorText& explain = {}) {
        args.insert(args.begin(), "prog");
        return parse_command_line(app, static_cast<int>(args.size()), args.data(), explain);
    }
};

TEST(CommandLine, ARunGoesOn) {
    Prog p;
    EXPECT_FALSE(p.parse({"--count", "3"}));
    EXPECT_EQ(p.count, 3);
}

TEST(CommandLine, HelpAndVersionAreStdoutText) {
    Prog p;
    const auto help = p.parse({"--help"});
    ASSERT_TRUE(help);
    EXPECT_EQ(help->status, 0);
    EXPECT_NE(help->out.find("--count"), std::string::npos) << help->out;
    EXPECT_EQ(help->out, p.app.help());
    EXPECT_EQ(help->err, "");
    const auto version = Prog().parse({"--version"});
    ASSERT_TRUE(version);
    EXPECT_EQ(version->status, 0);
    EXPECT_EQ(version->out, "1.2.3\n");
    EXPECT_EQ(version->err, "");
}

TEST(CommandLine, ABadOneIsOneLineAndStatus2) {
    const auto bad = Prog().parse({"--bogus"});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 2);
    EXPECT_EQ(bad->out, "");
    EXPECT_EQ(bad->err, "prog: The following argument was not expected: --bogus (see prog --help)\n");
}

TEST(CommandLine, TheProgramMayWordAnError) {
    const auto explain = [](const CLI::ParseError& e) -> std::optional<std::string> {
        if (std::string(e.what()).find("--bogus") != std::string::npos) return "no bogus here";
        return std::nullopt;
    };
    const auto worded = Prog().parse({"--bogus"}, explain);
    ASSERT_TRUE(worded);
    EXPECT_EQ(worded->status, 2);
    EXPECT_EQ(worded->err, "prog: no bogus here\n");
    const auto left = Prog().parse({"--count", "x"}, explain);
    ASSERT_TRUE(left);
    EXPECT_EQ(left->status, 2);
    EXPECT_EQ(left->err, "prog: Could not convert: --count = x (see prog --help)\n");
}

}  // namespace
}  // namespace p2pscope
