#pragma once
// Small string helpers with no gox-specific knowledge.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace gox::util {

inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
inline bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// The last path element, accepting both '/' and '\\' separators.
inline std::string_view base_name(std::string_view path) {
    auto pos = path.find_last_of("/\\");
    return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

// Undo Go's strconv.Quote (the %q verb): "a\tb\x00\u00e9". Returns nullopt if
// the text is not a complete quoted string.
std::optional<std::string> go_unquote(std::string_view quoted);

// Cut to at most n bytes for display, marking the cut with "…".
std::string clip(std::string_view s, std::size_t n);

// True if s consists only of [0-9a-f]. (Inline: the tokenizer checks a
// 64-digit cache key on most heredoc lines.)
inline bool is_lower_hex(std::string_view s) {
    static constexpr auto kHex = [] {
        std::array<bool, 256> t{};
        for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
        for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = true;
        return t;
    }();
    for (char c : s)
        if (!kHex[static_cast<unsigned char>(c)]) return false;
    return !s.empty();
}

} // namespace gox::util
