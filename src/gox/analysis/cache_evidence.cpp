#include <gox/analysis/cache_evidence.hpp>

#include <fmt/format.h>

#include <ctime>

namespace gox::analysis {

namespace {

double number(const nlohmann::json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_number() ? o[key].get<double>() : 0;
}

// "2026-12-05 19:31 UTC"
std::string utc(double t) {
    std::time_t s = static_cast<std::time_t>(t);
    std::tm tm{};
    if (!::gmtime_r(&s, &tm)) return "?";
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

} // namespace

EvictionEvidence eviction_evidence(const nlohmann::json& a, const nlohmann::json& b) {
    EvictionEvidence e;
    if (!b.is_object() || !b.contains("cache_evidence") || !b["cache_evidence"].is_object()) return e;
    const nlohmann::json& ev = b["cache_evidence"];
    e.known = true;
    if (ev.contains("present_before_run") && ev["present_before_run"].is_array())
        for (const auto& id : ev["present_before_run"])
            if (id.is_string()) e.present_before.insert(id.get<std::string>());
    const double b_started = number(ev, "run_started"), newest = number(ev, "newest_before_run"),
                 trimmed = number(ev, "trimmed_at");
    const double a_started = a.is_object() && a.contains("command") ? number(a["command"], "started") : 0;
    const double before = number(ev, "entries_before_run");
    double cached = b.contains("summary") ? number(b["summary"], "packages_cached") : 0;
    if (!b.contains("summary") && b.contains("packages") && b["packages"].is_array())
        for (const auto& p : b["packages"])
            if (p.is_object() && p.contains("outcome") && p["outcome"] == "cache_hit") ++cached;
    // go rewrites the mtime of an old entry it uses: a cache whose every
    // entry served this run has none "from before" either, but it served.
    if (before == 0 && cached == 0) {
        e.not_restored = true;
        e.title = fmt::format("B's cache held no entry from before its build ({} entries, all written by it): it was "
                              "not restored, or restored to another directory than go env GOCACHE",
                              static_cast<std::uint64_t>(number(ev, "entries")));
        return e;
    }
    const std::string held = before > 0 ? fmt::format("{} entries from before its run", static_cast<std::uint64_t>(before))
                                        : fmt::format("it served {} packages", static_cast<std::uint64_t>(cached));
    // go trims entries unused for 5 days, and rewrites the mtime of an entry
    // older than an hour that it uses: A's entries can only have gone in a
    // trim 5 days (less that hour) after A's run started.
    constexpr double kTrimLimit = 5 * 24 * 3600.0, kMtimeSlack = 3600.0;
    if (a_started > 0 && trimmed > a_started + kTrimLimit - kMtimeSlack && (b_started == 0 || trimmed <= b_started)) {
        e.title = fmt::format("same key on both: go trimmed B's cache on {}, after A's run ({}): entries unused for 5 "
                              "days are removed",
                              utc(trimmed), utc(a_started));
    } else if (a_started > 0 && newest > 0 && newest < a_started) {
        e.title = fmt::format("same key on both: B restored a cache saved before A's run (its newest entry {}, A ran "
                              "{}): another job's save, or an older one",
                              utc(newest), utc(a_started));
    } else {
        e.title = fmt::format("same key on both: B's cache was restored ({}{}) but lacked the entry: it was saved by "
                              "another job, or before A's build wrote it",
                              held, newest > 0 ? ", the newest " + utc(newest) : std::string());
    }
    return e;
}

std::string eviction_detail(const EvictionEvidence& e, const std::string& action_id) {
    if (!e.known) return "action " + action_id;
    if (e.present_before.count(action_id))
        return "action " + action_id + ": its entry was in B's cache before the run, but go could not use it (its "
               "output file was missing or unreadable)";
    return "action " + action_id + ": no entry in B's cache before the run";
}

} // namespace gox::analysis
