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
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (s[i] == '"') return i + 1;
    }
    return 0;
}

} // namespace

bool CommandParser::parse(std::string_view line, CommandLine& out) {
    out.env.clear();
    out.words.clear();
    out.annotation = {};
    out.or_true = false;
    out.malformed = false;
    m_arena.clear();
    m_env_names.clear();
    m_env_vals.clear();
    m_words.clear();

    // Trailing annotations written by the go command itself.
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

    auto add_view = [](std::vector<Span>& v, std::string_view s) {
        v.push_back(Span{false, 0, s.size(), s.data()});
    };
    auto add_owned = [this](std::vector<Span>& v, std::string_view s) {
        v.push_back(Span{true, m_arena.size(), s.size(), nullptr});
        m_arena.append(s);
    };

    std::size_t i = 0;
    bool in_env = true;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i >= line.size()) break;
        std::string_view rest = line.substr(i);
        // NAME='value' or NAME="value" while still in the environment prefix.
        if (in_env && is_env_name_char(rest[0], true)) {
            std::size_t k = 1;
            while (k < rest.size() && is_env_name_char(rest[k], false)) ++k;
            if (k + 1 < rest.size() && rest[k] == '=' && (rest[k + 1] == '\'' || rest[k + 1] == '"')) {
                std::string_view name = rest.substr(0, k);
                if (rest[k + 1] == '\'') {
                    auto close = rest.find('\'', k + 2);
                    if (close != std::string_view::npos &&
                        (close + 1 == rest.size() || rest[close + 1] == ' ')) {
                        add_view(m_env_names, name);
                        add_view(m_env_vals, rest.substr(k + 2, close - k - 2));
                        i += close + 1;
                        continue;
                    }
                } else {
                    std::size_t qlen = quoted_len(rest.substr(k + 1));
                    if (qlen && (k + 1 + qlen == rest.size() || rest[k + 1 + qlen] == ' ')) {
                        auto v = util::go_unquote(rest.substr(k + 1, qlen));
                        if (v) {
                            add_view(m_env_names, name);
                            add_owned(m_env_vals, *v);
                            i += k + 1 + qlen;
                            continue;
                        }
                    }
                }
            }
        }
        in_env = false;
        if (rest[0] == '"') {
            std::size_t qlen = quoted_len(rest);
            if (qlen && (qlen == rest.size() || rest[qlen] == ' ')) {
                // No escapes ("$WORK/b001=>"): the word is the text inside
                // the quotes, no copy needed.
                std::string_view inside = rest.substr(1, qlen - 2);
                if (inside.find('\\') == std::string_view::npos) {
                    add_view(m_words, inside);
                    i += qlen;
                    continue;
                }
                if (auto v = util::go_unquote(rest.substr(0, qlen))) {
                    add_owned(m_words, *v);
                    i += qlen;
                    continue;
                }
            }
            if (!qlen) out.malformed = true;
        }
        std::size_t sp = rest.find(' ');
        std::string_view w = rest.substr(0, sp);
        add_view(m_words, w);
        i += w.size();
    }

    auto view = [this](const Span& s) {
        return s.owned ? std::string_view(m_arena.data() + s.off, s.len) : std::string_view(s.ptr, s.len);
    };
    for (std::size_t k = 0; k < m_env_names.size(); ++k)
        out.env.emplace_back(view(m_env_names[k]), view(m_env_vals[k]));
    for (auto& s : m_words) out.words.push_back(view(s));
    return !out.words.empty();
}

} // namespace gox::trace
