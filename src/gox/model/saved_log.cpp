// gox parse's reader: a saved trace or CI log in, the model out. The log's
// prefix style is decided from its first lines (trace/ci_log.hpp); a BuildKit
// log's interleaved steps each get their own tokenizer and builder (their
// heredocs, cd and WORK= are their own), and the models are joined in the
// order the steps first printed.

#include <gox/model/build.hpp>
#include <gox/trace/ci_log.hpp>
#include <gox/trace/tokenizer.hpp>
#include <gox/util/line_reader.hpp>

#include <fmt/format.h>

#include <memory>
#include <unordered_map>
#include <vector>

namespace gox::model {

namespace {

// BuildKit steps past this many share one stream (memory stays bounded
// whatever the log; each stream keeps a tokenizer and a builder).
constexpr std::size_t kMaxStreams = 64;

class SavedLog {
public:
    SavedLog()
        : m_trace([this](const trace::LogLine& l, bool truncated) { on_line(l, truncated); }),
          m_stdout([this](const trace::LogLine& l, bool) {
              if (l.ci) return;
              m_streams.front()->used = true;
              m_streams.front()->builder.on_stdout_line(l.text);
          }) {
        m_streams.push_back(std::make_unique<Stream>(0));
    }

    void stdout_line(std::string_view line) { m_stdout.line(line); }
    void stdout_done() { m_stdout.finish(); }
    void line(std::string_view line, bool truncated) { m_trace.line(line, truncated); }

    Build finish() {
        m_trace.finish();
        Build out;
        std::size_t steps = 0;
        for (auto& s : m_streams) {
            // (The lines outside any BuildKit step, when there were none.)
            if (!s->used && s->step == 0 && m_streams.size() > 1) continue;
            Build b = s->builder.finish(s->tok.end());
            if (s->step > 0) {
                ++steps;
                for (auto& n : b.notes) n = fmt::format("BuildKit step #{}: {}", s->step, n);
            } else if (s->step < 0) {
                for (auto& n : b.notes) n = "BuildKit steps past the first " + std::to_string(kMaxStreams - 1) + ": " + n;
            }
            append_build(out, std::move(b));
        }
        if (m_overflow)
            out.notes.push_back(fmt::format("the log has more than {} BuildKit steps: the later ones were read as one "
                                            "stream",
                                            kMaxStreams - 1));
        const trace::LogFormat& f = m_trace.format();
        if (!f.plain()) {
            LogInfo info;
            info.format = f.name();
            info.lines_stripped = m_trace.lines_stripped();
            info.ci_lines = m_trace.ci_lines();
            info.streams = f.buildkit ? steps : 0;
            out.log = std::move(info);
        }
        return out;
    }

private:
    struct Stream {
        explicit Stream(int s) : step(s) {}
        int step; // BuildKit step number; 0 outside BuildKit; -1 for the shared overflow stream
        bool used = false;
        trace::Tokenizer tok;
        BuildBuilder builder;
    };

    Stream& stream_of(int step) {
        if (step == 0) return *m_streams.front();
        auto it = m_by_step.find(step);
        if (it != m_by_step.end()) return *m_streams[it->second];
        if (m_streams.size() >= kMaxStreams) {
            m_overflow = true;
            step = -1;
            if (auto o = m_by_step.find(-1); o != m_by_step.end()) return *m_streams[o->second];
        }
        m_by_step.emplace(step, m_streams.size());
        m_streams.push_back(std::make_unique<Stream>(step));
        return *m_streams.back();
    }

    void on_line(const trace::LogLine& l, bool truncated) {
        if (l.ci) return;
        Stream& s = stream_of(l.stream);
        s.used = true;
        if (truncated) s.builder.on_line_truncated();
        s.builder.on_event(s.tok.feed(l.text));
    }

    trace::LogDecoder m_trace, m_stdout;
    std::vector<std::unique_ptr<Stream>> m_streams; // [0]: lines outside any BuildKit step
    std::unordered_map<int, std::size_t> m_by_step;
    bool m_overflow = false;
};

} // namespace

Build parse_trace_fd(int fd, int stdout_fd) {
    SavedLog log;
    std::string_view line;
    if (stdout_fd >= 0) {
        util::LineReader out(stdout_fd);
        while (out.next(line)) log.stdout_line(line);
        log.stdout_done();
    }
    util::LineReader reader(fd);
    while (reader.next(line)) log.line(line, reader.truncated());
    return log.finish();
}

Build parse_trace_text(std::string_view text) {
    SavedLog log;
    while (!text.empty()) {
        auto nl = text.find('\n');
        log.line(text.substr(0, nl), false);
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return log.finish();
}

} // namespace gox::model
