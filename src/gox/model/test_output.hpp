#pragma once
// The part of a test's output that the reports keep: a failing test can
// print thousands of lines, and the line that matters is usually its first
// error, not its last line. OutputCut keeps the first lines, the first line
// that looks like a failure (--- FAIL, panic:, file_test.go:NN: ...) with a
// few lines around it, and the last lines; each gap becomes one marker line
// ("… N lines omitted …"). Memory is bounded whatever the output's length.
// The cut is made here, in the model, so every report format shows the same
// text; which lines look like a failure is read by trace/test_lines.hpp.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::model {

// "… N lines omitted …"
std::string omitted_marker(std::size_t n);

class OutputCut {
public:
    static constexpr std::size_t kFirst = 2;   // the first lines (=== RUN, the test's start)
    static constexpr std::size_t kBefore = 3;  // context before the first failure line
    static constexpr std::size_t kAfter = 6;   // the first failure line and what follows it
    static constexpr std::size_t kLast = 25;   // the last lines
    // At most kFirst + kBefore + kAfter + kLast lines and two markers: 38.
    static constexpr std::size_t kWhole = kFirst + kBefore + kAfter + kLast; // up to this many: all of it

    void add(std::string line);
    std::size_t lines() const { return m_count; }
    // The kept lines in order, a marker line for every gap.
    std::vector<std::string> take();

private:
    using Numbered = std::pair<std::size_t, std::string>;
    std::size_t m_count = 0;
    std::vector<std::string> m_all; // while there are at most kWhole lines
    std::vector<Numbered> m_head;   // first lines and the first failure's context
    std::deque<Numbered> m_before;  // the last kBefore lines (until a failure line is seen)
    std::deque<Numbered> m_last;    // the last kLast lines
    bool m_seen_failure = false;
    std::size_t m_after_left = 0;
};

} // namespace gox::model
