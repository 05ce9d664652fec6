#pragma once
// Why a test ran instead of reporting "(cached)": read from the go command's
// GODEBUG=gocachetest=1 lines ("testcache: P: test ID A => B", "... => input
// ID C => D", "caching disabled for test argument: -test.count=1") and, with
// --why, the testInputs hash records (the env vars and files the test read),
// compared with the previous run of the same test in the history.

#include <gox/analysis/hashes.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gox::history {
class Store;
}

namespace gox::analysis {

struct TestCacheInfo {
    std::string test_id;  // 64 hex: test binary + arguments
    std::string input_id; // 64 hex: what the test read (env, files), if known
    bool saved = false;   // the result was stored after the run
    bool hit = false;     // the result came from the cache
};

class TestCacheCollector {
public:
    void feed(std::string_view line); // one "testcache: ..." line
    const std::map<std::string, TestCacheInfo>& tests() const { return m_tests; }
    const std::vector<std::string>& uncacheable_args() const { return m_uncacheable; }

private:
    std::map<std::string, TestCacheInfo> m_tests;
    std::vector<std::string> m_uncacheable;
};

struct TestReason {
    std::string package;
    std::string reason; // reason id
    std::string detail;
};

// The history variant under which test results are stored.
inline constexpr std::string_view kTestResultVariant = "(test result)";

// For every test that ran (not cached): its reason. inputs_by_id: testInputs
// records by their sum (input ID), as JSON chunk arrays (--why only).
// prev: package → the previous (test_id, input_id, inputs) of that test.
struct PrevTest {
    std::string test_id, input_id, inputs;
};
std::vector<TestReason> test_reasons(const TestCacheCollector& tc, const std::vector<std::string>& ran_packages,
                                     const std::map<std::string, PrevTest>& prev,
                                     const std::map<std::string, std::string>& inputs_by_id);

// The first go test argument that makes results uncacheable (anything but
// -benchtime, -cpu, -list, -parallel, -run, -short, -timeout, -failfast,
// -fullpath and -v, per `go help test`), or "local directory mode" when no
// package is named; "" when the run is cacheable.
std::string uncacheable_test_flag(const std::vector<std::string>& args);

// testInputs records by sum (64 hex), as JSON arrays of chunks.
std::map<std::string, std::string> test_inputs_by_sum(const std::vector<HashRecord>& records);

} // namespace gox::analysis
