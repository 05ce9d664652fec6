// One self-contained HTML page: no script at all, no network (a Content
// Security Policy forbids both, so even a bug in the escaping could not run
// anything), inline CSS. In page order: hit/miss chart, diagnosis, failures
// (so the first failure is on the first screen, whatever the build's size),
// the timeline (lanes by worker, zoomed by CSS-only radio buttons), the
// rebuilt packages, notes, environment. Sections with nothing to show are
// left out. Every text from the document is escaped.

#include <gox/report/document.hpp>

#include <fmt/format.h>

#include <gox/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace gox::report {

namespace {

std::string h(std::string_view s) { return html_escape(clean_text(s)); }

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:6px;overflow-x:auto;white-space:pre-wrap}
.chart{display:flex;height:22px;width:100%;max-width:720px;border:1px solid #aaa}
.chart div{height:100%}.hit{background:#4caf50}.miss{background:#ef6c00}.fail{background:#c62828}.unk{background:#9e9e9e}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
.tlz label{margin-right:6px;cursor:pointer;padding:0 4px;border:1px solid #bbb;border-radius:3px}
#timeline>input{display:none}
.tlwrap{display:flex;max-width:100%;border:1px solid #aaa}
.lanelbl{flex:none;width:34px;font-size:10px;color:#555;padding-top:18px;border-right:1px solid #aaa}
.lanelbl div{height:14px;line-height:14px;text-align:right;padding-right:3px}
.tlview{flex:1;overflow-x:auto;overflow-y:hidden}
.tlin{position:relative;width:100%;padding-top:18px}
.tk{position:absolute;top:0;bottom:0;border-left:1px solid #e4e4e4;font-size:10px;color:#555;padding-left:2px;white-space:nowrap;display:none}
.tlin svg{display:block;width:100%;font-size:10px}
.tlin .lbl{display:none;fill:#fff;pointer-events:none}
svg .ran{fill:#ef6c00}svg .cached{fill:#4caf50}svg .crit{stroke:#1a237e;stroke-width:1.5px}svg .crit.ran{fill:#b71c1c}
#tlz1:checked~.tlwrap .z1,#tlz4:checked~.tlwrap .z4,#tlz16:checked~.tlwrap .z16,#tlz64:checked~.tlwrap .z64{display:block}
#tlz4:checked~.tlwrap .tlin{width:400%}#tlz16:checked~.tlwrap .tlin{width:1600%}#tlz64:checked~.tlwrap .tlin{width:6400%}
#tlz1:checked~.tlz [for=tlz1],#tlz4:checked~.tlz [for=tlz4],#tlz16:checked~.tlz [for=tlz16],#tlz64:checked~.tlz [for=tlz64]{background:#1a237e;color:#fff}
.legend .ran{background:#ef6c00}.legend .crit{background:#b71c1c}.legend .cached{background:#4caf50}
.ok{color:#2e7d32}.bad{color:#c62828;font-weight:bold}
)";

// "1.5 s", "250 ms": a tick label.
std::string tick_label(double t, double step) {
    if (step >= 1) return fmt::format("{:g} s", t);
    if (step >= 0.001) return fmt::format("{:g} ms", std::round(t * 1e6) / 1e3);
    return fmt::format("{:g} µs", std::round(t * 1e9) / 1e3);
}

// 1, 2 or 5 times a power of ten, at least x.
double nice_step(double x) {
    double p = std::pow(10.0, std::floor(std::log10(x)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= x) return m * p;
    return 10 * p;
}

struct Drawn {
    const Doc* a;
    double start, seconds;
    bool ran, crit;
    std::size_t lane = 0;
};

// The timeline: one lane per worker, zoomable, with a time axis. Only the
// actions that ran commands and the critical path are drawn; cache checks and
// other steps that ran nothing are counted. One SVG whose shapes are placed in
// percent of its width, so a zoom level is only a wider box (radio buttons and
// CSS: the page stays script-free), and text keeps its size.
struct TimelineActions {
    std::vector<Drawn> drawn;                                      // ran, or on the critical path
    std::map<std::string, std::pair<std::size_t, double>> skipped; // by mode: count, seconds
};

TimelineActions collect_actions(const Doc& actions) {
    TimelineActions r;
    for (const auto& a : actions) {
        if (!a.is_object()) continue;
        std::string mode = doc_string(a, "mode");
        double st = a.value("start", 0.0), sec = a.value("seconds", 0.0);
        bool ran = a.value("ran", false), crit = a.value("critical", false);
        if (!(st >= 0) || !(sec >= 0)) continue; // NaN or negative: a damaged document
        if (ran || (crit && mode != "build check cache")) {
            r.drawn.push_back({&a, st, sec, ran, crit});
        } else {
            auto& [n, secs] = r.skipped[mode];
            ++n;
            secs += sec;
        }
    }
    return r;
}

// Lanes: by start, each action takes the lowest lane free at its start
// (interval partitioning: as many lanes as actions ever ran at once).
// Returns the number of lanes.
std::size_t assign_lanes(std::vector<Drawn>& drawn) {
    std::stable_sort(drawn.begin(), drawn.end(), [](const Drawn& x, const Drawn& y) { return x.start < y.start; });
    std::size_t lanes = 0;
    std::set<std::size_t> free_lanes;
    std::multimap<double, std::size_t> busy; // end → lane
    for (auto& d : drawn) {
        while (!busy.empty() && busy.begin()->first <= d.start) {
            free_lanes.insert(busy.begin()->second);
            busy.erase(busy.begin());
        }
        if (free_lanes.empty()) {
            d.lane = lanes++;
        } else {
            d.lane = *free_lanes.begin();
            free_lanes.erase(free_lanes.begin());
        }
        busy.emplace(d.start + d.seconds, d.lane);
    }
    return lanes;
}

constexpr int kZooms[] = {1, 4, 16, 64};
constexpr double kViewPx = 900; // about the width of the box at 1×
constexpr int kLaneH = 14;

// The zoom buttons, the lane numbers and the axis: ticks about every 100 px
// at each zoom level.
void timeline_frame(double wall, std::size_t lanes, std::string& o) {
    o += "<div id=\"timeline\" class=\"tl\">\n";
    for (int z : kZooms)
        o += fmt::format("<input type=\"radio\" name=\"tlz\" id=\"tlz{}\"{}>", z, z == 1 ? " checked" : "");
    o += "\n<p class=\"tlz\">Zoom: ";
    for (int z : kZooms) o += fmt::format("<label for=\"tlz{0}\">{0}×</label>", z);
    o += " (scroll sideways when zoomed; hover a bar for its step and time)</p>\n<div class=\"tlwrap\"><div class=\"lanelbl\">";
    for (std::size_t l = 0; l < lanes; ++l) o += fmt::format("<div>{}</div>", l + 1);
    o += "</div><div class=\"tlview\"><div class=\"tlin\">\n";
    for (int z : kZooms) {
        double step = nice_step(wall * 100.0 / (kViewPx * z));
        for (int i = 0; i * step <= wall + 1e-12 && i < 2000; ++i)
            o += fmt::format("<span class=\"tk z{}\" style=\"left:{:.4f}%\">{}</span>", z, 100.0 * i * step / wall,
                             tick_label(i * step, step));
        o += "\n";
    }
}

// One lane's bars, each labelled at the first zoom level where it is wide
// enough (shown at that level and up).
void timeline_lane(const std::vector<Drawn>& drawn, const std::vector<std::size_t>& in_lane, std::size_t l, double wall,
                   std::string& o) {
    o += fmt::format("<g class=\"lane\" data-lane=\"{}\">", l + 1);
    for (std::size_t i : in_lane) {
        const Drawn& d = drawn[i];
        std::string label = doc_string(*d.a, "mode") + " " + doc_string(*d.a, "package");
        double x = 100.0 * d.start / wall, w = std::clamp(100.0 * d.seconds / wall, 0.02, 100.0); // bounded: a damaged document
        int y = static_cast<int>(l) * kLaneH + 1;
        o += fmt::format("<rect class=\"act {}{}\" x=\"{:.4f}%\" y=\"{}\" width=\"{:.4f}%\" height=\"{}\"><title>{} ({:.3f} s)</title></rect>",
                         d.ran ? "ran" : "cached", d.crit ? " crit" : "", x, y, w, kLaneH - 2, h(label), d.seconds);
        for (int z : kZooms) {
            double px = w / 100.0 * kViewPx * z;
            if (px < 60) continue;
            std::size_t fit = static_cast<std::size_t>((px - 6) / 6.2);
            std::string c = util::clip(clean_text(label), fit > 1 ? fit - 1 : 0);
            o += fmt::format("<text class=\"lbl z{}\" x=\"{:.4f}%\" y=\"{}\" dx=\"3\">{}</text>", z, x, y + kLaneH - 4,
                             html_escape(c));
            break; // wide enough here: wider at the higher levels, one label serves them all
        }
    }
    o += "</g>\n";
}

// The critical path as a list (the chain of steps that set the finish).
void critical_path_list(const Doc& t, std::string& o) {
    if (!t.contains("critical_path") || !t["critical_path"].is_array() || t["critical_path"].empty()) return;
    const Doc& cp = t["critical_path"];
    constexpr std::size_t kShown = 40;
    std::size_t from = cp.size() > kShown ? cp.size() - kShown : 0;
    o += fmt::format("<h3>Critical path ({} step(s))</h3>\n<ol id=\"critical-path\" start=\"{}\">\n", cp.size(), from + 1);
    for (std::size_t i = from; i < cp.size(); ++i)
        o += fmt::format("<li><code>{}</code> {:.3f} s</li>\n", h(doc_string(cp[i], "step")), cp[i].value("seconds", 0.0));
    o += "</ol>\n";
}

// The timeline: one lane per worker, zoomable, with a time axis. Only the
// actions that ran commands and the critical path are drawn; cache checks and
// other steps that ran nothing are counted. One SVG whose shapes are placed in
// percent of its width, so a zoom level is only a wider box (radio buttons and
// CSS: the page stays script-free), and text keeps its size.
void render_timeline(const Doc& doc, std::string& o) {
    if (!doc.contains("timing") || !doc["timing"].is_object() || !doc["timing"].contains("actions") ||
        !doc["timing"]["actions"].is_array())
        return;
    const Doc& t = doc["timing"];
    const double wall = std::max(1e-6, t.value("wall_seconds", 0.0));
    auto [drawn, skipped] = collect_actions(t["actions"]);
    if (drawn.empty() && skipped.empty()) return;
    const std::size_t lanes = assign_lanes(drawn);
    std::size_t n_ran = 0, n_crit = 0;
    for (const auto& d : drawn) n_ran += d.ran, n_crit += d.crit;

    o += "<h2>Timeline</h2>\n";
    o += fmt::format("<p id=\"timeline-summary\">{:.3f} s from the first action to the last: <b data-count=\"drawn\">{}</b> "
                     "step(s) drawn in <b data-count=\"lanes\">{}</b> lane(s), one per worker busy at once; "
                     "<span class=\"legend\"><span class=\"ran\"></span>ran <span class=\"crit\"></span>on the critical path"
                     "{}</span>.",
                     wall, drawn.size(), lanes, n_crit > n_ran ? " <span class=\"cached\"></span>cache hit on the path" : "");
    if (!skipped.empty()) {
        std::string parts;
        for (const auto& [mode, v] : skipped)
            parts += fmt::format("{}<b data-count=\"{}\">{}</b> {} ({:.3f} s in all)", parts.empty() ? "" : ", ", h(mode),
                                 v.first, h(mode), v.second);
        o += " Not drawn, steps that ran no command (cache checks and hits): " + parts + ".";
    }
    o += "</p>\n";
    if (drawn.empty()) return;

    timeline_frame(wall, lanes, o);
    o += fmt::format("<svg id=\"lanes\" data-lanes=\"{0}\" height=\"{1}\" xmlns=\"http://www.w3.org/2000/svg\">\n", lanes,
                     lanes * kLaneH);
    std::vector<std::vector<std::size_t>> by_lane(lanes);
    for (std::size_t i = 0; i < drawn.size(); ++i) by_lane[drawn[i].lane].push_back(i);
    for (std::size_t l = 0; l < lanes; ++l) timeline_lane(drawn, by_lane[l], l, wall, o);
    o += "</svg></div></div></div></div>\n";
    critical_path_list(t, o);
}

void build_cache_chart(const Doc& doc, std::string& o) {
    const Doc s = doc.value("summary", Doc::object());
    int hit = s.value("packages_cached", 0) + s.value("packages_installed", 0), miss = s.value("packages_rebuilt", 0),
        fail = s.value("packages_failed", 0), unk = s.value("packages_unknown", 0);
    int total = std::max(1, hit + miss + fail + unk);
    o += "<h2>Build cache</h2>\n<div class=\"chart\" id=\"hitmiss\">";
    auto seg = [&](const char* cls, int n, const char* what) {
        if (n) o += fmt::format("<div class=\"{}\" style=\"width:{:.2f}%\" title=\"{} {}\"></div>", cls, 100.0 * n / total, n, what);
    };
    seg("hit", hit, "from the cache");
    seg("miss", miss, "rebuilt");
    seg("fail", fail, "failed");
    const char* unk_label = unknown_label(fail > 0);
    seg("unk", unk, unk_label);
    o += "</div>\n<p class=\"legend\">";
    o += fmt::format("<span class=\"hit\"></span><b data-count=\"hit\">{}</b> from the cache"
                     "<span class=\"miss\"></span><b data-count=\"miss\">{}</b> rebuilt"
                     "<span class=\"fail\"></span><b data-count=\"fail\">{}</b> failed"
                     "<span class=\"unk\"></span><b data-count=\"unknown\">{}</b> {}</p>\n",
                     hit, miss, fail, unk, unk_label);
    if (int tr = s.value("tests_run", 0), tc = s.value("tests_cached", 0); tr || tc)
        o += fmt::format("<p>Tests: {} run, {} result(s) from the cache.</p>\n", tr, tc);
}

void diagnosis_section(const Doc& doc, std::string& o) {
    if (!doc.contains("diagnosis") || !doc["diagnosis"].is_object()) return;
    const Doc& d = doc["diagnosis"];
    o += "<h2>Diagnosis</h2>\n<div id=\"diagnosis\"><p><strong>" + h(doc_string(d, "class", "unknown")) + "</strong>: " +
         h(doc_string(d, "title")) + "</p>\n";
    if (auto r = doc_string(d, "remedy"); !r.empty()) o += "<p>Remedy: " + h(r) + "</p>\n";
    if (d.contains("repro") && d["repro"].is_object())
        o += "<p>Verdict of the rebuild with an empty cache: <strong>" + h(doc_string(d["repro"], "verdict", "?")) +
             "</strong> " + h(doc_string(d["repro"], "detail")) + "</p>\n";
    if (d.contains("evidence") && d["evidence"].is_array() && !d["evidence"].empty()) {
        o += "<pre>";
        for (const auto& e : d["evidence"]) o += h(e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
        o += "</pre>\n";
    }
    o += "</div>\n";
}

void failures_section(const Doc& doc, std::string& o) {
    if (!doc.contains("failures") || !doc["failures"].is_array() || doc["failures"].empty()) return;
    auto lines = [&](const Doc& list) {
        for (const auto& l : list) o += h(l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
    };
    o += "<h2>Failures</h2>\n<div id=\"failures\">\n";
    for (const auto& f : doc["failures"]) {
        std::string cls = failure_class(doc, doc_string(f, "package"));
        o += "<h3 class=\"failure\"><code>" + h(doc_string(f, "package", "(no package)")) + "</code> (" +
             h(doc_string(f, "kind")) + (cls.empty() ? "" : ", class " + h(cls)) + ")</h3>\n<pre>";
        if (f.contains("first_lines") && f["first_lines"].is_array()) lines(f["first_lines"]);
        o += "</pre>\n";
    }
    if (doc.contains("test_cases") && doc["test_cases"].is_array())
        for (const auto& c : doc["test_cases"]) {
            if (doc_string(c, "status") != "fail") continue;
            o += "<h3 class=\"test-failure\"><code>" + h(doc_string(c, "name")) + "</code> in <code>" +
                 h(doc_string(c, "package")) + "</code></h3>\n<pre>";
            lines(c.value("output", Doc::array()));
            o += "</pre>\n";
        }
    o += "</div>\n";
}

// Rebuilt and failed packages with their reasons (left out when nothing was
// compiled); a long list starts folded.
void reasons_section(const Doc& doc, std::string& o) {
    std::string rows;
    std::size_t n_rebuilt = 0, n_failed = 0;
    if (doc.contains("packages") && doc["packages"].is_array())
        for (const auto& p : doc["packages"]) {
            std::string oc = doc_string(p, "outcome");
            if (oc != "rebuilt" && oc != "failed") continue;
            ++(oc == "rebuilt" ? n_rebuilt : n_failed);
            std::string ip = doc_string(p, "import_path"), ft = doc_string(p, "for_test");
            if (!ft.empty() && ft != ip) ip += " [" + ft + "]";
            rows += "<tr class=\"pkg\"><td><code>" + h(ip) + "</code></td><td>" + h(oc) + "</td><td>" + h(doc_string(p, "reason")) +
                 "</td><td>" + h(doc_string(p, "reason_detail")) + "</td><td>" +
                 (p.contains("seconds") ? fmt::format("{:.3f}", p.value("seconds", 0.0)) : "") + "</td></tr>\n";
        }
    if (rows.empty()) return;
    o += n_failed ? fmt::format("<h2>Rebuilt ({}) and failed ({}) packages</h2>\n", n_rebuilt, n_failed)
                  : fmt::format("<h2>Rebuilt packages ({})</h2>\n", n_rebuilt);
    std::string table = "<table id=\"reasons\"><tr><th>package</th><th>outcome</th><th>reason</th><th>detail</th>"
                        "<th>seconds</th></tr>\n" + rows + "</table>\n";
    o += n_rebuilt + n_failed > 20 ? fmt::format("<details><summary>{} package(s)</summary>\n{}</details>\n",
                                                 n_rebuilt + n_failed, table)
                                   : table;
}

// --baseline: the causes of what this run missed that the baseline had.
void compared_section(const Doc& doc, std::string& o) {
    if (!doc.contains("compared_with") || !doc["compared_with"].is_object()) return;
    const Doc& c = doc["compared_with"];
    std::string go = doc_string(c, "go_version");
    o += "<h2 id=\"compared\">Compared with <code>" + h(doc_string(c, "baseline")) + "</code>" +
         (go.empty() ? "" : " (" + h(go) + ")") + "</h2>\n";
    const Doc causes = c.value("causes", Doc::array());
    if (!c.value("key_inputs", false)) {
        o += "<p>The causes cannot be named: both runs need <code>--why</code> (their key inputs).</p>\n";
        return;
    }
    if (causes.empty()) {
        o += fmt::format("<p>Every package compared ({}) missed nothing the baseline had.</p>\n",
                         c.value("packages_compared", 0));
        return;
    }
    o += "<table id=\"causes\"><tr><th>packages</th><th>cause</th><th>remedy</th></tr>\n";
    for (const auto& g : causes)
        o += fmt::format("<tr class=\"cause\"><td>{}</td><td>{}</td><td>{}</td></tr>\n", g.value("packages", 0),
                         h(doc_string(g, "detail")), h(doc_string(g, "remedy")));
    o += "</table>\n";
}

// --cacheprog: what go asked its cache program, per tier, and the causes.
void cache_program_section(const Doc& doc, std::string& o) {
    if (!doc.contains("cache_program") || !doc["cache_program"].is_object()) return;
    const Doc& c = doc["cache_program"];
    o += "<h2>Cache program</h2>\n<table id=\"cacheprog\"><tr><th>tier</th><th>gets</th><th>hits</th><th>misses</th>"
         "<th>errors</th><th>puts</th><th>MiB read</th><th>wait s</th></tr>\n";
    auto row = [&](const std::string& name, const Doc& t) {
        if (!t.is_object()) return;
        o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1f}</td>"
                         "<td>{:.3f}</td></tr>\n",
                         h(name), t.value("gets", 0), t.value("hits", 0), t.value("misses", 0), t.value("errors", 0),
                         t.value("puts", 0), doc_number(t, "bytes_read") / (1 << 20), doc_number(t, "wait_seconds"));
    };
    row("what go saw", c);
    for (const char* tier : {"local", "upstream"})
        if (c.contains(tier)) row(tier, c[tier]);
    o += "</table>\n";
    if (auto line = unattributed_gets_line(c); !line.empty())
        o += "<p id=\"cacheprog-unattributed\">" + h(line) + "</p>\n";
    if (auto line = test_results_line(c); !line.empty()) o += "<p id=\"cacheprog-tests\">" + h(line) + "</p>\n";
    const Doc causes = c.value("causes", Doc::array());
    if (causes.empty()) return;
    o += "<ul id=\"cacheprog-causes\">\n";
    for (const auto& cause : causes)
        o += "<li><code>" + h(doc_string(cause, "id")) + "</code> (" + std::to_string(cause.value("count", 0)) +
             "): " + h(doc_string(cause, "detail")) + "</li>\n";
    o += "</ul>\n";
}

// Shown last: the failures come first on the page.
void environment_section(const Doc& doc, std::string& o) {
    const Doc env = doc.value("environment", Doc::object());
    std::string env_rows;
    for (const char* k : {"GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "CC", "CC_VERSION", "GOCACHE",
                          "GOCACHE_SIZE", "GOPROXY", "GOTOOLCHAIN"}) {
        std::string v = doc_string(env, k);
        if (std::string_view(k) == "GOVERSION" && v.empty()) v = doc_string(doc, "go_version");
        if (!v.empty()) env_rows += "<tr><th>" + h(k) + "</th><td><code>" + h(v) + "</code></td></tr>\n";
    }
    if (!env_rows.empty()) o += "<h2>Environment</h2>\n<table id=\"environment\">\n" + env_rows + "</table>\n";
}

} // namespace

std::string render_html(const Doc& doc) {
    std::string o;
    std::string cmd = command_line(doc);
    bool failed = doc.value("failed", false);
    if (doc.contains("command") && doc["command"].is_object()) failed = doc["command"].value("exit_code", 0) != 0;
    o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
         "<title>gox report</title>\n<style>";
    o += kStyle;
    o += "</style></head><body>\n";
    o += "<h1 id=\"title\">gox report: <code>" + h(cmd.empty() ? "saved trace" : cmd) + "</code> <span class=\"" +
         (failed ? "bad\">failed" : "ok\">succeeded") + "</span></h1>\n";
    compared_section(doc, o);
    build_cache_chart(doc, o);
    diagnosis_section(doc, o);
    failures_section(doc, o);
    render_timeline(doc, o);
    reasons_section(doc, o);
    cache_program_section(doc, o);
    environment_section(doc, o);
    if (doc.contains("notes") && doc["notes"].is_array() && !doc["notes"].empty()) {
        o += "<h2>Notes</h2>\n<ul>\n";
        for (const auto& x : doc["notes"]) o += "<li>" + h(x.is_string() ? x.get<std::string>() : x.dump()) + "</li>\n";
        o += "</ul>\n";
    }
    bool redacted = doc.contains("redaction") && doc["redaction"].value("secrets", false);
    o += std::string("<footer><small>Generated by gox") + (redacted ? "; secrets redacted" : "") + ".</small></footer>\n";
    o += "</body></html>\n";
    return o;
}

} // namespace gox::report
