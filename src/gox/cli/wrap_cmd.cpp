// gox build|test|install|run|vet: run go with -x and -debug-actiongraph, show
// exactly what plain go shows, then summarise what the build cache did.

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/repro.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/history/store.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/stream.hpp>
#include <gox/process/go_process.hpp>
#include <gox/report/report.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <fstream>
#include <functional>
#include <sys/stat.h>
#include <unistd.h>

namespace gox::cli {

using util::starts_with;

namespace {

bool takes_value(std::string_view f);

} // namespace

bool go_flag_takes_value(std::string_view flag) { return takes_value(flag); }

namespace {

constexpr int kHistoryRuns = 200; // runs kept in the history store

// go flags that take a separate value (so the value is not a package).
bool takes_value(std::string_view f) {
    static constexpr std::string_view kValued[] = {
        "-C", "-o", "-p", "-asmflags", "-buildmode", "-compiler", "-gccgoflags", "-gcflags", "-installsuffix",
        "-ldflags", "-mod", "-modfile", "-overlay", "-pgo", "-pkgdir", "-tags", "-toolexec", "-exec",
        "-covermode", "-coverpkg", "-run", "-bench", "-count", "-cpu", "-timeout", "-parallel", "-benchtime",
        "-coverprofile", "-cpuprofile", "-memprofile", "-blockprofile", "-mutexprofile", "-outputdir", "-trace",
        "-shuffle", "-fuzz", "-fuzztime", "-fuzzminimizetime", "-skip", "-vet", "-list", "-memprofilerate",
        "-blockprofilerate", "-mutexprofilefraction", "-benchtime", "-fullpath",
        // go's -debug-* flags take a file too (-debug-actiongraph FILE -x ...).
        "-debug-actiongraph", "-debug-trace", "-debug-runtime-trace"};
    if (starts_with(f, "--")) f.remove_prefix(1);
    for (auto v : kValued)
        if (f == v) return true;
    return false;
}

struct GoArgs {
    bool user_x = false, dry_run = false, json = false;
    bool work = false; // -work: go prints WORK=<dir> itself, -x or not
    std::string toolexec; // the program of -toolexec (its first word), "" for none
    std::string user_actiongraph;
    std::size_t insert_at = 0; // after -C dir, which must come first
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
    if (!args.empty() && (args[0] == "-C" || args[0] == "--C")) g.insert_at = args.size() >= 2 ? 2 : 1;
    else if (!args.empty() && (starts_with(args[0], "-C=") || starts_with(args[0], "--C="))) g.insert_at = 1;
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
        if (takes_value(f) && f.find('=') == std::string_view::npos) ++i;
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

// The environment fingerprint of this go: `go env -json` of the variables
// that are build inputs or say where things are, plus the C compiler's
// version line when cgo is on.
nlohmann::json env_fingerprint(const std::string& go, const std::vector<std::string>& args) {
    auto go_env = [&](std::vector<std::string> vars) {
        std::vector<std::string> cmd = {go, "env", "-json"};
        // go env honours -C: run it where the build ran.
        if (!args.empty() && (args[0] == "-C" || args[0] == "--C") && args.size() > 1) {
            cmd.insert(cmd.end(), {"-C", args[1]});
        } else if (!args.empty() && (util::starts_with(args[0], "-C=") || util::starts_with(args[0], "--C="))) {
            cmd.push_back(args[0]);
        }
        cmd.insert(cmd.end(), vars.begin(), vars.end());
        nlohmann::json j = nlohmann::json::object();
        if (auto out = process::capture(cmd)) {
            auto parsed = nlohmann::json::parse(*out, nullptr, false);
            if (parsed.is_object()) j = parsed;
        }
        return j;
    };
    nlohmann::json env = go_env({"GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GOFLAGS", "CGO_ENABLED",
                                 "CC", "CXX", "GOCACHE", "GOROOT", "GOEXPERIMENT", "GOMOD", "GOTOOLCHAIN", "GODEBUG",
                                 "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOPROXY"});
    // `go env CGO_CFLAGS` (and the other two) writes entries into the build
    // cache (Go 1.26): ask with a GOCACHE of gox's own so that the user's
    // cache only ever gets what their build writes. It is kept
    // ($XDG_CACHE_HOME/gox/go-env-cache): with an empty one the query takes
    // ~140 ms, with a warm one ~10 ms. A temporary one when that cannot be made.
    {
        std::error_code fe;
        std::string dir;
        const char* xdg = std::getenv("XDG_CACHE_HOME");
        const char* home = std::getenv("HOME");
        std::string base = xdg && *xdg == '/' ? xdg : home && *home == '/' ? std::string(home) + "/.cache" : "";
        if (!base.empty()) {
            std::string d = base + "/gox/go-env-cache";
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
            const char* old = std::getenv("GOCACHE");
            std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
            ::setenv("GOCACHE", dir.c_str(), 1);
            nlohmann::json cg = go_env({"CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_LDFLAGS"});
            if (saved) ::setenv("GOCACHE", saved->c_str(), 1);
            else ::unsetenv("GOCACHE");
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
                    const std::map<std::string, std::string>& test_inputs,
                    const std::function<std::string(const nlohmann::json& env)>& report_doc) {
    env["(command)"] = "go " + verb + " " + nlohmann::json(args).dump();
    std::string gomod = env.value("GOMOD", "");
    std::string cwd = std::filesystem::current_path().string();
    std::string module_root = gomod.empty() || gomod == "/dev/null" ? cwd : std::filesystem::path(gomod).parent_path().string();
    std::string godebug = env.value("GODEBUG", "");
    if (const char* g = std::getenv("GODEBUG")) godebug += std::string(",") + g;

    analysis::ReasonContext ctx;
    ctx.module_root = module_root;
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
                if (auto prev = store->previous(ctx.module_root, p.import_path, variant, INT64_MAX))
                    prev_inputs[p.import_path + '\0' + variant] = prev->inputs;
            }
            analysis::refine_reasons(b, inputs, prev_inputs);
        }
        // go test: why each test ran instead of coming from the cache.
        if (verb == "test") {
            std::vector<std::string> ran;
            std::map<std::string, analysis::PrevTest> prev;
            for (const auto& t : b.tests) {
                if (t.cached || (t.status != "ok" && t.status != "fail")) continue;
                ran.push_back(t.import_path);
                if (store)
                    if (auto r = store->previous(module_root, t.import_path, std::string(analysis::kTestResultVariant), INT64_MAX))
                        prev[t.import_path] = {r->action_id, r->content_id, r->inputs};
            }
            // Without --why there are no testcache lines: decide from the
            // flags, the test binary and the history alone.
            {
                std::string flag = analysis::uncacheable_test_flag(args);
                for (auto& t : b.tests) {
                    if (t.cached || (t.status != "ok" && t.status != "fail")) continue;
                    bool relinked = false;
                    for (const auto& p : b.packages)
                        if (p.for_test == t.import_path + ".test" && p.outcome == model::Outcome::Rebuilt) relinked = true;
                    if (!flag.empty()) {
                        t.reason = std::string(analysis::reason_name(analysis::Reason::UncacheableFlag));
                        t.reason_detail = flag;
                    } else if (!prev.count(t.import_path)) {
                        t.reason = std::string(analysis::reason_name(analysis::Reason::NoHistory));
                    } else if (relinked) {
                        t.reason = std::string(analysis::reason_name(analysis::Reason::TestBinaryChanged));
                        t.reason_detail = "packages of the test binary were rebuilt";
                    } else {
                        t.reason = std::string(analysis::reason_name(analysis::Reason::TestInputsChanged));
                    }
                }
            }
            for (const auto& tr : analysis::test_reasons(tc, ran, prev, test_inputs))
                for (auto& t : b.tests)
                    if (t.import_path == tr.package && !t.cached) {
                        t.reason = tr.reason;
                        t.reason_detail = tr.detail;
                    }
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
        if (t.status == "no_test_files") continue;
        auto it = tc.tests().find(t.import_path);
        bool known = it != tc.tests().end();
        history::PackageRecord k;
        k.import_path = t.import_path;
        k.variant = std::string(analysis::kTestResultVariant);
        k.action_id = known ? it->second.test_id : "";   // only with --why (testcache lines)
        k.content_id = known ? it->second.input_id : "";
        k.outcome = t.cached ? "cached" : t.status;
        k.reason = t.reason;
        k.detail = t.reason_detail;
        if (known)
            if (auto in = test_inputs.find(it->second.input_id); in != test_inputs.end()) k.inputs = in->second;
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

constexpr const char* kWrapHelp = R"(usage: gox [gox options] build|test|install|run|vet [go flags] [packages] [-args ...]

Runs the go command exactly as given (every argument after the verb goes to go
untouched) and shows exactly what plain go shows: the same stdout, stderr and
exit status, the same binaries. Then it prints a summary of what the build
cache did: packages rebuilt or from the cache, links, tests built, cached or
run, time by step and the critical path.

gox options (before the verb):
  --summary=stderr|off|FILE   where the summary goes (default: stderr)
  --summary-format=text|json  the JSON shares the `gox parse` schema
  --go=PATH                   the go command to run (default: $GOX_GO, then go on PATH)
  --why                       name the exact input that changed for every rebuilt
                              package (file, dependency, flag, env var, Go
                              version...): runs go with GODEBUG=gocachehash=1
                              and compares with the previous run's inputs
  --no-history                neither read nor write the run history
                              (default store: $GOX_HISTORY, else
                              $XDG_STATE_HOME/gox/history.db, else
                              ~/.local/state/gox/history.db)
  --no-progress               no progress line (drawn only when stderr is a
                              terminal and CI is unset; erased before go's output)
  --report=FILE               also write a report to FILE (repeatable); the format
                              comes from the extension: .json, .md, .html, .xml
                              (JUnit), .trace.json (Chrome trace), .txt
  --report-format=FORMAT      json, markdown, html, junit, chrome-trace or text,
                              for every --report file
  --redact-paths              reports drop absolute paths and the user name too
  --no-redact                 reports keep secrets (local use only); by default
                              credentials in URLs, tokens and secret-named
                              variables are redacted and the home dir is ~
  --annotations=github        print ::error file=F,line=N:: workflow commands on
                              stderr for compile errors (go's own output is unchanged)

When GITHUB_STEP_SUMMARY is set, the Markdown report is appended to that file.

When go fails, the summary diagnoses it: the package that failed first, what
was skipped because of it, the first errors and a failure class with its
evidence and remedy (`gox explain --classes` lists them).
  --repro-clean               re-run a failed command against an empty temporary
                              GOCACHE and GOTMPDIR (removed afterwards; your
                              cache is never written) and say whether the cache
                              is to blame: cache_caused, reproducible or
                              inconclusive. Done by itself when the failure
                              points at the cache
  --no-repro                  never re-run, not even then
  --verify-suspects           on any failure, check the cache files of the
                              suspect packages (those the errors name and the
                              failed packages' cached imports) against their
                              content hashes; done by itself when the failure
                              points at the cache

gox adds -x and -debug-actiongraph=<temp file> to go's flags (not -x when you
pass -json or -n: that would change go's own output). Your own -x and
-debug-actiongraph=FILE are honoured: the trace is shown and FILE is written.
)";

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
    namespace fs = std::filesystem;
    std::error_code ec;
    std::uintmax_t files = 0, bytes = 0;
    constexpr std::uintmax_t kLimit = 500000;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator() && files < kLimit; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        ++files;
        bytes += static_cast<std::uintmax_t>(st.st_size);
    }
    if (ec && !files) return "";
    return fmt::format("{}{:.1f} MiB in {} files", files >= kLimit ? "≥ " : "", static_cast<double>(bytes) / (1 << 20), files);
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
void print_annotations(const model::Build& b, const RedactChoice& rc) {
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
    if (util::starts_with(ctx.gocache, "/")) ctx.cache_place = analysis::place_facts(ctx.gocache);
    std::string tmp;
    if (const char* t = std::getenv("GOTMPDIR"); t && *t) tmp = t;
    else if (const char* t2 = std::getenv("TMPDIR"); t2 && *t2) tmp = t2;
    else tmp = "/tmp";
    ctx.temp_place = analysis::place_facts(tmp);
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

int cmd_wrap(const std::vector<std::string>& gox_opts, const std::string& verb, const std::vector<std::string>& args) {
    WrapOptions o;
    for (const auto& a : gox_opts) {
        if (starts_with(a, "--summary=")) o.summary = a.substr(10);
        else if (starts_with(a, "--summary-format=")) o.summary_format = a.substr(17);
        else if (starts_with(a, "--go=")) o.go = a.substr(5);
        else if (a == "--no-progress") o.progress = false;
        else if (a == "--no-history") o.history = false;
        else if (a == "--why") o.why = true;
        else if (a == "--repro-clean") o.repro_clean = true;
        else if (a == "--no-repro") o.no_repro = true;
        else if (a == "--verify-suspects") o.verify_suspects = true;
        else if (starts_with(a, "--report=")) o.reports.push_back(a.substr(9));
        else if (starts_with(a, "--report-format=")) o.report_format = a.substr(16);
        else if (a == "--redact-paths") o.redact.redact_paths = true;
        else if (a == "--no-redact") o.redact.redact = false;
        else if (starts_with(a, "--annotations=")) {
            if (a.substr(14) != "github")
                usage_error(fmt::format("unknown --annotations \"{}\" (only github is supported)", a.substr(14)));
            o.annotations = true;
        } else if (a == "-h" || a == "--help") {
            std::fputs(kWrapHelp, stdout);
            return 0;
        } else {
            auto s = did_you_mean(a.substr(0, a.find('=')), {"--summary", "--summary-format", "--go", "--no-progress", "--no-history", "--why", "--repro-clean", "--no-repro",
                                                       "--verify-suspects", "--report",
                                              "--report-format", "--redact-paths", "--no-redact", "--annotations", "--help"});
            usage_error(fmt::format("unknown option {}", a), s.empty() ? "Run 'gox build --help' for usage." : "Did you mean " + s + "?");
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

    const std::string go = process::find_go(o.go);
    GoArgs g = scan_go_args(verb, args);

    // The action graph goes to a private temp dir unless the user asked for it.
    std::string tmpdir, graph = g.user_actiongraph;
    if (graph.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "gox-XXXXXX").string();
        if (::mkdtemp(tmpl.data())) {
            tmpdir = tmpl;
            graph = tmpdir + "/actiongraph.json";
        }
    }
    std::vector<std::string> argv = {go, verb};
    std::vector<std::string> inject;
    bool add_x = !g.user_x && !g.dry_run && !g.json;
    if (add_x) inject.push_back("-x");
    if (g.user_actiongraph.empty() && !graph.empty()) inject.push_back("-debug-actiongraph=" + graph);
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (i == g.insert_at) argv.insert(argv.end(), inject.begin(), inject.end());
        argv.push_back(args[i]);
    }
    if (g.insert_at >= args.size()) argv.insert(argv.end(), inject.begin(), inject.end());

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
    std::optional<std::string> saved_godebug = gd0 ? std::optional<std::string>(gd0) : std::nullopt;
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
    if (add_hash || add_testcache) ::setenv("GODEBUG", godebug.c_str(), 1);
    stream.show_work_dir = g.work;
    stream.set_toolexec(g.toolexec);
    // Test hook for the fail-open guarantees (tests/cli/test_failopen.py):
    // GOX_TEST_FAULT=stream:N fails the model at go's Nth stderr line,
    // =analysis fails the analysis after go has exited.
    std::string_view fault = std::getenv("GOX_TEST_FAULT") ? std::getenv("GOX_TEST_FAULT") : "";
    if (starts_with(fault, "stream:")) stream.fault_at_line = std::strtoul(fault.data() + 7, nullptr, 10);
    process::GoRun run = process::run_go(
        argv,
        [&](std::string_view b) {
            progress.clear();
            process::write_all(1, b);
            stream.feed_stdout(b);
        },
        [&](std::string_view b) { stream.feed(b); });
    progress.clear();
    if (add_hash || add_testcache) {
        if (saved_godebug) ::setenv("GODEBUG", saved_godebug->c_str(), 1);
        else ::unsetenv("GODEBUG");
    }

    // From here on nothing may change what the user sees of go's run.
    try {
        if (fault == "analysis") throw std::runtime_error("injected fault (GOX_TEST_FAULT=analysis)");
        model::Build b = stream.take_build();
        if (!add_x && !g.user_x) b.notes.push_back(g.json ? "-json: the summary comes from the action graph alone"
                                                          : "-n: nothing ran");
        if (!graph.empty()) {
            std::string err;
            if (auto ag = model::read_actiongraph_file(graph, err)) model::merge_actiongraph(b, *ag);
            else if (!g.dry_run) b.notes.push_back("no action graph (" + err + ")");
        }
        std::map<std::string, std::string> inputs, test_inputs;
        if (o.why) {
            hashes.finish();
            inputs = analysis::inputs_by_action(hashes.records());
            test_inputs = analysis::test_inputs_by_sum(hashes.records());
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
        nlohmann::json env = env_fingerprint(go, args);
        // Before the history and the reports, which both carry the diagnosis.
        if (!g.dry_run) diagnose_failure(b, errors, env, go, verb, args, run, o);
        env = record_history(b, std::move(env), verb, args, run, o, inputs, testcache, test_inputs, history_doc);
        report::Doc doc = run_document(b, env, run, verb, args);
        print_summary(doc, b, run, o);
        if (o.annotations) print_annotations(b, o.redact);
        write_reports(std::move(doc), o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: analysis failed: %s\n", e.what());
    }
    if (!tmpdir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(tmpdir, ec);
    }
    process::exit_like(run);
}

} // namespace gox::cli
