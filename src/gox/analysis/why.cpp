#include <gox/analysis/reasons.hpp>
#include <gox/analysis/why.hpp>
#include <gox/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <optional>

namespace gox::analysis {

std::string chunks_to_json(const HashRecord& r) {
    nlohmann::json arr = nlohmann::json::array();
    for (std::size_t i = 0; i < r.chunk_count(); ++i) arr.push_back(std::string(r.chunk(i)));
    return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> chunks_from_json(const std::string& s) {
    std::vector<std::string> out;
    auto j = nlohmann::json::parse(s, nullptr, false);
    if (!j.is_array()) return out;
    for (auto& c : j)
        if (c.is_string()) out.push_back(c.get<std::string>());
    return out;
}

std::map<std::string, std::string> records_by(const std::vector<HashRecord>& records, std::string_view kind,
                                              bool by_action_id) {
    std::map<std::string, std::string> out;
    for (const auto& r : records)
        if (r.kind() == kind && r.complete()) out[by_action_id ? r.action_id() : r.sum()] = chunks_to_json(r);
    return out;
}

std::map<std::string, std::string> inputs_by_action(const std::vector<HashRecord>& records) {
    return records_by(records, "build", true);
}

namespace {

bool is_source_ext(std::string_view name) {
    static constexpr std::string_view kExt[] = {".go", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx",
                                                ".s", ".S", ".sx", ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx"};
    for (auto e : kExt)
        if (util::ends_with(name, e)) return true;
    return false;
}

std::string both(const HashChange& c) {
    auto trim = [](std::string v) {
        while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
        return util::clip(v, 80);
    };
    return trim(c.old_value) + " → " + trim(c.new_value);
}

using Named = std::pair<std::string, std::string>;

Named named(Reason r, std::string detail) {
    return {std::string(reason_name(r)), std::move(detail)};
}

// The detail of a change whose reason is its kind's (the reason column of
// GOX_HASH_INPUTS).
std::string detail_of(const HashChange& c, Reason r) {
    switch (r) {
    case Reason::SourceFileChanged:
    case Reason::DependencyChanged:
    case Reason::TestEnvChanged:
    case Reason::TestFileChanged:
        return c.key;
    case Reason::EnvChanged:
        return c.key + ": " + both(c);
    case Reason::GcflagsChanged:
        return c.id + ": " + both(c);
    case Reason::InputsChanged:
        return c.id + (c.key.empty() ? "" : " " + c.key) + ": " + both(c);
    default:
        return both(c);
    }
}

// A source file added, removed or changed, or another file (//go:embed).
std::optional<Named> file_reason(const HashChange& c) {
    if (!is_source_ext(c.key)) return named(Reason::EmbedFileChanged, c.key);
    if (c.what == HashChange::Added) return named(Reason::SourceFileAdded, c.key);
    if (c.what == HashChange::Removed) return named(Reason::SourceFileRemoved, c.key);
    return std::nullopt;
}

// "CC=[exe...] [cppflags] [cflags] [ldflags]": another compiler command
// (CC=clang) is the C toolchain, not its flags.
Named cgo_flags_reason(const HashChange& c) {
    auto exe = [](const std::string& v) {
        auto e = v.find("] ");
        return e == std::string::npos ? v : v.substr(0, e + 1);
    };
    if (c.what == HashChange::Changed && exe(c.old_value) != exe(c.new_value))
        return named(Reason::CgoToolchainChanged, c.key + ": " + exe(c.old_value) + " → " + exe(c.new_value));
    return named(Reason::EnvChanged, "CGO flags of " + c.key + ": " + both(c));
}

// -trimpath hashes a package's module path@version instead of its directory:
// one of the two appearing (and the other going) is the flag toggled, not a
// new module version or a move. A module dependency's directory names its
// version (…/mod/example.com/dep@v1.2.3/pkg): a new version, not a move.
std::optional<Named> module_or_dir_reason(const HashChange& c) {
    if (c.what != HashChange::Changed) {
        bool on = (c.id == "module") == (c.what == HashChange::Added);
        return named(Reason::GcflagsChanged, on ? "-trimpath: off → on" : "-trimpath: on → off");
    }
    if (c.id != "package_dir") return std::nullopt;
    auto at_old = c.old_value.find('@'), at_new = c.new_value.find('@');
    if (at_old == std::string::npos || at_new == std::string::npos ||
        c.old_value.substr(0, at_old) != c.new_value.substr(0, at_new))
        return std::nullopt;
    auto ver = [](const std::string& v, std::size_t at) {
        auto end = v.find_first_of("/\\\n", at);
        return v.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    };
    std::string mod = c.old_value.substr(0, at_old);
    auto slash = mod.find("/mod/");
    if (slash != std::string::npos) mod = mod.substr(slash + 5);
    return named(Reason::ModuleVersionChanged, mod + " " + ver(c.old_value, at_old) + " → " + ver(c.new_value, at_new));
}

// One entry of the build info (modinfo) changed.
Named modinfo_reason(const HashChange& c) {
    const std::string& k = c.key;
    std::string d = k + ": " + both(c);
    if (util::starts_with(k, "vcs")) return named(Reason::VcsStampChanged, d);
    // The main module's own version ("mod") is stamped from version control
    // (go 1.24+: the tag or a pseudo-version of the commit, +dirty); without
    // VCS it is always (devel).
    if (k == "mod") return named(Reason::VcsStampChanged, d);
    if (util::starts_with(k, "dep") || util::starts_with(k, "=>")) return named(Reason::ModuleVersionChanged, d);
    // Build settings recorded in the main package's build info.
    if (k == "-gcflags" || k == "-race" || k == "-msan" || k == "-asan" || k == "-buildmode" || k == "-trimpath")
        return named(Reason::GcflagsChanged, d);
    if (k == "-ldflags") return named(Reason::LdflagsChanged, d);
    if (k == "-asmflags") return named(Reason::AsmflagsChanged, d);
    if (k == "-tags") return named(Reason::BuildTagsChanged, d);
    if (k == "CGO_ENABLED" || util::starts_with(k, "CGO_") || util::starts_with(k, "GO") || k == "CC" || k == "CXX")
        return named(Reason::EnvChanged, d);
    return named(Reason::InputsChanged, "build info " + d);
}

} // namespace

std::pair<std::string, std::string> reason_from_changes(const std::vector<HashChange>& changes) {
    // A GOEXPERIMENT change also changes the tool IDs hashed before it
    // (`compile -V=full` prints "compile version go1.26.8 X:jsonv2"): the
    // variable is the cause, not a new toolchain.
    for (const auto& c : changes)
        if (c.id == "env" && c.key == "GOEXPERIMENT") return named(Reason::EnvChanged, detail_of(c, Reason::EnvChanged));
    if (changes.empty()) return {"", ""};
    // The first change (go's order) is the one that made the sums differ.
    const HashChange& c = changes.front();
    const std::string& id = c.id;
    if (id == "file")
        if (auto r = file_reason(c)) return *r;
    if (id == "compile_tool")
        return named(c.key.empty() ? Reason::ToolchainChanged : Reason::GcflagsChanged, both(c));
    if (id == "cgo_flags") return cgo_flags_reason(c);
    if (id == "module" || id == "package_dir")
        if (auto r = module_or_dir_reason(c)) return *r;
    if (id == "modinfo") return modinfo_reason(c);
    Reason r = input_reason(id);
    return named(r, detail_of(c, r));
}

void refine_reasons(const model::Build& b, std::vector<Verdict>& verdicts,
                    const std::map<std::string, std::string>& this_inputs,
                    const std::map<std::string, std::string>& prev_inputs) {
    verdicts.resize(b.packages.size());
    for (std::size_t i = 0; i < b.packages.size(); ++i) {
        const model::Package& p = b.packages[i];
        Verdict& v = verdicts[i];
        if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
        if (v.reason && *v.reason != Reason::InputsChanged && *v.reason != Reason::DependencyChanged) continue;
        auto cur = this_inputs.find(p.action_id);
        std::string variant = p.for_test == p.import_path ? "" : p.for_test;
        auto prev = prev_inputs.find(p.import_path + '\0' + variant);
        if (cur == this_inputs.end() || prev == prev_inputs.end() || prev->second.empty()) continue;
        auto changes = diff_inputs(chunks_from_json(prev->second), chunks_from_json(cur->second));
        auto [id, detail] = reason_from_changes(changes);
        auto r = reason_from_name(id);
        if (!r) continue;
        v.reason = *r;
        v.detail = detail;
    }
}

} // namespace gox::analysis
