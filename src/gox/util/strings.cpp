#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace gox::util {

int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void append_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

namespace {

// The length of the valid UTF-8 sequence at s[i], or 0.
unsigned utf8_length(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    unsigned n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (c >= 0xf5) n = 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (unsigned k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    return n;
}

} // namespace

std::string go_quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            unsigned n = utf8_length(s, i);
            if (n) out.append(s.substr(i, n));
            else out += fmt::format("\\x{:02x}", c);
            i += n ? n : 1;
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
            if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
            else out += static_cast<char>(c);
        }
        ++i;
    }
    return out + "\"";
}

std::string go_quote_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_quote(v[i]);
    return out + "]";
}

std::optional<std::string> go_unquote(std::string_view q) {
    if (q.size() < 2 || q.front() != '"' || q.back() != '"') return std::nullopt;
    std::string out;
    out.reserve(q.size());
    for (std::size_t i = 1; i + 1 < q.size(); ++i) {
        char c = q[i];
        if (c == '"') return std::nullopt;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 2 >= q.size()) return std::nullopt;
        char e = q[++i];
        switch (e) {
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '"': out += '"'; break;
        case '\'': out += '\''; break;
        case 'x':
        case 'u':
        case 'U': {
            std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (i + n >= q.size()) return std::nullopt;
            unsigned long v = 0;
            for (std::size_t k = 0; k < n; ++k) {
                int h = hex_val(q[i + 1 + k]);
                if (h < 0) return std::nullopt;
                v = v * 16 + static_cast<unsigned long>(h);
            }
            i += n;
            if (e == 'x') out += static_cast<char>(v);
            else if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return std::nullopt; // not a code point
            else append_utf8(out, v);
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                if (i + 2 >= q.size()) return std::nullopt;
                unsigned v = 0;
                for (int k = 0; k < 3; ++k) {
                    char d = q[i + k];
                    if (d < '0' || d > '7') return std::nullopt;
                    v = v * 8 + static_cast<unsigned>(d - '0');
                }
                if (v > 255) return std::nullopt;
                i += 2;
                out += static_cast<char>(v);
                break;
            }
            return std::nullopt;
        }
    }
    return out;
}

std::size_t go_quoted_end(std::string_view s, std::size_t pos) {
    if (pos >= s.size() || s[pos] != '"') return std::string_view::npos;
    for (std::size_t i = pos + 1; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (s[i] == '"') return i + 1;
    }
    return std::string_view::npos;
}

std::size_t go_quoted_list_end(std::string_view s, std::size_t pos) {
    if (pos >= s.size() || s[pos] != '[') return std::string_view::npos;
    std::size_t i = pos + 1;
    if (i < s.size() && s[i] == ']') return i + 1;
    for (;;) {
        i = go_quoted_end(s, i);
        if (i == std::string_view::npos || i >= s.size()) return std::string_view::npos;
        if (s[i] == ']') return i + 1;
        if (s[i] != ' ') return std::string_view::npos;
        ++i;
    }
}

std::string go_unquote_or_raw(std::string_view s) {
    if (auto u = go_unquote(s)) return std::move(*u);
    return std::string(s);
}

std::string to_hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

std::string clip(std::string_view s, std::size_t n) {
    if (s.size() <= n) return std::string(s);
    // Do not cut inside a UTF-8 sequence.
    std::size_t cut = n;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return std::string(s.substr(0, cut)) + "…";
}

std::size_t escape_length(std::string_view s, std::size_t i) {
    std::size_t j = i + 1;
    if (j < s.size() && s[j] == '[') {
        ++j;
        while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7e)) ++j;
        return std::min(j + 1, s.size()) - i;
    }
    if (j < s.size() && s[j] == ']') {
        ++j;
        while (j < s.size() && s[j] != '\a' && !(s[j] == 0x1b && j + 1 < s.size() && s[j + 1] == '\\')) ++j;
        if (j < s.size() && s[j] == 0x1b) ++j;
        return std::min(j + 1, s.size()) - i;
    }
    return std::min(j + 1, s.size()) - i;
}

bool strip_escapes(std::string_view s, std::string& out) {
    std::size_t esc = s.find('\x1b');
    if (esc == std::string_view::npos) return false;
    out.assign(s.substr(0, esc));
    for (std::size_t i = esc; i < s.size();) {
        if (s[i] == 0x1b) {
            i += escape_length(s, i);
            continue;
        }
        std::size_t next = s.find('\x1b', i);
        if (next == std::string_view::npos) next = s.size();
        out.append(s.substr(i, next - i));
        i = next;
    }
    return true;
}

} // namespace gox::util
