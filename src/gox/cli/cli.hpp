#pragma once
// The command line: subcommand dispatch and option parsing (each command's
// options are a Boost.Program_options description, command_line.hpp).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gox::history {
class Store;
}

namespace gox::cli {

// Runs gox with the process arguments; returns the exit status.
int run(int argc, char** argv);

// Subcommands.
int cmd_parse(const std::vector<std::string>& args);
// build|test|install|run|vet: gox_opts are the gox options given before
// go's command line (`-C dir build ...` or `build ...`), which is go_line.
int cmd_wrap(const std::vector<std::string>& gox_opts, const std::vector<std::string>& go_line);

// go's -C dir, the one reader of it. go (main.go, handleChdirFlag) takes -C
// only as the first argument after the command path: `go -C dir build` or
// `go build -C dir` (`go mod -C dir tidy`), spelled -C dir, -C=dir, --C dir
// or --C=dir; anywhere else it is a flag error of go's own.
struct GoChdir {
    std::string dir;      // as given ("" without -C)
    std::size_t at = 0;   // index of the flag
    std::size_t size = 0; // arguments it takes: 0 (none), 1 (-C=dir) or 2 (-C dir)
    bool present() const { return size > 0; }
};
// The -C at args[at], if that is one.
GoChdir go_chdir_at(const std::vector<std::string>& args, std::size_t at = 0);

// The command line gox passes to go (everything after gox's own options).
struct GoLine {
    std::string verb;               // "" when there is none
    std::size_t verb_at = 0;        // index of the verb (line.size() when none)
    GoChdir chdir;                  // indices in the line
    std::size_t inject_at = 0;      // where gox adds its flags: after the verb and a -C that follows it
    std::vector<std::string> args;  // after the verb, with -C (from either place) first
};
GoLine read_go_line(const std::vector<std::string>& line);

// The directory go runs in for args (after the verb, -C first): -C's
// directory against the current one, else the current one.
std::string go_work_dir(const std::vector<std::string>& args);

int cmd_explain(const std::vector<std::string>& args);
int cmd_diff(const std::vector<std::string>& args);
int cmd_history(const std::vector<std::string>& args);
int cmd_stats(const std::vector<std::string>& args);
int cmd_doctor(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);
int cmd_cacheprog(const std::vector<std::string>& args);

// The run history for a command that reads it; a util::Fatal that says to
// run gox build or gox test first (or `instead`) when there is none.
std::unique_ptr<history::Store> open_history(const std::string& instead = "");
// The module the user is in: the module root of the newest run that contains
// the current directory, else that of the newest run at all.
std::string current_module(const history::Store& s);

// Exit status for usage errors; also printed help for the subcommand.
[[noreturn]] void usage_error(const std::string& msg, const std::string& hint = "");

} // namespace gox::cli
