#pragma once
// Why B missed entries whose keys equal A's: nothing B changed explains it,
// so the cache B started from does. B's summary carries the ages of its
// GOCACHE's entries against its run's start (cache_evidence, written by the
// wrapper with --why or --baseline) and A's carries when A ran
// (command.started). From those this says which story the evidence
// supports: B's cache was not restored, go trimmed it after A's run, B
// restored a cache saved before A's run, or B restored a newer one that
// still lacked the entry (saved by another job, or before A's build wrote
// it). Without the evidence it says nothing (known == false).

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace gox::analysis {

struct EvictionEvidence {
    bool known = false;        // B's document carries cache_evidence
    bool not_restored = false; // no entry older than B's run: nothing was restored
    std::string title;         // the story, for the cause group
    std::set<std::string> present_before; // action IDs whose entry was there before B's run
};

// a, b: the two JSON summaries (A the baseline, B the run that missed).
EvictionEvidence eviction_evidence(const nlohmann::json& a, const nlohmann::json& b);

// One package's detail: whether its entry was in B's cache before the run.
std::string eviction_detail(const EvictionEvidence& e, const std::string& action_id);

} // namespace gox::analysis
