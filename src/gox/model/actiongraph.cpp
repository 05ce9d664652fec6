// go's -debug-actiongraph merged into the Build: cache hits, IDs, timings,
// the critical path. The reader is in actiongraph_read.cpp.
#include <gox/model/actiongraph.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace gox::model {

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
// invocation, else a package without objdir (a cache hit) of that path and
// not yet timed; the first such in b.packages. Indexed once (a no-op of
// 1,000 packages asked b.packages a million times), and told of the
// packages the merge adds, which later actions may match too.
class TracePackages {
public:
    TracePackages(const Build& b, int inv) : m_inv(inv) {
        for (std::size_t i = 0; i < b.packages.size(); ++i) added(b, i);
    }
    void added(const Build& b, std::size_t i) {
        const Package& p = b.packages[i];
        if (p.invocation != m_inv) return;
        if (p.objdir >= 0) m_by_objdir[p.objdir].push_back(i);
        else m_by_path[p.import_path].push_back(i);
    }
    Package* find(Build& b, const GraphAction& a) const {
        if (auto it = m_by_objdir.find(a.objdir_number); it != m_by_objdir.end()) return &b.packages[it->second.front()];
        if (auto it = m_by_path.find(a.package); it != m_by_path.end())
            for (std::size_t i : it->second)
                if (!b.packages[i].seconds) return &b.packages[i];
        return nullptr;
    }

private:
    int m_inv;
    std::unordered_map<int, std::vector<std::size_t>> m_by_objdir;
    std::unordered_map<std::string, std::vector<std::size_t>> m_by_path;
};

using ActionsById = std::unordered_map<int, const GraphAction*>;

// Action and content IDs, and the packages it imports (build actions it
// depends on).
void fill_ids(Package& p, const GraphAction& a, const ActionsById& by_id) {
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
    ActionsById by_id;
    by_id.reserve(g.actions.size());
    for (const auto& a : g.actions) by_id[a.id] = &a; // the last of an ID, as before
    CgoSpans spans = cgo_spans_of(g);
    TracePackages trace(b, inv);
    for (const auto& a : g.actions) {
        if (a.mode != "build" || a.package.empty()) continue;
        double secs = build_seconds(a, spans);
        if (Package* match = trace.find(b, a)) {
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
        trace.added(b, b.packages.size() - 1);
    }
    link_test_binaries(b, g);
    b.timing = compute_timing(g);
    if (disagree)
        b.notes.push_back(std::to_string(disagree) +
                          " build action(s) ran commands in the action graph but not in the trace");
    sort_packages(b.packages);
}

} // namespace gox::model
