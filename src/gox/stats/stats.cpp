#include <gox/stats/stats.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

namespace gox::stats {

namespace {

// The rows of a ranking: most first, then by name.
template <class T, class Key>
void rank(std::vector<T>& v, Key key) {
    std::sort(v.begin(), v.end(), [&](const T& a, const T& b) {
        auto ka = key(a), kb = key(b);
        if (ka != kb) return ka > kb;
        return a.first < b.first;
    });
}

// A unix time in UTC, by a strftime format.
std::string utc(double t, const char* format) {
    std::time_t s = static_cast<std::time_t>(std::floor(t));
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}
std::string day_of(double t) { return utc(t, "%Y-%m-%d"); }

std::vector<Group> groups(const std::map<std::string, Group>& m, bool by_runs) {
    std::vector<Group> v;
    for (const auto& [k, g] : m) v.push_back(g);
    if (by_runs)
        std::stable_sort(v.begin(), v.end(), [](const Group& a, const Group& b) { return a.runs > b.runs; });
    return v;
}

bool is_miss(const std::string& outcome) { return outcome == "rebuilt" || outcome == "failed"; }

} // namespace

std::optional<double> parse_duration(std::string_view s) {
    if (s.size() < 2) return std::nullopt;
    double unit = 0;
    switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
    }
    std::string num(s.substr(0, s.size() - 1));
    if (num.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(num.c_str(), &end);
    if (!end || *end || !(v > 0) || !std::isfinite(v)) return std::nullopt;
    return v * unit;
}

Stats analyse(const Options& o, const std::vector<history::RunTally>& runs,
              const std::vector<history::PackageTally>& pkgs, double split) {
    Stats s;
    s.options = o;
    s.to = o.now;
    s.from = o.now - o.window;
    s.split = split;
    std::map<std::string, Group> days, projects, jobs, hosts;
    std::map<std::string, std::int64_t> classes;
    for (const auto& r : runs) {
        ++s.runs;
        if (r.exit_code != 0 && r.exit_code != history::kExitUnknown) ++s.failed_runs; // unknown: gox cacheprog's
        if (!r.failure_class.empty()) ++classes[r.failure_class];
        Count c{r.hits, r.rebuilt + r.failed};
        s.packages.hits += c.hits;
        s.packages.misses += c.misses;
        s.tests.hits += r.tests_cached;
        s.tests.misses += r.tests - r.tests_cached;
        for (auto [m, key] : {std::pair{&days, day_of(r.started)}, std::pair{&projects, r.project},
                              std::pair{&jobs, r.job}, std::pair{&hosts, r.host}}) {
            Group& g = (*m)[key];
            g.key = key;
            ++g.runs;
            g.packages.hits += c.hits;
            g.packages.misses += c.misses;
        }
    }
    s.days = groups(days, false);
    s.projects = groups(projects, true);
    s.jobs = groups(jobs, true);
    s.hosts = groups(hosts, true);
    for (const auto& [k, n] : classes) s.failure_classes.emplace_back(k, n);
    rank(s.failure_classes, [](const auto& p) { return p.second; });

    struct Pkg {
        std::int64_t misses = 0, records = 0;
        std::map<std::string, std::int64_t> reasons;
        double seconds[2] = {0, 0};
        std::int64_t timed[2] = {0, 0};
    };
    std::map<std::string, Pkg> by_pkg;
    std::map<std::string, ReasonCost> by_reason;
    for (const auto& t : pkgs) {
        if (t.test_result) continue;
        Pkg& p = by_pkg[t.import_path];
        p.records += t.count;
        if (!is_miss(t.outcome)) continue;
        p.misses += t.count;
        std::string reason = t.reason.empty() ? "(none)" : t.reason;
        p.reasons[reason] += t.count;
        if (t.outcome != "rebuilt") continue;
        ReasonCost& rc = by_reason[reason];
        rc.reason = reason;
        rc.packages += t.count;
        rc.seconds += t.seconds;
        int half = t.half == 0 ? 0 : 1;
        p.seconds[half] += t.seconds;
        p.timed[half] += t.timed;
    }
    std::vector<std::pair<std::string, const Pkg*>> missed, slow;
    for (const auto& [k, p] : by_pkg) {
        if (p.misses > 0) missed.emplace_back(k, &p);
        if (p.timed[0] + p.timed[1] > 0) slow.emplace_back(k, &p);
    }
    rank(missed, [](const auto& e) { return e.second->misses; });
    for (std::size_t i = 0; i < missed.size() && i < o.top; ++i) {
        Missed m{missed[i].first, missed[i].second->misses, missed[i].second->records, {}};
        for (const auto& [r, n] : missed[i].second->reasons) m.reasons.emplace_back(r, n);
        rank(m.reasons, [](const auto& e) { return e.second; });
        if (m.reasons.size() > 3) m.reasons.resize(3);
        s.most_missed.push_back(std::move(m));
    }
    auto mean = [](const Pkg& p) { return (p.seconds[0] + p.seconds[1]) / static_cast<double>(p.timed[0] + p.timed[1]); };
    rank(slow, [&](const auto& e) { return mean(*e.second); });
    for (std::size_t i = 0; i < slow.size() && i < o.top; ++i) {
        const Pkg& p = *slow[i].second;
        Slow x{slow[i].first, p.timed[0] + p.timed[1], mean(p), std::nullopt, std::nullopt};
        if (p.timed[0]) x.first_half = p.seconds[0] / static_cast<double>(p.timed[0]);
        if (p.timed[1]) x.second_half = p.seconds[1] / static_cast<double>(p.timed[1]);
        s.slowest.push_back(std::move(x));
    }
    for (const auto& [k, rc] : by_reason) s.reasons.push_back(rc);
    std::sort(s.reasons.begin(), s.reasons.end(), [](const ReasonCost& a, const ReasonCost& b) {
        if (a.seconds != b.seconds) return a.seconds > b.seconds;
        if (a.packages != b.packages) return a.packages > b.packages;
        return a.reason < b.reason;
    });
    return s;
}

Stats compute(const history::Store& store, const Options& o) {
    history::StatsQuery q;
    q.since = o.now - o.window;
    q.project = o.project;
    auto runs = store.run_tallies(q);
    // The trend's halves split the runs' own span (a history younger than
    // the window would otherwise fall in one half).
    q.split = q.since;
    if (!runs.empty()) {
        auto [lo, hi] = std::minmax_element(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
            return a.started < b.started;
        });
        q.split = (lo->started + hi->started) / 2;
    }
    auto pkgs = runs.empty() ? std::vector<history::PackageTally>() : store.package_tallies(q);
    return analyse(o, runs, pkgs, q.split);
}

namespace {

nlohmann::ordered_json rate_json(const Count& c) {
    if (auto r = c.rate()) return std::round(*r * 10000) / 10000;
    return nullptr;
}
nlohmann::ordered_json opt_json(const std::optional<double>& v) {
    if (v) return *v;
    return nullptr;
}
nlohmann::ordered_json groups_json(const std::vector<Group>& v, const char* key) {
    auto a = nlohmann::ordered_json::array();
    for (const auto& g : v)
        a.push_back({{key, g.key}, {"runs", g.runs}, {"hits", g.packages.hits}, {"misses", g.packages.misses},
                     {"hit_rate", rate_json(g.packages)}});
    return a;
}
std::string iso(double t) { return utc(t, "%Y-%m-%dT%H:%M:%SZ"); }
std::string pct(const std::optional<double>& r) { return r ? fmt::format("{:.1f}%", *r * 100) : std::string("-"); }
std::string trend(const Slow& x) {
    if (!x.first_half || !x.second_half) return "";
    std::string t = fmt::format("{:.3f} s → {:.3f} s", *x.first_half, *x.second_half);
    if (*x.first_half > 0) t += fmt::format(" ({:+.0f}%)", 100 * (*x.second_half - *x.first_half) / *x.first_half);
    return t;
}

} // namespace

nlohmann::ordered_json to_json(const Stats& s) {
    nlohmann::ordered_json j;
    j["schema_version"] = kSchemaVersion;
    j["since"] = s.options.window_label;
    j["from"] = iso(s.from);
    j["to"] = iso(s.to);
    j["project"] = s.options.project;
    j["runs"] = s.runs;
    j["packages"] = {{"hits", s.packages.hits}, {"misses", s.packages.misses}, {"hit_rate", rate_json(s.packages)}};
    j["tests"] = {{"results", s.tests.hits + s.tests.misses}, {"cached", s.tests.hits}, {"hit_rate", rate_json(s.tests)}};
    j["by_day"] = groups_json(s.days, "day");
    j["by_project"] = groups_json(s.projects, "project");
    j["by_job"] = groups_json(s.jobs, "job");
    j["by_host"] = groups_json(s.hosts, "host");
    auto missed = nlohmann::ordered_json::array();
    for (const auto& m : s.most_missed) {
        auto rs = nlohmann::ordered_json::array();
        for (const auto& [r, n] : m.reasons) rs.push_back({{"reason", r}, {"count", n}});
        missed.push_back({{"package", m.package}, {"misses", m.misses}, {"records", m.records}, {"reasons", rs}});
    }
    j["most_missed"] = missed;
    auto reasons = nlohmann::ordered_json::array();
    for (const auto& r : s.reasons)
        reasons.push_back({{"reason", r.reason}, {"packages", r.packages}, {"seconds", std::round(r.seconds * 1000) / 1000}});
    j["reasons_by_time"] = reasons;
    auto slow = nlohmann::ordered_json::array();
    for (const auto& x : s.slowest) {
        nlohmann::ordered_json e = {{"package", x.package}, {"builds", x.builds}, {"mean_seconds", x.mean},
                                    {"first_half_mean", opt_json(x.first_half)},
                                    {"second_half_mean", opt_json(x.second_half)}};
        e["change_percent"] = x.first_half && x.second_half && *x.first_half > 0
                                  ? nlohmann::ordered_json(std::round(1000 * (*x.second_half - *x.first_half) / *x.first_half) / 10)
                                  : nlohmann::ordered_json(nullptr);
        slow.push_back(e);
    }
    j["slowest"] = slow;
    auto classes = nlohmann::ordered_json::array();
    for (const auto& [c, n] : s.failure_classes) classes.push_back({{"class", c}, {"runs", n}});
    j["failures"] = {{"runs", s.failed_runs}, {"classes", classes}};
    return j;
}

std::string render_text(const Stats& s) {
    std::string o;
    const std::string scope = s.options.project.empty() ? "every project" : "project " + s.options.project;
    o += fmt::format("gox stats: {} runs of {} since {} ({})\n", s.runs, scope, iso(s.from), s.options.window_label);
    if (s.runs == 0) {
        o += "no runs in the window\n";
        return o;
    }
    o += fmt::format("packages: {} from the cache, {} rebuilt or failed: hit rate {}\n", s.packages.hits,
                     s.packages.misses, pct(s.packages.rate()));
    if (s.tests.hits + s.tests.misses)
        o += fmt::format("tests: {} of {} results from the test cache: hit rate {}\n", s.tests.hits,
                         s.tests.hits + s.tests.misses, pct(s.tests.rate()));
    std::string cls;
    for (const auto& [c, n] : s.failure_classes) cls += fmt::format("{}{} {}", cls.empty() ? "" : ", ", c, n);
    o += fmt::format("failed runs: {}{}\n", s.failed_runs, cls.empty() ? "" : " (" + cls + ")");
    auto table = [&](const char* title, const std::vector<Group>& v, const char* none) {
        o += fmt::format("\n{}:\n", title);
        for (const auto& g : v)
            o += fmt::format("  {:<40} {:>6} runs  {:>6}\n", g.key.empty() ? none : g.key, g.runs, pct(g.packages.rate()));
    };
    table("hit rate by day (UTC)", s.days, "");
    table("by project", s.projects, "(none)");
    table("by job", s.jobs, "(no CI job)");
    table("by host", s.hosts, "(unknown)");
    if (!s.most_missed.empty()) {
        o += "\npackages that miss most (misses of records; dominant reasons):\n";
        for (const auto& m : s.most_missed) {
            std::string rs;
            for (const auto& [r, n] : m.reasons) rs += fmt::format("{}{} {}", rs.empty() ? "" : ", ", r, n);
            o += fmt::format("  {:<48} {:>5} of {:<5} {}\n", m.package, m.misses, m.records, rs);
        }
    }
    if (!s.reasons.empty()) {
        double total = 0;
        for (const auto& r : s.reasons) total += r.seconds;
        o += "\nreasons by the compile time they cost:\n";
        for (const auto& r : s.reasons)
            o += fmt::format("  {:<28} {:>6} packages {:>9.3f} s {:>6}\n", r.reason, r.packages, r.seconds,
                             total > 0 ? fmt::format("{:.1f}%", 100 * r.seconds / total) : std::string("-"));
    }
    if (!s.slowest.empty()) {
        o += "\nslowest packages (mean compile seconds when rebuilt; first half → second half of the runs):\n";
        for (const auto& x : s.slowest)
            o += fmt::format("  {:<48} {:>7.3f} s {:>5} builds  {}\n", x.package, x.mean, x.builds, trend(x));
    }
    return o;
}

} // namespace gox::stats
