#pragma once
// Diagnosis of a failed run: which package failed first, what was skipped
// because of it, the first error lines as go printed them, and a failure
// class with its evidence and remedy. The classes live in one table (below);
// JSON, text, `gox explain --classes` and the man page all use it.
//
// Classification reads what go printed (the model's failures plus the lines
// an ErrorCollector kept, which include go's messages that name no package)
// and, in the wrapper, facts about the filesystems go writes to. The cache
// checks read cache files and never write to the cache.

#include <gox/model/build.hpp>
#include <gox/model/diagnosis.hpp>
#include <gox/trace/event.hpp>
#include <gox/util/fs_probe.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// X(id, name, about_cache, title, remedy). about_cache: the class points at
// the build cache, so the wrapper re-runs against an empty cache by itself.
#define GOX_FAILURE_CLASSES(X)                                                                     \
    X(Interrupted, "interrupted", false, "go was stopped by a signal before it finished",           \
      "Run the command again; an interrupted build says nothing about the code or the cache.")      \
    X(DiskFull, "disk_full", false, "a filesystem go writes to is full (GOCACHE, the work directory or the output)", \
      "Free space there (gox doctor shows GOCACHE's and GOTMPDIR's free space) or point GOCACHE/GOTMPDIR at another filesystem; `go clean -cache` also frees space.") \
    X(CacheUnusable, "cache_unusable", true, "the build cache cannot be used: GOCACHE is unset, relative or off, or cannot be read or written", \
      "Set GOCACHE to an absolute directory you own and can write (`go env GOCACHE`; `gox doctor` checks it).") \
    X(TempDirUnusable, "temp_dir_unusable", false, "go cannot create its work directory: GOTMPDIR or TMPDIR is missing or not writable", \
      "Point GOTMPDIR (or TMPDIR) at an existing directory you can write, or unset it.")             \
    X(GoEnvironment, "go_environment", false, "go's environment is unusable: a variable it needs is unset or invalid (HOME, GOPATH, GOMODCACHE, GOROOT, GOFLAGS, GOOS/GOARCH, GOEXPERIMENT, GOTOOLCHAIN)", \
      "Set the variable the evidence names: HOME, or GOPATH and GOMODCACHE, to absolute directories you can write (a toolchain switch needs the module cache); fix or unset an invalid GOROOT, GOFLAGS, GOOS/GOARCH, GOEXPERIMENT or GOTOOLCHAIN (`go env` shows them).") \
    X(ToolchainUnavailable, "toolchain_unavailable", false, "the Go toolchain go.mod or GOTOOLCHAIN asks for cannot be had: switching is forbidden, or the download failed", \
      "Install that Go version (and put it on PATH for GOTOOLCHAIN=path), or let go download it: GOTOOLCHAIN=auto (or goX.Y.Z) and a GOPROXY that serves golang.org/toolchain; else lower the go or toolchain line in go.mod.") \
    X(CacheCorrupt, "cache_corrupt", true, "a build cache entry is damaged: its content does not match what go expects", \
      "Evict the damaged entries (gox prints the command), or `go clean -cache`; check the disk and anything else writing to GOCACHE.") \
    X(CacheEntryMissing, "cache_entry_missing", true, "a build cache entry go relied on disappeared during the build", \
      "Run the build again; if it keeps happening, look for a concurrent `go clean -cache`, a cache trim by another go, or a cleaner deleting files under GOCACHE.") \
    X(ToolchainMismatch, "toolchain_mismatch", false, "parts of the build come from different Go versions (GOROOT, the toolchain or installed archives)", \
      "Check `go env GOROOT GOVERSION GOTOOLCHAIN` and the go directive in go.mod; remove stale archives under GOROOT/pkg.") \
    X(CgoToolchain, "cgo_toolchain", false, "the C toolchain cgo needs is missing or failing", \
      "Install a C compiler (or set CC to one), or build with CGO_ENABLED=0 if no package needs cgo.") \
    X(MissingPackageOrModule, "missing_package_or_module", false, "an imported package or required module cannot be found", \
      "Check the import path, run `go mod tidy` (or `go get` the module), and check GOPROXY, GOFLAGS=-mod and network access.") \
    X(CgoError, "cgo_error", false, "the C side of a cgo package failed: a C compiler error in a preamble or a .c file, a missing header or library, or an undefined C name", \
      "Fix the C errors at the file and line shown; for a missing header or library install its development package, or point CGO_CFLAGS (-I) and CGO_LDFLAGS (-L) at it.") \
    X(CompileError, "compile_error", false, "the source does not compile", "Fix the errors shown at the file and line go names.") \
    X(LinkError, "link_error", false, "the link step failed", "Read the linker's error: duplicate or missing symbols, external linker (cgo) problems, or the output path.") \
    X(VetFailure, "vet_failure", false, "go vet (or the vet step of go test) reported problems", "Fix what vet reports, or pass -vet=off to go test to skip it.") \
    X(TestFailure, "test_failure", false, "the tests ran and failed: not a build problem", "Read the failing tests' output, starting at its first error line.") \
    X(Unknown, "unknown", false, "gox could not tell why go failed", "Read go's error output; `gox parse` of the saved trace shows every line gox did not recognise.")

enum class FailureClass : std::uint8_t {
#define X(id, name, cache, title, remedy) id,
    GOX_FAILURE_CLASSES(X)
#undef X
        Count_
};
std::string_view class_name(FailureClass c);
std::string_view class_title(FailureClass c);
std::string_view class_remedy(FailureClass c);
bool class_about_cache(FailureClass c);
std::optional<FailureClass> class_from_name(std::string_view name);
// Every class in table order (which is also the precedence when a run has
// failures of several classes: the most actionable first).
std::vector<FailureClass> all_classes();

// Keeps what diagnosis needs from the trace as it streams: the first lines
// plain go printed (bounded), and the cache files importcfgs named.
class ErrorCollector {
public:
    void on_event(const trace::Event& ev);
    void add_line(std::string_view line);
    const std::vector<std::string>& lines() const { return m_lines; }
    // import path -> cache file (…/xx/<sha256>-d) of the archive it was built from
    const std::map<std::string, std::string>& cache_files() const { return m_cache_files; }

    static constexpr std::size_t kMaxLines = 200;
    static constexpr std::size_t kMaxCacheFiles = 100000;

private:
    std::vector<std::string> m_lines;
    std::map<std::string, std::string> m_cache_files;
};

// Facts about the places go writes to, gathered by the wrapper when a run
// failed (absent for offline traces).
using util::PlaceFacts;
struct DiagContext {
    bool interrupted = false;
    int exit_code = 1;
    std::string gocache; // as go env reports it ("" if unknown)
    std::string goroot;
    std::optional<PlaceFacts> cache_place, temp_place;
    // go's environment as gox started it (HOME, GOPATH, GOMODCACHE,
    // GOTOOLCHAIN, GOPROXY; a variable absent here was unset); only
    // meaningful when env_known (the wrapper), to name the variable at fault.
    std::map<std::string, std::string> env;
    bool env_known = false;
    std::string verb; // build, test, vet... ("" for a saved trace)
};

// The class of one failure's lines (and the line that decided it, "" if the
// kind alone decided).
std::pair<FailureClass, std::string> classify(const std::string& kind, const std::vector<std::string>& lines,
                                              const DiagContext& ctx, const ErrorCollector* ec);

// What the evidence line of a go_environment or toolchain_unavailable
// failure says is at fault (the variable or toolchain, and why), "" if it
// names nothing more than the line does.
std::string fault_note(FailureClass c, std::string_view line, const DiagContext& ctx);

// The diagnosis of a failed run; nullopt when it did not fail. Without an
// ErrorCollector (a saved trace), go's unrecognised lines stand in for it.
std::optional<model::Diagnosis> diagnose(const model::Build& b, const ErrorCollector* ec, const DiagContext& ctx);

// Packages whose cache entries are suspect: named by the errors ("could not
// import P") and the cached direct imports of the packages that failed.
std::vector<std::string> suspects(const model::Build& b, const model::Diagnosis& d, const ErrorCollector& ec);

// Reads each cache file and checks its SHA-256 against its name. Read-only.
// progress(done, total), if given, is called after each file (the caller
// throttles what it draws).
std::vector<model::EntryCheck> verify_cache_files(const std::vector<std::pair<std::string, std::string>>& pkg_files,
                                                  const std::function<void(std::size_t, std::size_t)>& progress = {});

// The JSON form (the "diagnosis" key of the report schema).
nlohmann::ordered_json diagnosis_json(const model::Diagnosis& d);
// Lines for the text summary ("gox: " prefixed by the caller).
std::vector<std::string> diagnosis_text(const model::Diagnosis& d);

// Facts for one place (statvfs, access as the current user).
using util::place_facts;

// The package of a compiler line "…could not import P (reason)" and the
// reason; nullopt for any other line.
std::optional<std::pair<std::string, std::string>> could_not_import(std::string_view line);

// Shell-quoted word (for the evict command).
std::string shell_quote(std::string_view s);

} // namespace gox::analysis
