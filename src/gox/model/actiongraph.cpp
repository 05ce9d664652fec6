// go's -debug-actiongraph output: read (GraphReader), merged into the Build
// (cache hits, IDs, timings, the critical path).
// Over 600 lines, on purpose: GraphReader is a one-pass JSON reader for the
// exact shape go writes (no DOM; bench/README.md), and it is kept beside the
// merge that is its only user so that the fields it skips and the fields the
// merge reads are checked in one place. Splitting it out is the next step if
// the file grows.
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

std::string step_kind(std::string_view mode) {
    // "cgo compile /tmp/go-build123/b004/_cgo_export.c", "cgo compile gcc_amd64.S":
    // the kind ends before the first word that names a file.
    std::string out;
    std::size_t i = 0;
    while (i < mode.size()) {
        std::size_t j = mode.find(' ', i);
        std::string_view w = mode.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (w.find('/') != std::string_view::npos || w.find('.') != std::string_view::npos) break;
        if (!w.empty()) out += (out.empty() ? "" : " ") + std::string(w);
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    return out.empty() ? std::string(mode.substr(0, 40)) : out;
}

bool is_cgo_step(std::string_view mode) { return util::starts_with(mode, "cgo run") || util::starts_with(mode, "cgo compile"); }

namespace {
double duration(const GraphAction& a) {
    return a.time_done > a.time_start && a.time_start > 0 ? a.time_done - a.time_start : 0;
}
} // namespace

Timing compute_timing(const ActionGraph& g) {
    Timing t;
    double first = 0, last = 0;
    std::map<std::string, double> by_mode;
    const GraphAction* end = nullptr;
    std::map<int, const GraphAction*> by_id;
    for (const auto& a : g.actions) {
        by_id[a.id] = &a;
        if (a.time_start > 0 && (first == 0 || a.time_start < first)) first = a.time_start;
        if (a.time_done > last) {
            last = a.time_done;
            end = &a;
        }
        if (a.ran && a.time_done > a.time_start && a.time_start > 0) by_mode[step_kind(a.mode)] += a.time_done - a.time_start;
    }
    t.wall = first > 0 && last > first ? last - first : 0;
    t.by_mode.assign(by_mode.begin(), by_mode.end());
    std::sort(t.by_mode.begin(), t.by_mode.end(), [](auto& x, auto& y) { return x.second > y.second; });
    // The chain that decided the finish: from the last action to finish, keep
    // stepping to the dependency that finished last.
    // A cgo package's C steps (cgo run, one cgo compile per file) are
    // separate actions before its build action: on the path they count as
    // part of "build P".
    struct Step {
        std::string kind, package;
        double seconds;
    };
    std::vector<Step> steps;
    std::set<int> critical;
    std::size_t guard = 0;
    while (end && guard++ < g.actions.size()) {
        critical.insert(end->id);
        double d = duration(*end);
        if (end->ran || (d >= 0.005 && end->mode != "build check cache")) {
            std::string kind = is_cgo_step(end->mode) ? "build" : step_kind(end->mode);
            if (!steps.empty() && steps.back().package == end->package && steps.back().kind == "build" && kind == "build")
                steps.back().seconds += d;
            else
                steps.push_back({kind, end->package, d});
        }
        const GraphAction* next = nullptr;
        for (int dep : end->deps) {
            auto it = by_id.find(dep);
            if (it != by_id.end() && (!next || it->second->time_done > next->time_done)) next = it->second;
        }
        end = next;
    }
    std::vector<std::pair<std::string, double>> chain;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
        chain.emplace_back(it->kind + (it->package.empty() ? "" : " " + it->package), it->seconds);
    t.critical_path = std::move(chain);
    for (const auto& a : g.actions) {
        if (a.time_start <= 0 || a.time_done < a.time_start || a.mode == "nop") continue;
        if (!a.ran && a.time_done - a.time_start < 0.0005) continue; // instant bookkeeping steps
        t.actions.push_back({step_kind(a.mode), a.package, a.time_start - first, a.time_done - a.time_start, a.ran,
                             critical.count(a.id) > 0});
    }
    std::sort(t.actions.begin(), t.actions.end(), [](const TimedAction& x, const TimedAction& y) {
        return std::tie(x.start, x.mode, x.package) < std::tie(y.start, y.mode, y.package);
    });
    return t;
}

namespace {

// The invocation whose work dir holds the graph's objdirs (default: the last).
int graph_invocation(const Build& b, const ActionGraph& g) {
    int inv = b.invocations.empty() ? 0 : static_cast<int>(b.invocations.size()) - 1;
    for (const auto& a : g.actions) {
        if (a.objdir.empty()) continue;
        for (std::size_t i = 0; i < b.invocations.size(); ++i)
            if (!b.invocations[i].work_dir.empty() && util::starts_with(a.objdir, b.invocations[i].work_dir))
                inv = static_cast<int>(i);
        break;
    }
    return inv;
}

using CgoSpans = std::map<std::pair<int, std::string>, std::vector<std::pair<double, double>>>;

// The C steps of cgo packages (Go 1.20+ makes them actions of their own),
// by objdir and package: their time is part of the package's.
CgoSpans cgo_spans_of(const ActionGraph& g) {
    CgoSpans spans;
    for (const auto& a : g.actions)
        if (a.ran && is_cgo_step(a.mode) && duration(a) > 0)
            spans[{a.objdir_number, a.package}].emplace_back(a.time_start, a.time_done);
    return spans;
}

// A build action's seconds (-1 when untimed), plus the wall time while at
// least one of its package's C steps ran (parallel compiles of several
// files count once).
double build_seconds(const GraphAction& a, CgoSpans& spans) {
    double secs = a.time_done > 0 && a.time_start > 0 ? a.time_done - a.time_start : -1;
    auto it = spans.find({a.objdir_number, a.package});
    if (secs < 0 || it == spans.end()) return secs;
    auto& v = it->second;
    std::sort(v.begin(), v.end());
    double from = v.front().first, to = v.front().second;
    for (const auto& [s, e] : v) {
        if (s > to) {
            secs += to - from;
            from = s;
        }
        to = std::max(to, e);
    }
    return secs + to - from;
}

// The trace's package for a build action: same objdir in the graph's
// invocation, else a package without objdir (a cache hit) of that path and
// not yet timed; the first such in b.packages. Indexed once (a no-op of
// 1,000 packages asked b.packages a million times), and told of the
// packages the merge adds, which later actions may match too.
class TracePackages {
public:
    TracePackages(const Build& b, int inv) : m_inv(inv) {
        for (std::size_t i = 0; i < b.packages.size(); ++i) added(b, i);
    }
    void added(const Build& b, std::size_t i) {
        const Package& p = b.packages[i];
        if (p.invocation != m_inv) return;
        if (p.objdir >= 0) m_by_objdir[p.objdir].push_back(i);
        else m_by_path[p.import_path].push_back(i);
    }
    Package* find(Build& b, const GraphAction& a) const {
        if (auto it = m_by_objdir.find(a.objdir_number); it != m_by_objdir.end()) return &b.packages[it->second.front()];
        if (auto it = m_by_path.find(a.package); it != m_by_path.end())
            for (std::size_t i : it->second)
                if (!b.packages[i].seconds) return &b.packages[i];
        return nullptr;
    }

private:
    int m_inv;
    std::unordered_map<int, std::vector<std::size_t>> m_by_objdir;
    std::unordered_map<std::string, std::vector<std::size_t>> m_by_path;
};

using ActionsById = std::unordered_map<int, const GraphAction*>;

// Action and content IDs, and the packages it imports (build actions it
// depends on).
void fill_ids(Package& p, const GraphAction& a, const ActionsById& by_id) {
    p.action_id = a.action_id;
    auto slash = a.build_id.find('/');
    if (slash != std::string::npos) p.content_id = a.build_id.substr(slash + 1);
    p.deps.clear();
    for (int d : a.deps)
        if (auto it = by_id.find(d); it != by_id.end() && it->second->mode == "build" && !it->second->package.empty() &&
                                     it->second->package != a.package)
            p.deps.push_back(it->second->package);
    std::sort(p.deps.begin(), p.deps.end());
    p.deps.erase(std::unique(p.deps.begin(), p.deps.end()), p.deps.end());
}

// A package the trace never showed (a cache hit prints nothing under -x).
Package graph_package(const GraphAction& a, int inv) {
    Package p;
    p.invocation = inv;
    p.import_path = a.package;
    p.objdir = a.objdir_number;
    // No command and no action ID: go never got as far as looking it up
    // in the cache (a dependency failed, or the run was cut short), so it
    // is not a cache hit.
    p.outcome = a.failed ? Outcome::Failed
              : a.ran    ? Outcome::Rebuilt
              : a.action_id.empty() && a.build_id.empty() ? Outcome::Unknown
                                                           : Outcome::CacheHit;
    p.evidence = kEvActionGraph;
    p.standard = is_standard_import_path(a.package);
    return p;
}

// The test binaries: the link of "P.test" names P's result's cache keys.
void link_test_binaries(Build& b, const ActionGraph& g) {
    for (const auto& a : g.actions) {
        if (a.mode != "link" || !util::ends_with(a.package, ".test")) continue;
        std::string_view pkg = std::string_view(a.package).substr(0, a.package.size() - 5);
        for (auto& t : b.tests) {
            if (t.import_path != pkg) continue;
            t.link_action_id = a.action_id;
            // BuildID of a link: actionID/mainContentID/.../binaryContentID.
            auto last = a.build_id.rfind('/');
            t.binary_id = last == std::string::npos ? "" : a.build_id.substr(last + 1);
        }
    }
}

} // namespace

void merge_actiongraph(Build& b, const ActionGraph& g) {
    b.actiongraph_merged = true;
    const int inv = graph_invocation(b, g);
    if (b.invocations.empty()) b.invocations.emplace_back();
    std::size_t disagree = 0;
    ActionsById by_id;
    by_id.reserve(g.actions.size());
    for (const auto& a : g.actions) by_id[a.id] = &a; // the last of an ID, as before
    CgoSpans spans = cgo_spans_of(g);
    TracePackages trace(b, inv);
    for (const auto& a : g.actions) {
        if (a.mode != "build" || a.package.empty()) continue;
        double secs = build_seconds(a, spans);
        if (Package* match = trace.find(b, a)) {
            fill_ids(*match, a, by_id);
            if (secs >= 0) match->seconds = secs;
            if (match->import_path == "main") match->import_path = a.package;
            if (a.ran && match->outcome != Outcome::Rebuilt && match->outcome != Outcome::Failed) ++disagree;
            continue;
        }
        Package p = graph_package(a, inv);
        if (a.ran) ++disagree;
        if (secs >= 0) p.seconds = secs;
        fill_ids(p, a, by_id);
        b.packages.push_back(std::move(p));
        trace.added(b, b.packages.size() - 1);
    }
    link_test_binaries(b, g);
    b.timing = compute_timing(g);
    if (disagree)
        b.notes.push_back(std::to_string(disagree) +
                          " build action(s) ran commands in the action graph but not in the trace");
    sort_packages(b.packages);
}

} // namespace gox::model
