// Rebuild reasons decided from the history store, without go: a store in a
// temporary file, runs recorded by hand, assign_reasons on a hand-made Build.
#include <catch2/catch.hpp>

#include <gox/analysis/reasons.hpp>
#include <gox/history/store.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>

using namespace gox;

namespace {

struct TempStore {
    std::string path;
    history::Store store;
    TempStore() : path(make_path()), store(path) {}
    ~TempStore() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
    }
    static std::string make_path() {
        std::mt19937_64 rng(std::random_device{}());
        auto dir = std::filesystem::temp_directory_path() / ("gox-unit-store-" + std::to_string(rng()));
        return (dir / "history.db").string();
    }
    std::int64_t add(const std::string& verb, const std::vector<std::string>& args,
                     const std::vector<history::PackageRecord>& pkgs, const std::string& root = "/m") {
        history::RunRecord r;
        r.module_root = root;
        r.verb = verb;
        r.args = nlohmann::json(args).dump();
        return store.add_run(r, pkgs);
    }
};

history::PackageRecord rec(const std::string& path, const std::string& action, const std::string& content,
                           const std::string& outcome = "rebuilt") {
    history::PackageRecord p;
    p.import_path = path;
    p.action_id = action;
    p.content_id = content;
    p.outcome = outcome;
    return p;
}

model::Package pkg(const std::string& path, const std::string& action, const std::string& content,
                   std::vector<std::string> deps = {}) {
    model::Package p;
    p.import_path = path;
    p.for_test = path;
    p.outcome = model::Outcome::Rebuilt;
    p.action_id = action;
    p.content_id = content;
    p.deps = std::move(deps);
    return p;
}

} // namespace

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
    ctx.module_root = "/m";
    ctx.kind = "build";
    analysis::assign_reasons(b, ctx);
    CHECK(b.packages[0].reason == "inputs_changed");
    CHECK(b.packages[0].reason_detail == "D1 → D2");
    CHECK(b.packages[1].reason == "dependency_changed");
    CHECK(b.packages[1].reason_detail == "m/dep");
    CHECK(b.packages[2].reason == "cache_entry_missing");
    CHECK(b.packages[3].reason == "inputs_changed");
    CHECK(b.packages[3].output_unchanged);
    CHECK(b.packages[4].reason == "no_history");
    CHECK(b.packages[5].reason.empty());

    SECTION("compared with the vet run when asked for the newest of any kind") {
        ctx.kind.clear();
        analysis::assign_reasons(b, ctx);
        CHECK(b.packages[2].reason == "inputs_changed");
        CHECK(b.packages[2].reason_detail == "SV → S1");
    }
    SECTION("-a and GODEBUG=gocacheverify=1 decide alone") {
        ctx.forced = true;
        analysis::assign_reasons(b, ctx);
        CHECK(b.packages[4].reason == "forced");
        ctx.forced = false;
        ctx.verify_mode = true;
        analysis::assign_reasons(b, ctx);
        CHECK(b.packages[4].reason == "verify_mode");
    }
    SECTION("an action ID built before in any run: the cache held it once") {
        TempStore u;
        u.add("build", {}, {rec("m/old", "N1", "NC1")});
        model::Build nb;
        nb.packages.push_back(pkg("m/moved", "N1", "NC1"));
        ctx.store = &u.store;
        analysis::assign_reasons(nb, ctx);
        CHECK(nb.packages[0].reason == "cache_entry_missing");
    }
    SECTION("no store: no history") {
        ctx.store = nullptr;
        analysis::assign_reasons(b, ctx);
        CHECK(b.packages[2].reason == "no_history");
    }
}
