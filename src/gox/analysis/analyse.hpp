#pragma once
// The one analysis step after go has exited. A finished model::Build, the
// history and what was collected from the trace on the way (hash inputs,
// test-cache lines, go's error lines) go in; a RunAnalysis comes out: why
// each rebuilt package and each test that ran missed the cache, the
// diagnosis of a failed run (with the cache checks and the clean re-run's
// verdict), and notes. It is a value of its own: nothing is written back into
// the Build. The renderers (report/) and the history record (cli/run_record)
// read both side by side.
//
// What analysis cannot do by itself (re-running go against an empty cache,
// reading cache files) is handed in as functions, so a unit test can drive
// analyse() with recorded inputs and no go at all.

#include <gox/analysis/cache_program.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/history/identity.hpp>
#include <gox/history/store.hpp>
#include <gox/model/build.hpp>
#include <gox/model/diagnosis.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// --baseline: what the run was compared with, and the causes (cross_diff)
// of what it missed that the baseline had.
struct ComparedWith {
    std::string baseline;   // the baseline's label: its file, or "run N"
    std::string go_version; // the baseline's
    bool key_inputs = false; // both carry key inputs (--why on both): causes can be named
    std::size_t compared = 0, differ = 0; // packages with key inputs on both; with another action ID
    nlohmann::ordered_json causes = nlohmann::ordered_json::array(); // causes_json(): largest first
};

struct RunAnalysis {
    std::vector<Verdict> packages; // one per Build::packages, in the same order (or empty)
    std::vector<Verdict> tests;    // one per Build::tests, in the same order (or empty)
    // This run's record of every test that ran or was cached, by import
    // path: what the history keeps for the next run's test reasons.
    std::map<std::string, TestRecord> test_records;
    std::optional<model::Diagnosis> diagnosis; // failed runs only
    std::optional<ComparedWith> compared_with; // --baseline only
    std::optional<CacheProgramAnalysis> cache_program; // gox --cacheprog only
    std::vector<std::string> notes;            // said in the summary and reports
    std::vector<std::string> warnings;         // what went wrong in the analysis (the wrapper prints them)

    // The verdict of package i / test i; an empty verdict when there is none.
    const Verdict& package(std::size_t i) const;
    const Verdict& test(std::size_t i) const;
};

// The analysis of a run nothing was analysed for: no verdicts, no diagnosis.
const RunAnalysis& no_analysis();

// Where a run belongs in the history: the module root it is compared
// within (the root of an earlier checkout when the module moved) and the
// module path read from go.mod.
struct RunPlace {
    std::string cwd;          // where go ran (-C's dir)
    std::string module_root;  // this run's (GOMOD's dir, else cwd)
    std::string module_path;  // "" when there is no go.mod
    std::string compare_root; // whose runs this one is compared with
    // With who ran it (history/identity.hpp): the project (the module path,
    // else the module root) and the scope the package reasons compare with,
    // the first of these that has a run: this job (in CI), else this
    // checkout on this host; then the same branch anywhere; then main; then
    // compare_root on any host. A note names the baseline run when it ran
    // on another host or in another run of the job.
    std::string project;
    history::Identity who;
    history::Scope compare;     // key "" without an identity: compare_root
    std::string baseline_note;
};
// From go env's GOMOD and the working dir; compare_root (and compare, given
// who ran it) from the store.
RunPlace place_of(const std::string& gomod, const std::string& cwd, const history::Store* store,
                  const history::Identity* who = nullptr);

// What a failed run's diagnosis may do besides reading: check the suspects'
// cache files, and re-run the command against an empty cache. The wrapper
// gives its own (cli/repro.cpp); either may be empty.
struct FailureFollowUp {
    std::function<std::vector<model::EntryCheck>(const model::Build&, const model::Diagnosis&)> verify_suspects;
    std::function<model::Repro(const model::Diagnosis&)> reproduce;
    bool verify_always = false; // --verify-suspects: on any failure, not only the cache's
    bool repro_always = false;  // --repro-clean: on any failure, not only the cache's
    bool repro_never = false;   // --no-repro
};

// Everything about the run besides the Build, as plain data.
struct RunFacts {
    std::string verb;               // build, test, vet... ("" for a saved trace)
    std::vector<std::string> args;  // go's arguments after the verb
    nlohmann::json env;             // the environment fingerprint (go env values)
    std::string godebug;            // gox's own GODEBUG (the user's), for gocacheverify
    std::string test_godebug;       // GODEBUG as go test saw it (with what --why adds)
    RunPlace place;
    DiagContext diag;               // exit status, interruption, places go writes to
    bool saved_trace = false;       // gox parse: no history, no cache to check
    bool dry_run = false;           // go -n: nothing ran, nothing to diagnose
    const Baseline* baseline = nullptr; // --baseline: the run package reasons compare with
    // The ages of GOCACHE's entries (with --why or --baseline; null without):
    // what says whether a miss with an unchanged key was a cache that was
    // not restored, trimmed, or saved at the wrong time (cache_evidence.hpp).
    nlohmann::json cache_evidence;
};

// What was collected while go ran; each may be null.
struct Collected {
    const std::map<std::string, std::string>* inputs = nullptr;      // --why: hash inputs by action ID
    const std::map<std::string, std::string>* test_inputs = nullptr; // --why: testInputs by sum
    const TestCacheCollector* testcache = nullptr;                   // go test's testcache lines
    const ErrorCollector* errors = nullptr;                          // go's error lines
    const CacheProgramRun* cacheprog = nullptr;                      // gox --cacheprog: its record
};

// The analysis of one run. store may be null (no history, or it could not
// be opened). A step that fails (a broken history, say) becomes a warning
// and leaves its verdicts empty; the others still run.
RunAnalysis analyse(const model::Build& b, const history::Store* store, const RunFacts& facts, const Collected& in,
                    const FailureFollowUp& follow_up = {});

// The history rows of a run: every package with its verdict (hash inputs,
// from inputs by action ID, only where the next run may need them: the
// module's packages and whatever was rebuilt) and each test result whose
// record was decided.
std::vector<history::PackageRecord> history_records(const model::Build& b, const RunAnalysis& a,
                                                    const std::map<std::string, std::string>& inputs);

} // namespace gox::analysis
