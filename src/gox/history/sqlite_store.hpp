#pragma once
// The history in a SQLite file on this machine (the default): WAL, a busy
// timeout and one transaction per run make it safe for concurrent gox runs.

#include <gox/history/schema.hpp>
#include <gox/history/store.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace gox::history {

class SqliteStore final : public Store {
public:
    explicit SqliteStore(const std::string& path); // creates the file and its directory
    ~SqliteStore() override;

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
    std::string where() const override { return m_path; }

    // The schema version of the file (schema::kVersion once opened writable).
    int schema_version() const;

private:
    void exec(const char* sql);
    void migrate();
    bool tables_present() const; // runs, packages and reports all exist
    // The per-package queries (analysis asks once per package) are prepared
    // once per Store and scope shape, on first use, and kept.
    enum Query { kPrevious, kEarlier, kActionSeen, kQueries };
    sqlite3_stmt* prepared(Query q, const Scope& scope, const std::string& sql) const;
    mutable sqlite3_stmt* m_queries[kQueries][schema::kScopeShapes] = {};
    sqlite3* m_db = nullptr;
    std::string m_path;
    bool m_readonly = false;
};

} // namespace gox::history
