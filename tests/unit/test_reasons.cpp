// Rebuild reasons decided from the history store, without go: a store in a
// temporary file, runs recorded by hand, assign_reasons on a hand-made Build.
#include <catch2/catch.hpp>

#include <gox/analysis/reasons.hpp>
#include <gox/history/store.hpp>

#include "temp_store.hpp"

#include <nlohmann/json.hpp>


using namespace gox;

using testing::pkg;
using testing::rec;
using testing::TempStore;

TEST_CASE("run kinds: what builds packages differently throughout a run", "[reasons]") {
    using analysis::run_kind;
    CHECK(run_kind("build", {"./..."}) == "build");
    CHECK(run_kind("test", {"-run", "X", "./..."}) == "build");
    CHECK(run_kind("install", {}) == "build");
    CHECK(run_kind("vet", {"./..."}) == "vet");
    CHECK(run_kind("test", {"-cover", "./..."}) == "build cover");
    CHECK(run_kind("test", {"-cover=false", "./..."}) == "build");
    CHECK(run_kind("test", {"-coverprofile=c.out", "./x"}) == "build cover");
    CHECK(run_kind("test", {"-coverpkg=./...", "./x"}) == "build cover coverpkg=./...");
    CHECK(run_kind("test", {"-coverpkg", "./...", "./x"}) == "build cover coverpkg=./...");
    CHECK(run_kind("test", {"--covermode=atomic", "./x"}) == "build cover covermode=atomic");
    CHECK(run_kind("test", {"-race", "-cover", "./x"}) == "build race cover");
    CHECK(run_kind("build", {"-race", "-race", "./x"}) == "build race");
    // A value that looks like a flag is the value, and nothing after the
    // first package or -args is go's.
    CHECK(run_kind("test", {"-run", "-cover", "./x"}) == "build");
    CHECK(run_kind("test", {"./x", "-cover"}) == "build");
    CHECK(run_kind("test", {"-args", "-race"}) == "build");
}

TEST_CASE("store: earlier records newest first, with their run's command", "[reasons][store]") {
    TempStore t;
    t.add("build", {"./..."}, {rec("m/a", "A1", "C1")});
    t.add("vet", {"./..."}, {rec("m/a", "A2", "C2")});
    t.add("build", {"./..."}, {rec("m/b", "B1", "D1")}, "/other");
    auto id = t.add("test", {"-cover"}, {rec("m/a", "A3", "C3")});
    auto e = t.store.earlier("/m", "m/a", "", id + 1, 10);
    REQUIRE(e.size() == 3);
    CHECK(e[0].pkg.action_id == "A3");
    CHECK(e[0].verb == "test");
    CHECK(e[0].args == R"(["-cover"])");
    CHECK(e[1].verb == "vet");
    CHECK(e[2].pkg.action_id == "A1");
    CHECK(t.store.earlier("/m", "m/a", "", id, 1).size() == 1);            // limit
    CHECK(t.store.earlier("/m", "m/a", "", id, 10).size() == 2);           // before the run
    CHECK(t.store.earlier("/m", "m/b", "", id + 1, 10).empty());           // another module root
    CHECK(t.store.earlier("/m", "m/a", "m/a.test", id + 1, 10).empty());   // another variant

    // previous_record prefers the newest run of the same kind.
    auto p = analysis::previous_record(t.store, "/m", "m/a", "", id + 1, "build");
    REQUIRE(p);
    CHECK(p->action_id == "A1");
    p = analysis::previous_record(t.store, "/m", "m/a", "", id + 1, "vet");
    REQUIRE(p);
    CHECK(p->action_id == "A2");
    // No run of that kind: the newest of any kind.
    p = analysis::previous_record(t.store, "/m", "m/a", "", id + 1, "build race");
    REQUIRE(p);
    CHECK(p->action_id == "A3");
    // "" asks for the newest of any kind.
    p = analysis::previous_record(t.store, "/m", "m/a", "", id + 1, "");
    REQUIRE(p);
    CHECK(p->action_id == "A3");
    CHECK_FALSE(analysis::previous_record(t.store, "/m", "m/zzz", "", id + 1, "build"));
}

TEST_CASE("assign_reasons from the history alone", "[reasons]") {
    TempStore t;
    t.add("build", {"./..."}, {rec("m/dep", "D1", "DC1"), rec("m/app", "P1", "PC1"), rec("m/same", "S1", "SC1"),
                               rec("m/cut", "K1", "KC1")});
    // A vet run in between: its records must not be what the next build is
    // compared with.
    t.add("vet", {"./..."}, {rec("m/app", "V1", "VC1"), rec("m/same", "SV", "SVC")});

    model::Build b;
    b.packages.push_back(pkg("m/dep", "D2", "DC2"));                 // its own inputs changed
    b.packages.push_back(pkg("m/app", "P2", "PC2", {"m/dep"}));      // rebuilt because m/dep's output changed
    b.packages.push_back(pkg("m/same", "S1", "SC1"));                // same action ID: the entry was gone
    b.packages.push_back(pkg("m/cut", "K2", "KC1"));                 // inputs changed, output the same
    b.packages.push_back(pkg("m/new", "N1", "NC1"));                 // never seen
    auto hit = pkg("m/hit", "H1", "HC1");
    hit.outcome = model::Outcome::CacheHit;
    b.packages.push_back(hit);

    analysis::ReasonContext ctx;
    ctx.store = &t.store;
    ctx.scope = "/m";
    ctx.kind = "build";
    std::vector<analysis::Verdict> v = analysis::assign_reasons(b, ctx);
    REQUIRE(v.size() == b.packages.size());
    CHECK(v[0].id() == "inputs_changed");
    CHECK(v[0].detail == "D1 → D2");
    CHECK(v[1].id() == "dependency_changed");
    CHECK(v[1].detail == "m/dep");
    CHECK(v[2].id() == "cache_entry_missing");
    CHECK(v[3].id() == "inputs_changed");
    CHECK(v[3].output_unchanged);
    CHECK(v[4].id() == "no_history");
    CHECK(v[5].id().empty());

    SECTION("compared with the vet run when asked for the newest of any kind") {
        ctx.kind.clear();
        v = analysis::assign_reasons(b, ctx);
        CHECK(v[2].id() == "inputs_changed");
        CHECK(v[2].detail == "SV → S1");
    }
    SECTION("-a and GODEBUG=gocacheverify=1 decide alone") {
        ctx.forced = true;
        v = analysis::assign_reasons(b, ctx);
        CHECK(v[4].id() == "forced");
        ctx.forced = false;
        ctx.verify_mode = true;
        v = analysis::assign_reasons(b, ctx);
        CHECK(v[4].id() == "verify_mode");
    }
    SECTION("an action ID built before in any run: the cache held it once") {
        TempStore u;
        u.add("build", {}, {rec("m/old", "N1", "NC1")});
        model::Build nb;
        nb.packages.push_back(pkg("m/moved", "N1", "NC1"));
        ctx.store = &u.store;
        auto nv = analysis::assign_reasons(nb, ctx);
        CHECK(nv[0].id() == "cache_entry_missing");
    }
    SECTION("no store: no history") {
        ctx.store = nullptr;
        v = analysis::assign_reasons(b, ctx);
        CHECK(v[2].id() == "no_history");
    }
}
