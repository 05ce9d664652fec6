#pragma once
// gox's own options for the go verbs it wraps: one table. The wrapper parses
// them from it, `gox build --help` is printed from it, and
// tests/cli/test_docs.py reads it (this file) to check that every one is in
// --help, man/gox.1 and completions/. Keep one entry per line:
// {"--name", "VALUE", Group, "help"}; a VALUE in brackets ("[CMD]") is
// optional: --name alone or --name=value.

#include <string_view>

namespace gox::cli {

enum class OptionGroup {
    Run,     // the summary, reports, history: every wrapped run
    Failure, // what gox does when go fails
    AnyVerb, // also before the go verbs gox does not wrap (they run as go)
};

struct WrapOption {
    std::string_view name;  // --summary
    std::string_view value; // what follows '=' ("" for a switch)
    OptionGroup group;
    std::string_view help;
};

// clang-format off
inline constexpr WrapOption kWrapOptions[] = {
    {"--summary", "stderr|off|FILE", OptionGroup::Run, "where the summary goes (default: stderr)"},
    {"--summary-format", "text|json", OptionGroup::Run, "the JSON shares the `gox parse` schema"},
    {"--go", "PATH", OptionGroup::AnyVerb, "the go command to run (default: $GOX_GO, then go on PATH); also for the verbs gox passes through"},
    {"--why", "", OptionGroup::Run, "name the exact input that changed for every rebuilt package (file, dependency, flag, env var, Go version...): runs go with GODEBUG=gocachehash=1 and compares with the previous run's inputs"},
    {"--baseline", "FILE|RUN", OptionGroup::Run, "compare with another run instead of this machine's previous one: a JSON summary saved elsewhere (--summary-format=json; e.g. the main branch's CI artifact) or a run id of the history; each rebuilt package then says why this run missed what that run built. A baseline that cannot be read gives a warning, and the previous run is used"},
    {"--no-history", "", OptionGroup::Run, "neither read nor write the run history (default store: $GOX_HISTORY, else $XDG_STATE_HOME/gox/history.db, else ~/.local/state/gox/history.db)"},
    {"--keep", "N|Nd", OptionGroup::Run, "how much history each project keeps: the newest N runs, or the runs of the last N days (default: $GOX_HISTORY_KEEP, else 200 runs); older ones are pruned after the run is recorded, by one run at a time, never waiting for another"},
    {"--no-progress", "", OptionGroup::Run, "no progress line (drawn only when stderr is a terminal and CI is unset; erased before go's output)"},
    {"--report", "FILE", OptionGroup::Run, "also write a report to FILE (repeatable); the format comes from the extension: .json, .md, .html, .xml (JUnit), .trace.json (Chrome trace), .txt, .otlp.json (OpenTelemetry trace, OTLP/JSON), .prom (OpenMetrics)"},
    {"--report-format", "FORMAT", OptionGroup::Run, "json, markdown, html, junit, chrome-trace, text, otlp or openmetrics, for every --report file"},
    {"--redact-paths", "", OptionGroup::Run, "reports drop absolute paths and the user name too"},
    {"--no-redact", "", OptionGroup::Run, "reports keep secrets (local use only); by default credentials in URLs, tokens and secret-named variables are redacted and the home dir is ~"},
    {"--cacheprog", "[UPSTREAM]", OptionGroup::Run, "run go with GOCACHEPROG set to gox's own cache program (gox cacheprog: go's layout in GOCACHE) and say in the summary what it served: per package hit or miss and from which tier, bytes, the time go waited and why (upstream errors, a slow upstream, a full disk). UPSTREAM: another GOCACHEPROG helper behind the local tier (default: $GOCACHEPROG when set, else $GOX_CACHEPROG_UPSTREAM, else none). Also $GOX_CACHEPROG=1 or =UPSTREAM"},
    {"--annotations", "github", OptionGroup::Run, "print ::error file=F,line=N:: workflow commands on stderr for compile errors (go's own output is unchanged)"},
    {"--repro-clean", "", OptionGroup::Failure, "re-run a failed command against an empty temporary GOCACHE and GOTMPDIR (removed afterwards; your cache is never written) and say whether the cache is to blame: cache_caused, reproducible or inconclusive. Done by itself when the failure points at the cache"},
    {"--no-repro", "", OptionGroup::Failure, "never re-run, not even then"},
    {"--verify-suspects", "", OptionGroup::Failure, "on any failure, check the cache files of the suspect packages (those the errors name and the failed packages' cached imports) against their content hashes; done by itself when the failure points at the cache"},
};
// clang-format on

// The entry for an argument (--name or --name=value), nullptr if none.
constexpr const WrapOption* find_wrap_option(std::string_view arg) {
    std::string_view name = arg.substr(0, arg.find('='));
    for (const auto& o : kWrapOptions)
        if (o.name == name) return &o;
    return nullptr;
}

} // namespace gox::cli
