// Markdown for a GitHub or GitLab issue (or a CI step summary): the command
// and its result, the cache's hits and misses, what failed, what was
// rebuilt and why, the environment. Long lists go in <details>; when the text
// would pass the limit, the lists are shortened and the report says what it
// left out.

#include <gox/report/document.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace gox::report {

namespace {

struct Limits {
    std::size_t rows = 300;       // rebuilt packages, test cases
    std::size_t failures = 40;
    std::size_t lines = 40;       // per failure or test case
};

// Inline text: no HTML, no Markdown syntax, no line breaks.
std::string md(std::string_view s) {
    std::string c = clean_text(s), out;
    for (char ch : c) {
        switch (ch) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\n': out += ' '; break;
        case '|': out += "\\|"; break;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '#': case '~': case '!':
            out += '\\';
            out += ch;
            break;
        default: out += ch;
        }
    }
    return out;
}

// A code span: a backtick run longer than any inside, '|' escaped for tables.
std::string code(std::string_view s) {
    std::string c = clean_text(s), body;
    std::size_t longest = 0, run = 0;
    for (char ch : c) {
        run = ch == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
        body += ch == '\n' ? std::string(" ") : ch == '|' ? std::string("\\|") : std::string(1, ch);
    }
    std::string ticks(longest + 1, '`');
    bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
    return ticks + (pad ? " " : "") + body + (pad ? " " : "") + ticks;
}

// A fenced block: the fence is longer than any run of backticks inside.
std::string code_block(const std::vector<std::string>& lines) {
    std::size_t longest = 0;
    for (const auto& l : lines) {
        std::size_t run = 0;
        for (char c : l) {
            run = c == '`' ? run + 1 : 0;
            longest = std::max(longest, run);
        }
    }
    std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    std::string out = fence + "text\n";
    for (const auto& l : lines) out += clean_text(l) + "\n";
    return out + fence + "\n";
}

std::vector<std::string> str_list(const Doc& a, std::size_t max, std::size_t* left) {
    std::vector<std::string> v;
    if (!a.is_array()) return v;
    for (const auto& x : a) {
        if (v.size() == max) {
            if (left) *left += a.size() - max;
            break;
        }
        v.push_back(x.is_string() ? x.get<std::string>() : x.dump());
    }
    return v;
}

std::string details(const std::string& summary, const std::string& body) {
    std::string t = clean_text(summary);
    std::replace(t.begin(), t.end(), '\n', ' ');
    return "<details><summary>" + html_escape(t) + "</summary>\n\n" + body + "\n</details>\n\n";
}

std::string result_word(const Doc& doc) {
    if (doc.contains("command") && doc["command"].is_object()) {
        // No exit_code: recorded by gox cacheprog, which never learns it.
        if (!doc["command"].contains("exit_code"))
            return "ran (exit status unknown, recorded by " + clean_text(doc_string(doc["command"], "recorded_by", "?")) + ")";
        int code = doc["command"].value("exit_code", 0);
        return code == 0 ? "succeeded" : fmt::format("failed (exit status {})", code);
    }
    return doc.value("failed", false) ? "failed" : "succeeded";
}

// Each section appends to out; what a limit cut goes to left_out.
struct Sections {
    const Doc& doc;
    const Limits& lim;
    std::vector<std::string>& left_out;
    std::string out;

    void title() {
        std::string cmd = command_line(doc);
        out += "## gox report: " + (cmd.empty() ? std::string("a saved trace,") : code(cmd)) + " " + result_word(doc) +
               "\n\n";
        std::vector<std::string> times;
        if (doc.contains("command") && doc["command"].is_object())
            times.push_back(fmt::format("Ran for {:.2f} s.", doc["command"].value("seconds", 0.0)));
        if (doc.contains("timing") && doc["timing"].is_object())
            times.push_back(fmt::format("Build actions spanned {:.2f} s.", doc["timing"].value("wall_seconds", 0.0)));
        for (std::size_t i = 0; i < times.size(); ++i)
            out += (i ? " " : "") + times[i] + (i + 1 == times.size() ? "\n\n" : "");
    }

    // After what happened (the failure first, then what was rebuilt): the
    // environment answers the next question, not the first.
    void environment() {
        const Doc env = doc.value("environment", Doc::object());
        auto ev = [&](const char* k) { return doc_string(env, k); };
        std::string rows;
        auto row = [&](std::string_view name, const std::string& v) {
            if (!v.empty()) rows += fmt::format("| {} | {} |\n", name, code(v));
        };
        row("go version", ev("GOVERSION").empty() ? doc_string(doc, "go_version") : ev("GOVERSION"));
        row("GOOS/GOARCH", ev("GOOS").empty() ? "" : ev("GOOS") + "/" + ev("GOARCH"));
        for (const char* k : {"GOFLAGS", "CGO_ENABLED", "CC"}) row(k, ev(k));
        row("CC version", ev("CC_VERSION"));
        row("GOCACHE", ev("GOCACHE"));
        row("GOCACHE size", ev("GOCACHE_SIZE"));
        for (const char* k : {"GOPROXY", "GOTOOLCHAIN"}) row(k, ev(k));
        if (!rows.empty()) out += "### Environment\n\n| | |\n|---|---|\n" + rows + "\n";
    }

    // --baseline: the causes of what this run missed that the baseline had,
    // largest first. First after the title: in a GitHub step summary it is
    // the answer to "why did CI miss the cache?".
    void compared_with() {
        if (!doc.contains("compared_with") || !doc["compared_with"].is_object()) return;
        const Doc& c = doc["compared_with"];
        std::string go = doc_string(c, "go_version");
        out += "### Compared with " + code(doc_string(c, "baseline")) + (go.empty() ? "" : " (" + md(go) + ")") + "\n\n";
        const Doc causes = c.value("causes", Doc::array());
        if (!c.value("key_inputs", false)) {
            out += "The causes cannot be named: both runs need `--why` (their key inputs).\n\n";
            return;
        }
        if (causes.empty()) {
            out += fmt::format("Every package compared ({}) missed nothing the baseline had.\n\n",
                               c.value("packages_compared", 0));
            return;
        }
        out += "| packages | cause | remedy |\n|---:|---|---|\n";
        std::size_t shown = 0;
        for (const auto& g : causes) {
            if (shown == lim.rows) {
                left_out.push_back(fmt::format("{} cause(s) of the comparison", causes.size() - shown));
                break;
            }
            ++shown;
            out += fmt::format("| {} | {} | {} |\n", g.value("packages", 0), md(doc_string(g, "detail")),
                               md(doc_string(g, "remedy")));
        }
        out += "\n";
    }

    void build_cache() {
        const Doc s = doc.value("summary", Doc::object());
        auto n = [&](const char* k) { return s.value(k, 0); };
        int total = n("packages"), cached = n("packages_cached") + n("packages_installed");
        out += fmt::format("### Build cache\n\n| packages | rebuilt | from cache | failed | {} | hit rate |\n"
                           "|---:|---:|---:|---:|---:|---:|\n", unknown_label(n("packages_failed") > 0));
        out += fmt::format("| {} | {} | {} | {} | {} | {} |\n\n", total, n("packages_rebuilt"), cached,
                           n("packages_failed"), n("packages_unknown"),
                           total ? fmt::format("{:.0f}%", 100.0 * cached / total) : "–");
        if (doc.contains("tests") && doc["tests"].is_array() && !doc["tests"].empty())
            out += fmt::format("Tests: {} package(s), {} run, {} result(s) from the cache.\n\n", doc["tests"].size(),
                               n("tests_run"), n("tests_cached"));
    }

    // --cacheprog: what go asked its cache program, per tier, and the named
    // causes of its misses and troubles.
    void cache_program() {
        if (!doc.contains("cache_program") || !doc["cache_program"].is_object()) return;
        const Doc& c = doc["cache_program"];
        out += "### Cache program\n\n| tier | gets | hits | misses | errors | puts | MiB read | wait s |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|\n";
        auto row = [&](const std::string& name, const Doc& t) {
            if (!t.is_object()) return;
            out += fmt::format("| {} | {} | {} | {} | {} | {} | {:.1f} | {:.3f} |\n", name, t.value("gets", 0),
                               t.value("hits", 0), t.value("misses", 0), t.value("errors", 0), t.value("puts", 0),
                               doc_number(t, "bytes_read") / (1 << 20), doc_number(t, "wait_seconds"));
        };
        row("what go saw", c);
        for (const char* tier : {"local", "upstream"})
            if (c.contains(tier)) row(tier, c[tier]);
        out += "\n";
        if (auto line = unattributed_gets_line(c); !line.empty()) out += line + "\n\n";
        if (auto line = test_results_line(c); !line.empty()) out += line + "\n\n";
        for (const auto& cause : c.value("causes", Doc::array()))
            out += fmt::format("- {} ({}): {}\n", code(doc_string(cause, "id")), cause.value("count", 0),
                               md(doc_string(cause, "detail")));
        if (c.contains("causes") && !c["causes"].empty()) out += "\n";
    }

    // The failure class, when the run failed.
    void diagnosis() {
        if (!doc.contains("diagnosis") || !doc["diagnosis"].is_object()) return;
        const Doc& d = doc["diagnosis"];
        out += "### Diagnosis: " + code(doc_string(d, "class", "unknown")) + "\n\n";
        if (auto t = doc_string(d, "title"); !t.empty()) out += "**" + md(t) + "**\n\n";
        if (auto r = doc_string(d, "remedy"); !r.empty()) out += "Remedy: " + md(r) + "\n\n";
        if (auto f = doc_string(d, "first_failed"); !f.empty()) out += "First failed: " + code(f) + "\n\n";
        if (d.contains("repro") && d["repro"].is_object()) {
            const Doc& r = d["repro"];
            out += "Verdict of the rebuild with an empty cache: **" + md(doc_string(r, "verdict", "?")) + "**";
            if (auto c = doc_string(r, "command"); !c.empty()) out += " (" + code(c) + ")";
            out += "\n\n";
            if (auto det = doc_string(r, "detail"); !det.empty()) out += md(det) + "\n\n";
            if (auto ev2 = doc_string(r, "evict"); !ev2.empty()) out += "Evict the suspect entries: " + code(ev2) + "\n\n";
        }
        if (d.contains("evidence") && d["evidence"].is_array() && !d["evidence"].empty()) {
            std::size_t left = 0;
            out += details("Evidence", code_block(str_list(d["evidence"], lim.lines, &left)));
            if (left) left_out.push_back(fmt::format("{} evidence line(s)", left));
        }
    }

    void failures() {
        if (!doc.contains("failures") || !doc["failures"].is_array() || doc["failures"].empty()) return;
        const Doc& fs = doc["failures"];
        out += fmt::format("### Failures ({})\n\n", fs.size());
        std::size_t shown = 0;
        for (const auto& f : fs) {
            if (shown == lim.failures) {
                left_out.push_back(fmt::format("{} failure(s)", fs.size() - shown));
                break;
            }
            ++shown;
            std::string pkg = doc_string(f, "package");
            std::size_t left = 0;
            auto lines = str_list(f.value("first_lines", Doc::array()), lim.lines, &left);
            std::string cls = failure_class(doc, pkg);
            std::string head = fmt::format("**{}** ({}{})", pkg.empty() ? std::string("(no package)") : code(pkg),
                                           md(doc_string(f, "kind")), cls.empty() ? "" : ", class " + code(cls));
            std::size_t count = f.value("line_count", lines.size());
            if (lines.size() <= 5 && !left) out += head + "\n\n" + code_block(lines) + "\n";
            else out += head + "\n\n" + details(fmt::format("{} line(s)", count), code_block(lines));
            if (left) left_out.push_back(fmt::format("{} line(s) of the failure of {}", left, pkg));
        }
    }

    void failed_tests() {
        if (!doc.contains("test_cases") || !doc["test_cases"].is_array()) return;
        std::vector<const Doc*> failed;
        for (const auto& c : doc["test_cases"])
            if (doc_string(c, "status") == "fail") failed.push_back(&c);
        if (failed.empty()) return;
        std::string body;
        std::size_t shown = 0;
        for (const Doc* c : failed) {
            if (shown == lim.rows) {
                left_out.push_back(fmt::format("{} failed test(s)", failed.size() - shown));
                break;
            }
            ++shown;
            std::size_t left = 0;
            body += fmt::format("{} in {} ({:.2f} s)\n\n", code(doc_string(*c, "name")), code(doc_string(*c, "package")),
                                c->value("elapsed", 0.0));
            auto lines = str_list(c->value("output", Doc::array()), lim.lines, &left);
            if (!lines.empty()) body += code_block(lines) + "\n";
        }
        out += fmt::format("### Failed tests ({})\n\n", failed.size());
        out += failed.size() > 3 ? details("Failed tests", body) : body;
    }

    // Rebuilt (and failed) packages with their reasons, the module's first.
    void rebuilt() {
        if (!doc.contains("packages") || !doc["packages"].is_array()) return;
        std::vector<const Doc*> rebuilt;
        for (const auto& p : doc["packages"])
            if (doc_string(p, "outcome") == "rebuilt" || doc_string(p, "outcome") == "failed") rebuilt.push_back(&p);
        std::stable_sort(rebuilt.begin(), rebuilt.end(),
                         [](const Doc* a, const Doc* b) { return !a->value("standard", false) && b->value("standard", false); });
        if (rebuilt.empty()) return;
        std::string table = "| package | outcome | reason | detail |\n|---|---|---|---|\n";
        std::size_t shown = 0;
        for (const Doc* p : rebuilt) {
            if (shown == lim.rows) {
                left_out.push_back(fmt::format("{} rebuilt package(s)", rebuilt.size() - shown));
                break;
            }
            ++shown;
            std::string ip = doc_string(*p, "import_path");
            std::string ft = doc_string(*p, "for_test");
            if (!ft.empty() && ft != ip) ip += " [" + ft + "]";
            std::string reason = doc_string(*p, "reason");
            table += fmt::format("| {} | {} | {} | {} |\n", code(ip), md(doc_string(*p, "outcome")),
                                 reason.empty() ? "–" : code(reason), md(doc_string(*p, "reason_detail")));
        }
        // The heading's counts agree with the build cache table (failed packages are not "rebuilt").
        std::size_t failed = std::count_if(rebuilt.begin(), rebuilt.end(),
                                           [](const Doc* p) { return doc_string(*p, "outcome") == "failed"; });
        out += failed ? fmt::format("### Rebuilt ({}) and failed ({}) packages\n\n", rebuilt.size() - failed, failed)
                      : fmt::format("### Rebuilt packages ({})\n\n", rebuilt.size());
        out += rebuilt.size() > 10 ? details(fmt::format("{} package(s)", rebuilt.size()), table) : table + "\n";
    }

    void critical_path() {
        if (!doc.contains("timing") || !doc["timing"].is_object()) return;
        const Doc& cp = doc["timing"].value("critical_path", Doc::array());
        if (cp.empty()) return;
        std::string table = "| step | seconds |\n|---|---:|\n";
        for (const auto& c : cp) table += fmt::format("| {} | {:.3f} |\n", md(doc_string(c, "step")), c.value("seconds", 0.0));
        out += details(fmt::format("Critical path ({} steps)", cp.size()), table);
    }

    void notes() {
        std::vector<std::string> notes;
        if (doc.contains("notes") && doc["notes"].is_array())
            for (const auto& x : doc["notes"]) notes.push_back(x.is_string() ? x.get<std::string>() : x.dump());
        const Doc s = doc.value("summary", Doc::object());
        if (int u = s.value("unrecognized_lines", 0)) notes.push_back(fmt::format("{} trace line(s) gox did not recognise", u));
        if (notes.empty()) return;
        out += "### Notes\n\n";
        for (const auto& x : notes) out += "- " + md(x) + "\n";
        out += "\n";
    }
};

// The report's sections, in reading order: what happened, then why, then
// the setting.
std::string render_with(const Doc& doc, const Limits& lim, std::vector<std::string>& left_out) {
    Sections s{doc, lim, left_out, {}};
    s.title();
    s.compared_with();
    s.build_cache();
    s.diagnosis();
    s.failures();
    s.failed_tests();
    s.rebuilt();
    s.cache_program();
    s.critical_path();
    s.environment();
    s.notes();
    return std::move(s.out);
}

std::string footer(const Doc& doc, const std::vector<std::string>& left_out) {
    std::string out;
    if (!left_out.empty()) {
        out += "_Left out to stay within the size limit: ";
        for (std::size_t i = 0; i < left_out.size(); ++i) out += (i ? ", " : "") + md(left_out[i]);
        out += ". The JSON report has everything._\n\n";
    }
    if (doc.contains("redaction") && doc["redaction"].is_object()) {
        const Doc& r = doc["redaction"];
        out += std::string("<sub>Generated by gox") + (r.value("secrets", false) ? "; secrets redacted" : "; not redacted") +
               (r.value("paths", false) ? ", absolute paths dropped" : "") + ".</sub>\n";
    } else {
        out += "<sub>Generated by gox.</sub>\n";
    }
    return out;
}

} // namespace

std::string render_markdown(const Doc& doc, std::size_t limit) {
    Limits lim;
    for (int round = 0; round < 12; ++round) {
        std::vector<std::string> left_out;
        std::string body = render_with(doc, lim, left_out);
        std::string all = body + footer(doc, left_out);
        if (all.size() <= limit) return all;
        lim.rows = std::max<std::size_t>(1, lim.rows / 2);
        lim.failures = std::max<std::size_t>(1, lim.failures / 2);
        lim.lines = std::max<std::size_t>(3, lim.lines / 2);
    }
    // Still too long (huge single lines): cut at a line boundary.
    std::vector<std::string> left_out;
    std::string body = render_with(doc, lim, left_out);
    left_out.push_back("the end of the report");
    std::string tail = footer(doc, left_out);
    std::size_t room = limit > tail.size() + 64 ? limit - tail.size() - 64 : 0;
    body.resize(std::min(body.size(), room));
    // Never leave a cut UTF-8 sequence or a half line.
    if (auto nl = body.rfind('\n'); nl != std::string::npos) body.resize(nl + 1);
    // An open fence or <details> would swallow the footer: close them.
    std::size_t fences = 0;
    for (std::size_t p = 0; (p = body.find("\n```", p)) != std::string::npos; ++p) ++fences;
    if (body.rfind("```", 0) == 0) ++fences;
    if (fences % 2) body += "```\n";
    std::size_t open = 0, close = 0;
    for (std::size_t p = 0; (p = body.find("<details>", p)) != std::string::npos; ++p) ++open;
    for (std::size_t p = 0; (p = body.find("</details>", p)) != std::string::npos; ++p) ++close;
    for (; close < open; ++close) body += "\n</details>\n";
    return body + "\n" + tail;
}

} // namespace gox::report
