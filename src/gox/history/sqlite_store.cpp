#include <gox/history/sqlite_store.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace gox::history {

namespace {

class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) : m_db(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &m_st, nullptr) != SQLITE_OK)
            throw HistoryError(std::string("history: ") + sqlite3_errmsg(db));
    }
    // A statement the Store keeps: reset (ending its read) and unbound when
    // done, not finalized.
    Stmt(sqlite3* db, sqlite3_stmt* kept) : m_db(db), m_st(kept), m_kept(true) {}
    ~Stmt() {
        if (!m_kept) {
            sqlite3_finalize(m_st);
            return;
        }
        sqlite3_reset(m_st);
        sqlite3_clear_bindings(m_st);
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    Stmt& bind(int i, const std::string& s) {
        sqlite3_bind_text(m_st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(m_st, i, v);
        return *this;
    }
    Stmt& bind(int i, double v) {
        sqlite3_bind_double(m_st, i, v);
        return *this;
    }
    // Ready to run again with new bindings.
    void reset() {
        sqlite3_reset(m_st);
        sqlite3_clear_bindings(m_st);
    }
    // true while there is a row
    bool step() {
        int rc = sqlite3_step(m_st);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw HistoryError(std::string("history: ") + sqlite3_errmsg(m_db));
    }
    std::string text(int c) const {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(m_st, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_st, c))) : std::string();
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(m_st, c); }
    double dbl(int c) const { return sqlite3_column_double(m_st, c); }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_st = nullptr;
    bool m_kept = false;
};

RunRecord read_run(const Stmt& s) { return schema::run_from(s); }
PackageRecord read_pkg(const Stmt& s) { return schema::package_from(s); }

// Binds the scope's parameters from i on; returns the next index.
int bind_scope(Stmt& s, int i, const Scope& scope) {
    for (const auto& v : schema::scope_params(scope)) s.bind(i++, v);
    return i;
}

using schema::kPkgCols;
using schema::kPkgColsP;
using schema::kRunCols;

} // namespace

SqliteStore::SqliteStore(const std::string& path) : m_path(path) {
    if (path.empty()) throw HistoryError("history: no location (set GOX_HISTORY or HOME)");
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
        sqlite3_close(m_db);
        m_db = nullptr;
        throw HistoryError("history: cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(m_db, 10000);
    // A history we may read but not write (another user's, a read-only
    // mount) still explains this run; only recording it fails later.
    if (sqlite3_db_readonly(m_db, "main") == 1) {
        m_readonly = true;
        return;
    }
    try {
        exec("PRAGMA journal_mode=WAL");
        // In WAL mode NORMAL syncs at checkpoints only, not at every commit:
        // a run's record costs no fsync (four of them before, ~40 ms on a
        // loaded disk) and the database stays consistent; a power cut may
        // lose the last runs' records, which only explain past builds.
        exec("PRAGMA synchronous=NORMAL");
        // Nor a checkpoint at every close (the last connection would copy
        // the WAL back and sync): SQLite checkpoints when the WAL passes
        // 1000 pages, once every few runs.
        sqlite3_db_config(m_db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        exec("PRAGMA foreign_keys=ON");
        migrate();
    } catch (...) {
        sqlite3_close(m_db);
        m_db = nullptr;
        throw;
    }
}

SqliteStore::~SqliteStore() {
    for (auto& shapes : m_queries)
        for (sqlite3_stmt* st : shapes) sqlite3_finalize(st);
    sqlite3_close(m_db);
}

int SqliteStore::schema_version() const {
    auto has = [&](const char* table) {
        Stmt t(m_db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
        t.bind(1, std::string(table));
        return t.step();
    };
    if (has("gox_schema")) {
        Stmt v(m_db, "SELECT coalesce(max(version), 0) FROM gox_schema");
        v.step();
        return static_cast<int>(v.i64(0));
    }
    return has("runs") ? 1 : 0; // a history from before the version table
}

bool SqliteStore::tables_present() const {
    Stmt t(m_db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('runs', 'packages', 'reports')");
    t.step();
    return t.i64(0) == 3;
}

// The steps past the file's version, in one transaction (a concurrent
// first run waits for it, then finds the schema current).
void SqliteStore::migrate() {
    // Cheap when current: two reads, no write lock. A table missing from a
    // current file (a history from before reports were kept, or one dropped
    // by hand) brings the slow path too: the first step only creates what
    // is missing, so it runs every time.
    if (schema_version() == schema::kVersion && tables_present()) return;
    exec("BEGIN IMMEDIATE");
    try {
        int v = schema_version();
        for (const auto& step : schema::kSteps)
            if (step.version > v || step.version == 1) exec(step.sqlite);
        if (v < schema::kVersion) {
            exec("CREATE TABLE IF NOT EXISTS gox_schema (version INTEGER NOT NULL)");
            exec("DELETE FROM gox_schema");
            Stmt s(m_db, "INSERT INTO gox_schema(version) VALUES(?)");
            s.bind(1, static_cast<std::int64_t>(schema::kVersion));
            s.step();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

sqlite3_stmt* SqliteStore::prepared(Query q, const Scope& scope, const std::string& sql) const {
    sqlite3_stmt*& st = m_queries[q][schema::scope_shape(scope)];
    if (!st && sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        sqlite3_finalize(st);
        st = nullptr;
        throw HistoryError(std::string("history: ") + sqlite3_errmsg(m_db));
    }
    return st;
}

void SqliteStore::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(m_db);
        sqlite3_free(err);
        throw HistoryError("history: " + m_path + ": " + msg);
    }
}

std::int64_t SqliteStore::add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs) {
    if (m_readonly) throw HistoryError("history: " + m_path + " is read-only");
    exec("BEGIN IMMEDIATE");
    try {
        Stmt r(m_db, schema::kInsertRun);
        r.bind(1, run.started).bind(2, run.cwd).bind(3, run.module_root).bind(4, run.verb).bind(5, run.args);
        r.bind(6, run.go_version).bind(7, run.env).bind(8, static_cast<std::int64_t>(run.exit_code)).bind(9, run.seconds);
        r.bind(10, run.project).bind(11, run.host).bind(12, run.job).bind(13, run.job_id).bind(14, run.branch);
        r.bind(15, run.failure_class);
        r.step();
        std::int64_t id = sqlite3_last_insert_rowid(m_db);
        // Prepared once for all rows, not once per row (1,000 rows for a
        // large module).
        Stmt q(m_db, "INSERT INTO packages(run_id, import_path, variant, action_id, content_id, outcome, reason, "
                     "detail, seconds, inputs) VALUES(?,?,?,?,?,?,?,?,?,?)");
        for (const auto& k : pkgs) {
            q.reset();
            q.bind(1, id).bind(2, k.import_path).bind(3, k.variant).bind(4, k.action_id).bind(5, k.content_id);
            q.bind(6, k.outcome).bind(7, k.reason).bind(8, k.detail).bind(9, k.seconds).bind(10, k.inputs);
            q.step();
        }
        exec("COMMIT");
        return id;
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::optional<PackageRecord> SqliteStore::previous(const Scope& scope, const std::string& import_path,
                                                   const std::string& variant, std::int64_t before_run) const {
    Stmt s(m_db, prepared(kPrevious, scope, schema::previous_sql(scope)));
    s.bind(1, import_path).bind(2, variant).bind(3, before_run);
    bind_scope(s, 4, scope);
    if (!s.step()) return std::nullopt;
    return read_pkg(s);
}

std::vector<Store::Earlier> SqliteStore::earlier(const Scope& scope, const std::string& import_path,
                                                 const std::string& variant, std::int64_t before_run, int limit) const {
    Stmt s(m_db, prepared(kEarlier, scope, schema::earlier_sql(scope)));
    s.bind(1, import_path).bind(2, variant).bind(3, before_run);
    s.bind(bind_scope(s, 4, scope), static_cast<std::int64_t>(limit));
    std::vector<Earlier> out;
    while (s.step()) out.push_back({read_pkg(s), s.text(9), s.text(10)});
    return out;
}

bool SqliteStore::action_seen(const Scope& scope, const std::string& action_id, std::int64_t before_run) const {
    if (action_id.empty()) return false;
    Stmt s(m_db, prepared(kActionSeen, scope, schema::action_seen_sql(scope)));
    s.bind(1, action_id).bind(2, before_run);
    bind_scope(s, 3, scope);
    return s.step();
}

std::map<std::string, PackageRecord> SqliteStore::packages_by_action(const std::vector<std::string>& action_ids) const {
    std::map<std::string, PackageRecord> out;
    const std::string sql = schema::by_action_sql();
    Stmt s(m_db, sql.c_str());
    for (const auto& id : action_ids) {
        if (id.empty() || out.count(id)) continue;
        s.reset();
        s.bind(1, id);
        if (s.step()) out.emplace(id, read_pkg(s));
    }
    return out;
}

std::vector<RunRecord> SqliteStore::runs(const Scope& scope, int limit) const {
    Stmt s(m_db, schema::runs_sql(&scope).c_str());
    s.bind(bind_scope(s, 1, scope), static_cast<std::int64_t>(limit));
    std::vector<RunRecord> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
}

std::vector<RunRecord> SqliteStore::all_runs(int limit) const {
    Stmt s(m_db, schema::runs_sql(nullptr).c_str());
    s.bind(1, static_cast<std::int64_t>(limit));
    std::vector<RunRecord> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
}

std::optional<RunRecord> SqliteStore::run(std::int64_t id) const {
    std::string sql = std::string("SELECT ") + kRunCols + " FROM runs WHERE id=?";
    Stmt s(m_db, sql.c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_run(s);
}

std::vector<PackageRecord> SqliteStore::packages(std::int64_t run_id) const {
    std::string sql = std::string("SELECT ") + kPkgCols + " FROM packages WHERE run_id=? ORDER BY import_path, variant";
    Stmt s(m_db, sql.c_str());
    s.bind(1, run_id);
    std::vector<PackageRecord> out;
    while (s.step()) out.push_back(read_pkg(s));
    return out;
}

std::vector<RunTally> SqliteStore::run_tallies(const StatsQuery& q) const {
    Stmt s(m_db, schema::run_tallies_sql(!q.project.empty()).c_str());
    s.bind(1, q.since);
    if (!q.project.empty()) s.bind(2, q.project);
    std::vector<RunTally> out;
    while (s.step()) out.push_back(schema::run_tally_from(s));
    return out;
}

std::vector<PackageTally> SqliteStore::package_tallies(const StatsQuery& q) const {
    Stmt s(m_db, schema::package_tallies_sql(!q.project.empty()).c_str());
    s.bind(1, q.split).bind(2, q.since);
    if (!q.project.empty()) s.bind(3, q.project);
    std::vector<PackageTally> out;
    while (s.step()) out.push_back(schema::package_tally_from(s));
    return out;
}

void SqliteStore::prune(const Retention& keep) {
    if (m_readonly) return;
    // The reports first: a few large rows, the newest kReportRuns of the
    // project kept (of all runs, without a project).
    if (keep.project.empty()) {
        Stmt r(m_db, "DELETE FROM reports WHERE run_id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)");
        r.bind(1, static_cast<std::int64_t>(kReportRuns));
        r.step();
    } else {
        Stmt r(m_db, "DELETE FROM reports WHERE run_id IN (SELECT id FROM runs WHERE project=? ORDER BY id DESC "
                     "LIMIT -1 OFFSET ?)");
        r.bind(1, keep.project).bind(2, static_cast<std::int64_t>(kReportRuns));
        r.step();
    }
    const std::string of = keep.project.empty() ? "" : " WHERE project=?";
    auto bind_project = [&](Stmt& s, int i) {
        if (!keep.project.empty()) s.bind(i++, keep.project);
        return i;
    };
    // The oldest run kept by count; everything of the project before it
    // goes, with the runs past the age limit.
    std::int64_t cutoff = 0;
    if (keep.runs > 0 || keep.days <= 0) {
        Stmt n(m_db, ("SELECT count(*) FROM runs" + of).c_str());
        bind_project(n, 1);
        if (n.step() && n.i64(0) > static_cast<std::int64_t>(keep.runs) + prune_slack(keep.runs)) {
            Stmt c(m_db, ("SELECT id FROM runs" + of + " ORDER BY id DESC LIMIT 1 OFFSET ?").c_str());
            c.bind(bind_project(c, 1), static_cast<std::int64_t>(keep.runs > 0 ? keep.runs - 1 : 0));
            if (c.step()) cutoff = keep.runs > 0 ? c.i64(0) : c.i64(0) + 1;
        }
    }
    double before = 0;
    if (keep.days > 0) {
        before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                 keep.days * 86400;
        Stmt o(m_db, ("SELECT count(*) FROM runs WHERE started<?" + std::string(keep.project.empty() ? "" : " AND project=?"))
                         .c_str());
        o.bind(1, before);
        bind_project(o, 2);
        if (!o.step() || o.i64(0) == 0) before = 0;
    }
    if (cutoff == 0 && before == 0) return;
    // Packages first (by packages_by_run, which also makes the runs' ON
    // DELETE CASCADE a lookup instead of a scan of every package row per
    // run), in one transaction.
    const std::string doomed = "(id<? OR started<?)" + std::string(keep.project.empty() ? "" : " AND project=?");
    exec("BEGIN IMMEDIATE");
    try {
        Stmt p(m_db, ("DELETE FROM packages WHERE run_id IN (SELECT id FROM runs WHERE " + doomed + ")").c_str());
        p.bind(1, cutoff).bind(2, before);
        bind_project(p, 3);
        p.step();
        Stmt o(m_db, ("DELETE FROM reports WHERE run_id IN (SELECT id FROM runs WHERE " + doomed + ")").c_str());
        o.bind(1, cutoff).bind(2, before);
        bind_project(o, 3);
        o.step();
        Stmt d(m_db, ("DELETE FROM runs WHERE " + doomed).c_str());
        d.bind(1, cutoff).bind(2, before);
        bind_project(d, 3);
        d.step();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void SqliteStore::set_report(std::int64_t run_id, const std::string& doc) {
    if (m_readonly || doc.size() > kMaxReportBytes) return;
    Stmt s(m_db, "INSERT OR REPLACE INTO reports (run_id, doc) VALUES (?, ?)");
    s.bind(1, run_id);
    s.bind(2, doc);
    s.step();
}

std::optional<std::string> SqliteStore::report(std::int64_t run_id) const {
    Stmt s(m_db, "SELECT doc FROM reports WHERE run_id = ?");
    s.bind(1, run_id);
    if (!s.step()) return std::nullopt;
    return s.text(0);
}

} // namespace gox::history
