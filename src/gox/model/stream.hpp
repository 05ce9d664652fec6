#pragma once
// The wrapper's stderr path: bytes from go in, lines classified and fed to the
// model, and every byte that plain go would have printed passed on unchanged
// and at once. Trace-only lines (what -x adds) are held back unless the user
// asked for -x. Fail-open: if analysis fails, everything passes through raw.

#include <gox/model/build.hpp>
#include <gox/trace/tokenizer.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace gox::model {

class TraceStream {
public:
    using Writer = std::function<void(std::string_view)>;
    // show_trace: the user asked for -x themselves, so nothing is hidden.
    TraceStream(Writer passthrough, bool show_trace);

    // The user passed -work: WORK=<dir> lines are go's own output then.
    bool show_work_dir = false;
    // The program of the user's -toolexec ("" for none); see Tokenizer::set_toolexec.
    void set_toolexec(std::string_view program) { m_tok.set_toolexec(program); }

    void feed(std::string_view bytes);
    // Called for every classified line (progress display); may be empty.
    std::function<void(const trace::Event&)> on_event;
    // gox set GODEBUG=gocachehash=1 itself: its HASH lines are never shown,
    // not even under the user's own -x.
    bool hide_hash_lines = false;
    // Likewise for GODEBUG=gocachetest=1's "testcache:" lines.
    bool hide_testcache_lines = false;
    // go's stdout: passed on by the caller; here only read for test results.
    void feed_stdout(std::string_view bytes);
    void finish();
    Build take_build();

    // Test hook (GOX_TEST_FAULT=stream:N): the model fails as if out of memory
    // at the Nth stderr line; 0 = never.
    std::size_t fault_at_line = 0;

    bool analysis_failed() const { return m_failed; }
    const std::string& failure_reason() const { return m_failure; }

    static constexpr std::size_t kMaxLine = 1u << 20;
    static constexpr std::size_t kMaxHeld = 4u << 20; // see hold_heredoc

private:
    bool line(std::string_view with_newline, bool complete); // returns whether it was shown
    void fail(const char* why);

    Writer m_out;
    bool m_show_trace;
    trace::Tokenizer m_tok;
    BuildBuilder m_builder;
    std::string m_pending;
    // A line longer than kMaxLine: classified by its start, the rest streamed.
    bool m_in_long_line = false;
    bool m_long_line_shown = true;
    bool m_program_running = false; // after `go run`'s program starts, its stderr is all user output
    bool m_passthrough = false;     // ...and from then on bytes go out as they arrive (feed)
    // The cgo dynimport probe's output that only -x shows (1.19-1.21).
    bool dynimport_output(const trace::Event& ev);
    std::map<int, std::string> m_cgo_packages; // objdir -> import path, from cgo -objdir -importpath
    int m_probe_objdir = -1;                   // the previous line was a dynimport probe of this objdir
    bool m_in_dynimport_block = false;
    // Go 1.27's C.x rewrite of cgo packages' compiler output, which -x turns off.
    bool cgo_compile_output(const trace::Event& ev);
    int m_go_minor = -1; // from compile -goversion go1.N...
    bool m_in_cgo_block = false;
    std::string m_stdout_pending;
    bool m_failed = false; // the model stopped: the summary is incomplete
    void hold_heredoc(trace::Kind kind, std::string_view text, bool& show);
    std::string m_held; // the hidden lines of the open heredoc
    bool m_held_overflow = false;
    bool m_raw = false;    // classification stopped too: every byte passes through
    std::size_t m_lines = 0;
    std::string m_failure;
    bool m_finished = false;
};

} // namespace gox::model
