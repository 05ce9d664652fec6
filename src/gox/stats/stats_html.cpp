// gox stats as one self-contained HTML page: like the run report
// (report/html.cpp), no script and no external resource (a Content Security
// Policy forbids both), inline CSS, plots as inline SVG. Every text from the
// history (package paths, jobs, hosts) is escaped.

#include <gox/report/document.hpp>
#include <gox/stats/stats.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace gox::stats {

namespace {

std::string h(std::string_view s) { return report::html_escape(report::clean_text(s)); }
std::string pct_cell(const std::optional<double>& r) { return r ? fmt::format("{:.1f}%", *r * 100) : std::string("–"); }

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff;max-width:1100px}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{display:block;max-width:100%;height:auto;font-size:11px}
svg .bar{fill:#4caf50}svg .lost{fill:#ef6c00}svg .axis{stroke:#888;stroke-width:1}svg .grid{stroke:#e4e4e4}
svg text{fill:#333}
.figs span{display:inline-block;margin-right:2em}.figs b{font-size:1.2em}
)";

// The hit rate of each day as a bar (0 to 100 %), with the day under it.
void hit_rate_plot(const Stats& s, std::string& o) {
    o += "<h2>Hit rate over time</h2>\n";
    if (s.days.empty()) {
        o += "<p>No runs in the window.</p>\n";
        return;
    }
    const double left = 44, top = 10, height = 180, width = 720;
    const double step = width / static_cast<double>(s.days.size());
    const double bar = std::max(1.0, std::min(step * 0.8, 60.0));
    o += fmt::format("<svg id=\"hitrate\" role=\"img\" aria-label=\"cache hit rate by day\" viewBox=\"0 0 {} {}\" "
                     "width=\"{}\" height=\"{}\">\n",
                     left + width + 10, top + height + 40, left + width + 10, top + height + 40);
    for (int p = 0; p <= 100; p += 25) {
        double y = top + height * (1 - p / 100.0);
        o += fmt::format("<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
                         "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}%</text>\n",
                         left, left + width, y, y, left - 4, y + 4, p);
    }
    // Day labels: at most ~12 of them.
    std::size_t every = std::max<std::size_t>(1, (s.days.size() + 11) / 12);
    for (std::size_t i = 0; i < s.days.size(); ++i) {
        const Group& d = s.days[i];
        double x = left + step * static_cast<double>(i) + (step - bar) / 2;
        double r = d.packages.rate().value_or(0);
        double bh = height * r;
        o += fmt::format("<rect class=\"bar\" data-day=\"{}\" data-rate=\"{:.4f}\" x=\"{:.1f}\" y=\"{:.1f}\" "
                         "width=\"{:.1f}\" height=\"{:.1f}\"><title>{}: {} ({} runs, {} hits, {} misses)</title></rect>\n",
                         h(d.key), r, x, top + height - bh, bar, bh, h(d.key), pct_cell(d.packages.rate()), d.runs,
                         d.packages.hits, d.packages.misses);
        if (i % every == 0)
            o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x + bar / 2,
                             top + height + 16, h(d.key.substr(5)));
    }
    o += fmt::format("<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\n", left, left + width, top + height,
                     top + height);
    o += "</svg>\n";
}

// The compile seconds of the rebuilt packages, by reason, as horizontal bars.
void time_lost_plot(const Stats& s, std::string& o) {
    o += "<h2>Time lost by reason</h2>\n";
    if (s.reasons.empty()) {
        o += "<p>Nothing was rebuilt.</p>\n";
        return;
    }
    double most = 0;
    for (const auto& r : s.reasons) most = std::max(most, r.seconds);
    const double label = 210, width = 460, row = 22;
    const double h_all = row * static_cast<double>(s.reasons.size()) + 8;
    o += fmt::format("<svg id=\"timelost\" role=\"img\" aria-label=\"compile seconds by reason\" viewBox=\"0 0 {} {}\" "
                     "width=\"{}\" height=\"{}\">\n",
                     label + width + 150, h_all, label + width + 150, h_all);
    for (std::size_t i = 0; i < s.reasons.size(); ++i) {
        const ReasonCost& r = s.reasons[i];
        double y = 4 + row * static_cast<double>(i);
        double w = most > 0 ? width * r.seconds / most : 0;
        o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"
                         "<rect class=\"lost\" data-reason=\"{}\" x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\">"
                         "<title>{}: {:.3f} s, {} packages</title></rect>"
                         "<text x=\"{:.1f}\" y=\"{:.1f}\">{:.2f} s ({} packages)</text>\n",
                         label - 6, y + 14, h(r.reason), h(r.reason), label, y, std::max(w, 1.0), row - 6, h(r.reason),
                         r.seconds, r.packages, label + std::max(w, 1.0) + 6, y + 14, r.seconds, r.packages);
    }
    o += "</svg>\n";
}

void group_table(const char* id, const char* title, const char* col, const std::vector<Group>& v, const char* none,
                 std::string& o) {
    o += fmt::format("<h2>{}</h2>\n<table id=\"{}\"><tr><th>{}</th><th>runs</th><th>hits</th><th>misses</th>"
                     "<th>hit rate</th></tr>\n",
                     title, id, col);
    for (const auto& g : v)
        o += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                         "<td class=\"n\">{}</td></tr>\n",
                         g.key.empty() ? none : h(g.key), g.runs, g.packages.hits, g.packages.misses,
                         pct_cell(g.packages.rate()));
    o += "</table>\n";
}

} // namespace

std::string render_html(const Stats& s) {
    std::string o;
    o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
         "<title>gox stats</title>\n<style>";
    o += kStyle;
    o += "</style></head><body>\n";
    auto j = to_json(s);
    o += fmt::format("<h1 id=\"title\">gox stats: {} since {} ({})</h1>\n",
                     s.options.project.empty() ? std::string("every project") : h(s.options.project),
                     h(j["from"].get<std::string>()), h(s.options.window_label));
    std::string cls;
    for (const auto& [c, n] : s.failure_classes) cls += fmt::format("{}{} {}", cls.empty() ? "" : ", ", h(c), n);
    o += fmt::format("<p class=\"figs\" id=\"figures\"><span>runs <b id=\"runs\">{}</b></span>"
                     "<span>package hit rate <b>{}</b> ({} hits, {} misses)</span>"
                     "<span>test cache hit rate <b>{}</b> ({} of {})</span>"
                     "<span>failed runs <b>{}</b>{}</span></p>\n",
                     s.runs, pct_cell(s.packages.rate()), s.packages.hits, s.packages.misses, pct_cell(s.tests.rate()), s.tests.hits,
                     s.tests.hits + s.tests.misses, s.failed_runs, cls.empty() ? "" : " (" + cls + ")");
    hit_rate_plot(s, o);
    time_lost_plot(s, o);
    group_table("projects", "By project", "project", s.projects, "(none)", o);
    group_table("jobs", "By job", "job", s.jobs, "(no CI job)", o);
    group_table("hosts", "By host", "host", s.hosts, "(unknown)", o);
    if (!s.most_missed.empty()) {
        o += "<h2>Packages that miss most</h2>\n<table id=\"missed\"><tr><th>package</th><th>misses</th>"
             "<th>records</th><th>dominant reasons</th></tr>\n";
        for (const auto& m : s.most_missed) {
            std::string rs;
            for (const auto& [r, n] : m.reasons) rs += fmt::format("{}{} {}", rs.empty() ? "" : ", ", h(r), n);
            o += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                             h(m.package), m.misses, m.records, rs);
        }
        o += "</table>\n";
    }
    if (!s.slowest.empty()) {
        o += "<h2>Slowest packages</h2>\n<table id=\"slowest\"><tr><th>package</th><th>mean compile s</th>"
             "<th>builds</th><th>first half</th><th>second half</th></tr>\n";
        auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : std::string("–"); };
        for (const auto& x : s.slowest)
            o += fmt::format("<tr><td>{}</td><td class=\"n\">{:.3f}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                             "<td class=\"n\">{}</td></tr>\n",
                             h(x.package), x.mean, x.builds, opt(x.first_half), opt(x.second_half));
        o += "</table>\n";
    }
    o += "<footer><small>Generated by gox stats.</small></footer>\n</body></html>\n";
    return o;
}

} // namespace gox::stats
