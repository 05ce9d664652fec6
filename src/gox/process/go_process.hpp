#pragma once
// Running the go command: spawn with inherited stdin, stdout and stderr
// through pipes pumped to callbacks as the bytes arrive, signals forwarded,
// and the exit status (or terminating signal) reported exactly. The only
// module that uses Boost.Process.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::process {

struct GoRun {
    int exit_code = 0;   // go's exit status when it exited
    int term_signal = 0; // the signal that killed go, 0 if it exited
    double seconds = 0;  // wall time
    double started = 0;  // when go was started, Unix seconds
};

using Sink = std::function<void(std::string_view bytes)>;

// Variables set (or, with nullopt, removed) in one child's environment only;
// gox's own environment is never changed, so it stays safe to read from
// other threads while a child runs.
using EnvOverrides = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Path of the go binary: explicit (--go), else $GOX_GO, else go on PATH.
// Throws util::Fatal when none is found.
std::string find_go(const std::string& explicit_path);

// The file a program name resolves to on PATH, "" when none does.
std::string search_path(const std::string& name);

// Runs argv (argv[0] is the go binary). on_stdout/on_stderr get every byte in
// order; they run on the calling thread. SIGINT, SIGTERM, SIGHUP and SIGQUIT
// that reach gox are forwarded to go; when go exits, children it left behind
// are signalled too (gox is their subreaper), so nothing keeps running.
// env: changes to go's environment only (GODEBUG for --why).
// Throws util::Fatal if go cannot be started.
GoRun run_go(const std::vector<std::string>& argv, const Sink& on_stdout, const Sink& on_stderr,
             const EnvOverrides& env = {});

// The last of SIGINT, SIGTERM, SIGHUP, SIGQUIT that reached gox during
// run_go (0 if none): the user stopped the build.
int received_signal();

// Replaces gox with go (execv): argv[0] is the go binary, the rest go's
// arguments, untouched. go gets gox's stdin, stdout, stderr, environment and
// signal dispositions, and its exit status is the one the caller sees: gox
// is gone. For the go verbs gox does not wrap. Throws util::Fatal only when
// go cannot be started.
[[noreturn]] void exec_go(const std::vector<std::string>& argv);

// Runs a short helper command (go env, cc --version) and returns its stdout;
// nullopt if it cannot run or exits non-zero. stderr and stdin are /dev/null.
// env: changes to the child's environment only. Safe to call from a thread
// other than the one running go (nothing here writes the process
// environment).
std::optional<std::string> capture(const std::vector<std::string>& argv, const EnvOverrides& env = {});

// Writes all bytes to fd (retrying on EINTR and short writes); false on error.
bool write_all(int fd, std::string_view bytes);

// Ends gox the way go ended: same exit status, or the same signal re-raised.
[[noreturn]] void exit_like(const GoRun& r);

} // namespace gox::process
