#pragma once
// Splits one printed command line into environment prefix, words and trailing
// annotation, undoing the go command's quoting:
//   NAME='value' / NAME="go-quoted"      environment entries (runOut)
//   "go-quoted word"                      joinUnambiguously (%q) arguments
//   ... # internal                         in-process steps
//   ... # test for internal linking errors (succeeded)
// Views point into the line or into the parser's arena and stay valid until
// the next parse().

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::trace {

struct CommandLine {
    std::vector<std::pair<std::string_view, std::string_view>> env; // name, value (unquoted)
    std::vector<std::string_view> words;                            // program then arguments
    std::string_view annotation; // text after " # " at the end, e.g. "internal"
    bool or_true = false;        // ended with "|| true" (compiler flag probes)
    bool malformed = false;      // an unterminated quote; words hold what could be read

    // Value of "-flag value" or "-flag=value"; empty view if absent.
    std::string_view flag(std::string_view name) const;
    bool has_word(std::string_view w) const;
};

class CommandParser {
public:
    // Parses line into out (reusing out's storage). Returns false for an empty
    // command (no words).
    bool parse(std::string_view line, CommandLine& out);

private:
    std::string m_arena;            // unquoted words and values
    std::deque<std::string> m_spill; // never used in practice: see parse()
};

} // namespace gox::trace
