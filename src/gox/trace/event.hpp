#pragma once
// The classification of one stderr line of the go command. One table names
// every kind once; the JSON report, the text report and the man page use these
// ids and no other spelling.

#include <gox/trace/command.hpp>

#include <array>
#include <cstdint>
#include <string_view>

namespace gox::trace {

// X(id, json_name, is_trace): is_trace says the line exists only because of -x
// (a drop-in wrapper hides it); the rest is output plain go shows too.
#define GOX_LINE_KINDS(X)                                                                          \
    X(WorkDir, "work_dir", true)                                                                   \
    X(Mkdir, "mkdir", true)                                                                        \
    X(Cd, "cd", true)                                                                              \
    X(HeredocHeader, "heredoc_header", true)                                                       \
    X(HeredocBody, "heredoc_body", true)                                                           \
    X(HeredocEnd, "heredoc_end", true)                                                             \
    X(EchoWrite, "echo_write", true)                                                               \
    X(Compile, "compile", true)                                                                    \
    X(Asm, "asm", true)                                                                            \
    X(Cgo, "cgo", true)                                                                            \
    X(CgoDynimport, "cgo_dynimport", true)                                                         \
    X(CCompile, "cc", true)                                                                        \
    X(CgoLinkProbe, "cgo_link_probe", true)                                                        \
    X(FlagProbe, "flag_probe", true)                                                               \
    X(Link, "link", true)                                                                          \
    X(Vet, "vet", true)                                                                            \
    X(Cover, "cover", true)                                                                        \
    X(Preprofile, "preprofile", true)                                                              \
    X(Pack, "pack", true)                                                                          \
    X(BuildId, "buildid", true)                                                                    \
    X(OtherTool, "other_tool", true)                                                               \
    X(CacheStore, "cache_store", true)                                                             \
    X(CacheReplay, "cache_replay", true)                                                           \
    X(CacheRestore, "cache_restore", true)                                                         \
    X(Move, "move", true)                                                                          \
    X(Copy, "copy", true)                                                                          \
    X(Remove, "remove", true)                                                                      \
    X(Symlink, "symlink", true)                                                                    \
    X(HeaderNotCreated, "header_not_created", true)                                                \
    X(TestRun, "test_run", true)                                                                   \
    X(RunProgram, "run_program", true)                                                             \
    X(ModFetch, "mod_fetch", true)                                                                 \
    X(Hash, "hash", true)                                                                          \
    X(TestCache, "testcache", true)                                                                \
    X(UserHeader, "user_header", false)                                                            \
    X(UserOutput, "user_output", false)                                                            \
    X(Diagnostic, "diagnostic", false)                                                             \
    X(GoMessage, "go_message", false)                                                              \
    X(PackageName, "package_name", false)                                                          \
    X(TestOutput, "test_output", false)                                                            \
    X(Blank, "blank", false)                                                                       \
    X(Unrecognized, "unrecognized", false)

enum class Kind : std::uint8_t {
#define X(id, name, trace) id,
    GOX_LINE_KINDS(X)
#undef X
};

inline constexpr std::size_t kKindCount = 0
#define X(id, name, trace) +1
    GOX_LINE_KINDS(X)
#undef X
    ;

// (Tables at namespace scope: a constexpr array local to a function is
// rebuilt on every call, and these are asked for every line.)
inline constexpr std::array<std::string_view, kKindCount> kKindNames = {
#define X(id, name, trace) name,
    GOX_LINE_KINDS(X)
#undef X
};
inline constexpr std::array<bool, kKindCount> kKindIsTrace = {
#define X(id, name, trace) trace,
    GOX_LINE_KINDS(X)
#undef X
};

constexpr std::string_view kind_name(Kind k) { return kKindNames[static_cast<std::size_t>(k)]; }

// Whether plain go (without -x) would not print this line.
constexpr bool is_trace_only(Kind k) { return kKindIsTrace[static_cast<std::size_t>(k)]; }

// What a heredoc or echo write writes, by file name.
enum class WriteTarget : std::uint8_t { None, Importcfg, ImportcfgLink, VetCfg, PkgCfg, Other };

// What the end of a trace tells (Tokenizer::end): whether a heredoc was still
// open, and how many heredocs were cut short in all.
struct TraceEnd {
    bool heredoc_open = false;
    std::size_t heredocs_cut = 0;
};

struct Event {
    Kind kind = Kind::Unrecognized;
    std::string_view line;  // the whole line, without "\r\n"
    int objdir = -1;        // bNNN number the line is about, -1 if none
    std::string_view path;  // kind-specific: written file, archive, binary, cache entry...
    std::string_view path2; // second path (cp/mv destination, cache entry of a store)
    std::string_view text;  // kind-specific text: heredoc body line, import path, message
    WriteTarget target = WriteTarget::None; // heredoc/echo writes: which file
    const CommandLine* cmd = nullptr;       // tool commands: the parsed words
    bool toolexec = false;                  // tool ran under a -toolexec program
    bool heredoc_cut = false;               // this clearly-trace line closed a heredoc that had no EOF
};

} // namespace gox::trace
