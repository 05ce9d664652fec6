// Unit tests for the report document: path normalisation, redaction, text
// cleaning, and the renderers over a hand-made document that carries a
// failure diagnosis (tests/data/diagnosis-fixture.json, the shape of the
// "diagnosis" key the failure classifier adds).
#include <catch2/catch.hpp>

#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>
#include <gox/model/test_output.hpp>
#include <gox/report/document.hpp>
#include <gox/report/report.hpp>
#include <gox/trace/test_lines.hpp>
#include <gox/trace/tokenizer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using gox::report::Doc;
using gox::report::RedactOptions;

namespace {
Doc fixture() {
    std::ifstream in(GOX_SOURCE_ROOT "/tests/data/diagnosis-fixture.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return Doc::parse(ss.str());
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
} // namespace

TEST_CASE("redact_text removes credentials and tokens, keeps ordinary text", "[report]") {
    RedactOptions o;
    using gox::report::redact_text;
    CHECK(redact_text("https://alice:pw123@proxy.example.com/go,direct", o) == "https://REDACTED@proxy.example.com/go,direct");
    CHECK(redact_text("https://tok3n@host/x", o) == "https://REDACTED@host/x");
    CHECK(redact_text("-ldflags=-X=main.apiKey=abc123", o) == "-ldflags=-X=main.apiKey=REDACTED");
    CHECK(redact_text("-DAPI_TOKEN=xyz -O2", o) == "-DAPI_TOKEN=REDACTED -O2");
    CHECK(redact_text("use ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 now", o) == "use REDACTED now");
    CHECK(redact_text("Authorization: Bearer abcdefghijklmnop1234", o) == "Authorization: Bearer REDACTED");
    CHECK(redact_text("https://example.com/x?access_token=s3cr3t&y=1", o) == "https://example.com/x?access_token=REDACTED&y=1");
    // Not secrets: file positions, import paths, action IDs.
    CHECK(redact_text("token.go:12:5: undefined: x", o) == "token.go:12:5: undefined: x");
    CHECK(redact_text("example.com/m/auth/tokenizer", o) == "example.com/m/auth/tokenizer");
    CHECK(redact_text("aB3dE5fG7hI9jK1lM3nO", o) == "aB3dE5fG7hI9jK1lM3nO");
    o.secrets = false;
    CHECK(redact_text("https://alice:pw@h/", o) == "https://alice:pw@h/");
}

TEST_CASE("redact_text with drop_paths keeps only the last path element and hides the user", "[report]") {
    RedactOptions o;
    o.drop_paths = true;
    o.user = "alice";
    CHECK(gox::report::redact_text("/srv/build/alice/src/main.go:3:1: boom", o) == "…/main.go:3:1: boom");
    CHECK(gox::report::redact_text("owner alice here", o) == "owner <user> here");
    CHECK(gox::report::redact_text("$WORK/b001/x.a", o) == "$WORK/b001/x.a");
}

TEST_CASE("normalise_paths names the work dir, GOCACHE, GOROOT and home", "[report]") {
    Doc d = fixture();
    gox::report::normalise_paths(d, "/home/dev");
    CHECK(d["invocations"][0]["work_dir"] == "$WORK");
    CHECK(d["invocations"][0]["gocache"] == "$GOCACHE");
    CHECK(d["failures"][0]["first_lines"][0] == "$WORK/b002/_pkg_.a: could not import fmt (unexpected EOF in export data)");
    CHECK(d["environment"]["GOCACHE"] == "~/.cache/go-build"); // the location stays readable
    CHECK(d["diagnosis"]["repro"]["evict"] == "rm $GOCACHE/ab/abcdef-d");
    // /home/developer is not under /home/dev.
    Doc e = {{"x", "/home/developer/a and /home/dev/b and /home/dev"}};
    gox::report::normalise_paths(e, "/home/dev");
    CHECK(e["x"] == "/home/developer/a and ~/b and ~");
}

TEST_CASE("redact replaces secret-named environment values and opaque words in flag variables", "[report]") {
    Doc d = fixture();
    d["environment"]["GITHUB_TOKEN"] = "whatever";
    d["environment"]["GOFLAGS"] = "-mod=mod -tags=a1b2c3d4e5f6a7b8c9d0e1f2a3b4";
    gox::report::redact(d, {});
    CHECK(d["environment"]["GITHUB_TOKEN"] == "REDACTED");
    CHECK(d["environment"]["GOFLAGS"] == "-mod=mod -tags=REDACTED");
    CHECK(d["redaction"]["secrets"] == true);
}

TEST_CASE("clean_text drops ANSI escapes and control characters", "[report]") {
    using gox::report::clean_text;
    CHECK(clean_text("\x1b[31mred\x1b[0m") == "red");
    CHECK(clean_text("a\x07" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(clean_text("tab\tnew\nline") == "tab\tnew\nline");
    CHECK(clean_text("bad \xff utf8") == "bad \xEF\xBF\xBD utf8");
    CHECK(clean_text("é") == "é");
    CHECK(clean_text("\x1b]0;title\x07rest") == "rest");
}

TEST_CASE("formats by name and by file extension", "[report]") {
    using gox::report::Format;
    CHECK(gox::report::format_for_file("a/b.trace.json") == Format::ChromeTrace);
    CHECK(gox::report::format_for_file("r.json") == Format::Json);
    CHECK(gox::report::format_for_file("r.md") == Format::Markdown);
    CHECK(gox::report::format_for_file("r.xml") == Format::Junit);
    CHECK(gox::report::format_for_file("r.htm") == Format::Html);
    CHECK(!gox::report::format_for_file("r.pdf"));
    CHECK(gox::report::parse_format("chrome-trace") == Format::ChromeTrace);
    CHECK(!gox::report::parse_format("yaml"));
    CHECK(gox::report::format_for_file("run.otlp.json") == Format::Otlp);
    CHECK(gox::report::format_for_file("/var/lib/node_exporter/gox.prom") == Format::OpenMetrics);
    CHECK(gox::report::parse_format("otlp") == Format::Otlp);
    CHECK(gox::report::parse_format("prom") == Format::OpenMetrics);
}

TEST_CASE("openmetrics: label values escaped, one sample per line, # EOF last", "[report]") {
    gox::report::Doc doc = {{"go_version", "go1 \"q\" \\ x\ny"},
                            {"summary", {{"packages_rebuilt", 2}, {"packages_cached", 5}}},
                            {"packages", gox::report::Doc::array({{{"outcome", "rebuilt"}, {"reason", "no_history"}}})},
                            {"command", {{"verb", "build"}, {"exit_code", 0}, {"seconds", 0.5}}}};
    std::string text = gox::report::render_openmetrics(doc);
    CHECK(text.find("gox_run_info{verb=\"build\",go_version=\"go1 \\\"q\\\" \\\\ x\\ny\"} 1\n") != std::string::npos);
    CHECK(text.find("gox_cache_hits 5\n") != std::string::npos);
    CHECK(text.find("gox_rebuilt_packages{reason=\"no_history\"} 1\n") != std::string::npos);
    CHECK(text.find("gox_rebuilt_packages{reason=\"unlisted\"} 1\n") != std::string::npos); // past the list
    CHECK(text.find("gox_run_seconds 0.5\n") != std::string::npos);
    CHECK(text.size() >= 6);
    CHECK(text.substr(text.size() - 6) == "# EOF\n");
}

TEST_CASE("otlp: one span per graph action, the root action the root span, hex ids", "[report]") {
    gox::model::ActionGraph g;
    gox::model::GraphAction root, build;
    root.mode = "go build";
    root.deps = {1};
    root.time_start = 100.5;
    root.time_done = 100.6;
    build.id = 1;
    build.mode = "build";
    build.package = "a/b";
    build.objdir = "/tmp/go-build1/b002/";
    build.objdir_number = 2;
    build.ran = true;
    build.time_start = 100.0;
    build.time_done = 100.4;
    g.actions = {root, build};
    gox::report::Doc doc = {{"packages", gox::report::Doc::array({{{"import_path", "a/b"}, {"objdir", "$WORK/b002"},
                                                                    {"outcome", "rebuilt"}, {"reason", "no_history"}}})},
                            {"action_graph", gox::report::action_graph_json(g)}};
    std::string text = gox::report::render_otlp(doc);
    REQUIRE(std::count(text.begin(), text.end(), '\n') == 1);
    auto req = nlohmann::json::parse(text);
    const auto& spans = req["resourceSpans"][0]["scopeSpans"][0]["spans"];
    REQUIRE(spans.size() == 2);
    CHECK(!spans[0].contains("parentSpanId"));
    CHECK(spans[1]["parentSpanId"] == spans[0]["spanId"]);
    CHECK(spans[0]["links"][0]["spanId"] == spans[1]["spanId"]);
    CHECK(spans[0]["traceId"].get<std::string>().size() == 32);
    CHECK(spans[1]["spanId"].get<std::string>().size() == 16);
    CHECK(spans[0]["startTimeUnixNano"] == "100000000000"); // the first action's start
    CHECK(spans[0]["endTimeUnixNano"] == "100600000000");
    CHECK(spans[1]["name"] == "build a/b");
    std::string attrs = spans[1]["attributes"].dump();
    CHECK(attrs.find(R"({"key":"go.build.package.reason","value":{"stringValue":"no_history"}})") != std::string::npos);
    CHECK(attrs.find(R"({"key":"go.build.action.id","value":{"intValue":"1"}})") != std::string::npos);
    CHECK(attrs.find(R"({"key":"go.build.cache.hit","value":{"boolValue":false}})") != std::string::npos);
}

TEST_CASE("every renderer shows the diagnosis: class, title, remedy, verdict", "[report]") {
    Doc d = fixture();
    std::string md = gox::report::render_markdown(d);
    CHECK(has(md, "### Diagnosis: `cache_corrupt`"));
    CHECK(has(md, "**A build cache entry is damaged**"));
    CHECK(has(md, "Remedy: run the evict command below, or go clean -cache"));
    CHECK(has(md, "**cache\\_caused**"));
    CHECK(has(md, "<details><summary>Evidence</summary>"));
    CHECK(has(md, "**`example.com/m/pkg`** (compile, class `cache_corrupt`)"));
    CHECK(has(md, "## gox report: `go build ./...` failed (exit status 1)"));
    std::string html = gox::report::render_html(d);
    CHECK(has(html, "<div id=\"diagnosis\"><p><strong>cache_corrupt</strong>: A build cache entry is damaged</p>"));
    CHECK(has(html, "<strong>cache_caused</strong>"));
    CHECK(has(html, "<code>example.com/m/pkg</code> (compile, class cache_corrupt)</h3>"));
    std::string text = gox::report::render_doc_text(d);
    CHECK(has(text, "diagnosis: cache_corrupt — A build cache entry is damaged\n"));
    CHECK(has(text, "verdict: cache_caused\n"));
    // Without a diagnosis (null), nothing is said about one.
    d["diagnosis"] = nullptr;
    CHECK(!has(gox::report::render_markdown(d), "Diagnosis"));
    CHECK(!has(gox::report::render_html(d), "id=\"diagnosis\""));
}

TEST_CASE("markdown code spans survive backticks and pipes", "[report]") {
    Doc d = fixture();
    d["packages"][1]["import_path"] = "example.com/a`b|c";
    std::string md = gox::report::render_markdown(d);
    CHECK(has(md, "| ``example.com/a`b\\|c`` |"));
}

TEST_CASE("junit: build failures are errors, test failures are failures", "[report]") {
    Doc d = fixture();
    std::string x = gox::report::render_junit(d);
    CHECK(has(x, "<testsuite id=\"0\" name=\"(build)\""));
    CHECK(has(x, "<testcase classname=\"(build)\" name=\"example.com/m/pkg\""));
    CHECK(has(x, "<error message=\"build failed\""));
    d["tests"] = Doc::array({{{"package", "example.com/m/pkg"}, {"status", "fail"}, {"cached", false}}});
    d["test_cases"] = Doc::array({{{"package", "example.com/m/pkg"}, {"name", "TestA"}, {"status", "fail"},
                                   {"elapsed", 0.5}, {"output", {"a_test.go:3: <bad> & \"worse\""}}}});
    d["failures"] = Doc::array();
    x = gox::report::render_junit(d);
    CHECK(has(x, "<testcase classname=\"example.com/m/pkg\" name=\"TestA\" time=\"0.500\">"));
    CHECK(has(x, "a_test.go:3: &lt;bad&gt; &amp; &quot;worse&quot;"));
    CHECK(has(x, "failures=\"1\" errors=\"0\""));
}

TEST_CASE("test cases from go test output: plain failures and test2json events", "[report][model]") {
    gox::trace::Tokenizer tok;
    gox::model::BuildBuilder plain;
    for (const char* l : {"--- FAIL: TestHours (0.25s)", "    clock_test.go:7: Hours(2) = 48, want 47", "    --- SKIP: TestHours/sub (0.00s)",
                          "FAIL", "FAIL\texample.com/clock\t0.002s", "ok  \texample.com/other\t0.001s"})
        plain.on_stdout_line(l);
    auto b = plain.finish(tok.end());
    REQUIRE(b.test_cases.size() == 2);
    CHECK(b.test_cases[0].package == "example.com/clock");
    CHECK(b.test_cases[0].name == "TestHours");
    CHECK(b.test_cases[0].status == "fail");
    CHECK(b.test_cases[0].elapsed == Approx(0.25));
    REQUIRE(b.test_cases[0].output.size() == 1);
    CHECK(b.test_cases[1].name == "TestHours/sub");
    CHECK(b.test_cases[1].status == "skip");

    gox::trace::Tokenizer tok2;
    gox::model::BuildBuilder json;
    for (const char* l : {R"({"Action":"run","Package":"p","Test":"TestA"})",
                          R"({"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:1: boom\n"})",
                          R"({"Action":"fail","Package":"p","Test":"TestA","Elapsed":0.5})",
                          R"({"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"})",
                          R"({"Action":"pass","Package":"p","Test":"TestB","Elapsed":0})",
                          R"({"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"})"})
        json.on_stdout_line(l);
    auto j = json.finish(tok2.end());
    REQUIRE(j.test_cases.size() == 2);
    CHECK(j.test_cases[0].name == "TestA");
    CHECK(j.test_cases[0].output == std::vector<std::string>{"    a_test.go:1: boom"});
    CHECK(j.test_cases[1].status == "pass");
    CHECK(j.test_cases[1].output.empty()); // passing tests keep no output
    REQUIRE(j.tests.size() == 1);
    CHECK(j.tests[0].status == "fail");
}

TEST_CASE("long test output is cut in the middle: the first failure line and the last lines stay", "[report][model]") {
    gox::model::OutputCut cut;
    cut.add("=== RUN   TestBig");
    for (int i = 0; i < 1000; ++i) cut.add("noise " + std::to_string(i));
    cut.add("    big_test.go:12: first error");
    for (int i = 0; i < 2000; ++i) cut.add("more " + std::to_string(i));
    cut.add("--- FAIL: TestBig (0.10s)");
    REQUIRE(cut.lines() == 3003);
    auto out = cut.take();
    CHECK(out.size() <= 40);
    CHECK(out.front() == "=== RUN   TestBig");
    CHECK(out.back() == "--- FAIL: TestBig (0.10s)");
    auto at = std::find(out.begin(), out.end(), "    big_test.go:12: first error");
    REQUIRE(at != out.end());
    CHECK(*(at - 1) == "noise 999"); // context before it
    CHECK(*(at + 1) == "more 0");    // and after it
    // Every gap is one marker and the markers add up to what was left out.
    std::size_t omitted = 0, kept = 0;
    for (const auto& l : out) {
        if (l.rfind("… ", 0) == 0 && l.find(" omitted …") != std::string::npos) omitted += std::stoul(l.substr(4));
        else ++kept;
    }
    CHECK(kept + omitted == 3003);
    CHECK(std::count_if(out.begin(), out.end(), [](const std::string& l) { return l.find("omitted") != std::string::npos; }) == 2);

    gox::model::OutputCut small; // short output: unchanged, no marker
    for (int i = 0; i < 30; ++i) small.add("line " + std::to_string(i));
    auto s = small.take();
    REQUIRE(s.size() == 30);
    CHECK(s[29] == "line 29");
    CHECK(gox::trace::looks_like_test_failure("panic: runtime error: index out of range"));
    CHECK(gox::trace::looks_like_test_failure("    foo_test.go:7: got 1"));
    CHECK_FALSE(gox::trace::looks_like_test_failure("hello world: 12"));
}

TEST_CASE("cgo C steps count toward their package; step kinds carry no work-dir path", "[report][model]") {
    CHECK(gox::model::step_kind("cgo compile /tmp/go-build123/b004/_cgo_export.c") == "cgo compile");
    CHECK(gox::model::step_kind("cgo compile gcc_amd64.S") == "cgo compile");
    CHECK(gox::model::step_kind("build check cache") == "build check cache");
    // A cgo package: check cache, cgo run, two C compiles (the second takes 3 s), build.
    auto t = [](double s) { return fmt::format("2026-12-01T12:00:{:09.6f}Z", s); };
    std::string g = "[";
    auto act = [&](int id, const char* mode, const char* pkg, const char* deps, double s, double e, bool ran) {
        g += fmt::format(R"({}{{"ID":{},"Mode":"{}","Package":"{}","Objdir":"/tmp/go-build1/b002/","Deps":[{}],)"
                         R"("TimeStart":"{}","TimeDone":"{}","Cmd":{}{}}})",
                         id ? "," : "", id, mode, pkg, deps, t(s), t(e), ran ? "[\"x\"]" : "null",
                         std::string_view(mode) == "build" ? R"(,"ActionID":"a","BuildID":"a/b")" : "");
    };
    act(0, "build check cache", "example.com/c", "", 1, 1.001, false);
    act(1, "cgo run", "example.com/c", "0", 1.001, 1.5, true);
    act(2, "cgo compile /tmp/go-build1/b002/a.c", "example.com/c", "1", 1.5, 2.0, true);
    act(3, "cgo compile /tmp/go-build1/b002/b.c", "example.com/c", "1", 1.5, 4.5, true);
    act(4, "collect cgo", "", "2,3", 4.5, 4.5, false);
    act(5, "build", "example.com/c", "4", 4.5, 5.0, true);
    g += "]";
    std::string err;
    auto graph = gox::model::parse_actiongraph(g, err);
    REQUIRE(graph);
    gox::model::Build b;
    gox::model::merge_actiongraph(b, *graph);
    REQUIRE(b.packages.size() == 1);
    REQUIRE(b.packages[0].seconds);
    CHECK(*b.packages[0].seconds == Approx(4.0).margin(0.01)); // 0.5 build + 3.5 of C steps (run, then compiles in parallel)
    REQUIRE(b.timing);
    REQUIRE(b.timing->critical_path.size() == 1);
    CHECK(b.timing->critical_path[0].first == "build example.com/c");
    CHECK(b.timing->critical_path[0].second == Approx(4.0).margin(0.01));
    for (const auto& [mode, secs] : b.timing->by_mode) CHECK(mode.find('/') == std::string::npos);
    for (const auto& a : b.timing->actions) CHECK(a.mode.find('/') == std::string::npos);
}

namespace {
gox::model::Build sample_build(const std::string& id) {
    std::ifstream in(GOX_SOURCE_ROOT "/trace_samples/" + id + ".trace");
    std::stringstream ss;
    ss << in.rdbuf();
    auto b = gox::model::parse_trace_text(ss.str());
    std::string err;
    auto g = gox::model::read_actiongraph_file(GOX_SOURCE_ROOT "/trace_samples/" + id + ".actiongraph.json", err);
    REQUIRE(g);
    gox::model::merge_actiongraph(b, *g);
    return b;
}
} // namespace

TEST_CASE("summary: a failed package is never listed as rebuilt", "[report]") {
    auto b = sample_build("go126-compile-error");
    REQUIRE(b.count(gox::model::Outcome::Failed) == 1);
    REQUIRE(b.count(gox::model::Outcome::Rebuilt) == 0);
    std::string s = gox::report::render_summary(b, {}, 1.0);
    CHECK(has(s, "0 rebuilt"));
    CHECK_FALSE(has(s, "gox: rebuilt:"));
    CHECK(has(s, "example.com/broken/lib"));
    std::string t = gox::report::render_text(b);
    CHECK_FALSE(has(t, "rebuilt:\n"));
    CHECK(has(t, "failed:\n"));
}

TEST_CASE("summary of a cgo build: step kinds without work-dir paths, C time in the package's", "[report]") {
    auto b = sample_build("go126-cgo-build");
    std::string s = gox::report::render_summary(b, {}, 1.0);
    CHECK(has(s, "cgo compile "));
    CHECK_FALSE(has(s, "/tmp/go-build"));
    CHECK_FALSE(has(s, "$WORK"));
    for (const auto& p : b.packages)
        if (p.import_path == "runtime/cgo") {
            REQUIRE(p.seconds);
            CHECK(*p.seconds > 0.5); // its build action alone took 0.11 s; its C steps 0.45 s more
        }
}
