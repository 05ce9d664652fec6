#pragma once
// The run history: one SQLite file recording, for every gox run, the command,
// the environment fingerprint and per package its action ID, content ID,
// outcome, reason and (with --why) its hash inputs. Reasons compare a run with
// the previous run of the same package. Safe for concurrent gox runs (WAL,
// busy timeout, one transaction per run) and bounded (old runs pruned).
// Every failure is a HistoryError; callers warn and carry on.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace gox::history {

class HistoryError : public std::runtime_error {
public:
    explicit HistoryError(const std::string& what) : std::runtime_error(what) {}
};

struct RunRecord {
    std::int64_t id = 0;
    double started = 0;      // unix seconds
    std::string cwd;
    std::string module_root; // runs are compared within one module root
    std::string verb;        // build, test, install, run, vet
    std::string args;        // JSON array of the go arguments
    std::string go_version;
    std::string env;         // JSON object: the environment fingerprint
    int exit_code = 0;
    double seconds = 0;
};

struct PackageRecord {
    std::string import_path;
    std::string variant;     // "" or the test it was built for ("P.test")
    std::string action_id;   // 20-character build ID form
    std::string content_id;
    std::string outcome;     // rebuilt, cache_hit, ...
    std::string reason;      // reason id
    std::string detail;
    double seconds = -1;
    std::string inputs;      // hash input lines ("\n"-joined), empty without --why
};

class Store {
public:
    // $GOX_HISTORY, else $XDG_STATE_HOME/gox/history.db, else
    // ~/.local/state/gox/history.db.
    static std::string default_path();

    explicit Store(const std::string& path); // creates the file and its directory
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Records a run and its packages in one transaction; returns the run id.
    std::int64_t add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs);

    // The most recent record of the package in an earlier run of the module.
    std::optional<PackageRecord> previous(const std::string& module_root, const std::string& import_path,
                                          const std::string& variant, std::int64_t before_run) const;
    // The package's records in earlier runs of the module, newest first, at
    // most limit of them, each with the verb and arguments of its run (so a
    // caller can prefer a run like this one: analysis::run_kind).
    struct Earlier {
        PackageRecord pkg;
        std::string verb, args;
    };
    std::vector<Earlier> earlier(const std::string& module_root, const std::string& import_path,
                                 const std::string& variant, std::int64_t before_run, int limit) const;
    // Whether an earlier run produced (rebuilt or found cached) this action ID:
    // then the cache held its output once.
    bool action_seen(const std::string& module_root, const std::string& action_id, std::int64_t before_run) const;

    // Runs, newest first (module_root "" = all).
    std::vector<RunRecord> runs(const std::string& module_root, int limit) const;
    std::optional<RunRecord> run(std::int64_t id) const;
    std::vector<PackageRecord> packages(std::int64_t run_id) const;

    // The report document of a run (JSON text, path-normalised, not
    // redacted), kept for the newest kReportRuns runs and when at most
    // kMaxReportBytes long; gox report renders it again.
    static constexpr int kReportRuns = 50;
    static constexpr std::size_t kMaxReportBytes = 4u << 20;
    void set_report(std::int64_t run_id, const std::string& doc);
    std::optional<std::string> report(std::int64_t run_id) const;

    // Keeps the newest keep_runs runs: removes older ones in batches, when
    // there are more than keep_runs + prune_slack(keep_runs) of them (so a
    // run usually removes nothing: deleting a run's ~1,000 package rows
    // from their indexes cost ~10 ms). The reports are pruned every time.
    void prune(int keep_runs);
    static int prune_slack(int keep_runs) { return keep_runs / 10; }

    const std::string& path() const { return m_path; }

private:
    void exec(const char* sql);
    // The per-package queries (analysis asks once per package) are prepared
    // once per Store, on first use, and kept; slot is their index here.
    enum Query { kPrevious, kEarlier, kActionSeen, kQueries };
    sqlite3_stmt* prepared(Query slot, const char* sql) const;
    mutable sqlite3_stmt* m_queries[kQueries] = {};
    sqlite3* m_db = nullptr;
    std::string m_path;
    bool m_readonly = false;
};

} // namespace gox::history
