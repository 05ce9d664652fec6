#pragma once
// go's stdout under --why. gox sets GODEBUG=gocachehash=1 for go, and every
// go process below it inherits that: `go test -cover` on packages without
// tests (Go 1.22+) runs a nested go whose HASH lines land in go's stdout.
// Plain go prints none of them, so they are dropped here ("HASH[", "HASH "
// at a line's start); everything else passes on at once. Only a line that
// could still become one is held, so a prompt without a newline (go run) is
// never delayed.

#include <functional>
#include <string>
#include <string_view>

namespace gox::model {

class HashLineFilter {
public:
    using Writer = std::function<void(std::string_view)>;
    explicit HashLineFilter(Writer out) : m_out(std::move(out)) {}
    void feed(std::string_view bytes);
    void finish(); // go exited: a held partial line is go's output after all
    std::size_t dropped() const { return m_dropped; }

private:
    Writer m_out;
    std::string m_held;      // the start of the current line, while it may be a HASH line
    bool m_at_start = true;  // the next byte starts a line
    bool m_dropping = false; // inside a HASH line
    std::size_t m_dropped = 0;
};

} // namespace gox::model
