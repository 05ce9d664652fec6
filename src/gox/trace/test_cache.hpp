#pragma once
// go test's cache decisions as GODEBUG=gocachetest=1 prints them
// ("testcache: P: test ID K => T", "... input ID ...", "save test ID ...",
// "input file P: file used as input is too new", ...): read into one
// TestCacheInfo per test package. What they mean for why a test ran is
// decided in analysis/testwhy.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::trace {

// One lookup of a result (tryCacheWithID).
struct TestLookup {
    enum class Result {
        Pending,     // no verdict line yet (at the end: a hit when the input ID came)
        NoInputList, // no list of inputs under the test ID (never saved, or gone)
        TooNew,      // a file it read is less than 2 s old: no input ID
        NoOutput,    // inputs listed, but no output saved for these input values
        Expired,     // go clean -testcache
        CoverChanged // the cover profile is gone, or (newer Go, -coverpkg) a covered package changed
    };
    std::string key;      // what the test ID hashes: a link action ID or binary content ID (20 chars)
    std::string test_id;  // 64 hex
    std::string input_id; // 64 hex, "" until go found an input list
    Result result = Result::Pending;
    std::string detail;   // the too-new file
};

struct TestCacheInfo {
    std::vector<TestLookup> lookups;
    std::vector<std::pair<std::string, std::string>> saves; // (test ID, input ID) it was saved under
    std::string too_new;  // the file go found too new, lookup or save ("" if none)
    bool save_too_new = false; // ...and it was when saving: the result was not saved
    std::string disabled; // why go did not cache this test ("" if it did not say)
    bool hit() const;     // the result came from the cache
    const TestLookup* hit_lookup() const;
    std::vector<std::string> test_ids() const; // of every lookup and save, in order, once each
};

// Reads go's GODEBUG=gocachetest=1 lines ("testcache: ...").
class TestCacheCollector {
public:
    void feed(std::string_view line); // one "testcache: ..." line; others are ignored
    const std::map<std::string, TestCacheInfo>& tests() const { return m_tests; }
    const std::vector<std::string>& uncacheable_args() const { return m_uncacheable; }
    bool local_directory_mode() const { return m_local; }
    bool any() const { return m_any; } // a testcache line came

private:
    std::map<std::string, TestCacheInfo> m_tests;
    std::vector<std::string> m_uncacheable;
    bool m_local = false;
    bool m_any = false;
};

} // namespace gox::trace
