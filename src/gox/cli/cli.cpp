#include <gox/cli/cli.hpp>
#include <gox/cli/options.hpp>
#include <gox/process/go_process.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <gox_config.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>

namespace gox::cli {

namespace {

constexpr const char* kMainHelp = R"(usage: gox [gox options] [-C dir] build|test|install|run|vet [go flags] [packages]
       gox [--go=PATH] [-C dir] GO-VERB [arguments]   (list, mod, env, version...)
       gox parse|explain|diff|history|report|doctor|help [arguments]

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
  parse [--format=text|json] [--actiongraph=FILE] FILE|-
                 read a saved trace (stderr of `go build -x`, a CI log) and
                 print the build model
  explain [PACKAGE...]
                 why the packages of the last run were rebuilt, followed to
                 the root cause (file, flag, env var, dependency, missing
                 cache entry); --reasons lists every reason id
  diff [A B]     compare two runs (the last two by default) or two saved
                 JSON summaries: environment differences and packages
  history        list the recorded runs
  report [--format=FORMAT] [-o FILE] [RUN|FILE.json]
                 render a past run or a saved JSON summary as JSON,
                 Markdown, HTML, JUnit XML, a Chrome trace or text
                 (redacted: no secrets, home as ~)
  doctor [--format=text|json] [--mod-verify] [--verify-cache]
                 check go, GOROOT, GOCACHE (location, permissions, owners,
                 size, free space, trim), GOTMPDIR/TMPDIR, GOMODCACHE, GOFLAGS;
                 --verify-cache checks every cache entry against its hash
  help [COMMAND] this help, or a gox command's (`gox help TOPIC` for any
                 other word is `go help TOPIC`)

Options:
  -h, --help     show this help (`gox <command> --help` for a command)
  --version      print gox's version and the go it runs (`gox version` is
                 `go version`)

Exit status: 0 on success; 125 when gox itself fails (bad option, unreadable
input). See gox(1) for the JSON schema and examples.
)";

// gox's own commands: none is a go verb (tests/cli/test_docs.py checks
// against `go help`).
const std::vector<std::string> kOwnCommands = {"parse", "explain", "diff", "history", "doctor", "report"};
bool is_go_verb(const std::string& s) {
    return s == "build" || s == "test" || s == "install" || s == "run" || s == "vet";
}
bool is_own_command(const std::string& s) {
    return std::find(kOwnCommands.begin(), kOwnCommands.end(), s) != kOwnCommands.end();
}
bool is_chdir_flag(const std::string& a) {
    return a == "-C" || a == "--C" || util::starts_with(a, "-C=") || util::starts_with(a, "--C=");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

int run_help_for(const std::string& cmd) {
    if (cmd == "parse") return cmd_parse({"--help"});
    if (cmd == "explain") return cmd_explain({"--help"});
    if (cmd == "diff") return cmd_diff({"--help"});
    if (cmd == "history") return cmd_history({"--help"});
    if (cmd == "doctor") return cmd_doctor({"--help"});
    if (cmd == "report") return cmd_report({"--help"});
    std::fputs(kMainHelp, stdout);
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

// Every option name gox takes before go's command line.
std::vector<std::string> gox_option_names() {
    std::vector<std::string> names = {"--help", "--version"};
    for (const auto& o : kWrapOptions) names.emplace_back(o.name);
    return names;
}

} // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = 3;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d || (d == best_d && best.empty() && d <= c.size() / 2)) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

void usage_error(const std::string& msg, const std::string& hint) {
    std::fprintf(stderr, "gox: %s\n", msg.c_str());
    if (!hint.empty()) std::fprintf(stderr, "%s\n", hint.c_str());
    std::exit(util::kExitGoxError);
}

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::fputs(kMainHelp, stderr);
        return util::kExitGoxError;
    }
    const std::string& first = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
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
    if (first == "doctor") return cmd_doctor(rest);
    if (first == "report") return cmd_report(rest);

    // gox's options, then go's command line: [-C dir] VERB [-C dir] ...
    std::size_t i = 0;
    bool help = false;
    for (; i < args.size() && !args[i].empty() && args[i][0] == '-' && !is_chdir_flag(args[i]); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            help = true;
        } else if (a == "--version") {
            return print_version();
        } else if (!find_wrap_option(a)) {
            // Close to one of gox's options: say so. Anything else starts
            // go's command line, and go judges it (`gox -x build` is
            // `go -x build`, which go rejects with its own message).
            auto s = did_you_mean(a.substr(0, a.find('=')), gox_option_names());
            if (s.empty()) break;
            usage_error(fmt::format("unknown option {}", a), "Did you mean " + s + "?");
        }
    }
    std::vector<std::string> opts(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    std::vector<std::string> line(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    GoLine gl = read_go_line(line);
    if (help && !is_go_verb(gl.verb)) {
        std::fputs(kMainHelp, stdout);
        return 0;
    }
    if (is_go_verb(gl.verb)) {
        if (gl.args.size() > gl.chdir.size && (gl.args[gl.chdir.size] == "--help" || gl.args[gl.chdir.size] == "-h"))
            help = true;
        if (help) {
            // gox's options are still checked: `gox --bogus=1 build --help` fails.
            opts.push_back("--help");
            return cmd_wrap(opts, {gl.verb});
        }
        return cmd_wrap(opts, line);
    }
    // gox --why -C src build: gox's options come first.
    if (gl.chdir.present() && gl.chdir.at == 0 && find_wrap_option(gl.verb))
        usage_error(fmt::format("{} is gox's option: give it before go's -C", gl.verb),
                    fmt::format("gox {} {} ...", gl.verb, fmt::join(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(gl.chdir.size), " ")));
    // Every other go verb, and any word go itself must judge, is go's: exec'd
    // with the arguments untouched. gox's options other than --go mean
    // nothing there.
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

} // namespace gox::cli
