#pragma once
// The command line: subcommand dispatch and option parsing. The only module
// that uses Boost.Program_options.

#include <string>
#include <string_view>
#include <vector>

namespace gox::cli {

// Runs gox with the process arguments; returns the exit status.
int run(int argc, char** argv);

// Subcommands.
int cmd_parse(const std::vector<std::string>& args);
// build|test|install|run|vet: gox_opts are the gox options given before the verb.
int cmd_wrap(const std::vector<std::string>& gox_opts, const std::string& verb, const std::vector<std::string>& args);

int cmd_explain(const std::vector<std::string>& args);
int cmd_diff(const std::vector<std::string>& args);
int cmd_history(const std::vector<std::string>& args);
int cmd_doctor(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);

// Whether a go build/test flag takes its value as the next argument.
bool go_flag_takes_value(std::string_view flag);

// The closest candidate to `word` by edit distance, or "" when none is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Exit status for usage errors; also printed help for the subcommand.
[[noreturn]] void usage_error(const std::string& msg, const std::string& hint = "");

} // namespace gox::cli
