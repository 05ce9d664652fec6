// gox cacheprog: the GOCACHEPROG helper (cacheprog/server.hpp). Its options
// come from the command line or the environment (GOCACHEPROG="gox cacheprog"
// carries no options where a tool sets it), and it never prints: go copies
// a helper's stderr into the user's output. A usage error is the exception,
// printed before the protocol starts, as go would show it.

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/record.hpp>
#include <gox/cacheprog/server.hpp>
#include <gox/cli/cacheprog_history.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/history/deferred.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <initializer_list>

#include <fcntl.h>
#include <unistd.h>

namespace gox::cli {

namespace {

constexpr const char* kCacheprogHelp = R"(usage: gox cacheprog [--gocache=DIR] [--record=FILE] [--upstream="CMD ARGS"] [--no-local] [--no-history]

A GOCACHEPROG helper for go 1.24 and later: GOCACHEPROG="gox cacheprog" go build ...
It stores in go's own layout in GOCACHE, so plain go shares the cache and
`go clean -cache` still works, and records every request go makes (command,
ids, bytes, latency, hit/miss/error and where it was served from) as JSON
lines. It writes nothing to stdout or stderr but the protocol: its own
problems go to the record.

Exported in a shell or a CI job (GOCACHEPROG="gox cacheprog"), it records
every go command that started it as a run of the history, marked "recorded
by gox cacheprog": gox history and gox report show them. The record is made
after go has let go of it (on CI, and with GOX_HISTORY_SYNC=1, before); the
packages come from the action IDs earlier gox runs recorded, go's exit status
is unknown. Under gox build|test|... the wrapper records the run instead.
)";

constexpr const char* kCacheprogEnd = R"(
Environment: GOX_CACHEPROG_RECORD, GOX_CACHEPROG_UPSTREAM,
GOX_CACHEPROG_NO_LOCAL=1 and GOX_CACHEPROG_NO_HISTORY=1 stand for the options
when they are not given. The history is GOX_HISTORY's (as for gox build).
)";

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// go waits for its cache program until that closes its stdout, and shares
// its stderr with it (a `go build 2>&1 | tee` pipe ends only when both
// writers are gone): both are let go of before the history is written.
void to_dev_null(std::initializer_list<int> fds) {
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd : fds) {
        if (null < 0) ::close(fd);
        else ::dup2(null, fd);
    }
    if (null >= 0) ::close(null);
}
void let_go_of_go() { to_dev_null({STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}); }
void let_go_of_stderr() { to_dev_null({STDERR_FILENO}); }

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

} // namespace

int cmd_cacheprog(const std::vector<std::string>& args) {
    CommandSpec spec("cacheprog", kCacheprogHelp, kCacheprogEnd);
    cacheprog::ServerOptions o;
    bool no_local = false, no_history = false;
    spec.options.add_options()
        ("gocache", po::value<std::string>(&o.gocache)->value_name("DIR"),
         "the local tier (default: GOCACHE as go resolves it)")
        ("record", po::value<std::string>(&o.record)->value_name("FILE"),
         "append one JSON line per request to FILE (default: $GOX_CACHEPROG_RECORD; none without it)")
        ("upstream", po::value<std::string>(&o.upstream)->value_name("CMD ARGS"),
         "another GOCACHEPROG helper behind the local tier: a local miss asks it and keeps what it returns, puts go to both")
        ("no-local", po::bool_switch(&no_local),
         "no local tier: pass every request to --upstream and its answer back, recording both")
        ("no-history", po::bool_switch(&no_history),
         "do not record the go command as a run of the history (gox history)");
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
    if (!standalone_recording(no_history)) return cacheprog::serve(o, STDIN_FILENO, STDOUT_FILENO);
    StandaloneSession session;
    session.started = unix_now();
    session.go = read_go_parent(); // now: go may be gone when the session ends
    session.gocache = o.gocache;
    session.upstream = o.upstream;
    cacheprog::RecordLog log;
    session.log = &log;
    int status = cacheprog::serve(o, STDIN_FILENO, STDOUT_FILENO, &log);
    session.seconds = unix_now() - session.started;
    if (history::background_wanted()) {
        // The writer's lock is taken while go still waits (so `go build &&
        // gox history` shows the build); the detached writer holds neither
        // of go's pipes, and this process lets go of them and exits.
        history::write_deferred(history::location_from_env(), [&] { record_session(session); });
        let_go_of_go();
    } else {
        // Inline (CI, GOX_HISTORY_SYNC=1, as the wrapper does there): go
        // waits for the record, as it waits for the wrapper's; what goes
        // wrong is not go's output.
        let_go_of_stderr();
        record_session(session);
    }
    return status;
}

} // namespace gox::cli
