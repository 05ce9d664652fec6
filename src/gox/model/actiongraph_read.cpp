// go's -debug-actiongraph output read in one pass (GraphReader): no JSON DOM,
// only the fields the merge in actiongraph.cpp reads (bench/README.md has the
// figures; tests/unit/actiongraph_dom.hpp keeps the DOM reader it is checked
// against). Also the RFC 3339 times and objdir numbers it decodes.
#include <gox/model/actiongraph.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace gox::model {

double parse_rfc3339(std::string_view t) {
    // 2026-11-24T20:55:32.364740281Z (Go's time.Time JSON; "Z" or ±hh:mm)
    if (t.size() < 20) return 0;
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return -1;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    std::tm tm{};
    int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return 0;
    if (y == 1) return 0; // Go's zero time
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    double secs = static_cast<double>(timegm(&tm));
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        double scale = 0.1;
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, scale /= 10) secs += (t[i] - '0') * scale;
    }
    if (i < t.size() && (t[i] == '+' || t[i] == '-') && i + 6 <= t.size()) {
        int oh = num(i + 1, 2), om = num(i + 4, 2);
        if (oh >= 0 && om >= 0) secs -= (t[i] == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
    }
    return secs;
}

int objdir_number(std::string_view dir) {
    while (!dir.empty() && (dir.back() == '/' || dir.back() == '\\')) dir.remove_suffix(1);
    std::string_view b = util::base_name(dir);
    if (b.size() < 2 || b[0] != 'b') return -1;
    int v = 0;
    for (char c : b.substr(1)) {
        if (c < '0' || c > '9') return -1;
        if (v > 99999999) return -1; // no objdir number is that long (found by fuzz_actiongraph)
        v = v * 10 + (c - '0');
    }
    return v;
}

// ---- The reader: one pass over the text, no DOM. ----
//
// go writes the graph as one JSON array of flat action objects. The reader
// validates the whole text as strict JSON (RFC 8259: the grammar, escapes,
// surrogate pairs, UTF-8, no text after the array; a UTF-8 byte order mark is
// skipped) and keeps, of each action, only the fields gox uses, decoding only
// their strings. Values are taken as a JSON DOM would give them: a key that
// occurs twice counts with its last value, a field of the wrong type is
// absent, array elements that are not objects are skipped.

namespace {

class GraphReader {
public:
    explicit GraphReader(std::string_view text) : m_begin(text.data()), m_p(text.data()), m_end(text.data() + text.size()) {}

    std::optional<ActionGraph> read(std::string& error) {
        ActionGraph g;
        if (!document(g)) {
            error = m_error;
            return std::nullopt;
        }
        return g;
    }

private:
    // A number as far as the reader needs it: an integer that fits in 64
    // bits (taken modulo 2^32 as int, like a static_cast), or not.
    struct Number {
        bool integer = false;
        int value = 0;
    };

    const char* m_begin;
    const char* m_p;
    const char* m_end;
    std::string m_error;
    std::string m_scratch; // a string with escapes, decoded

    bool at_end() const { return m_p == m_end; }
    unsigned char peek() const { return static_cast<unsigned char>(*m_p); }

    bool fail(std::string_view what) {
        if (!m_error.empty()) return false;
        if (at_end()) {
            m_error = "truncated: the action graph ends at byte " + std::to_string(m_end - m_begin) + " inside the JSON (" +
                      std::string(what) + ")";
            return false;
        }
        std::size_t line = 1 + static_cast<std::size_t>(std::count(m_begin, m_p, '\n'));
        const char* sol = m_p;
        while (sol > m_begin && sol[-1] != '\n') --sol;
        m_error = "malformed JSON at line " + std::to_string(line) + ", column " + std::to_string(m_p - sol + 1) +
                  " (byte " + std::to_string(m_p - m_begin) + "): " + std::string(what);
        return false;
    }

    void space() {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\t' || *m_p == '\r')) ++m_p;
    }

    bool expect(char c, std::string_view what) {
        space();
        if (at_end() || *m_p != c) return fail(what);
        ++m_p;
        return true;
    }

    bool document(ActionGraph& g) {
        if (m_end - m_p >= 1 && peek() == 0xEF) { // a UTF-8 byte order mark
            if (m_end - m_p < 3 || static_cast<unsigned char>(m_p[1]) != 0xBB || static_cast<unsigned char>(m_p[2]) != 0xBF)
                return fail("a broken byte order mark");
            m_p += 3;
        }
        space();
        if (at_end()) {
            m_error = m_p == m_begin ? "empty file: no JSON array of actions" : "no JSON in the file, only white space";
            return false;
        }
        if (*m_p != '[') {
            if (!skip_value() || !end_of_text()) return false;
            m_error = "not a JSON array of actions";
            return false;
        }
        ++m_p;
        space();
        if (!at_end() && *m_p == ']') {
            ++m_p;
            return end_of_text();
        }
        for (;;) {
            space();
            if (!at_end() && *m_p == '{') {
                GraphAction a;
                if (!action(a)) return false;
                g.actions.push_back(std::move(a));
            } else if (!skip_value()) {
                return false;
            }
            space();
            if (at_end()) return fail("expected ',' or ']' after an action");
            if (*m_p == ']') {
                ++m_p;
                return end_of_text();
            }
            if (*m_p != ',') return fail("expected ',' or ']' after an action");
            ++m_p;
        }
    }

    // Only white space may follow the array; a NUL byte ends the text there
    // (nlohmann's lexer, which gox used before, reads a NUL as the end).
    bool end_of_text() {
        space();
        if (!at_end() && *m_p != '\0') return fail("text after the array of actions");
        return true;
    }

    enum class Field { Other, ID, Mode, Package, Objdir, ActionID, BuildID, TimeStart, TimeDone, Deps, Cmd, Failed };

    static Field field_of(std::string_view k) {
        static constexpr std::pair<std::string_view, Field> kFields[] = {
            {"ID", Field::ID},           {"Mode", Field::Mode},         {"Package", Field::Package},
            {"Objdir", Field::Objdir},   {"ActionID", Field::ActionID}, {"BuildID", Field::BuildID},
            {"TimeStart", Field::TimeStart}, {"TimeDone", Field::TimeDone}, {"Deps", Field::Deps},
            {"Cmd", Field::Cmd},         {"Failed", Field::Failed},
        };
        for (const auto& [name, f] : kFields)
            if (k == name) return f;
        return Field::Other;
    }

    // One action object, m_p at its '{'.
    bool action(GraphAction& a) {
        ++m_p;
        space();
        if (!at_end() && *m_p == '}') {
            ++m_p;
            return true;
        }
        for (;;) {
            space();
            if (at_end() || *m_p != '"') return fail("expected a field name in quotes");
            std::string_view k;
            if (!string(k)) return false;
            const Field f = field_of(k);
            if (!expect(':', "expected ':' after a field name")) return false;
            space();
            if (!field(a, f)) return false;
            space();
            if (at_end()) return fail("expected ',' or '}' in an action");
            if (*m_p == '}') {
                ++m_p;
                return true;
            }
            if (*m_p != ',') return fail("expected ',' or '}' in an action");
            ++m_p;
        }
    }

    // A string field: its value, or "" when the value is not a string.
    bool str_value(std::string& out) {
        out.clear();
        if (at_end() || *m_p != '"') return skip_value();
        std::string_view s;
        if (!string(s)) return false;
        out.assign(s);
        return true;
    }

    // The value of field f, m_p at its first character.
    bool field(GraphAction& a, Field f) {
        if (at_end()) return fail("expected a value");
        const char c = *m_p;
        switch (f) {
        case Field::ID: {
            a.id = 0;
            if (c != '-' && (c < '0' || c > '9')) return skip_value();
            Number n;
            if (!number(n)) return false;
            if (n.integer) a.id = n.value;
            return true;
        }
        case Field::Mode: return str_value(a.mode);
        case Field::Package: return str_value(a.package);
        case Field::Objdir:
            if (!str_value(a.objdir)) return false;
            a.objdir_number = objdir_number(a.objdir);
            return true;
        case Field::ActionID: return str_value(a.action_id);
        case Field::BuildID: return str_value(a.build_id);
        case Field::TimeStart:
        case Field::TimeDone: {
            double& t = f == Field::TimeStart ? a.time_start : a.time_done;
            t = 0;
            if (c != '"') return skip_value();
            std::string_view s;
            if (!string(s)) return false;
            t = parse_rfc3339(s);
            return true;
        }
        case Field::Deps: return deps(a.deps);
        case Field::Cmd: {
            // Ran: an array with at least one element.
            a.ran = false;
            if (c != '[') return skip_value();
            const char* open = m_p++;
            space();
            a.ran = !at_end() && *m_p != ']';
            m_p = open;
            return skip_value();
        }
        case Field::Failed:
            a.failed = false;
            if (c != 't' && c != 'f') return skip_value();
            if (!skip_value()) return false;
            a.failed = c == 't';
            return true;
        case Field::Other: break;
        }
        return skip_value();
    }

    // Deps: the integer elements of an array (others skipped).
    bool deps(std::vector<int>& out) {
        out.clear();
        if (*m_p != '[') return skip_value();
        ++m_p;
        space();
        if (!at_end() && *m_p == ']') {
            ++m_p;
            return true;
        }
        for (;;) {
            space();
            if (at_end()) return fail("expected a value");
            if (*m_p == '-' || (*m_p >= '0' && *m_p <= '9')) {
                Number n;
                if (!number(n)) return false;
                if (n.integer) out.push_back(n.value);
            } else if (!skip_value()) {
                return false;
            }
            space();
            if (at_end()) return fail("expected ',' or ']' in Deps");
            if (*m_p == ']') {
                ++m_p;
                return true;
            }
            if (*m_p != ',') return fail("expected ',' or ']' in Deps");
            ++m_p;
        }
    }

    // Any value, validated and not kept. Nesting is followed on a stack of
    // its own, not by recursion: a hostile file cannot exhaust the C++ stack.
    bool skip_value() {
        std::vector<char> open; // '[' or '{' of each enclosing container
        for (;;) {
            space();
            if (at_end()) return fail("expected a value");
            const char c = *m_p;
            if (c == '[' || c == '{') {
                ++m_p;
                space();
                if (!at_end() && *m_p == (c == '[' ? ']' : '}')) {
                    ++m_p;
                } else {
                    open.push_back(c);
                    if (c == '{' && !member_name()) return false;
                    continue;
                }
            } else if (c == '"') {
                std::string_view s;
                if (!string(s, false)) return false;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                Number n;
                if (!number(n)) return false;
            } else if (c == 't') {
                if (!literal("true")) return false;
            } else if (c == 'f') {
                if (!literal("false")) return false;
            } else if (c == 'n') {
                if (!literal("null")) return false;
            } else {
                return fail("expected a value");
            }
            // After a value: close containers, or go on to the next element.
            for (;;) {
                if (open.empty()) return true;
                space();
                if (at_end()) return fail(open.back() == '[' ? "expected ',' or ']'" : "expected ',' or '}'");
                const char close = open.back() == '[' ? ']' : '}';
                if (*m_p == close) {
                    ++m_p;
                    open.pop_back();
                    continue;
                }
                if (*m_p != ',') return fail(open.back() == '[' ? "expected ',' or ']'" : "expected ',' or '}'");
                ++m_p;
                if (open.back() == '{' && !member_name()) return false;
                break;
            }
        }
    }

    // In an object being skipped: "name" and ':'.
    bool member_name() {
        space();
        if (at_end() || *m_p != '"') return fail("expected a field name in quotes");
        std::string_view s;
        if (!string(s, false)) return false;
        return expect(':', "expected ':' after a field name");
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(m_end - m_p) < word.size()) {
            for (std::size_t i = 0; m_p + i != m_end; ++i)
                if (m_p[i] != word[i]) {
                    m_p += i;
                    return fail("expected a value");
                }
            m_p = m_end;
            return fail("expected a value");
        }
        for (std::size_t i = 0; i < word.size(); ++i)
            if (m_p[i] != word[i]) {
                m_p += i;
                return fail("expected a value");
            }
        m_p += word.size();
        return true;
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(Number& n) {
        const char* start = m_p;
        bool neg = false;
        if (*m_p == '-') {
            neg = true;
            ++m_p;
        }
        if (at_end() || *m_p < '0' || *m_p > '9') return fail("expected a digit");
        std::uint64_t mag = 0;
        bool fits = true;
        if (*m_p == '0') {
            ++m_p;
        } else {
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9') {
                auto d = static_cast<std::uint64_t>(*m_p - '0');
                if (mag > (UINT64_MAX - d) / 10) fits = false;
                else mag = mag * 10 + d;
                ++m_p;
            }
        }
        bool integer = true;
        if (m_p != m_end && *m_p == '.') {
            integer = false;
            ++m_p;
            if (at_end() || *m_p < '0' || *m_p > '9') return fail("expected a digit after '.'");
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9') ++m_p;
        }
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            integer = false;
            ++m_p;
            if (m_p != m_end && (*m_p == '+' || *m_p == '-')) ++m_p;
            if (at_end() || *m_p < '0' || *m_p > '9') return fail("expected a digit in the exponent");
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9') ++m_p;
        }
        // A JSON DOM keeps an integer as int64 (negative) or uint64; one
        // that fits neither becomes a double, and a double must be finite.
        if (neg && mag > (std::uint64_t{1} << 63)) fits = false;
        n.integer = integer && fits;
        if (!n.integer && !std::isfinite(std::strtod(std::string(start, m_p).c_str(), nullptr))) {
            m_p = start;
            return fail("a number too large for a double");
        }
        if (n.integer) {
            std::uint64_t v = neg ? ~mag + 1 : mag;
            n.value = static_cast<int>(static_cast<std::uint32_t>(v));
        }
        return true;
    }

    // A string, m_p at its opening quote; out views the decoded text
    // (valid until the next call). With decode false only validated.
    bool string(std::string_view& out, bool decode = true) {
        const char* start = ++m_p;
        // The common case: no escape, plain ASCII.
        while (m_p != m_end) {
            auto u = static_cast<unsigned char>(*m_p);
            if (u == '"') {
                out = std::string_view(start, static_cast<std::size_t>(m_p - start));
                ++m_p;
                return true;
            }
            if (u == '\\' || u < 0x20 || u >= 0x80) break;
            ++m_p;
        }
        if (decode) m_scratch.assign(start, m_p);
        for (;;) {
            if (at_end()) return fail("a string without its closing quote");
            auto u = static_cast<unsigned char>(*m_p);
            if (u == '"') {
                ++m_p;
                out = decode ? std::string_view(m_scratch) : std::string_view();
                return true;
            }
            if (u < 0x20) return fail("a control character in a string");
            if (u == '\\') {
                if (!escape(decode)) return false;
                continue;
            }
            const char* from = m_p;
            if (u >= 0x80 && !utf8()) return false;
            if (u < 0x80) ++m_p;
            if (decode) m_scratch.append(from, m_p);
        }
    }

    // One UTF-8 sequence of 2 to 4 bytes, m_p at its first byte.
    bool utf8() {
        auto u = static_cast<unsigned char>(*m_p);
        int more = 0;
        unsigned char lo = 0x80, hi = 0xBF; // range of the second byte
        if (u >= 0xC2 && u <= 0xDF) more = 1;
        else if (u == 0xE0) more = 2, lo = 0xA0;
        else if (u == 0xED) more = 2, hi = 0x9F;
        else if (u >= 0xE1 && u <= 0xEF) more = 2;
        else if (u == 0xF0) more = 3, lo = 0x90;
        else if (u == 0xF4) more = 3, hi = 0x8F;
        else if (u >= 0xF1 && u <= 0xF3) more = 3;
        else return fail("invalid UTF-8 in a string");
        ++m_p;
        for (int i = 0; i < more; ++i, ++m_p) {
            if (at_end()) return fail("a string without its closing quote");
            auto c = static_cast<unsigned char>(*m_p);
            if (c < (i == 0 ? lo : 0x80) || c > (i == 0 ? hi : 0xBF)) return fail("invalid UTF-8 in a string");
        }
        return true;
    }

    // Four hex digits after \u.
    bool hex4(unsigned& v) {
        v = 0;
        for (int i = 0; i < 4; ++i, ++m_p) {
            if (at_end()) return fail("a string without its closing quote");
            int d = util::hex_val(*m_p);
            if (d < 0) return fail("\\u not followed by four hex digits");
            v = v * 16 + static_cast<unsigned>(d);
        }
        return true;
    }

    // An escape, m_p at its backslash.
    bool escape(bool decode) {
        ++m_p;
        if (at_end()) return fail("a string without its closing quote");
        char c = *m_p++;
        char plain = c == '"' ? '"' : c == '\\' ? '\\' : c == '/' ? '/' : c == 'b' ? '\b' : c == 'f' ? '\f'
                   : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : '\0';
        if (plain) {
            if (decode) m_scratch += plain;
            return true;
        }
        if (c != 'u') {
            --m_p;
            return fail("an unknown escape in a string");
        }
        unsigned cp = 0;
        if (!hex4(cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a lone low surrogate in a string");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u') {
                if (m_end - m_p < 2) m_p = m_end;
                return fail("a high surrogate without its low surrogate in a string");
            }
            m_p += 2;
            unsigned lo = 0;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("a high surrogate without its low surrogate in a string");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (decode) util::append_utf8(m_scratch, cp);
        return true;
    }
};

} // namespace

std::optional<ActionGraph> parse_actiongraph(std::string_view text, std::string& error) {
    return GraphReader(text).read(error);
}

std::optional<ActionGraph> read_actiongraph_file(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open " + path;
        return std::nullopt;
    }
    // Read in large blocks into a string sized from the file (about 1 KB
    // per action), not through a stringstream; a pipe works too.
    std::string text;
    in.seekg(0, std::ios::end);
    if (auto size = in.tellg(); size > 0) text.reserve(static_cast<std::size_t>(size));
    in.clear();
    in.seekg(0, std::ios::beg);
    in.clear();
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) {
        error = "cannot read " + path;
        return std::nullopt;
    }
    return parse_actiongraph(text, error);
}

} // namespace gox::model
