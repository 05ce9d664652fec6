// The analysis step after go (src/gox/analysis/analyse.*), driven without
// go: hand-made builds, a history store in a temporary file, and fake
// follow-ups standing in for the clean re-run and the cache checks. The
// test reasons of 26 recorded real runs go through analyse() in
// test_testwhy.cpp.
#include <catch2/catch.hpp>

#include <gox/analysis/analyse.hpp>

#include <filesystem>
#include <fstream>

#include "temp_store.hpp"

using namespace gox;
using namespace gox::analysis;

namespace {

// A build whose package m/a failed to compile with the given first line.
model::Build failed_build(const std::string& line) {
    model::Build b;
    auto p = testing::pkg("m/a", "", "");
    p.outcome = model::Outcome::Failed;
    b.packages.push_back(p);
    model::Failure f;
    f.import_path = "m/a";
    f.kind = "compile";
    f.first_lines = {line};
    f.line_count = 1;
    b.failures.push_back(f);
    return b;
}

RunFacts failed_run() {
    RunFacts f;
    f.verb = "build";
    f.args = {"./..."};
    f.diag.exit_code = 1;
    f.place.module_root = f.place.compare_root = "/m";
    return f;
}

// Follow-ups that count their calls instead of reading the cache or running go.
struct FakeFollowUp {
    int verified = 0, reproduced = 0;
    FailureFollowUp make() {
        FailureFollowUp f;
        f.verify_suspects = [this](const model::Build&, const model::Diagnosis&) {
            ++verified;
            return std::vector<model::EntryCheck>{{"m/dep", "/c/ab/ab-d", "corrupt", ""}};
        };
        f.reproduce = [this](const model::Diagnosis&) {
            ++reproduced;
            model::Repro r;
            r.verdict = "cache_caused";
            return r;
        };
        return f;
    }
};

} // namespace

TEST_CASE("analyse: a compile error is diagnosed, and nothing is re-run", "[analyse]") {
    model::Build b = failed_build("a.go:3:2: undefined: x");
    FakeFollowUp fake;
    RunAnalysis a = analyse(b, nullptr, failed_run(), {}, fake.make());
    REQUIRE(a.diagnosis);
    CHECK(a.diagnosis->cls == "compile_error");
    CHECK(a.diagnosis->first_failed == "m/a");
    CHECK(fake.verified == 0);
    CHECK(fake.reproduced == 0);
    CHECK_FALSE(a.diagnosis->repro);
    // No history: the failed package has no previous run.
    REQUIRE(a.packages.size() == 1);
    CHECK(a.packages[0].id() == "no_history");
}

TEST_CASE("analyse: a failure that points at the cache is checked and re-run", "[analyse]") {
    model::Build b = failed_build("a.go:3:2: could not import m/dep (not the start of an archive file (\"\\x00\"))");
    FakeFollowUp fake;
    RunAnalysis a = analyse(b, nullptr, failed_run(), {}, fake.make());
    REQUIRE(a.diagnosis);
    CHECK(a.diagnosis->cls == "cache_corrupt");
    CHECK(fake.verified == 1);
    CHECK(fake.reproduced == 1);
    REQUIRE(a.diagnosis->repro);
    CHECK(a.diagnosis->repro->verdict == "cache_caused");
    REQUIRE(a.diagnosis->verified.size() == 1);
    CHECK(a.diagnosis->verified[0].status == "corrupt");

    SECTION("--no-repro: checked, not re-run") {
        FakeFollowUp f2;
        auto fu = f2.make();
        fu.repro_never = true;
        RunAnalysis a2 = analyse(b, nullptr, failed_run(), {}, fu);
        CHECK(f2.verified == 1);
        CHECK(f2.reproduced == 0);
        CHECK_FALSE(a2.diagnosis->repro);
    }
    SECTION("interrupted: never re-run") {
        FakeFollowUp f2;
        RunFacts facts = failed_run();
        facts.diag.interrupted = true;
        RunAnalysis a2 = analyse(b, nullptr, facts, {}, f2.make());
        CHECK(f2.reproduced == 0);
    }
}

TEST_CASE("analyse: --repro-clean and --verify-suspects on any failure; a success has nothing to reproduce",
          "[analyse]") {
    model::Build b = failed_build("a.go:3:2: undefined: x");
    FakeFollowUp fake;
    auto fu = fake.make();
    fu.repro_always = fu.verify_always = true;
    RunAnalysis a = analyse(b, nullptr, failed_run(), {}, fu);
    CHECK(fake.verified == 1);
    CHECK(fake.reproduced == 1);
    CHECK(a.notes.empty());

    model::Build ok;
    ok.packages.push_back(testing::pkg("m/a", "A1", "C1"));
    RunFacts facts = failed_run();
    facts.diag.exit_code = 0;
    FakeFollowUp f2;
    auto fu2 = f2.make();
    fu2.repro_always = true;
    RunAnalysis s = analyse(ok, nullptr, facts, {}, fu2);
    CHECK_FALSE(s.diagnosis);
    CHECK(f2.reproduced == 0);
    REQUIRE(s.notes.size() == 1);
    CHECK(s.notes[0] == "--repro-clean: the command succeeded, there is nothing to reproduce");

    SECTION("go -n: nothing ran, nothing is diagnosed") {
        RunFacts n = failed_run();
        n.dry_run = true;
        FakeFollowUp f3;
        CHECK_FALSE(analyse(b, nullptr, n, {}, f3.make()).diagnosis);
    }
}

TEST_CASE("analyse: a saved trace is diagnosed from what go printed, with no reasons", "[analyse]") {
    model::Build b = failed_build("a.go:3:2: undefined: x");
    RunFacts facts;
    facts.saved_trace = true;
    RunAnalysis a = analyse(b, nullptr, facts, {});
    REQUIRE(a.diagnosis);
    CHECK(a.diagnosis->cls == "compile_error");
    CHECK(a.packages.empty());
    CHECK(a.package(0).id().empty()); // out of range: the empty verdict

    model::Build ok;
    CHECK_FALSE(analyse(ok, nullptr, facts, {}).diagnosis);
}

TEST_CASE("analyse: package reasons from the history, -a and gocacheverify from the facts", "[analyse]") {
    testing::TempStore t;
    t.add("build", {"./..."}, {testing::rec("m/a", "A1", "C1"), testing::rec("m/b", "B1", "D1")});
    model::Build b;
    b.packages.push_back(testing::pkg("m/a", "A2", "C2"));
    b.packages.push_back(testing::pkg("m/b", "B1", "D1"));
    auto hit = testing::pkg("m/c", "H1", "HC");
    hit.outcome = model::Outcome::CacheHit;
    b.packages.push_back(hit);
    RunFacts facts = failed_run();
    facts.diag.exit_code = 0;

    RunAnalysis a = analyse(b, &t.store, facts, {});
    CHECK_FALSE(a.diagnosis);
    REQUIRE(a.packages.size() == 3);
    CHECK(a.packages[0].id() == "inputs_changed");
    CHECK(a.packages[0].detail == "A1 → A2");
    CHECK(a.packages[1].id() == "cache_entry_missing");
    CHECK(a.packages[2].id().empty());
    CHECK(a.tests.empty()); // not go test

    facts.args = {"-a", "./..."};
    CHECK(analyse(b, &t.store, facts, {}).packages[0].id() == "forced");
    facts.args = {"./..."};
    facts.env = {{"GODEBUG", "gocacheverify=1"}};
    CHECK(analyse(b, &t.store, facts, {}).packages[0].id() == "verify_mode");
    facts.env = nlohmann::json::object();
    facts.godebug = "x=1,gocacheverify=1";
    CHECK(analyse(b, &t.store, facts, {}).packages[0].id() == "verify_mode");

    SECTION("the history rows carry the verdicts") {
        auto rows = history_records(b, a, {{"A2", "[\"chunk\"]"}});
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].reason == "inputs_changed");
        CHECK(rows[0].detail == "A1 → A2");
        CHECK(rows[0].inputs == "[\"chunk\"]");
        CHECK(rows[1].reason == "cache_entry_missing");
        CHECK(rows[2].reason.empty());
        CHECK(rows[2].outcome == "cache_hit");
    }
}

TEST_CASE("place_of: a module that moved is compared with its old root", "[analyse]") {
    auto dir = std::filesystem::temp_directory_path() / "gox-unit-place";
    std::filesystem::create_directories(dir / "new");
    {
        std::ofstream(dir / "new" / "go.mod") << "module example.com/moved // comment\n\ngo 1.24\n";
    }
    testing::TempStore t;
    history::RunRecord r;
    r.module_root = "/old/checkout";
    r.verb = "build";
    r.env = nlohmann::json{{std::string(kModulePathKey), "example.com/moved"}}.dump();
    t.store.add_run(r, {testing::rec("example.com/moved", "A1", "C1")});

    std::string gomod = (dir / "new" / "go.mod").string();
    RunPlace p = place_of(gomod, (dir / "new" / "sub").string(), &t.store);
    CHECK(p.module_root == (dir / "new").string());
    CHECK(p.cwd == (dir / "new" / "sub").string());
    CHECK(p.module_path == "example.com/moved");
    CHECK(p.compare_root == "/old/checkout");
    CHECK(place_of(gomod, "/x", nullptr).compare_root == (dir / "new").string());
    // No go.mod: the working dir is the root.
    RunPlace none = place_of("/dev/null", "/w", &t.store);
    CHECK(none.module_root == "/w");
    CHECK(none.module_path.empty());
    CHECK(none.compare_root == "/w");
    std::filesystem::remove_all(dir);
}
