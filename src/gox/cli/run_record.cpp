// The history side of a wrapped run: the store opened, the facts the
// analysis reads (analysis/analyse.hpp) gathered, and this run recorded with
// the analysis' verdicts.

#include <gox/cli/wrap_internal.hpp>

#include <gox/analysis/analyse.hpp>
#include <gox/cli/cli.hpp>
#include <gox/history/store.hpp>

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

constexpr int kHistoryRuns = 200; // runs kept in the history store

} // namespace

std::unique_ptr<history::Store> open_run_store(const WrapOptions& o) {
    if (!o.history) return nullptr;
    try {
        return std::make_unique<history::Store>(history::Store::default_path());
    } catch (const std::exception& e) {
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
    try {
        f.place = analysis::place_of(gomod, cwd, store);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s\n", e.what());
        f.place = analysis::place_of(gomod, cwd, nullptr);
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

void record_run(history::Store* store, const model::Build& b, const analysis::RunAnalysis& a,
                const analysis::RunFacts& f, const process::GoRun& run,
                const std::map<std::string, std::string>& inputs,
                const std::function<std::string()>& report_doc) {
    if (!store) return;
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
    std::vector<history::PackageRecord> pkgs = analysis::history_records(b, a, inputs);
    try {
        auto id = store->add_run(r, pkgs);
        try {
            store->set_report(id, report_doc()); // gox report RUN renders it again
        } catch (const std::exception& e) {
            std::fprintf(stderr, "gox: warning: %s (gox report cannot show this run)\n", e.what());
        }
        store->prune(kHistoryRuns);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s (this run was not recorded)\n", e.what());
    }
}

} // namespace gox::cli::wrap
