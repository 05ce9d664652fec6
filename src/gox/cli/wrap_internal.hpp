#pragma once
// What the wrapper's files share (internal to `gox build|test|...`):
// the go arguments gox looks at, the wrapper's options, and the steps
// cmd_wrap (wrap_cmd.cpp) runs after go: the history store, the facts the
// analysis reads and the history record (run_record.cpp), and the summary,
// reports and annotations (wrap_output.cpp).

#include <gox/analysis/analyse.hpp>
#include <gox/history/open.hpp>
#include <gox/history/store.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/model/build.hpp>
#include <gox/process/go_process.hpp>
#include <gox/report/document.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gox::cli::wrap {

struct GoArgs {
    bool user_x = false, dry_run = false, json = false;
    bool work = false; // -work: go prints WORK=<dir> itself, -x or not
    std::string toolexec; // the program of -toolexec (its first word), "" for none
    std::string user_actiongraph;
};

// The go flags gox must know about (-x, -n, -json, -work, -toolexec,
// -debug-actiongraph), from the command line and GOFLAGS.
GoArgs scan_go_args(const std::string& verb, const std::vector<std::string>& args);

struct WrapOptions {
    std::string summary = "stderr"; // stderr | off | FILE
    std::string summary_format = "text";
    std::string go;
    bool progress = true;
    bool history = true;
    bool why = false; // GODEBUG=gocachehash=1: exact reasons from hash inputs
    std::string baseline; // --baseline=FILE|RUN ("" for none)
    bool repro_clean = false;    // re-run a failure against an empty temporary cache
    bool no_repro = false;       // ...not even when the failure points at the cache
    bool verify_suspects = false; // check the suspects' cache files on any failure
    std::vector<std::string> reports; // --report=FILE (repeatable)
    std::string report_format;        // --report-format, "" = from each file's extension
    RedactChoice redact;
    bool annotations = false;         // --annotations=github
    history::Retention keep;          // --keep / GOX_HISTORY_KEEP, per project
    bool cacheprog = false;           // --cacheprog / GOX_CACHEPROG: go's cache through gox cacheprog
    std::string cacheprog_upstream;   // --cacheprog=UPSTREAM ("" for the default, cacheprog_plan.cpp)
};

// How go is pointed at gox's own cache program (--cacheprog): the
// GOCACHEPROG value and the record it writes (cacheprog_plan.cpp).
struct CacheprogPlan {
    std::string gocacheprog; // the value go gets
    std::string record;      // the record file, in gox's private temp dir
    std::string upstream;    // the upstream command, "" for none
};
// GOCACHEPROG for go: gox's own binary (/proc/self/exe) `cacheprog
// --record=RECORD`, with --upstream: the explicit one, else the user's
// GOCACHEPROG, else none (the cache program then reads
// GOX_CACHEPROG_UPSTREAM itself). A user's GOCACHEPROG that already is gox
// cacheprog is kept, with the record added. A usage error when a word
// cannot be quoted for go (it holds both ' and ").
CacheprogPlan plan_cacheprog(const std::string& upstream_opt, const std::string& record);

// --keep's value: N runs, or Nd days; nullopt when it is neither.
std::optional<history::Retention> parse_keep(const std::string& s);

// The history store of a wrapped run; null with --no-history or when it
// cannot be opened (one warning: the history never fails a build).
std::unique_ptr<history::Store> open_run_store(const WrapOptions& o);

// The facts the analysis reads about this run (analysis/analyse.hpp). Adds
// the command line and the module path to env, the environment fingerprint
// that the history and the reports keep.
analysis::RunFacts run_facts(nlohmann::json& env, const std::string& verb, const std::vector<std::string>& args,
                             const std::string& test_godebug, const history::Store* store);

// The --baseline run: a JSON summary file, or a run id of the store. A
// baseline that cannot be read gives one warning and none is used.
std::optional<analysis::Baseline> load_baseline(const std::string& what, const history::Store* store);

// This run recorded in the store (nothing without one), with the analysis'
// verdicts and the hash inputs the next run's --why compares with. Never
// fails the build: a store that cannot be written gives one warning.
void record_run(history::Store* store, const WrapOptions& o, const model::Build& b, const analysis::RunAnalysis& a,
                const analysis::RunFacts& f, const process::GoRun& run,
                const std::map<std::string, std::string>& inputs, const std::function<std::string()>& report_doc);

// How store_run's warnings name who writes and what: "gox" and "this
// run", or "gox cacheprog" and "this go command".
struct RecordVoice {
    const char* program;
    const char* record;
};

// A run's record stored (record_run's and the standalone cache program's,
// cacheprog_history.hpp): on a server, the records the spool kept go first;
// then the run and its report document (report_doc: made only when needed),
// and runs past keep (for r's project) pruned. A server that cannot be
// reached (store null or lost, or add_run failing on it) gets the record in
// the spool, with one warning saying unreachable ("" when already said) or
// the error. Never throws: what fails is a warning on stderr. store may be
// null only for a server.
void store_run(history::Store* store, const history::Location& where, const history::RunRecord& r,
               const std::vector<history::PackageRecord>& pkgs, const std::function<std::string()>& report_doc,
               history::Retention keep, const std::string& unreachable, const RecordVoice& v);

// The document every JSON summary and report is made from.
// (command and environment from the facts, and their cache_evidence when gathered).
report::Doc run_document(const model::Build& b, const analysis::RunAnalysis& a, const analysis::RunFacts& f,
                         const process::GoRun& run);

// The ages of GOCACHE's action entries against the run's start, and which
// of the packages it rebuilt had an entry before it (analysis::RunFacts'
// cache_evidence); null when GOCACHE cannot be read.
nlohmann::json cache_evidence(const nlohmann::json& env, double started, const model::Build& b);

void print_summary(const report::Doc& doc, const model::Build& b, const analysis::RunAnalysis& a,
                   const process::GoRun& run, const WrapOptions& o);

// The --report files and the GitHub step summary. Failures to write warn
// and never change the exit status.
void write_reports(report::Doc doc, const WrapOptions& o, const std::string& graph_file);

// GitHub workflow commands for compile errors ("file.go:12:5: message"),
// on stderr after go's own output.
// go_dir: go's -C dir ("" without): go names files relative to it.
void print_annotations(const model::Build& b, const RedactChoice& rc, const std::string& go_dir);

} // namespace gox::cli::wrap
