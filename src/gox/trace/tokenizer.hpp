#pragma once
// Streaming classifier for what the go command prints on stderr under -x
// (Go 1.19 to 1.27, Linux/macOS/Windows). Feed it one line at a time; it keeps
// only the state the format needs: the work dir (WORK=), the last cd dir, an
// open heredoc, and whether the lines follow a user-facing "# pkg" header.
// Memory does not grow with the number of lines.

#include <gox/trace/command.hpp>
#include <gox/trace/event.hpp>
#include <gox/trace/paths.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace gox::trace {

enum class GoTool : unsigned char; // the go command's own tools (tokenizer.cpp)

class Tokenizer {
public:
    Tokenizer();
    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // Classifies one line (without its "\n"; a trailing "\r" is ignored). The
    // event's views point into `line` and into the tokenizer, valid until the
    // next call.
    const Event& feed(std::string_view line);

    // Ends the stream: returns true if a heredoc was still open (a cut trace).
    bool finish();
    // finish(), and what the end tells about the trace (for the model).
    TraceEnd end() {
        bool open = finish();
        return {open, m_heredocs_cut};
    }

    // The wrapper knows the user's -toolexec: its program (first word; empty
    // for none). Then only lines starting with it (same base name) are
    // toolexec commands, and
    // a tool's own output that names a tool path (a -toolexec program that
    // logs its command line) stays user output. Unknown by default (gox parse).
    void set_toolexec(std::string_view program) {
        m_toolexec = program;
        m_toolexec_known = true;
    }

    // A saved trace may hold command lines pasted behind a prompt or marker
    // ("$ ", "> ", an emoji): a line nothing else recognised is then tried
    // again from each word on, and counts as the go tool command that follows
    // the junk. On by default (gox parse); the wrapper turns it off (go's own
    // stderr has no pasted lines, and what it shows must stay as go shows it).
    void set_pasted_commands(bool on) { m_pasted = on; }

    std::string_view work_dir() const { return m_work; }
    std::string_view cwd() const { return m_cwd; }
    bool in_heredoc() const { return m_in_heredoc; }
    std::size_t heredocs_cut() const { return m_heredocs_cut; }

    // bNNN number of a path below $WORK or the current work dir, or -1
    // (trace/paths.hpp).
    int objdir_of(std::string_view path) const { return trace::objdir_of(path, m_work); }

    // trace/paths.hpp's, for the callers that know them by these names.
    static bool is_cache_entry(std::string_view path) { return trace::is_cache_entry(path); }
    static std::string_view cache_root(std::string_view path) { return trace::cache_root(path); }

private:
    const Event& classify(std::string_view line);
    const Event& classify_command(std::string_view line);
    // classify's and classify_command's steps (inline: defined and used in
    // tokenizer.cpp only, so the compiler folds them back into their callers).
    inline const Event* shell_line(std::string_view line);
    inline const Event& work_line(std::string_view line);
    inline const Event& mkdir_line(std::string_view p);
    inline const Event& cd_line(std::string_view d);
    inline const Event& cp_line(std::string_view rest);
    inline const Event* c_line(std::string_view line);
    inline const Event* echo_line(std::string_view rest);
    inline const Event* comment_line(std::string_view line);
    inline std::pair<GoTool, std::size_t> find_tool();
    inline void objdir_from_flag(std::string_view flag);
    inline void path_word(std::size_t i);
    inline const Event& tool_event(GoTool tool, std::size_t ti);
    inline const Event* program_event();
    inline const Event* c_compiler_event(std::string_view line);
    inline const Event& output_line(std::string_view line);
    const Event& finish_event(Kind k);
    void start_heredoc(std::string_view path);
    std::pair<std::string_view, std::string_view> split_two_paths(std::string_view rest) const;
    const Event* pasted_command(std::string_view line);

    struct Patterns;
    std::unique_ptr<Patterns> m_re;
    Event m_ev;
    CommandParser m_parser;
    CommandLine m_cmd;
    std::string m_work;     // absolute work dir of the current invocation
    std::string m_cwd;      // last printed cd
    std::string m_heredoc;  // path of the open heredoc
    WriteTarget m_heredoc_target = WriteTarget::None;
    int m_heredoc_objdir = -1;
    bool m_in_heredoc = false;
    bool m_in_block = false; // after a "# pkg" header, until the next trace line
    std::string m_toolexec;  // set_toolexec
    bool m_toolexec_known = false;
    std::size_t m_heredocs_cut = 0;
    bool m_pasted = true;    // set_pasted_commands
    bool m_in_rescue = false;
};

} // namespace gox::trace
