#pragma once
// Small string helpers with no gox-specific knowledge.

#include <optional>
#include <string>
#include <string_view>

namespace gox::util {

inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
inline bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// The last path element, accepting both '/' and '\\' separators.
std::string_view base_name(std::string_view path);

// Undo Go's strconv.Quote (the %q verb): "a\tb\x00\u00e9". Returns nullopt if
// the text is not a complete quoted string.
std::optional<std::string> go_unquote(std::string_view quoted);

// Cut to at most n bytes for display, marking the cut with "…".
std::string clip(std::string_view s, std::size_t n);

// True if s consists only of [0-9a-f].
bool is_lower_hex(std::string_view s);

} // namespace gox::util
