// SPDX-License-Identifier: GPL-2.0-or-later
// The engines' registry and what every front end reads from an engine's spec.
#include "p2pscope/xfer/engine.hpp"

#include <algorithm>

#include "p2pscope/list_text.hpp"

namespace p2pscope::xfer {

namespace {

std::string one_of(const std::vector<std::string_view>& names) { return list_text(names, " or "); }

// Why `given` is not one of `choices` for `option`: none given, or not one of them.
std::string not_a_choice(const std::string& option, const std::string& given,
                         const std::vector<std::string_view>& choices) {
    if (given.empty()) return "no " + option + " given (" + one_of(choices) + ")";
    if (choices.empty()) return "takes no " + option + ", not '" + given + "'";
    return option + " must be " + one_of(choices) + ", not '" + given + "'";
}

}  // namespace

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

std::vector<std::string_view> EngineSpec::memories_with(uint32_t traits) const {
    std::vector<std::string_view> out;
    for (const auto& m : memories)
        if (m.traits & traits) out.push_back(m.name);
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

CheckResult EngineSpec::check_choices(const Request& r) const {
    const std::string engine = "engine " + std::string(name) + ": ";
    const bool direction_ok = r.direction.empty() ? directions.empty()
                                                  : std::find(directions.begin(), directions.end(), r.direction) !=
                                                        directions.end();
    if (!direction_ok) return CheckResult::bad(engine + not_a_choice("--direction", r.direction, directions));
    // The implied memory is never needed, but naming it is no mistake.
    std::vector<std::string_view> all;
    for (const auto& m : memories) all.push_back(m.name);
    const bool memory_ok = r.memory.empty() ? memory_names().empty() : memory(r.memory) != nullptr;
    if (!memory_ok) return CheckResult::bad(engine + not_a_choice("--memory", r.memory, all));
    return CheckResult::yes();
}

CheckResult check_request(const EngineSpec& spec, const Engine& engine, const Request& completed) {
    if (auto c = spec.check_choices(completed); !c.ok()) return c;
    return engine.check(completed);
}

std::string capability_names(const EngineSpec& spec) {
    const std::pair<bool, const char*> names[] = {
        {(spec.capabilities & kCapRead) != 0, "read"},
        {(spec.capabilities & kCapWrite) != 0, "write"},
        {(spec.capabilities & kCapVerify) != 0, "verify"},
        {spec.reads(kFieldQueueDepth), "queue-depth"},
        {spec.reads(kFieldWidths), "access-width"},
        {(spec.capabilities & kCapPeer) != 0, "peer"},
    };
    std::string out;
    for (const auto& [has, n] : names)
        if (has) out += (out.empty() ? "" : " ") + std::string(n);
    return out;
}

const std::vector<EngineSpec>& engines() { return Registry<EngineSpec>::instance().entries(); }

const std::vector<std::string>& kept_out_engines() {
    return Registry<EngineSpec>::instance().kept_out();
}

const EngineSpec* find_engine(const std::vector<EngineSpec>& list, std::string_view name) {
    for (const auto& e : list)
        if (e.name == name) return &e;
    return nullptr;
}

const EngineSpec* find_engine(std::string_view name) { return find_engine(engines(), name); }

std::unique_ptr<Engine> make_engine(std::string_view name) {
    const auto* e = find_engine(name);
    return e ? e->make() : nullptr;
}

std::string engine_names(const std::vector<EngineSpec>& list) {
    std::vector<std::string_view> names;
    for (const auto& e : list) names.push_back(e.name);
    return list_text(names);
}

std::string engine_names() { return engine_names(engines()); }

std::string memory_choices_text(bool several) {
    std::string out;
    for (const auto& e : engines()) {
        std::vector<const MemoryChoice*> shown;
        for (const auto& m : e.memories)
            if (!(m.traits & kMemImplied) && (several || !(m.traits & kMemSeveral))) shown.push_back(&m);
        if (shown.size() < 2) continue;  // no choice
        const bool stood_for = !several && !e.memories.empty() && (e.memories.front().traits & kMemSeveral);
        for (const MemoryChoice* m : shown) {
            const char* mark = m == &e.memories.front() || stood_for ? " (default)"
                               : m->traits & kMemFile               ? " (default with --file)"
                                                                    : "";
            out += (out.empty() ? "" : "\n") + std::string(e.name) + " " + std::string(m->name) + mark + ": " +
                   std::string(m->help);
        }
    }
    return out;
}

std::string direction_choices_text() {
    std::string out;
    for (const auto& e : engines()) {
        if (e.directions.size() < 2) continue;  // no choice
        std::string line = std::string(e.name) + ":";
        for (size_t i = 0; i < e.directions.size(); ++i)
            line += (i ? ", " : " ") + std::string(e.directions[i]) + (i ? "" : " (default)");
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

std::string engines_reading(const std::vector<const EngineSpec*>& specs, RequestField field) {
    std::vector<std::string_view> names;
    for (const EngineSpec* e : specs)
        if (e->reads(field)) names.push_back(e->name);
    return list_text(names);
}

std::string engines_reading(RequestField field) {
    std::vector<const EngineSpec*> specs;
    for (const auto& e : engines()) specs.push_back(&e);
    return engines_reading(specs, field);
}

std::string not_read_reason(std::string_view engine, std::string_view name, std::string_view readers) {
    return "engine " + std::string(engine) + " does not read " + std::string(name) + " (" +
           (readers.empty() ? std::string("no engine does") : "engines that do: " + std::string(readers)) + ")";
}

}  // namespace p2pscope::xfer
