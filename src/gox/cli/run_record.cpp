// The history side of a wrapped run: the reasons each rebuilt package and
// each test that ran got (from the previous runs), then this run recorded.

#include <gox/cli/wrap_internal.hpp>

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/cli/cli.hpp>
#include <gox/history/store.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace gox::cli::wrap {

namespace {

constexpr int kHistoryRuns = 200; // runs kept in the history store

bool has_flag(const std::vector<std::string>& args, std::string_view f) {
    for (const auto& a : args) {
        if (a == "--" || a == "-args") break;
        if (a == f || a == std::string(f) + "=true" || a == "-" + std::string(f)) return true;
    }
    return false;
}

// The history rows of this run: every package (hash inputs only where the
// next run may need them) and each test result whose reason was decided.
std::vector<history::PackageRecord> package_records(const model::Build& b,
                                                    const std::map<std::string, std::string>& inputs,
                                                    const std::map<std::string, analysis::TestRecord>& test_records) {
    std::vector<history::PackageRecord> pkgs;
    pkgs.reserve(b.packages.size());
    for (const auto& p : b.packages) {
        history::PackageRecord k;
        k.import_path = p.import_path;
        k.variant = p.for_test == p.import_path ? "" : p.for_test;
        k.action_id = p.action_id;
        k.content_id = p.content_id;
        k.outcome = std::string(model::outcome_name(p.outcome));
        k.reason = p.reason;
        k.detail = p.reason_detail;
        k.seconds = p.seconds.value_or(-1);
        // Hash inputs are kept for the packages of the module and whatever was
        // rebuilt: enough to explain the next run, without storing the
        // standard library's inputs every time.
        if (!p.standard || p.outcome == model::Outcome::Rebuilt)
            if (auto it = inputs.find(p.action_id); it != inputs.end()) k.inputs = it->second;
        pkgs.push_back(std::move(k));
    }
    for (const auto& t : b.tests) {
        auto rec = test_records.find(t.import_path);
        if (rec == test_records.end()) continue;
        history::PackageRecord k;
        k.import_path = t.import_path;
        k.variant = std::string(analysis::kTestResultVariant);
        k.action_id = rec->second.test_ids.empty() ? "" : rec->second.test_ids.front();
        k.content_id = rec->second.input_id;
        k.outcome = rec->second.status;
        k.reason = t.reason;
        k.detail = t.reason_detail;
        k.inputs = rec->second.to_json();
        pkgs.push_back(std::move(k));
    }
    return pkgs;
}

} // namespace

nlohmann::json record_history(model::Build& b, nlohmann::json env, const std::string& verb,
                    const std::vector<std::string>& args, const process::GoRun& run, const WrapOptions& o,
                    const std::map<std::string, std::string>& inputs, const analysis::TestCacheCollector& tc,
                    const std::map<std::string, std::string>& test_inputs, const std::string& test_godebug,
                    const std::function<std::string(const nlohmann::json& env)>& report_doc) {
    std::map<std::string, analysis::TestRecord> test_records;
    env["(command)"] = "go " + verb + " " + nlohmann::json(args).dump();
    std::string gomod = env.value("GOMOD", "");
    std::string cwd = go_work_dir(args); // where go ran: -C's dir
    std::string module_root = gomod.empty() || gomod == "/dev/null" ? cwd : std::filesystem::path(gomod).parent_path().string();
    std::string godebug = env.value("GODEBUG", "");
    if (const char* g = std::getenv("GODEBUG")) godebug += std::string(",") + g;

    analysis::ReasonContext ctx;
    ctx.module_root = module_root;
    ctx.kind = analysis::run_kind(verb, args);
    ctx.forced = has_flag(args, "-a");
    ctx.verify_mode = godebug.find("gocacheverify=1") != std::string::npos;
    std::unique_ptr<history::Store> store;
    if (o.history) {
        try {
            store = std::make_unique<history::Store>(history::Store::default_path());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "gox: warning: %s (history not used)\n", e.what());
        }
    }
    ctx.store = store.get();
    try {
        // A module that moved is compared with its runs at the old root.
        std::string module_path = analysis::module_path_of(gomod);
        env[analysis::kModulePathKey] = module_path;
        if (store) ctx.module_root = analysis::previous_module_root(*store, module_root, module_path);
        analysis::assign_reasons(b, ctx);
        if (store && !inputs.empty()) {
            // --why: compare the hash inputs with the package's previous run.
            std::map<std::string, std::string> prev_inputs;
            for (const auto& p : b.packages) {
                if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
                std::string variant = p.for_test == p.import_path ? "" : p.for_test;
                if (auto prev = analysis::previous_record(*store, ctx.module_root, p.import_path, variant, INT64_MAX, ctx.kind))
                    prev_inputs[p.import_path + '\0' + variant] = prev->inputs;
            }
            analysis::refine_reasons(b, inputs, prev_inputs);
        }
        // go test: why each test ran instead of coming from the cache,
        // decided in analysis from this run's facts and the tests' last runs.
        if (verb == "test") {
            analysis::TestRunFacts facts;
            facts.args = args;
            facts.goflags = env.value("GOFLAGS", "");
            facts.godebug = test_godebug;
            facts.go_version = env.value("GOVERSION", b.go_version);
            facts.testcache = &tc;
            facts.test_inputs = &test_inputs;
            if (store)
                for (const auto& t : b.tests)
                    if (auto r = store->previous(module_root, t.import_path, std::string(analysis::kTestResultVariant), INT64_MAX))
                        facts.previous[t.import_path] =
                            analysis::TestRecord::from_history(r->inputs, r->action_id, r->content_id, r->outcome);
            test_records = analysis::decide_test_reasons(b, facts);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s\n", e.what());
    }
    if (!store) return env;
    history::RunRecord r;
    r.started = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - run.seconds;
    r.cwd = cwd;
    r.module_root = module_root;
    r.verb = verb;
    r.args = nlohmann::json(args).dump();
    r.go_version = env.value("GOVERSION", b.go_version);
    r.env = env.dump();
    r.exit_code = run.exit_code;
    r.seconds = run.seconds;
    std::vector<history::PackageRecord> pkgs = package_records(b, inputs, test_records);
    try {
        auto id = store->add_run(r, pkgs);
        try {
            store->set_report(id, report_doc(env)); // gox report RUN renders it again
        } catch (const std::exception& e) {
            std::fprintf(stderr, "gox: warning: %s (gox report cannot show this run)\n", e.what());
        }
        store->prune(kHistoryRuns);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s (this run was not recorded)\n", e.what());
    }
    return env;
}

} // namespace gox::cli::wrap
