#pragma once
// Every gox command's options in one Boost.Program_options description each:
// the parser, the option list of --help and the suggestion for a mistyped
// option all come from it.

#include <boost/program_options.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gox::cli {

namespace po = boost::program_options;

// Long options take `--name=value` and `--name value`, short ones `-o value`;
// a prefix of a name is not taken for it (it gets a suggestion instead).
inline constexpr int kCommandStyle = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

struct CommandSpec {
    std::string name;       // "explain"; "" for the wrapper (its messages have no prefix)
    std::string help_cmd;   // "gox explain --help"
    std::string usage;      // --help: the usage line and paragraphs before the option list
    std::string epilogue;   // --help: text after it
    po::options_description options; // listed by --help (-h, --help is added)
    po::options_description hidden;  // accepted but not listed
    int style = kCommandStyle;
    // Every option is one argument, `--name` or `--name=value`: a valued
    // option never takes the next argument (po would, even `--why`).
    bool one_argument_each = false;

    CommandSpec(std::string name, std::string usage, std::string epilogue = "", const char* help = "show this help");
};

// The positional arguments of a command, in the order given.
inline constexpr const char* kPositional = "args";

// Parses args by spec: every positional argument goes to kPositional (a
// std::vector<std::string>; the command judges how many it takes). An
// option given twice keeps its last value, unless it collects values
// (po::value<std::vector<...>>()->composing()). --help prints command_help()
// and exits 0; a usage error prints one line (`gox: NAME: message`; for an
// unknown option a second: the option meant, else where the help is) and
// exits with util::kExitGoxError (125, like every gox usage error).
po::variables_map parse_command(const CommandSpec& spec, const std::vector<std::string>& args);

// The same parse, the options in the order given instead of a map (the
// wrapper's --report is repeatable and the last --summary wins). --help is
// among them; nothing is printed for it.
po::parsed_options parse_command_in_order(const CommandSpec& spec, const std::vector<std::string>& args);

// usage, the options of spec.options, epilogue.
std::string command_help(const CommandSpec& spec);

// An option list: `  -o, --output=FILE   description`, the descriptions
// from column `column` (a longer head puts its description on the next
// line), wrapped at 80 columns.
std::string format_options(const po::options_description& desc, std::size_t column);

// The declared long option (`--format`) that `arg` (`--formt=json`,
// `-format`) was probably meant to be, or "": a small edit distance to its
// name, or the start of exactly one name.
std::string suggest_option(const po::options_description& desc, std::string_view arg);

// The wrapper's options (kWrapOptions of options.hpp) as descriptions:
// what cmd_wrap parses, gox build --help lists and a mistyped option is
// compared with. The table's groups: the run options (with the ones for
// every verb), then those for a failure.
struct WrapOptionDescriptions {
    po::options_description all, run, failure;
};
const WrapOptionDescriptions& wrap_options();

} // namespace gox::cli
