#pragma once
// Why a test ran instead of reporting "(cached)": decided once, here, from
// everything go says about the test, compared with what the history keeps of
// its earlier runs.
//
// How go caches a test result (cmd/go/internal/test/test.go, the same in Go
// 1.19, 1.26 and 1.27; the go directive of go.mod plays no part):
//   - The result is looked up under up to two test IDs, each a hash of a key
//     and the cacheable test flags: first the link's action ID (before linking,
//     so that an unchanged test binary need not be linked), then, if that
//     missed and the binary was linked, the binary's content ID. The first hit
//     wins: a cached run prints one "test ID K => T" line (and one "input ID"
//     line), a run after a miss prints two of each. A passing run is saved
//     under both test IDs; a failing one is never saved.
//   - Under a test ID go keeps the list of env vars and files the last saved
//     run read (its test log). It hashes their current values (testInputs:
//     "env NAME <hash>", "open PATH <hash>", "stat ...", "chdir ..."; from Go
//     1.23 GODEBUG always comes first, golang/go#66213) to the input ID, and
//     looks the output up under (test ID, input ID).
//   - A file read by the test whose mtime is less than 2 s old (modTimeCutoff)
//     makes the input ID uncomputable: go neither looks the result up nor
//     saves it ("input file P: file used as input is too new").
//   - Any test flag but -benchtime -cpu -list -parallel -run -short -skip
//     -timeout -failfast -v -fullpath (and -coverprofile -outputdir, which do
//     not count) disables caching; so does naming no package.
//   - go clean -testcache makes older results "expired"; go clean -cache and
//     trimming remove the entries.
// With --why gox sets GODEBUG=gocachetest=1 and reads those lines
// (TestCacheCollector) and, through gocachehash=1, the testInputs records
// (which env var or file). Without --why it has the action graph (the link's
// action ID and the binary's content ID), the flags and the history.

#include <gox/analysis/hashes.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/model/build.hpp>
#include <gox/trace/test_cache.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// go's testcache lines, read with the other trace formats.
using trace::TestCacheCollector;
using trace::TestCacheInfo;
using trace::TestLookup;

// What the history keeps of one test in one run (PackageRecord::inputs of
// the kTestResultVariant record, as JSON): enough for the next run to match
// any of its test IDs and name what changed.
struct TestRecord {
    std::string status;             // ok | fail | cached
    std::string link_id, binary_id; // from the action graph ("" if unknown)
    std::vector<std::string> args;  // the cacheable test flags (command line, then GOFLAGS)
    std::string godebug;            // GODEBUG as the test saw it
    std::string goflags;
    std::string go_version;
    std::string uncacheable;        // what made it uncacheable, "" if nothing
    bool why = false;               // go's testcache lines were read: the IDs are known
    std::vector<std::string> test_ids; // of this run's lookups and saves
    std::string input_id;           // the hit's, the saved one's, or the last looked-up one
    std::string inputs;             // testInputs chunks of input_id as a JSON array, "" if unknown
    std::string too_new;            // a file go found too new
    bool saved = false;             // go saved this run's result (or it came from the cache)
    // The newest result go saved for this test as far as gox knows (this run's
    // if it was saved or came from the cache): what the next lookup compares with.
    struct Stored {
        std::vector<std::string> test_ids; // empty when saved by a run without --why
        std::string input_id, inputs;
        std::string link_id, binary_id;
        std::vector<std::string> args;
        std::string godebug;
        bool known = false; // a result was saved at all
    } stored;

    std::string to_json() const;
    // From a history record: its inputs field (this JSON, or the chunk array
    // older gox versions wrote, with the test ID and input ID in action_id and
    // content_id), and outcome.
    static TestRecord from_history(const std::string& inputs, const std::string& action_id,
                                   const std::string& content_id, const std::string& outcome);
};

// The history variant under which test results are stored.
inline constexpr std::string_view kTestResultVariant = "(test result)";

// Everything about this go test run the decision needs, as plain data.
struct TestRunFacts {
    std::vector<std::string> args; // go test's arguments
    std::string goflags;           // GOFLAGS as go saw it
    std::string godebug;           // GODEBUG as the tests saw it (with what --why adds)
    std::string go_version;        // "go1.26.8"
    const TestCacheCollector* testcache = nullptr;                // --why: go's testcache lines
    const std::map<std::string, std::string>* test_inputs = nullptr; // --why: testInputs chunks by sum
    std::map<std::string, TestRecord> previous;                   // by import path: the test's last run
};

struct TestDecisions {
    // One per test of b, in b.tests' order: a reason for each that ran (ok
    // or fail, not cached; the detail also says when go did not cache this
    // run's result because a file was too new).
    std::vector<Verdict> verdicts;
    // This run's record of every test that ran or was cached, by import
    // path, for the history.
    std::map<std::string, TestRecord> records;
};
TestDecisions decide_test_reasons(const model::Build& b, const TestRunFacts& f);

// The first go test argument (or GOFLAGS word) that makes results
// uncacheable, with its value, or "local directory mode (no package named)"
// when no package is named; "" when the run is cacheable.
std::string uncacheable_test_flag(const std::vector<std::string>& args, std::string_view goflags = {});

// The cacheable test flags (-run, -v, -short, ... of go's list) of args and
// GOFLAGS, as "-name=value" in the order given; part of every test ID.
std::vector<std::string> cacheable_test_args(const std::vector<std::string>& args, std::string_view goflags = {});

// Whether this Go version hashes GODEBUG into every test's inputs (Go 1.23+).
bool test_inputs_include_godebug(std::string_view go_version);

// testInputs records by sum (64 hex), as JSON arrays of chunks.
std::map<std::string, std::string> test_inputs_by_sum(const std::vector<HashRecord>& records);

} // namespace gox::analysis
