// One self-contained HTML page: no script at all, no network (a Content
// Security Policy forbids both, so even a bug in the escaping could not run
// anything), inline CSS. Timeline of the action graph, hit/miss chart,
// reasons table, failures. Every text from the document is escaped.

#include <gox/report/document.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

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
.tl{position:relative;border-left:1px solid #aaa;max-width:960px}
.row{position:relative;height:14px;margin:1px 0;font-size:11px}
.row .bar{position:absolute;top:1px;height:12px;min-width:1px}
.row .lbl{position:absolute;left:0;white-space:nowrap;color:#555;z-index:1}
.ran{background:#ef6c00}.cached{background:#4caf50}.crit{outline:2px solid #1a237e}
.ok{color:#2e7d32}.bad{color:#c62828;font-weight:bold}
)";

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

    // Environment.
    const Doc env = doc.value("environment", Doc::object());
    o += "<h2>Environment</h2>\n<table id=\"environment\">\n";
    for (const char* k : {"GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "CC", "CC_VERSION", "GOCACHE",
                          "GOCACHE_SIZE", "GOPROXY", "GOTOOLCHAIN"}) {
        std::string v = doc_string(env, k);
        if (std::string_view(k) == "GOVERSION" && v.empty()) v = doc_string(doc, "go_version");
        if (!v.empty()) o += "<tr><th>" + h(k) + "</th><td><code>" + h(v) + "</code></td></tr>\n";
    }
    o += "</table>\n";

    // Hit/miss chart.
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
    seg("unk", unk, "unknown");
    o += "</div>\n<p class=\"legend\">";
    o += fmt::format("<span class=\"hit\"></span><b data-count=\"hit\">{}</b> from the cache"
                     "<span class=\"miss\"></span><b data-count=\"miss\">{}</b> rebuilt"
                     "<span class=\"fail\"></span><b data-count=\"fail\">{}</b> failed"
                     "<span class=\"unk\"></span><b data-count=\"unknown\">{}</b> unknown</p>\n",
                     hit, miss, fail, unk);
    if (int tr = s.value("tests_run", 0), tc = s.value("tests_cached", 0); tr || tc)
        o += fmt::format("<p>Tests: {} run, {} result(s) from the cache.</p>\n", tr, tc);

    // Diagnosis.
    if (doc.contains("diagnosis") && doc["diagnosis"].is_object()) {
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

    // Failures.
    if (doc.contains("failures") && doc["failures"].is_array() && !doc["failures"].empty()) {
        o += "<h2>Failures</h2>\n<div id=\"failures\">\n";
        for (const auto& f : doc["failures"]) {
            std::string cls = failure_class(doc, doc_string(f, "package"));
            o += "<h3 class=\"failure\"><code>" + h(doc_string(f, "package", "(no package)")) + "</code> (" +
                 h(doc_string(f, "kind")) + (cls.empty() ? "" : ", class " + h(cls)) + ")</h3>\n<pre>";
            if (f.contains("first_lines") && f["first_lines"].is_array())
                for (const auto& l : f["first_lines"]) o += h(l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
            o += "</pre>\n";
        }
        if (doc.contains("test_cases") && doc["test_cases"].is_array())
            for (const auto& c : doc["test_cases"]) {
                if (doc_string(c, "status") != "fail") continue;
                o += "<h3 class=\"test-failure\"><code>" + h(doc_string(c, "name")) + "</code> in <code>" +
                     h(doc_string(c, "package")) + "</code></h3>\n<pre>";
                for (const auto& l : c.value("output", Doc::array())) o += h(l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
                o += "</pre>\n";
            }
        o += "</div>\n";
    }

    // Reasons.
    o += "<h2>Rebuilt packages</h2>\n<table id=\"reasons\"><tr><th>package</th><th>outcome</th><th>reason</th><th>detail</th><th>seconds</th></tr>\n";
    std::size_t rebuilt = 0;
    if (doc.contains("packages") && doc["packages"].is_array())
        for (const auto& p : doc["packages"]) {
            std::string oc = doc_string(p, "outcome");
            if (oc != "rebuilt" && oc != "failed") continue;
            ++rebuilt;
            std::string ip = doc_string(p, "import_path"), ft = doc_string(p, "for_test");
            if (!ft.empty() && ft != ip) ip += " [" + ft + "]";
            o += "<tr class=\"pkg\"><td><code>" + h(ip) + "</code></td><td>" + h(oc) + "</td><td>" + h(doc_string(p, "reason")) +
                 "</td><td>" + h(doc_string(p, "reason_detail")) + "</td><td>" +
                 (p.contains("seconds") ? fmt::format("{:.3f}", p.value("seconds", 0.0)) : "") + "</td></tr>\n";
        }
    o += "</table>\n";
    if (!rebuilt) o += "<p>Nothing was rebuilt.</p>\n";

    // Timeline.
    o += "<h2>Timeline</h2>\n";
    if (doc.contains("timing") && doc["timing"].is_object() && doc["timing"].contains("actions")) {
        const Doc& t = doc["timing"];
        double wall = std::max(1e-6, t.value("wall_seconds", 0.0));
        const Doc& acts = t["actions"];
        constexpr std::size_t kMaxRows = 600;
        o += fmt::format("<p>{:.3f} s from the first action to the last; <span class=\"legend\"><span class=\"ran\"></span>ran "
                         "<span class=\"cached\"></span>cached (cache lookup) <span class=\"crit\"></span>critical path</span></p>\n",
                         wall);
        o += "<div class=\"tl\" id=\"timeline\">\n";
        std::size_t n = 0;
        for (const auto& a : acts) {
            if (n++ == kMaxRows) {
                o += fmt::format("<p>… {} more action(s) not drawn.</p>\n", acts.size() - kMaxRows);
                break;
            }
            double st = a.value("start", 0.0), sec = a.value("seconds", 0.0);
            bool ran = a.value("ran", false), crit = a.value("critical", false);
            std::string label = doc_string(a, "mode") + " " + doc_string(a, "package");
            o += fmt::format("<div class=\"row action\" data-ran=\"{}\" data-critical=\"{}\" title=\"{} ({:.3f} s)\">"
                             "<div class=\"bar {}{}\" style=\"left:{:.3f}%;width:{:.3f}%\"></div>"
                             "<span class=\"lbl\" style=\"left:{:.3f}%\">{}</span></div>\n",
                             ran, crit, h(label), sec, ran ? "ran" : "cached", crit ? " crit" : "", 100.0 * st / wall,
                             100.0 * sec / wall, std::min(100.0 * (st + sec) / wall, 80.0), h(label));
        }
        o += "</div>\n";
    } else {
        o += "<p>No timings (the action graph was not merged).</p>\n";
    }

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
