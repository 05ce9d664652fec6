#pragma once
// A repeated no-op without go's -debug-actiongraph (issue 14).
//
// go's action graph costs a no-op build about 10 % (caddy, 929 packages:
// ~28 ms of 0.27 s), and on a no-op it says the same thing every time: every
// package's action ID, each a cache hit. So after a run that ran nothing,
// gox keeps its graph, keyed by everything the environment fingerprint
// depends on plus go's command line, with the state of the build's own
// source trees (the main module, go.work's use dirs, local replace dirs:
// path, mtime, size and inode of every file and dir) and of GOCACHE (the
// inode of its 00 dir, which `go clean -cache` replaces, and trim.txt).
// The next identical run whose inputs are all as they were is run without
// -debug-actiongraph and the kept graph stands in for go's, once checked
// against the trace: every package go compiled anyway (a cache entry gone)
// must have the kept graph's action ID in its -buildid, else the kept graph
// is dropped for this run and forgotten. A kept graph has no timings (a
// no-op's are cache lookups). Kept in $XDG_CACHE_HOME/gox/noop-graphs
// (32 commands, the least recently kept go first). When the trees hold more
// than 10,000 files and dirs the walk is given up and, for that command, not
// tried again for a day (a <key>.skip marker).

#include <gox/cli/env_fingerprint.hpp>
#include <gox/model/actiongraph.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace gox::cli::wrap {

// The dirs that hold the build's own sources: GOMOD's dir, the use dirs of
// the go.work that applies ($GOWORK, else the first go.work from build_dir
// up; none with GOWORK=off), and the local targets of their replace
// directives. Nested ones are left to the dir that holds them. Empty when
// the build is not in a module.
std::vector<std::string> source_roots(const nlohmann::json& env, const std::string& build_dir);

// A digest of the source trees (names starting with . or _ skipped, as go
// skips them; symlinks not followed) and of the GOCACHE markers, or "" when
// there are more than max_entries files and dirs (the walk would cost more
// than it saves) or a root cannot be read.
std::string source_tree_state(const std::vector<std::string>& roots, const std::string& gocache,
                              std::size_t max_entries = 10000);

class GraphReuse {
public:
    // env: the fingerprint go env gave (GOMOD, GOCACHE); build_dir: where go runs.
    GraphReuse(const FingerprintCache& fp, const nlohmann::json& env, const std::vector<std::string>& go_line,
               const std::string& build_dir);

    // The graph an earlier run of this command kept, when every input is as
    // it was then; "" otherwise.
    const std::string& kept_graph() const { return m_kept; }

    // After a run that ran nothing, with a graph go wrote: kept for the
    // next identical run, if the sources are still as they were before go
    // started (nothing was edited during the build). Kept in go's format
    // with only what gox reads, and without the "build check cache"
    // actions and timings (a third of go's file: caddy's 880 KB graph
    // becomes about 250 KB).
    void keep(const model::ActionGraph& graph) const;
    // The kept graph no longer describes this command (something ran).
    void forget() const;

private:
    std::string m_base; // noop-graphs/<hash of the key>, "" when nothing can be kept
    std::string m_key, m_tree;
    std::vector<std::string> m_roots;
    std::string m_gocache;
    nlohmann::json m_files;
    std::string m_kept;
};

// Makes a kept graph this run's: true when every compile the trace showed
// (objdir number -> the action ID in its -buildid) has that action ID in
// the graph; then the graph's objdirs are moved into work_dir (this run's
// $WORK, when known) and its timings cleared. False with why_not set
// otherwise.
bool adopt_kept_graph(model::ActionGraph& g, const std::map<int, std::string>& compiled, const std::string& work_dir,
                      std::string& why_not);

} // namespace gox::cli::wrap
