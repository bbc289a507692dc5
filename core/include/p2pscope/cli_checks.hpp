// SPDX-License-Identifier: GPL-2.0-or-later
// What the programs' command lines (CLI11) share: a check for finite numbers,
// and the parse every main runs, whose help, version and errors come back as
// text for main() to print (this header prints nothing).
#pragma once

#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

namespace p2pscope {

// CLI11's Range lets NaN through (every comparison with NaN is false), and
// "nan" or "inf" parse as numbers: a --alpha nan disabled compare's test.
// finite() refuses both.
inline CLI::Validator finite() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            double v = 0;
            if (!CLI::detail::lexical_cast(text, v) || !std::isfinite(v)) return "'" + text + "' is not a finite number";
            return {};
        },
        "", "finite");
}

// A command line that ends the program before it runs: what goes to stdout
// and to stderr, and the exit status.
struct CommandLineExit {
    int status = 0;
    std::string out;
    std::string err;
};

// Words a parse error itself, or leaves it to CLI11 (nothing).
using ParseErrorText = std::function<std::optional<std::string>(const CLI::ParseError&)>;

// Parses the command line into app. Nothing when the program is to run; for
// --help, --help-all and --version CLI11's text on stdout and status 0; for a
// bad command line one line on stderr, "PROG: WHAT (see PROG --help)" (or
// "PROG: " and what `explain` says), and status 2. PROG is the app's name.
inline std::optional<CommandLineExit> parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                                         const ParseErrorText& explain = {}) {
    const auto asked = [&app](const CLI::Error& e) {  // CLI11 writes the help or the version
        std::ostringstream out, err;
        const int status = app.exit(e, out, err);
        return CommandLineExit{status, out.str(), err.str()};
    };
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return asked(e);
    } catch (const CLI::CallForAllHelp& e) {
        return asked(e);
    } catch (const CLI::CallForVersion& e) {
        return asked(e);
    } catch (const CLI::ParseError& e) {
        const std::string name = app.get_name();
        if (explain)
            if (auto text = explain(e)) return CommandLineExit{2, {}, name + ": " + *text + "\n"};
        return CommandLineExit{2, {}, name + ": " + e.what() + " (see " + name + " --help)\n"};
    }
    return std::nullopt;
}

}  // namespace p2pscope
