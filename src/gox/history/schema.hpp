#pragma once
// The history's logical schema, one list of migrations that both backends
// apply in order, each in its own dialect (SQLite, PostgreSQL). A database
// records its version in gox_schema (one row); a database from before the
// version table (a SQLite history of gox 0.1) is version 1. Opening a store
// applies the steps past its version, so every earlier schema is migrated on
// first use (tests/unit/test_store.cpp starts from each).

#include <gox/history/store.hpp>

#include <string>
#include <vector>

namespace gox::history::schema {

struct Step {
    int version;        // the version the database has after this step
    const char* sqlite; // statements, run as one script
    const char* pg;
};

inline constexpr Step kSteps[] = {
    {1,
     R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started REAL NOT NULL, cwd TEXT, module_root TEXT NOT NULL, verb TEXT, args TEXT,
  go_version TEXT, env TEXT, exit_code INTEGER, seconds REAL);
CREATE TABLE IF NOT EXISTS packages (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  import_path TEXT NOT NULL, variant TEXT NOT NULL, action_id TEXT, content_id TEXT,
  outcome TEXT, reason TEXT, detail TEXT, seconds REAL, inputs TEXT);
CREATE INDEX IF NOT EXISTS packages_by_path ON packages(import_path, variant, run_id);
CREATE INDEX IF NOT EXISTS packages_by_action ON packages(action_id);
CREATE INDEX IF NOT EXISTS runs_by_module ON runs(module_root, id);
CREATE INDEX IF NOT EXISTS packages_by_run ON packages(run_id);
CREATE TABLE IF NOT EXISTS reports (run_id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
)sql",
     R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id BIGSERIAL PRIMARY KEY,
  started DOUBLE PRECISION NOT NULL, cwd TEXT, module_root TEXT NOT NULL, verb TEXT, args TEXT,
  go_version TEXT, env TEXT, exit_code INTEGER, seconds DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS packages (
  run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  import_path TEXT NOT NULL, variant TEXT NOT NULL, action_id TEXT, content_id TEXT,
  outcome TEXT, reason TEXT, detail TEXT, seconds DOUBLE PRECISION, inputs TEXT);
CREATE INDEX IF NOT EXISTS packages_by_path ON packages(import_path, variant, run_id);
CREATE INDEX IF NOT EXISTS packages_by_action ON packages(action_id);
CREATE INDEX IF NOT EXISTS runs_by_module ON runs(module_root, id);
CREATE INDEX IF NOT EXISTS packages_by_run ON packages(run_id);
CREATE TABLE IF NOT EXISTS reports (run_id BIGINT PRIMARY KEY, doc TEXT NOT NULL);
)sql"},
    // Who ran each run: runs keyed by project (the module path) and by host,
    // CI job and branch, for a history shared by many machines. Older runs
    // get their project from the module path their fingerprint recorded.
    {2,
     R"sql(
ALTER TABLE runs ADD COLUMN project TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN job TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN job_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN branch TEXT NOT NULL DEFAULT '';
UPDATE runs SET project = COALESCE(NULLIF(CASE WHEN json_valid(env) THEN json_extract(env, '$."(module path)"') END, ''),
                                   module_root);
CREATE INDEX runs_by_project ON runs(project, id);
CREATE INDEX runs_by_job ON runs(project, job, id);
CREATE INDEX runs_by_branch ON runs(project, branch, id);
CREATE INDEX runs_by_started ON runs(project, started);
)sql",
     R"sql(
ALTER TABLE runs ADD COLUMN IF NOT EXISTS project TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS host TEXT NOT NULL DEFAULT '', ADD COLUMN IF NOT EXISTS job TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS job_id TEXT NOT NULL DEFAULT '', ADD COLUMN IF NOT EXISTS branch TEXT NOT NULL DEFAULT '';
UPDATE runs SET project = COALESCE(NULLIF(substring(env from '"\(module path\)":"([^"]*)"'), ''), module_root);
CREATE INDEX IF NOT EXISTS runs_by_project ON runs(project, id);
CREATE INDEX IF NOT EXISTS runs_by_job ON runs(project, job, id);
CREATE INDEX IF NOT EXISTS runs_by_branch ON runs(project, branch, id);
CREATE INDEX IF NOT EXISTS runs_by_started ON runs(project, started);
)sql"},
    // The failure class a failed run's diagnosis gave it (gox stats counts
    // them); "" for a run that succeeded or was not diagnosed.
    {3,
     R"sql(
ALTER TABLE runs ADD COLUMN failure_class TEXT NOT NULL DEFAULT '';
)sql",
     R"sql(
ALTER TABLE runs ADD COLUMN IF NOT EXISTS failure_class TEXT NOT NULL DEFAULT '';
)sql"},
};

inline constexpr int kVersion = 3;

// The runs columns every query reads, in RunRecord's order.
inline constexpr const char* kRunCols =
    "id, started, cwd, module_root, verb, args, go_version, env, exit_code, seconds, project, host, job, job_id, branch, "
    "failure_class";
inline constexpr const char* kPkgCols = "import_path, variant, action_id, content_id, outcome, reason, detail, seconds, inputs";
// kPkgCols for a query that joins runs (which has a seconds column too).
inline constexpr const char* kPkgColsP =
    "p.import_path, p.variant, p.action_id, p.content_id, p.outcome, p.reason, p.detail, p.seconds, p.inputs";


// The condition on runs (aliased r) that a scope sets, with its parameters
// as '?' (both backends bind them after the query's own, in this order:
// scope_params).
inline std::string scope_clause(const Scope& s) {
    switch (s.by) {
    case Scope::By::Job: return "r.project=? AND r.job=?";
    case Scope::By::Branch: return "r.project=? AND r.branch=?";
    case Scope::By::Root: break;
    }
    return s.host.empty() ? "r.module_root=?" : "r.module_root=? AND r.host=?";
}
inline std::vector<std::string> scope_params(const Scope& s) {
    if (s.by != Scope::By::Root) return {s.project, s.key};
    if (s.host.empty()) return {s.key};
    return {s.key, s.host};
}
// Which of the four clause shapes: prepared statements are kept per shape.
inline int scope_shape(const Scope& s) {
    if (s.by == Scope::By::Root) return s.host.empty() ? 0 : 1;
    return s.by == Scope::By::Job ? 2 : 3;
}
inline constexpr int kScopeShapes = 4;

// The per-package queries, their own parameters first (in the order named),
// then the scope's.
// previous: import_path, variant, before_run.
inline std::string previous_sql(const Scope& s) {
    return std::string("SELECT ") + kPkgColsP +
           " FROM packages p WHERE p.import_path=? AND p.variant=? AND p.run_id<? AND p.run_id IN "
           "(SELECT r.id FROM runs r WHERE " + scope_clause(s) + ") ORDER BY p.run_id DESC LIMIT 1";
}
// earlier: import_path, variant, before_run, limit (last, after the scope's).
inline std::string earlier_sql(const Scope& s) {
    return std::string("SELECT ") + kPkgColsP +
           ", r.verb, r.args FROM packages p JOIN runs r ON r.id=p.run_id WHERE p.import_path=? AND "
           "p.variant=? AND p.run_id<? AND " + scope_clause(s) + " ORDER BY p.run_id DESC LIMIT ?";
}
// action_seen: action_id, before_run.
inline std::string action_seen_sql(const Scope& s) {
    return "SELECT 1 FROM packages p JOIN runs r ON r.id=p.run_id WHERE p.action_id=? AND p.run_id<? AND " +
           scope_clause(s) + " AND p.outcome IN ('rebuilt','cache_hit') LIMIT 1";
}
// packages_by_action: the packages recorded with one action ID (newest
// first), test results apart: kPkgColsP. SQLite asks once per ID; a server
// gets every ID at once (pg_store.cpp).
inline std::string by_action_sql() {
    return std::string("SELECT ") + kPkgColsP +
           " FROM packages p WHERE p.action_id=? AND p.variant<>'(test result)' ORDER BY p.run_id DESC LIMIT 1";
}
// runs: (scope), limit.
inline std::string runs_sql(const Scope* s) {
    return std::string("SELECT ") + kRunCols + " FROM runs r" + (s ? " WHERE " + scope_clause(*s) : std::string()) +
           " ORDER BY id DESC LIMIT ?";
}
// A row of kRunCols / kPkgCols as a record. Row: text(c), i64(c), dbl(c)
// (each backend's result row).
template <class Row>
RunRecord run_from(const Row& s) {
    RunRecord r;
    r.id = s.i64(0);
    r.started = s.dbl(1);
    std::string* text[] = {&r.cwd, &r.module_root, &r.verb, &r.args, &r.go_version, &r.env};
    for (int c = 0; c < 6; ++c) *text[c] = s.text(2 + c);
    r.exit_code = static_cast<int>(s.i64(8));
    r.seconds = s.dbl(9);
    std::string* who[] = {&r.project, &r.host, &r.job, &r.job_id, &r.branch};
    for (int c = 0; c < 5; ++c) *who[c] = s.text(10 + c);
    r.failure_class = s.text(15);
    return r;
}
template <class Row>
PackageRecord package_from(const Row& s) {
    PackageRecord p;
    std::string* text[] = {&p.import_path, &p.variant, &p.action_id, &p.content_id, &p.outcome, &p.reason, &p.detail};
    for (int c = 0; c < 7; ++c) *text[c] = s.text(c);
    p.seconds = s.dbl(7);
    p.inputs = s.text(8);
    return p;
}

inline constexpr const char* kInsertRun =
    "INSERT INTO runs(started, cwd, module_root, verb, args, go_version, env, exit_code, seconds, project, host, job, "
    "job_id, branch, failure_class) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

// gox stats' two aggregate queries (history/store.hpp, StatsQuery), the same
// SQL on both backends: every figure is a sum over the runs started since
// the window's start (of one project, with project). Parameters: the
// window's start, then the project.
inline std::string stats_where(bool project) {
    return std::string(" WHERE r.started>=?") + (project ? " AND r.project=?" : "");
}
// One row per run, with its package and test-result counts (RunTally's order).
inline std::string run_tallies_sql(bool project) {
    const std::string pkg = "p.variant<>'(test result)' AND p.outcome=";
    const std::string test = "p.variant='(test result)' AND p.outcome";
    auto n = [](const std::string& cond) { return "COALESCE(sum(CASE WHEN " + cond + " THEN 1 ELSE 0 END),0)"; };
    return "SELECT r.id, r.started, r.project, r.host, r.job, r.branch, r.verb, r.failure_class, r.exit_code, "
           "r.seconds, " + n(pkg + "'cache_hit'") + ", " + n(pkg + "'rebuilt'") + ", " + n(pkg + "'failed'") + ", " +
           n(test + " IN ('cached','ok','fail')") + ", " + n(test + "='cached'") +
           " FROM runs r LEFT JOIN packages p ON p.run_id=r.id" + stats_where(project) +
           " GROUP BY r.id ORDER BY r.id";
}
// Per package, test-result or not, outcome, reason and half of the window
// (0: started before the split time, the first parameter): how many
// records, their summed seconds and how many were timed (PackageTally's order).
inline std::string package_tallies_sql(bool project) {
    return "SELECT p.import_path, CASE WHEN p.variant='(test result)' THEN 1 ELSE 0 END, p.outcome, p.reason, "
           "CASE WHEN r.started<? THEN 0 ELSE 1 END, count(*), "
           "COALESCE(sum(CASE WHEN p.seconds>0 THEN p.seconds ELSE 0 END),0), "
           "COALESCE(sum(CASE WHEN p.seconds>0 THEN 1 ELSE 0 END),0) FROM packages p JOIN runs r ON r.id=p.run_id" +
           stats_where(project) + " GROUP BY 1, 2, 3, 4, 5";
}
template <class Row>
RunTally run_tally_from(const Row& s) {
    RunTally t;
    t.id = s.i64(0);
    t.started = s.dbl(1);
    std::string* text[] = {&t.project, &t.host, &t.job, &t.branch, &t.verb, &t.failure_class};
    for (int c = 0; c < 6; ++c) *text[c] = s.text(2 + c);
    t.exit_code = static_cast<int>(s.i64(8));
    t.seconds = s.dbl(9);
    std::int64_t* n[] = {&t.hits, &t.rebuilt, &t.failed, &t.tests, &t.tests_cached};
    for (int c = 0; c < 5; ++c) *n[c] = s.i64(10 + c);
    return t;
}
template <class Row>
PackageTally package_tally_from(const Row& s) {
    PackageTally t;
    t.import_path = s.text(0);
    t.test_result = s.i64(1) != 0;
    t.outcome = s.text(2);
    t.reason = s.text(3);
    t.half = static_cast<int>(s.i64(4));
    t.count = s.i64(5);
    t.seconds = s.dbl(6);
    t.timed = s.i64(7);
    return t;
}

} // namespace gox::history::schema
