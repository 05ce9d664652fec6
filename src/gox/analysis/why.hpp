#pragma once
// Exact reasons (--why): each rebuilt package's hash inputs, read from
// GODEBUG=gocachehash=1 records, compared with the inputs the history kept
// for its previous run; the first input that differs names the reason
// (file, dependency, flag, env var, toolchain, directory, VCS stamp...).

#include <gox/analysis/hashes.hpp>
#include <gox/model/build.hpp>

#include <map>
#include <string>
#include <vector>

namespace gox::analysis {

// The stored form of a record's inputs: a JSON array of its chunks; and back.
std::string chunks_to_json(const HashRecord& r);
std::vector<std::string> chunks_from_json(const std::string& s);
// Complete records of one kind, by a key taken from each record.
std::map<std::string, std::string> records_by(const std::vector<HashRecord>& records, std::string_view kind,
                                              bool by_action_id);

// The build records of this run by action ID, as stored in the history
// (a JSON array of the unquoted chunks).
std::map<std::string, std::string> inputs_by_action(const std::vector<HashRecord>& records);

// Maps the first change to a reason id and a detail ("words.go", "GOAMD64:
// v1 → v3"); {"", ""} when there is no change.
std::pair<std::string, std::string> reason_from_changes(const std::vector<HashChange>& changes);

// For every rebuilt package whose reason is inputs_changed (or that has no
// reason yet) and whose previous inputs are known: the exact reason.
// prev_inputs: import path + '\0' + variant → stored inputs of its previous run.
// verdicts: assign_reasons' (one per package of b), refined in place.
void refine_reasons(const model::Build& b, std::vector<Verdict>& verdicts,
                    const std::map<std::string, std::string>& this_inputs,
                    const std::map<std::string, std::string>& prev_inputs);

} // namespace gox::analysis
