// SPDX-License-Identifier: GPL-2.0-or-later
// A list that backends add themselves to from their own files (as fio's
// engines and node_exporter's collectors do): each file declares
//   const Registration<Info> registration{Info{.name = "...", ...}};
// at namespace scope. The list is filled during static initialisation, before
// main, and only read afterwards; it is the one kind of mutable global the
// project has. Info is any type with a `name` (string or string_view). A second
// entry with a name already registered is kept out and recorded, so that a
// test can fail on it (static initialisation has no one to return an error to).
// The first read freezes the list: an entry added after it is kept out and
// recorded too, so the addresses of the entries a reader holds never move.
// CMake's p2pscope_add_registering_library() links such files into every
// program, since from a plain archive the linker would drop them.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

namespace p2pscope {

template <class Info>
class Registry {
public:
    // The one every Registration<Info> adds to. (A Registry of one's own, for a test, is an ordinary object.)
    static Registry& instance() {
        static Registry registry;
        return registry;
    }
    void add(Info info) {
        if (read_.load(std::memory_order_acquire)) {
            kept_out_.push_back(std::string(info.name) + " (registered after the list was read)");
            return;
        }
        auto at = entries_.begin();
        while (at != entries_.end() && at->name < info.name) ++at;
        if (at != entries_.end() && at->name == info.name) {
            kept_out_.push_back(std::string(info.name) + " (registered twice)");
            return;
        }
        entries_.insert(at, std::move(info));
    }
    // By name, whatever the order the files were linked in. Complete only once
    // static initialisation is over: read it from main on, never from another
    // registration. From the first read on it never changes.
    const std::vector<Info>& entries() const {
        read_.store(true, std::memory_order_release);
        return entries_;
    }
    // The entries kept out, "NAME (why)": a second of a name, or one added
    // after the list was first read. A test keeps each registry's empty.
    const std::vector<std::string>& kept_out() const { return kept_out_; }

private:
    std::vector<Info> entries_;
    std::vector<std::string> kept_out_;
    mutable std::atomic<bool> read_{false};
};

template <class Info>
struct Registration {
    explicit Registration(Info info) { Registry<Info>::instance().add(std::move(info)); }
};

}  // namespace p2pscope
