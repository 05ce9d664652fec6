#pragma once
// What gox's cache program served in a wrapped run (gox --cacheprog), read
// from its record (cacheprog/record.hpp) after go exits and joined to the
// model's packages through action IDs: the action graph's ActionID is the
// base64url of the first 15 bytes of the full ID a get asks for, and the
// entries go keeps beside a build (its compiler output, "stdout"; a link's
// output, "link-stdout"; "srcfiles"; "fix.zip"; "_cgo_install.h") are subkeys of that full
// ID (SHA-256 of "subkey:" + parent + name), so they are attributed too.
// A test result's gets are tied to its test through the test ID
// (test_key.hpp: the link's action ID or the binary's content ID, hashed with
// go test's cacheable flags) and, for the output go looks up under a subkey
// of the test ID and of what the test read, through that output's last line
// ("ok  \tP\t...", read from the local tier's GOCACHE). Gets that match
// nothing (vet, go list's module index, the output lookup of a test that
// then failed) are counted as not attributed.
//
// Per package: hit or miss (and from which tier), bytes, the time go waited
// and, for a hit, the compile time it saved (the package's last rebuild in
// the history): a fetch slower than that compile is a negative saving.
// Causes name what went wrong, from one table (GOX_CACHEPROG_CAUSES).

#include <gox/cacheprog/record.hpp>
#include <gox/history/store.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gox::analysis {

// X(id, name, description): every cause the cache program section names.
#define GOX_CACHEPROG_CAUSES(X)                                                                                       \
    X(NotStarted, "cacheprog_not_started",                                                                            \
      "go never started the cache program: GOCACHEPROG needs go 1.24 or later (go ignored it)")                      \
    X(UpstreamErrors, "upstream_errors",                                                                              \
      "the upstream answered gets with errors; go took each as a miss and compiled (go itself says nothing)")        \
    X(UpstreamDied, "upstream_died",                                                                                  \
      "the upstream exited or broke the protocol mid-build: every later get missed and every later put stayed local") \
    X(DiskPathVanished, "upstream_diskpath_vanished",                                                                 \
      "the upstream answered a hit with a DiskPath that was gone or not the output: a miss")                         \
    X(NegativeSavings, "negative_savings",                                                                            \
      "a hit took longer to fetch than the package took to compile when it was last rebuilt")                        \
    X(LocalDiskFull, "local_disk_full",                                                                               \
      "the local tier could not store (no space left, quota or file size limit): outputs were not kept in GOCACHE")  \
    X(LocalErrors, "local_store_errors", "the local tier failed to read or store entries")                           \
    X(ProgramProblems, "cacheprog_problems", "the cache program recorded problems of its own (the upstream's stderr, unreadable requests)")

enum class CacheCause : std::uint8_t {
#define X(id, name, desc) id,
    GOX_CACHEPROG_CAUSES(X)
#undef X
};
const char* cause_name(CacheCause c);
const char* cause_description(CacheCause c);
std::vector<CacheCause> all_cache_causes();

// The inputs: the record, the action graph (for the link and cgo actions'
// IDs; may be null) and the upstream gox put behind it ("" for none).
struct CacheProgramRun {
    const cacheprog::RecordLog* log = nullptr;
    const model::ActionGraph* graph = nullptr;
    std::string upstream;
    // go test: test_key_text() of its arguments (nullopt: not cacheable, or
    // not a test) and the cache salts to try (GOVERSION as go env and the
    // trace gave it).
    std::optional<std::string> test_key;
    std::vector<std::string> test_salts;
};

// What the record says of one package of Build::packages.
struct PackageCacheUse {
    std::string get;        // hit, miss, error; "" when go asked nothing for it
    std::string source;     // local or upstream (a hit)
    std::int64_t gets = 0;  // its build's get and its subkeys'
    std::int64_t bytes = 0; // of the hits among them
    double wait_seconds = 0;
    std::string error;      // the first tier error of its gets
    std::optional<double> compile_seconds; // its last rebuild (hits fetched slowly enough to ask)
    bool negative_savings = false;
};

// What the record says of one test result of Build::tests.
struct TestCacheUse {
    std::string id_get;     // under the test ID (the list of what the last passing run read): hit, miss, error, ""
    std::string result_get; // the output under the test ID and those inputs: hit, miss, error, "" (not seen)
    std::string source;     // local or upstream (a result hit)
    std::int64_t gets = 0;
    std::int64_t bytes = 0; // of the hits
    double wait_seconds = 0;
};

struct CacheCauseFound {
    CacheCause cause;
    std::int64_t count = 0;             // requests (packages for negative_savings)
    std::string detail;                 // the first error text, or the figures
    std::vector<std::string> examples;  // a few packages or texts
};

struct CacheProgramAnalysis {
    std::string upstream;
    std::size_t sessions = 0;                      // cache programs go started
    std::map<std::string, cacheprog::CacheCounts> totals; // all (what go saw), local, upstream
    std::vector<PackageCacheUse> packages;         // one per Build::packages (same order)
    std::int64_t attributed_gets = 0, unattributed_gets = 0;
    std::int64_t unattributed_misses = 0; // of the unattributed gets, those that missed
    std::int64_t packages_hit = 0, packages_missed = 0, packages_without_get = 0;
    std::vector<TestCacheUse> tests;               // one per Build::tests (same order)
    std::int64_t tests_hit = 0;                    // result served from the cache
    std::int64_t tests_never_passed = 0;           // test ID missed: no passing run of this binary with these flags
    std::int64_t tests_inputs_changed = 0;         // test ID hit, output missed: what the test read changed
    std::int64_t tests_without_get = 0;            // cacheable tests the record has no get for
    std::int64_t agree = 0;                        // packages whose get says what the model says
    std::vector<std::string> disagreements;        // "P: get hit, model rebuilt"
    std::vector<CacheCauseFound> causes;           // in table order
    std::vector<std::string> problems;             // the record's problem lines (first few)
    std::size_t bad_lines = 0;
};

// The join. store and scope: where the compile times come from (may be
// null: no compile times, no negative savings).
CacheProgramAnalysis analyse_cache_program(const model::Build& b, const CacheProgramRun& run,
                                           const history::Store* store, const history::Scope& scope);

// The summary's JSON object (gox(1), JSON SCHEMA: cache_program) and a
// package's.
nlohmann::ordered_json cache_program_json(const CacheProgramAnalysis& a);
nlohmann::ordered_json package_cache_json(const PackageCacheUse& p);
nlohmann::ordered_json test_cache_json(const TestCacheUse& t);
// What the test results' gets say, as a phrase ("2 from the cache, 1 whose
// files or env vars read changed since it passed"; "" when there were none):
// the text summary's and the reports' wording.
std::string test_results_phrase(std::int64_t hit, std::int64_t never_passed, std::int64_t inputs_changed,
                                std::int64_t without_get);
// The text summary's lines.
std::vector<std::string> cache_program_text(const CacheProgramAnalysis& a, std::size_t max_listed);

} // namespace gox::analysis
