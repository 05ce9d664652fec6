// Unit tests for the test re-run decision (src/gox/analysis/testwhy.*), driven
// by what real go printed: tests/unit/data/testcache/go1.NN/*.run, recorded by
// tests/unit/data/testcache/capture.py with Go 1.19.8, 1.26.8 and 1.27.3 over
// one sequence of 26 runs of one test (env var changed and unset, testdata
// file changed, added, removed and too new, test binary, flags, GODEBUG,
// GOFLAGS, go clean -testcache and -cache, failing runs). Each run goes
// through decide_test_reasons with the previous run's record passed through
// its JSON form, as the history does, once with go's testcache and testInputs
// lines (--why) and once without them (the cheap decision).
#include <catch2/catch.hpp>
#include <gox/analysis/analyse.hpp>
#include <gox/analysis/hashes.hpp>
#include <gox/analysis/test_key.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/util/strings.hpp>
#include <gox/analysis/why.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "temp_store.hpp"

using namespace gox;
using namespace gox::analysis;

namespace {

struct Run {
    std::string name;
    std::map<std::string, std::string> head;
    std::vector<std::string> out, err;
};

Run read_run(const std::filesystem::path& p) {
    Run r;
    r.name = p.stem().string().substr(3);
    std::ifstream in(p);
    std::string line;
    int section = 0;
    while (std::getline(in, line)) {
        if (line == "--- stdout") section = 1;
        else if (line == "--- stderr") section = 2;
        else if (section == 0) {
            auto c = line.find(": ");
            if (c != std::string::npos) r.head[line.substr(0, c)] = line.substr(c + 2);
        } else (section == 1 ? r.out : r.err).push_back(line);
    }
    return r;
}

std::vector<Run> read_runs(const std::string& version) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(GOX_SOURCE_ROOT "/tests/unit/data/testcache/" + version))
        if (e.path().extension() == ".run") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Run> runs;
    for (const auto& f : files) runs.push_back(read_run(f));
    return runs;
}

std::vector<std::string> json_strings(const std::string& s) {
    std::vector<std::string> v;
    // ["-run=TestEnv", "./store"]
    std::size_t p = 0;
    while ((p = s.find('"', p)) != std::string::npos) {
        auto e = s.find('"', p + 1);
        v.push_back(s.substr(p + 1, e - p - 1));
        p = e + 1;
    }
    return v;
}

struct Outcome {
    bool cached = false;
    std::string reason, detail;
};

// One run through analyse() against the store, then recorded in it as the
// wrapper records a run.
Outcome analysed(const model::Build& b, const TestRunFacts& f, gox::testing::TempStore& store) {
    RunFacts facts;
    facts.verb = "test";
    facts.args = f.args;
    facts.env = {{"GOFLAGS", f.goflags}, {"GOVERSION", f.go_version}};
    facts.test_godebug = f.godebug;
    facts.place = place_of("/MOD/go.mod", "/MOD", &store.store);
    facts.diag.exit_code = b.tests[0].status == "fail" ? 1 : 0;
    Collected in;
    in.testcache = f.testcache;
    in.test_inputs = f.test_inputs;
    RunAnalysis a = analyse(b, &store.store, facts, in);
    CHECK(a.warnings.empty());
    REQUIRE(a.tests.size() == b.tests.size());
    REQUIRE(a.packages.size() == b.packages.size());
    history::RunRecord r;
    r.module_root = facts.place.module_root;
    r.verb = facts.verb;
    r.args = nlohmann::json(facts.args).dump();
    store.store.add_run(r, history_records(b, a, {}));
    return {b.tests[0].cached, std::string(a.test(0).id()), a.test(0).detail};
}

// How a replayed run is decided: decide_test_reasons with the previous
// record handed over, or the wrapper's path without go: analyse() with a
// history store, and the run recorded in it (history_records) for the next.
enum class Via { Decide, Analyse };

// Drives the decision over every run of a version; why: with go's lines.
std::vector<std::pair<std::string, Outcome>> replay(const std::string& version, bool why, Via via = Via::Decide) {
    std::vector<std::pair<std::string, Outcome>> out;
    std::optional<TestRecord> prev;
    gox::testing::TempStore store;
    for (const auto& run : read_runs(version)) {
        model::Build b;
        for (const auto& l : run.out) {
            model::TestResult t;
            if (l.rfind("ok  \t", 0) == 0) t.status = "ok";
            else if (l.rfind("FAIL\texample.com/", 0) == 0) t.status = "fail";
            else continue;
            auto rest = l.substr(5);
            t.import_path = rest.substr(0, rest.find('\t'));
            t.cached = l.find("(cached)") != std::string::npos;
            t.link_action_id = run.head.at("link");
            auto build = run.head.at("build");
            t.binary_id = build.empty() ? "" : build.substr(build.rfind('/') + 1);
            b.tests.push_back(t);
        }
        REQUIRE(b.tests.size() == 1);
        TestCacheCollector tc;
        HashCollector hc;
        for (const auto& l : run.err) {
            if (l.rfind("testcache:", 0) == 0) tc.feed(l);
            else hc.feed(l);
        }
        hc.finish();
        auto inputs = test_inputs_by_sum(hc.records());
        TestRunFacts f;
        f.args = json_strings(run.head.at("args"));
        f.goflags = run.head.at("goflags");
        f.godebug = run.head.at("godebug");
        f.go_version = version + (version == "go1.19" ? ".8" : version == "go1.26" ? ".8" : ".3");
        if (why) {
            f.testcache = &tc;
            f.test_inputs = &inputs;
        }
        if (via == Via::Analyse) {
            out.push_back({run.name, analysed(b, f, store)});
            continue;
        }
        if (prev) f.previous["example.com/tr/store"] = *prev;
        auto decided = decide_test_reasons(b, f);
        REQUIRE(decided.verdicts.size() == b.tests.size());
        auto& recs = decided.records;
        REQUIRE(recs.count("example.com/tr/store"));
        // Through the history's form and back.
        const auto& r = recs["example.com/tr/store"];
        prev = TestRecord::from_history(r.to_json(), r.test_ids.empty() ? "" : r.test_ids.front(), r.input_id, r.status);
        CHECK(prev->to_json() == r.to_json());
        out.push_back({run.name, {b.tests[0].cached, std::string(decided.verdicts[0].id()), decided.verdicts[0].detail}});
    }
    return out;
}

void check_version(const std::string& version, Via via = Via::Decide) {
    auto runs = read_runs(version);
    REQUIRE(runs.size() == 26);
    auto with = replay(version, true, via);
    auto without = replay(version, false, via);
    // What the cheap decision (no --why) says where --why names more.
    const std::map<std::string, std::string> cheap = {
        {"env-changed", "test_inputs_changed"},       {"env-unset", "test_inputs_changed"},
        {"file-changed", "test_inputs_changed"},      {"file-added", "test_inputs_changed"},
        {"file-removed", "test_inputs_changed"},      {"file-too-new", "test_inputs_changed"},
        {"after-too-new", "test_inputs_changed"},     {"testcache-cleaned", "test_inputs_changed"},
        {"fail", "test_inputs_changed"},              {"cache-cleaned", "test_not_cached_before"},
        {"after-unsaved-too-new", "test_inputs_changed"}};
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        std::string expect = run.head.at("expect");
        std::string id = expect.substr(0, expect.find(' '));
        std::string detail = expect.find(' ') == std::string::npos ? "" : expect.substr(expect.find(' ') + 1);
        INFO(version << " run " << run.name << " expect " << expect);
        const auto& w = with[i].second;
        const auto& c = without[i].second;
        if (id == "cached") {
            CHECK(w.cached);
            CHECK(w.reason.empty());
            continue;
        }
        CHECK_FALSE(w.cached);
        CHECK(w.reason == id);
        if (!detail.empty()) CHECK(w.detail == detail);
        // go refused to save this run's result: the detail says so too.
        if (run.name == "new-binary-file-too-new")
            CHECK(w.detail == "the previous run failed; result not cached: /MOD/store/testdata/in.txt is less than 2 s old");
        auto ch = cheap.find(run.name);
        INFO("without --why: " << c.reason << ": " << c.detail);
        CHECK(c.reason == (ch == cheap.end() ? id : ch->second));
    }
}

} // namespace

TEST_CASE("test reasons from real Go 1.19 testcache lines", "[testwhy]") { check_version("go1.19"); }
TEST_CASE("test reasons from real Go 1.26 testcache lines", "[testwhy]") { check_version("go1.26"); }
TEST_CASE("test reasons from real Go 1.27 testcache lines", "[testwhy]") { check_version("go1.27"); }
// The same runs through analyse() and a real history store: what the
// wrapper does after go, with the records the history keeps in between.
TEST_CASE("test reasons through analyse() and the history store (Go 1.26, 1.19)", "[testwhy][analyse]") {
    check_version("go1.26", Via::Analyse);
    check_version("go1.19", Via::Analyse);
}

TEST_CASE("a cached run prints one lookup, a re-run two: all test IDs are kept", "[testwhy]") {
    // Go 1.26.8, the issue's three runs: APP_MODE=a, a (cached), b.
    TestCacheCollector cached;
    cached.feed("testcache: example.com/tr/store: test ID 36466e34 => 9141aa");
    cached.feed("testcache: example.com/tr/store: test ID 9141aa => input ID efc3 => 2eb9");
    const auto& c = cached.tests().at("example.com/tr/store");
    CHECK(c.hit());
    CHECK(c.test_ids() == std::vector<std::string>{"9141aa"});
    TestCacheCollector rerun;
    for (const char* l : {"testcache: example.com/tr/store: test ID 36466e34 => 9141aa",
                          "testcache: example.com/tr/store: test ID 9141aa => input ID d27b => 23d8",
                          "testcache: example.com/tr/store: test output not found: cache entry not found",
                          "testcache: example.com/tr/store: test ID 48796155 => b309bb",
                          "testcache: example.com/tr/store: test ID b309bb => input ID d27b => aa0e",
                          "testcache: example.com/tr/store: test output not found: cache entry not found",
                          "testcache: example.com/tr/store: save test ID 9141aa => input ID d27b => 23d8",
                          "testcache: example.com/tr/store: save test ID b309bb => input ID d27b => aa0e"})
        rerun.feed(l);
    const auto& r = rerun.tests().at("example.com/tr/store");
    CHECK_FALSE(r.hit());
    CHECK(r.test_ids() == std::vector<std::string>{"9141aa", "b309bb"});
    REQUIRE(r.lookups.size() == 2);
    CHECK(r.lookups[0].key == std::string("\x36\x46\x6e\x34"));
    CHECK(r.lookups[0].result == TestLookup::Result::NoOutput);
    CHECK(r.saves.size() == 2);
}

TEST_CASE("too new: while looking up, or only while saving", "[testwhy]") {
    TestCacheCollector lookup;
    lookup.feed("testcache: p: test ID 61 => aa");
    lookup.feed("testcache: p: input file /m/p/testdata/x: file used as input is too new");
    CHECK(lookup.tests().at("p").lookups[0].result == TestLookup::Result::TooNew);
    CHECK(lookup.tests().at("p").too_new == "/m/p/testdata/x");
    CHECK_FALSE(lookup.tests().at("p").save_too_new);
    TestCacheCollector save;
    save.feed("testcache: p: test ID 61 => aa");
    save.feed("testcache: p: input list not found: cache entry not found");
    save.feed("testcache: p: input file /m/p/testdata/x: file used as input is too new");
    CHECK(save.tests().at("p").lookups[0].result == TestLookup::Result::NoInputList);
    CHECK(save.tests().at("p").save_too_new);
}

TEST_CASE("uncacheable and cacheable test flags, from the command line and GOFLAGS", "[testwhy]") {
    CHECK(uncacheable_test_flag({"-count=1", "./p"}) == "-count=1");
    CHECK(uncacheable_test_flag({"-count", "1", "./p"}) == "-count=1");
    CHECK(uncacheable_test_flag({"./p"}, "-count=1") == "-count=1");
    CHECK(uncacheable_test_flag({"-run=X", "-v", "./p"}) == "");
    CHECK(uncacheable_test_flag({"-v"}) == "local directory mode (no package named)");
    CHECK(cacheable_test_args({"-run", "TestA", "-v", "./p"}, "-short -tags=x") ==
          std::vector<std::string>{"-run=TestA", "-v", "-short"});
    CHECK(cacheable_test_args({"-tags", "x", "./p"}).empty());
}

TEST_CASE("GODEBUG is a test input from Go 1.23", "[testwhy]") {
    CHECK_FALSE(test_inputs_include_godebug("go1.19.8"));
    CHECK_FALSE(test_inputs_include_godebug("go1.22.12"));
    CHECK(test_inputs_include_godebug("go1.23.0"));
    CHECK(test_inputs_include_godebug("go1.27.3"));
}

TEST_CASE("records of older gox versions are read", "[testwhy]") {
    auto r = TestRecord::from_history(R"(["go1.26.8","env APP_MODE 00\n"])", "aa", "bb", "ok");
    CHECK(r.why);
    CHECK(r.saved);
    CHECK(r.stored.test_ids == std::vector<std::string>{"aa"});
    CHECK(r.stored.input_id == "bb");
    auto none = TestRecord::from_history("", "", "", "ok");
    CHECK_FALSE(none.why);
    CHECK_FALSE(none.stored.known);
}

// The test IDs go printed ("testcache: P: test ID <hex of the binary's ID>
// => <test ID>") are what test_key_text and test_id_hex compute from the
// run's arguments and GOFLAGS alone: the cache program ties a result's gets
// to its test with them. A -count=1 run has no ID, and none is computed.
namespace {
void check_test_ids(const std::string& version, const std::string& salt) {
    int checked = 0;
    for (const auto& run : read_runs(version)) {
        INFO(version << " " << run.name);
        auto args = json_strings(run.head.at("args"));
        auto text = test_key_text(args, run.head.at("goflags"));
        int lines = 0;
        for (const auto& l : run.err) {
            auto at = l.find(": test ID ");
            if (l.rfind("testcache: ", 0) != 0 || at == std::string::npos) continue;
            if (l.find(" => input ID ") != std::string::npos) continue; // the ID's own lookup
            auto arrow = l.find(" => ", at);
            std::string id_hex = l.substr(at + 10, arrow - at - 10);
            std::string want = l.substr(arrow + 4);
            std::string id;
            for (std::size_t i = 0; i + 1 < id_hex.size(); i += 2)
                id += static_cast<char>(util::hex_val(id_hex[i]) * 16 + util::hex_val(id_hex[i + 1]));
            REQUIRE(text);
            CHECK(test_id_hex(salt, id, *text) == want);
            ++lines, ++checked;
        }
        if (run.name == "count-1") CHECK(!text);
        else if (lines == 0) CHECK(text);
    }
    CHECK(checked >= 20);
}
} // namespace

TEST_CASE("test IDs as real go computed them (Go 1.19, 1.26, 1.27)", "[testwhy][test_key]") {
    check_test_ids("go1.19", "go1.19.8");
    check_test_ids("go1.26", "go1.26.8");
    check_test_ids("go1.27", "go1.27.3");
}

TEST_CASE("test flags normalised as go hands them to the binary", "[test_key]") {
    CHECK(test_key_text({"./..."}, "") == R"(args ["-test.timeout=10m0s"] execcmd [])");
    // -json takes the place of GOFLAGS' -v (go drops it for -test.v=test2json).
    CHECK(test_key_text({"-json", "-timeout", "90s", "-short", "./p"}, "-v") ==
          R"(args ["-test.v=test2json" "-test.timeout=1m30s" "-test.short=true"] execcmd [])");
    CHECK(test_key_text({"./p"}, "-v -short=1") ==
          R"(args ["-test.short=true" "-test.v=true" "-test.timeout=10m0s"] execcmd [])");
    CHECK(test_key_text({"-run=TestA", "-cpu", "1,2", "-parallel", "04", "./p"}, "-vet=off") ==
          R"(args ["-test.timeout=10m0s" "-test.run=TestA" "-test.cpu=1,2" "-test.parallel=4"] execcmd [])");
    CHECK(test_key_text({"./p", "-args", "-test.run=Test"}, "") ==
          R"(args ["-test.timeout=10m0s" "-test.run=Test"] execcmd [])");
    CHECK(!test_key_text({"./p", "-args", "-test.run=Test", "x y"}, "")); // a word for the binary
    CHECK(!test_key_text({"-count=1", "./p"}, ""));
    CHECK(!test_key_text({"./p"}, "-count=2"));
    CHECK(test_key_text({"-exec", "echo 'a b'", "./p"}, "") == R"(args ["-test.timeout=10m0s"] execcmd ["echo" "a b"])");
    CHECK(!test_key_text({"-cpuprofile", "x", "./p"}, ""));
    CHECK(!test_key_text({"./p", "-args", "-somethingelse"}, ""));
    CHECK(go_duration_string(600'000'000'000LL) == "10m0s");
    CHECK(go_duration_string(90'000'000'000LL) == "1m30s");
    CHECK(go_duration_string(1'500'000'000LL) == "1.5s");
    CHECK(go_duration_string(500'000'000LL) == "500ms");
    CHECK(go_duration_string(3'600'000'000'000LL) == "1h0m0s");
    CHECK(go_duration_string(0) == "0s");
    CHECK(parse_go_duration("1m30s") == 90'000'000'000LL);
    CHECK(parse_go_duration("1.5h") == 5'400'000'000'000LL);
    CHECK(parse_go_duration("300ms") == 300'000'000LL);
    CHECK(!parse_go_duration("90"));
    CHECK(!parse_go_duration("soon"));
    CHECK(util::go_quote("a\"b\\c\n") == R"("a\"b\\c\n")");
    CHECK(util::go_quote_list({}) == "[]");
    CHECK(cache_salt("go1.26.8 X:nocoverageredesign") == "go1.26.8");
}
