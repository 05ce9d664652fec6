#include <gox/model/actiongraph.hpp>
#include <gox/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

namespace gox::model {

using nlohmann::json;

double parse_rfc3339(std::string_view t) {
    // 2026-11-24T20:55:32.364740281Z (Go's time.Time JSON; "Z" or ±hh:mm)
    if (t.size() < 20) return 0;
    auto num = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (t[i] < '0' || t[i] > '9') return -1;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    std::tm tm{};
    int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return 0;
    if (y == 1) return 0; // Go's zero time
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    double secs = static_cast<double>(timegm(&tm));
    std::size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        double scale = 0.1;
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, scale /= 10) secs += (t[i] - '0') * scale;
    }
    if (i < t.size() && (t[i] == '+' || t[i] == '-') && i + 6 <= t.size()) {
        int oh = num(i + 1, 2), om = num(i + 4, 2);
        if (oh >= 0 && om >= 0) secs -= (t[i] == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
    }
    return secs;
}

namespace {
int objdir_number(std::string_view dir) {
    while (!dir.empty() && (dir.back() == '/' || dir.back() == '\\')) dir.remove_suffix(1);
    std::string_view b = util::base_name(dir);
    if (b.size() < 2 || b[0] != 'b') return -1;
    int v = 0;
    for (char c : b.substr(1)) {
        if (c < '0' || c > '9') return -1;
        if (v > 99999999) return -1; // no objdir number is that long (found by fuzz_actiongraph)
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string str_field(const json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}
} // namespace

std::optional<ActionGraph> parse_actiongraph(std::string_view text, std::string& error) {
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        error = "not a JSON array of actions";
        return std::nullopt;
    }
    ActionGraph g;
    g.actions.reserve(j.size());
    for (const json& o : j) {
        if (!o.is_object()) continue;
        GraphAction a;
        if (auto it = o.find("ID"); it != o.end() && it->is_number_integer()) a.id = it->get<int>();
        a.mode = str_field(o, "Mode");
        a.package = str_field(o, "Package");
        a.objdir = str_field(o, "Objdir");
        a.objdir_number = objdir_number(a.objdir);
        if (auto it = o.find("Cmd"); it != o.end()) a.ran = it->is_array() && !it->empty();
        if (auto it = o.find("Failed"); it != o.end() && it->is_boolean()) a.failed = it->get<bool>();
        if (auto it = o.find("Deps"); it != o.end() && it->is_array())
            for (const json& d : *it)
                if (d.is_number_integer()) a.deps.push_back(d.get<int>());
        a.action_id = str_field(o, "ActionID");
        a.build_id = str_field(o, "BuildID");
        a.time_start = parse_rfc3339(str_field(o, "TimeStart"));
        a.time_done = parse_rfc3339(str_field(o, "TimeDone"));
        g.actions.push_back(std::move(a));
    }
    return g;
}

std::optional<ActionGraph> read_actiongraph_file(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot open " + path;
        return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_actiongraph(ss.str(), error);
}

std::string step_kind(std::string_view mode) {
    // "cgo compile /tmp/go-build123/b004/_cgo_export.c", "cgo compile gcc_amd64.S":
    // the kind ends before the first word that names a file.
    std::string out;
    std::size_t i = 0;
    while (i < mode.size()) {
        std::size_t j = mode.find(' ', i);
        std::string_view w = mode.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (w.find('/') != std::string_view::npos || w.find('.') != std::string_view::npos) break;
        if (!w.empty()) out += (out.empty() ? "" : " ") + std::string(w);
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    return out.empty() ? std::string(mode.substr(0, 40)) : out;
}

bool is_cgo_step(std::string_view mode) { return util::starts_with(mode, "cgo run") || util::starts_with(mode, "cgo compile"); }

namespace {
double duration(const GraphAction& a) {
    return a.time_done > a.time_start && a.time_start > 0 ? a.time_done - a.time_start : 0;
}
} // namespace

Timing compute_timing(const ActionGraph& g) {
    Timing t;
    double first = 0, last = 0;
    std::map<std::string, double> by_mode;
    const GraphAction* end = nullptr;
    std::map<int, const GraphAction*> by_id;
    for (const auto& a : g.actions) {
        by_id[a.id] = &a;
        if (a.time_start > 0 && (first == 0 || a.time_start < first)) first = a.time_start;
        if (a.time_done > last) {
            last = a.time_done;
            end = &a;
        }
        if (a.ran && a.time_done > a.time_start && a.time_start > 0) by_mode[step_kind(a.mode)] += a.time_done - a.time_start;
    }
    t.wall = first > 0 && last > first ? last - first : 0;
    t.by_mode.assign(by_mode.begin(), by_mode.end());
    std::sort(t.by_mode.begin(), t.by_mode.end(), [](auto& x, auto& y) { return x.second > y.second; });
    // The chain that decided the finish: from the last action to finish, keep
    // stepping to the dependency that finished last.
    // A cgo package's C steps (cgo run, one cgo compile per file) are
    // separate actions before its build action: on the path they count as
    // part of "build P".
    struct Step {
        std::string kind, package;
        double seconds;
    };
    std::vector<Step> steps;
    std::set<int> critical;
    std::size_t guard = 0;
    while (end && guard++ < g.actions.size()) {
        critical.insert(end->id);
        double d = duration(*end);
        if (end->ran || (d >= 0.005 && end->mode != "build check cache")) {
            std::string kind = is_cgo_step(end->mode) ? "build" : step_kind(end->mode);
            if (!steps.empty() && steps.back().package == end->package && steps.back().kind == "build" && kind == "build")
                steps.back().seconds += d;
            else
                steps.push_back({kind, end->package, d});
        }
        const GraphAction* next = nullptr;
        for (int dep : end->deps) {
            auto it = by_id.find(dep);
            if (it != by_id.end() && (!next || it->second->time_done > next->time_done)) next = it->second;
        }
        end = next;
    }
    std::vector<std::pair<std::string, double>> chain;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
        chain.emplace_back(it->kind + (it->package.empty() ? "" : " " + it->package), it->seconds);
    t.critical_path = std::move(chain);
    for (const auto& a : g.actions) {
        if (a.time_start <= 0 || a.time_done < a.time_start || a.mode == "nop") continue;
        if (!a.ran && a.time_done - a.time_start < 0.0005) continue; // instant bookkeeping steps
        t.actions.push_back({step_kind(a.mode), a.package, a.time_start - first, a.time_done - a.time_start, a.ran,
                             critical.count(a.id) > 0});
    }
    std::sort(t.actions.begin(), t.actions.end(), [](const TimedAction& x, const TimedAction& y) {
        return std::tie(x.start, x.mode, x.package) < std::tie(y.start, y.mode, y.package);
    });
    return t;
}

namespace {

// The invocation whose work dir holds the graph's objdirs (default: the last).
int graph_invocation(const Build& b, const ActionGraph& g) {
    int inv = b.invocations.empty() ? 0 : static_cast<int>(b.invocations.size()) - 1;
    for (const auto& a : g.actions) {
        if (a.objdir.empty()) continue;
        for (std::size_t i = 0; i < b.invocations.size(); ++i)
            if (!b.invocations[i].work_dir.empty() && util::starts_with(a.objdir, b.invocations[i].work_dir))
                inv = static_cast<int>(i);
        break;
    }
    return inv;
}

using CgoSpans = std::map<std::pair<int, std::string>, std::vector<std::pair<double, double>>>;

// The C steps of cgo packages (Go 1.20+ makes them actions of their own),
// by objdir and package: their time is part of the package's.
CgoSpans cgo_spans_of(const ActionGraph& g) {
    CgoSpans spans;
    for (const auto& a : g.actions)
        if (a.ran && is_cgo_step(a.mode) && duration(a) > 0)
            spans[{a.objdir_number, a.package}].emplace_back(a.time_start, a.time_done);
    return spans;
}

// A build action's seconds (-1 when untimed), plus the wall time while at
// least one of its package's C steps ran (parallel compiles of several
// files count once).
double build_seconds(const GraphAction& a, CgoSpans& spans) {
    double secs = a.time_done > 0 && a.time_start > 0 ? a.time_done - a.time_start : -1;
    auto it = spans.find({a.objdir_number, a.package});
    if (secs < 0 || it == spans.end()) return secs;
    auto& v = it->second;
    std::sort(v.begin(), v.end());
    double from = v.front().first, to = v.front().second;
    for (const auto& [s, e] : v) {
        if (s > to) {
            secs += to - from;
            from = s;
        }
        to = std::max(to, e);
    }
    return secs + to - from;
}

// The trace's package for a build action: same objdir in the graph's
// invocation, else a package without objdir (a cache hit) of that path.
Package* trace_package(Build& b, int inv, const GraphAction& a) {
    for (auto& p : b.packages)
        if (p.invocation == inv && p.objdir >= 0 && p.objdir == a.objdir_number) return &p;
    for (auto& p : b.packages)
        if (p.invocation == inv && p.objdir < 0 && p.import_path == a.package && !p.seconds) return &p;
    return nullptr;
}

// Action and content IDs, and the packages it imports (build actions it
// depends on).
void fill_ids(Package& p, const GraphAction& a, const std::map<int, const GraphAction*>& by_id) {
    p.action_id = a.action_id;
    auto slash = a.build_id.find('/');
    if (slash != std::string::npos) p.content_id = a.build_id.substr(slash + 1);
    p.deps.clear();
    for (int d : a.deps)
        if (auto it = by_id.find(d); it != by_id.end() && it->second->mode == "build" && !it->second->package.empty() &&
                                     it->second->package != a.package)
            p.deps.push_back(it->second->package);
    std::sort(p.deps.begin(), p.deps.end());
    p.deps.erase(std::unique(p.deps.begin(), p.deps.end()), p.deps.end());
}

// A package the trace never showed (a cache hit prints nothing under -x).
Package graph_package(const GraphAction& a, int inv) {
    Package p;
    p.invocation = inv;
    p.import_path = a.package;
    p.objdir = a.objdir_number;
    // No command and no action ID: go never got as far as looking it up
    // in the cache (a dependency failed, or the run was cut short), so it
    // is not a cache hit.
    p.outcome = a.failed ? Outcome::Failed
              : a.ran    ? Outcome::Rebuilt
              : a.action_id.empty() && a.build_id.empty() ? Outcome::Unknown
                                                           : Outcome::CacheHit;
    p.evidence = kEvActionGraph;
    p.standard = is_standard_import_path(a.package);
    return p;
}

// The test binaries: the link of "P.test" names P's result's cache keys.
void link_test_binaries(Build& b, const ActionGraph& g) {
    for (const auto& a : g.actions) {
        if (a.mode != "link" || !util::ends_with(a.package, ".test")) continue;
        std::string_view pkg = std::string_view(a.package).substr(0, a.package.size() - 5);
        for (auto& t : b.tests) {
            if (t.import_path != pkg) continue;
            t.link_action_id = a.action_id;
            // BuildID of a link: actionID/mainContentID/.../binaryContentID.
            auto last = a.build_id.rfind('/');
            t.binary_id = last == std::string::npos ? "" : a.build_id.substr(last + 1);
        }
    }
}

} // namespace

void merge_actiongraph(Build& b, const ActionGraph& g) {
    b.actiongraph_merged = true;
    const int inv = graph_invocation(b, g);
    if (b.invocations.empty()) b.invocations.emplace_back();
    std::size_t disagree = 0;
    std::map<int, const GraphAction*> by_id;
    for (const auto& a : g.actions) by_id[a.id] = &a;
    CgoSpans spans = cgo_spans_of(g);
    for (const auto& a : g.actions) {
        if (a.mode != "build" || a.package.empty()) continue;
        double secs = build_seconds(a, spans);
        if (Package* match = trace_package(b, inv, a)) {
            fill_ids(*match, a, by_id);
            if (secs >= 0) match->seconds = secs;
            if (match->import_path == "main") match->import_path = a.package;
            if (a.ran && match->outcome != Outcome::Rebuilt && match->outcome != Outcome::Failed) ++disagree;
            continue;
        }
        Package p = graph_package(a, inv);
        if (a.ran) ++disagree;
        if (secs >= 0) p.seconds = secs;
        fill_ids(p, a, by_id);
        b.packages.push_back(std::move(p));
    }
    link_test_binaries(b, g);
    b.timing = compute_timing(g);
    if (disagree)
        b.notes.push_back(std::to_string(disagree) +
                          " build action(s) ran commands in the action graph but not in the trace");
    sort_packages(b.packages);
}

} // namespace gox::model
