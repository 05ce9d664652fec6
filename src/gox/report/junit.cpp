// JUnit XML for CI systems: one <testsuite> per package go test reported,
// one <testcase> per test function when go test's output named them (-v or
// -json, or the failures of a plain run), else one case for the package's
// result. Build failures are <error>s: of the package whose test binary did
// not build, and, for failures that belong to no tested package, in a
// "(build)" suite. The shape follows the JUnit schema CI tools accept
// (tests/cli/junit.xsd is the subset this writer promises).

#include <gox/report/document.hpp>

#include <fmt/format.h>

#include <map>
#include <vector>

namespace gox::report {

namespace {

// XML 1.0 text: escaped, and without the control characters it forbids.
std::string x(std::string_view s) { return html_escape(clean_text(s)); }

struct Case {
    std::string name, status, message, body; // status: pass | fail | skip | error
    double seconds = 0;
};

std::string join_lines(const Doc& a) {
    std::string s;
    if (a.is_array())
        for (const auto& l : a) s += (l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
    return s;
}

using Suites = std::map<std::string, std::vector<Case>>;       // package -> cases
using BuildErrors = std::map<std::string, std::string>;         // package -> failure lines

// The failures go test's cases do not already report, by package.
BuildErrors collect_build_errors(const Doc& doc) {
    BuildErrors build_errors;
    if (doc.contains("failures") && doc["failures"].is_array())
        for (const auto& f : doc["failures"]) {
            std::string k = doc_string(f, "kind");
            if (k == "test") continue; // the test cases say it
            build_errors[doc_string(f, "package")] += join_lines(f.value("first_lines", Doc::array()));
        }
    return build_errors;
}

// One case per test function go test named; returns how many per package.
std::map<std::string, std::size_t> add_test_cases(const Doc& doc, Suites& suites) {
    std::map<std::string, std::size_t> case_count;
    if (doc.contains("test_cases") && doc["test_cases"].is_array())
        for (const auto& c : doc["test_cases"]) {
            Case k;
            k.name = doc_string(c, "name");
            k.status = doc_string(c, "status");
            k.seconds = c.value("elapsed", 0.0);
            k.body = join_lines(c.value("output", Doc::array()));
            k.message = k.status == "fail" ? "Failed" : k.status == "skip" ? "Skipped" : "";
            std::string pkg = doc_string(c, "package");
            suites[pkg].push_back(std::move(k));
            ++case_count[pkg];
        }
    return case_count;
}

// Per tested package: an error case when its test binary did not build, or
// one case for its result when no test function was named. The build
// errors of every tested package are taken out of build_errors.
void add_package_results(const Doc& doc, std::map<std::string, std::size_t>& case_count, BuildErrors& build_errors,
                         Suites& suites) {
    if (doc.contains("tests") && doc["tests"].is_array())
        for (const auto& t : doc["tests"]) {
            std::string pkg = doc_string(t, "package"), st = doc_string(t, "status");
            auto& cases = suites[pkg];
            if (st == "build_failed" || st == "setup_failed") {
                // The compile errors of the package itself, else of whatever failed.
                std::string body = build_errors.count(pkg) ? build_errors[pkg] : "";
                if (body.empty())
                    for (const auto& [p, lines] : build_errors)
                        if (!p.empty() && p != pkg) body += lines;
                cases.push_back({"(build)", "error", st == "build_failed" ? "build failed" : "setup failed", body, 0});
            } else if (!case_count[pkg] && st != "no_test_files") {
                bool cached = t.value("cached", false);
                cases.push_back({"(package)", st == "ok" ? "pass" : "fail", st == "ok" ? "" : "Failed",
                                 cached ? "result from the test cache\n" : "", 0});
            }
            build_errors.erase(pkg);
        }
}

Suites collect_suites(const Doc& doc) {
    Suites suites;
    BuildErrors build_errors = collect_build_errors(doc);
    auto case_count = add_test_cases(doc, suites);
    add_package_results(doc, case_count, build_errors, suites);
    // Failures not tied to a tested package (gox build, vet, link...).
    for (const auto& [pkg, lines] : build_errors)
        if (!lines.empty()) suites["(build)"].push_back({pkg.empty() ? "(go)" : pkg, "error", "build failed", lines, 0});
    return suites;
}

struct Totals {
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
};

// One <testsuite>, added to totals.
std::string render_suite(const std::string& pkg, const std::vector<Case>& cases, int id, const std::string& properties,
                         Totals& totals) {
    std::size_t f = 0, e = 0, s = 0;
    double t = 0;
    std::string inner;
    for (const auto& c : cases) {
        t += c.seconds;
        inner += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", x(pkg), x(c.name), c.seconds);
        if (c.status == "pass") {
            inner += c.body.empty() ? "/>\n" : ">\n      <system-out>" + x(c.body) + "</system-out>\n    </testcase>\n";
            continue;
        }
        const char* tag = c.status == "fail" ? "failure" : c.status == "skip" ? "skipped" : "error";
        (c.status == "fail" ? f : c.status == "skip" ? s : e)++;
        inner += fmt::format(">\n      <{} message=\"{}\" type=\"{}\">{}</{}>\n    </testcase>\n", tag, x(c.message),
                             c.status, x(c.body), tag);
    }
    totals.tests += cases.size();
    totals.failures += f;
    totals.errors += e;
    totals.skipped += s;
    totals.time += t;
    return fmt::format("  <testsuite id=\"{}\" name=\"{}\" package=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
                       "skipped=\"{}\" time=\"{:.3f}\">\n{}{}  </testsuite>\n",
                       id, x(pkg), x(pkg), cases.size(), f, e, s, t, properties, inner);
}

} // namespace

std::string render_junit(const Doc& doc) {
    Suites suites = collect_suites(doc);
    // The Go version as a suite property, where CI tools that read go test
    // reports look for it.
    std::string go_version = doc_string(doc, "go_version");
    std::string properties =
        go_version.empty() ? "" : "    <properties>\n      <property name=\"go.version\" value=\"" + x(go_version) + "\"/>\n    </properties>\n";
    Totals totals;
    std::string body;
    int id = 0;
    for (const auto& [pkg, cases] : suites) body += render_suite(pkg, cases, id++, properties, totals);
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                       x(command_line(doc).empty() ? "gox" : command_line(doc)), totals.tests, totals.failures,
                       totals.errors, totals.skipped, totals.time);
    return out + body + "</testsuites>\n";
}

} // namespace gox::report
