#include <gox/analysis/cross_diff.hpp>
#include <gox/analysis/cache_evidence.hpp>
#include <gox/analysis/hashes.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace gox::analysis {

using util::starts_with;

namespace {

// The causes: id and remedy. One row each.
struct CauseInfo {
    std::string_view id, remedy;
};
constexpr CauseInfo kCauses[] = {
    {"go_version", "use the same Go version on both, or give each Go version its own cache key"},
    {"goroot_dir", "install Go at the same path on both, or build with -trimpath"},
    {"package_dir", "build with -trimpath"},
    {"trimpath", "use -trimpath on both or on neither (the same GOFLAGS)"},
    {"race", "give the race job its own cache key"},
    {"sanitizer", "give the -msan/-asan job its own cache key"},
    {"cover", "give the coverage job its own cache key"},
    {"cgo_enabled", "use the same CGO_ENABLED on both, or give each its own cache key"},
    {"cgo_flags", "use the same CGO_CFLAGS, CGO_CPPFLAGS, CGO_CXXFLAGS and CGO_LDFLAGS on both"},
    {"c_compiler", "use the same C compiler (CC, CXX) on both"},
    {"build_tags", "use the same -tags on both, or give each tag set its own cache key"},
    {"gcflags", "use the same -gcflags on both"},
    {"asmflags", "use the same -asmflags on both"},
    {"ldflags", "use the same -ldflags on both"},
    {"arch_env", "set the architecture variable the same on both, or give each value its own cache key"},
    {"goexperiment", "use the same GOEXPERIMENT on both"},
    {"target", "a cross-compiled target never shares cache entries: give each GOOS/GOARCH its own cache key"},
    {"module_version", "build the same go.sum on both: the dependency is at another version"},
    {"vcs_stamp", "build with -buildvcs=false where the stamp is not needed: it changes with every commit"},
    {"go_directive", "the go line of go.mod differs: compare builds of the same commit"},
    {"source_files", "the sources differ: compare builds of the same commit"},
    {"godebug", "the default GODEBUG differs (go.mod godebug lines): compare builds of the same commit"},
    {"env", "set the variable the same on both"},
    {"dependency", "a dependency differs"},
    {"no_key_inputs", "run both sides with --why"},
    {"not_in_cache", "make sure the cache B restores is the one A saved after its build (see the evidence)"},
    {"not_restored", "check the cache restore step: its key, its path (go env GOCACHE) and that it runs before the build"},
    {"lint_job", "save the cache from the job that builds (go build/go test), or give the lint job its own cache key"},
    {"not_built_by_a", "compare with a run that built the same packages (the same go command and patterns)"},
    {"other", ""},
};

std::string_view remedy_of(std::string_view id) {
    for (const auto& c : kCauses)
        if (c.id == id) return c.remedy;
    return "";
}

struct Found {
    std::string cause, title, detail;
};

// One side's package.
struct Pkg {
    std::string key, import_path, variant, action_id, outcome;
    bool standard = false;
    std::vector<KeyInput> inputs;
    bool has_inputs = false;
};

// What a whole document says that a single input does not.
struct Facts {
    std::string module_root, goroot, goflags, verb;
    std::size_t cached = 0; // packages that came from the cache
    std::optional<std::string> tags; // the -tags of the build, when known
    std::vector<Pkg> pkgs;
    std::map<std::string, std::size_t> by_key;         // key → pkgs index
    std::map<std::string, std::size_t> by_import_path; // plain variant first
};

std::string env_str(const nlohmann::json& doc, const char* k) {
    if (!doc.contains("environment") || !doc["environment"].is_object()) return "";
    const auto& e = doc["environment"];
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : "";
}

// -tags from the command line ("-tags=a,b", "-tags a,b", "--tags=...").
std::optional<std::string> tags_from_args(const nlohmann::json& args) {
    if (!args.is_array()) return std::nullopt;
    std::optional<std::string> tags;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (!args[i].is_string()) continue;
        std::string a = args[i].get<std::string>();
        if (a == "--") break;
        if (starts_with(a, "--")) a.erase(0, 1);
        if (starts_with(a, "-tags=")) tags = a.substr(6);
        else if (a == "-tags" && i + 1 < args.size() && args[i + 1].is_string()) tags = args[i + 1].get<std::string>();
    }
    return tags;
}

Facts read_facts(const nlohmann::json& doc) {
    Facts f;
    std::string gomod = env_str(doc, "GOMOD");
    if (auto s = gomod.rfind('/'); s != std::string::npos && s > 0 && gomod != "/dev/null") f.module_root = gomod.substr(0, s);
    f.goroot = env_str(doc, "GOROOT");
    f.goflags = env_str(doc, "GOFLAGS");
    if (doc.contains("command") && doc["command"].is_object() && doc["command"].contains("verb") &&
        doc["command"]["verb"].is_string())
        f.verb = doc["command"]["verb"].get<std::string>();
    if (doc.contains("packages") && doc["packages"].is_array())
        for (const auto& p : doc["packages"]) {
            if (!p.is_object()) continue;
            Pkg x;
            x.import_path = p.contains("import_path") && p["import_path"].is_string() ? p["import_path"].get<std::string>() : "";
            x.variant = p.contains("for_test") && p["for_test"].is_string() ? p["for_test"].get<std::string>() : "";
            x.key = x.import_path + (x.variant.empty() || x.variant == x.import_path ? "" : " [" + x.variant + "]");
            x.action_id = p.contains("action_id") && p["action_id"].is_string() ? p["action_id"].get<std::string>() : "";
            x.outcome = p.contains("outcome") && p["outcome"].is_string() ? p["outcome"].get<std::string>() : "";
            x.standard = p.contains("standard") && p["standard"].is_boolean() && p["standard"].get<bool>();
            if (p.contains("key_inputs")) {
                x.inputs = key_inputs_from_json(p["key_inputs"]);
                x.has_inputs = !x.inputs.empty();
            }
            for (const auto& in : x.inputs)
                if (in.kind == "modinfo" && in.key == "build -tags" && in.has_value) f.tags = in.value;
            f.by_key.emplace(x.key, f.pkgs.size());
            auto [it, added] = f.by_import_path.emplace(x.import_path, f.pkgs.size());
            if (!added && x.variant.empty()) it->second = f.pkgs.size();
            f.pkgs.push_back(std::move(x));
        }
    if (doc.contains("summary") && doc["summary"].is_object() && doc["summary"].contains("packages_cached") &&
        doc["summary"]["packages_cached"].is_number_unsigned())
        f.cached = doc["summary"]["packages_cached"].get<std::size_t>();
    else
        f.cached = static_cast<std::size_t>(
            std::count_if(f.pkgs.begin(), f.pkgs.end(), [](const Pkg& p) { return p.outcome == "cache_hit"; }));
    if (!f.tags && doc.contains("command") && doc["command"].is_object() && doc["command"].contains("args"))
        f.tags = tags_from_args(doc["command"]["args"]);
    if (!f.tags && !f.goflags.empty()) { // GOFLAGS=-tags=... (words separated by spaces)
        nlohmann::json words = nlohmann::json::array();
        for (std::size_t p = 0; p < f.goflags.size();) {
            std::size_t e = f.goflags.find(' ', p);
            if (e == std::string::npos) e = f.goflags.size();
            if (e > p) words.push_back(f.goflags.substr(p, e - p));
            p = e + 1;
        }
        f.tags = tags_from_args(words);
    }
    return f;
}

// ---- the first differing input -------------------------------------------

struct Diff {
    const KeyInput* a = nullptr; // nullptr: only on B
    const KeyInput* b = nullptr; // nullptr: only on A
};

bool matched_by_key(const std::string& kind) {
    return kind == "modinfo" || is_keyed_input(kind);
}

std::vector<std::string> match_keys(const std::vector<KeyInput>& v) {
    std::map<std::string, std::size_t> seen;
    std::vector<std::string> out;
    for (const auto& in : v) {
        std::string k = in.kind + '\0' + (matched_by_key(in.kind) ? in.key : std::string()) + '\0';
        k += std::to_string(seen[k]++);
        out.push_back(std::move(k));
    }
    return out;
}

std::vector<int> ranks(const std::vector<KeyInput>& v) {
    std::vector<int> out;
    int prev = 0;
    for (const auto& in : v) {
        const InputKindInfo* k = find_input_kind(in.kind);
        int r = k && k->rank >= 0 ? k->rank : prev;
        out.push_back(r);
        prev = r;
    }
    return out;
}

// The first input that differs, in go's hashing order (rank, then place);
// nullopt when the lists are the same.
std::optional<Diff> first_difference(const std::vector<KeyInput>& a, const std::vector<KeyInput>& b) {
    auto ka = match_keys(a), kb = match_keys(b);
    auto ra = ranks(a), rb = ranks(b);
    std::map<std::string, std::size_t> in_a;
    for (std::size_t i = 0; i < ka.size(); ++i) in_a.emplace(ka[i], i);
    std::set<std::size_t> matched_a;
    std::optional<std::tuple<int, std::size_t, Diff>> best;
    auto consider = [&](int rank, std::size_t pos, Diff d) {
        if (!best || std::tie(rank, pos) < std::tie(std::get<0>(*best), std::get<1>(*best))) best.emplace(rank, pos, d);
    };
    // Where each A input sits among B's: at its match, or just before the
    // next A input that is matched.
    std::vector<std::size_t> pos_a(a.size(), 2 * b.size());
    for (std::size_t j = 0; j < b.size(); ++j) {
        auto f = in_a.find(kb[j]);
        if (f == in_a.end()) {
            consider(rb[j], 2 * j + 1, Diff{nullptr, &b[j]});
            continue;
        }
        matched_a.insert(f->second);
        pos_a[f->second] = 2 * j + 1;
        if (a[f->second].digest != b[j].digest) consider(rb[j], 2 * j + 1, Diff{&a[f->second], &b[j]});
    }
    std::size_t next = 2 * b.size();
    for (std::size_t i = a.size(); i-- > 0;) {
        if (matched_a.count(i)) {
            next = pos_a[i] - 1;
            continue;
        }
        consider(ra[i], next, Diff{&a[i], nullptr});
    }
    if (!best) return std::nullopt;
    return std::get<2>(*best);
}

// ---- causes ---------------------------------------------------------------

std::string shown(const KeyInput* in, std::string_view absent = "(none)") {
    if (!in) return std::string(absent);
    return in->has_value ? (in->value.empty() ? std::string("\"\"") : in->value) : std::string("(hidden)");
}

std::string versus(const Diff& d, std::string_view absent = "(none)") {
    return shown(d.a, absent) + " vs " + shown(d.b, absent);
}

const char* only_on(const Diff& d) {
    return d.a ? "A" : "B";
}

bool has_flag(const KeyInput* in, std::string_view flag) {
    return in && in->has_value && in->value.find("\"" + std::string(flag) + "\"") != std::string::npos;
}

// -race, -msan, -asan, -cover: on one side only, by the compiler's flags.
std::optional<Found> instrumentation(const Diff& d) {
    for (auto [flag, cause] : {std::pair<std::string_view, std::string_view>{"-race", "race"},
                               {"-msan", "sanitizer"}, {"-asan", "sanitizer"}})
        if (has_flag(d.a, flag) != has_flag(d.b, flag))
            return Found{std::string(cause), fmt::format("{} only on {}", flag, has_flag(d.a, flag) ? "A" : "B"), ""};
    return std::nullopt;
}

bool is_arch_var(std::string_view k) {
    return k == "GO386" || k == "GOAMD64" || k == "GOARM" || k == "GOARM64" || k == "GOMIPS" || k == "GOMIPS64" ||
           k == "GOPPC64" || k == "GORISCV64" || k == "GOWASM";
}

// "golang.org/x/sync@v0.10.0/errgroup" style directories in the module cache:
// the module and the version, when both sides name the same module.
std::optional<Found> modcache_version(const std::string& da, const std::string& db) {
    if (!starts_with(da, "$GOMODCACHE/") || !starts_with(db, "$GOMODCACHE/")) return std::nullopt;
    auto at_a = da.find('@'), at_b = db.find('@');
    if (at_a == std::string::npos || at_b == std::string::npos || da.substr(0, at_a) != db.substr(0, at_b))
        return std::nullopt;
    auto end_a = da.find('/', at_a), end_b = db.find('/', at_b);
    std::string mod = da.substr(12, at_a - 12);
    std::string va = da.substr(at_a + 1, end_a == std::string::npos ? std::string::npos : end_a - at_a - 1);
    std::string vb = db.substr(at_b + 1, end_b == std::string::npos ? std::string::npos : end_b - at_b - 1);
    return Found{"module_version", fmt::format("module {}: {} vs {}", mod, va, vb), ""};
}

std::string module_of(const std::string& mv) {
    return mv.substr(0, mv.find('@'));
}

std::optional<Found> modinfo_cause(const Diff& d, const std::string& key) {
    auto setting = [&](std::string_view s) { return key == "build " + std::string(s); };
    if (setting("-race") || setting("-msan") || setting("-asan")) {
        std::string flag = key.substr(6);
        return Found{flag == "-race" ? "race" : "sanitizer", fmt::format("{} only on {}", flag, only_on(d)), ""};
    }
    if (setting("-tags")) return Found{"build_tags", "build tags: " + versus(d), ""};
    if (setting("-trimpath")) return Found{"trimpath", fmt::format("-trimpath only on {}", only_on(d)), ""};
    if (setting("CGO_ENABLED")) return Found{"cgo_enabled", "CGO_ENABLED " + versus(d, "(unset)"), ""};
    if (starts_with(key, "build CGO_")) return Found{"cgo_flags", "C compiler flags differ (" + key.substr(6) + ")", ""};
    if (setting("GOOS") || setting("GOARCH")) return Found{"target", key.substr(6) + " " + versus(d), ""};
    if (setting("GOEXPERIMENT")) return Found{"goexperiment", "GOEXPERIMENT " + versus(d), ""};
    if (starts_with(key, "build vcs")) return Found{"vcs_stamp", "VCS stamp differs", key.substr(6) + " " + versus(d)};
    // The main module's version: Go 1.24 and later stamp it from the VCS
    // (a pseudo-version of the commit), so a new commit changes it first.
    if (key == "mod") return Found{"vcs_stamp", "VCS stamp differs", "main module version " + versus(d)};
    if (setting("-gcflags")) return Found{"gcflags", "-gcflags differ", versus(d)};
    if (setting("-ldflags")) return Found{"ldflags", "-ldflags differ", versus(d)};
    if (setting("-asmflags")) return Found{"asmflags", "-asmflags differ", versus(d)};
    if (setting("DefaultGODEBUG")) return Found{"godebug", "default GODEBUG differs", ""};
    if (starts_with(key, "build ") && is_arch_var(key.substr(6)))
        return Found{"arch_env", key.substr(6) + " " + versus(d, "(unset)"), ""};
    if (starts_with(key, "dep ") || starts_with(key, "=> ")) {
        auto word = [](const KeyInput* in) {
            std::string v = shown(in, "(absent)");
            return v.substr(0, v.find(' '));
        };
        return Found{"module_version", fmt::format("module {}: {} vs {}", key.substr(key.find(' ') + 1), word(d.a), word(d.b)),
                     ""};
    }
    return std::nullopt;
}

struct Context {
    const Facts& a;
    const Facts& b;
};

// A ran go vet only (a lint job) and B builds: what B needs A never built.
bool lint_only(const Facts& a, const Facts& b) {
    return a.verb == "vet" && !b.verb.empty() && b.verb != "vet";
}

std::string lint_title(const Facts& a, const Facts& b) {
    return fmt::format("A ran go {} only (a lint job): it never built what go {} needs", a.verb, b.verb);
}

// A package B rebuilt that A has no key for, or the same key as A's: not a
// changed input. nullopt when B did not rebuild it. ev: what B's cache held
// before its run (cache_evidence.hpp).
std::optional<PackageCause> miss_without_change(const Pkg& pb, const Pkg* pa, const Facts& a, const Facts& b,
                                                const EvictionEvidence& ev) {
    if (pb.outcome != "rebuilt") return std::nullopt;
    // B took nothing from its cache: it started cold (two cold builds are
    // compared, or no cache was restored at all), which no package explains
    // unless the evidence says B's cache was never restored.
    if (b.cached == 0 && !lint_only(a, b) && !(ev.not_restored && pa)) return std::nullopt;
    PackageCause pc;
    pc.package = pb.key;
    pc.standard = pb.standard;
    if (lint_only(a, b)) {
        pc.cause = "lint_job";
        pc.title = lint_title(a, b);
        pc.detail = pa ? "same key, but go vet did not need its output" : "not built on A";
    } else if (!pa) {
        pc.cause = "not_built_by_a";
        pc.title = a.verb != b.verb && !a.verb.empty() && !b.verb.empty()
                       ? fmt::format("not built on A (A ran go {}, B go {})", a.verb, b.verb)
                       : "not built on A";
    } else {
        pc.cause = ev.not_restored ? "not_restored" : "not_in_cache";
        pc.title = ev.known ? ev.title
                            : "same key on both: the entry was not in B's cache (a restore or eviction problem, not a "
                              "changed input)";
        pc.detail = eviction_detail(ev, pb.action_id);
    }
    return pc;
}

std::string dir_title(const Context& c, const std::string& value) {
    if (starts_with(value, "$MODROOT")) {
        if (!c.a.module_root.empty() && !c.b.module_root.empty() && c.a.module_root != c.b.module_root)
            return fmt::format("package directory differs ({} vs {})", c.a.module_root, c.b.module_root);
        return "package directory differs (the module root)";
    }
    if (starts_with(value, "$GOMODCACHE")) return "package directory differs (the module cache, GOMODCACHE)";
    return "package directory differs";
}

// The cause of one difference, without following dependencies.
Found cause_of(const Diff& d, const Context& c) {
    const KeyInput& in = d.a ? *d.a : *d.b;
    const std::string& kind = in.kind;
    if (kind == "toolchain") return {"go_version", "Go version " + versus(d), ""};
    if (kind == "compile_tool" || kind == "asm_flags" || kind == "link_tool" || kind == "cover" || kind == "cgo_tool") {
        if (kind == "cgo_tool" && (!d.a || !d.b))
            return {"cgo_enabled", fmt::format("CGO_ENABLED {} vs {}", d.a ? 1 : 0, d.b ? 1 : 0), ""};
        if (kind == "cover" && (!d.a || !d.b)) return {"cover", fmt::format("-cover only on {}", only_on(d)), ""};
        if (d.a && d.b && d.a->key != d.b->key) return {"go_version", "Go version (" + d.a->key + " vs " + d.b->key + ")", ""};
        if (auto f = instrumentation(d)) return *f;
        if (kind == "asm_flags") return {"asmflags", "-asmflags differ", versus(d)};
        if (kind == "compile_tool") return {"gcflags", "-gcflags differ", versus(d)};
        return {"other", kind + " differs", versus(d)};
    }
    if (kind == "modinfo")
        if (auto f = modinfo_cause(d, in.key)) return *f;
    if (kind == "env") {
        if (in.key == "GOROOT") {
            std::string t = c.a.goroot != c.b.goroot && !c.a.goroot.empty() && !c.b.goroot.empty()
                                ? fmt::format("GOROOT differs ({} vs {})", c.a.goroot, c.b.goroot)
                                : "GOROOT differs";
            return {"goroot_dir", t, ""};
        }
        if (in.key == "GOEXPERIMENT") return {"goexperiment", "GOEXPERIMENT " + versus(d), ""};
        if (is_arch_var(in.key)) return {"arch_env", in.key + " " + versus(d, "(unset)"), ""};
        return {"env", "environment variable " + in.key + " differs", ""};
    }
    if (kind == "target") return {"target", "GOOS/GOARCH " + versus(d), ""};
    if (kind == "trimpath") return {"trimpath", fmt::format("-trimpath only on {}", only_on(d)), ""};
    if (kind == "module") {
        if (!d.a || !d.b) return {"trimpath", fmt::format("-trimpath only on {}", only_on(d)), ""};
        if (d.a->has_value && d.b->has_value && module_of(d.a->value) == module_of(d.b->value))
            return {"module_version",
                    fmt::format("module {}: {} vs {}", module_of(d.a->value), d.a->value.substr(d.a->value.find('@') + 1),
                                d.b->value.substr(d.b->value.find('@') + 1)),
                    ""};
        return {"other", "module differs", versus(d)};
    }
    if (kind == "package_dir") {
        // One side built with -trimpath: it has no dir.
        if (!d.a || !d.b) return {"trimpath", fmt::format("-trimpath only on {}", d.a ? "B" : "A"), ""};
        if (d.a->has_value && d.b->has_value) {
            if (auto f = modcache_version(d.a->value, d.b->value)) return *f;
            if (d.a->value == d.b->value) return {"package_dir", dir_title(c, d.a->value), ""};
            return {"package_dir", "package directory differs (another layout)", versus(d)};
        }
        return {"package_dir", "package directory differs", ""};
    }
    if (kind == "cgo_flags") {
        if (!d.a || !d.b) return {"cgo_enabled", fmt::format("cgo only on {}", only_on(d)), ""};
        return {"cgo_flags", "C compiler flags differ (CGO_CFLAGS and the like)", in.key};
    }
    if (kind == "cgo_toolchain") return {"c_compiler", "C compiler differs (" + in.key + ")", versus(d)};
    if (kind == "go_directive") return {"go_directive", "go directive of go.mod " + versus(d), ""};
    if (kind == "file") {
        std::string what = !d.a ? "added on B" : !d.b ? "only on A" : "differs";
        if (c.a.tags.value_or("") != c.b.tags.value_or("") && (!d.a || !d.b)) {
            auto t = [](const std::optional<std::string>& v) { return v && !v->empty() ? *v : std::string("(none)"); };
            return {"build_tags", "build tags: " + t(c.a.tags) + " vs " + t(c.b.tags), "file " + in.key + " " + what};
        }
        return {"source_files", "source files differ", "file " + in.key + " " + what};
    }
    if (kind == "pgo") return {"other", "PGO profile differs", ""};
    // go vet compiles a main package as a library (for its export data).
    if (kind == "forcelibrary") {
        if (lint_only(c.a, c.b)) return {"lint_job", lint_title(c.a, c.b), "the main package was only type-checked by go vet"};
        return {"other", "a main package built as a library on one side only", ""};
    }
    return {"other", kind + " differs", in.key};
}

class Resolver {
public:
    Resolver(const Facts& a, const Facts& b) : m_ctx{a, b} {}

    // The cause of package key (present in both); nullopt when its inputs
    // are the same.
    std::optional<PackageCause> resolve(const std::string& key, int depth = 0) {
        if (auto it = m_memo.find(key); it != m_memo.end()) return it->second;
        if (depth > 64 || m_busy.count(key)) return std::nullopt;
        m_busy.insert(key);
        std::optional<PackageCause> r = compute(key, depth);
        m_busy.erase(key);
        m_memo[key] = r;
        return r;
    }

private:
    std::optional<PackageCause> compute(const std::string& key, int depth) {
        const Pkg& pa = m_ctx.a.pkgs[m_ctx.a.by_key.at(key)];
        const Pkg& pb = m_ctx.b.pkgs[m_ctx.b.by_key.at(key)];
        PackageCause pc;
        pc.package = key;
        pc.standard = pb.standard;
        if (!pa.has_inputs || !pb.has_inputs) {
            pc.cause = "no_key_inputs";
            pc.title = fmt::format("no key inputs on {}", pa.has_inputs ? "B" : "A");
            return pc;
        }
        auto d = first_difference(pa.inputs, pb.inputs);
        if (!d) return std::nullopt;
        const KeyInput& in = d->a ? *d->a : *d->b;
        if (in.kind == "dependency" && d->a && d->b) {
            // The dependency's own cause, when both sides list it.
            if (auto dep = dependency_key(in.key, pb.variant))
                if (auto sub = resolve(*dep, depth + 1); sub && sub->cause != "no_key_inputs") {
                    pc.cause = sub->cause;
                    pc.title = sub->title;
                    pc.detail = "through " + in.key;
                    pc.indirect = true;
                    return pc;
                }
            pc.cause = "dependency";
            pc.title = "a dependency's content differs";
            pc.detail = in.key;
            return pc;
        }
        if (in.kind == "dependency") {
            pc.cause = "dependency";
            pc.title = "the imports differ";
            pc.detail = in.key + (d->a ? " only on A" : " only on B");
            return pc;
        }
        Found f = cause_of(*d, m_ctx);
        pc.cause = f.cause;
        pc.title = f.title;
        pc.detail = f.detail;
        return pc;
    }

    // The dependency as both documents list it: the same test variant first.
    std::optional<std::string> dependency_key(const std::string& ip, const std::string& variant) const {
        for (std::string k : {variant.empty() || variant == ip ? std::string() : ip + " [" + variant + "]", ip}) {
            if (k.empty()) continue;
            if (m_ctx.a.by_key.count(k) && m_ctx.b.by_key.count(k)) return k;
        }
        return std::nullopt;
    }

    Context m_ctx;
    std::map<std::string, std::optional<PackageCause>> m_memo;
    std::set<std::string> m_busy;
};

// A flag's cause that one side's GOFLAGS set: said in the title, as the
// place to change it ("-race only on B (set through GOFLAGS on B)").
void note_goflags(PackageCause& pc, const Facts& a, const Facts& b) {
    static constexpr std::pair<std::string_view, std::string_view> kFlagOf[] = {
        {"race", "-race"},      {"trimpath", "-trimpath"}, {"build_tags", "-tags"}, {"gcflags", "-gcflags"},
        {"ldflags", "-ldflags"}, {"asmflags", "-asmflags"}, {"cover", "-cover"},     {"sanitizer", "-msan"},
        {"sanitizer", "-asan"}};
    if (a.goflags == b.goflags) return;
    auto has = [](const std::string& goflags, std::string_view flag) {
        for (std::size_t p = goflags.find(flag); p != std::string::npos; p = goflags.find(flag, p + 1))
            if (p == 0 || goflags[p - 1] == ' ' || goflags[p - 1] == '-') return true;
        return false;
    };
    for (auto [cause, flag] : kFlagOf) {
        if (pc.cause != cause) continue;
        bool in_a = has(a.goflags, flag), in_b = has(b.goflags, flag);
        if (in_a || in_b) {
            pc.title += in_a && in_b ? " (set through GOFLAGS on both)" : in_a ? " (set through GOFLAGS on A)"
                                                                              : " (set through GOFLAGS on B)";
            return;
        }
    }
}

} // namespace

CrossDiff cross_diff(const nlohmann::json& a, const nlohmann::json& b) {
    CrossDiff out;
    Facts fa = read_facts(a), fb = read_facts(b);
    auto any_inputs = [](const Facts& f) {
        return std::any_of(f.pkgs.begin(), f.pkgs.end(), [](const Pkg& p) { return p.has_inputs; });
    };
    out.available = any_inputs(fa) && any_inputs(fb);
    if (!out.available) return out;
    Resolver res(fa, fb);
    const EvictionEvidence ev = eviction_evidence(a, b);
    std::map<std::pair<std::string, std::string>, std::size_t> group_of;
    for (const Pkg& pb : fb.pkgs) {
        auto ia = fa.by_key.find(pb.key);
        std::optional<PackageCause> pc;
        if (ia == fa.by_key.end()) {
            pc = miss_without_change(pb, nullptr, fa, fb, ev);
        } else {
            const Pkg& pa = fa.pkgs[ia->second];
            if (pa.has_inputs && pb.has_inputs) ++out.compared;
            if (pa.action_id.empty() || pb.action_id.empty()) continue;
            if (pa.action_id == pb.action_id) {
                pc = miss_without_change(pb, &pa, fa, fb, ev);
            } else {
                ++out.differ;
                pc = res.resolve(pb.key);
                if (!pc)
                    pc = PackageCause{pb.key, "other", "the key inputs are the same, the action IDs are not", "",
                                      pb.standard, false};
            }
        }
        if (!pc) continue;
        note_goflags(*pc, fa, fb);
        auto [g, added] = group_of.emplace(std::make_pair(pc->cause, pc->title), out.groups.size());
        if (added) out.groups.push_back(CauseGroup{pc->cause, pc->title, std::string(remedy_of(pc->cause)), 0, 0, 0, {}});
        CauseGroup& grp = out.groups[g->second];
        ++grp.packages;
        if (pc->standard) ++grp.standard;
        if (pc->indirect) ++grp.indirect;
        grp.names.push_back(pc->package);
        out.packages.push_back(std::move(*pc));
    }
    std::stable_sort(out.groups.begin(), out.groups.end(),
                     [](const CauseGroup& x, const CauseGroup& y) { return x.packages > y.packages; });
    return out;
}

} // namespace gox::analysis
