#include <gox/trace/command.hpp>
#include <gox/util/strings.hpp>

namespace gox::trace {

using util::ends_with;

std::string_view CommandLine::flag(std::string_view name) const {
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string_view w = words[i];
        if (w == name) return i + 1 < words.size() ? words[i + 1] : std::string_view();
        if (w.size() > name.size() && w.substr(0, name.size()) == name && w[name.size()] == '=')
            return w.substr(name.size() + 1);
    }
    return {};
}

bool CommandLine::has_word(std::string_view w) const {
    for (auto x : words)
        if (x == w) return true;
    return false;
}

namespace {

bool is_env_name_char(char c, bool first) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

// Length of a Go-quoted string starting at s[0] == '"', or 0 if unterminated.
std::size_t quoted_len(std::string_view s) {
    std::size_t end = util::go_quoted_end(s);
    return end == std::string_view::npos ? 0 : end;
}

// Trailing annotations written by the go command itself, and the " || true"
// of compiler flag probes: recorded in out and cut from line.
void strip_trailer(std::string_view& line, CommandLine& out) {
    static constexpr std::string_view kAnn[] = {" # internal",
                                                " # test for internal linking errors (succeeded)",
                                                " # test for internal linking errors (failed)"};
    for (auto a : kAnn) {
        if (ends_with(line, a)) {
            out.annotation = a.substr(3);
            line.remove_suffix(a.size());
            while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
            break;
        }
    }
    if (ends_with(line, " || true")) {
        out.or_true = true;
        line.remove_suffix(8);
    }
}

// Where unquoted text with escapes is copied to: the arena, sized by parse()
// so that it never reallocates, else (never in practice) the spill list.
class Owner {
public:
    Owner(std::string& arena, std::deque<std::string>& spill) : m_arena(arena), m_spill(spill) {}
    std::string_view operator()(std::string_view s) const {
        if (m_arena.size() + s.size() > m_arena.capacity()) // cannot happen (see parse()); stay safe anyway
            return std::string_view(m_spill.emplace_back(s));
        std::size_t at = m_arena.size();
        m_arena.append(s);
        return std::string_view(m_arena.data() + at, s.size());
    }

private:
    std::string& m_arena;
    std::deque<std::string>& m_spill;
};

// NAME='value' or NAME="value" at the start of rest: adds it to out.env and
// returns its length, or 0 when rest does not start with one.
inline std::size_t parse_env_entry(std::string_view rest, CommandLine& out, const Owner& owned) {
    if (!is_env_name_char(rest[0], true)) return 0;
    std::size_t k = 1;
    while (k < rest.size() && is_env_name_char(rest[k], false)) ++k;
    if (!(k + 1 < rest.size() && rest[k] == '=' && (rest[k + 1] == '\'' || rest[k + 1] == '"'))) return 0;
    std::string_view name = rest.substr(0, k);
    if (rest[k + 1] == '\'') {
        auto close = rest.find('\'', k + 2);
        if (close != std::string_view::npos && (close + 1 == rest.size() || rest[close + 1] == ' ')) {
            out.env.emplace_back(name, rest.substr(k + 2, close - k - 2));
            return close + 1;
        }
        return 0;
    }
    std::size_t qlen = quoted_len(rest.substr(k + 1));
    if (!(qlen && (k + 1 + qlen == rest.size() || rest[k + 1 + qlen] == ' '))) return 0;
    std::string_view inside = rest.substr(k + 2, qlen - 2);
    if (inside.find('\\') == std::string_view::npos) { // no escapes: a view
        out.env.emplace_back(name, inside);
        return k + 1 + qlen;
    }
    if (auto v = util::go_unquote(rest.substr(k + 1, qlen))) {
        out.env.emplace_back(name, owned(*v));
        return k + 1 + qlen;
    }
    return 0;
}

// A "go-quoted" word at the start of rest (rest[0] == '"'): adds it to
// out.words and returns its length, or 0 when it is not one whole quoted
// word (then out.malformed is set if the quote is unterminated).
inline std::size_t parse_quoted_word(std::string_view rest, CommandLine& out, const Owner& owned) {
    std::size_t qlen = quoted_len(rest);
    if (qlen && (qlen == rest.size() || rest[qlen] == ' ')) {
        // No escapes ("$WORK/b001=>"): the word is the text inside
        // the quotes, no copy needed.
        std::string_view inside = rest.substr(1, qlen - 2);
        if (inside.find('\\') == std::string_view::npos) {
            out.words.push_back(inside);
            return qlen;
        }
        if (auto v = util::go_unquote(rest.substr(0, qlen))) {
            out.words.push_back(owned(*v));
            return qlen;
        }
    }
    if (!qlen) out.malformed = true;
    return 0;
}

} // namespace

bool CommandParser::parse(std::string_view line, CommandLine& out) {
    out.env.clear();
    out.words.clear();
    out.annotation = {};
    out.or_true = false;
    out.malformed = false;
    // Unquoted text is never longer than its quoted form, so with room for
    // the whole line the arena never reallocates and views into it stay
    // valid: words are pushed as views directly.
    m_arena.clear();
    m_arena.reserve(line.size());
    strip_trailer(line, out);
    m_spill.clear();
    const Owner owned(m_arena, m_spill);

    std::size_t i = 0;
    bool in_env = true;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i >= line.size()) break;
        std::string_view rest = line.substr(i);
        // NAME='value' or NAME="value" while still in the environment prefix.
        if (in_env) {
            if (std::size_t n = parse_env_entry(rest, out, owned)) {
                i += n;
                continue;
            }
        }
        in_env = false;
        if (rest[0] == '"') {
            if (std::size_t n = parse_quoted_word(rest, out, owned)) {
                i += n;
                continue;
            }
        }
        std::size_t sp = rest.find(' ');
        std::string_view w = rest.substr(0, sp);
        out.words.push_back(w);
        i += w.size();
    }
    return !out.words.empty();
}

} // namespace gox::trace
