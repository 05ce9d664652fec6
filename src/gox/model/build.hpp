#pragma once
// The model of one trace: invocations (one per WORK= line), packages keyed by
// objdir ($WORK/bNNN) or, for cache hits that never got an objdir, by their
// cache entry; the steps each one ran; failures; test results. Built by
// BuildBuilder from the tokenizer's events, one line at a time: what it keeps
// grows with the number of packages, not with the number of lines.

#include <gox/trace/event.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gox::model {

#define GOX_OUTCOMES(X)                                                                            \
    X(Rebuilt, "rebuilt", "a compile ran for it in this build")                                    \
    X(CacheHit, "cache_hit", "its compiled archive came from the build cache")                     \
    X(Installed, "installed", "an up-to-date archive under GOROOT/pkg was used (Go 1.19)")         \
    X(Failed, "failed", "its compile (or its cgo or C compile step) ran and failed")                                              \
    X(Unknown, "unknown", "the trace names it but shows neither a compile nor a cache use")

// The evidence that decided a package's outcome: X(id, name, description).
// Each name is one object (kEvCompile...), compared by address inside the
// model; Package::evidence carries the name into the JSON document.
#define GOX_EVIDENCE(X)                                                                            \
    X(Compile, "compile", "rebuilt: a compile ran for it")                                         \
    X(CompileFailed, "compile_failed", "failed: its compile ran and failed")                       \
    X(CgoFailed, "cgo_failed", "failed: its cgo or C compile step failed, go never compiled it")  \
    X(LinkInputCache, "link_input_from_cache", "cache_hit: a link read its archive from the build cache") \
    X(PackagefileCache, "packagefile_from_cache", "cache_hit: an importcfg named its archive in the build cache") \
    X(Installed, "packagefile_from_goroot_pkg", "installed: an importcfg named its archive under GOROOT/pkg (Go 1.19)") \
    X(Replay, "cache_replay", "cache_hit: go replayed its compiler output from the cache")        \
    X(Restore, "cache_restore", "cache_hit: its cgo files were restored from the cache")          \
    X(VetOnly, "vet_without_compile", "cache_hit: its objdir only ran vet, so its archive came from the cache") \
    X(ActionGraph, "actiongraph", "from -debug-actiongraph: a package the trace does not show (a cache hit prints nothing under -x)") \
    X(None, "no_evidence", "unknown: the trace names it but shows neither a compile nor a cache use")

#define X(id, name, desc) inline constexpr char kEv##id[] = name;
GOX_EVIDENCE(X)
#undef X

struct EvidenceInfo {
    const char* id;
    const char* description;
};
inline constexpr EvidenceInfo kEvidenceTable[] = {
#define X(id, name, desc) {kEv##id, desc},
    GOX_EVIDENCE(X)
#undef X
};

enum class Outcome : std::uint8_t {
#define X(id, name, desc) id,
    GOX_OUTCOMES(X)
#undef X
};
std::string_view outcome_name(Outcome o);
std::string_view outcome_description(Outcome o);
// Every outcome, in table order (gox explain --outcomes; test_docs checks the
// man page against it).
inline std::vector<Outcome> all_outcomes() {
    return {
#define X(id, name, desc) Outcome::id,
        GOX_OUTCOMES(X)
#undef X
    };
}

// Steps counted per package (a subset of the line kinds, in report order).
#define GOX_ACTIONS(X)                                                                             \
    X(Compile, "compile") X(Asm, "asm") X(Cgo, "cgo") X(CC, "cc") X(Pack, "pack")                  \
    X(BuildId, "buildid") X(CacheStore, "cache_store") X(CacheReplay, "cache_replay")              \
    X(CacheRestore, "cache_restore") X(Cover, "cover") X(Vet, "vet") X(Link, "link")               \
    X(TestRun, "test_run") X(Install, "install") X(Run, "run")

enum class Action : std::uint8_t {
#define X(id, name) id,
    GOX_ACTIONS(X)
#undef X
    Count_
};
inline constexpr std::size_t kActionCount = static_cast<std::size_t>(Action::Count_);
std::string_view action_name(Action a);

struct Package {
    std::string import_path; // "" when the trace never named it
    std::string for_test;    // "P.test" when this is the test variant built for that test
    int invocation = 0;
    int objdir = -1;         // bNNN, -1 for cache hits seen only as a packagefile
    Outcome outcome = Outcome::Unknown;
    std::string evidence;    // id of what decided the outcome (GOX_EVIDENCE)
    bool standard = false;
    bool main = false;
    std::array<std::uint32_t, kActionCount> actions{};
    // Filled from -debug-actiongraph when merged.
    std::optional<double> seconds; // wall time of its build action
    std::string action_id;         // 20-character build ID form of the action hash
    std::string content_id;        // of its compiled output ("" if it did not finish)
    std::vector<std::string> deps; // import paths of the packages it imports (build actions)
};

struct Failure {
    std::string import_path; // "" when not tied to a package
    std::string kind;        // compile | cgo | link | vet | test | build | go
    std::vector<std::string> first_lines;
    std::size_t line_count = 0;
    int invocation = 0;
};

// One test function's result from go test -json (test2json events).
struct TestCase {
    std::string package;
    std::string name;   // TestX, TestX/sub
    std::string status; // pass | fail | skip
    double elapsed = 0; // seconds, as test2json reports it
    // Its output (failed and skipped tests only), cut in the middle when long:
    // the first lines, the first failure line with its context and the last
    // lines, with "… N lines omitted …" markers (model/test_output.hpp).
    std::vector<std::string> output;
    std::size_t output_lines = 0; // lines of output it printed in all
};

struct TestResult {
    std::string import_path;
    std::string status; // ok | fail | build_failed | setup_failed | no_test_files
    bool cached = false;
    // From -debug-actiongraph (the link of "P.test"), when merged: the link's
    // action ID and the test binary's content ID ("" when it was not linked:
    // a cached result). go looks the result up under a hash of each.
    std::string link_action_id;
    std::string binary_id;
};

struct Invocation {
    std::string work_dir;
    std::string go_version;
    std::string gocache;
    std::uint64_t lines = 0;
};

struct LineStats {
    std::uint64_t total = 0;
    std::uint64_t trace = 0;
    std::uint64_t user = 0;
    std::uint64_t unrecognized = 0;
    std::uint64_t truncated = 0; // lines longer than the reader's cap
    std::uint64_t heredocs_cut = 0;
    std::array<std::uint64_t, trace::kKindCount> by_kind{};
    std::vector<std::string> unrecognized_examples; // first few, clipped
};

// One action of -debug-actiongraph with its times (the report timeline).
struct TimedAction {
    std::string mode;    // build, link, test run, vet, ...
    std::string package;
    double start = 0;    // seconds after the first action started
    double seconds = 0;
    bool ran = false;    // it ran commands (not a cache hit)
    bool critical = false; // on the critical path
};

// Timings from -debug-actiongraph (only when it was merged).
struct Timing {
    double wall = 0;                                    // first start to last finish
    std::vector<std::pair<std::string, double>> by_mode; // summed time of actions that ran, by mode
    std::vector<std::pair<std::string, double>> critical_path; // "mode package", seconds; first to last
    std::vector<TimedAction> actions; // every timed action, by start
};

// Memory bounds of the model, whatever the trace (a CI log of many runs, a
// hostile file): past these, things are counted but not listed, and a note
// says so. Strings kept per package or invocation are clipped to kMaxKeptChars.
inline constexpr std::size_t kMaxObjdirsPerInvocation = 50'000; // tracked one by one
inline constexpr std::size_t kMaxListedPackages = 50'000;       // in Build::packages, all invocations
inline constexpr std::size_t kMaxListedInvocations = 20'000;
inline constexpr std::size_t kMaxListedTests = 50'000;
inline constexpr std::size_t kMaxListedFailures = 1'000;
inline constexpr std::size_t kMaxKeptChars = 1'024;

// What the caps above left out of the lists (still in the counts).
struct Unlisted {
    std::array<std::size_t, 5> packages{}; // by Outcome
    std::size_t packages_rebuilt_user = 0; // rebuilt or failed, not standard
    std::size_t packages_rebuilt_std = 0;
    std::size_t invocations = 0;
    std::size_t tests = 0, tests_run = 0, tests_cached = 0, tests_failed = 0;
    std::size_t failures = 0;
    std::size_t objdirs_untracked = 0; // past kMaxObjdirsPerInvocation: neither listed nor counted as packages
};

// gox parse of a CI log: the line prefix style it recognised (ci_log.hpp).
struct LogInfo {
    std::string format;              // LogFormat::name(): github_actions, gitlab, jenkins, buildkit, ...
    std::uint64_t lines_stripped = 0; // lines whose prefix was removed
    std::uint64_t ci_lines = 0;       // the CI system's own lines (markers, status), not read as go's
    std::size_t streams = 0;          // BuildKit steps read as separate streams (0 without BuildKit)
};

struct Build {
    std::vector<Invocation> invocations;
    std::vector<Package> packages; // sorted by invocation, import path, objdir
    std::vector<Failure> failures;
    std::vector<TestResult> tests;
    std::vector<TestCase> test_cases; // go test -json only, by package and name
    LineStats lines;
    std::string go_version; // of the first invocation that showed one
    bool actiongraph_merged = false;
    bool actiongraph_reused = false; // the graph was one an earlier identical no-op kept (no timings)
    std::optional<Timing> timing;
    std::vector<std::string> notes; // what gox could not work out
    std::optional<LogInfo> log;         // gox parse of a log with a CI prefix; none for a bare trace

    Unlisted unlisted;

    std::size_t count(Outcome o) const; // listed and unlisted
    std::size_t package_count() const;  // listed and unlisted
    std::size_t invocation_count() const { return invocations.size() + unlisted.invocations; }
    bool failed() const { return !failures.empty(); }
};

// Whether an import path looks like the standard library's (first element
// without a dot; not main, command-line-arguments, tests). Used where no
// -std flag says it for sure (cache hits, action-graph-only packages).
bool is_standard_import_path(std::string_view p);

// The report order of packages: invocation, import path, objdir, test.
void sort_packages(std::vector<Package>& pkgs);

class BuildBuilder {
public:
    BuildBuilder();
    ~BuildBuilder();
    void on_event(const trace::Event& ev);
    void on_line_truncated();
    // A line of go's stdout (go test results: "ok  \tP\t(cached)", "FAIL\tP [build failed]").
    void on_stdout_line(std::string_view line);
    Build finish(const trace::TraceEnd& end = {});

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// Adds the model of another stream of the same log (a BuildKit step) after
// `into`'s: its invocations come after, the caps of the lists still hold.
void append_build(Build& into, Build&& from);

// Reads a whole saved trace or CI log from fd (model/saved_log.cpp):
// LineReader → LogDecoder (CI prefixes, ci_log.hpp) → Tokenizer →
// BuildBuilder, one per BuildKit step. When stdout_fd >= 0, go's stdout of
// the same run is read too (test results), with its own prefix detection.
Build parse_trace_fd(int fd, int stdout_fd = -1);
// The same over an in-memory text (tests, fuzzing).
Build parse_trace_text(std::string_view text);

} // namespace gox::model
