// gox cacheprog: the GOCACHEPROG helper (cacheprog/server.hpp). Its options
// come from the command line or the environment (GOCACHEPROG="gox cacheprog"
// carries no options where a tool sets it), and it never prints: go copies
// a helper's stderr into the user's output. A usage error is the exception,
// printed before the protocol starts, as go would show it.

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/server.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>

#include <csignal>
#include <cstdlib>

#include <unistd.h>

namespace gox::cli {

namespace {

constexpr const char* kCacheprogHelp = R"(usage: gox cacheprog [--gocache=DIR] [--record=FILE] [--upstream="CMD ARGS"] [--no-local]

A GOCACHEPROG helper for go 1.24 and later: GOCACHEPROG="gox cacheprog" go build ...
It stores in go's own layout in GOCACHE, so plain go shares the cache and
`go clean -cache` still works, and records every request go makes (command,
ids, bytes, latency, hit/miss/error and where it was served from) as JSON
lines. It writes nothing to stdout or stderr but the protocol: its own
problems go to the record.
)";

constexpr const char* kCacheprogEnd = R"(
Environment: GOX_CACHEPROG_RECORD, GOX_CACHEPROG_UPSTREAM and
GOX_CACHEPROG_NO_LOCAL=1 stand for the options when they are not given.
)";

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

} // namespace

int cmd_cacheprog(const std::vector<std::string>& args) {
    CommandSpec spec("cacheprog", kCacheprogHelp, kCacheprogEnd);
    cacheprog::ServerOptions o;
    bool no_local = false;
    spec.options.add_options()
        ("gocache", po::value<std::string>(&o.gocache)->value_name("DIR"),
         "the local tier (default: GOCACHE as go resolves it)")
        ("record", po::value<std::string>(&o.record)->value_name("FILE"),
         "append one JSON line per request to FILE (default: $GOX_CACHEPROG_RECORD; none without it)")
        ("upstream", po::value<std::string>(&o.upstream)->value_name("CMD ARGS"),
         "another GOCACHEPROG helper behind the local tier: a local miss asks it and keeps what it returns, puts go to both")
        ("no-local", po::bool_switch(&no_local),
         "no local tier: pass every request to --upstream and its answer back, recording both");
    auto vm = parse_command(spec, args);
    if (vm.count(kPositional)) usage_error("cacheprog takes no arguments", "Run 'gox cacheprog --help' for usage.");
    if (o.record.empty()) o.record = env_or("GOX_CACHEPROG_RECORD", "");
    if (o.upstream.empty()) o.upstream = env_or("GOX_CACHEPROG_UPSTREAM", "");
    if (!no_local) no_local = env_or("GOX_CACHEPROG_NO_LOCAL", "") == "1";
    o.local = !no_local;
    if (!o.local && o.upstream.empty()) usage_error("cacheprog: --no-local needs --upstream", "Run 'gox cacheprog --help' for usage.");
    if (o.gocache.empty() && o.local) o.gocache = cacheprog::default_gocache();
    // Interrupts reach go and gox alike: gox stays until go closes it, so go
    // never sees its helper vanish mid-request. A gone reader is an error, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGQUIT, SIG_IGN);
    return cacheprog::serve(o, STDIN_FILENO, STDOUT_FILENO);
}

} // namespace gox::cli
