// The history side of a wrapped run: the store opened, the facts the
// analysis reads (analysis/analyse.hpp) gathered, and this run recorded with
// the analysis' verdicts.

#include <gox/cli/wrap_internal.hpp>

#include <gox/analysis/analyse.hpp>
#include <gox/cli/cli.hpp>
#include <gox/history/identity.hpp>
#include <gox/history/open.hpp>
#include <gox/history/spool.hpp>
#include <gox/util/error.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

namespace gox::cli::wrap {

namespace {

constexpr int kHistoryRuns = 200; // runs kept per project in the history store

} // namespace

std::optional<history::Retention> parse_keep(const std::string& s) {
    history::Retention r;
    if (s.empty()) return r;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || v < 0) return std::nullopt;
    std::string unit = end;
    if (unit == "d" && v > 0) {
        r.runs = 0;
        r.days = v;
    } else if (unit.empty() && v == static_cast<int>(v)) {
        r.runs = static_cast<int>(v);
    } else {
        return std::nullopt;
    }
    return r;
}

std::unique_ptr<history::Store> open_run_store(const WrapOptions& o) {
    if (!o.history) return nullptr;
    history::Location where = history::location_from_env();
    try {
        auto s = history::open_store(where);
        s->set_loss_note("this run's record is kept in " + history::spool::default_path() + " until the server is back");
        return s;
    } catch (const std::exception& e) {
        // A server that cannot be reached: this run's record waits in the
        // spool (record_run) for the next run that reaches it.
        if (where.server)
            std::fprintf(stderr, "gox: warning: %s (history not used; this run's record is kept in %s until the server is back)\n",
                         e.what(), history::spool::default_path().c_str());
        else
            std::fprintf(stderr, "gox: warning: %s (history not used)\n", e.what());
        return nullptr;
    }
}

analysis::RunFacts run_facts(nlohmann::json& env, const std::string& verb, const std::vector<std::string>& args,
                             const std::string& test_godebug, const history::Store* store) {
    analysis::RunFacts f;
    env["(command)"] = "go " + verb + " " + nlohmann::json(args).dump();
    f.verb = verb;
    f.args = args;
    if (const char* g = std::getenv("GODEBUG")) f.godebug = g;
    f.test_godebug = test_godebug;
    std::string gomod = env.value("GOMOD", "");
    std::string cwd = go_work_dir(args); // where go ran: -C's dir
    history::Identity who = history::identity_from_env(cwd);
    try {
        f.place = analysis::place_of(gomod, cwd, store, &who);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s\n", e.what());
        f.place = analysis::place_of(gomod, cwd, nullptr, &who);
    }
    env[analysis::kModulePathKey] = f.place.module_path;
    f.env = env;
    return f;
}

std::optional<analysis::Baseline> load_baseline(const std::string& what, const history::Store* store) {
    std::string err, label = what, text;
    bool run_id = !what.empty() && std::all_of(what.begin(), what.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (run_id && !std::filesystem::exists(what)) {
        label = "run " + what;
        std::optional<std::string> doc;
        if (!store) err = "no history to find it in";
        else if (!(doc = store->report(std::stoll(what)))) err = "the history has no run " + what + " with a summary";
        else text = *doc;
    } else {
        std::ifstream in(what, std::ios::binary);
        if (!in) err = std::string("cannot read it: ") + std::strerror(errno);
        else text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::optional<analysis::Baseline> b;
    if (err.empty()) {
        auto doc = nlohmann::json::parse(text, nullptr, false);
        if (doc.is_discarded()) err = "not JSON";
        else b = analysis::baseline_from_doc(doc, label, err);
    }
    if (!b)
        std::fprintf(stderr, "gox: warning: --baseline %s: %s (compared with this machine's previous run instead)\n",
                     what.c_str(), err.c_str());
    return b;
}

void record_run(history::Store* store, const WrapOptions& o, const model::Build& b, const analysis::RunAnalysis& a,
                const analysis::RunFacts& f, const process::GoRun& run,
                const std::map<std::string, std::string>& inputs,
                const std::function<std::string()>& report_doc) {
    if (!o.history) return;
    history::Location where = history::location_from_env();
    // A SQLite history that cannot be opened records nothing (its warning
    // said so); a server's records wait in the spool.
    if (!store && !where.server) return;
    history::RunRecord r;
    r.started = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() - run.seconds;
    r.cwd = f.place.cwd;
    r.module_root = f.place.module_root;
    r.verb = f.verb;
    r.args = nlohmann::json(f.args).dump();
    r.go_version = f.env.value("GOVERSION", b.go_version);
    r.env = f.env.dump();
    r.exit_code = run.exit_code;
    r.seconds = run.seconds;
    r.project = f.place.project;
    r.host = f.place.who.host;
    r.job = f.place.who.job;
    r.job_id = f.place.who.job_id;
    r.branch = f.place.who.branch;
    if (a.diagnosis) r.failure_class = a.diagnosis->cls;
    std::vector<history::PackageRecord> pkgs = analysis::history_records(b, a, inputs);
    // A store that cannot be reached has said why (open_run_store, or the
    // store when it lost its server).
    store_run(store, where, r, pkgs, report_doc, o.keep, "", {"gox", "this run"});
}

void store_run(history::Store* store, const history::Location& where, const history::RunRecord& r,
               const std::vector<history::PackageRecord>& pkgs, const std::function<std::string()>& report_doc,
               history::Retention keep, const std::string& unreachable, const RecordVoice& v) {
    const std::string spool = history::spool::default_path();
    // The record kept for later; why: what to warn of ("" when already said).
    auto to_spool = [&](const std::string& why) {
        try {
            history::spool::append(spool, where.shown(), {r, pkgs, report_doc()});
            if (!why.empty())
                std::fprintf(stderr, "%s: warning: %s (%s's record is kept in %s until the server is back)\n",
                             v.program, why.c_str(), v.record, spool.c_str());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: warning: %s (%s was not recorded)\n", v.program, e.what(), v.record);
        }
    };
    if (!store || store->lost()) return to_spool(unreachable);
    keep.project = r.project;
    try {
        // Records spooled while the server was away go first, in order.
        if (where.server) {
            std::string dropped;
            history::spool::drain(spool, where.shown(), *store, &dropped);
            if (!dropped.empty()) std::fprintf(stderr, "%s: warning: %s\n", v.program, dropped.c_str());
        }
        auto id = store->add_run(r, pkgs);
        try {
            store->set_report(id, report_doc()); // gox report RUN renders it again
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s: warning: %s (gox report cannot show %s)\n", v.program, e.what(), v.record);
        }
    } catch (const std::exception& e) {
        if (where.server) return to_spool(e.what());
        std::fprintf(stderr, "%s: warning: %s (%s was not recorded)\n", v.program, e.what(), v.record);
        return;
    }
    try {
        store->prune(keep);
    } catch (const std::exception& e) {
        if (!store->lost()) std::fprintf(stderr, "%s: warning: %s (old runs not pruned)\n", v.program, e.what());
    }
}

} // namespace gox::cli::wrap
