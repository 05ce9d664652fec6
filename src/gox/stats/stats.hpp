#pragma once
// gox stats: what a history (either backend, through history::Store's two
// aggregate queries) says about the builds of a window: the cache hit rate
// by day, project, job and host; the packages that miss most and why; the
// reasons ranked by the compile time they cost; the slowest packages and
// their trend (the window's first half against its second); the test
// cache's hit rate; the failure classes seen. One analysis, three
// renderers (JSON, text, HTML); nothing here knows which backend answered.

#include <gox/history/store.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gox::stats {

// gox stats --format=json's schema (documented in gox(1)).
inline constexpr int kSchemaVersion = 1;

struct Options {
    double window = 7 * 86400; // seconds before `now`
    std::string window_label = "7d";
    double now = 0;       // the window's end (unix seconds)
    std::string project;  // "" = every project
    std::size_t top = 10; // rows of each ranked list
};

// "7d", "36h", "90m", "2w", "3600s": seconds; nullopt for anything else.
std::optional<double> parse_duration(std::string_view s);

// Package records found in the cache against those rebuilt or failed (a
// test result: from the test cache against run).
struct Count {
    std::int64_t hits = 0, misses = 0;
    std::optional<double> rate() const {
        if (hits + misses == 0) return std::nullopt;
        return static_cast<double>(hits) / static_cast<double>(hits + misses);
    }
};

// The runs of a day (YYYY-MM-DD, UTC), a project, a job or a host.
struct Group {
    std::string key;
    std::int64_t runs = 0;
    Count packages;
};

struct Missed {
    std::string package;
    std::int64_t misses = 0, records = 0;
    std::vector<std::pair<std::string, std::int64_t>> reasons; // most frequent first
};

struct ReasonCost {
    std::string reason;
    std::int64_t packages = 0; // rebuilt package records with this reason
    double seconds = 0;        // their summed compile seconds
};

struct Slow {
    std::string package;
    std::int64_t builds = 0; // timed rebuilds
    double mean = 0;         // seconds
    std::optional<double> first_half, second_half; // their means
};

struct Stats {
    Options options;
    double from = 0, to = 0, split = 0;
    std::int64_t runs = 0, failed_runs = 0;
    Count packages, tests;
    std::vector<Group> days, projects, jobs, hosts;
    std::vector<Missed> most_missed;
    std::vector<ReasonCost> reasons;
    std::vector<Slow> slowest;
    std::vector<std::pair<std::string, std::int64_t>> failure_classes; // most frequent first
};

// Reads the store's aggregates for the window and analyses them; a
// history::HistoryError when the store fails.
Stats compute(const history::Store& store, const Options& o);
// The same from the aggregates themselves (the unit tests' seam).
Stats analyse(const Options& o, const std::vector<history::RunTally>& runs,
              const std::vector<history::PackageTally>& pkgs, double split);

nlohmann::ordered_json to_json(const Stats& s);
std::string render_text(const Stats& s);
// One self-contained page (no script, no external resource): the hit rate
// by day and the time lost by reason as inline SVG, then the tables.
std::string render_html(const Stats& s);

} // namespace gox::stats
