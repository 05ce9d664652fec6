#include <gox/model/stream.hpp>

namespace gox::model {

TraceStream::TraceStream(Writer passthrough, bool show_trace)
    : m_out(std::move(passthrough)), m_show_trace(show_trace) {}

void TraceStream::fail(const char* why) {
    m_failed = true;
    m_failure = why;
}

bool TraceStream::line(std::string_view text, bool complete) {
    std::string_view content = text;
    if (complete && !content.empty() && content.back() == '\n') content.remove_suffix(1);
    bool show = true;
    if (!m_failed) {
        try {
            const trace::Event& ev = m_tok.feed(content);
            m_builder.on_event(ev, m_tok);
            show = m_show_trace || m_program_running || !trace::is_trace_only(ev.kind);
            if (dynimport_output(ev) && !m_show_trace) show = false;
            if (ev.kind == trace::Kind::RunProgram) m_program_running = true;
            if (on_event) on_event(ev);
        } catch (const std::exception& e) {
            fail(e.what());
            show = true;
        }
    }
    if (show && !m_passthrough) m_out(text);
    return show;
}

// Go 1.19-1.21 print the C linker's output of the cgo dynimport probe
// (`gcc ... -o $WORK/bNNN/_cgo_.o ...`) only under -x, as a `# importpath`
// block right after that line, headed by that objdir's cgo package
// (go-trace-format.md §7.3). Plain go never shows it: true for its lines.
bool TraceStream::dynimport_output(const trace::Event& ev) {
    using trace::Kind;
    int probe = m_probe_objdir;
    m_probe_objdir = -1;
    switch (ev.kind) {
    case Kind::WorkDir: m_cgo_packages.clear(); break;
    case Kind::Cgo:
        if (ev.objdir >= 0) m_cgo_packages[ev.objdir] = std::string(ev.text);
        break;
    case Kind::CgoLinkProbe:
        // 1.24+ print the probe again with "# test for internal linking
        // errors (...)" and never its output.
        if (!ev.cmd || ev.cmd->annotation.empty() || ev.cmd->annotation == "internal") m_probe_objdir = ev.objdir;
        break;
    case Kind::UserHeader: {
        auto it = m_cgo_packages.find(probe);
        m_in_dynimport_block = probe >= 0 && it != m_cgo_packages.end() && ev.text == it->second;
        return m_in_dynimport_block;
    }
    case Kind::UserOutput: return m_in_dynimport_block;
    default: break;
    }
    m_in_dynimport_block = false;
    return false;
}

void TraceStream::feed(std::string_view bytes) {
    if (m_failed || m_passthrough) { // fail open / the program's own stderr: raw bytes, unchanged
        m_out(bytes);
        if (m_failed) return;
    }
    while (!bytes.empty()) {
        // Once go run's program runs, everything after its start line is the
        // program's stderr: pass it on as it arrives, not line by line (a
        // prompt without a newline must show before the program waits for
        // input), and only go on reading lines for the model.
        if (m_program_running && !m_passthrough && !m_in_long_line) {
            m_passthrough = true;
            m_out(bytes);
        }
        if (m_in_long_line) {
            auto nl = bytes.find('\n');
            std::string_view part = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
            if (m_long_line_shown && !m_passthrough) m_out(part);
            bytes.remove_prefix(part.size());
            if (nl != std::string_view::npos) m_in_long_line = false;
            continue;
        }
        auto nl = bytes.find('\n');
        if (nl == std::string_view::npos) {
            m_pending.append(bytes);
            if (m_pending.size() > kMaxLine) {
                // Classify by what we have, then stream the rest of the line.
                std::string head = std::move(m_pending);
                m_pending.clear();
                m_long_line_shown = line(head, false);
                m_in_long_line = true;
            }
            return;
        }
        if (m_pending.empty()) {
            line(bytes.substr(0, nl + 1), true);
        } else {
            m_pending.append(bytes.substr(0, nl + 1));
            std::string l = std::move(m_pending);
            m_pending.clear();
            line(l, true);
        }
        bytes.remove_prefix(nl + 1);
    }
}

void TraceStream::feed_stdout(std::string_view bytes) {
    if (m_failed) return;
    try {
        while (!bytes.empty()) {
            auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                if (m_stdout_pending.size() < kMaxLine) m_stdout_pending.append(bytes);
                return;
            }
            m_stdout_pending.append(bytes.substr(0, nl));
            m_builder.on_stdout_line(m_stdout_pending);
            m_stdout_pending.clear();
            bytes.remove_prefix(nl + 1);
        }
    } catch (const std::exception& e) {
        fail(e.what());
    }
}

void TraceStream::finish() {
    if (m_finished) return;
    m_finished = true;
    if (!m_pending.empty()) {
        std::string l = std::move(m_pending);
        m_pending.clear();
        line(l, false);
    }
    if (!m_stdout_pending.empty() && !m_failed) m_builder.on_stdout_line(m_stdout_pending);
}

Build TraceStream::take_build() {
    finish();
    Build b = m_builder.finish(m_tok);
    if (m_failed) b.notes.push_back("analysis stopped early (" + m_failure + "); output was passed through unchanged");
    return b;
}

} // namespace gox::model
