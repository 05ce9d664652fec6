#include <gox/trace/tokenizer.hpp>
#include <gox/util/strings.hpp>

#include <re2/re2.h>

#include <array>

namespace gox::trace {

using util::base_name;
using util::ends_with;
using util::starts_with;

// The go tools that the go command runs itself (`<GOTOOLDIR>/name[.exe]`).
enum class GoTool : unsigned char { None, Compile, Asm, Cgo, Link, Vet, Cover, Preprofile, Pack, BuildId, Other };

namespace {

re2::RE2::Options re_options() {
    re2::RE2::Options o;
    o.set_encoding(re2::RE2::Options::EncodingLatin1); // arbitrary bytes, no UTF-8 checks
    o.set_log_errors(false);
    o.set_never_capture(true);
    return o;
}

constexpr std::string_view kHeredocTail = " << 'EOF' # internal";


GoTool tool_of(std::string_view program) {
    std::string_view b = base_name(program);
    if (ends_with(b, ".exe")) b.remove_suffix(4);
    static constexpr std::pair<std::string_view, GoTool> kTools[] = {
        {"compile", GoTool::Compile}, {"asm", GoTool::Asm},     {"cgo", GoTool::Cgo},
        {"link", GoTool::Link},       {"vet", GoTool::Vet},     {"cover", GoTool::Cover},
        {"preprofile", GoTool::Preprofile}, {"pack", GoTool::Pack}, {"buildid", GoTool::BuildId},
        {"fix", GoTool::Other},       {"covdata", GoTool::Other}, {"test2json", GoTool::Other},
    };
    for (auto& [name, t] : kTools)
        if (b == name) return t;
    return GoTool::None;
}

bool in_tool_dir(std::string_view program) {
    return program.find("/pkg/tool/") != std::string_view::npos ||
           program.find("\\pkg\\tool\\") != std::string_view::npos;
}

WriteTarget target_of(std::string_view path) {
    std::string_view b = base_name(path);
    if (b == "importcfg") return WriteTarget::Importcfg;
    if (b == "importcfg.link") return WriteTarget::ImportcfgLink;
    if (b == "vet.cfg") return WriteTarget::VetCfg;
    if (b == "pkgcfg.txt") return WriteTarget::PkgCfg;
    return WriteTarget::Other;
}

// Whether the line has a space or other \s character (RE2's \s: [\t\n\f\r ]).
bool has_white_space(std::string_view s) { return s.find_first_of(" \t\n\f\r") != std::string_view::npos; }

} // namespace

struct Tokenizer::Patterns {
    re2::RE2 diagnostic{R"(^(?:[A-Za-z]:)?[^\s:]*\.(?:go|s|S|c|h|cc|cpp|cxx|hh|hpp|m|f|F|syso|mod|sum|work|cgo1\.go)(?::\d+)+: )",
                        re_options()};
    re2::RE2 test_output{
        R"(^(?:(?:ok  |FAIL|\?   )\t\S|--- (?:FAIL|PASS|SKIP): |=== (?:RUN|PAUSE|CONT|NAME) |(?:PASS|FAIL)$|coverage: |panic: |exit status \d+$))",
        re_options()};
    re2::RE2 package_name{R"(^[A-Za-z0-9_][A-Za-z0-9_.~+-]*(?:/[A-Za-z0-9_.~+-]+)*$)", re_options()};
    re2::RE2 action_error{R"(^[A-Za-z0-9_.~+/-]+: \S)", re_options()};
    re2::RE2 mod_fetch_timing{R"(^\d+\.\d{3}s # )", re_options()};
    re2::RE2 c_compiler_hint{R"((?:^| )-(?:ffile-prefix-map|fdebug-prefix-map|frandom-seed)=)", re_options()};
};

Tokenizer::Tokenizer() : m_re(std::make_unique<Patterns>()) {}
Tokenizer::~Tokenizer() = default;

const Event& Tokenizer::finish_event(Kind k) {
    m_ev.kind = k;
    if (is_trace_only(k)) m_in_block = false;
    return m_ev;
}

void Tokenizer::start_heredoc(std::string_view path) {
    m_heredoc.assign(path);
    m_heredoc_target = target_of(path);
    m_heredoc_objdir = objdir_of(path);
    m_in_heredoc = true;
}

bool Tokenizer::finish() {
    bool open = m_in_heredoc;
    if (open) ++m_heredocs_cut;
    m_in_heredoc = false;
    m_in_block = false;
    return open;
}

std::pair<std::string_view, std::string_view> Tokenizer::split_two_paths(std::string_view rest) const {
    // Raw (%s) paths may contain spaces; the work dir is the usual culprit, so
    // skip over it before looking for the separating space.
    std::size_t skip = 0;
    if (!m_work.empty() && starts_with(rest, m_work)) skip = m_work.size();
    // A copy into the objdir (cache restore) from a cache dir with spaces
    // (C:\Users\John Smith\...): the second path is the $WORK one.
    if (auto w = rest.rfind(" $WORK"); w != std::string_view::npos && w > skip)
        return {rest.substr(0, w), rest.substr(w + 1)};
    std::size_t sp = rest.find(' ', skip);
    if (sp == std::string_view::npos) return {rest, {}};
    return {rest.substr(0, sp), rest.substr(sp + 1)};
}

namespace {
// A line that can only be a new command (what ends a heredoc cut short).
// Most heredoc lines (importcfg, vet.cfg) fail the first-byte switch and
// have no space or a short first word, so this stays cheap.
bool clearly_trace(std::string_view line) {
    if (line.empty()) return false;
    switch (line[0]) {
    case 'W':
        if (starts_with(line, "WORK=")) return true;
        break;
    case 'm':
        if (starts_with(line, "mkdir -p ")) return true;
        break;
    case 'c':
        if (starts_with(line, "cat >") || starts_with(line, "cd ")) return true;
        break;
    default:
        break;
    }
    auto sp = line.find(' ');
    return sp != std::string_view::npos && in_tool_dir(line.substr(0, sp));
}
} // namespace

// feed() resets the event field by field: a new field must be reset there too.
static_assert(sizeof(Event) == 104 || sizeof(void*) != 8, "Event changed: update the field reset in Tokenizer::feed");

const Event& Tokenizer::feed(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    m_ev.line = line; // the other fields as in Event{}, set one by one (cheaper than a copy)
    m_ev.objdir = -1;
    m_ev.path = m_ev.path2 = m_ev.text = {};
    m_ev.target = WriteTarget::None;
    m_ev.cmd = nullptr;
    m_ev.toolexec = m_ev.heredoc_cut = false;
    m_ev.kind = Kind::Unrecognized;

    if (m_in_heredoc) {
        // A heredoc ends at the first line that ends with "EOF" (content
        // without a final newline glues the terminator on: "}EOF"). A line
        // that can only be a new command means the heredoc was cut short
        // (an edited log); close it and classify the line normally.
        // GODEBUG=gocachehash=1 writes straight to stderr, not under go's
        // print lock: a HASH line can land inside a large heredoc's write.
        if (starts_with(line, "HASH[") || starts_with(line, "HASH ")) return finish_event(Kind::Hash);
        if (!clearly_trace(line)) {
            m_ev.path = m_heredoc;
            m_ev.target = m_heredoc_target;
            m_ev.objdir = m_heredoc_objdir;
            if (ends_with(line, "EOF")) {
                m_in_heredoc = false;
                m_ev.text = line.substr(0, line.size() - 3);
                return finish_event(Kind::HeredocEnd);
            }
            m_ev.text = line;
            return finish_event(Kind::HeredocBody);
        }
        m_in_heredoc = false;
        ++m_heredocs_cut;
        m_ev.heredoc_cut = true; // kept by classify(), which does not reset m_ev
    }
    return classify(line);
}

// The per-line hot path, in named steps. The steps are defined `inline` in
// this file only (declared private in the header), so the compiler folds them
// back into classify and classify_command: the split costs nothing at run time
// (measured with callgrind on a bench/make_big_trace.py trace).

// "WORK=/tmp/go-build123": a new invocation.
inline const Event& Tokenizer::work_line(std::string_view line) {
    m_work.assign(line.substr(5));
    m_cwd.clear();
    m_ev.path = m_work;
    return finish_event(Kind::WorkDir);
}

// "mkdir -p DIR", or a module fetch's "mkdir -p DIR # git3 URL".
inline const Event& Tokenizer::mkdir_line(std::string_view p) {
    auto hash = p.find(" # ");
    if (hash != std::string_view::npos) {
        m_ev.path = p.substr(0, hash);
        return finish_event(Kind::ModFetch);
    }
    m_ev.path = p;
    m_ev.objdir = objdir_of(p);
    return finish_event(Kind::Mkdir);
}

namespace {
// "cd DIR; git ..." (a module fetch through a version control tool).
bool is_vcs_cd(std::string_view d) {
    return d.find("; ") != std::string_view::npos && d.find(" # ") == std::string_view::npos &&
           (d.find("; git ") != std::string_view::npos || d.find("; hg ") != std::string_view::npos ||
            d.find("; svn ") != std::string_view::npos || d.find("; bzr ") != std::string_view::npos ||
            d.find("; fossil ") != std::string_view::npos);
}
} // namespace

// "cd DIR", or a module fetch's "cd DIR; git ...".
inline const Event& Tokenizer::cd_line(std::string_view d) {
    if (is_vcs_cd(d)) {
        m_ev.path = d.substr(0, d.find("; "));
        return finish_event(Kind::ModFetch);
    }
    m_cwd.assign(d);
    m_ev.path = m_cwd;
    m_ev.objdir = objdir_of(d);
    return finish_event(Kind::Cd);
}

// "cp SRC DST [# internal]": a cache store, a cache restore or a plain copy.
inline const Event& Tokenizer::cp_line(std::string_view rest) {
    bool internal = ends_with(rest, " # internal");
    if (internal) rest.remove_suffix(11);
    std::tie(m_ev.path, m_ev.path2) = split_two_paths(rest);
    if (internal && is_cache_entry(m_ev.path2)) {
        m_ev.objdir = objdir_of(m_ev.path);
        return finish_event(Kind::CacheStore);
    }
    if (is_cache_entry(m_ev.path) && objdir_of(m_ev.path2) >= 0) {
        m_ev.objdir = objdir_of(m_ev.path2);
        return finish_event(Kind::CacheRestore);
    }
    m_ev.objdir = objdir_of(m_ev.path);
    return finish_event(Kind::Copy);
}

// The lines that start with 'c': cd, a heredoc's "cat >", a cache replay's
// "cat ... # internal", cp. nullptr for none of them.
inline const Event* Tokenizer::c_line(std::string_view line) {
    if (starts_with(line, "cd ")) return &cd_line(line.substr(3));
    if (starts_with(line, "cat >") && ends_with(line, kHeredocTail)) {
        start_heredoc(line.substr(5, line.size() - 5 - kHeredocTail.size()));
        m_ev.path = m_heredoc;
        m_ev.target = m_heredoc_target;
        m_ev.objdir = m_heredoc_objdir;
        return &finish_event(Kind::HeredocHeader);
    }
    if (starts_with(line, "cat ") && ends_with(line, "  # internal")) {
        m_ev.path = line.substr(4, line.size() - 4 - 12);
        return &finish_event(Kind::CacheReplay);
    }
    if (starts_with(line, "cp ")) return &cp_line(line.substr(3));
    return nullptr;
}

// "echo [-n] > PATH" or "echo 'CONTENT' >[>] PATH" [# internal], after
// "echo "; nullptr for another echo.
inline const Event* Tokenizer::echo_line(std::string_view rest) {
    if (ends_with(rest, " # internal")) rest.remove_suffix(11);
    std::string_view content, path;
    if (starts_with(rest, "-n > ")) {
        path = rest.substr(5);
    } else if (starts_with(rest, "> ")) {
        path = rest.substr(2);
    } else if (starts_with(rest, "'")) {
        auto gt = rest.rfind("' >");
        if (gt == std::string_view::npos || gt == 0) return nullptr;
        content = rest.substr(1, gt - 1);
        path = rest.substr(gt + 3);
        if (starts_with(path, ">")) path.remove_prefix(1);
        if (starts_with(path, " ")) path.remove_prefix(1);
    } else {
        return nullptr;
    }
    m_ev.path = path;
    m_ev.text = content;
    m_ev.target = target_of(path);
    m_ev.objdir = objdir_of(path);
    return &finish_event(Kind::EchoWrite);
}

// "# get URL", "# lock ...", "# DIR not created", "# pkg"; nullptr for "#".
inline const Event* Tokenizer::comment_line(std::string_view line) {
    if (starts_with(line, "# get ") || starts_with(line, "# lock ")) return &finish_event(Kind::ModFetch);
    if (starts_with(line, "# ") && ends_with(line, " not created")) {
        m_ev.path = line.substr(2, line.size() - 2 - 12);
        m_ev.objdir = objdir_of(m_ev.path);
        return &finish_event(Kind::HeaderNotCreated);
    }
    if (starts_with(line, "# ") && line.size() > 2) {
        m_ev.text = line.substr(2);
        m_in_block = true;
        return &finish_event(Kind::UserHeader);
    }
    return nullptr;
}

// The shell-like lines -x prints for the go command's own steps, told apart
// by their first byte; nullptr for anything else.
inline const Event* Tokenizer::shell_line(std::string_view line) {
    switch (line[0]) {
    case 'W':
        if (starts_with(line, "WORK=")) return &work_line(line);
        break;
    case 'H':
        if (starts_with(line, "HASH[") || starts_with(line, "HASH ")) return &finish_event(Kind::Hash);
        break;
    case 't':
        if (starts_with(line, "testcache: ")) return &finish_event(Kind::TestCache);
        break;
    case 'm':
        if (starts_with(line, "mkdir -p ")) return &mkdir_line(line.substr(9));
        if (starts_with(line, "mv ")) {
            std::tie(m_ev.path, m_ev.path2) = split_two_paths(line.substr(3));
            m_ev.objdir = objdir_of(m_ev.path);
            return &finish_event(Kind::Move);
        }
        break;
    case 'c': return c_line(line);
    case 'e':
        if (starts_with(line, "echo ")) return echo_line(line.substr(5));
        break;
    case 'r':
        if (starts_with(line, "rm -r ") || starts_with(line, "rm -rf ")) {
            m_ev.path = line.substr(line[5] == 'f' ? 7 : 6);
            m_ev.objdir = objdir_of(m_ev.path);
            return &finish_event(Kind::Remove);
        }
        break;
    case 'l':
        if (starts_with(line, "ln -s ")) {
            std::tie(m_ev.path, m_ev.path2) = split_two_paths(line.substr(6));
            return &finish_event(Kind::Symlink);
        }
        break;
    case '#': return comment_line(line);
    case 'g':
        if (starts_with(line, "go: ")) {
            m_ev.text = line.substr(4);
            return &finish_event(Kind::GoMessage);
        }
        break;
    default:
        break;
    }
    return nullptr;
}

const Event& Tokenizer::classify(std::string_view line) {
    if (line.empty()) return finish_event(m_in_block ? Kind::UserOutput : Kind::Blank);
    if (const Event* ev = shell_line(line)) return *ev;
    // (^\d+\.\d{3}s # : only a line starting with a digit can match.)
    if (line[0] >= '0' && line[0] <= '9' && re2::RE2::PartialMatch(line, m_re->mod_fetch_timing))
        return finish_event(Kind::ModFetch);
    return classify_command(line);
}

namespace {
// Cheap gate: tool commands start with an env prefix, a path, a quote, or
// `go tool`; anything else skips the word splitter.
bool may_be_command(std::string_view line) {
    char c0 = line[0];
    bool start = c0 == '/' || c0 == '"' || c0 == '$' || c0 == '.' || (c0 >= 'A' && c0 <= 'Z') ||
                 (c0 >= 'a' && c0 <= 'z') || c0 == '\\';
    return start && (c0 == '/' || c0 == '$' || line.find(' ') != std::string_view::npos);
}
} // namespace

// Which go tool the parsed command runs, and its word's index: the command
// itself, `go tool NAME`, or behind a -toolexec program (then m_ev.toolexec).
inline std::pair<GoTool, std::size_t> Tokenizer::find_tool() {
    const auto& w = m_cmd.words;
    // 1.25+: go tool pack / buildid; and `<GOROOT>/bin/go tool covdata
    // percent -i $WORK/bNNN` (go test -cover of a package without tests).
    std::string_view w0 = w.empty() ? std::string_view() : base_name(w[0]);
    if (ends_with(w0, ".exe")) w0.remove_suffix(4);
    if (w.size() >= 3 && w0 == "go" && w[1] == "tool") return {tool_of(w[2]), 2};
    if (tool_of(w[0]) != GoTool::None && (in_tool_dir(w[0]) || w[0].find_first_of("/\\") == std::string_view::npos))
        return {tool_of(w[0]), 0};
    if (!m_toolexec_known || (!m_toolexec.empty() && base_name(w[0]) == base_name(m_toolexec))) {
        // (By base name: -x prints /abs/dir/prog as ./prog after `cd /abs/dir`.)
        // -toolexec: the wrapper program comes first, the tool path later.
        for (std::size_t i = 1; i < w.size() && i < 8; ++i) {
            if (tool_of(w[i]) != GoTool::None && in_tool_dir(w[i])) {
                m_ev.toolexec = true;
                return {tool_of(w[i]), i};
            }
        }
    }
    return {GoTool::None, 0};
}

inline void Tokenizer::objdir_from_flag(std::string_view flag) {
    std::string_view v = m_cmd.flag(flag);
    m_ev.path = v;
    m_ev.objdir = objdir_of(v);
}

// The event of a go tool's command line (ti: the tool's word).
inline const Event& Tokenizer::tool_event(GoTool tool, std::size_t ti) {
    const auto& w = m_cmd.words;
    switch (tool) {
    case GoTool::Compile:
    case GoTool::Asm:
        objdir_from_flag("-o");
        m_ev.text = m_cmd.flag("-p");
        return finish_event(tool == GoTool::Compile ? Kind::Compile : Kind::Asm);
    case GoTool::Cgo:
        if (!m_cmd.flag("-dynimport").empty()) {
            objdir_from_flag("-dynout");
            return finish_event(Kind::CgoDynimport);
        }
        objdir_from_flag("-objdir");
        m_ev.text = m_cmd.flag("-importpath");
        return finish_event(Kind::Cgo);
    case GoTool::Link:
        objdir_from_flag("-o");
        m_ev.path2 = m_cmd.flag("-importcfg");
        if (m_ev.objdir < 0) m_ev.objdir = objdir_of(m_ev.path2);
        if (!w.empty()) m_ev.text = w.back(); // the main package archive
        return finish_event(Kind::Link);
    case GoTool::Vet:
        if (w.size() > ti + 1) path_word(w.size() - 1);
        return finish_event(Kind::Vet);
    case GoTool::Cover:
        objdir_from_flag(m_cmd.flag("-pkgcfg").empty() ? "-o" : "-pkgcfg");
        return finish_event(Kind::Cover);
    case GoTool::Preprofile:
        objdir_from_flag("-o");
        return finish_event(Kind::Preprofile);
    case GoTool::Pack:
        if (w.size() > ti + 2) path_word(ti + 2);
        return finish_event(Kind::Pack);
    case GoTool::BuildId:
        if (w.size() > ti + 2) path_word(w.size() - 1);
        return finish_event(Kind::BuildId);
    case GoTool::Other:
    case GoTool::None:
        break;
    }
    return finish_event(Kind::OtherTool);
}

inline void Tokenizer::path_word(std::size_t i) {
    m_ev.path = m_cmd.words[i];
    m_ev.objdir = objdir_of(m_ev.path);
}

// A test binary ($WORK/b001/pkg.test) or a go run program ($WORK/b001/exe/name
// or, 1.24+, a cached executable), possibly behind a -exec program; nullptr
// for neither. (Not a flag's value: `prog -o $WORK/b001/x.test` is something
// else, e.g. a -toolexec program logging the link it runs.)
inline const Event* Tokenizer::program_event() {
    const auto& w = m_cmd.words;
    auto flag_value = [&](std::size_t i) { return i > 0 && starts_with(w[i - 1], "-"); };
    for (std::size_t i = 0; i < w.size() && i < 4; ++i) {
        std::string_view b = base_name(w[i]);
        if ((ends_with(b, ".test") || ends_with(b, ".test.exe")) && objdir_of(w[i]) >= 0 && !flag_value(i)) {
            path_word(i);
            return &finish_event(Kind::TestRun);
        }
    }
    for (std::size_t i = 0; i < w.size() && i < 4; ++i) {
        if (flag_value(i)) continue;
        if ((objdir_of(w[i]) >= 0 && w[i].find("/exe/") != std::string_view::npos) ||
            (w[i].find("-d/") != std::string_view::npos && is_cache_entry(w[i]))) {
            path_word(i);
            return &finish_event(Kind::RunProgram);
        }
    }
    return nullptr;
}

// The C compiler (cgo): CC comes from the environment, so it is recognised
// by what the go command adds to its command lines; nullptr for another
// command.
inline const Event* Tokenizer::c_compiler_event(std::string_view line) {
    bool term_dumb = !m_cmd.env.empty() && m_cmd.env.front().first == "TERM";
    if (m_cmd.or_true && m_cmd.has_word("-x") && m_cmd.has_word("c") && m_cmd.has_word("-"))
        return &finish_event(Kind::FlagProbe);
    std::string_view out = m_cmd.flag("-o");
    if (!m_cmd.annotation.empty() && m_cmd.annotation != "internal") {
        m_ev.path = out;
        m_ev.objdir = objdir_of(out);
        return &finish_event(Kind::CgoLinkProbe);
    }
    if (!(term_dumb || re2::RE2::PartialMatch(line, m_re->c_compiler_hint) ||
          (!out.empty() && objdir_of(out) >= 0 && (ends_with(out, ".o") || ends_with(out, ".obj")))))
        return nullptr;
    m_ev.path = out;
    m_ev.objdir = objdir_of(out);
    // Go 1.19 runs gcc in the objdir with a relative -o (./_x001.o);
    // the objdir is then in -f{file,debug}-prefix-map=$WORK/bNNN=...
    for (std::string_view f : {"-ffile-prefix-map", "-fdebug-prefix-map"}) {
        if (m_ev.objdir >= 0) break;
        std::string_view v = m_cmd.flag(f);
        m_ev.objdir = objdir_of(v.substr(0, v.find('=')));
    }
    return &finish_event(base_name(out) == "_cgo_.o" ? Kind::CgoLinkProbe : Kind::CCompile);
}

// A line that is no command: go's and the user's output.
inline const Event& Tokenizer::output_line(std::string_view line) {
    if (m_in_block) return finish_event(Kind::UserOutput);
    // Each regex behind a test that any line it matches passes.
    const bool colon_space = line.find(": ") != std::string_view::npos;
    if (colon_space && re2::RE2::PartialMatch(line, m_re->diagnostic)) return finish_event(Kind::Diagnostic);
    if (std::string_view("oF?-=Pcpe").find(line[0]) != std::string_view::npos &&
        re2::RE2::PartialMatch(line, m_re->test_output))
        return finish_event(Kind::TestOutput);
    if (starts_with(line, "go build ") || starts_with(line, "go test ") || starts_with(line, "go install ") ||
        starts_with(line, "go vet ") || starts_with(line, "go run "))
        return finish_event(Kind::GoMessage);
    if (!has_white_space(line) && re2::RE2::PartialMatch(line, m_re->package_name)) return finish_event(Kind::PackageName);
    if (colon_space && re2::RE2::PartialMatch(line, m_re->action_error)) return finish_event(Kind::GoMessage);
    if (m_pasted && !m_in_rescue)
        if (const Event* ev = pasted_command(line)) return *ev;
    return finish_event(Kind::Unrecognized);
}

const Event& Tokenizer::classify_command(std::string_view line) {
    if (may_be_command(line) && m_parser.parse(line, m_cmd)) {
        m_ev.cmd = &m_cmd;
        auto [tool, ti] = find_tool();
        if (tool != GoTool::None) return tool_event(tool, ti);
        if (const Event* ev = program_event()) return *ev;
        if (const Event* ev = c_compiler_event(line)) return *ev;
        m_ev.cmd = nullptr;
    }
    return output_line(line);
}

namespace {
// The kinds of the go command's own tools (<GOTOOLDIR>/name).
bool is_tool_kind(Kind k) {
    switch (k) {
    case Kind::Compile: case Kind::Asm: case Kind::Cgo: case Kind::CgoDynimport: case Kind::Link:
    case Kind::Vet: case Kind::Cover: case Kind::Preprofile: case Kind::Pack: case Kind::BuildId:
    case Kind::OtherTool:
        return true;
    default:
        return false;
    }
}
} // namespace

// "$ /usr/lib/go/pkg/tool/linux_amd64/compile -o ...", "> ...", "🔨 ...":
// junk (at most kMaxJunk bytes, ending in a space) before a go tool command.
// Only for lines nothing else recognised, and only with a tool path in the
// line: the common path pays nothing.
const Event* Tokenizer::pasted_command(std::string_view line) {
    constexpr std::size_t kMaxJunk = 64;
    std::size_t tool = line.find("/pkg/tool/");
    if (tool == std::string_view::npos) tool = line.find("\\pkg\\tool\\");
    if (tool == std::string_view::npos) return nullptr;
    for (std::size_t sp = line.find(' '); sp != std::string_view::npos && sp < tool && sp < kMaxJunk;
         sp = line.find(' ', sp + 1)) {
        std::string_view rest = line.substr(sp + 1);
        if (rest.empty() || rest[0] == ' ') continue;
        m_in_rescue = true;
        const Event& ev = classify_command(rest);
        m_in_rescue = false;
        // A tool as the command itself (not behind another program, which
        // would make the junk a -toolexec program).
        if (is_tool_kind(ev.kind) && !ev.toolexec) return &ev;
        m_ev.objdir = -1;
        m_ev.path = m_ev.path2 = m_ev.text = {};
        m_ev.target = WriteTarget::None;
        m_ev.cmd = nullptr;
        m_ev.toolexec = false;
    }
    return nullptr;
}

} // namespace gox::trace
