#include <gox/model/stream.hpp>

#include <re2/re2.h>

#include <new>

namespace gox::model {

TraceStream::TraceStream(Writer passthrough, bool show_trace)
    : m_out(std::move(passthrough)), m_show_trace(show_trace) {
    m_tok.set_pasted_commands(false); // go's own stderr: nothing pasted, nothing to rescue
}

void TraceStream::fail(const char* why) {
    m_failed = true;
    m_failure = why;
}

bool TraceStream::line(std::string_view text, bool complete) {
    std::string_view content = text;
    if (complete && !content.empty() && content.back() == '\n') content.remove_suffix(1);
    bool show = true;
    std::string rewritten; // when not empty, shown instead of text
    if (!m_raw) {
        try {
            const trace::Event& ev = m_tok.feed(content);
            // The model may fail (out of memory, a bug) without taking the
            // classification down with it: then the summary is incomplete but
            // the trace lines gox added stay hidden, as if it had worked.
            if (!m_failed) {
                try {
                    if (++m_lines == fault_at_line) throw std::bad_alloc();
                    m_builder.on_event(ev);
                    if (on_event) on_event(ev);
                } catch (const std::exception& e) {
                    fail(e.what());
                }
            }
            show = m_show_trace || m_program_running || !trace::is_trace_only(ev.kind);
            if (dynimport_output(ev) && !m_show_trace) show = false;
            if (ev.kind == trace::Kind::WorkDir && show_work_dir) show = true;
            if (cgo_compile_output(ev) && !m_show_trace && m_go_minor >= 27) {
                // What go 1.27 prints without -x: _Ctype_int -> C.int, ...
                static const re2::RE2 cgo_type_sig(R"(\b_C2?(type|func|var|macro)_\B)");
                std::string fixed(text);
                if (re2::RE2::GlobalReplace(&fixed, cgo_type_sig, "C.")) rewritten = std::move(fixed);
            }
            // HASH and testcache lines come from GODEBUG, not from -x: shown
            // when the user set GODEBUG, hidden when gox did.
            if (ev.kind == trace::Kind::Hash) show = !hide_hash_lines;
            if (ev.kind == trace::Kind::TestCache) show = !hide_testcache_lines;
            if (ev.kind == trace::Kind::RunProgram) m_program_running = true;
            if (!show) hold_heredoc(ev.kind, text, show);
        } catch (const std::exception& e) {
            // Lines can no longer be classified: from here on every byte
            // passes through as it came (nothing of go's output is lost).
            fail(e.what());
            m_raw = true;
            show = true;
        }
    }
    if (show && !m_passthrough) m_out(rewritten.empty() ? text : std::string_view(rewritten));
    return show;
}

// A heredoc's lines are hidden, but held until its EOF line: if the stream
// ends inside it (go killed mid-write, or text that only looked like a
// heredoc), they were not go's trace after all and are shown at the end. One
// longer than kMaxHeld is no heredoc go writes: what is held is shown and the
// rest of it too.
void TraceStream::hold_heredoc(trace::Kind kind, std::string_view text, bool& show) {
    using trace::Kind;
    if (kind != Kind::HeredocHeader && kind != Kind::HeredocBody) {
        m_held.clear();
        m_held_overflow = false;
        return;
    }
    if (kind == Kind::HeredocHeader) {
        m_held.clear();
        m_held_overflow = false;
    }
    if (m_held_overflow) {
        show = true;
        return;
    }
    m_held.append(text);
    if (m_held.size() > kMaxHeld) {
        if (!m_passthrough) m_out(std::string_view(m_held).substr(0, m_held.size() - text.size()));
        m_held.clear();
        m_held_overflow = true;
        show = true;
    }
}

// Go 1.19-1.21 print the C linker's output of the cgo dynimport probe
// (`gcc ... -o $WORK/bNNN/_cgo_.o ...`) only under -x, as a `# importpath`
// block right after that line, headed by that objdir's cgo package
// (go-trace-format.md §7.3). Plain go never shows it: true for its lines.
// (m_go_minor is updated after this, by cgo_compile_output.)
bool TraceStream::dynimport_output(const trace::Event& ev) {
    using trace::Kind;
    int probe = m_probe_objdir;
    m_probe_objdir = -1;
    switch (ev.kind) {
    case Kind::WorkDir: m_cgo_packages.clear(); break;
    case Kind::Cgo:
        if (ev.objdir >= 0) m_cgo_packages[ev.objdir] = std::string(ev.text);
        break;
    case Kind::CgoLinkProbe: {
        // Only for 1.19-1.21 (1.22-1.23 print it later, with the action's
        // other output; 1.24+ never, and repeat the probe with "# test for
        // internal linking errors (...)"), where a block of another action
        // of the same package may follow the probe too. The version is known
        // from an earlier compile's -goversion, else 1.19-1.20 are told by
        // their -fdebug-prefix-map (1.21+ use -ffile-prefix-map).
        bool annotated = ev.cmd && !ev.cmd->annotation.empty() && ev.cmd->annotation != "internal";
        bool old_go = m_go_minor >= 0 ? m_go_minor <= 21 : ev.line.find(" -fdebug-prefix-map=") != std::string_view::npos;
        if (!annotated && old_go) m_probe_objdir = ev.objdir;
        break;
    }
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

// Go 1.27 rewrites _Ctype_x, _Cfunc_f, ... to C.x, C.f in the compiler output
// of cgo packages, but not under -x (work/exec.go@go1.27, commit 1bbb78e777;
// go-trace-format.md §7.3). True for the lines of such output (a block headed
// by a package that ran cgo in this build), so the wrapper can do it for go.
bool TraceStream::cgo_compile_output(const trace::Event& ev) {
    using trace::Kind;
    switch (ev.kind) {
    case Kind::Compile:
        if (ev.cmd) {
            // -goversion go1.27.3 (or go1.27rc2): the minor version.
            std::string_view v = ev.cmd->flag("-goversion");
            if (auto at = v.find("go1."); at != std::string_view::npos) {
                int minor = 0;
                // Bounded: a hostile "-goversion go1.99999999999" must not overflow (found by fuzz_stream).
                for (std::size_t i = at + 4; i < v.size() && v[i] >= '0' && v[i] <= '9' && minor < 100000; ++i)
                    minor = minor * 10 + (v[i] - '0');
                m_go_minor = minor;
            }
        }
        break;
    case Kind::UserHeader:
        // A second header line, "# [desc]" (1.22+), says the output is not
        // the package's compile (vet's, for one): go leaves that alone.
        m_in_cgo_block = false;
        if (ev.text.empty() || ev.text[0] != '[') {
            std::string_view path = ev.text.substr(0, ev.text.find(" ["));
            for (const auto& [objdir, pkg] : m_cgo_packages)
                if (pkg == path) m_in_cgo_block = true;
        }
        return false;
    case Kind::UserOutput: return m_in_cgo_block;
    default: break;
    }
    m_in_cgo_block = false;
    return false;
}

void TraceStream::feed(std::string_view bytes) {
    if (m_raw || m_passthrough) { // fail open / the program's own stderr: raw bytes, unchanged
        m_out(bytes);
        if (m_raw) return;
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
    if (!m_raw && m_tok.in_heredoc() && !m_held.empty() && !m_passthrough) m_out(m_held);
    m_held.clear();
    if (!m_stdout_pending.empty() && !m_failed) m_builder.on_stdout_line(m_stdout_pending);
}

Build TraceStream::take_build() {
    finish();
    Build b = m_builder.finish(m_tok.end());
    if (m_failed)
        b.notes.push_back("analysis failed (" + m_failure + "): this summary is incomplete; go's output was " +
                          (m_raw ? "passed through unchanged, with gox's -x trace lines" : "not affected"));
    return b;
}

} // namespace gox::model
