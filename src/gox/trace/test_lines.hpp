#pragma once
// Readers of go test's stdout, plain and test2json: the package result line
// ("ok  \tP\t0.01s"), a test case's "--- FAIL: T (0.01s)" line, test2json
// events of one test, and the lines that report a failure. They return small
// parsed values; the model applies them to its tests, test cases and
// failures (model/build_tests.cpp).

#include <optional>
#include <string>
#include <string_view>

namespace gox::trace {

// ok  \tP\t0.01s | ok  \tP\t(cached) | FAIL\tP [build failed] | FAIL\tP\t0.01s | ?   \tP\t[no test files]
struct TestResultLine {
    std::string_view status; // ok | fail | build_failed | setup_failed | no_test_files
    std::string_view package;
    bool cached = false;
};
std::optional<TestResultLine> read_test_result(std::string_view line);

// "--- FAIL: TestX/sub (0.01s)", indented for a subtest.
struct TestCaseLine {
    std::string_view status; // fail | pass | skip
    std::string_view name;
    std::optional<double> elapsed;
};
std::optional<TestCaseLine> read_test_case_line(std::string_view line);

// A test2json event of one test whose Action is pass, fail, skip or output.
struct Test2JsonCase {
    std::string package, test, action;
    std::string output;            // for "output", without its line end
    std::optional<double> elapsed; // for the others, when a number
};
std::optional<Test2JsonCase> read_test2json_case(std::string_view line);

// What a line of go test's stdout is (a trailing "\r" already removed).
enum class TestStdoutLine {
    Result,        // a package result line (read_test_result)
    Test2JsonCase, // a test2json event of one test (read_test2json_case)
    Plain,         // other plain output: "--- FAIL" lines and test output
    Test2JsonOther // another test2json event (test2json_result)
};
TestStdoutLine test_stdout_line(std::string_view line);

// go test -json: the package result line is the Output of an "output" event
// (without its line end); nullopt for another event. Only those lines are
// decoded (test2json escapes "\t" as \t).
std::optional<std::string> test2json_result(std::string_view line);

// Whether a line of test output looks like the report of a failure
// (--- FAIL, panic:, file_test.go:NN: ...).
bool looks_like_test_failure(std::string_view line);

} // namespace gox::trace
