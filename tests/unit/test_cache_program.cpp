// Unit tests for analysis/cache_program: a cache program's record joined to
// a model's packages through action IDs, subkeys included; the totals, the
// agreement with the outcomes and each named cause.
#include <catch2/catch.hpp>

#include "temp_store.hpp"

#include <gox/analysis/cache_program.hpp>
#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/protocol.hpp>
#include <gox/trace/hash_stream.hpp>

#include <string>

namespace cp = gox::cacheprog;
using namespace gox;
using analysis::CacheCause;

namespace {

// A full action ID (hex) made from one byte, and its 20-character form.
std::string full_id(char c) { return cp::hex(std::string(32, c)); }
std::string short_id(char c) { return trace::hash_to_action_id(full_id(c)); }

cp::RequestRecord get(const std::string& hex, const std::string& outcome, const std::string& source = "",
                      std::int64_t latency_us = 100, std::int64_t bytes = 0) {
    cp::RequestRecord r;
    r.cmd = "get";
    r.action_id = hex;
    r.outcome = outcome;
    r.source = source;
    r.latency_us = latency_us;
    r.bytes = bytes;
    r.local = {true, outcome == "hit" && source == "local" ? "hit" : "miss", 50, ""};
    return r;
}

model::Package package(const std::string& path, char id, model::Outcome o) {
    model::Package p;
    p.import_path = path;
    p.for_test = path;
    p.action_id = short_id(id);
    p.outcome = o;
    return p;
}

const analysis::CacheCauseFound* find(const analysis::CacheProgramAnalysis& a, CacheCause c) {
    for (const auto& f : a.causes)
        if (f.cause == c) return &f;
    return nullptr;
}

} // namespace

TEST_CASE("cache program: gets join packages by action ID, subkeys too", "[cacheprog]") {
    model::Build b;
    b.packages = {package("example.com/a", 'a', model::Outcome::CacheHit),
                  package("example.com/b", 'b', model::Outcome::Rebuilt),
                  package("example.com/c", 'c', model::Outcome::CacheHit)};
    cp::RecordLog log;
    log.sessions = {"s1"};
    log.requests.push_back(get(full_id('a'), "hit", "local", 200, 1000));
    // a's compiler output: cmd/go's Subkey(a, "stdout").
    std::string stdout_key = cp::hex(cp::sha256("subkey:" + std::string(32, 'a') + "stdout"));
    log.requests.push_back(get(stdout_key, "hit", "local", 100, 10));
    log.requests.push_back(get(full_id('b'), "miss"));
    // c hits as the model says; d is nobody's.
    log.requests.push_back(get(full_id('c'), "hit", "local"));
    log.requests.push_back(get(full_id('d'), "miss"));
    analysis::CacheProgramRun run{&log, nullptr, "", {}, {}};
    auto a = analysis::analyse_cache_program(b, run, nullptr, history::Scope("/m"));
    REQUIRE(a.packages.size() == 3);
    CHECK(a.packages[0].get == "hit");
    CHECK(a.packages[0].source == "local");
    CHECK(a.packages[0].gets == 2);
    CHECK(a.packages[0].bytes == 1010);
    CHECK(a.packages[0].wait_seconds == Approx(0.0003));
    CHECK(a.packages[1].get == "miss");
    CHECK(a.attributed_gets == 4);
    CHECK(a.unattributed_gets == 1);
    CHECK(a.packages_hit == 2);
    CHECK(a.packages_missed == 1);
    CHECK(a.agree == 3);
    CHECK(a.disagreements.empty());
    CHECK(a.causes.empty());
    auto j = analysis::cache_program_json(a);
    CHECK(j["gets"] == 5);
    CHECK(j["hits"] == 3);
    CHECK(j["local"]["gets"] == 5);
    CHECK(j["upstream"]["gets"] == 0);
    CHECK(j["upstream_command"].is_null());

    // A hit the model calls rebuilt is listed.
    b.packages[2].outcome = model::Outcome::Rebuilt;
    a = analysis::analyse_cache_program(b, run, nullptr, history::Scope("/m"));
    CHECK(a.agree == 2);
    REQUIRE(a.disagreements.size() == 1);
    CHECK(a.disagreements[0] == "example.com/c: get hit, model rebuilt");
}

TEST_CASE("cache program: each fault is a named cause", "[cacheprog]") {
    model::Build b;
    b.packages = {package("example.com/a", 'a', model::Outcome::Rebuilt)};
    cp::RecordLog log;
    log.sessions = {"s1"};
    auto failed = [](char id, const std::string& err) {
        auto r = get(full_id(id), "miss");
        r.upstream = {true, "error", 1000, err};
        r.error = err;
        return r;
    };
    log.requests.push_back(failed('a', "backend: 503"));
    log.requests.push_back(failed('e', "upstream DiskPath: read /x/vanished: No such file or directory"));
    log.requests.push_back(failed('f', "upstream exited: exit status 3"));
    auto put = get(full_id('g'), "stored");
    put.cmd = "put";
    put.local = {true, "error", 10, "write /c/ab/x-d.tmp: No space left on device"};
    log.requests.push_back(put);
    log.problems.push_back({"s1", "upstream stderr: boom"});
    analysis::CacheProgramRun run{&log, nullptr, "helper", {}, {}};
    auto a = analysis::analyse_cache_program(b, run, nullptr, history::Scope("/m"));
    REQUIRE(find(a, CacheCause::UpstreamErrors));
    CHECK(find(a, CacheCause::UpstreamErrors)->detail == "backend: 503");
    CHECK(find(a, CacheCause::DiskPathVanished));
    CHECK(find(a, CacheCause::UpstreamDied));
    CHECK(find(a, CacheCause::LocalDiskFull));
    CHECK(find(a, CacheCause::ProgramProblems));
    CHECK_FALSE(find(a, CacheCause::NotStarted));
    CHECK(a.packages[0].error == "backend: 503");
    CHECK(analysis::cache_program_json(a)["upstream_command"] == "helper");

    // Nothing recorded: go never started it.
    cp::RecordLog none;
    analysis::CacheProgramRun nothing{&none, nullptr, "", {}, {}};
    CHECK(find(analysis::analyse_cache_program(b, nothing, nullptr, history::Scope("/m")), CacheCause::NotStarted));
}

TEST_CASE("cache program: a hit slower than the last compile is a negative saving", "[cacheprog]") {
    testing::TempStore t;
    auto r = testing::rec("example.com/a", short_id('a'), "C1");
    r.seconds = 0.05;
    t.add("build", {"./..."}, {r});
    model::Build b;
    b.packages = {package("example.com/a", 'a', model::Outcome::CacheHit)};
    cp::RecordLog log;
    log.sessions = {"s1"};
    auto slow = get(full_id('a'), "hit", "upstream", 400000, 10);
    slow.upstream = {true, "hit", 399000, ""};
    log.requests.push_back(slow);
    analysis::CacheProgramRun run{&log, nullptr, "helper", {}, {}};
    auto a = analysis::analyse_cache_program(b, run, &t.store, history::Scope("/m"));
    REQUIRE(a.packages[0].compile_seconds);
    CHECK(*a.packages[0].compile_seconds == Approx(0.05));
    CHECK(a.packages[0].negative_savings);
    auto* n = find(a, CacheCause::NegativeSavings);
    REQUIRE(n);
    CHECK(n->detail == "example.com/a: fetched in 400 ms, compiled in 50 ms");
    auto lines = analysis::cache_program_text(a, 10);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].find("1 hits (0 local, 1 upstream)") != std::string::npos);
    CHECK(lines[2].find("negative_savings") != std::string::npos);
}
