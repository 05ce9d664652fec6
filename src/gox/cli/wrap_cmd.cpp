// gox build|test|install|run|vet: run go with -x and -debug-actiongraph, show
// exactly what plain go shows, then summarise what the build cache did.

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/env_fingerprint.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/cli/options.hpp>
#include <gox/cli/progress.hpp>
#include <gox/cli/repro.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/cli/wrap_internal.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/hash_filter.hpp>
#include <gox/model/stream.hpp>
#include <gox/process/go_process.hpp>
#include <gox/report/report.hpp>
#include <gox/util/error.hpp>
#include <gox/util/fs_probe.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <functional>
#include <future>
#include <unistd.h>

namespace gox::cli {

using util::starts_with;
using namespace wrap;

namespace {

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

// gox's options for the wrapped run, checked; nullopt after --help.
std::optional<WrapOptions> parse_wrap_options(const std::vector<std::string>& gox_opts) {
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
            return std::nullopt;
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
    return o;
}

} // namespace

int cmd_wrap(const std::vector<std::string>& gox_opts, const std::vector<std::string>& go_line) {
    std::optional<WrapOptions> parsed = parse_wrap_options(gox_opts);
    if (!parsed) return 0; // --help
    const WrapOptions& o = *parsed;

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
        if (o.why) analysis::attach_key_inputs(doc, inputs); // issue 16: each package's portable key inputs
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
