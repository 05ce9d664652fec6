#include <gox/history/pg_store.hpp>

#include <gox/history/pq_dl.hpp>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace gox::history {

class PgStore::Result {
public:
    explicit Result(PGresult* r) : m_r(r) {}
    ~Result() { PQclear(m_r); }
    Result(Result&& o) noexcept : m_r(o.m_r) { o.m_r = nullptr; }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    int rows() const { return PQntuples(m_r); }
    std::string text(int row, int c) const {
        return std::string(PQgetvalue(m_r, row, c), static_cast<std::size_t>(PQgetlength(m_r, row, c)));
    }
    std::int64_t i64(int row, int c) const { return std::strtoll(PQgetvalue(m_r, row, c), nullptr, 10); }
    double dbl(int row, int c) const { return std::strtod(PQgetvalue(m_r, row, c), nullptr); }
    PGresult* get() const { return m_r; }

private:
    PGresult* m_r;
};

namespace {

using Result = PgStore::Result;

// '?' placeholders (the SQL the backends share) numbered for PostgreSQL.
std::string numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    for (char c : sql) {
        if (c == '?') out += "$" + std::to_string(++n);
        else out += c;
    }
    return out;
}

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// The first line of libpq's message (some are several lines).
std::string one_line(const char* msg) {
    std::string s = msg ? msg : "";
    if (auto nl = s.find('\n'); nl != std::string::npos) s.erase(nl);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s.empty() ? "unknown error" : s;
}

// One row of a result, as schema::run_from and package_from read it.
struct Row {
    const Result& r;
    int i;
    std::string text(int c) const { return r.text(i, c); }
    std::int64_t i64(int c) const { return r.i64(i, c); }
    double dbl(int c) const { return r.dbl(i, c); }
};
RunRecord read_run(const Result& r, int i) { return schema::run_from(Row{r, i}); }
PackageRecord read_pkg(const Result& r, int i) { return schema::package_from(Row{r, i}); }

// One field of COPY's text format.
void copy_field(std::string& out, std::string_view v) {
    for (char c : v) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += c;
        }
    }
}

double connect_seconds() {
    if (const char* e = std::getenv("GOX_HISTORY_CONNECT_TIMEOUT"); e && *e) {
        char* end = nullptr;
        double v = std::strtod(e, &end);
        if (end && !*end && v > 0) return v;
    }
    return PgStore::kConnectSeconds;
}

std::vector<std::string> scoped(std::vector<std::string> params, const Scope& s) {
    for (auto& v : schema::scope_params(s)) params.push_back(std::move(v));
    return params;
}

} // namespace

std::string PgStore::without_password(const std::string& uri) {
    std::string s = uri;
    // postgresql://user:PASSWORD@host
    if (auto scheme = s.find("://"); scheme != std::string::npos) {
        auto at = s.find('@', scheme + 3);
        auto slash = s.find('/', scheme + 3);
        if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
            auto colon = s.find(':', scheme + 3);
            if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
        }
    }
    // ?password=PASSWORD
    for (std::size_t p = s.find("password="); p != std::string::npos; p = s.find("password=", p + 1)) {
        auto end = s.find('&', p);
        s.replace(p + 9, (end == std::string::npos ? s.size() : end) - p - 9, "***");
    }
    return s;
}

PgStore::PgStore(const std::string& uri, bool migrate_schema) : m_shown(without_password(uri)) {
    // Ours first, the URI last: what the URI says wins (libpq keeps the
    // last value of a keyword). A server that stops answering mid-run fails
    // the statement after tcp_user_timeout instead of hanging.
    const char* keys[] = {"application_name", "options", "tcp_user_timeout", "keepalives_idle", "dbname", nullptr};
    const char* vals[] = {"gox", "-c statement_timeout=10000 -c lock_timeout=5000", "10000", "5", uri.c_str(), nullptr};
    m_conn = PQconnectStartParams(keys, vals, 1);
    if (!m_conn) throw HistoryError("history: " + m_shown + ": out of memory");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(connect_seconds());
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (PQstatus(m_conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            PQfinish(m_conn);
            m_conn = nullptr;
            throw HistoryError("history: " + m_shown + ": no answer within " + num(connect_seconds()) + " s");
        }
        pollfd fd{PQsocket(m_conn), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        if (fd.fd < 0) break;
        int n = ::poll(&fd, 1, static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR) break;
        if (n > 0 || st == PGRES_POLLING_WRITING) st = PQconnectPoll(m_conn);
    }
    if (PQstatus(m_conn) != CONNECTION_OK) {
        std::string msg = one_line(PQerrorMessage(m_conn));
        PQfinish(m_conn);
        m_conn = nullptr;
        throw HistoryError("history: " + m_shown + ": " + msg);
    }
    // The server's notices ("already exists, skipping"...) would go to
    // stderr, which is go's: they are dropped.
    PQsetNoticeProcessor(m_conn, [](void*, const char*) {}, nullptr);
    if (migrate_schema) {
        try {
            migrate();
        } catch (...) {
            PQfinish(m_conn);
            m_conn = nullptr;
            throw;
        }
    }
}

PgStore::~PgStore() { PQfinish(m_conn); }

void PgStore::fail(const std::string& what, const PGresult* r) const {
    // The server is as good as gone when the connection broke, or when it
    // cancelled the statement (statement_timeout, an administrator), could
    // not take a lock in time, or ran out of resources: everything after it
    // would wait and fail the same way. Other errors (the server refusing
    // this one statement) leave the store usable.
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string code = state ? state : "";
    bool gone = PQstatus(m_conn) == CONNECTION_BAD || code.rfind("57", 0) == 0 || code == "55P03" ||
                code.rfind("53", 0) == 0 || code.rfind("08", 0) == 0;
    if (gone) {
        bool first = !m_lost;
        m_lost = true;
        throw HistoryError("history: " + m_shown + ": " +
                           (first ? "lost the server: " + what + (m_loss_note.empty() ? "" : " (" + m_loss_note + ")")
                                  : std::string("no server")));
    }
    throw HistoryError("history: " + m_shown + ": " + what);
}

Result PgStore::query(const std::string& sql, const std::vector<std::string>& params) const {
    if (m_lost) fail("no server");
    std::vector<const char*> v;
    for (const auto& p : params) v.push_back(p.c_str());
    Result r(PQexecParams(m_conn, numbered(sql).c_str(), static_cast<int>(v.size()), nullptr, v.data(), nullptr,
                          nullptr, 0));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(one_line(PQerrorMessage(m_conn)), r.get());
    return r;
}

Result PgStore::prepared(int q, const Scope& scope, const std::string& sql,
                         const std::vector<std::string>& params) const {
    if (m_lost) fail("no server");
    int slot = q * schema::kScopeShapes + schema::scope_shape(scope);
    std::string name = "gox_q" + std::to_string(slot);
    if (!m_prepared[slot]) {
        Result p(PQprepare(m_conn, name.c_str(), numbered(sql).c_str(), 0, nullptr));
        if (PQresultStatus(p.get()) != PGRES_COMMAND_OK) fail(one_line(PQerrorMessage(m_conn)), p.get());
        m_prepared[slot] = true;
    }
    std::vector<const char*> v;
    for (const auto& p : params) v.push_back(p.c_str());
    Result r(PQexecPrepared(m_conn, name.c_str(), static_cast<int>(v.size()), v.data(), nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) fail(one_line(PQerrorMessage(m_conn)), r.get());
    return r;
}

void PgStore::exec_script(const std::string& sql) {
    Result r(PQexec(m_conn, sql.c_str()));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(one_line(PQerrorMessage(m_conn)), r.get());
}

int PgStore::schema_version() const {
    // pg_class read through the statement's snapshot, not the name cache
    // (to_regclass): after waiting for another run's migration, the cache
    // may still say its tables do not exist.
    auto r = query("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname='gox_schema' AND relnamespace="
                   "current_schema()::regnamespace), EXISTS (SELECT 1 FROM pg_class WHERE relname='runs' AND "
                   "relnamespace=current_schema()::regnamespace)",
                   {});
    if (r.text(0, 0) == "t") {
        auto v = query("SELECT coalesce(max(version), 0) FROM gox_schema", {});
        return static_cast<int>(v.i64(0, 0));
    }
    return r.text(0, 1) == "t" ? 1 : 0;
}

// The steps past the database's version, in one transaction under an
// advisory lock: the first runs of a fleet, all at once, migrate once.
void PgStore::migrate() {
    if (schema_version() == schema::kVersion) return;
    exec_script("BEGIN");
    try {
        exec_script("SELECT pg_advisory_xact_lock(7242001)");
        int v = schema_version();
        for (const auto& step : schema::kSteps)
            if (step.version > v) exec_script(step.pg);
        if (v < schema::kVersion) {
            exec_script("CREATE TABLE IF NOT EXISTS gox_schema (version INTEGER NOT NULL); DELETE FROM gox_schema");
            query("INSERT INTO gox_schema(version) VALUES(?)", {std::to_string(schema::kVersion)});
        }
        exec_script("COMMIT");
    } catch (...) {
        PQclear(PQexec(m_conn, "ROLLBACK"));
        throw;
    }
}

std::int64_t PgStore::add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs) {
    exec_script("BEGIN");
    try {
        auto r = query(std::string(schema::kInsertRun) + " RETURNING id",
                       {num(run.started), run.cwd, run.module_root, run.verb, run.args, run.go_version, run.env,
                        std::to_string(run.exit_code), num(run.seconds), run.project, run.host, run.job, run.job_id,
                        run.branch, run.failure_class});
        std::int64_t id = r.i64(0, 0);
        // One COPY for all rows: a round trip per row would cost ~50 ms
        // for a large module.
        if (!pkgs.empty()) {
            Result c(PQexec(m_conn, "COPY packages(run_id, import_path, variant, action_id, content_id, outcome, reason, "
                                    "detail, seconds, inputs) FROM STDIN"));
            if (PQresultStatus(c.get()) != PGRES_COPY_IN) fail(one_line(PQerrorMessage(m_conn)), c.get());
            std::string buf, ids = std::to_string(id);
            for (const auto& k : pkgs) {
                buf += ids;
                for (const std::string* f : {&k.import_path, &k.variant, &k.action_id, &k.content_id, &k.outcome,
                                             &k.reason, &k.detail}) {
                    buf += '\t';
                    copy_field(buf, *f);
                }
                buf += '\t' + num(k.seconds) + '\t';
                copy_field(buf, k.inputs);
                buf += '\n';
                if (buf.size() > (1u << 20)) {
                    if (PQputCopyData(m_conn, buf.data(), static_cast<int>(buf.size())) != 1)
                        fail(one_line(PQerrorMessage(m_conn)));
                    buf.clear();
                }
            }
            if (PQputCopyData(m_conn, buf.data(), static_cast<int>(buf.size())) != 1 || PQputCopyEnd(m_conn, nullptr) != 1)
                fail(one_line(PQerrorMessage(m_conn)));
            for (PGresult* e; (e = PQgetResult(m_conn));) {
                Result end(e);
                if (PQresultStatus(e) != PGRES_COMMAND_OK) fail(one_line(PQerrorMessage(m_conn)), e);
            }
        }
        exec_script("COMMIT");
        return id;
    } catch (...) {
        if (PQstatus(m_conn) == CONNECTION_OK) PQclear(PQexec(m_conn, "ROLLBACK"));
        throw;
    }
}

enum { kPrevious, kEarlier, kActionSeen };

std::optional<PackageRecord> PgStore::previous(const Scope& scope, const std::string& import_path,
                                               const std::string& variant, std::int64_t before_run) const {
    if (m_lost) return std::nullopt;
    auto r = prepared(kPrevious, scope, schema::previous_sql(scope),
                      scoped({import_path, variant, std::to_string(before_run)}, scope));
    if (r.rows() == 0) return std::nullopt;
    return read_pkg(r, 0);
}

std::vector<Store::Earlier> PgStore::earlier(const Scope& scope, const std::string& import_path,
                                             const std::string& variant, std::int64_t before_run, int limit) const {
    if (m_lost) return {};
    auto params = scoped({import_path, variant, std::to_string(before_run)}, scope);
    params.push_back(std::to_string(limit));
    auto r = prepared(kEarlier, scope, schema::earlier_sql(scope), params);
    std::vector<Earlier> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({read_pkg(r, i), r.text(i, 9), r.text(i, 10)});
    return out;
}

bool PgStore::action_seen(const Scope& scope, const std::string& action_id, std::int64_t before_run) const {
    if (action_id.empty() || m_lost) return false;
    auto r = prepared(kActionSeen, scope, schema::action_seen_sql(scope),
                      scoped({action_id, std::to_string(before_run)}, scope));
    return r.rows() > 0;
}

std::map<std::string, PackageRecord> PgStore::packages_by_action(const std::vector<std::string>& action_ids) const {
    std::map<std::string, PackageRecord> out;
    if (m_lost) return out;
    // Every ID in one round trip: an array parameter ({"a","b"}; an action
    // ID is base64url, nothing in it needs quoting), the newest record of each.
    std::string arr = "{";
    for (const auto& id : action_ids) {
        if (id.empty() || id.find_first_of("{}\",\\ ") != std::string::npos) continue;
        arr += (arr.size() > 1 ? ",\"" : "\"") + id + "\"";
    }
    arr += "}";
    if (arr == "{}") return out;
    auto r = query(std::string("SELECT DISTINCT ON (p.action_id) ") + schema::kPkgColsP +
                       " FROM packages p WHERE p.action_id = ANY(?::text[]) AND p.variant<>'(test result)'"
                       " ORDER BY p.action_id, p.run_id DESC",
                   {arr});
    for (int i = 0; i < r.rows(); ++i) {
        PackageRecord p = read_pkg(r, i);
        out.emplace(p.action_id, std::move(p));
    }
    return out;
}

std::vector<RunRecord> PgStore::runs(const Scope& scope, int limit) const {
    if (m_lost) return {};
    auto params = scoped({}, scope);
    params.push_back(std::to_string(limit));
    auto r = query(schema::runs_sql(&scope), params);
    std::vector<RunRecord> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_run(r, i));
    return out;
}

std::vector<RunRecord> PgStore::all_runs(int limit) const {
    if (m_lost) return {};
    auto r = query(schema::runs_sql(nullptr), {std::to_string(limit)});
    std::vector<RunRecord> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_run(r, i));
    return out;
}

std::optional<RunRecord> PgStore::run(std::int64_t id) const {
    if (m_lost) return std::nullopt;
    auto r = query(std::string("SELECT ") + schema::kRunCols + " FROM runs WHERE id=?", {std::to_string(id)});
    if (r.rows() == 0) return std::nullopt;
    return read_run(r, 0);
}

std::vector<PackageRecord> PgStore::packages(std::int64_t run_id) const {
    if (m_lost) return {};
    // COLLATE "C": the byte order SQLite sorts by.
    auto r = query(std::string("SELECT ") + schema::kPkgCols +
                       " FROM packages WHERE run_id=? ORDER BY import_path COLLATE \"C\", variant COLLATE \"C\"",
                   {std::to_string(run_id)});
    std::vector<PackageRecord> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(read_pkg(r, i));
    return out;
}

std::vector<RunTally> PgStore::run_tallies(const StatsQuery& q) const {
    std::vector<std::string> params{num(q.since)};
    if (!q.project.empty()) params.push_back(q.project);
    auto r = query(schema::run_tallies_sql(!q.project.empty()), params);
    std::vector<RunTally> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(schema::run_tally_from(Row{r, i}));
    return out;
}

std::vector<PackageTally> PgStore::package_tallies(const StatsQuery& q) const {
    std::vector<std::string> params{num(q.split), num(q.since)};
    if (!q.project.empty()) params.push_back(q.project);
    auto r = query(schema::package_tallies_sql(!q.project.empty()), params);
    std::vector<PackageTally> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(schema::package_tally_from(Row{r, i}));
    return out;
}

void PgStore::prune(const Retention& keep) {
    if (m_lost) return;
    const std::string proj = keep.project.empty() ? "" : " AND project=?";
    auto with_project = [&](std::vector<std::string> p) {
        if (!keep.project.empty()) p.push_back(keep.project);
        return p;
    };
    exec_script("BEGIN");
    try {
        // One pruner per project at a time; the others skip it rather than
        // wait (a build never waits for another build's pruning).
        auto lock = query("SELECT pg_try_advisory_xact_lock(7242002, hashtext(?))", {keep.project});
        if (lock.text(0, 0) != "t") {
            exec_script("ROLLBACK");
            return;
        }
        exec_script("SET LOCAL lock_timeout = 1000");
        // Reports: the newest kReportRuns of the project (of all, without one).
        query("DELETE FROM reports WHERE run_id IN (SELECT id FROM runs WHERE true" + proj +
                  " ORDER BY id DESC OFFSET ?)",
              [&] {
                  auto p = with_project({});
                  p.push_back(std::to_string(kReportRuns));
                  return p;
              }());
        std::int64_t cutoff = 0;
        if (keep.runs > 0 || keep.days <= 0) {
            auto n = query("SELECT count(*) FROM runs WHERE true" + proj, with_project({}));
            if (n.i64(0, 0) > static_cast<std::int64_t>(keep.runs) + prune_slack(keep.runs)) {
                auto p = with_project({});
                p.push_back(std::to_string(keep.runs > 0 ? keep.runs - 1 : 0));
                auto c = query("SELECT id FROM runs WHERE true" + proj + " ORDER BY id DESC LIMIT 1 OFFSET ?", p);
                if (c.rows()) cutoff = keep.runs > 0 ? c.i64(0, 0) : c.i64(0, 0) + 1;
            }
        }
        double before = 0;
        if (keep.days > 0)
            before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                     keep.days * 86400;
        if (cutoff == 0 && before == 0) {
            exec_script("COMMIT");
            return;
        }
        const std::string doomed = "(id<? OR started<?)" + proj;
        auto params = with_project({std::to_string(cutoff), num(before)});
        query("DELETE FROM packages WHERE run_id IN (SELECT id FROM runs WHERE " + doomed + ")", params);
        query("DELETE FROM reports WHERE run_id IN (SELECT id FROM runs WHERE " + doomed + ")", params);
        query("DELETE FROM runs WHERE " + doomed, params);
        exec_script("COMMIT");
    } catch (...) {
        if (PQstatus(m_conn) == CONNECTION_OK) PQclear(PQexec(m_conn, "ROLLBACK"));
        throw;
    }
}

void PgStore::set_report(std::int64_t run_id, const std::string& doc) {
    if (doc.size() > kMaxReportBytes) return;
    query("INSERT INTO reports(run_id, doc) VALUES(?, ?) ON CONFLICT (run_id) DO UPDATE SET doc = EXCLUDED.doc",
          {std::to_string(run_id), doc});
}

std::optional<std::string> PgStore::report(std::int64_t run_id) const {
    if (m_lost) return std::nullopt;
    auto r = query("SELECT doc FROM reports WHERE run_id=?", {std::to_string(run_id)});
    if (r.rows() == 0) return std::nullopt;
    return r.text(0, 0);
}

} // namespace gox::history
