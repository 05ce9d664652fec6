#pragma once
// The run history: for every gox run, the command, the environment
// fingerprint, where and by whom it ran (project, host, CI job, branch) and
// per package its action ID, content ID, outcome, reason and (with --why) its
// hash inputs. Reasons compare a run with the previous run of the same
// package. Store is the one interface the callers see; two backends sit
// behind it and neither knows the other: a SQLite file on this machine
// (history/sqlite_store.cpp) and a PostgreSQL database shared by a fleet
// (history/pg_store.cpp). history/open.hpp picks one from GOX_HISTORY. Both
// keep the same logical schema (history/schema.hpp), are safe for concurrent
// gox runs (one transaction per run) and bounded (old runs pruned).
// Every failure is a HistoryError; callers warn and carry on.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gox::history {

class HistoryError : public std::runtime_error {
public:
    explicit HistoryError(const std::string& what) : std::runtime_error(what) {}
};

// RunRecord::exit_code of a run whose exit status nobody saw (one gox
// cacheprog recorded on its own: go never tells its cache program).
inline constexpr int kExitUnknown = -1;

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
    // Who ran it (history/identity.hpp): the project is the module path (the
    // module root without a go.mod), the rest "" where unknown.
    std::string project;
    std::string host;
    std::string job;    // the CI job's name (GITHUB_JOB...), "" outside CI
    std::string job_id; // the CI system's id of this run of the job
    std::string branch;
    // The failure class of a failed run's diagnosis (gox explain --classes),
    // "" when it succeeded or had none.
    std::string failure_class;
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

// Which earlier runs a run is compared with. Root: the runs at one module
// root (one checkout; with host set, on that host only). Job: the runs of a
// project by one CI job. Branch: the runs of a project on one branch.
struct Scope {
    enum class By { Root, Job, Branch };
    By by = By::Root;
    std::string key;     // the module root, the job or the branch
    std::string project; // Job and Branch
    std::string host;    // Root: "" for any host
    Scope() = default;
    Scope(std::string root) : key(std::move(root)) {} // NOLINT: a module root is the common scope
    Scope(const char* root) : key(root) {}            // NOLINT
    static Scope job_of(std::string project, std::string job) { return make(By::Job, std::move(job), std::move(project)); }
    static Scope branch_of(std::string project, std::string branch) {
        return make(By::Branch, std::move(branch), std::move(project));
    }

private:
    static Scope make(By by, std::string key, std::string project) {
        Scope s(std::move(key));
        s.by = by;
        s.project = std::move(project);
        return s;
    }
};

// How many runs a project keeps: the newest `runs` (0: no limit by count)
// and those younger than `days` (0: no limit by age). project "" = every run.
struct Retention {
    int runs = 200;
    double days = 0;
    std::string project;
};

// What gox stats reads (stats/stats.hpp analyses it): the runs started at
// or after `since` (unix seconds), of one project unless project is "".
// split: the time that divides the window into halves (for trends).
struct StatsQuery {
    double since = 0;
    double split = 0;
    std::string project;
};
// A run with its counts: packages found in the cache, rebuilt and failed
// (test results apart), test results and those that came from the cache.
struct RunTally {
    std::int64_t id = 0;
    double started = 0;
    std::string project, host, job, branch, verb, failure_class;
    int exit_code = 0;
    double seconds = 0;
    std::int64_t hits = 0, rebuilt = 0, failed = 0, tests = 0, tests_cached = 0;
};
// The records of one package (or its test result) with one outcome and
// reason in one half of the window: how many, their summed seconds (of
// those timed) and how many were timed.
struct PackageTally {
    std::string import_path;
    bool test_result = false;
    std::string outcome, reason;
    int half = 0; // 0: started before StatsQuery::split
    std::int64_t count = 0;
    double seconds = 0;
    std::int64_t timed = 0;
};

class Store {
public:
    virtual ~Store() = default;
    Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // $GOX_HISTORY, else $XDG_STATE_HOME/gox/history.db, else
    // ~/.local/state/gox/history.db (history/open.hpp tells a server from a file).
    static std::string default_path();

    // Records a run and its packages in one transaction; returns the run id.
    virtual std::int64_t add_run(const RunRecord& run, const std::vector<PackageRecord>& pkgs) = 0;

    // The most recent record of the package in an earlier run of the scope.
    virtual std::optional<PackageRecord> previous(const Scope& scope, const std::string& import_path,
                                                  const std::string& variant, std::int64_t before_run) const = 0;
    // The package's records in earlier runs of the scope, newest first, at
    // most limit of them, each with the verb and arguments of its run (so a
    // caller can prefer a run like this one: analysis::run_kind).
    struct Earlier {
        PackageRecord pkg;
        std::string verb, args;
    };
    virtual std::vector<Earlier> earlier(const Scope& scope, const std::string& import_path, const std::string& variant,
                                         std::int64_t before_run, int limit) const = 0;
    // Whether an earlier run of the scope produced (rebuilt or found cached)
    // this action ID: then the cache held its output once.
    virtual bool action_seen(const Scope& scope, const std::string& action_id, std::int64_t before_run) const = 0;
    // Which package each of these action IDs built, in any earlier run (the
    // newest record of each; test results apart): action ID → its record.
    // IDs no run recorded are absent. One lookup per ID on the action_id
    // index (a server gets them in one query).
    virtual std::map<std::string, PackageRecord> packages_by_action(const std::vector<std::string>& action_ids) const = 0;

    // Runs of the scope, newest first.
    virtual std::vector<RunRecord> runs(const Scope& scope, int limit) const = 0;
    // Runs, newest first (module_root "" = all).
    std::vector<RunRecord> runs(const std::string& module_root, int limit) const {
        return module_root.empty() ? all_runs(limit) : runs(Scope(module_root), limit);
    }
    std::vector<RunRecord> runs(const char* module_root, int limit) const { return runs(std::string(module_root), limit); }
    virtual std::vector<RunRecord> all_runs(int limit) const = 0;
    virtual std::optional<RunRecord> run(std::int64_t id) const = 0;
    virtual std::vector<PackageRecord> packages(std::int64_t run_id) const = 0;

    // gox stats' aggregates, summed by the database (history/schema.hpp has
    // the one SQL both backends run): one row per run, oldest first; and
    // per package, outcome, reason and half of the window.
    virtual std::vector<RunTally> run_tallies(const StatsQuery& q) const = 0;
    virtual std::vector<PackageTally> package_tallies(const StatsQuery& q) const = 0;

    // The report document of a run (JSON text, path-normalised, not
    // redacted), kept for the newest kReportRuns runs and when at most
    // kMaxReportBytes long; gox report renders it again.
    static constexpr int kReportRuns = 50;
    static constexpr std::size_t kMaxReportBytes = 4u << 20;
    virtual void set_report(std::int64_t run_id, const std::string& doc) = 0;
    virtual std::optional<std::string> report(std::int64_t run_id) const = 0;

    // Removes the runs past the retention, in batches: by count only when
    // there are more than runs + prune_slack(runs) of them (so a run usually
    // removes nothing: deleting a run's ~1,000 package rows from their
    // indexes costs ~10 ms). The reports are pruned every time. Never waits
    // for another run that is pruning.
    virtual void prune(const Retention& keep) = 0;
    void prune(int keep_runs) { prune(Retention{keep_runs, 0, ""}); }
    static int prune_slack(int keep_runs) { return keep_runs / 10; }

    // Where it is, for messages (a server's address without its password).
    virtual std::string where() const = 0;
    // Whether the store lost its server after opening (its failure was
    // reported once, as a HistoryError; everything after it fails quietly).
    virtual bool lost() const { return false; }
    // What the report of that loss adds in parentheses (where the run's
    // record goes instead).
    virtual void set_loss_note(const std::string& note) { (void)note; }
};

} // namespace gox::history
