#include <gox/trace/ci_log.hpp>
#include <gox/util/strings.hpp>

namespace gox::trace {

using util::starts_with;

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// n digits at s[i..]: the index after them, or 0.
std::size_t digits(std::string_view s, std::size_t i, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k)
        if (i + k >= s.size() || !digit(s[i + k])) return 0;
    return i + n;
}

// HH:MM:SS at s[i..], then an optional fraction (.ddd or ,ddd): the index
// after it, or 0.
std::size_t clock_time(std::string_view s, std::size_t i) {
    std::size_t j = digits(s, i, 2);
    if (!j || j >= s.size() || s[j] != ':' || !(j = digits(s, j + 1, 2))) return 0;
    if (j >= s.size() || s[j] != ':' || !(j = digits(s, j + 1, 2))) return 0;
    if (j + 1 < s.size() && (s[j] == '.' || s[j] == ',') && digit(s[j + 1])) {
        ++j;
        while (j < s.size() && digit(s[j])) ++j;
    }
    return j;
}

// YYYY-MM-DDTHH:MM:SS[.fff] at the start of s: the index after it, or 0.
std::size_t iso_date_time(std::string_view s) {
    std::size_t j = digits(s, 0, 4);
    if (!j || j >= s.size() || s[j] != '-' || !(j = digits(s, j + 1, 2))) return 0;
    if (j >= s.size() || s[j] != '-' || !(j = digits(s, j + 1, 2))) return 0;
    if (j >= s.size() || (s[j] != 'T' && s[j] != ' ')) return 0;
    return clock_time(s, j + 1);
}

// A time zone after a time: Z or +hh:mm / -hhmm (optional).
std::size_t zone(std::string_view s, std::size_t j) {
    if (j < s.size() && s[j] == 'Z') return j + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
        std::size_t k = digits(s, j + 1, 2);
        if (!k) return j;
        if (k < s.size() && s[k] == ':') ++k;
        std::size_t m = digits(s, k, 2);
        return m ? m : j;
    }
    return j;
}

bool hex(char c) { return digit(c) || (c >= 'a' && c <= 'f'); }

// GitLab's section marker at s[i..]: "section_start:<unix time>:<name>[opts]"
// or "section_end:...", ended by "\r" (or the end of the line): its end, or 0.
std::size_t section_marker(std::string_view s, std::size_t i, bool& start) {
    std::string_view rest = s.substr(i);
    std::size_t n;
    if (starts_with(rest, "section_start:")) {
        start = true;
        n = 14;
    } else if (starts_with(rest, "section_end:")) {
        start = false;
        n = 12;
    } else {
        return 0;
    }
    std::size_t j = i + n;
    std::size_t d = j;
    while (j < s.size() && digit(s[j])) ++j;
    if (j == d || j >= s.size() || s[j] != ':') return 0;
    std::size_t cr = s.find('\r', j);
    return cr == std::string_view::npos ? s.size() : cr + 1;
}

// Whether the line holds one of GitLab's section markers (detection only).
bool has_section_marker(std::string_view s) {
    for (std::size_t at = s.find("section_"); at != std::string_view::npos; at = s.find("section_", at + 1)) {
        bool start = false;
        if (section_marker(s, at, start)) return true;
    }
    return false;
}

// GitHub's runner lines, once the timestamp is gone: ##[group]Run ...,
// ##[endgroup], ##[error]..., [command]/usr/bin/git ..., and workflow
// commands echoed (::group::x, ::add-mask::***, ::error file=f::msg).
bool github_runner_line(std::string_view t) {
    if (starts_with(t, "##[") || starts_with(t, "[command]")) return true;
    if (!starts_with(t, "::")) return false;
    std::size_t j = 2;
    while (j < t.size() && ((t[j] >= 'a' && t[j] <= 'z') || t[j] == '-')) ++j;
    if (j == 2) return false;
    if (starts_with(t.substr(j), "::")) return true;
    return j < t.size() && t[j] == ' ' && t.find("::", j) != std::string_view::npos;
}

// A step header longer than this is no header: what follows is output.
constexpr std::size_t kMaxRunGroupLines = 500;

bool qualifies(std::size_t matched, std::size_t lines) {
    return 2 * matched > lines && (matched >= 2 || lines == 1);
}

} // namespace

std::size_t github_prefix(std::string_view s) {
    std::size_t j = iso_date_time(s);
    if (!j || j >= s.size() || s[j] != 'Z') return 0;
    ++j;
    if (j == s.size()) return j;
    return s[j] == ' ' ? j + 1 : 0;
}

std::size_t gitlab_prefix(std::string_view s) {
    std::size_t j = github_prefix(s);
    // "<timestamp> 00O " / "01E+ ": stream number, O(ut) or E(rr), + for a continued line.
    if (!j || j + 3 > s.size() || !hex(s[j]) || !hex(s[j + 1]) || (s[j + 2] != 'O' && s[j + 2] != 'E')) return 0;
    j += 3;
    if (j < s.size() && s[j] == '+') ++j;
    if (j == s.size()) return j;
    return s[j] == ' ' ? j + 1 : 0;
}

std::size_t jenkins_prefix(std::string_view s) {
    if (s.empty() || s[0] != '[') return 0;
    std::size_t j = iso_date_time(s.substr(1));
    j = j ? zone(s, j + 1) : clock_time(s, 1);
    if (!j || j + 1 >= s.size() || s[j] != ']' || s[j + 1] != ' ') return 0;
    return j + 2;
}

std::size_t buildkit_prefix(std::string_view s, int& step, bool& status) {
    if (s.size() < 3 || s[0] != '#' || !digit(s[1])) return 0;
    std::size_t j = 1;
    int n = 0;
    while (j < s.size() && digit(s[j]) && j < 10) n = n * 10 + (s[j++] - '0');
    if (j >= s.size() || s[j] != ' ') return 0;
    ++j;
    step = n;
    // "#12 3.456 text": elapsed seconds, then the step's output.
    std::size_t k = j;
    while (k < s.size() && digit(s[k])) ++k;
    if (k > j && k + 1 < s.size() && s[k] == '.' && digit(s[k + 1])) {
        ++k;
        while (k < s.size() && digit(s[k])) ++k;
        if (k == s.size() || s[k] == ' ') {
            status = false;
            return k == s.size() ? k : k + 1;
        }
    }
    status = true; // "#12 [stage 2/3] RUN ...", "#12 DONE 0.4s", "#12 CACHED"
    return j;
}

std::string LogFormat::name() const {
    if (outer == LogStyle::Plain) return std::string(log_style_name(buildkit ? LogStyle::Buildkit : LogStyle::Plain));
    std::string n(log_style_name(outer));
    if (buildkit) n += "+buildkit";
    return n;
}

LogLine LogLineStripper::strip(std::string_view line) {
    LogLine out;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view t = line;
    std::size_t p = 0;
    switch (m_format.outer) {
    case LogStyle::GithubActions: p = github_prefix(t); break;
    case LogStyle::Gitlab: p = gitlab_prefix(t); break;
    case LogStyle::Jenkins: p = jenkins_prefix(t); break;
    default: break;
    }
    if (p) {
        t.remove_prefix(p);
        out.stripped = true;
    }
    if (m_format.outer == LogStyle::Gitlab && t.find("section_") != std::string_view::npos) {
        // "\e[0Ksection_start:1733324407:step_script\r\e[0K\e[36;1mExecuting ...":
        // the header after a section start is GitLab's; text after a
        // section end (rare) is kept.
        std::string rest;
        bool any = false, started = false;
        for (std::size_t i = 0; i < t.size();) {
            bool start = false;
            if (std::size_t e = t[i] == 's' ? section_marker(t, i, start) : 0) {
                any = true;
                started = started || start;
                i = e;
                continue;
            }
            rest += t[i++];
        }
        if (any) {
            out.stripped = true;
            std::string clean;
            if (util::strip_escapes(rest, clean)) rest = std::move(clean);
            m_buf = std::move(rest);
            t = m_buf;
            if (started || t.empty()) out.ci = true;
        }
    }
    if (m_format.outer != LogStyle::Plain || m_format.buildkit) {
        if (t.data() != m_buf.data() && util::strip_escapes(t, m_buf)) {
            t = m_buf;
            out.stripped = true;
        }
    }
    switch (m_format.outer) {
    case LogStyle::GithubActions:
        if (starts_with(t, "##[group]Run ")) {
            m_run_group_left = kMaxRunGroupLines;
            out.ci = true;
        } else if (starts_with(t, "##[endgroup]")) {
            m_run_group_left = 0;
            out.ci = true;
        } else if (m_run_group_left) {
            --m_run_group_left;
            out.ci = true;
        } else {
            out.ci = out.ci || github_runner_line(t);
        }
        break;
    case LogStyle::Jenkins: out.ci = out.ci || starts_with(t, "[Pipeline] "); break;
    default: break;
    }
    if (m_format.buildkit && !out.ci) {
        int step = 0;
        bool status = false;
        if (std::size_t b = buildkit_prefix(t, step, status)) {
            out.stripped = true;
            out.stream = step;
            out.ci = status;
            t.remove_prefix(b);
        }
    }
    out.text = t;
    return out;
}

LogFormat detect_log_format(const std::vector<std::string_view>& first_lines) {
    std::size_t n = 0, gh = 0, gl = 0, jk = 0, sections = 0;
    for (std::string_view l : first_lines) {
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.empty()) continue;
        ++n;
        if (gitlab_prefix(l)) ++gl;
        if (github_prefix(l)) ++gh;
        if (jenkins_prefix(l)) ++jk;
        if (l.find("section_") != std::string_view::npos && has_section_marker(l)) ++sections;
    }
    LogFormat f;
    if (qualifies(gl, n)) f.outer = LogStyle::Gitlab;
    else if (qualifies(gh, n)) f.outer = LogStyle::GithubActions;
    else if (qualifies(jk, n)) f.outer = LogStyle::Jenkins;
    else if (sections) f.outer = LogStyle::Gitlab;
    // BuildKit inside: judged on the lines without the outer prefix and
    // without the CI system's own lines.
    LogLineStripper outer(f);
    std::size_t m = 0, bk = 0, bk_output = 0;
    for (std::string_view l : first_lines) {
        LogLine s = outer.strip(l);
        if (s.ci || s.text.empty()) continue;
        ++m;
        int step = 0;
        bool status = false;
        if (buildkit_prefix(s.text, step, status)) {
            ++bk;
            if (!status) ++bk_output;
        }
    }
    f.buildkit = bk >= 2 && 2 * bk > m;
    return f;
}

void LogDecoder::line(std::string_view raw, bool truncated) {
    if (m_first) {
        m_first = false;
        if (starts_with(raw, "\xEF\xBB\xBF")) raw.remove_prefix(3); // UTF-8 BOM (GitHub's downloads have one)
    }
    if (m_decided) {
        emit(raw, truncated);
        return;
    }
    m_ahead.emplace_back(std::string(raw), truncated);
    m_ahead_bytes += raw.size();
    if (m_ahead.size() >= kLookAheadLines || m_ahead_bytes >= kLookAheadBytes) decide();
}

void LogDecoder::decide() {
    std::vector<std::string_view> views;
    views.reserve(m_ahead.size());
    for (const auto& [l, t] : m_ahead) views.push_back(l);
    m_strip = LogLineStripper(detect_log_format(views));
    m_decided = true;
    auto held = std::move(m_ahead);
    m_ahead.clear();
    m_ahead_bytes = 0;
    for (const auto& [l, t] : held) emit(l, t);
}

void LogDecoder::finish() {
    if (!m_decided) decide();
}

void LogDecoder::emit(std::string_view raw, bool truncated) {
    if (m_strip.format().plain()) {
        LogLine l;
        l.text = raw;
        m_sink(l, truncated);
        return;
    }
    LogLine l = m_strip.strip(raw);
    if (l.stripped) ++m_stripped;
    if (l.ci) ++m_ci;
    m_sink(l, truncated);
}

} // namespace gox::trace
