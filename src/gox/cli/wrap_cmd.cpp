// gox build|test|install|run|vet: run go with -x and -debug-actiongraph, show
// exactly what plain go shows, then summarise what the build cache did.

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/cli/options.hpp>
#include <gox/cli/repro.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/history/store.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/hash_filter.hpp>
#include <gox/model/stream.hpp>
#include <gox/process/go_process.hpp>
#include <gox/report/report.hpp>
#include <gox/util/error.hpp>
#include <gox/util/fs_probe.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <fstream>
#include <functional>
#include <future>
#include <sys/stat.h>
#include <unistd.h>

namespace gox::cli {

using util::starts_with;

namespace {

constexpr int kHistoryRuns = 200; // runs kept in the history store

struct GoArgs {
    bool user_x = false, dry_run = false, json = false;
    bool work = false; // -work: go prints WORK=<dir> itself, -x or not
    std::string toolexec; // the program of -toolexec (its first word), "" for none
    std::string user_actiongraph;
};

// The program of a -toolexec value, as go splits it (quoted.Split): the
// first word, unquoted.
std::string first_word(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (!v.empty() && (v.front() == '\'' || v.front() == '"')) {
        auto end = v.find(v.front(), 1);
        return std::string(v.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    }
    return std::string(v.substr(0, v.find_first_of(" \t")));
}

GoArgs scan_go_args(const std::string& verb, const std::vector<std::string>& args) {
    GoArgs g;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--" || a == "-args" || a == "--args") break;
        if (a.empty() || a[0] != '-') {
            // go test takes flags after the packages too; the others stop here.
            if (verb == "test") continue;
            break;
        }
        std::string_view f = starts_with(a, "--") ? a.substr(1) : a;
        if (f == "-x" || f == "-x=true") g.user_x = true;
        else if (f == "-n" || f == "-n=true") g.dry_run = true;
        else if (f == "-json" || f == "-json=true") g.json = true;
        else if (f == "-work" || f == "-work=true") g.work = true;
        else if (starts_with(f, "-toolexec=")) g.toolexec = first_word(f.substr(10));
        else if (f == "-toolexec" && i + 1 < args.size()) g.toolexec = first_word(args[i + 1]);
        else if (starts_with(f, "-debug-actiongraph=")) g.user_actiongraph = std::string(f.substr(19));
        else if (f == "-debug-actiongraph" && i + 1 < args.size()) g.user_actiongraph = args[i + 1];
        if (trace::go_flag_takes_value(f)) ++i;
    }
    if (const char* gf = std::getenv("GOFLAGS")) {
        std::string_view s = gf;
        for (std::size_t p = 0; p < s.size();) {
            auto e = s.find(' ', p);
            std::string_view w = s.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p);
            if (w == "-x" || w == "-x=true") g.user_x = true;
            if (w == "-json" || w == "-json=true") g.json = true;
            if (w == "-work" || w == "-work=true") g.work = true;
            if (starts_with(w, "-toolexec=") && g.toolexec.empty()) g.toolexec = first_word(w.substr(10));
            if (e == std::string_view::npos) break;
            p = e + 1;
        }
    }
    return g;
}

struct WrapOptions {
    std::string summary = "stderr"; // stderr | off | FILE
    std::string summary_format = "text";
    std::string go;
    bool progress = true;
    bool history = true;
    bool why = false; // GODEBUG=gocachehash=1: exact reasons from hash inputs
    bool repro_clean = false;    // re-run a failure against an empty temporary cache
    bool no_repro = false;       // ...not even when the failure points at the cache
    bool verify_suspects = false; // check the suspects' cache files on any failure
    std::vector<std::string> reports; // --report=FILE (repeatable)
    std::string report_format;        // --report-format, "" = from each file's extension
    RedactChoice redact;
    bool annotations = false;         // --annotations=github
};

// gox's own cache dir: $XDG_CACHE_HOME/gox, else ~/.cache/gox; "" when
// neither variable names an absolute dir.
std::string gox_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string base = xdg && *xdg == '/' ? xdg : home && *home == '/' ? std::string(home) + "/.cache" : "";
    return base.empty() ? "" : base + "/gox";
}

// The environment fingerprint of this go: `go env -json` of the variables
// that are build inputs or say where things are, plus the C compiler's
// version line when cgo is on. Runs on a thread of its own while go builds
// (see FingerprintCache): it changes no process-wide state, the children
// get their environment changes passed to them alone.
nlohmann::json env_fingerprint(const std::string& go, const std::vector<std::string>& args) {
    auto go_env = [&](std::vector<std::string> vars, const process::EnvOverrides& overrides) {
        // go env honours -C, which must come first: run it where the build ran.
        std::vector<std::string> cmd = {go, "env"};
        if (GoChdir c = go_chdir_at(args); c.present()) cmd.insert(cmd.end(), {"-C", c.dir});
        cmd.push_back("-json");
        cmd.insert(cmd.end(), vars.begin(), vars.end());
        nlohmann::json j = nlohmann::json::object();
        if (auto out = process::capture(cmd, overrides)) {
            auto parsed = nlohmann::json::parse(*out, nullptr, false);
            if (parsed.is_object()) j = parsed;
        }
        return j;
    };
    nlohmann::json env = go_env({"GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GOFLAGS", "CGO_ENABLED",
                                 "CC", "CXX", "GOCACHE", "GOROOT", "GOEXPERIMENT", "GOMOD", "GOTOOLCHAIN", "GODEBUG",
                                 "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOPROXY"}, {});
    // `go env CGO_CFLAGS` (and the other two) writes entries into the build
    // cache (Go 1.26): ask with a GOCACHE of gox's own so that the user's
    // cache only ever gets what their build writes. It is kept
    // ($XDG_CACHE_HOME/gox/go-env-cache): with an empty one the query takes
    // ~140 ms, with a warm one ~10 ms. A temporary one when that cannot be made.
    {
        std::error_code fe;
        std::string dir;
        if (std::string base = gox_cache_dir(); !base.empty()) {
            std::string d = base + "/go-env-cache";
            std::filesystem::create_directories(d, fe);
            if (!fe && ::access(d.c_str(), W_OK | X_OK) == 0) dir = d;
        }
        bool temporary = false;
        if (dir.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path(fe) / "gox-env-XXXXXX").string();
            if (!fe && ::mkdtemp(tmpl.data())) {
                dir = tmpl;
                temporary = true;
            }
        }
        if (!dir.empty()) {
            nlohmann::json cg = go_env({"CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_LDFLAGS"}, {{"GOCACHE", dir}});
            if (temporary) std::filesystem::remove_all(dir, fe);
            for (auto& [k, v] : cg.items()) env[k] = v;
        }
    }
    if (env.value("CGO_ENABLED", "") == "1" && env.contains("CC") && env["CC"].is_string()) {
        std::string cc = env["CC"].get<std::string>();
        if (auto v = process::capture({cc.substr(0, cc.find(' ')), "--version"})) env["CC_VERSION"] = v->substr(0, v->find('\n'));
    }
    return env;
}

// The environment fingerprint is reused while everything it depends on is
// unchanged, so that a run whose inputs did not move starts no process
// besides go: the go binary, the environment variables go env reads (GO*,
// CGO_*, CC, CXX, PATH, HOME, XDG_*), the working dir and -C, the go env
// config file, every go.mod and go.work from the build's dir up to /, and,
// once known, GOROOT/go.env and the C compiler. Kept in
// $XDG_CACHE_HOME/gox/env-fingerprint.json (16 entries, newest first); a
// miss runs env_fingerprint on a thread while go builds and stores the
// answer afterwards with the file states seen before go started.
class FingerprintCache {
public:
    FingerprintCache(const std::string& go, const std::vector<std::string>& args) {
        std::string base = gox_cache_dir();
        if (base.empty()) return;
        m_path = base + "/env-fingerprint.json";
        std::error_code ec;
        std::string cwd = std::filesystem::current_path(ec).string();
        m_key = "go=" + go + "\ncwd=" + cwd + "\n";
        std::string dir = go_work_dir(args); // where go runs: -C resolved
        m_key += "dir=" + dir + "\n";
        std::vector<std::string> vars;
        for (char** e = environ; e && *e; ++e) {
            std::string_view v = *e;
            std::string_view name = v.substr(0, v.find('='));
            bool go_var = (starts_with(name, "GO") && !starts_with(name, "GOX_")) || starts_with(name, "CGO_");
            if (go_var || name == "CC" || name == "CXX" || name == "PATH" || name == "HOME" || starts_with(name, "XDG_"))
                vars.emplace_back(v);
        }
        std::sort(vars.begin(), vars.end());
        for (const auto& v : vars) m_key += v + "\n";
        add_file(go);
        // go's own config file (go env -w): $GOENV, else the user config dir.
        const char* goenv = std::getenv("GOENV");
        const char* xdg = std::getenv("XDG_CONFIG_HOME");
        const char* home = std::getenv("HOME");
        if (goenv && *goenv) add_file(goenv);
        else if (xdg && *xdg) add_file(std::string(xdg) + "/go/env");
        else if (home && *home) add_file(std::string(home) + "/.config/go/env");
        if (const char* gw = std::getenv("GOWORK"); gw && *gw == '/') add_file(gw);
        std::filesystem::path d = std::filesystem::path(dir).lexically_normal();
        for (int depth = 0; depth < 64; ++depth) {
            add_file((d / "go.mod").string());
            add_file((d / "go.work").string());
            if (!d.has_relative_path()) break;
            d = d.parent_path();
        }
    }

    // The stored fingerprint, if every input is as it was when it was made.
    std::optional<nlohmann::json> lookup() const {
        if (m_path.empty()) return std::nullopt;
        std::ifstream in(m_path, std::ios::binary);
        if (!in) return std::nullopt;
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (!j.is_object() || !j.contains("entries") || !j["entries"].is_array()) return std::nullopt;
        for (const auto& e : j["entries"]) {
            if (!e.is_object() || e.value("key", "") != m_key || !e.contains("files") || !e["files"].is_array() ||
                !e.contains("env") || !e["env"].is_object())
                continue;
            bool same = true;
            for (const auto& f : e["files"])
                if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_string() ||
                    file_state(f[0].get<std::string>()) != f[1].get<std::string>())
                    same = false;
            if (same) return e["env"];
        }
        return std::nullopt;
    }

    // Keeps a fingerprint go answered (not one where go env failed).
    void store(const nlohmann::json& env) {
        if (m_path.empty() || !env.is_object() || !env.contains("GOVERSION")) return;
        if (env.contains("GOROOT") && env["GOROOT"].is_string()) add_file(env["GOROOT"].get<std::string>() + "/go.env");
        if (env.contains("CC_VERSION") && env.contains("CC") && env["CC"].is_string()) {
            std::string cc = env["CC"].get<std::string>();
            cc = cc.substr(0, cc.find(' '));
            if (cc.find('/') == std::string::npos) cc = process::search_path(cc);
            if (!cc.empty()) add_file(cc);
        }
        nlohmann::json entry = {{"key", m_key}, {"files", m_files}, {"env", env}};
        nlohmann::json j = {{"version", 1}, {"entries", nlohmann::json::array({entry})}};
        {
            std::ifstream in(m_path, std::ios::binary);
            auto old = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
            if (old.is_object() && old.contains("entries") && old["entries"].is_array())
                for (const auto& e : old["entries"])
                    if (j["entries"].size() < kEntries && e.is_object() && e.value("key", "") != m_key)
                        j["entries"].push_back(e);
        }
        // Written whole and renamed into place: a concurrent gox reads the
        // old file or the new one.
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(m_path).parent_path(), ec);
        std::string tmp = m_path + ".tmp" + std::to_string(::getpid());
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            if (!out) {
                std::filesystem::remove(tmp, ec);
                return;
            }
        }
        std::filesystem::rename(tmp, m_path, ec);
        if (ec) std::filesystem::remove(tmp, ec);
    }

private:
    static constexpr std::size_t kEntries = 16;

    // mtime, size and inode, or "-" for a file that does not exist.
    static std::string file_state(const std::string& path) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return "-";
        return fmt::format("{}.{:09}:{}:{}", st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, st.st_ino);
    }
    void add_file(const std::string& path) { m_files.push_back({path, file_state(path)}); }

    std::string m_path, m_key;
    nlohmann::json m_files = nlohmann::json::array();
};

bool has_flag(const std::vector<std::string>& args, std::string_view f) {
    for (const auto& a : args) {
        if (a == "--" || a == "-args") break;
        if (a == f || a == std::string(f) + "=true" || a == "-" + std::string(f)) return true;
    }
    return false;
}

// Reasons from the history, then this run recorded. Never fails the build:
// a store that cannot be opened or written gives one warning.
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

constexpr const char* kWrapUsage = R"(usage: gox [gox options] [-C dir] build|test|install|run|vet [go flags] [packages] [-args ...]

Runs the go command exactly as given (every argument after the verb goes to go
untouched) and shows exactly what plain go shows: the same stdout, stderr and
exit status, the same binaries. Then it prints a summary of what the build
cache did: packages rebuilt or from the cache, links, tests built, cached or
run, time by step and the critical path. go's -C dir is taken where go takes
it: first (`gox --why -C dir build`) or right after the verb (`gox build -C dir`).
Every other go verb (list, mod, env, version...) runs as go itself.

gox options (before go's command line):
)";

constexpr const char* kWrapMiddle = R"(
When GITHUB_STEP_SUMMARY is set, the Markdown report is appended to that file.

When go fails, the summary diagnoses it: the package that failed first, what
was skipped because of it, the first errors and a failure class with its
evidence and remedy (`gox explain --classes` lists them).
)";

constexpr const char* kWrapEnd = R"(
gox adds -x and -debug-actiongraph=<temp file> to go's flags (not -x when you
pass -json or -n: that would change go's own output). Your own -x and
-debug-actiongraph=FILE are honoured: the trace is shown and FILE is written.
)";

// `gox build --help`, from the option table (through wrap_options()).
std::string wrap_help() {
    return std::string(kWrapUsage) + format_options(wrap_options().run, 30) + kWrapMiddle +
           format_options(wrap_options().failure, 30) + kWrapEnd;
}

// The document every JSON summary and report is made from.
report::Doc run_document(const model::Build& b, const nlohmann::json& env, const process::GoRun& run,
                         const std::string& verb, const std::vector<std::string>& args) {
    auto j = report::to_json(b);
    j["command"] = {{"verb", verb}, {"exit_code", run.exit_code}, {"seconds", run.seconds}, {"args", args}};
    // The environment fingerprint, so that gox diff can compare two saved
    // summaries (CI against a laptop).
    j["environment"] = env;
    return j;
}

void print_summary(const report::Doc& doc, const model::Build& b, const process::GoRun& run, const WrapOptions& o) {
    if (o.summary == "off") return;
    std::string text;
    if (o.summary_format == "json") {
        text = doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    } else {
        bool color = o.summary == "stderr" && ::isatty(2) && !std::getenv("NO_COLOR");
        text = report::render_summary(b, {.color = color, .max_listed = 10}, run.seconds);
    }
    if (o.summary == "stderr") {
        process::write_all(2, text);
        return;
    }
    std::ofstream out(o.summary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
        std::fprintf(stderr, "gox: warning: cannot write summary to %s: %s\n", o.summary.c_str(), std::strerror(errno));
}

// Size of a directory tree (bounded walk), for the report's environment.
std::string tree_size(const std::string& dir) {
    util::TreeStats t = util::tree_stats(dir);
    if (t.failed) return "";
    return fmt::format("{}{:.1f} MiB in {} files", t.truncated ? "≥ " : "", static_cast<double>(t.bytes) / (1 << 20), t.files);
}

// The --report files and the GitHub step summary. Failures to write warn
// and never change the exit status.
void write_reports(report::Doc doc, const WrapOptions& o) {
    const char* step = std::getenv("GITHUB_STEP_SUMMARY");
    if (o.reports.empty() && !(step && *step)) return;
    if (doc.contains("environment") && doc["environment"].is_object()) {
        std::string gc = report::doc_string(doc["environment"], "GOCACHE");
        if (!gc.empty() && gc != "off")
            if (auto sz = tree_size(gc); !sz.empty()) doc["environment"]["GOCACHE_SIZE"] = sz;
    }
    report::Doc ready = prepare_report(std::move(doc), o.redact);
    for (const auto& file : o.reports) {
        auto f = o.report_format.empty() ? report::format_for_file(file) : report::parse_format(o.report_format);
        if (!write_text_file(file, report::render(ready, f.value_or(report::Format::Json)), false))
            std::fprintf(stderr, "gox: warning: cannot write report to %s: %s\n", file.c_str(), std::strerror(errno));
    }
    if (step && *step && !write_text_file(step, report::render_markdown(ready) + "\n", true))
        std::fprintf(stderr, "gox: warning: cannot append to GITHUB_STEP_SUMMARY %s: %s\n", step, std::strerror(errno));
}

// GitHub workflow commands for compile errors ("file.go:12:5: message"),
// on stderr after go's own output.
// go_dir: go's -C dir ("" without): go names files relative to it.
void print_annotations(const model::Build& b, const RedactChoice& rc, const std::string& go_dir) {
    static const RE2 pos(R"(^\s*(?:\./)?([^\s:][^:]*\.(?:go|s|c|h|cc|cpp|m)):(\d+)(?::(\d+))?: (.*)$)");
    // Workflow-command escaping: % CR LF always, ':' and ',' in properties.
    auto esc = [](const std::string& v, bool property) {
        std::string out;
        for (char c : v) {
            if (c == '%') out += "%25";
            else if (c == '\r') out += "%0D";
            else if (c == '\n') out += "%0A";
            else if (property && c == ':') out += "%3A";
            else if (property && c == ',') out += "%2C";
            else out += c;
        }
        return out;
    };
    auto prop = [&](const std::string& v) { return esc(v, true); };
    auto msg = [&](const std::string& v) { return esc(v, false); };
    report::RedactOptions ro;
    ro.secrets = rc.redact;
    std::string out;
    for (const auto& f : b.failures)
        for (const auto& line : f.first_lines) {
            std::string file, l, c, text;
            if (!RE2::FullMatch(line, pos, &file, &l, &c, &text)) continue;
            if (!go_dir.empty() && file[0] != '/') file = (std::filesystem::path(go_dir) / file).lexically_normal().string();
            text = report::clean_text(report::redact_text(text, ro));
            out += "::error file=" + prop(file) + ",line=" + l + (c.empty() ? "" : ",col=" + c) +
                   (f.import_path.empty() ? "" : ",title=" + prop(f.import_path)) + "::" + msg(text) + "\n";
        }
    if (!out.empty()) process::write_all(2, out);
}

// One status line on a terminal while go runs, erased before any of go's
// own output is written and at the end, so what go prints is never mixed
// with it.
class Progress {
public:
    explicit Progress(bool enabled) : m_enabled(enabled) {}
    void on_event(const trace::Event& ev) {
        if (!m_enabled) return;
        if (ev.kind == trace::Kind::Compile) {
            ++m_compiled;
            m_current.assign(ev.text == "main" ? std::string_view("main package") : ev.text);
        } else if (ev.kind == trace::Kind::Link) {
            ++m_linked;
            m_current = "linking";
        } else if (ev.kind == trace::Kind::TestRun) {
            m_current = "running " + std::string(util::base_name(ev.path));
        } else {
            return;
        }
        auto now = std::chrono::steady_clock::now();
        if (m_drawn && now - m_last < std::chrono::milliseconds(80)) return;
        m_last = now;
        std::string s = fmt::format("\r\x1b[Kgox: {} compiled, {} linked · {}", m_compiled, m_linked, m_current);
        if (s.size() > 100) s.resize(100);
        process::write_all(2, s);
        m_drawn = true;
    }
    void clear() {
        if (!m_drawn) return;
        process::write_all(2, "\r\x1b[K");
        m_drawn = false;
    }

private:
    bool m_enabled;
    bool m_drawn = false;
    std::size_t m_compiled = 0, m_linked = 0;
    std::string m_current;
    std::chrono::steady_clock::time_point m_last{};
};

// GOX_TIMING=1: how long each step of a wrapped run took, printed on
// stderr at the end ("gox: timing: go 312.4 ms (cpu 0.1), model 0.2 ms
// (cpu 0.2), ..., after go 12.3 ms (cpu 9.8)"): wall time, and the CPU time
// gox itself used (all its threads, not its children), which a loaded
// machine does not stretch.
class StepTimer {
public:
    explicit StepTimer(bool enabled) : m_enabled(enabled), m_last(now()) {}
    void step(const char* name) {
        if (!m_enabled) return;
        auto t = now();
        Step s{name, t.wall - m_last.wall, t.cpu - m_last.cpu};
        m_last = t;
        m_steps.push_back(s);
        if (m_after_go) {
            m_after.wall += s.wall;
            m_after.cpu += s.cpu;
        }
        if (std::string_view(name) == "go") m_after_go = true;
    }
    void print() const {
        if (!m_enabled) return;
        std::string line = "gox: timing:";
        for (const auto& s : m_steps) line += fmt::format(" {} {:.1f} ms (cpu {:.1f}),", s.name, s.wall, s.cpu);
        line += fmt::format(" after go {:.1f} ms (cpu {:.1f})\n", m_after.wall, m_after.cpu);
        process::write_all(2, line);
    }

private:
    struct Times {
        double wall = 0, cpu = 0; // ms
    };
    struct Step {
        const char* name;
        double wall, cpu;
    };
    static Times now() {
        timespec w{}, c{};
        ::clock_gettime(CLOCK_MONOTONIC, &w);
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
        return {w.tv_sec * 1e3 + w.tv_nsec / 1e6, c.tv_sec * 1e3 + c.tv_nsec / 1e6};
    }
    bool m_enabled;
    bool m_after_go = false;
    Times m_last, m_after;
    std::vector<Step> m_steps;
};

// A failed run: its diagnosis, the suspects' cache files checked, and a
// re-run against an empty cache when asked or when the failure points at
// the cache.
void diagnose_failure(model::Build& b, const analysis::ErrorCollector& errors, const nlohmann::json& env,
                      const std::string& go, const std::string& verb, const std::vector<std::string>& args,
                      const process::GoRun& run, const WrapOptions& o) {
    analysis::DiagContext ctx;
    ctx.exit_code = run.exit_code;
    ctx.interrupted = run.term_signal != 0 || process::received_signal() != 0;
    if (ctx.exit_code == 0 && !ctx.interrupted) {
        if (o.repro_clean) b.notes.push_back("--repro-clean: the command succeeded, there is nothing to reproduce");
        return;
    }
    auto str = [&](const char* k) { return env.contains(k) && env[k].is_string() ? env[k].get<std::string>() : ""; };
    ctx.gocache = str("GOCACHE");
    ctx.goroot = str("GOROOT");
    if (util::starts_with(ctx.gocache, "/")) ctx.cache_place = util::place_facts(ctx.gocache);
    std::string tmp;
    if (const char* t = std::getenv("GOTMPDIR"); t && *t) tmp = t;
    else if (const char* t2 = std::getenv("TMPDIR"); t2 && *t2) tmp = t2;
    else tmp = "/tmp";
    ctx.temp_place = util::place_facts(tmp);
    ctx.env_known = true;
    ctx.verb = verb;
    for (const char* k : {"HOME", "GOPATH", "GOMODCACHE", "GOTOOLCHAIN", "GOPROXY"})
        if (const char* v = std::getenv(k)) ctx.env[k] = v;
    for (const char* k : {"GOTOOLCHAIN", "GOPROXY"}) // also from go env's file (go env -w)
        if (!ctx.env.count(k) && !str(k).empty()) ctx.env[k] = str(k);
    b.diagnosis = analysis::diagnose(b, &errors, ctx);
    if (!b.diagnosis) return;
    auto cls = analysis::class_from_name(b.diagnosis->cls).value_or(analysis::FailureClass::Unknown);
    bool about_cache = analysis::class_about_cache(cls);
    if (o.verify_suspects || (about_cache && cls != analysis::FailureClass::CacheUnusable))
        b.diagnosis->verified = verify_suspects(b, *b.diagnosis, errors);
    if (!ctx.interrupted && !o.no_repro && (o.repro_clean || about_cache)) {
        ReproRequest req;
        req.go = go;
        req.verb = verb;
        req.args = args;
        req.failing = &b;
        req.errors = &errors;
        req.diagnosis = &*b.diagnosis;
        req.announce = o.summary != "off";
        b.diagnosis->repro = repro_clean(req);
    }
}

} // namespace

int cmd_wrap(const std::vector<std::string>& gox_opts, const std::vector<std::string>& go_line) {
    WrapOptions o;
    // gox's options are only ever `--name` or `--name=value` (cli.cpp tells
    // them from go's command line): `--summary --why` is a --summary without
    // its value.
    CommandSpec spec("", kWrapUsage);
    spec.options.add(wrap_options().all);
    spec.one_argument_each = true;
    for (const auto& opt : parse_command_in_order(spec, gox_opts).options) {
        const std::string& name = opt.string_key;
        const std::string value = opt.value.empty() ? "" : opt.value.front();
        if (name == "help") {
            std::fputs(wrap_help().c_str(), stdout);
            return 0;
        }
        if (name == "summary") o.summary = value;
        else if (name == "summary-format") o.summary_format = value;
        else if (name == "go") o.go = value;
        else if (name == "no-progress") o.progress = false;
        else if (name == "no-history") o.history = false;
        else if (name == "why") o.why = true;
        else if (name == "repro-clean") o.repro_clean = true;
        else if (name == "no-repro") o.no_repro = true;
        else if (name == "verify-suspects") o.verify_suspects = true;
        else if (name == "report") o.reports.push_back(value);
        else if (name == "report-format") o.report_format = value;
        else if (name == "redact-paths") o.redact.redact_paths = true;
        else if (name == "no-redact") o.redact.redact = false;
        else if (name == "annotations") {
            if (value != "github")
                usage_error(fmt::format("unknown --annotations \"{}\" (only github is supported)", value));
            o.annotations = true;
        } else {
            throw std::logic_error(fmt::format("option --{} is in the table but not handled", name));
        }
    }
    if (o.repro_clean && o.no_repro) usage_error("--repro-clean and --no-repro contradict each other");
    if (o.summary.empty()) usage_error("--summary needs a value: stderr, off or a file name");
    if (o.summary_format != "text" && o.summary_format != "json")
        usage_error(fmt::format("unknown --summary-format \"{}\" (want text or json)", o.summary_format));
    for (const auto& r : o.reports) {
        if (r.empty()) usage_error("--report needs a file name");
        // go's stdout must stay go's alone.
        if (r == "-" || r == "/dev/stdout" || r == "/dev/fd/1")
            usage_error("--report cannot go to standard output (it would mix with go's output); give a file name");
        if (o.report_format.empty() && !report::format_for_file(r))
            usage_error(fmt::format("cannot tell the report format from \"{}\"", r),
                        "Use .json, .md, .html, .xml, .trace.json or .txt, or give --report-format.");
    }
    if (!o.report_format.empty() && !report::parse_format(o.report_format))
        usage_error(fmt::format("unknown --report-format \"{}\" (want json, markdown, html, junit, chrome-trace or text)",
                                o.report_format));

    StepTimer timing(std::getenv("GOX_TIMING") && std::string_view(std::getenv("GOX_TIMING")) == "1");
    const std::string go = process::find_go(o.go);
    // go's command line: the verb, and -C (before or after it) moved first
    // in args, the form everything after this reads.
    const GoLine gl = read_go_line(go_line);
    const std::string& verb = gl.verb;
    const std::vector<std::string>& args = gl.args;
    GoArgs g = scan_go_args(verb, args);

    // The action graph goes to a private temp dir unless the user asked for it.
    std::string tmpdir, graph = g.user_actiongraph;
    // go writes a relative -debug-actiongraph=FILE in its -C dir.
    if (!graph.empty() && graph[0] != '/' && gl.chdir.present()) graph = go_work_dir(args) + "/" + graph;
    if (graph.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "gox-XXXXXX").string();
        if (::mkdtemp(tmpl.data())) {
            tmpdir = tmpl;
            graph = tmpdir + "/actiongraph.json";
        }
    }
    // go gets the user's command line as given, with gox's flags after the
    // verb and a -C that follows it.
    std::vector<std::string> argv = {go};
    bool add_x = !g.user_x && !g.dry_run && !g.json;
    argv.insert(argv.end(), go_line.begin(), go_line.begin() + static_cast<std::ptrdiff_t>(gl.inject_at));
    if (add_x) argv.push_back("-x");
    if (g.user_actiongraph.empty() && !graph.empty()) argv.push_back("-debug-actiongraph=" + graph);
    argv.insert(argv.end(), go_line.begin() + static_cast<std::ptrdiff_t>(gl.inject_at), go_line.end());

    Progress progress(o.progress && ::isatty(2) && !std::getenv("CI"));
    model::TraceStream stream(
        [&](std::string_view b) {
            progress.clear();
            process::write_all(2, b);
        },
        !add_x);
    analysis::HashCollector hashes;
    analysis::TestCacheCollector testcache;
    analysis::ErrorCollector errors;
    // go (and only go) gets gocachehash=1 (--why) and, for go test,
    // gocachetest=1 (cheap: a few lines per test) added to GODEBUG; lines of
    // a setting the user had already made stay visible.
    const char* gd0 = std::getenv("GODEBUG");
    std::string godebug = gd0 ? gd0 : "";
    bool add_hash = o.why && godebug.find("gocachehash=1") == std::string::npos;
    // GODEBUG is itself an input of every test result (testInputs hashes
    // it), so gox may only touch it when asked to: --why.
    bool add_testcache = verb == "test" && o.why && godebug.find("gocachetest=1") == std::string::npos;
    if (add_hash) godebug += std::string(godebug.empty() ? "" : ",") + "gocachehash=1";
    if (add_testcache) godebug += std::string(godebug.empty() ? "" : ",") + "gocachetest=1";
    stream.hide_hash_lines = add_hash;
    stream.hide_testcache_lines = add_testcache;
    stream.on_event = [&](const trace::Event& ev) {
        progress.on_event(ev);
        if (o.why && ev.kind == trace::Kind::Hash) hashes.feed(ev.line);
        if (ev.kind == trace::Kind::TestCache) testcache.feed(ev.line);
        errors.on_event(ev);
    };
    process::EnvOverrides go_env_changes;
    if (add_hash || add_testcache) go_env_changes.emplace_back("GODEBUG", godebug);
    stream.show_work_dir = g.work;
    stream.set_toolexec(g.toolexec);
    // Test hook for the fail-open guarantees (tests/cli/test_failopen.py):
    // GOX_TEST_FAULT=stream:N fails the model at go's Nth stderr line,
    // =analysis fails the analysis after go has exited.
    std::string_view fault = std::getenv("GOX_TEST_FAULT") ? std::getenv("GOX_TEST_FAULT") : "";
    if (starts_with(fault, "stream:")) stream.fault_at_line = std::strtoul(fault.data() + 7, nullptr, 10);
    // The environment fingerprint: reused when its inputs are unchanged,
    // else asked from go env on a thread while go builds (nothing in gox's
    // own environment changes meanwhile: go gets its GODEBUG passed).
    std::optional<FingerprintCache> fp_cache;
    std::optional<nlohmann::json> fp_cached;
    std::future<nlohmann::json> fp_pending;
    try {
        fp_cache.emplace(go, args);
        fp_cached = fp_cache->lookup();
    } catch (const std::exception&) {
        fp_cache.reset();
    }
    if (!fp_cached)
        fp_pending = std::async(std::launch::async, [go, args] {
            try {
                return env_fingerprint(go, args);
            } catch (const std::exception&) {
                return nlohmann::json::object();
            }
        });
    timing.step("before go");
    // go's stdout is passed on as it comes; only when gox set gocachehash=1
    // does it go through the filter that drops HASH lines of nested go runs.
    model::HashLineFilter stdout_hashes([](std::string_view b) { process::write_all(1, b); });
    process::GoRun run = process::run_go(
        argv,
        [&](std::string_view b) {
            progress.clear();
            if (add_hash) stdout_hashes.feed(b);
            else process::write_all(1, b);
            stream.feed_stdout(b);
        },
        [&](std::string_view b) { stream.feed(b); }, go_env_changes);
    stdout_hashes.finish();
    progress.clear();
    timing.step("go");

    // From here on nothing may change what the user sees of go's run.
    try {
        if (fault == "analysis") throw std::runtime_error("injected fault (GOX_TEST_FAULT=analysis)");
        model::Build b = stream.take_build();
        timing.step("model");
        if (!add_x && !g.user_x) b.notes.push_back(g.json ? "-json: the summary comes from the action graph alone"
                                                          : "-n: nothing ran");
        if (!graph.empty()) {
            std::string err;
            if (auto ag = model::read_actiongraph_file(graph, err)) model::merge_actiongraph(b, *ag);
            else if (!g.dry_run) b.notes.push_back("no action graph (" + err + ")");
            timing.step("action graph");
        }
        std::map<std::string, std::string> inputs, test_inputs;
        if (o.why) {
            hashes.finish();
            inputs = analysis::inputs_by_action(hashes.records());
            test_inputs = analysis::test_inputs_by_sum(hashes.records());
            timing.step("hash inputs");
        }
        if (add_testcache)
            b.notes.push_back("--why sets GODEBUG, which every test result depends on: results cached by runs "
                              "without --why are not reused by this one, nor this one's by them");
        // The history keeps the run's document path-normalised (not redacted).
        auto history_doc = [&](const nlohmann::json& env) {
            auto d = run_document(b, env, run, verb, args);
            report::normalise_paths(d, "");
            return d.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        };
        nlohmann::json env;
        if (fp_cached) {
            env = std::move(*fp_cached);
            timing.step("env fingerprint (reused)");
        } else {
            env = fp_pending.get();
            timing.step("env fingerprint (wait for go env)");
            if (fp_cache) fp_cache->store(env);
            timing.step("env fingerprint (store)");
        }
        // Before the history and the reports, which both carry the diagnosis.
        if (!g.dry_run) diagnose_failure(b, errors, env, go, verb, args, run, o);
        timing.step("diagnosis");
        env = record_history(b, std::move(env), verb, args, run, o, inputs, testcache, test_inputs, godebug, history_doc);
        timing.step("history");
        report::Doc doc = run_document(b, env, run, verb, args);
        timing.step("document");
        print_summary(doc, b, run, o);
        timing.step("summary");
        if (o.annotations) print_annotations(b, o.redact, gl.chdir.dir);
        write_reports(std::move(doc), o);
        timing.step("reports");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: analysis failed: %s\n", e.what());
    }
    if (fp_pending.valid()) fp_pending.wait(); // the analysis failed before it was collected
    if (!tmpdir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(tmpdir, ec);
    }
    timing.step("cleanup");
    timing.print();
    process::exit_like(run);
}

} // namespace gox::cli
