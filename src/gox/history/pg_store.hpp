#pragma once
// The history in a PostgreSQL database that many machines share (libpq).
// The connection is bounded in time (kConnectSeconds, or
// GOX_HISTORY_CONNECT_TIMEOUT seconds, in all), statements by the server's
// statement_timeout (10 s unless the URI's options say otherwise). A server
// that goes away after the store opened, or times out a statement, is
// reported once (a HistoryError);
// after that reads find nothing and writes fail, so the caller spools the
// run's record (history/spool.hpp).

#include <gox/history/schema.hpp>
#include <gox/history/store.hpp>

#include <map>

struct pg_conn;
struct pg_result;

namespace gox::history {

class PgStore final : public Store {
public:
    static constexpr double kConnectSeconds = 1.5;

    // uri: a libpq connection URI (postgresql://...). migrate: create or
    // upgrade the schema (false: leave it as it is; tests make old schemas).
    explicit PgStore(const std::string& uri, bool migrate = true);
    ~PgStore() override;

    std::int64_t add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs) override;
    std::optional<PackageRecord> previous(const Scope& scope, const std::string& import_path, const std::string& variant,
                                          std::int64_t before_run) const override;
    std::vector<Earlier> earlier(const Scope& scope, const std::string& import_path, const std::string& variant,
                                 std::int64_t before_run, int limit) const override;
    bool action_seen(const Scope& scope, const std::string& action_id, std::int64_t before_run) const override;
    std::map<std::string, PackageRecord> packages_by_action(const std::vector<std::string>& action_ids) const override;
    using Store::runs;
    std::vector<RunRecord> runs(const Scope& scope, int limit) const override;
    std::vector<RunRecord> all_runs(int limit) const override;
    std::optional<RunRecord> run(std::int64_t id) const override;
    std::vector<PackageRecord> packages(std::int64_t run_id) const override;
    std::vector<RunTally> run_tallies(const StatsQuery& q) const override;
    std::vector<PackageTally> package_tallies(const StatsQuery& q) const override;
    void set_report(std::int64_t run_id, const std::string& doc) override;
    std::optional<std::string> report(std::int64_t run_id) const override;
    using Store::prune;
    void prune(const Retention& keep) override;
    std::string where() const override { return m_shown; }
    bool lost() const override { return m_lost; }
    void set_loss_note(const std::string& note) override { m_loss_note = note; }

    int schema_version() const;
    // Runs SQL as it is (tests: an old schema, a dropped database).
    void exec_script(const std::string& sql);

    // The URI with its password (user:PASSWORD@ or password=) replaced by ***.
    static std::string without_password(const std::string& uri);

    class Result; // a PGresult, cleared when done
private:
    Result query(const std::string& sql, const std::vector<std::string>& params) const;
    Result prepared(int q, const Scope& scope, const std::string& sql, const std::vector<std::string>& params) const;
    [[noreturn]] void fail(const std::string& what, const pg_result* r = nullptr) const;
    void migrate();

    pg_conn* m_conn = nullptr;
    std::string m_shown;
    std::string m_loss_note;
    mutable bool m_lost = false;
    mutable std::map<int, bool> m_prepared; // query * kScopeShapes + shape
};

} // namespace gox::history
