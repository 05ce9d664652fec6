#pragma once
// Small string helpers with no gox-specific knowledge.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::util {

// (No substr: its range check kept these from being inlined, and they run
// several times per line; with a literal prefix the compare is a few loads.)
inline bool starts_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && std::char_traits<char>::compare(s.data(), p.data(), p.size()) == 0;
}
inline bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && std::char_traits<char>::compare(s.data() + s.size() - p.size(), p.data(), p.size()) == 0;
}

// The last path element, accepting both '/' and '\\' separators.
inline std::string_view base_name(std::string_view path) {
    auto pos = path.find_last_of("/\\");
    return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

// The value of a hex digit, or -1.
int hex_val(char c);
// Appends the UTF-8 encoding of code point cp.
void append_utf8(std::string& out, unsigned long cp);

// A string as Go's %q prints it (strconv.Quote), and a []string as %q
// prints it (["a" "b"]; [] when empty).
std::string go_quote(std::string_view s);
std::string go_quote_list(const std::vector<std::string>& v);

// Undo Go's strconv.Quote (the %q verb): "a\tb\x00\u00e9". Returns nullopt if
// the text is not a complete quoted string.
std::optional<std::string> go_unquote(std::string_view quoted);

// End (one past the closing quote) of the Go quoted string starting at
// s[pos], or npos when s[pos] is no '"' or the string is not closed. Only the
// extent: escapes are skipped, not checked (go_unquote checks them).
std::size_t go_quoted_end(std::string_view s, std::size_t pos = 0);

// End of a %q-printed []string ("[]", "[\"-N\" \"-l\"]") starting at s[pos],
// or npos.
std::size_t go_quoted_list_end(std::string_view s, std::size_t pos = 0);

// go_unquote(s) when s is a whole valid quoted string, else s itself.
std::string go_unquote_or_raw(std::string_view s);

// The bytes as lowercase hex digits, two per byte.
std::string to_hex(std::string_view bytes);

// Cut to at most n bytes for display, marking the cut with "…".
std::string clip(std::string_view s, std::size_t n);

// True if s consists only of [0-9a-f]. (Inline: the tokenizer checks a
// 64-digit cache key on most heredoc lines.)
inline bool is_lower_hex(std::string_view s) {
    // Eight bytes at a time: with no byte >= 0x80, adding 0x80 - k to each
    // byte sets its high bit iff byte >= k, without carries between bytes.
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto at_least = [&](std::uint64_t x, unsigned k) { return x + kOnes * (0x80 - k); };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        std::uint64_t digit = at_least(x, '0') & ~at_least(x, '9' + 1);
        std::uint64_t af = at_least(x, 'a') & ~at_least(x, 'f' + 1);
        if ((x & kHigh) || ((digit | af) & kHigh) != kHigh) return false;
    }
    static constexpr auto kHex = [] {
        std::array<bool, 256> t{};
        for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
        for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = true;
        return t;
    }();
    for (; i < s.size(); ++i)
        if (!kHex[static_cast<unsigned char>(s[i])]) return false;
    return !s.empty();
}

// The length of the terminal escape sequence that starts at s[i] (an ESC):
// CSI (ESC [ params final 0x40-0x7e), OSC (ESC ] ... BEL or ESC \), else
// ESC and the byte after it. Cut sequences end at the end of s.
std::size_t escape_length(std::string_view s, std::size_t i);

// s without its terminal escape sequences (colours, erase-line), into out.
// Returns false (out untouched) when s has none.
bool strip_escapes(std::string_view s, std::string& out);

} // namespace gox::util
