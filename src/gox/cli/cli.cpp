#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/options.hpp>
#include <gox/process/go_process.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <gox_config.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

namespace gox::cli {

namespace {

constexpr const char* kMainUsage = R"(usage: gox [gox options] [-C dir] build|test|install|run|vet [go flags] [packages]
       gox [--go=PATH] [-C dir] GO-VERB [arguments]   (list, mod, env, version...)
       gox parse|explain|diff|history|stats|report|doctor|cacheprog|help [arguments]

gox reads the go command's -x trace and explains what the Go build cache did:
which packages were rebuilt, which came from the cache, and what failed.

Commands:
  build, test, install, run, vet [go flags] [packages]
                 run that go command unchanged, then summarise the build
                 cache (see `gox build --help` for the gox options that may
                 come before the verb; go's -C dir goes before or right
                 after the verb, as go takes it)
  every other go verb (list, mod, env, generate, work, tool, version, clean,
                 get, fmt, doc, help TOPIC...)
                 runs as go itself: gox execs go with the arguments
                 untouched, so output, exit status and signals are go's
  parse [--format=text|json|otlp|openmetrics] [--actiongraph=FILE] FILE|-
                 read a saved trace (stderr of `go build -x`, a CI log) and
                 print the build model
  explain [PACKAGE...]
                 why the packages of the last run were rebuilt, followed to
                 the root cause (file, flag, env var, dependency, missing
                 cache entry); --reasons lists every reason id
  diff [A B]     compare two runs (the last two by default) or two saved
                 JSON summaries: environment differences and packages
  history        list the recorded runs
  stats [--since=7d] [--project=PATH] [--format=text|json|html]
                 the history's figures over a window, on either backend:
                 hit rate by day, project and job, the packages that miss
                 most and why, the time each reason cost, the slowest
                 packages and their trend, test cache hit rate, failures
  report [--format=FORMAT] [-o FILE] [RUN|FILE.json]
                 render a past run or a saved JSON summary as JSON,
                 Markdown, HTML, JUnit XML, a Chrome trace or text
                 (redacted: no secrets, home as ~)
  doctor [--format=text|json] [--mod-verify] [--verify-cache]
                 check go, GOROOT, GOCACHE (location, permissions, owners,
                 size, free space, trim), GOTMPDIR/TMPDIR, GOMODCACHE, GOFLAGS;
                 --verify-cache checks every cache entry against its hash
  cacheprog [--record=FILE] [--upstream="CMD ARGS"] [--no-local]
                 serve go's cache as a GOCACHEPROG helper
                 (GOCACHEPROG="gox cacheprog"): go's own layout in GOCACHE,
                 optionally in front of another helper, every request
                 recorded
  help [COMMAND] this help, or a gox command's (`gox help TOPIC` for any
                 other word is `go help TOPIC`)
)";

constexpr const char* kMainEnd = R"(
Exit status: 0 on success; 125 when gox itself fails (bad option, unreadable
input). See gox(1) for the JSON schema and examples.
)";

// gox's own commands: none is a go verb (tests/cli/test_docs.py checks
// against `go help`).
const std::vector<std::string> kOwnCommands = {"parse", "explain", "diff", "history", "stats", "doctor", "report",
                                               "cacheprog"};
bool is_go_verb(const std::string& s) {
    return s == "build" || s == "test" || s == "install" || s == "run" || s == "vet";
}
bool is_own_command(const std::string& s) {
    return std::find(kOwnCommands.begin(), kOwnCommands.end(), s) != kOwnCommands.end();
}
bool is_chdir_flag(const std::string& a) {
    return a == "-C" || a == "--C" || util::starts_with(a, "-C=") || util::starts_with(a, "--C=");
}

// gox's own options before a command: -h, --help and --version.
CommandSpec main_spec() {
    CommandSpec spec("", kMainUsage, kMainEnd, "show this help (`gox <command> --help` for a command)");
    spec.options.add_options()("version", "print gox's version and the go it runs (`gox version` is go's own)");
    return spec;
}
std::string main_help() { return command_help(main_spec()); }

int run_help_for(const std::string& cmd) {
    if (cmd == "parse") return cmd_parse({"--help"});
    if (cmd == "explain") return cmd_explain({"--help"});
    if (cmd == "diff") return cmd_diff({"--help"});
    if (cmd == "history") return cmd_history({"--help"});
    if (cmd == "stats") return cmd_stats({"--help"});
    if (cmd == "doctor") return cmd_doctor({"--help"});
    if (cmd == "report") return cmd_report({"--help"});
    if (cmd == "cacheprog") return cmd_cacheprog({"--help"});
    std::fputs(main_help().c_str(), stdout);
    return 0;
}

// gox --version: gox's and the go it would run (--go / GOX_GO / PATH), as
// bug reports need both. (`gox version` is `go version`.)
int print_version() {
    std::printf("gox %s\n", GOX_VERSION);
    try {
        std::string go = process::find_go("");
        auto v = process::capture({go, "version"});
        std::printf("go: %s (%s)\n", go.c_str(), v ? v->substr(0, v->find('\n')).c_str() : "go version failed");
    } catch (const util::Fatal& e) {
        std::printf("go: %s\n", e.what());
    }
    return 0;
}

// Every option gox takes before go's command line: the mistyped ones are
// compared with these.
const po::options_description& gox_options() {
    static const po::options_description all = [] {
        po::options_description d;
        d.add(main_spec().options).add(wrap_options().all);
        return d;
    }();
    return all;
}

// gox --version, gox help and gox's own commands: their exit status, or
// nullopt when first names none of them. `gox help TOPIC` for a topic of
// go's execs `go help TOPIC`.
std::optional<int> run_own_command(const std::string& first, const std::vector<std::string>& rest) {
    if (first == "--version") return print_version();
    if (first == "help") {
        // gox's help, or a gox command's; any other topic is go's.
        if (rest.empty() || is_own_command(rest.front()) || rest.front() == "gox") return run_help_for(rest.empty() ? "" : rest.front());
        std::vector<std::string> argv_go = {process::find_go(""), "help"};
        argv_go.insert(argv_go.end(), rest.begin(), rest.end());
        process::exec_go(argv_go);
    }
    if (first == "parse") return cmd_parse(rest);
    if (first == "explain") return cmd_explain(rest);
    if (first == "diff") return cmd_diff(rest);
    if (first == "history") return cmd_history(rest);
    if (first == "stats") return cmd_stats(rest);
    if (first == "doctor") return cmd_doctor(rest);
    if (first == "report") return cmd_report(rest);
    if (first == "cacheprog") return cmd_cacheprog(rest);
    return std::nullopt;
}

// The options gox takes before go's command line ([-C dir] VERB [-C dir] ...).
struct LeadingOptions {
    std::size_t end = 0;  // index of the first word of go's command line
    bool help = false;    // -h or --help
    bool version = false; // --version: the scan stopped there
};

// Reads gox's options at the start of args; a mistyped one is a usage error.
LeadingOptions scan_leading_options(const std::vector<std::string>& args) {
    LeadingOptions o;
    for (; o.end < args.size() && !args[o.end].empty() && args[o.end][0] == '-' && !is_chdir_flag(args[o.end]); ++o.end) {
        const std::string& a = args[o.end];
        if (a == "-h" || a == "--help") {
            o.help = true;
        } else if (a == "--version") {
            o.version = true;
            return o;
        } else if (!find_wrap_option(a)) {
            // Close to one of gox's options: say so. Anything else starts
            // go's command line, and go judges it (`gox -x build` is
            // `go -x build`, which go rejects with its own message).
            auto s = suggest_option(gox_options(), a);
            if (s.empty()) break;
            usage_error(fmt::format("unknown option {}", a), "Did you mean " + s + "?");
        }
    }
    return o;
}

// build, test, install, run, vet: gox runs go and summarises the build.
int run_wrapped(std::vector<std::string> opts, const std::vector<std::string>& line, const GoLine& gl, bool help) {
    if (gl.args.size() > gl.chdir.size && (gl.args[gl.chdir.size] == "--help" || gl.args[gl.chdir.size] == "-h"))
        help = true;
    if (help) {
        // gox's options are still checked: `gox --bogus=1 build --help` fails.
        opts.push_back("--help");
        return cmd_wrap(opts, {gl.verb});
    }
    return cmd_wrap(opts, line);
}

// Every other go verb, and any word go itself must judge, is go's: exec'd
// with the arguments untouched. gox's options other than --go mean nothing
// there.
[[noreturn]] void exec_unwrapped(const std::vector<std::string>& opts, const std::vector<std::string>& line, const GoLine& gl) {
    // gox --why -C src build: gox's options come first.
    if (gl.chdir.present() && gl.chdir.at == 0 && find_wrap_option(gl.verb))
        usage_error(fmt::format("{} is gox's option: give it before go's -C", gl.verb),
                    fmt::format("gox {} {} ...", gl.verb, fmt::join(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(gl.chdir.size), " ")));
    std::string go_path;
    for (const auto& a : opts) {
        const WrapOption* o = find_wrap_option(a);
        if (o->group == OptionGroup::AnyVerb) {
            if (a.find('=') == std::string::npos) usage_error(fmt::format("{} needs a value: {}={}", o->name, o->name, o->value));
            if (o->name == "--go") go_path = a.substr(a.find('=') + 1);
            continue;
        }
        if (gl.verb.empty() || gl.verb[0] == '-')
            usage_error(line.empty() ? fmt::format("{} applies to build, test, install, run and vet; no go command follows it", o->name)
                                     : fmt::format("{} applies to build, test, install, run and vet; go's command line `{}` has none",
                                                   o->name, fmt::join(line, " ")),
                        "Run 'gox build --help' for usage.");
        usage_error(fmt::format("{} applies to build, test, install, run and vet; go {} runs unchanged without it",
                                o->name, gl.verb));
    }
    std::vector<std::string> argv_go = {process::find_go(go_path)};
    argv_go.insert(argv_go.end(), line.begin(), line.end());
    process::exec_go(argv_go);
}

} // namespace

void usage_error(const std::string& msg, const std::string& hint) {
    std::fprintf(stderr, "gox: %s\n", msg.c_str());
    if (!hint.empty()) std::fprintf(stderr, "%s\n", hint.c_str());
    std::exit(util::kExitGoxError);
}

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(main_help().c_str(), stderr);
        return util::kExitGoxError;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (auto status = run_own_command(args.front(), rest)) return *status;

    // gox's options, then go's command line: [-C dir] VERB [-C dir] ...
    LeadingOptions lead = scan_leading_options(args);
    if (lead.version) return print_version();
    std::vector<std::string> opts(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(lead.end));
    std::vector<std::string> line(args.begin() + static_cast<std::ptrdiff_t>(lead.end), args.end());
    GoLine gl = read_go_line(line);
    if (lead.help && !is_go_verb(gl.verb)) {
        std::fputs(main_help().c_str(), stdout);
        return 0;
    }
    if (is_go_verb(gl.verb)) return run_wrapped(std::move(opts), line, gl, lead.help);
    exec_unwrapped(opts, line, gl);
}

} // namespace gox::cli
