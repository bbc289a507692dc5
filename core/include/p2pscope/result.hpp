// SPDX-License-Identifier: GPL-2.0-or-later
// Errors as values: the core libraries never print and never exit; they return
// a Result, and only a program's main() turns an Error into a message and an
// exit status.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace p2pscope {

enum class Errc {
    invalid_argument,  // the caller asked for something malformed (bad BDF, unknown option value)
    bad_input,         // an input file or tree is missing, unreadable or corrupt
    not_found,         // a named thing (device, file) does not exist
    unsupported,       // this system or build cannot do it; the message says why
    system,            // a system call failed for a reason outside the caller's control
    regression,        // a measurement is worse than allowed (compare, qualify)
};

struct Error {
    Errc code;
    std::string message;  // one line, names the file or object and the problem
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}             // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// For operations that produce nothing but can fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

// The exit status every p2pscope program's main() gives an error: 1 a
// regression or failed check (the answer is "no"), 2 bad input (the user can
// fix it), 3 the job could not be done here. 0 is success.
inline int exit_status(Errc code) {
    switch (code) {
    case Errc::regression: return 1;
    case Errc::invalid_argument:
    case Errc::bad_input:
    case Errc::not_found: return 2;
    case Errc::unsupported:
    case Errc::system: return 3;
    }
    return 3;
}

}  // namespace p2pscope
