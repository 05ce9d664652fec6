// The history store's per-package queries (prepared once per Store) and its
// pruning (in batches), on both backends: a SQLite store in a temporary
// file, and a PostgreSQL store when GOX_TEST_PG_URL names a database
// (tests/cli/with_pg.py starts a server and sets it; the database is
// emptied first). And the migration from each earlier schema.
#include <catch2/catch.hpp>

#include <gox/history/pg_store.hpp>
#include <gox/history/spool.hpp>
#include <gox/history/sqlite_store.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

using gox::history::PackageRecord;
using gox::history::RunRecord;
using gox::history::SqliteStore;
using gox::history::Store;

namespace {

struct TempDir {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("gox-unit-store-" + std::to_string(std::random_device{}()));
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string db() const { return (dir / "history.db").string(); }
};

std::int64_t add(Store& s, const std::string& root, const std::vector<std::string>& paths, const std::string& tag,
                 const std::string& verb = "build") {
    RunRecord r;
    r.module_root = root;
    r.verb = verb;
    r.args = "[]";
    std::vector<PackageRecord> pkgs;
    for (const auto& p : paths) {
        PackageRecord k;
        k.import_path = p;
        k.action_id = p + "-" + tag;
        k.content_id = "c-" + tag;
        k.outcome = "rebuilt";
        pkgs.push_back(k);
    }
    return s.add_run(r, pkgs);
}

// Opens a store of the backend on the test's database (a new connection each call).
using Opener = std::function<std::unique_ptr<Store>()>;

const char* pg_url() {
    const char* u = std::getenv("GOX_TEST_PG_URL");
    return u && *u ? u : nullptr;
}

void drop_pg_tables(const std::string& url) {
    gox::history::PgStore raw(url, false);
    raw.exec_script("DROP TABLE IF EXISTS packages, reports, runs, gox_schema CASCADE");
}

// Runs body on each backend there is: SQLite always, PostgreSQL with GOX_TEST_PG_URL.
void each_backend(const std::function<void(const Opener&)>& body) {
    {
        INFO("sqlite");
        TempDir t;
        body([&] { return std::make_unique<SqliteStore>(t.db()); });
    }
    if (const char* url = pg_url()) {
        INFO("postgresql");
        drop_pg_tables(url);
        body([url] { return std::make_unique<gox::history::PgStore>(url); });
    } else {
        WARN("GOX_TEST_PG_URL unset: PostgreSQL store not tested here (tests/cli/with_pg.py)");
    }
}

void queries(const Opener& open) {
    auto sp = open();
    Store& s = *sp;
    CHECK_FALSE(s.previous("/m", "a", "", INT64_MAX));
    auto r1 = add(s, "/m", {"a", "b"}, "1");
    add(s, "/other", {"a"}, "x");
    auto r2 = add(s, "/m", {"a"}, "2");
    for (int round = 0; round < 3; ++round) {
        auto p = s.previous("/m", "a", "", INT64_MAX);
        REQUIRE(p);
        CHECK(p->action_id == "a-2");
        CHECK(s.previous("/m", "a", "", r2)->action_id == "a-1");
        CHECK_FALSE(s.previous("/m", "a", "", r1));
        CHECK(s.previous("/m", "b", "", INT64_MAX)->action_id == "b-1");
        CHECK_FALSE(s.previous("/m", "b", "P.test", INT64_MAX));
        auto e = s.earlier("/m", "a", "", INT64_MAX, 32);
        REQUIRE(e.size() == 2);
        CHECK(e[0].pkg.action_id == "a-2");
        CHECK(e[1].pkg.action_id == "a-1");
        CHECK(e[0].verb == "build");
        CHECK(s.earlier("/m", "a", "", INT64_MAX, 1).size() == 1);
        CHECK(s.action_seen("/m", "a-1", INT64_MAX));
        CHECK_FALSE(s.action_seen("/m", "a-x", INT64_MAX));
        CHECK_FALSE(s.action_seen("/m", "a-2", r2));
    }
    // A run recorded after the queries ran (their statements kept, reset):
    // the next answers include it.
    add(s, "/m", {"a"}, "3", "vet");
    CHECK(s.previous("/m", "a", "", INT64_MAX)->action_id == "a-3");
    auto e = s.earlier("/m", "a", "", INT64_MAX, 32);
    REQUIRE(e.size() == 3);
    CHECK(e[0].verb == "vet");
    CHECK(s.action_seen("/m", "a-3", INT64_MAX));
    // Another connection writes while this one keeps its statements.
    {
        auto other = open();
        add(*other, "/m", {"a"}, "4");
    }
    CHECK(s.previous("/m", "a", "", INT64_MAX)->action_id == "a-4");
}

// gox cacheprog (standalone) names the packages of the action IDs go asked
// for from whatever run recorded them, the newest record of each.
void by_action(const Opener& open) {
    auto sp = open();
    Store& s = *sp;
    CHECK(s.packages_by_action({"a-1"}).empty());
    add(s, "/m", {"a", "b"}, "1");
    add(s, "/other", {"c"}, "1");
    // The same action ID recorded again, for another variant: the newest wins.
    RunRecord r;
    r.module_root = "/m";
    r.args = "[]";
    PackageRecord again;
    again.import_path = "a";
    again.variant = "a.test";
    again.action_id = "a-1";
    again.outcome = "cache_hit";
    PackageRecord result; // a test result's ID is not a build's
    result.import_path = "t";
    result.variant = "(test result)";
    result.action_id = "t-1";
    result.outcome = "cached";
    s.add_run(r, {again, result});
    auto m = s.packages_by_action({"a-1", "b-1", "c-1", "t-1", "nope", "", "a-1"});
    REQUIRE(m.size() == 3);
    CHECK(m["a-1"].import_path == "a");
    CHECK(m["a-1"].variant == "a.test");
    CHECK(m["b-1"].import_path == "b");
    CHECK(m["b-1"].variant.empty());
    CHECK(m["c-1"].import_path == "c");
    CHECK(s.packages_by_action({}).empty());
    CHECK(s.packages_by_action({"has space", "q\"uote"}).empty());
}

void prune_in_batches(const Opener& open) {
    auto sp = open();
    Store& s = *sp;
    const int keep = 20;
    const int slack = Store::prune_slack(keep);
    REQUIRE(slack >= 1);
    std::vector<std::int64_t> ids;
    std::size_t most = 0;
    for (int i = 0; i < 3 * keep; ++i) {
        ids.push_back(add(s, "/m", {"a", "b"}, std::to_string(i)));
        s.set_report(ids.back(), "{\"run\": " + std::to_string(i) + "}");
        s.prune(keep);
        auto runs = s.runs("", 1000);
        most = std::max(most, runs.size());
        // Never more than keep + slack, and the newest keep always there.
        CHECK(runs.size() <= static_cast<std::size_t>(keep + slack));
        CHECK(runs.size() >= std::min<std::size_t>(ids.size(), keep));
        for (std::size_t k = ids.size() > static_cast<std::size_t>(keep) ? ids.size() - keep : 0; k < ids.size(); ++k)
            CHECK(s.run(ids[k]));
        // Reports: the newest kReportRuns (more than keep here: all runs kept).
        for (const auto& r : runs) CHECK(s.report(r.id));
    }
    CHECK(most == static_cast<std::size_t>(keep + slack));
    // A removed run's packages are gone with it; the previous record comes
    // from the runs kept.
    std::int64_t oldest = s.runs("", 1000).back().id;
    CHECK(oldest > ids.front());
    CHECK(s.packages(ids.front()).empty());
    CHECK_FALSE(s.report(ids.front()));
    CHECK(s.packages(oldest).size() == 2);
    CHECK(s.earlier("/m", "a", "", INT64_MAX, 1000).size() == s.runs("", 1000).size());
    // keep 0: everything goes once past the slack (0 for keep 0).
    s.prune(0);
    CHECK(s.runs("", 1000).empty());
    CHECK_FALSE(s.previous("/m", "a", "", INT64_MAX));
}

void prune_reports(const Opener& open) {
    auto sp = open();
    Store& s = *sp;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < Store::kReportRuns + 5; ++i) {
        ids.push_back(add(s, "/m", {"a"}, std::to_string(i)));
        s.set_report(ids.back(), "{}");
        s.prune(200);
    }
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(s.report(ids[k]).has_value() == (k >= 5));
    CHECK(s.runs("", 1000).size() == ids.size());
}

} // namespace

TEST_CASE("Store: the per-package queries see every run, asked again and again", "[history][store]") {
    each_backend(queries);
}

TEST_CASE("Store::packages_by_action names the package of each action ID", "[history][store]") {
    each_backend(by_action);
}

TEST_CASE("Store::prune keeps the newest runs, removing old ones in batches", "[history][store]") {
    each_backend(prune_in_batches);
}

TEST_CASE("Store::prune keeps the reports of the newest kReportRuns runs every time", "[history][store]") {
    each_backend(prune_reports);
}

TEST_CASE("Store: runs keyed by project, job and branch; retention per project", "[history][store]") {
    each_backend([](const Opener& open) {
        auto sp = open();
        Store& s = *sp;
        auto add_as = [&](const std::string& root, const std::string& project, const std::string& host,
                          const std::string& job, const std::string& branch, const std::string& tag) {
            RunRecord r;
            r.module_root = root;
            r.started = static_cast<double>(std::time(nullptr));
            r.project = project;
            r.host = host;
            r.job = job;
            r.job_id = tag;
            r.branch = branch;
            r.verb = "build";
            r.args = "[]";
            PackageRecord k;
            k.import_path = "a";
            k.action_id = "a-" + tag;
            k.outcome = "rebuilt";
            return s.add_run(r, {k});
        };
        add_as("/w/x", "example.com/x", "m1", "lint", "main", "1");
        add_as("/w/x", "example.com/x", "m2", "build", "feature", "2");
        add_as("/other", "example.com/y", "m1", "build", "feature", "3");
        using gox::history::Scope;
        CHECK(s.previous(Scope::job_of("example.com/x", "build"), "a", "", INT64_MAX)->action_id == "a-2");
        CHECK(s.previous(Scope::job_of("example.com/x", "lint"), "a", "", INT64_MAX)->action_id == "a-1");
        CHECK(s.previous(Scope::branch_of("example.com/x", "main"), "a", "", INT64_MAX)->action_id == "a-1");
        CHECK_FALSE(s.previous(Scope::branch_of("example.com/x", "other"), "a", "", INT64_MAX));
        Scope here("/w/x");
        here.host = "m1";
        CHECK(s.previous(here, "a", "", INT64_MAX)->action_id == "a-1");
        CHECK(s.action_seen(here, "a-1", INT64_MAX));
        CHECK_FALSE(s.action_seen(here, "a-2", INT64_MAX));
        CHECK(s.previous("/w/x", "a", "", INT64_MAX)->action_id == "a-2");
        auto runs = s.runs(Scope::branch_of("example.com/x", "feature"), 10);
        REQUIRE(runs.size() == 1);
        CHECK(runs[0].host == "m2");
        CHECK(runs[0].job == "build");
        CHECK(runs[0].job_id == "2");
        CHECK(runs[0].project == "example.com/x");
        // Retention is per project: keeping 1 run of x leaves y's alone.
        s.prune(gox::history::Retention{1, 0, "example.com/x"});
        CHECK(s.all_runs(10).size() == 2);
        CHECK(s.runs(Scope::job_of("example.com/y", "build"), 10).size() == 1);
        // By age: a day keeps every run made just now.
        s.prune(gox::history::Retention{0, 1, "example.com/y"});
        CHECK(s.all_runs(10).size() == 2);
    });
}

namespace {

// A version 1 history (gox 0.1: no version table, no identity columns) with
// one run of module example.com/m, migrated by opening it.
void check_migrated(Store& s, int version) {
    CHECK(version == gox::history::schema::kVersion);
    auto runs = s.all_runs(10);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].project == "example.com/m");
    CHECK(s.previous("/old", "a", "", INT64_MAX)->action_id == "a-old");
    CHECK(s.previous(gox::history::Scope::job_of("example.com/m", ""), "a", "", INT64_MAX)->action_id == "a-old");
    auto id = add(s, "/old", {"a"}, "new");
    CHECK(s.run(id)->project == "");
    CHECK(s.previous("/old", "a", "", INT64_MAX)->action_id == "a-new");
}

constexpr const char* kV1Rows =
    "INSERT INTO runs(started, cwd, module_root, verb, args, go_version, env, exit_code, seconds) VALUES "
    "(1, '/old', '/old', 'build', '[]', 'go1.26', '{\"(module path)\":\"example.com/m\"}', 0, 1);"
    "INSERT INTO packages(run_id, import_path, variant, action_id, content_id, outcome, reason, detail, seconds, inputs) "
    "VALUES (1, 'a', '', 'a-old', 'c', 'rebuilt', 'no_history', '', 1, '');";

} // namespace

TEST_CASE("Store: a version 1 history is migrated on first use", "[history][store][migrate]") {
    using gox::history::schema::kSteps;
    {
        INFO("sqlite");
        TempDir t;
        std::filesystem::create_directories(t.dir);
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(t.db().c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, kSteps[0].sqlite, nullptr, nullptr, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, kV1Rows, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        SqliteStore s(t.db());
        check_migrated(s, s.schema_version());
        SqliteStore again(t.db()); // current: nothing to do
        CHECK(again.schema_version() == gox::history::schema::kVersion);
    }
    if (const char* url = pg_url()) {
        INFO("postgresql");
        drop_pg_tables(url);
        {
            gox::history::PgStore raw(url, false);
            CHECK(raw.schema_version() == 0);
            raw.exec_script(kSteps[0].pg);
            raw.exec_script(kV1Rows);
            CHECK(raw.schema_version() == 1);
        }
        gox::history::PgStore s(url);
        check_migrated(s, s.schema_version());
    }
}

// A version 2 history (identity columns, no failure class) is migrated:
// its runs keep their project and get failure_class "".
TEST_CASE("Store: a version 2 history is migrated on first use", "[history][store][migrate]") {
    using gox::history::schema::kSteps;
    const std::string rows = std::string(kV1Rows) + "UPDATE runs SET project='example.com/m', host='h';";
    auto check = [](Store& s) {
        auto runs = s.all_runs(10);
        REQUIRE(runs.size() == 1);
        CHECK(runs[0].project == "example.com/m");
        CHECK(runs[0].host == "h");
        CHECK(runs[0].failure_class == "");
        CHECK(s.previous("/old", "a", "", INT64_MAX)->action_id == "a-old");
    };
    {
        INFO("sqlite");
        TempDir t;
        std::filesystem::create_directories(t.dir);
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(t.db().c_str(), &db) == SQLITE_OK);
        for (const char* sql : {kSteps[0].sqlite, kSteps[1].sqlite, rows.c_str(),
                                "CREATE TABLE gox_schema (version INTEGER NOT NULL); INSERT INTO gox_schema VALUES (2);"})
            REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        SqliteStore s(t.db());
        CHECK(s.schema_version() == gox::history::schema::kVersion);
        check(s);
    }
    if (const char* url = pg_url()) {
        INFO("postgresql");
        drop_pg_tables(url);
        {
            gox::history::PgStore raw(url, false);
            raw.exec_script(kSteps[0].pg);
            raw.exec_script(kSteps[1].pg);
            raw.exec_script(rows);
            raw.exec_script("CREATE TABLE gox_schema (version INTEGER NOT NULL); INSERT INTO gox_schema VALUES (2)");
            CHECK(raw.schema_version() == 2);
        }
        gox::history::PgStore s(url);
        CHECK(s.schema_version() == gox::history::schema::kVersion);
        check(s);
    }
}

TEST_CASE("PgStore: a server lost after opening fails once, then quietly", "[history][store]") {
    const char* url = pg_url();
    if (!url) return;
    drop_pg_tables(url);
    gox::history::PgStore s(url);
    add(s, "/m", {"a"}, "1");
    CHECK(s.previous("/m", "a", "", INT64_MAX));
    {
        gox::history::PgStore admin(url, false);
        admin.exec_script("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name='gox' AND "
                          "pid <> pg_backend_pid()");
    }
    CHECK_THROWS_WITH(s.previous("/m", "a", "", INT64_MAX), Catch::Contains("lost the server"));
    CHECK(s.lost());
    CHECK_FALSE(s.previous("/m", "a", "", INT64_MAX)); // quietly: no history
    CHECK(s.runs("", 10).empty());
    CHECK_THROWS_AS(add(s, "/m", {"a"}, "2"), gox::history::HistoryError);
}

TEST_CASE("spool: records wait in a file and are sent in order, once", "[history][store]") {
    namespace spool = gox::history::spool;
    TempDir t;
    std::string file = (t.dir / "spool.jsonl").string();
    spool::Entry e;
    e.run.module_root = "/m";
    e.run.project = "example.com/m";
    e.run.host = "h1";
    e.run.args = "[\"./...\"]";
    e.run.env = "{\"a\": \"tab\\there\"}";
    PackageRecord k;
    k.import_path = "a";
    k.action_id = "a-1";
    k.inputs = "line1\nline2\twith tab";
    e.packages = {k};
    e.report = "{}";
    spool::append(file, "postgresql://srv/db", e);
    e.packages[0].action_id = "a-2";
    spool::append(file, "postgresql://srv/db", e);
    spool::append(file, "postgresql://other/db", e);
    CHECK(spool::read(file, "postgresql://srv/db").size() == 2);
    each_backend([&](const Opener& open) {
        auto s = open();
        // Sent once: the second drain finds nothing for this server.
        std::string copy = (t.dir / "copy.jsonl").string();
        std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
        CHECK(spool::drain(copy, "postgresql://srv/db", *s) == 2);
        CHECK(spool::drain(copy, "postgresql://srv/db", *s) == 0);
        CHECK(spool::read(copy, "postgresql://other/db").size() == 1);
        auto runs = s->all_runs(10);
        REQUIRE(runs.size() == 2);
        CHECK(runs[0].host == "h1");
        CHECK(runs[0].env == e.run.env);
        CHECK(s->previous("/m", "a", "", INT64_MAX)->action_id == "a-2");
        CHECK(s->packages(runs[1].id).at(0).inputs == k.inputs);
        CHECK(s->report(runs[0].id) == "{}");
    });
}
