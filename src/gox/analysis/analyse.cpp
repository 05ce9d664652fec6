// The analysis step after go (analyse.hpp): diagnosis, package reasons,
// exact reasons from hash inputs, test reasons, in that order, each from
// plain inputs into one RunAnalysis.

#include <gox/analysis/analyse.hpp>

#include <gox/analysis/test_key.hpp>
#include <gox/analysis/cross_diff.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/analysis/why.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>

namespace gox::analysis {

namespace {

const Verdict kNoVerdict{};

bool has_flag(const std::vector<std::string>& args, std::string_view f) {
    for (const auto& a : args) {
        if (a == "--" || a == "-args") break;
        if (a == f || a == std::string(f) + "=true" || a == "-" + std::string(f)) return true;
    }
    return false;
}

std::string env_string(const nlohmann::json& env, const char* key) {
    return env.is_object() && env.contains(key) && env[key].is_string() ? env[key].get<std::string>() : "";
}

// Whether the run failed: go's exit status, or for a saved trace (which has
// none) the failures go printed.
bool run_failed(const model::Build& b, const RunFacts& f) {
    if (f.saved_trace) return b.failed();
    return f.diag.exit_code != 0 || f.diag.interrupted;
}

// The diagnosis, then what it may do besides reading: check the suspects'
// cache files, and re-run against an empty cache when asked or when the
// failure points at the cache.
void diagnose_run(const model::Build& b, const RunFacts& f, const Collected& in, const FailureFollowUp& fu,
                  RunAnalysis& out) {
    if (!run_failed(b, f)) {
        if (fu.repro_always) out.notes.push_back("--repro-clean: the command succeeded, there is nothing to reproduce");
        return;
    }
    out.diagnosis = diagnose(b, in.errors, f.diag);
    if (!out.diagnosis) return;
    auto cls = class_from_name(out.diagnosis->cls).value_or(FailureClass::Unknown);
    bool about_cache = class_about_cache(cls);
    if (fu.verify_suspects && (fu.verify_always || (about_cache && cls != FailureClass::CacheUnusable)))
        out.diagnosis->verified = fu.verify_suspects(b, *out.diagnosis);
    if (fu.reproduce && !f.diag.interrupted && !fu.repro_never && (fu.repro_always || about_cache))
        out.diagnosis->repro = fu.reproduce(*out.diagnosis);
}

// --why against a baseline made with --why: the first key input that differs
// from the baseline's names the cause of each package this run rebuilt
// (cross_diff.hpp), and the largest groups of causes become notes. A is the
// baseline, B this run.
void baseline_causes(const model::Build& b, const RunFacts& f, const Collected& in, RunAnalysis& out) {
    if (!f.baseline) return;
    out.compared_with = ComparedWith{f.baseline->label, f.baseline->go_version};
    if (!in.inputs || in.inputs->empty()) return;
    nlohmann::ordered_json mine;
    mine["environment"] = nlohmann::ordered_json::parse(f.env.dump());
    mine["command"] = {{"verb", f.verb}, {"args", f.args}};
    nlohmann::ordered_json pkgs = nlohmann::ordered_json::array();
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < b.packages.size(); ++i) {
        const model::Package& p = b.packages[i];
        // Only what this run missed: a package that differs from the
        // baseline but came from this cache cost nothing.
        if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
        std::string variant = p.for_test == p.import_path ? "" : p.for_test;
        pkgs.push_back({{"import_path", p.import_path}, {"for_test", variant}, {"action_id", p.action_id},
                        {"standard", p.standard}, {"outcome", std::string(model::outcome_name(p.outcome))}});
        index.emplace(p.import_path + (variant.empty() ? "" : " [" + variant + "]"), i);
    }
    mine["packages"] = std::move(pkgs);
    mine["summary"] = {{"packages_cached", static_cast<std::size_t>(std::count_if(
                           b.packages.begin(), b.packages.end(),
                           [](const model::Package& p) { return p.outcome == model::Outcome::CacheHit; }))}};
    if (!f.cache_evidence.is_null()) mine["cache_evidence"] = nlohmann::ordered_json::parse(f.cache_evidence.dump());
    attach_key_inputs(mine, *in.inputs);
    CrossDiff d = cross_diff(f.baseline->doc, nlohmann::json::parse(mine.dump()));
    out.compared_with->key_inputs = d.available;
    if (!d.available) {
        out.notes.push_back("the baseline carries no key inputs (it was made without --why): the reasons cannot name "
                            "the input that differs");
        return;
    }
    out.compared_with->compared = d.compared;
    out.compared_with->differ = d.differ;
    out.compared_with->causes = causes_json(d);
    for (const auto& pc : d.packages) {
        auto it = index.find(pc.package);
        if (it == index.end()) continue;
        Verdict& v = out.packages[it->second];
        // No input changed (the same key, or a package the baseline did not
        // build): the reason stays, the cause says where the entry went.
        if (pc.cause == "not_in_cache" || pc.cause == "not_restored" || pc.cause == "lint_job" ||
            pc.cause == "not_built_by_a") {
            v.detail = pc.title + (v.detail.empty() ? "" : ": " + v.detail);
            continue;
        }
        if (v.reason != Reason::InputsChanged && v.reason != Reason::DependencyChanged) continue;
        v.reason = pc.indirect ? Reason::DependencyChanged : Reason::InputsChanged;
        v.detail = pc.title + (pc.detail.empty() ? "" : ": " + pc.detail);
    }
    for (std::size_t g = 0; g < d.groups.size() && g < 3; ++g)
        out.notes.push_back("vs the baseline (A; this run is B): " + group_label(d.groups[g]) + ": " +
                            d.groups[g].title + (d.groups[g].remedy.empty() ? "" : " → " + d.groups[g].remedy));
}

// Why each rebuilt package missed: the history's previous run of the same
// kind, then (--why) the first hash input that differs from that run's.
void package_reasons(const model::Build& b, const history::Store* store, const RunFacts& f, const Collected& in,
                     RunAnalysis& out) {
    std::string godebug = env_string(f.env, "GODEBUG");
    if (!f.godebug.empty()) godebug += "," + f.godebug;
    ReasonContext ctx;
    ctx.store = store;
    if (!f.place.compare.key.empty()) ctx.scope = f.place.compare;
    else ctx.scope = f.place.compare_root.empty() ? f.place.module_root : f.place.compare_root;
    ctx.kind = run_kind(f.verb, f.args);
    ctx.forced = has_flag(f.args, "-a");
    ctx.verify_mode = godebug.find("gocacheverify=1") != std::string::npos;
    ctx.baseline = f.baseline;
    out.packages = assign_reasons(b, ctx);
    if (f.baseline) {
        out.notes.push_back("package reasons compare with the baseline " + f.baseline->label +
                            (f.baseline->go_version.empty() ? "" : " (" + f.baseline->go_version + ")") +
                            ", not with this machine's previous run");
        baseline_causes(b, f, in, out);
        return;
    }
    if (!f.place.baseline_note.empty()) out.notes.push_back(f.place.baseline_note);
    if (!store || !in.inputs || in.inputs->empty()) return;
    std::map<std::string, std::string> prev_inputs;
    for (const auto& p : b.packages) {
        if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
        std::string variant = p.for_test == p.import_path ? "" : p.for_test;
        if (auto prev = previous_record(*store, ctx.scope, p.import_path, variant, INT64_MAX, ctx.kind))
            prev_inputs[p.import_path + '\0' + variant] = prev->inputs;
    }
    refine_reasons(b, out.packages, *in.inputs, prev_inputs);
}

// go test: why each test ran instead of coming from the cache, from this
// run's facts and each test's last recorded run.
void test_reasons(const model::Build& b, const history::Store* store, const RunFacts& f, const Collected& in,
                  RunAnalysis& out) {
    TestRunFacts facts;
    facts.args = f.args;
    facts.goflags = env_string(f.env, "GOFLAGS");
    facts.godebug = f.test_godebug;
    std::string version = env_string(f.env, "GOVERSION");
    facts.go_version = version.empty() ? b.go_version : version;
    facts.testcache = in.testcache;
    facts.test_inputs = in.test_inputs;
    if (store)
        for (const auto& t : b.tests)
            if (auto r = store->previous(f.place.module_root, t.import_path, std::string(kTestResultVariant), INT64_MAX))
                facts.previous[t.import_path] = TestRecord::from_history(r->inputs, r->action_id, r->content_id, r->outcome);
    TestDecisions d = decide_test_reasons(b, facts);
    out.tests = std::move(d.verdicts);
    out.test_records = std::move(d.records);
}

} // namespace

const RunAnalysis& no_analysis() {
    static const RunAnalysis none;
    return none;
}

const Verdict& RunAnalysis::package(std::size_t i) const { return i < packages.size() ? packages[i] : kNoVerdict; }
const Verdict& RunAnalysis::test(std::size_t i) const { return i < tests.size() ? tests[i] : kNoVerdict; }

namespace {

// The first scope with a run, in the order RunPlace names; its newest run
// is the baseline the note names.
void choose_scope(const history::Store& store, RunPlace& p) {
    using history::Scope;
    const history::Identity& who = p.who;
    std::vector<std::pair<Scope, const char*>> order;
    if (!who.job.empty()) {
        order.push_back({Scope::job_of(p.project, who.job), "the same job"});
    } else {
        Scope here(p.module_root);
        here.host = who.host;
        order.push_back({here, "this checkout"});
    }
    if (!who.branch.empty()) order.push_back({Scope::branch_of(p.project, who.branch), "the same branch"});
    if (who.branch != "main") order.push_back({Scope::branch_of(p.project, "main"), "main"});
    order.push_back({Scope(p.compare_root), "this module"});
    for (auto& [scope, what] : order) {
        auto runs = store.runs(scope, 1);
        if (runs.empty()) continue;
        const auto& r = runs.front();
        bool elsewhere = (!r.host.empty() && r.host != who.host) || (!who.job_id.empty() && r.job_id != who.job_id);
        if (elsewhere) {
            std::string by = r.host.empty() ? std::string() : "host " + r.host;
            if (!r.job.empty()) by += (by.empty() ? "" : ", ") + std::string("job ") + r.job;
            if (!r.job_id.empty()) by += " #" + r.job_id;
            if (!r.branch.empty()) by += (by.empty() ? "" : ", ") + std::string("branch ") + r.branch;
            p.baseline_note = "package reasons compare with run " + std::to_string(r.id) + " (" + by +
                              "), the newest run of " + what;
        }
        p.compare = std::move(scope);
        return;
    }
    p.compare = Scope(p.compare_root);
}

} // namespace

RunPlace place_of(const std::string& gomod, const std::string& cwd, const history::Store* store,
                  const history::Identity* who) {
    RunPlace p;
    p.cwd = cwd;
    bool no_module = gomod.empty() || gomod == "/dev/null";
    p.module_root = no_module ? cwd : std::filesystem::path(gomod).parent_path().string();
    p.module_path = module_path_of(gomod);
    // A module that moved is compared with its runs at the old root.
    p.compare_root = store ? previous_module_root(*store, p.module_root, p.module_path) : p.module_root;
    p.project = p.module_path.empty() ? p.module_root : p.module_path;
    if (who) {
        p.who = *who;
        if (store) choose_scope(*store, p);
    }
    return p;
}

std::vector<history::PackageRecord> history_records(const model::Build& b, const RunAnalysis& a,
                                                    const std::map<std::string, std::string>& inputs) {
    std::vector<history::PackageRecord> pkgs;
    pkgs.reserve(b.packages.size());
    for (std::size_t i = 0; i < b.packages.size(); ++i) {
        const model::Package& p = b.packages[i];
        history::PackageRecord k;
        k.import_path = p.import_path;
        k.variant = p.for_test == p.import_path ? "" : p.for_test;
        k.action_id = p.action_id;
        k.content_id = p.content_id;
        k.outcome = std::string(model::outcome_name(p.outcome));
        k.reason = std::string(a.package(i).id());
        k.detail = a.package(i).detail;
        k.seconds = p.seconds.value_or(-1);
        // Hash inputs are kept for the packages of the module and whatever was
        // rebuilt: enough to explain the next run, without storing the
        // standard library's inputs every time.
        if (!p.standard || p.outcome == model::Outcome::Rebuilt)
            if (auto it = inputs.find(p.action_id); it != inputs.end()) k.inputs = it->second;
        pkgs.push_back(std::move(k));
    }
    for (std::size_t i = 0; i < b.tests.size(); ++i) {
        const model::TestResult& t = b.tests[i];
        auto rec = a.test_records.find(t.import_path);
        if (rec == a.test_records.end()) continue;
        history::PackageRecord k;
        k.import_path = t.import_path;
        k.variant = std::string(kTestResultVariant);
        k.action_id = rec->second.test_ids.empty() ? "" : rec->second.test_ids.front();
        k.content_id = rec->second.input_id;
        k.outcome = rec->second.status;
        k.reason = std::string(a.test(i).id());
        k.detail = a.test(i).detail;
        k.inputs = rec->second.to_json();
        pkgs.push_back(std::move(k));
    }
    return pkgs;
}

RunAnalysis analyse(const model::Build& b, const history::Store* store, const RunFacts& facts, const Collected& in,
                    const FailureFollowUp& follow_up) {
    RunAnalysis out;
    // Before the reasons: a failed run's diagnosis is what its reader wants first.
    if (!facts.dry_run) diagnose_run(b, facts, in, follow_up, out);
    // A saved trace has no history to compare with.
    if (facts.saved_trace) return out;
    try {
        package_reasons(b, store, facts, in, out);
        if (facts.verb == "test") test_reasons(b, store, facts, in, out);
    } catch (const std::exception& e) {
        out.warnings.push_back(e.what());
    }
    if (in.cacheprog) {
        history::Scope scope = !facts.place.compare.key.empty() ? facts.place.compare
                               : facts.place.compare_root.empty() ? history::Scope(facts.place.module_root)
                                                                  : history::Scope(facts.place.compare_root);
        CacheProgramRun run = *in.cacheprog;
        if (facts.verb == "test") {
            run.test_key = test_key_text(facts.args, env_string(facts.env, "GOFLAGS"));
            for (const std::string& v : {env_string(facts.env, "GOVERSION"), b.go_version}) {
                std::string salt = cache_salt(v);
                if (!salt.empty() && std::find(run.test_salts.begin(), run.test_salts.end(), salt) == run.test_salts.end())
                    run.test_salts.push_back(std::move(salt));
            }
        }
        out.cache_program = analyse_cache_program(b, run, store, scope);
    }
    return out;
}

} // namespace gox::analysis
