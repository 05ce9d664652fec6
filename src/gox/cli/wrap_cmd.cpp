// gox build|test|install|run|vet: run go with -x and -debug-actiongraph, show
// exactly what plain go shows, then summarise what the build cache did.

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/cli/cacheprog_history.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/env_fingerprint.hpp>
#include <gox/cli/graph_reuse.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/cli/options.hpp>
#include <gox/cli/progress.hpp>
#include <gox/cli/repro.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/cli/wrap_internal.hpp>
#include <gox/history/deferred.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/hash_filter.hpp>
#include <gox/model/stream.hpp>
#include <gox/process/go_process.hpp>
#include <gox/report/report.hpp>
#include <gox/util/error.hpp>
#include <gox/util/fs_probe.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
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
A run that repeats a no-op with every input unchanged gets no
-debug-actiongraph: the graph that no-op kept is used (GOX_GRAPH_REUSE in
gox(1)).
)";

// `gox build --help`, from the option table (through wrap_options()).
std::string wrap_help() {
    return std::string(kWrapUsage) + format_options(wrap_options().run, 30) + kWrapMiddle +
           format_options(wrap_options().failure, 30) + kWrapEnd;
}

// What the diagnosis of a failed run needs to know about the places go
// writes to and go's environment (read only when go failed).
analysis::DiagContext diag_context(const nlohmann::json& env, const std::string& verb, const process::GoRun& run) {
    analysis::DiagContext ctx;
    ctx.exit_code = run.exit_code;
    ctx.interrupted = run.term_signal != 0 || process::received_signal() != 0;
    if (ctx.exit_code == 0 && !ctx.interrupted) return ctx;
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
    return ctx;
}

// What a failed run's diagnosis may do besides reading: check the suspects'
// cache files, and re-run against an empty temporary cache (cli/repro.cpp).
analysis::FailureFollowUp follow_up(const std::string& go, const std::string& verb, const std::vector<std::string>& args,
                                    const model::Build& b, const analysis::ErrorCollector& errors,
                                    const WrapOptions& o) {
    analysis::FailureFollowUp f;
    f.verify_always = o.verify_suspects;
    f.repro_always = o.repro_clean;
    f.repro_never = o.no_repro;
    f.verify_suspects = [&errors](const model::Build& build, const model::Diagnosis& d) {
        return verify_suspects(build, d, errors);
    };
    f.reproduce = [&go, &verb, &args, &b, &errors, &o](const model::Diagnosis& d) {
        ReproRequest req;
        req.go = go;
        req.verb = verb;
        req.args = args;
        req.failing = &b;
        req.errors = &errors;
        req.diagnosis = &d;
        req.announce = o.summary != "off";
        return repro_clean(req);
    };
    return f;
}

// gox's options for the wrapped run, checked; nullopt after --help.
std::optional<WrapOptions> parse_wrap_options(const std::vector<std::string>& gox_opts) {
    WrapOptions o;
    std::string keep; // --keep, else GOX_HISTORY_KEEP
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
        else if (name == "baseline") o.baseline = value;
        else if (name == "report-format") o.report_format = value;
        else if (name == "redact-paths") o.redact.redact_paths = true;
        else if (name == "no-redact") o.redact.redact = false;
        else if (name == "keep") keep = value;
        else if (name == "cacheprog") {
            o.cacheprog = true;
            o.cacheprog_upstream = value;
        }
        else if (name == "annotations") {
            if (value != "github")
                usage_error(fmt::format("unknown --annotations \"{}\" (only github is supported)", value));
            o.annotations = true;
        } else {
            throw std::logic_error(fmt::format("option --{} is in the table but not handled", name));
        }
    }
    if (auto k = parse_keep(keep)) o.keep = *k;
    else usage_error(fmt::format("--keep wants a number of runs (200) or of days (30d), not \"{}\"", keep));
    // The variable is the environment's, not this command line's: a bad
    // value is a warning, never a failed build.
    if (const char* e = std::getenv("GOX_HISTORY_KEEP"); keep.empty() && e && *e) {
        if (auto k = parse_keep(e)) o.keep = *k;
        else std::fprintf(stderr, "gox: warning: GOX_HISTORY_KEEP=%s is neither N runs nor Nd days (200 runs kept)\n", e);
    }
    // GOX_CACHEPROG=1 is --cacheprog, GOX_CACHEPROG=UPSTREAM --cacheprog=UPSTREAM.
    if (const char* e = std::getenv("GOX_CACHEPROG"); !o.cacheprog && e && *e && std::string_view(e) != "0") {
        o.cacheprog = true;
        if (std::string_view(e) != "1") o.cacheprog_upstream = e;
    }
    if (o.repro_clean && o.no_repro) usage_error("--repro-clean and --no-repro contradict each other");
    if (o.summary.empty()) usage_error("--summary needs a value: stderr, off or a file name");
    if (o.baseline.empty() && std::any_of(gox_opts.begin(), gox_opts.end(), [](const std::string& a) {
            return a == "--baseline" || a == "--baseline=";
        }))
        usage_error("--baseline needs a value: a JSON summary file or a run id of the history");
    if (o.summary_format != "text" && o.summary_format != "json")
        usage_error(fmt::format("unknown --summary-format \"{}\" (want text or json)", o.summary_format));
    for (const auto& r : o.reports) {
        if (r.empty()) usage_error("--report needs a file name");
        // go's stdout must stay go's alone.
        if (r == "-" || r == "/dev/stdout" || r == "/dev/fd/1")
            usage_error("--report cannot go to standard output (it would mix with go's output); give a file name");
        if (o.report_format.empty() && !report::format_for_file(r))
            usage_error(fmt::format("cannot tell the report format from \"{}\"", r),
                        "Use .json, .md, .html, .xml, .trace.json, .txt, .otlp.json or .prom, or give --report-format.");
    }
    if (!o.report_format.empty() && !report::parse_format(o.report_format))
        usage_error(fmt::format("unknown --report-format \"{}\" (want json, markdown, html, junit, chrome-trace, text, otlp or openmetrics)",
                                o.report_format));
    return o;
}


// How go is run: its command line with gox's flags, where the action graph
// goes, and what gox adds to go's GODEBUG (--why).
struct GoPlan {
    std::string go;
    GoLine gl;          // the verb, and -C (before or after it) moved first in args
    GoArgs g;
    std::string tmpdir; // gox's private temp dir ("" when the user named the graph file)
    std::string graph;  // the -debug-actiongraph file
    std::vector<std::string> argv;
    bool add_x = false;
    std::string godebug; // go's GODEBUG (the user's, plus what gox adds)
    bool add_hash = false, add_testcache = false;
    process::EnvOverrides env_changes;
    std::optional<CacheprogPlan> cacheprog; // --cacheprog: go's GOCACHEPROG and the record
    // The graph an earlier identical no-op kept stands in for go's (graph_reuse.hpp):
    // go gets no -debug-actiongraph and graph names the kept file.
    bool graph_reused = false;
};

GoPlan plan_go_run(const WrapOptions& o, const std::vector<std::string>& go_line) {
    GoPlan p;
    p.go = process::find_go(o.go);
    p.gl = read_go_line(go_line);
    p.g = scan_go_args(p.gl.verb, p.gl.args);
    // The action graph goes to a private temp dir unless the user asked for it.
    p.graph = p.g.user_actiongraph;
    // go writes a relative -debug-actiongraph=FILE in its -C dir.
    if (!p.graph.empty() && p.graph[0] != '/' && p.gl.chdir.present()) p.graph = go_work_dir(p.gl.args) + "/" + p.graph;
    if (p.graph.empty()) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "gox-XXXXXX").string();
        if (::mkdtemp(tmpl.data())) {
            p.tmpdir = tmpl;
            p.graph = p.tmpdir + "/actiongraph.json";
        }
    }
    // go gets the user's command line as given, with gox's flags after the
    // verb and a -C that follows it.
    p.argv = {p.go};
    p.add_x = !p.g.user_x && !p.g.dry_run && !p.g.json;
    auto inject = go_line.begin() + static_cast<std::ptrdiff_t>(p.gl.inject_at);
    p.argv.insert(p.argv.end(), go_line.begin(), inject);
    if (p.add_x) p.argv.push_back("-x");
    if (p.g.user_actiongraph.empty() && !p.graph.empty()) p.argv.push_back("-debug-actiongraph=" + p.graph);
    p.argv.insert(p.argv.end(), inject, go_line.end());
    // go (and only go) gets gocachehash=1 (--why) and, for go test,
    // gocachetest=1 (cheap: a few lines per test) added to GODEBUG; lines of
    // a setting the user had already made stay visible.
    const char* gd0 = std::getenv("GODEBUG");
    p.godebug = gd0 ? gd0 : "";
    p.add_hash = o.why && p.godebug.find("gocachehash=1") == std::string::npos;
    // GODEBUG is itself an input of every test result (testInputs hashes
    // it), so gox may only touch it when asked to: --why.
    p.add_testcache = p.gl.verb == "test" && o.why && p.godebug.find("gocachetest=1") == std::string::npos;
    if (p.add_hash) p.godebug += std::string(p.godebug.empty() ? "" : ",") + "gocachehash=1";
    if (p.add_testcache) p.godebug += std::string(p.godebug.empty() ? "" : ",") + "gocachetest=1";
    if (p.add_hash || p.add_testcache) p.env_changes.emplace_back("GODEBUG", p.godebug);
    // --cacheprog: go's cache is gox cacheprog, recording into gox's temp dir.
    if (o.cacheprog) {
        if (p.tmpdir.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path() / "gox-XXXXXX").string();
            if (::mkdtemp(tmpl.data())) p.tmpdir = tmpl;
        }
        if (!p.tmpdir.empty()) {
            p.cacheprog = plan_cacheprog(o.cacheprog_upstream, p.tmpdir + "/cacheprog.jsonl");
            p.env_changes.emplace_back("GOCACHEPROG", p.cacheprog->gocacheprog);
        }
    }
    return p;
}

// What is read from go's stderr on the way, besides the model.
struct Collectors {
    analysis::HashCollector hashes;
    analysis::TestCacheCollector testcache;
    analysis::ErrorCollector errors;
    std::map<int, std::string> compiled; // objdir number -> the action ID in its compile's -buildid
};

// The stream's settings: which of gox's additions to hide, and who else
// reads each event.
void watch_trace(model::TraceStream& stream, Collectors& c, Progress& progress, const GoPlan& p, const WrapOptions& o) {
    stream.hide_hash_lines = p.add_hash;
    stream.hide_testcache_lines = p.add_testcache;
    stream.on_event = [&c, &progress, why = o.why](const trace::Event& ev) {
        progress.on_event(ev);
        if (ev.kind == trace::Kind::Compile && ev.cmd && ev.objdir >= 0) {
            std::string_view id = ev.cmd->flag("-buildid");
            c.compiled[ev.objdir] = std::string(id.substr(0, id.find('/')));
        }
        if (why && ev.kind == trace::Kind::Hash) c.hashes.feed(ev.line);
        if (ev.kind == trace::Kind::TestCache) c.testcache.feed(ev.line);
        c.errors.on_event(ev);
    };
    stream.show_work_dir = p.g.work;
    stream.set_toolexec(p.g.toolexec);
}

// The environment fingerprint: reused when its inputs are unchanged, else
// asked from go env on a thread while go builds (nothing in gox's own
// environment changes meanwhile: go gets its GODEBUG passed).
class Fingerprint {
public:
    Fingerprint(const std::string& go, const std::vector<std::string>& args) {
        try {
            m_cache.emplace(go, args);
            m_cached = m_cache->lookup();
        } catch (const std::exception&) {
            m_cache.reset();
        }
        if (!m_cached)
            m_pending = std::async(std::launch::async, [go, args] {
                try {
                    return env_fingerprint(go, args);
                } catch (const std::exception&) {
                    return nlohmann::json::object();
                }
            });
    }
    // Waits for go env when the analysis failed before it was collected.
    void finish() {
        if (m_pending.valid()) m_pending.wait();
    }
    // The cache's key and files, and the fingerprint it had (nullptr when it had none).
    const FingerprintCache* cache() const { return m_cache ? &*m_cache : nullptr; }
    const nlohmann::json* cached() const { return m_cached ? &*m_cached : nullptr; }
    nlohmann::json get(StepTimer& timing) {
        if (m_cached) {
            timing.step("env fingerprint (reused)");
            return std::move(*m_cached);
        }
        nlohmann::json env = m_pending.get();
        timing.step("env fingerprint (wait for go env)");
        if (m_cache) m_cache->store(env);
        timing.step("env fingerprint (store)");
        return env;
    }

private:
    std::optional<FingerprintCache> m_cache;
    std::optional<nlohmann::json> m_cached;
    std::future<nlohmann::json> m_pending;
};

// The kept graph of an earlier identical no-op (graph_reuse.hpp), looked
// for unless the run needs go's own: --why (its hash inputs), reports
// (timings), the user's -debug-actiongraph, -n, -json (no trace to check
// the kept graph against), or GOX_GRAPH_REUSE=0. Only with a reused
// environment fingerprint: its inputs are half of the key.
std::optional<GraphReuse> graph_reuse_for(const WrapOptions& o, const Fingerprint& fp, const GoPlan& p,
                                          const std::vector<std::string>& go_line) {
    const char* env = std::getenv("GOX_GRAPH_REUSE");
    if (env && std::string_view(env) == "0") return std::nullopt;
    if (!fp.cache() || !fp.cached() || p.tmpdir.empty() || p.graph.empty()) return std::nullopt;
    if (o.why || !o.reports.empty() || !p.g.user_actiongraph.empty() || p.g.dry_run || p.g.json ||
        !(p.add_x || p.g.user_x))
        return std::nullopt;
    try {
        return GraphReuse(*fp.cache(), *fp.cached(), go_line, go_work_dir(p.gl.args));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// go is run without -debug-actiongraph; the kept graph is read instead.
void use_kept_graph(GoPlan& p, const GraphReuse& reuse) {
    auto flag = std::find(p.argv.begin(), p.argv.end(), "-debug-actiongraph=" + p.graph);
    if (flag == p.argv.end()) return;
    p.argv.erase(flag);
    p.graph = reuse.kept_graph();
    p.graph_reused = true;
}

// go run with its stdout passed on as it comes (only when gox set
// gocachehash=1 does it go through the filter that drops HASH lines of
// nested go runs) and its stderr into the stream.
process::GoRun run_go(const GoPlan& p, model::TraceStream& stream, Progress& progress) {
    model::HashLineFilter stdout_hashes([](std::string_view b) { process::write_all(1, b); });
    process::GoRun run = process::run_go(
        p.argv,
        [&](std::string_view b) {
            progress.clear();
            if (p.add_hash) stdout_hashes.feed(b);
            else process::write_all(1, b);
            stream.feed_stdout(b);
        },
        [&](std::string_view b) { stream.feed(b); }, p.env_changes);
    stdout_hashes.finish();
    progress.clear();
    return run;
}

// The model of the run, with the action graph merged and gox's notes on
// what the run could not show.
// graph: the action graph kept for the cache program's join (--cacheprog)
// and for graph_reuse (idle).
// idle: set when go wrote a graph in which no action ran (one to keep).
model::Build finish_model(model::TraceStream& stream, const GoPlan& p, const Collectors& c, StepTimer& timing,
                          std::optional<model::ActionGraph>& graph, bool& idle) {
    model::Build b = stream.take_build();
    timing.step("model");
    if (!p.add_x && !p.g.user_x)
        b.notes.push_back(p.g.json ? "-json: the summary comes from the action graph alone" : "-n: nothing ran");
    if (!p.graph.empty()) {
        std::string err;
        if (auto ag = model::read_actiongraph_file(p.graph, err)) {
            std::string why_not;
            const std::string work = b.invocations.empty() ? "" : b.invocations.back().work_dir;
            if (p.graph_reused && !adopt_kept_graph(*ag, c.compiled, work, why_not)) {
                b.notes.push_back("gox ran go without its action graph (an identical earlier run built nothing), but " +
                                  why_not + ": the packages that came from the cache are not listed");
            } else {
                model::merge_actiongraph(b, *ag);
                b.actiongraph_reused = p.graph_reused;
                // go build of several packages links each command every
                // time (the binaries are not cached): a link may run.
                idle = !p.graph_reused && std::none_of(ag->actions.begin(), ag->actions.end(),
                                                       [](const auto& a) { return a.ran && a.mode != "link"; });
                if (p.cacheprog || idle) graph = std::move(ag);
            }
        } else if (!p.g.dry_run) b.notes.push_back("no action graph (" + err + ")");
        timing.step("action graph");
    }
    if (p.add_testcache)
        b.notes.push_back("--why sets GODEBUG, which every test result depends on: results cached by runs "
                          "without --why are not reused by this one, nor this one's by them");
    return b;
}

// Whether anything ran: a package compiled or failed, a test run, go failed.
bool something_ran(const model::Build& b, const Collectors& c, const process::GoRun& run) {
    if (run.exit_code != 0 || run.term_signal != 0 || !c.compiled.empty()) return true;
    for (const auto& pk : b.packages)
        if (pk.outcome == model::Outcome::Rebuilt || pk.outcome == model::Outcome::Failed) return true;
    for (const auto& t : b.tests)
        if ((t.status == "ok" || t.status == "fail") && !t.cached) return true;
    return false;
}

// gox's temp dir (the action graph, the cache program's record) removed.
void remove_tmpdir(const GoPlan& p) {
    if (p.tmpdir.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(p.tmpdir, ec);
}

// The test hook for the fail-open guarantees (tests/cli/test_failopen.py,
// test_fixedcost.py), read once: GOX_TEST_FAULT=stream:N fails the model at
// go's Nth stderr line, =analysis the analysis after go has exited,
// =history the history record.
std::string_view test_fault() {
    static const char* const fault = std::getenv("GOX_TEST_FAULT");
    return fault ? fault : "";
}

// After go: the analysis, the summary, the reports and the history record.
// True when a detached writer took the record, and with it the temp dir.
// reuse: where an idle graph is kept, or the kept graph was read from
// (graph_reuse.hpp); idle: go's graph had nothing run (finish_model).
bool after_go(model::Build& b, Collectors& c, nlohmann::json env, const GoPlan& p, const process::GoRun& run,
              const WrapOptions& o, StepTimer& timing, const std::optional<model::ActionGraph>& graph,
              const std::optional<GraphReuse>& reuse, bool idle) {
    const std::string& verb = p.gl.verb;
    const std::vector<std::string>& args = p.gl.args;
    std::map<std::string, std::string> inputs, test_inputs;
    if (o.why) {
        c.hashes.finish();
        inputs = analysis::inputs_by_action(c.hashes.records());
        test_inputs = analysis::test_inputs_by_sum(c.hashes.records());
        timing.step("hash inputs");
    }
    std::unique_ptr<history::Store> store = open_run_store(o);
    analysis::RunFacts facts = run_facts(env, verb, args, p.godebug, store.get());
    facts.diag = diag_context(env, verb, run);
    facts.dry_run = p.g.dry_run;
    std::optional<analysis::Baseline> baseline;
    if (!o.baseline.empty()) baseline = load_baseline(o.baseline, store.get());
    facts.baseline = baseline ? &*baseline : nullptr;
    if (o.why || baseline) facts.cache_evidence = cache_evidence(env, run.started, b);
    // --cacheprog: the cache program's record, every session go started.
    std::optional<cacheprog::RecordLog> record;
    analysis::CacheProgramRun cacheprog_run;
    if (p.cacheprog) {
        record = cacheprog::read_record_file(p.cacheprog->record);
        cacheprog_run.log = &*record;
        cacheprog_run.graph = graph ? &*graph : nullptr;
        cacheprog_run.upstream = p.cacheprog->upstream;
        timing.step("cache program record");
    }
    analysis::RunAnalysis a =
        analysis::analyse(b, store.get(), facts,
                          {&inputs, &test_inputs, &c.testcache, &c.errors, p.cacheprog ? &cacheprog_run : nullptr},
                          follow_up(p.go, verb, args, b, c.errors, o));
    for (const auto& w : a.warnings) std::fprintf(stderr, "gox: warning: %s\n", w.c_str());
    timing.step("analysis");
    // The run's document, for a JSON summary and reports only: the text
    // summary is made from the model (on caddy the document is ~3 ms that
    // a plain `gox build` would spend for nothing; the history's copy is
    // made by its writer).
    const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY");
    const bool doc_needed = (o.summary != "off" && o.summary_format == "json") || !o.reports.empty() ||
                            (step_summary && *step_summary);
    report::Doc doc;
    if (doc_needed) {
        doc = run_document(b, a, facts, run);
        if (o.why) analysis::attach_key_inputs(doc, inputs); // each package's portable key inputs (not in the history)
        timing.step("document");
    }
    print_summary(doc, b, a, run, o);
    timing.step("summary");
    if (o.annotations) print_annotations(b, o.redact, p.gl.chdir.dir);
    write_reports(std::move(doc), o, p.graph);
    timing.step("reports");
    // A kept graph that no longer fits is dropped now; go's idle one is kept
    // after the history record (off the user's time when that is detached).
    const bool ran = something_ran(b, c, run);
    if (reuse && p.graph_reused && (ran || !b.actiongraph_reused)) reuse->forget();
    const bool keep = reuse && idle && !ran && graph;
    if (keep && !o.history) reuse->keep(*graph);
    // Last, the history record: by default written by a detached child after
    // gox has exited (history/deferred.hpp), so the user waits for none of it.
    if (!o.history) return false;
    const history::Location where = history::location_from_env();
    const bool had_store = store != nullptr;
    if (history::background_wanted()) store.reset(); // no connection crosses the fork
    bool detached = history::write_deferred(where, [&] {
        // A detached writer removes the temp dir (unlinking the graph: ~2 ms nobody waits for), whatever happens.
        struct TmpDir {
            const GoPlan& p;
            ~TmpDir() {
                if (history::in_detached_writer()) remove_tmpdir(p);
            }
        } tmpdir{p};
        if (had_store && !store) store = open_run_store(o);
        if (test_fault() == "history")
            throw std::runtime_error("injected fault (GOX_TEST_FAULT=history)");
        // The history keeps the run's document path-normalised (not redacted).
        record_run(store.get(), o, b, a, facts, run, inputs, [&] {
            auto d = run_document(b, a, facts, run);
            report::normalise_paths(d, "");
            return d.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        });
        if (keep) reuse->keep(*graph);
    });
    timing.step("history");
    return detached;
}

} // namespace

// gox's temp dir removed (unless a detached writer has it), and GOX_TIMING's table printed.
void cleanup(const GoPlan& p, StepTimer& timing, bool tmpdir_detached) {
    if (!tmpdir_detached) remove_tmpdir(p);
    timing.step("cleanup");
    timing.print();
}

// The wrapper's pipeline, step by step.
int cmd_wrap(const std::vector<std::string>& gox_opts, const std::vector<std::string>& go_line) {
    std::optional<WrapOptions> parsed = parse_wrap_options(gox_opts);
    if (!parsed) return 0; // --help
    const WrapOptions& o = *parsed;
    // A gox cacheprog that go (or go env, or a repro run) starts from here
    // leaves the history to this wrapper (cacheprog_history.hpp).
    ::setenv(kWrappedEnv, "1", 1);
    StepTimer timing(std::getenv("GOX_TIMING") && std::string_view(std::getenv("GOX_TIMING")) == "1");

    GoPlan planned = plan_go_run(o, go_line);
    Fingerprint fingerprint(planned.go, planned.gl.args);
    timing.step("plan and env fingerprint");
    const std::optional<GraphReuse> reuse = graph_reuse_for(o, fingerprint, planned, go_line);
    if (reuse && !reuse->kept_graph().empty()) use_kept_graph(planned, *reuse);
    timing.step("kept graph check");
    const GoPlan& plan = planned;
    Progress progress(o.progress && ::isatty(2) && !std::getenv("CI"));
    model::TraceStream stream(
        [&](std::string_view b) {
            progress.clear();
            process::write_all(2, b);
        },
        !plan.add_x);
    Collectors collected;
    watch_trace(stream, collected, progress, plan, o);
    std::string_view fault = test_fault(); // the fail-open test hook
    if (starts_with(fault, "stream:")) stream.fault_at_line = std::strtoul(fault.data() + 7, nullptr, 10);
    timing.step("before go");
    const process::GoRun run = run_go(plan, stream, progress);
    timing.step("go");

    // From here on nothing may change what the user sees of go's run.
    bool tmpdir_detached = false;
    try {
        if (fault == "analysis") throw std::runtime_error("injected fault (GOX_TEST_FAULT=analysis)");
        std::optional<model::ActionGraph> graph;
        bool idle = false;
        model::Build b = finish_model(stream, plan, collected, timing, graph, idle);
        tmpdir_detached = after_go(b, collected, fingerprint.get(timing), plan, run, o, timing, graph, reuse, idle);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: analysis failed: %s\n", e.what());
    }
    fingerprint.finish();
    cleanup(plan, timing, tmpdir_detached);
    process::exit_like(run);
}

} // namespace gox::cli
