#pragma once
// Why a package was rebuilt. One table defines every reason id once, with a
// one-line description and a remedy; the JSON and text reports and the man
// page use these ids and no other spelling. Reasons are decided here, where
// the evidence is: this run's action and content IDs against the previous run
// of the same package in the history store, refined by hash inputs (--why).

#include <gox/history/store.hpp>
#include <gox/model/build.hpp>

#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// X(id, name, description, remedy)
#define GOX_REASONS(X)                                                                                             \
    X(NoHistory, "no_history", "first run gox has recorded for this package", "run again: the next run is compared with this one") \
    X(Forced, "forced", "-a rebuilds every package", "drop -a")                                                     \
    X(VerifyMode, "verify_mode", "GODEBUG=gocacheverify=1 makes every cache lookup miss", "unset gocacheverify in GODEBUG") \
    X(CacheEntryMissing, "cache_entry_missing", "inputs unchanged, but the cache entry was gone (trimmed, cleaned, another GOCACHE, or unreadable)", "keep GOCACHE between runs; in CI restore all of it and check it is the same path") \
    X(InputsChanged, "inputs_changed", "the package's own inputs changed (its action ID differs)", "run with --why to name the input") \
    X(DependencyChanged, "dependency_changed", "a package it imports has new compiled output", "see the reason of that dependency") \
    X(SourceFileChanged, "source_file_changed", "a source file changed", "") \
    X(SourceFileAdded, "source_file_added", "a source file was added", "") \
    X(SourceFileRemoved, "source_file_removed", "a source file was removed (or excluded)", "") \
    X(EmbedFileChanged, "embed_file_changed", "a //go:embed file changed", "") \
    X(ToolchainChanged, "toolchain_changed", "the Go version changed", "pin the toolchain (go.mod toolchain line, GOTOOLCHAIN)") \
    X(GcflagsChanged, "gcflags_changed", "-gcflags (or -race/-msan/-asan/-buildmode) changed", "use the same flags in every build that shares the cache") \
    X(AsmflagsChanged, "asmflags_changed", "-asmflags changed", "use the same flags in every build") \
    X(LdflagsChanged, "ldflags_changed", "-ldflags changed", "use the same -ldflags in every build") \
    X(BuildTagsChanged, "build_tags_changed", "the set of files changed with the build tags", "use the same -tags in every build") \
    X(EnvChanged, "env_changed", "an environment variable that is a build input changed", "keep it the same between builds") \
    X(CgoToolchainChanged, "cgo_toolchain_changed", "the C compiler (or its version) changed", "pin CC") \
    X(PackageDirChanged, "package_dir_changed", "the package's directory moved (the path is an input without -trimpath)", "build with -trimpath") \
    X(GoDirectiveChanged, "go_directive_changed", "the go directive in go.mod changed", "") \
    X(VcsStampChanged, "vcs_stamp_changed", "the version-control stamp changed (new commit or dirty tree)", "build with -buildvcs=false where the stamp is not needed") \
    X(ModuleVersionChanged, "module_version_changed", "a dependency module's version changed", "") \
    X(LinkInputsChanged, "link_inputs_changed", "an input of the link changed", "") \
    X(UncacheableFlag, "uncacheable_flag", "a test flag (or naming no package) makes go not cache the result", "drop the flag (e.g. -count=1) where caching is wanted") \
    X(TestBinaryChanged, "test_binary_changed", "the test binary changed (a package in it, a build flag, GOFLAGS or the Go version)", "") \
    X(TestArgsChanged, "test_args_changed", "the cacheable test flags changed (-run, -v, -short, -timeout, ...): each set has its own result", "") \
    X(TestEnvChanged, "test_env_changed", "an environment variable the test read changed, was set or was unset (GODEBUG counts from Go 1.23)", "") \
    X(TestFileChanged, "test_file_changed", "a file or directory the test read changed, was added or was removed", "") \
    X(TestFileTooNew, "test_file_too_new", "a file the test read was modified less than 2 s before go test hashed it, so go neither looked the result up nor cached it", "keep generated test inputs older than 2 s (write them before go test, or set their mtime)") \
    X(TestNotCachedBefore, "test_not_cached_before", "the previous run of the same test binary with the same inputs left no result: it failed (go caches passing results only) or ran with an uncacheable flag", "") \
    X(TestInputsChanged, "test_inputs_changed", "an env var or file the test read changed, or its cached result was gone", "run gox --why test to tell which") \
    X(TestResultMissing, "test_result_missing", "nothing changed, but the cached test result was gone (go clean -testcache or -cache, or the cache trimmed)", "keep GOCACHE between runs")

enum class Reason {
#define X(id, name, desc, remedy) id,
    GOX_REASONS(X)
#undef X
};

struct ReasonInfo {
    std::string_view id, description, remedy;
};
const std::vector<ReasonInfo>& reason_table();
std::string_view reason_name(Reason r);
const ReasonInfo* find_reason(std::string_view id);
std::optional<Reason> reason_from_name(std::string_view id);

// Why one package was rebuilt, or why one test ran.
struct Verdict {
    std::optional<Reason> reason; // none: not rebuilt (or not run), or unknown
    std::string detail;
    bool output_unchanged = false; // rebuilt, but its content ID is the previous one (cutoff)

    // The reason id ("" without a reason): the spelling JSON and history use.
    std::string_view id() const { return reason ? reason_name(*reason) : std::string_view(); }
};

// What kind of run a go command line is, as far as the packages it builds
// are concerned: "vet" (go vet builds packages with forcelibrary in their
// action IDs) or "build" (build, install, run and test build them alike),
// plus the flags that build a package differently throughout the run
// (-cover, -coverpkg, -covermode, -race, -msan, -asan, and -cover set by
// -coverprofile). A package is compared with its record from the newest
// earlier run of the same kind, else of any kind: after `go test -cover`,
// `go test -coverpkg=./...` and an edit, the next `go test -cover` rebuilt
// the package for the edit, not for coverage.
std::string run_kind(std::string_view verb, const std::vector<std::string>& args);

// The package's record from the newest earlier run of that kind, else from
// the newest earlier run.
std::optional<history::PackageRecord> previous_record(const history::Store& store, const history::Scope& scope,
                                                      const std::string& import_path, const std::string& variant,
                                                      std::int64_t before_run, const std::string& kind);

// Another run to compare with instead of the history's previous one: a JSON
// summary saved on another machine or by another job (a CI artifact of the
// main branch), or a run of the history named by id (gox --baseline).
struct Baseline {
    std::string label; // what to call it in notes: the file, or "run N"
    std::map<std::string, history::PackageRecord> packages; // by import path + '\0' + variant
    std::set<std::string> action_ids;
    std::string go_version;
    nlohmann::json doc; // the summary itself: its key_inputs name the input (cross_diff.hpp)
};
// From a summary document (gox's JSON schema); nullopt and err when it is not one.
std::optional<Baseline> baseline_from_doc(const nlohmann::json& doc, const std::string& label, std::string& err);

struct ReasonContext {
    const history::Store* store = nullptr; // null: no history available
    history::Scope scope;                  // whose runs (history::Scope: a module root, a job, a branch)
    std::string kind;                      // run_kind() of this run ("": newest of any kind)
    std::int64_t this_run = INT64_MAX;      // records before this run are "previous"
    bool forced = false;                   // -a
    bool verify_mode = false;              // GODEBUG=gocacheverify=1
    const Baseline* baseline = nullptr;    // compare with it instead of the store
};

// The verdict of every package of b, in b.packages' order: a reason for each
// rebuilt or failed one (the action graph must have been merged for IDs).
std::vector<Verdict> assign_reasons(const model::Build& b, const ReasonContext& ctx);

// Runs are compared within one module root, but a module that moved (or
// another checkout of it) has no run under its new root, and every package
// would be no_history although the history knows the module. So each run
// records its module path (from go.mod) in its environment fingerprint under
// this key, and the first run at a new root is compared with the newest run
// of the same module path.
inline constexpr const char* kModulePathKey = "(module path)";

// The module path declared in the go.mod file at gomod; "" if unreadable.
std::string module_path_of(const std::string& gomod);

// The newest run (before run id `before`) recorded with module path
// module_path at a root other than other_than: where a module that moved, or
// another checkout of it, ran last. The one lookup by module path (the
// reasons and gox diff use it).
std::optional<history::RunRecord> newest_run_elsewhere(const history::Store& store, const std::string& module_path,
                                                       const std::string& other_than,
                                                       std::int64_t before = INT64_MAX);

// The module root whose runs this run is compared with: module_root if the
// history has a run there, else the root of the newest run recorded with the
// same module path (kModulePathKey), else module_root.
std::string previous_module_root(const history::Store& store, const std::string& module_root,
                                 const std::string& module_path);

} // namespace gox::analysis
