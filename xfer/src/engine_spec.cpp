// SPDX-License-Identifier: GPL-2.0-or-later
// The engines' registry and what every front end reads from an engine's spec.
#include "p2pscope/xfer/engine.hpp"

namespace p2pscope::xfer {

const MemoryChoice* EngineSpec::memory(std::string_view n) const {
    for (const auto& m : memories)
        if (m.name == n) return &m;
    return nullptr;
}

std::vector<std::string_view> EngineSpec::memory_names() const {
    std::vector<std::string_view> out;
    for (const auto& m : memories)
        if (!(m.traits & kMemImplied)) out.push_back(m.name);
    return out;
}

void EngineSpec::complete(Request& r) const {
    if (r.memory.empty()) {
        for (const auto& m : memories)
            if ((m.traits & kMemFile) && !r.file.empty()) r.memory = m.name;
        if (r.memory.empty() && !memories.empty() && !(memories.front().traits & kMemImplied))
            r.memory = memories.front().name;
    }
    if (r.direction.empty() && !directions.empty()) r.direction = directions.front();
}

const std::vector<EngineSpec>& engines() { return Registry<EngineSpec>::instance().entries(); }

const std::vector<std::string>& registered_engine_duplicates() {
    return Registry<EngineSpec>::instance().duplicates();
}

const EngineSpec* find_engine(std::string_view name) {
    for (const auto& e : engines())
        if (e.name == name) return &e;
    return nullptr;
}

std::unique_ptr<Engine> make_engine(std::string_view name) {
    const auto* e = find_engine(name);
    return e ? e->make() : nullptr;
}

std::string engine_names() {
    std::string s;
    for (const auto& e : engines()) s += (s.empty() ? "" : ", ") + std::string(e.name);
    return s;
}

namespace {

std::string choices_text(bool memories) {
    std::string out;
    for (const auto& e : engines()) {
        std::vector<std::string_view> names = memories ? e.memory_names() : e.directions;
        if (names.size() < 2) continue;  // no choice
        std::string line = std::string(e.name) + ":";
        for (size_t i = 0; i < names.size(); ++i) line += (i ? ", " : " ") + std::string(names[i]) + (i ? "" : " (default)");
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

}  // namespace

std::string memory_choices_text() { return choices_text(true); }
std::string direction_choices_text() { return choices_text(false); }

std::string engines_reading(RequestField field) {
    std::string out;
    for (const auto& e : engines())
        if (e.reads(field)) out += (out.empty() ? "" : ", ") + std::string(e.name);
    return out;
}

}  // namespace p2pscope::xfer
