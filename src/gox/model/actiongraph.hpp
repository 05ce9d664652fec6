#pragma once
// Reader for the go command's -debug-actiongraph=FILE output (a JSON array of
// actions, stable in shape from Go 1.19 to 1.26) and the merge of it into a
// Build: the graph lists every action, including the cache hits that print
// nothing under -x, and carries timings.

#include <gox/model/build.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::model {

struct GraphAction {
    int id = 0;
    std::string mode;    // build, link, vet, test run, build check cache (1.26), ...
    std::string package; // import path, "" for nop actions
    std::string objdir;  // absolute, "" if none
    int objdir_number = -1;
    bool ran = false;    // Cmd not null: the action ran commands
    bool failed = false;
    std::vector<int> deps;
    std::string action_id, build_id;
    double time_start = 0, time_done = 0; // seconds since the epoch, 0 if absent
};

struct ActionGraph {
    std::vector<GraphAction> actions;
};

// Parses the file's text in one pass, keeping only the fields above (no
// JSON DOM: a no-op build of 1,000 packages writes ~1 MB of graph). The text
// must be strict JSON. Returns nullopt and sets error on malformed input: the
// line, column and byte of the first thing wrong and what it is, or that
// the text ends early (a truncated file), or "not a JSON array of actions".
std::optional<ActionGraph> parse_actiongraph(std::string_view text, std::string& error);
std::optional<ActionGraph> read_actiongraph_file(const std::string& path, std::string& error);

// The number of an objdir ".../b012/" (12), or -1.
int objdir_number(std::string_view dir);

// Seconds since the epoch of an RFC 3339 time with optional fraction, or 0.
double parse_rfc3339(std::string_view t);

// Adds the graph's build actions to b: timings for packages the trace shows,
// and the packages it does not show (cache hits with nothing printed).
// Disagreements (a compile in the graph that the trace lacks) become notes.
void merge_actiongraph(Build& b, const ActionGraph& g);

// The kind of a step without the file it names: "cgo compile
// /tmp/go-build1/b004/x.cgo2.c" is "cgo compile" (no work-dir paths in reports).
std::string step_kind(std::string_view mode);
// cgo run and cgo compile: the C steps of a cgo package, before its build action.
bool is_cgo_step(std::string_view mode);

// Wall time, time by mode and the critical path of the graph's timings.
// The C steps of a cgo package count toward its build on the critical path.
Timing compute_timing(const ActionGraph& g);

} // namespace gox::model
