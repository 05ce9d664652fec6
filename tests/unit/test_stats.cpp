// gox stats' figures from a history: the store's two aggregate queries
// (the same SQL on both backends) and the analysis of them. Runs on SQLite,
// and again on PostgreSQL under tests/cli/with_pg.py (unit_pg: [stats]).
#include <catch2/catch.hpp>

#include "temp_store.hpp"

#include <gox/stats/stats.hpp>

#include <chrono>
#include <cmath>

using gox::history::PackageRecord;
using gox::history::RunRecord;
using gox::testing::TempStore;

namespace {

// Noon (UTC) today: the runs an hour before it are on the same day.
double now_s() {
    double t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return std::floor(t / 86400) * 86400 + 43200;
}

PackageRecord prec(const std::string& path, const std::string& outcome, const std::string& reason = "",
                   double seconds = -1, const std::string& variant = "") {
    PackageRecord p;
    p.import_path = path;
    p.variant = variant;
    p.action_id = path + "-id";
    p.outcome = outcome;
    p.reason = reason;
    p.seconds = seconds;
    return p;
}

std::int64_t add(TempStore& t, double started, const std::string& project, const std::string& job,
                 const std::string& host, const std::vector<PackageRecord>& pkgs, int exit_code = 0,
                 const std::string& failure_class = "") {
    RunRecord r;
    r.started = started;
    r.module_root = "/src/" + project;
    r.verb = "build";
    r.args = "[]";
    r.project = project;
    r.job = job;
    r.host = host;
    r.exit_code = exit_code;
    r.failure_class = failure_class;
    return t.store.add_run(r, pkgs);
}

const std::string kTest = "(test result)";

// Three runs in the window (two of project m, on two jobs and hosts, three
// days apart; one failed run of project n), one run before it.
void fill(TempStore& t, double now) {
    add(t, now - 10 * 86400, "example.com/m", "ci", "h1", {prec("m/a", "rebuilt", "source_file_changed", 9)});
    add(t, now - 3 * 86400, "example.com/m", "ci", "h1",
        {prec("m/a", "rebuilt", "source_file_changed", 2), prec("m/b", "cache_hit"),
         prec("m/c", "rebuilt", "dependency_changed", 1), prec("m/a", "ok", "", -1, kTest),
         prec("m/b", "cached", "", -1, kTest)});
    add(t, now - 3600, "example.com/m", "lint", "h2",
        {prec("m/a", "rebuilt", "source_file_changed", 4), prec("m/b", "cache_hit"), prec("m/c", "cache_hit"),
         prec("m/a", "cached", "", -1, kTest)});
    add(t, now - 1800, "example.com/n", "", "h2", {prec("n/x", "failed", "no_history")}, 1, "compile_error");
}

gox::stats::Options window(double now, const std::string& since = "7d", const std::string& project = "") {
    gox::stats::Options o;
    o.now = now;
    o.window = *gox::stats::parse_duration(since);
    o.window_label = since;
    o.project = project;
    return o;
}

} // namespace

TEST_CASE("stats: the figures of a window, summed by the store", "[stats]") {
    TempStore t;
    double now = now_s();
    fill(t, now);
    auto s = gox::stats::compute(t.store, window(now));
    CHECK(s.runs == 3);
    CHECK(s.failed_runs == 1);
    CHECK(s.packages.hits == 3);
    CHECK(s.packages.misses == 4);
    CHECK(s.tests.hits == 2);
    CHECK(s.tests.misses == 1);
    REQUIRE(s.days.size() == 2);
    CHECK(s.days[0].runs == 1);
    CHECK(s.days[1].runs == 2);
    REQUIRE(s.projects.size() == 2);
    CHECK(s.projects[0].key == "example.com/m");
    CHECK(s.projects[0].runs == 2);
    CHECK(s.projects[0].packages.rate() == Approx(0.5));
    REQUIRE(s.jobs.size() == 3);
    CHECK(s.hosts.size() == 2);
    REQUIRE(s.most_missed.size() == 3);
    CHECK(s.most_missed[0].package == "m/a");
    CHECK(s.most_missed[0].misses == 2);
    CHECK(s.most_missed[0].records == 2);
    REQUIRE(s.most_missed[0].reasons.size() == 1);
    CHECK(s.most_missed[0].reasons[0] == std::pair<std::string, std::int64_t>{"source_file_changed", 2});
    REQUIRE(s.reasons.size() == 2);
    CHECK(s.reasons[0].reason == "source_file_changed");
    CHECK(s.reasons[0].packages == 2);
    CHECK(s.reasons[0].seconds == Approx(6));
    CHECK(s.reasons[1].reason == "dependency_changed");
    REQUIRE(s.slowest.size() == 2);
    CHECK(s.slowest[0].package == "m/a");
    CHECK(s.slowest[0].mean == Approx(3));
    REQUIRE(s.slowest[0].first_half);
    REQUIRE(s.slowest[0].second_half);
    CHECK(*s.slowest[0].first_half == Approx(2));
    CHECK(*s.slowest[0].second_half == Approx(4));
    REQUIRE(s.failure_classes.size() == 1);
    CHECK(s.failure_classes[0] == std::pair<std::string, std::int64_t>{"compile_error", 1});

    auto j = gox::stats::to_json(s);
    CHECK(j["schema_version"] == gox::stats::kSchemaVersion);
    CHECK(j["runs"] == 3);
    CHECK(j["by_project"][0]["runs"] == 2);
    CHECK(j["tests"]["results"] == 3);
    CHECK(j["slowest"][0]["change_percent"] == Approx(100));
    CHECK(j["failures"]["classes"][0]["class"] == "compile_error");

    // One project; a shorter window.
    CHECK(gox::stats::compute(t.store, window(now, "7d", "example.com/n")).runs == 1);
    auto day = gox::stats::compute(t.store, window(now, "1d"));
    CHECK(day.runs == 2);
    CHECK(day.packages.misses == 2);
    CHECK(gox::stats::compute(t.store, window(now, "30d")).runs == 4);
}

TEST_CASE("stats: an empty history or window is an empty report", "[stats]") {
    TempStore t;
    double now = now_s();
    auto s = gox::stats::compute(t.store, window(now));
    CHECK(s.runs == 0);
    auto j = gox::stats::to_json(s);
    CHECK(j["runs"] == 0);
    CHECK(j["packages"]["hit_rate"].is_null());
    CHECK(j["by_day"].empty());
    CHECK(gox::stats::render_text(s).find("no runs in the window") != std::string::npos);
    CHECK(gox::stats::render_html(s).find("No runs in the window") != std::string::npos);
    fill(t, now);
    CHECK(gox::stats::compute(t.store, window(now, "7d", "example.com/nothing")).runs == 0);
}

TEST_CASE("stats: the failure class of a run is kept", "[stats]") {
    TempStore t;
    auto id = add(t, now_s(), "p", "", "", {}, 2, "cache_corrupt");
    CHECK(t.store.run(id)->failure_class == "cache_corrupt");
    CHECK(t.store.all_runs(1)[0].failure_class == "cache_corrupt");
}

TEST_CASE("stats: the page escapes what the history holds and draws both plots", "[stats]") {
    TempStore t;
    double now = now_s();
    fill(t, now);
    add(t, now - 60, "example.com/<script>", "j<b>", "h", {prec("<script>alert(1)</script>", "rebuilt", "x<y", 1)});
    auto html = gox::stats::render_html(gox::stats::compute(t.store, window(now)));
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)") != std::string::npos);
    CHECK(html.find("id=\"hitrate\"") != std::string::npos);
    CHECK(html.find("id=\"timelost\"") != std::string::npos);
    CHECK(html.find("j&lt;b&gt;") != std::string::npos);
    CHECK(html.find("x&lt;y") != std::string::npos);
}

TEST_CASE("stats: durations", "[stats]") {
    using gox::stats::parse_duration;
    CHECK(*parse_duration("7d") == 7 * 86400);
    CHECK(*parse_duration("36h") == 36 * 3600);
    CHECK(*parse_duration("30m") == 1800);
    CHECK(*parse_duration("2w") == 14 * 86400);
    CHECK(*parse_duration("1.5d") == Approx(1.5 * 86400));
    for (const char* bad : {"", "d", "abc", "7", "-1d", "0d", "7x", "1e9d", "nand", "7 d"})
        CHECK_FALSE(parse_duration(bad));
}
