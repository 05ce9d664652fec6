#include <gox/history/store.hpp>

#include <sqlite3.h>

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

constexpr const char* kSchema = R"(
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
)";

RunRecord read_run(const Stmt& s) {
    RunRecord r;
    r.id = s.i64(0);
    r.started = s.dbl(1);
    r.cwd = s.text(2);
    r.module_root = s.text(3);
    r.verb = s.text(4);
    r.args = s.text(5);
    r.go_version = s.text(6);
    r.env = s.text(7);
    r.exit_code = static_cast<int>(s.i64(8));
    r.seconds = s.dbl(9);
    return r;
}

PackageRecord read_pkg(const Stmt& s) {
    PackageRecord p;
    p.import_path = s.text(0);
    p.variant = s.text(1);
    p.action_id = s.text(2);
    p.content_id = s.text(3);
    p.outcome = s.text(4);
    p.reason = s.text(5);
    p.detail = s.text(6);
    p.seconds = s.dbl(7);
    p.inputs = s.text(8);
    return p;
}

constexpr const char* kPkgCols = "import_path, variant, action_id, content_id, outcome, reason, detail, seconds, inputs";
// kPkgCols for a query that joins runs (which has a seconds column too).
constexpr const char* kPkgColsP =
    "import_path, p.variant, p.action_id, p.content_id, p.outcome, p.reason, p.detail, p.seconds, p.inputs";
constexpr const char* kRunCols = "id, started, cwd, module_root, verb, args, go_version, env, exit_code, seconds";

} // namespace

std::string Store::default_path() {
    if (const char* e = std::getenv("GOX_HISTORY"); e && *e) return e;
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x && x[0] == '/') return std::string(x) + "/gox/history.db";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/gox/history.db";
    return "";
}

Store::Store(const std::string& path) : m_path(path) {
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
        exec(kSchema);
    } catch (...) {
        sqlite3_close(m_db);
        m_db = nullptr;
        throw;
    }
}

Store::~Store() {
    for (sqlite3_stmt* st : m_queries) sqlite3_finalize(st);
    sqlite3_close(m_db);
}

sqlite3_stmt* Store::prepared(Query slot, const char* sql) const {
    if (!m_queries[slot] && sqlite3_prepare_v2(m_db, sql, -1, &m_queries[slot], nullptr) != SQLITE_OK) {
        sqlite3_finalize(m_queries[slot]);
        m_queries[slot] = nullptr;
        throw HistoryError(std::string("history: ") + sqlite3_errmsg(m_db));
    }
    return m_queries[slot];
}

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(m_db);
        sqlite3_free(err);
        throw HistoryError("history: " + m_path + ": " + msg);
    }
}

std::int64_t Store::add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs) {
    if (m_readonly) throw HistoryError("history: " + m_path + " is read-only");
    exec("BEGIN IMMEDIATE");
    try {
        Stmt r(m_db, "INSERT INTO runs(started, cwd, module_root, verb, args, go_version, env, exit_code, seconds) "
                     "VALUES(?,?,?,?,?,?,?,?,?)");
        r.bind(1, run.started).bind(2, run.cwd).bind(3, run.module_root).bind(4, run.verb).bind(5, run.args);
        r.bind(6, run.go_version).bind(7, run.env).bind(8, static_cast<std::int64_t>(run.exit_code)).bind(9, run.seconds);
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

std::optional<PackageRecord> Store::previous(const std::string& module_root, const std::string& import_path,
                                             const std::string& variant, std::int64_t before_run) const {
    static const std::string sql = std::string("SELECT ") + kPkgCols +
                                   " FROM packages p WHERE p.import_path=? AND p.variant=? AND p.run_id<? AND p.run_id IN "
                                   "(SELECT id FROM runs WHERE module_root=?) ORDER BY p.run_id DESC LIMIT 1";
    Stmt s(m_db, prepared(kPrevious, sql.c_str()));
    s.bind(1, import_path).bind(2, variant).bind(3, before_run).bind(4, module_root);
    if (!s.step()) return std::nullopt;
    return read_pkg(s);
}

std::vector<Store::Earlier> Store::earlier(const std::string& module_root, const std::string& import_path,
                                           const std::string& variant, std::int64_t before_run, int limit) const {
    static const std::string sql = std::string("SELECT p.") + kPkgColsP +
                                   ", r.verb, r.args FROM packages p JOIN runs r ON r.id=p.run_id WHERE p.import_path=? AND "
                                   "p.variant=? AND p.run_id<? AND r.module_root=? ORDER BY p.run_id DESC LIMIT ?";
    Stmt s(m_db, prepared(kEarlier, sql.c_str()));
    s.bind(1, import_path).bind(2, variant).bind(3, before_run).bind(4, module_root);
    s.bind(5, static_cast<std::int64_t>(limit));
    std::vector<Earlier> out;
    while (s.step()) out.push_back({read_pkg(s), s.text(9), s.text(10)});
    return out;
}

bool Store::action_seen(const std::string& module_root, const std::string& action_id, std::int64_t before_run) const {
    if (action_id.empty()) return false;
    Stmt s(m_db, prepared(kActionSeen, "SELECT 1 FROM packages p JOIN runs r ON r.id=p.run_id WHERE p.action_id=? AND "
                                       "p.run_id<? AND r.module_root=? AND p.outcome IN ('rebuilt','cache_hit') LIMIT 1"));
    s.bind(1, action_id).bind(2, before_run).bind(3, module_root);
    return s.step();
}

std::vector<RunRecord> Store::runs(const std::string& module_root, int limit) const {
    std::string sql = std::string("SELECT ") + kRunCols + " FROM runs" +
                      (module_root.empty() ? "" : " WHERE module_root=?") + " ORDER BY id DESC LIMIT ?";
    Stmt s(m_db, sql.c_str());
    int i = 1;
    if (!module_root.empty()) s.bind(i++, module_root);
    s.bind(i, static_cast<std::int64_t>(limit));
    std::vector<RunRecord> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
}

std::optional<RunRecord> Store::run(std::int64_t id) const {
    std::string sql = std::string("SELECT ") + kRunCols + " FROM runs WHERE id=?";
    Stmt s(m_db, sql.c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_run(s);
}

std::vector<PackageRecord> Store::packages(std::int64_t run_id) const {
    std::string sql = std::string("SELECT ") + kPkgCols + " FROM packages WHERE run_id=? ORDER BY import_path, variant";
    Stmt s(m_db, sql.c_str());
    s.bind(1, run_id);
    std::vector<PackageRecord> out;
    while (s.step()) out.push_back(read_pkg(s));
    return out;
}

void Store::prune(int keep_runs) {
    if (m_readonly) return;
    // The reports first: a few large rows, the newest kReportRuns kept.
    Stmt r(m_db, "DELETE FROM reports WHERE run_id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)");
    r.bind(1, static_cast<std::int64_t>(kReportRuns));
    r.step();
    {
        Stmt n(m_db, "SELECT count(*) FROM runs");
        if (!n.step() || n.i64(0) <= static_cast<std::int64_t>(keep_runs) + prune_slack(keep_runs)) return;
    }
    // The oldest run kept; everything before it goes, packages first (by
    // packages_by_run, which also makes the runs' ON DELETE CASCADE a
    // lookup instead of a scan of every package row per run), in one
    // transaction.
    std::int64_t cutoff = 0;
    {
        Stmt c(m_db, "SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?");
        c.bind(1, static_cast<std::int64_t>(keep_runs > 0 ? keep_runs - 1 : 0));
        if (c.step()) cutoff = keep_runs > 0 ? c.i64(0) : c.i64(0) + 1;
    }
    exec("BEGIN IMMEDIATE");
    try {
        Stmt p(m_db, "DELETE FROM packages WHERE run_id<?");
        p.bind(1, cutoff);
        p.step();
        Stmt d(m_db, "DELETE FROM runs WHERE id<?");
        d.bind(1, cutoff);
        d.step();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Store::set_report(std::int64_t run_id, const std::string& doc) {
    if (m_readonly || doc.size() > kMaxReportBytes) return;
    Stmt s(m_db, "INSERT OR REPLACE INTO reports (run_id, doc) VALUES (?, ?)");
    s.bind(1, run_id);
    s.bind(2, doc);
    s.step();
}

std::optional<std::string> Store::report(std::int64_t run_id) const {
    Stmt s(m_db, "SELECT doc FROM reports WHERE run_id = ?");
    s.bind(1, run_id);
    if (!s.step()) return std::nullopt;
    return s.text(0);
}

} // namespace gox::history
