#include <gox/cli/cli.hpp>
#include <gox/process/go_process.hpp>
#include <gox/util/error.hpp>

#include <gox_config.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace gox::cli {

namespace {

constexpr const char* kMainHelp = R"(usage: gox <command> [arguments]

gox reads the go command's -x trace and explains what the Go build cache did:
which packages were rebuilt, which came from the cache, and what failed.

Commands:
  build, test, install, run, vet [go flags] [packages]
                 run that go command unchanged, then summarise the build
                 cache (see `gox build --help` for the gox options that may
                 come before the verb)
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
  doctor [--format=text|json] [--mod-verify]
                 check go, GOROOT, GOCACHE (location, permissions, owners,
                 size, free space, trim), GOTMPDIR/TMPDIR, GOMODCACHE, GOFLAGS

Options:
  -h, --help     show this help (`gox <command> --help` for a command)
  --version      print gox's version

Exit status: 0 on success; 125 when gox itself fails (bad option, unreadable
input). See gox(1) for the JSON schema and examples.
)";

const std::vector<std::string> kCommands = {"build", "test", "install", "run", "vet", "parse", "explain", "diff", "history", "doctor", "report", "help"};
bool is_go_verb(const std::string& s) {
    return s == "build" || s == "test" || s == "install" || s == "run" || s == "vet";
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

bool starts_with_dash(const std::string& s) { return !s.empty() && s[0] == '-'; }

int run_help_for(const std::string& cmd) {
    if (cmd == "parse") return cmd_parse({"--help"});
    if (cmd == "explain") return cmd_explain({"--help"});
    if (cmd == "diff") return cmd_diff({"--help"});
    if (cmd == "history") return cmd_history({"--help"});
    if (cmd == "doctor") return cmd_doctor({"--help"});
    if (cmd == "report") return cmd_report({"--help"});
    if (is_go_verb(cmd)) return cmd_wrap({"--help"}, cmd, {});
    std::fputs(kMainHelp, stdout);
    return 0;
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
    // gox options before a go verb: gox --summary=off build ./...
    std::size_t v = 0;
    while (v < args.size() && starts_with_dash(args[v]) && args[v] != "-h" && args[v] != "--help" &&
           args[v] != "--version")
        ++v;
    if (v < args.size() && is_go_verb(args[v])) {
        std::vector<std::string> opts(args.begin(), args.begin() + static_cast<long>(v));
        std::vector<std::string> rest(args.begin() + static_cast<long>(v) + 1, args.end());
        if (!rest.empty() && (rest[0] == "--help") ) opts.push_back("--help");
        return cmd_wrap(opts, args[v], rest);
    }
    const std::string cmd = args.front();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        if (cmd == "help" && !rest.empty()) return run_help_for(rest.front());
        std::fputs(kMainHelp, stdout);
        return 0;
    }
    if (cmd == "--version" || cmd == "version") {
        std::printf("gox %s\n", GOX_VERSION);
        // And the go it would run (--go / GOX_GO / PATH), as bug reports need both.
        try {
            std::string go = process::find_go("");
            auto v = process::capture({go, "version"});
            std::printf("go: %s (%s)\n", go.c_str(), v ? v->substr(0, v->find('\n')).c_str() : "go version failed");
        } catch (const util::Fatal& e) {
            std::printf("go: %s\n", e.what());
        }
        return 0;
    }
    if (cmd == "parse") return cmd_parse(rest);
    if (cmd == "explain") return cmd_explain(rest);
    if (cmd == "diff") return cmd_diff(rest);
    if (cmd == "history") return cmd_history(rest);
    if (cmd == "doctor") return cmd_doctor(rest);
    if (cmd == "report") return cmd_report(rest);
    if (!cmd.empty() && cmd[0] == '-') {
        auto s = did_you_mean(cmd, {"--help", "--version"});
        usage_error(fmt::format("unknown option {}", cmd), s.empty() ? "Run 'gox --help' for usage." : "Did you mean " + s + "?");
    }
    auto s = did_you_mean(cmd, kCommands);
    usage_error(fmt::format("unknown command \"{}\"", cmd),
                s.empty() ? "Run 'gox --help' for usage." : "Did you mean \"" + s + "\"?");
}

} // namespace gox::cli
