// gox cacheprog on its own: each session recorded as a run of the history
// (cacheprog_history.hpp).

#include <gox/cli/cacheprog_history.hpp>

#include <gox/analysis/analyse.hpp>
#include <gox/analysis/cache_program.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/cli/wrap_internal.hpp>
#include <gox/history/identity.hpp>
#include <gox/history/open.hpp>
#include <gox/report/document.hpp>
#include <gox/report/report.hpp>
#include <gox/trace/hash_stream.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string_view>

#include <unistd.h>

namespace gox::cli {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool env_is(const char* name, std::string_view value) {
    const char* v = std::getenv(name);
    return v && value == v;
}

// The nearest go.mod at or above dir ("" for none).
std::string find_go_mod(const std::string& dir) {
    std::error_code ec;
    for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
        if (fs::is_regular_file(d / "go.mod", ec)) return (d / "go.mod").string();
        if (d == d.root_path()) break;
    }
    return "";
}

// Outcomes from the session alone: a hit was served from the cache; a miss
// whose action go then put was built; any other miss is unknown (a compile
// that failed, or go stopped).
model::Outcome outcome_of(const std::string& get, bool put) {
    if (get == "hit") return model::Outcome::CacheHit;
    return put ? model::Outcome::Rebuilt : model::Outcome::Unknown;
}

// The packages of the gets: each get's action ID looked up among the IDs
// earlier runs recorded. module_path: the run's own module (not standard).
model::Build packages_of(const cacheprog::RecordLog& log, const history::Store& store, const std::string& module_path,
                         const std::string& go_version) {
    model::Build b;
    b.go_version = go_version;
    std::map<std::string, std::string> get_of; // 20-character ID -> hit, miss, error (a hit wins)
    std::set<std::string> put;
    for (const auto& r : log.requests) {
        if (r.action_id.empty()) continue;
        std::string id = trace::hash_to_action_id(r.action_id);
        if (id.empty()) continue;
        if (r.cmd == "put" && r.outcome == "stored") put.insert(id);
        if (r.cmd != "get") continue;
        auto [it, fresh] = get_of.emplace(id, r.outcome);
        if (!fresh && r.outcome == "hit") it->second = "hit";
    }
    std::vector<std::string> ids;
    ids.reserve(get_of.size());
    for (const auto& [id, get] : get_of) ids.push_back(id);
    for (auto& [id, rec] : store.packages_by_action(ids)) {
        model::Package p;
        p.import_path = rec.import_path;
        p.for_test = rec.variant;
        p.action_id = id;
        p.outcome = outcome_of(get_of[id], put.count(id) > 0);
        bool own = !module_path.empty() &&
                   (p.import_path == module_path || p.import_path.rfind(module_path + "/", 0) == 0);
        p.standard = !own && model::is_standard_import_path(p.import_path);
        b.packages.push_back(std::move(p));
    }
    model::sort_packages(b.packages);
    return b;
}

} // namespace

GoParent read_go_parent() {
    GoParent g;
    std::string proc = "/proc/" + std::to_string(::getppid());
    std::string cmdline = read_file(proc + "/cmdline");
    if (cmdline.empty()) return g;
    g.found = true;
    std::vector<std::string> argv;
    for (std::size_t at = 0; at < cmdline.size();) {
        std::size_t end = cmdline.find('\0', at);
        if (end == std::string::npos) end = cmdline.size();
        argv.push_back(cmdline.substr(at, end - at));
        at = end + 1;
    }
    // go's own flags come before the verb: -C dir (or -C=dir).
    std::size_t i = 1;
    while (i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-') {
        if (argv[i] == "-C" || argv[i] == "--C") ++i;
        ++i;
    }
    if (i < argv.size()) {
        g.verb = argv[i];
        g.args.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
    }
    std::error_code ec;
    g.cwd = fs::read_symlink(proc + "/cwd", ec).string();
    fs::path exe = fs::read_symlink(proc + "/exe", ec);
    if (!ec && exe.parent_path().filename() == "bin") {
        g.goroot = exe.parent_path().parent_path().string();
        std::string v = read_file(g.goroot + "/VERSION");
        g.go_version = v.substr(0, v.find('\n'));
    }
    return g;
}

bool standalone_recording(bool no_history) {
    if (no_history || env_is("GOX_CACHEPROG_NO_HISTORY", "1")) return false;
    const char* wrapped = std::getenv(kWrappedEnv);
    return !(wrapped && *wrapped);
}

void record_session(const StandaloneSession& s) {
    try {
        const GoParent& go = s.go;
        history::Location where = history::location_from_env();
        if (where.target.empty()) return;
        std::unique_ptr<history::Store> store;
        std::string open_error;
        try {
            store = history::open_store(where);
        } catch (const std::exception& e) {
            if (!where.server) {
                std::fprintf(stderr, "gox cacheprog: warning: %s (this go command was not recorded)\n", e.what());
                return;
            }
            open_error = e.what();
        }
        std::string cwd = go.cwd.empty() ? fs::current_path().string() : go.cwd;
        std::string gomod = find_go_mod(cwd);
        history::Identity who = history::identity_from_env(cwd);
        analysis::RunPlace place = analysis::place_of(gomod, cwd, store.get(), &who);

        // The environment fingerprint: what is known without asking go.
        nlohmann::json env = nlohmann::json::object();
        env["(command)"] = "go " + go.verb + " " + nlohmann::json(go.args).dump();
        env[kRecordedByKey] = kRecordedBy;
        env[analysis::kModulePathKey] = place.module_path;
        env["GOVERSION"] = go.go_version;
        env["GOROOT"] = go.goroot;
        env["GOCACHE"] = s.gocache;
        env["GOMOD"] = gomod;
        // The wrapper's keys only (env_fingerprint.cpp), where the environment sets them.
        for (const char* k : {"GOOS", "GOARCH", "GOFLAGS", "GOEXPERIMENT", "GOTOOLCHAIN", "CGO_ENABLED"})
            if (const char* v = std::getenv(k); v && *v) env[k] = v;

        static const cacheprog::RecordLog kEmpty;
        const cacheprog::RecordLog& log = s.log ? *s.log : kEmpty;
        model::Build b = store ? packages_of(log, *store, place.module_path, go.go_version) : model::Build{};
        b.notes.push_back("recorded by gox cacheprog (GOCACHEPROG) without a trace: outcomes come from the cache "
                          "program's gets and puts, packages from the action IDs earlier runs recorded; go's exit "
                          "status is unknown");
        analysis::RunAnalysis a;
        analysis::CacheProgramRun run;
        run.log = &log;
        run.upstream = s.upstream;
        a.cache_program = analysis::analyse_cache_program(b, run, store.get(), place.compare);
        // The outcomes were read from the same gets: nothing to compare.
        a.cache_program->disagreements.clear();
        a.cache_program->agree = a.cache_program->packages_hit + a.cache_program->packages_missed;

        report::Doc doc = report::to_json(b, a);
        // No exit_code: go's exit status is unknown (the renderers say so).
        doc["command"] = {{"verb", go.verb},
                          {"seconds", s.seconds},
                          {"started", s.started},
                          {"args", go.args},
                          {"recorded_by", kRecordedBy}};
        doc["environment"] = env;
        report::normalise_paths(doc, "");
        std::string doc_text = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);

        history::RunRecord r;
        r.started = s.started;
        r.cwd = place.cwd;
        r.module_root = place.module_root;
        r.verb = go.verb;
        r.args = nlohmann::json(go.args).dump();
        r.go_version = go.go_version;
        r.env = env.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        r.exit_code = history::kExitUnknown;
        r.seconds = s.seconds;
        r.project = place.project;
        r.host = who.host;
        r.job = who.job;
        r.job_id = who.job_id;
        r.branch = who.branch;
        std::vector<history::PackageRecord> pkgs = analysis::history_records(b, a, {});

        history::Retention keep;
        if (const char* k = std::getenv("GOX_HISTORY_KEEP"); k && *k)
            if (auto parsed = wrap::parse_keep(k)) keep = *parsed;
        // A store that lost its server did not say so: its error was caught on the way.
        std::string unreachable = open_error.empty() ? "history: " + where.shown() + ": lost the server" : open_error;
        wrap::store_run(store.get(), where, r, pkgs, [&] { return doc_text; }, keep, unreachable,
                        {"gox cacheprog", "this go command"});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox cacheprog: warning: %s (this go command was not recorded)\n", e.what());
    }
}

} // namespace gox::cli
