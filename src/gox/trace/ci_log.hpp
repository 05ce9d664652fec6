#pragma once
// Saved logs as CI systems give them: each line of go's stderr behind the CI
// system's own prefix (a timestamp, a BuildKit step number), with the CI
// system's marker lines in between. gox parse detects the style once per log,
// from its first lines, and strips it before the tokenizer sees a line, so an
// ordinary go line is never read as a prefix. The wrapper (gox build) reads
// go's own stderr and never uses this.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::trace {

// X(id, json_name, description): the line prefix styles, one table (the man
// page and --help name these ids). Buildkit is a layer: it may be seen on
// its own or inside one of the others (docker build run by a CI job).
#define GOX_LOG_STYLES(X)                                                                          \
    X(Plain, "plain", "a bare trace: lines as go printed them")                                     \
    X(GithubActions, "github_actions",                                                             \
      "GitHub Actions log as downloaded: an ISO 8601 UTC timestamp before each line; ##[group], "  \
      "##[endgroup] and ::command:: lines are the runner's")                                       \
    X(Gitlab, "gitlab",                                                                            \
      "GitLab job log: section_start/section_end markers, ANSI colour, and with job log "          \
      "timestamps a timestamp and stream tag (00O) before each line")                              \
    X(Jenkins, "jenkins",                                                                          \
      "Jenkins console log with the Timestamper plugin: [timestamp] or [HH:MM:SS] before each "     \
      "line; [Pipeline] lines are Jenkins'")                                                       \
    X(Buildkit, "buildkit",                                                                        \
      "docker build's plain progress output (BuildKit): #N SECONDS before each output line of "    \
      "step N, alone or inside one of the above; interleaved steps are read as separate streams")

enum class LogStyle : std::uint8_t {
#define X(id, name, desc) id,
    GOX_LOG_STYLES(X)
#undef X
};

inline constexpr std::size_t kLogStyleCount = 0
#define X(id, name, desc) +1
    GOX_LOG_STYLES(X)
#undef X
    ;

inline constexpr std::array<std::string_view, kLogStyleCount> kLogStyleNames = {
#define X(id, name, desc) name,
    GOX_LOG_STYLES(X)
#undef X
};
inline constexpr std::array<std::string_view, kLogStyleCount> kLogStyleDescriptions = {
#define X(id, name, desc) desc,
    GOX_LOG_STYLES(X)
#undef X
};

constexpr std::string_view log_style_name(LogStyle s) { return kLogStyleNames[static_cast<std::size_t>(s)]; }

// The format of one log: an outer line prefix (Plain, GithubActions, Gitlab
// or Jenkins) and, inside it, BuildKit's step prefix or not.
struct LogFormat {
    LogStyle outer = LogStyle::Plain;
    bool buildkit = false;
    bool plain() const { return outer == LogStyle::Plain && !buildkit; }
    // "plain", "github_actions", "buildkit", "github_actions+buildkit".
    std::string name() const;
    bool operator==(const LogFormat&) const = default;
};

// The style of a log from its first lines (without "\n"; a trailing "\r" is
// ignored): a prefix counts only when most of the lines carry it, so one
// line of a bare trace that happens to start with a date changes nothing.
LogFormat detect_log_format(const std::vector<std::string_view>& first_lines);

// One line of a log, its prefix removed.
struct LogLine {
    std::string_view text; // what the program printed (valid until the next strip)
    int stream = 0;        // BuildKit step number; 0 outside BuildKit
    bool ci = false;       // a line of the CI system itself (marker, status): not go's
    bool stripped = false; // a prefix was removed
};

// Strips the prefix of a format, line by line. Lines without the prefix are
// passed on unchanged (a CI log may hold a few, e.g. before Jenkins'
// timestamps start).
class LogLineStripper {
public:
    explicit LogLineStripper(LogFormat f) : m_format(f) {}
    LogLine strip(std::string_view line);
    const LogFormat& format() const { return m_format; }

private:
    LogFormat m_format;
    std::string m_buf; // the line without its escape sequences
    // GitHub's step header: "##[group]Run <script>" up to "##[endgroup]" is the
    // runner's (the script echoed, shell, env), not the step's output.
    std::size_t m_run_group_left = 0;
};

// Reads a log line by line: holds the first lines (at most kLookAheadLines
// and kLookAheadBytes) until their style is known, then hands every line to
// the sink with its prefix stripped. Memory stays bounded by the look-ahead.
class LogDecoder {
public:
    using Sink = std::function<void(const LogLine& line, bool truncated)>;
    explicit LogDecoder(Sink sink) : m_sink(std::move(sink)) {}

    void line(std::string_view raw, bool truncated = false);
    void finish(); // decides on what was held, if the log was short
    bool decided() const { return m_decided; }
    const LogFormat& format() const { return m_strip.format(); }
    std::uint64_t lines_stripped() const { return m_stripped; }
    std::uint64_t ci_lines() const { return m_ci; }

    static constexpr std::size_t kLookAheadLines = 200;
    static constexpr std::size_t kLookAheadBytes = 1u << 20;

private:
    void decide();
    void emit(std::string_view raw, bool truncated);

    Sink m_sink;
    bool m_decided = false;
    bool m_first = true;
    LogLineStripper m_strip{LogFormat{}};
    std::vector<std::pair<std::string, bool>> m_ahead;
    std::size_t m_ahead_bytes = 0;
    std::uint64_t m_stripped = 0, m_ci = 0;
};

// The prefix of one line, or 0 (exposed for the tests): the length of
// GitHub's "2026-12-04T15:00:07.1234567Z ", GitLab's timestamped
// "2026-12-04T15:00:07.123456Z 00O ", Jenkins' "[2026-12-04T15:00:07.123Z] "
// or "[15:00:07] ", BuildKit's "#12 3.456 " (stream: the step number; ci:
// a BuildKit status line such as "#12 DONE 0.5s").
std::size_t github_prefix(std::string_view line);
std::size_t gitlab_prefix(std::string_view line);
std::size_t jenkins_prefix(std::string_view line);
std::size_t buildkit_prefix(std::string_view line, int& step, bool& status);

} // namespace gox::trace
