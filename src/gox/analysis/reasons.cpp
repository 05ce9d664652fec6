#include <gox/analysis/reasons.hpp>
#include <gox/history/store.hpp>
#include <gox/trace/go_flags.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

namespace gox::analysis {

const std::vector<ReasonInfo>& reason_table() {
    static const std::vector<ReasonInfo> t = {
#define X(id, name, desc, remedy) ReasonInfo{name, desc, remedy},
        GOX_REASONS(X)
#undef X
    };
    return t;
}

std::string_view reason_name(Reason r) { return reason_table()[static_cast<std::size_t>(r)].id; }

const ReasonInfo* find_reason(std::string_view id) {
    for (const auto& r : reason_table())
        if (r.id == id) return &r;
    return nullptr;
}

std::optional<Reason> reason_from_name(std::string_view id) {
    const auto& t = reason_table();
    for (std::size_t i = 0; i < t.size(); ++i)
        if (t[i].id == id) return static_cast<Reason>(i);
    return std::nullopt;
}

std::string run_kind(std::string_view verb, const std::vector<std::string>& args) {
    std::string kind = verb == "vet" ? "vet" : "build";
    std::string cover, coverpkg, covermode, sanitizer;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--" || a == "-args" || a == "--args" || a.empty() || a[0] != '-') break;
        std::string_view name = a.substr(a[1] == '-' ? 2 : 1);
        std::string value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string_view::npos) {
            value = std::string(name.substr(eq + 1));
            name = name.substr(0, eq);
            has_value = true;
        } else if (trace::go_flag_takes_value(a) && i + 1 < args.size()) {
            value = args[++i];
            has_value = true;
        }
        bool on = !has_value || value == "true" || value == "1";
        if (name == "cover") cover = on ? " cover" : "";
        else if (name == "coverprofile" || name == "test.coverprofile") cover = " cover";
        else if (name == "coverpkg") coverpkg = " coverpkg=" + value;
        else if (name == "covermode") covermode = " covermode=" + value;
        else if (name == "race" || name == "msan" || name == "asan") {
            auto tag = " " + std::string(name);
            if (on && sanitizer.find(tag) == std::string::npos) sanitizer += tag;
        }
    }
    if (!coverpkg.empty() || !covermode.empty()) cover = " cover";
    return kind + sanitizer + cover + coverpkg + covermode;
}

std::optional<history::PackageRecord> previous_record(const history::Store& store, const history::Scope& scope,
                                                      const std::string& import_path, const std::string& variant,
                                                      std::int64_t before_run, const std::string& kind) {
    if (kind.empty()) return store.previous(scope, import_path, variant, before_run);
    // The newest 32 records: a kind that ran longer ago than that is not
    // "the previous run like this one" any more.
    auto recs = store.earlier(scope, import_path, variant, before_run, 32);
    if (recs.empty()) return std::nullopt;
    for (auto& r : recs) {
        auto args = nlohmann::json::parse(r.args, nullptr, false);
        std::vector<std::string> list;
        if (args.is_array())
            for (const auto& a : args)
                if (a.is_string()) list.push_back(a.get<std::string>());
        if (run_kind(r.verb, list) == kind) return std::move(r.pkg);
    }
    return std::move(recs.front().pkg);
}

namespace {
std::string variant_of(const model::Package& p) { return p.for_test == p.import_path ? "" : p.for_test; }
} // namespace

std::vector<Verdict> assign_reasons(const model::Build& b, const ReasonContext& ctx) {
    std::vector<Verdict> out(b.packages.size());
    // This run's content IDs by import path (the non-test variant wins).
    std::map<std::string, const model::Package*> by_path;
    for (const auto& p : b.packages)
        if (!by_path.count(p.import_path) || p.for_test.empty()) by_path[p.import_path] = &p;

    std::map<std::string, std::optional<history::PackageRecord>> prev_cache;
    auto previous = [&](const std::string& path, const std::string& variant) -> const std::optional<history::PackageRecord>& {
        std::string key = path + '\0' + variant;
        auto it = prev_cache.find(key);
        if (it != prev_cache.end()) return it->second;
        std::optional<history::PackageRecord> r;
        if (ctx.baseline) {
            if (auto b = ctx.baseline->packages.find(key); b != ctx.baseline->packages.end()) r = b->second;
        } else if (ctx.store) {
            r = previous_record(*ctx.store, ctx.scope, path, variant, ctx.this_run, ctx.kind);
        }
        return prev_cache.emplace(key, std::move(r)).first->second;
    };
    // Whether an earlier run built this action ID at all: the cache held it once.
    auto seen_before = [&](const std::string& action_id) {
        if (action_id.empty()) return false;
        if (ctx.baseline) return ctx.baseline->action_ids.count(action_id) > 0;
        return ctx.store && ctx.store->action_seen(ctx.scope, action_id, ctx.this_run);
    };
    const char* previous_run = ctx.baseline ? "the baseline" : "the previous run";

    for (std::size_t i = 0; i < b.packages.size(); ++i) {
        const model::Package& p = b.packages[i];
        if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
        Verdict& v = out[i];
        auto set = [&](Reason r, std::string detail = {}) {
            v.reason = r;
            v.detail = std::move(detail);
        };
        if (ctx.forced) {
            set(Reason::Forced);
            continue;
        }
        if (ctx.verify_mode) {
            set(Reason::VerifyMode);
            continue;
        }
        const auto& prev = previous(p.import_path, variant_of(p));
        if (!prev) {
            if (seen_before(p.action_id))
                set(Reason::CacheEntryMissing, "action " + p.action_id + " was built before");
            else
                set(Reason::NoHistory, ctx.baseline ? "not in the baseline" : "");
            continue;
        }
        if (!p.action_id.empty() && p.action_id == prev->action_id) {
            set(Reason::CacheEntryMissing, "same action ID " + p.action_id + " as " + previous_run);
            continue;
        }
        // A dependency whose output differs from what it was in the previous run.
        std::string changed;
        for (const auto& d : p.deps) {
            auto it = by_path.find(d);
            if (it == by_path.end() || it->second->content_id.empty()) continue;
            const auto& dprev = previous(d, "");
            if (dprev && !dprev->content_id.empty() && dprev->content_id != it->second->content_id) {
                changed = d;
                break;
            }
        }
        // Inputs changed but the compiled output did not: go stops there, so
        // the packages that import it stay cached (content-based staleness).
        if (!p.content_id.empty() && p.content_id == prev->content_id) v.output_unchanged = true;
        if (!changed.empty()) set(Reason::DependencyChanged, changed);
        else set(Reason::InputsChanged, p.action_id.empty() ? "" : prev->action_id + " → " + p.action_id);
    }
    return out;
}

std::optional<Baseline> baseline_from_doc(const nlohmann::json& doc, const std::string& label, std::string& err) {
    if (!doc.is_object() || !doc.contains("schema_version") || !doc.contains("packages") || !doc["packages"].is_array()) {
        err = "not a gox JSON summary (--summary-format=json): no schema_version and packages";
        return std::nullopt;
    }
    auto str = [](const nlohmann::json& o, const char* k) {
        return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
    };
    Baseline b;
    b.label = label;
    b.go_version = str(doc, "go_version");
    b.doc = doc;
    for (const auto& p : doc["packages"]) {
        if (!p.is_object()) continue;
        history::PackageRecord r;
        r.import_path = str(p, "import_path");
        std::string for_test = str(p, "for_test");
        r.variant = for_test == r.import_path ? "" : for_test;
        r.action_id = str(p, "action_id");
        r.content_id = str(p, "content_id");
        r.outcome = str(p, "outcome");
        if (r.import_path.empty()) continue;
        if (!r.action_id.empty()) b.action_ids.insert(r.action_id);
        b.packages[r.import_path + '\0' + r.variant] = std::move(r);
    }
    return b;
}

std::string module_path_of(const std::string& gomod) {
    if (gomod.empty() || gomod == "/dev/null") return "";
    std::ifstream in(gomod);
    std::string line;
    while (std::getline(in, line)) {
        if (auto c = line.find("//"); c != std::string::npos) line.erase(c);
        std::size_t b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos || line.compare(b, 6, "module") != 0) continue;
        std::size_t v = line.find_first_not_of(" \t", b + 6);
        if (v == b + 6 || v == std::string::npos) continue; // "modules...", or no path
        std::size_t e = line.find_last_not_of(" \t\r");
        std::string path = line.substr(v, e - v + 1);
        if (path.size() >= 2 && (path.front() == '"' || path.front() == '`') && path.back() == path.front())
            path = path.substr(1, path.size() - 2);
        return path == "(" ? "" : path;
    }
    return "";
}

std::optional<history::RunRecord> newest_run_elsewhere(const history::Store& store, const std::string& module_path,
                                                       const std::string& other_than, std::int64_t before) {
    if (module_path.empty()) return std::nullopt;
    // The newest 200 runs: a module path not seen in those is not "the same
    // module, moved" any more.
    for (auto& r : store.runs("", 200)) {
        if (r.id >= before || r.module_root == other_than) continue;
        auto env = nlohmann::json::parse(r.env, nullptr, false);
        if (env.is_object() && env.value(kModulePathKey, "") == module_path) return std::move(r);
    }
    return std::nullopt;
}

std::string previous_module_root(const history::Store& store, const std::string& module_root,
                                 const std::string& module_path) {
    if (module_path.empty() || !store.runs(module_root, 1).empty()) return module_root;
    auto r = newest_run_elsewhere(store, module_path, module_root);
    return r ? r->module_root : module_root;
}

} // namespace gox::analysis
