// Unit tests for CI log prefixes (src/gox/trace/ci_log.*): the per-log
// detector, the strippers, the look-ahead decoder, BuildKit streams in the
// model, and the tokenizer's rescue of pasted command lines. The prefixes
// are in the shapes the CI systems write (trace_samples/wrap_ci_logs.py
// produces the same ones from real traces).
#include <catch2/catch.hpp>

#include <gox/model/build.hpp>
#include <gox/trace/ci_log.hpp>
#include <gox/trace/tokenizer.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

using gox::trace::detect_log_format;
using gox::trace::Kind;
using gox::trace::LogDecoder;
using gox::trace::LogFormat;
using gox::trace::LogLine;
using gox::trace::LogLineStripper;
using gox::trace::LogStyle;

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

LogFormat detect(std::string_view text) { return detect_log_format(lines_of(text)); }

// Every line the decoder hands on (CI lines included, marked).
struct DecodedLog {
    std::vector<std::string> text;
    std::vector<int> stream;
    std::vector<bool> ci;
};
DecodedLog decode(std::string_view text, LogFormat* format = nullptr) {
    DecodedLog c;
    LogDecoder d([&](const LogLine& l, bool) {
        c.text.emplace_back(l.text);
        c.stream.push_back(l.stream);
        c.ci.push_back(l.ci);
    });
    for (auto l : lines_of(text)) d.line(l);
    d.finish();
    if (format) *format = d.format();
    return c;
}

constexpr std::string_view kBare = "WORK=/tmp/go-build123\n"
                                   "mkdir -p $WORK/b001/\n"
                                   "cd /src/app\n"
                                   "/usr/lib/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p main ./main.go\n";

} // namespace

TEST_CASE("ci_log: an ordinary go trace is plain", "[ci_log]") {
    CHECK(detect(kBare).plain());
    CHECK(detect("").plain());
    // User output that looks like a prefix on one line of many changes nothing.
    CHECK(detect("WORK=/tmp/go-build1\n# example.com/app\n"
                 "2026-12-04T15:00:07Z main.go:3:2: undefined: x\n"
                 "[15:00:07] server starting\n#1 0.5 not buildkit\ncd /src\n")
              .plain());
    // A Go header "# pkg" is not a BuildKit step ("#12 ").
    CHECK(detect("# example.com/a\n# example.com/b\n./a.go:1:1: x\n").plain());
}

TEST_CASE("ci_log: a compile error starting with a date is not stripped in a plain log", "[ci_log]") {
    std::string text = std::string(kBare) + "2026-12-04T15:00:07.1234567Z main.go:3:2: undefined: x\n";
    LogFormat f;
    DecodedLog c = decode(text, &f);
    CHECK(f.plain());
    REQUIRE(c.text.size() == 5);
    CHECK(c.text[4] == "2026-12-04T15:00:07.1234567Z main.go:3:2: undefined: x");
}

TEST_CASE("ci_log: GitHub Actions timestamps, groups and workflow commands", "[ci_log]") {
    std::string_view log = "\xEF\xBB\xBF"
                           "2026-12-04T15:00:06.9000000Z ##[group]Run go build -x ./...\n"
                           "2026-12-04T15:00:06.9100000Z \x1b[36;1mgo build -x ./...\x1b[0m\n"
                           "2026-12-04T15:00:06.9200000Z ##[endgroup]\n"
                           "2026-12-04T15:00:07.1234567Z WORK=/tmp/go-build123\n"
                           "2026-12-04T15:00:07.1234568Z\n"
                           "2026-12-04T15:00:07.2000000Z ::error file=main.go,line=3::undefined: x\n"
                           "2026-12-04T15:00:07.3000000Z ::endgroup::\n"
                           "2026-12-04T15:00:07.3000001Z mkdir -p $WORK/b001/\n";
    LogFormat f;
    DecodedLog c = decode(log, &f);
    CHECK(f.outer == LogStyle::GithubActions);
    CHECK_FALSE(f.buildkit);
    CHECK(f.name() == "github_actions");
    REQUIRE(c.text.size() == 8);
    // The step header ("##[group]Run", the script echoed, "##[endgroup]") is the runner's.
    CHECK(c.ci == std::vector<bool>{true, true, true, false, false, true, true, false});
    CHECK(c.text[1] == "go build -x ./...");
    CHECK(c.text[3] == "WORK=/tmp/go-build123");
    CHECK(c.text[4] == "");
    CHECK(c.text[7] == "mkdir -p $WORK/b001/");
}

TEST_CASE("ci_log: GitLab section markers, colour and job log timestamps", "[ci_log]") {
    std::string_view log = "\x1b[0KRunning with gitlab-runner 17.5.0 (abc)\x1b[0;m\n"
                           "section_start:1733324406:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\"\x1b[0;m\n"
                           "\x1b[32;1m$ go build -x ./...\x1b[0;m\n"
                           "WORK=/tmp/go-build123\r\n"
                           "mkdir -p $WORK/b001/\n"
                           "section_end:1733324409:step_script\r\x1b[0K\n";
    LogFormat f;
    DecodedLog c = decode(log, &f);
    CHECK(f.outer == LogStyle::Gitlab);
    REQUIRE(c.text.size() == 6);
    CHECK(c.ci == std::vector<bool>{false, true, false, false, false, true});
    CHECK(c.text[0] == "Running with gitlab-runner 17.5.0 (abc)");
    CHECK(c.text[2] == "$ go build -x ./...");
    CHECK(c.text[3] == "WORK=/tmp/go-build123");

    std::string_view stamped = "2026-12-04T15:00:07.123456Z 00O WORK=/tmp/go-build123\n"
                               "2026-12-04T15:00:07.123457Z 01E mkdir -p $WORK/b001/\n"
                               "2026-12-04T15:00:07.123458Z 01E+ cd /builds/app\n";
    c = decode(stamped, &f);
    CHECK(f.outer == LogStyle::Gitlab);
    CHECK(c.text == std::vector<std::string>{"WORK=/tmp/go-build123", "mkdir -p $WORK/b001/", "cd /builds/app"});
}

TEST_CASE("ci_log: Jenkins timestamper prefixes", "[ci_log]") {
    std::string_view log = "Started by user admin\n"
                           "[2026-12-04T15:00:07.123Z] [Pipeline] sh\n"
                           "[2026-12-04T15:00:07.123Z] + go build -x ./...\n"
                           "[2026-12-04T15:00:07.124Z] WORK=/tmp/go-build123\n"
                           "[2026-12-04T15:00:07.125Z] cd /builds/app\n";
    LogFormat f;
    DecodedLog c = decode(log, &f);
    CHECK(f.outer == LogStyle::Jenkins);
    CHECK(c.ci == std::vector<bool>{false, true, false, false, false});
    CHECK(c.text[0] == "Started by user admin"); // before the timestamps: unchanged
    CHECK(c.text[3] == "WORK=/tmp/go-build123");
    CHECK(c.text[4] == "cd /builds/app");
    CHECK(detect("[15:00:07] WORK=/tmp/x\n[15:00:07] cd /a\n").outer == LogStyle::Jenkins);
    CHECK(gox::trace::jenkins_prefix("[15:00:07] x") == 11);
    CHECK(gox::trace::jenkins_prefix("[15:00:07]x") == 0);
    CHECK(gox::trace::jenkins_prefix("[build] x") == 0);
}

TEST_CASE("ci_log: BuildKit steps, alone and inside GitHub Actions", "[ci_log]") {
    std::string_view log = "#0 building with \"default\" instance using docker driver\n"
                           "#5 [build 3/4] RUN go build -x ./...\n"
                           "#5 0.312 WORK=/tmp/go-build1\n"
                           "#6 [other 2/2] RUN go build -x ./...\n"
                           "#6 0.401 WORK=/tmp/go-build2\n"
                           "#5 0.402 mkdir -p $WORK/b001/\n"
                           "#5 0.403\n"
                           "#5 DONE 1.2s\n";
    LogFormat f;
    DecodedLog c = decode(log, &f);
    CHECK(f.outer == LogStyle::Plain);
    CHECK(f.buildkit);
    CHECK(f.name() == "buildkit");
    CHECK(c.ci == std::vector<bool>{true, true, false, true, false, false, false, true});
    CHECK(c.stream == std::vector<int>{0, 5, 5, 6, 6, 5, 5, 5});
    CHECK(c.text[2] == "WORK=/tmp/go-build1");
    CHECK(c.text[4] == "WORK=/tmp/go-build2");
    CHECK(c.text[6] == "");

    int step = 0;
    bool status = false;
    CHECK(gox::trace::buildkit_prefix("#12 3.456 mkdir -p $WORK/b001/", step, status) == 10);
    CHECK(step == 12);
    CHECK_FALSE(status);
    CHECK(gox::trace::buildkit_prefix("#12 CACHED", step, status) == 4);
    CHECK(status);
    CHECK(gox::trace::buildkit_prefix("# example.com/a", step, status) == 0);

    std::string_view nested = "2026-12-04T15:00:07.1000000Z #7 [2/2] RUN go build -x .\n"
                              "2026-12-04T15:00:07.2000000Z #7 0.100 WORK=/tmp/go-build1\n"
                              "2026-12-04T15:00:07.3000000Z #7 0.200 cd /src\n";
    c = decode(nested, &f);
    CHECK(f.name() == "github_actions+buildkit");
    CHECK(c.text[1] == "WORK=/tmp/go-build1");
    CHECK(c.stream[2] == 7);
}

TEST_CASE("ci_log: prefixes are only stripped where they are", "[ci_log]") {
    LogLineStripper s(LogFormat{LogStyle::GithubActions, false});
    LogLine l = s.strip("cd /no/prefix/here");
    CHECK(l.text == "cd /no/prefix/here");
    CHECK_FALSE(l.stripped);
    CHECK(gox::trace::github_prefix("2026-12-04T15:00:07Z x") == 21);
    CHECK(gox::trace::github_prefix("2026-12-04T15:00:07.5+01:00 x") == 0);
    CHECK(gox::trace::github_prefix("2026-12-04 15:00:07 x") == 0);
    CHECK(gox::trace::gitlab_prefix("2026-12-04T15:00:07.1Z 00O x") == 27);
    CHECK(gox::trace::gitlab_prefix("2026-12-04T15:00:07.1Z WORK=x") == 0);
}

TEST_CASE("ci_log: the look-ahead is bounded and replayed in order", "[ci_log]") {
    std::vector<std::string> got;
    LogDecoder d([&](const LogLine& l, bool) { got.emplace_back(l.text); });
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < LogDecoder::kLookAheadLines + 5; ++i)
        lines.push_back("2026-12-04T15:00:07.1234567Z line " + std::to_string(i));
    for (std::size_t i = 0; i < LogDecoder::kLookAheadLines - 1; ++i) d.line(lines[i]);
    CHECK_FALSE(d.decided());
    CHECK(got.empty());
    d.line(lines[LogDecoder::kLookAheadLines - 1]);
    CHECK(d.decided());
    CHECK(got.size() == LogDecoder::kLookAheadLines);
    for (std::size_t i = LogDecoder::kLookAheadLines; i < lines.size(); ++i) d.line(lines[i]);
    d.finish();
    REQUIRE(got.size() == lines.size());
    CHECK(got.front() == "line 0");
    CHECK(got.back() == "line " + std::to_string(lines.size() - 1));
    CHECK(d.lines_stripped() == lines.size());
}

TEST_CASE("ci_log: interleaved BuildKit steps give one invocation each", "[ci_log][model]") {
    // Two steps that each build a package: their WORK=, cd and heredocs
    // interleave line by line.
    std::string log = "#8 [a 2/2] RUN go build -x ./a\n"
                      "#9 [b 2/2] RUN go build -x ./b\n"
                      "#8 0.100 WORK=/tmp/go-build111\n"
                      "#9 0.100 WORK=/tmp/go-build222\n"
                      "#8 0.101 mkdir -p $WORK/b001/\n"
                      "#9 0.101 mkdir -p $WORK/b001/\n"
                      "#8 0.102 cat >/tmp/go-build111/b001/importcfg << 'EOF' # internal\n"
                      "#9 0.102 cat >/tmp/go-build222/b001/importcfg << 'EOF' # internal\n"
                      "#8 0.103 # import config\n"
                      "#9 0.103 # import config\n"
                      "#8 0.104 EOF\n"
                      "#9 0.104 EOF\n"
                      "#8 0.105 cd /src/a\n"
                      "#9 0.105 cd /src/b\n"
                      "#8 0.106 /usr/lib/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p example.com/a "
                      "-importcfg $WORK/b001/importcfg -pack ./a.go\n"
                      "#9 0.106 /usr/lib/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p example.com/b "
                      "-importcfg $WORK/b001/importcfg -pack ./b.go\n"
                      "#8 DONE 0.2s\n"
                      "#9 DONE 0.2s\n";
    gox::model::Build b = gox::model::parse_trace_text(log);
    REQUIRE(b.invocation_count() == 2);
    CHECK(b.invocations[0].work_dir == "/tmp/go-build111");
    CHECK(b.invocations[1].work_dir == "/tmp/go-build222");
    REQUIRE(b.packages.size() == 2);
    CHECK(b.packages[0].import_path == "example.com/a");
    CHECK(b.packages[0].invocation == 0);
    CHECK(b.packages[1].import_path == "example.com/b");
    CHECK(b.packages[1].invocation == 1);
    CHECK(b.lines.unrecognized == 0);
    CHECK(b.lines.heredocs_cut == 0);
    REQUIRE(b.log);
    CHECK(b.log->format == "buildkit");
    CHECK(b.log->streams == 2);
    CHECK(b.log->ci_lines == 4);
    // The same lines without prefixes, read as one stream, would mix the
    // steps: the demultiplexing is what keeps them apart.
    gox::model::Build bare = gox::model::parse_trace_text(std::string(kBare));
    CHECK_FALSE(bare.log);
}

TEST_CASE("tokenizer: a pasted command line behind a prompt or marker", "[tokenizer][ci_log]") {
    gox::trace::Tokenizer tok;
    const std::string compile =
        "/usr/lib/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -trimpath \"$WORK/b001=>\" -p main ./main.go";
    tok.feed("WORK=/tmp/go-build1");
    // (A prompt that is one word of letters, "user@host:~/app$ ", already
    // reads as a -toolexec program: a compile either way.)
    for (std::string junk : {"> ", "\xF0\x9F\x94\xA8 ", "user@host:~/app$ ", "\xE2\x96\xB6 step: "}) {
        const std::string line = junk + compile; // the event's views point into the line fed
        const auto& ev = tok.feed(line);
        INFO(junk);
        CHECK(ev.kind == Kind::Compile);
        CHECK(ev.objdir == 1);
        CHECK(ev.text == "main");
        CHECK(ev.line.size() == junk.size() + compile.size());
    }
    CHECK_FALSE(tok.feed("> " + compile).toolexec);
    const auto& link = tok.feed("> /usr/lib/go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg "
                                "$WORK/b001/importcfg.link -buildmode=exe $WORK/b001/_pkg_.a");
    CHECK(link.kind == Kind::Link);
    // Not rescued: a tool path that is not the command, an error about the tool.
    CHECK(tok.feed("> fork/exec /usr/lib/go/pkg/tool/linux_amd64/compile: no such file or directory").kind ==
          Kind::Unrecognized);
    CHECK(tok.feed("> see /usr/lib/go/pkg/tool/ for tools").kind == Kind::Unrecognized);
    // Junk longer than a prompt is not junk.
    CHECK(tok.feed(std::string(80, '~') + " " + compile).kind == Kind::Unrecognized);
    // The wrapper turns it off: go's own stderr stays as go shows it.
    gox::trace::Tokenizer wrapper;
    wrapper.set_pasted_commands(false);
    CHECK(wrapper.feed("> " + compile).kind == Kind::Unrecognized);
}

TEST_CASE("ci_log: BuildKit steps past the stream cap share one stream", "[ci_log][model]") {
    // A hostile log with many steps keeps a bounded number of tokenizers and
    // builders; every WORK= still starts an invocation.
    std::string log;
    for (int step = 1; step <= 100; ++step)
        log += "#" + std::to_string(step) + " 0.100 WORK=/tmp/go-build" + std::to_string(step) + "\n";
    gox::model::Build b = gox::model::parse_trace_text(log);
    CHECK(b.invocation_count() == 100);
    REQUIRE(b.log);
    CHECK(b.log->streams == 63);
    CHECK(std::count_if(b.notes.begin(), b.notes.end(), [](const std::string& n) {
              return n.find("more than 63 BuildKit steps") != std::string::npos;
          }) == 1);
}
