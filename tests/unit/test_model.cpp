// Unit tests for the build model (src/gox/model/build.*) and the
// -debug-actiongraph reader (src/gox/model/actiongraph.*).
//
// Hand-written traces use the exact line shapes of real go output (copied
// from trace_samples/*.trace, hashes replaced by synthetic 64-hex values).
// The trace_samples tests assert facts checked by reading those files
// (grep counts, the first importcfg.link line, block headers); where a count
// can be recomputed from the file with a plain text scan, the test does both.
#include <catch2/catch.hpp>

#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>
#include <gox/report/report.hpp>
#include <gox/trace/event.hpp>
#include <gox/trace/tokenizer.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using gox::model::Action;
using gox::model::Build;
using gox::model::Outcome;
using gox::model::Package;
using gox::trace::Kind;

namespace Catch {
template <> struct StringMaker<Outcome> {
    static std::string convert(Outcome o) { return std::string(gox::model::outcome_name(o)); }
};
} // namespace Catch

namespace {

const std::string kToolDir = "/usr/local/go/pkg/tool/linux_amd64/";
const std::string kTool19 = "/usr/lib/go-1.19/pkg/tool/linux_amd64/";
const std::string kCacheDir = "/home/u/.cache/go-build";

// "<root>/<xx>/<xx + 62 hex>-d"
std::string entry(const std::string& two, char fill = 'a', const std::string& root = kCacheDir) {
    return root + "/" + two + "/" + two + std::string(62, fill) + "-d";
}

std::string compile(int objdir, const std::string& pkg, const std::string& files, const std::string& tool = kToolDir,
                    const std::string& goversion = "go1.22.3") {
    char b[16];
    std::snprintf(b, sizeof b, "b%03d", objdir);
    std::string o = std::string("$WORK/") + b;
    return tool + "compile -o " + o + "/_pkg_.a -trimpath \"" + o + "=>\" -p " + pkg +
           " -lang=go1.22 -complete -buildid AAAA/AAAA -goversion " + goversion + " -c=4 -nolocalimports -importcfg " +
           o + "/importcfg -pack " + files;
}

std::string join(std::initializer_list<std::string> lines) {
    std::string s;
    for (auto& l : lines) {
        s += l;
        s += '\n';
    }
    return s;
}

std::size_t kind_count(const Build& b, Kind k) { return b.lines.by_kind[static_cast<std::size_t>(k)]; }
std::uint32_t act(const Package& p, Action a) { return p.actions[static_cast<std::size_t>(a)]; }

std::vector<const Package*> find_all(const Build& b, const std::string& path) {
    std::vector<const Package*> out;
    for (auto& p : b.packages)
        if (p.import_path == path) out.push_back(&p);
    return out;
}

const Package* find_obj(const Build& b, int objdir, int inv = 0) {
    for (auto& p : b.packages)
        if (p.objdir == objdir && p.invocation == inv) return &p;
    return nullptr;
}

const Package& only(const Build& b, const std::string& path) {
    auto v = find_all(b, path);
    INFO("package " << path);
    REQUIRE(v.size() == 1);
    return *v[0];
}

// ---- trace_samples --------------------------------------------------------

bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string parent(std::string d) {
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    auto s = d.rfind('/');
    if (s == std::string::npos) return ".";
    return s == 0 ? "/" : d.substr(0, s);
}

// The trace_samples directory: $GOX_TRACE_SAMPLES, or found by walking up
// from the working directory, from the test binary, and from this source
// file (meson passes a path relative to the build directory).
std::string samples_dir() {
    static const std::string dir = [] {
        const std::string probe = "/go119-cold-build.trace";
        if (const char* env = std::getenv("GOX_TRACE_SAMPLES"))
            if (is_file(std::string(env) + probe)) return std::string(env);
        std::vector<std::string> starts;
        char buf[4096];
        if (::getcwd(buf, sizeof buf)) starts.emplace_back(buf);
        ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n > 0) {
            std::string exe_dir = parent(std::string(buf, static_cast<std::size_t>(n)));
            starts.push_back(exe_dir);
            std::string src = parent(__FILE__);
            if (!src.empty() && src[0] != '/') {
                starts.push_back(exe_dir + "/" + src);
                starts.push_back(parent(exe_dir) + "/" + src);
            } else {
                starts.push_back(src);
            }
        }
        for (std::string d : starts) {
            for (int i = 0; i < 8; ++i) {
                if (is_file(d + "/trace_samples" + probe)) return d + "/trace_samples";
                std::string up = parent(d);
                if (up == d) break;
                d = up;
            }
        }
        return std::string();
    }();
    return dir;
}

std::string sample_path(const std::string& name) {
    std::string d = samples_dir();
    INFO("trace_samples/ not found; set GOX_TRACE_SAMPLES");
    REQUIRE(!d.empty());
    return d + "/" + name;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO(path);
    REQUIRE(in);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Build parse_sample(const std::string& name) {
    std::string p = sample_path(name + ".trace");
    int fd = ::open(p.c_str(), O_RDONLY);
    INFO(p);
    REQUIRE(fd >= 0);
    Build b = gox::model::parse_trace_fd(fd);
    ::close(fd);
    return b;
}

// grep -c: lines of text containing needle.
std::size_t grep_c(const std::string& text, std::string_view needle) {
    std::size_t n = 0, pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
        if (line.find(needle) != std::string_view::npos) ++n;
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    return n;
}

std::size_t line_count(const std::string& text) {
    std::size_t n = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    if (!text.empty() && text.back() != '\n') ++n;
    return n;
}

} // namespace

// ===========================================================================
// Outcomes.

TEST_CASE("model: rebuilt, cache hit and 1.19 installed packages", "[model]") {
    const std::string dep = entry("ab");
    const std::string text = join({
        "WORK=/tmp/go-build3540937825",
        "mkdir -p $WORK/b002/",
        "cat >$WORK/b002/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/app/dep=" + dep,
        "packagefile fmt=/usr/lib/go-1.19/pkg/linux_amd64/fmt.a",
        "packagefile internal/fmtsort=/usr/lib/go-1.19/pkg/linux_amd64/internal/fmtsort.a",
        "EOF",
        "cd /home/u/proj",
        compile(2, "example.com/app/util", "./util/util.go", kTool19, "go1.19.8"),
        kTool19 + "buildid -w $WORK/b002/_pkg_.a # internal",
        "cp $WORK/b002/_pkg_.a " + entry("cd") + " # internal",
    });
    Build b = gox::model::parse_trace_text(text);

    REQUIRE(b.invocations.size() == 1);
    CHECK(b.invocations[0].work_dir == "/tmp/go-build3540937825");
    CHECK(b.invocations[0].gocache == kCacheDir);
    CHECK(b.invocations[0].go_version == "go1.19.8");
    CHECK(b.go_version == "go1.19.8");

    REQUIRE(b.packages.size() == 4);
    const Package& util = only(b, "example.com/app/util");
    CHECK(util.outcome == Outcome::Rebuilt);
    CHECK(util.evidence == "compile");
    CHECK(util.objdir == 2);
    CHECK_FALSE(util.standard);
    CHECK_FALSE(util.main);
    CHECK(act(util, Action::Compile) == 1);
    CHECK(act(util, Action::BuildId) == 1);
    CHECK(act(util, Action::CacheStore) == 1);

    const Package& d = only(b, "example.com/app/dep");
    CHECK(d.outcome == Outcome::CacheHit);
    CHECK(d.evidence == "packagefile_from_cache");
    CHECK(d.objdir == -1);
    CHECK_FALSE(d.standard);

    const Package& fmt = only(b, "fmt");
    CHECK(fmt.outcome == Outcome::Installed);
    CHECK(fmt.evidence == "packagefile_from_goroot_pkg");
    CHECK(fmt.standard);
    CHECK(only(b, "internal/fmtsort").outcome == Outcome::Installed);

    CHECK(b.count(Outcome::Rebuilt) == 1);
    CHECK(b.count(Outcome::CacheHit) == 1);
    CHECK(b.count(Outcome::Installed) == 2);
    CHECK(b.count(Outcome::Failed) == 0);
    CHECK_FALSE(b.failed());
    // Sorted by import path.
    CHECK(b.packages[0].import_path == "example.com/app/dep");
    CHECK(b.packages[3].import_path == "internal/fmtsort");
}

TEST_CASE("model: compile error block makes a compile failure", "[model][failure]") {
    const std::string text = join({
        "WORK=/tmp/go-build2127507595",
        "mkdir -p $WORK/b002/",
        "echo '# import config' > $WORK/b002/importcfg # internal",
        "cd /home/u/proj",
        compile(2, "example.com/broken/lib", "./lib/lib.go"),
        "mkdir -p $WORK/b003/",
        "echo '# import config' > $WORK/b003/importcfg # internal",
        compile(3, "example.com/broken/ok", "./ok/ok.go"),
        "# example.com/broken/lib",
        "lib/lib.go:6:9: cannot use \"forty-two\" (untyped string constant) as int value in return statement",
        "lib/lib.go:7:2: undefined: y",
        "\thave (int)",
        "too many errors",
        "go tool buildid -w $WORK/b003/_pkg_.a # internal",
        "cp $WORK/b003/_pkg_.a " + entry("3f") + " # internal",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    const auto& f = b.failures[0];
    CHECK(f.kind == "compile");
    CHECK(f.import_path == "example.com/broken/lib");
    CHECK(f.line_count == 4);
    REQUIRE(f.first_lines.size() == 4);
    CHECK(f.first_lines[0] ==
          "lib/lib.go:6:9: cannot use \"forty-two\" (untyped string constant) as int value in return statement");
    CHECK(f.first_lines[2] == "\thave (int)");
    CHECK(f.invocation == 0);
    CHECK(b.failed());

    const Package& lib = only(b, "example.com/broken/lib");
    CHECK(lib.outcome == Outcome::Failed);
    CHECK(lib.evidence == "compile_failed");
    CHECK(lib.objdir == 2);
    const Package& ok = only(b, "example.com/broken/ok");
    CHECK(ok.outcome == Outcome::Rebuilt);
    CHECK(b.count(Outcome::Failed) == 1);

    CHECK(kind_count(b, Kind::UserHeader) == 1);
    CHECK(kind_count(b, Kind::UserOutput) == 4);
    CHECK(b.lines.user == 5);
}

TEST_CASE("model: 1.20/1.21 'go build P:' prefix is part of the block, not a second failure", "[model][failure]") {
    // Format spec §7.1: when the desc does not start with the import path,
    // 1.20-1.21 print "go build <importpath>:\n# <desc>\n<output>" as one error.
    // (Fix in build.cpp on_go_message: the bare prefix line made a second
    // "go" failure with no package.)
    const std::string text = join({
        "WORK=/tmp/go-build1",
        "mkdir -p $WORK/b002/",
        "cd /home/u/proj",
        compile(2, "example.com/app/util", "./util/util.go ./util/util_test.go", kToolDir, "go1.21.0"),
        "go build example.com/app/util:",
        "# example.com/app/util [example.com/app/util.test]",
        "util/util_test.go:3:1: undefined: x",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].kind == "compile");
    CHECK(b.failures[0].import_path == "example.com/app/util");
    CHECK(b.failures[0].first_lines == std::vector<std::string>{"util/util_test.go:3:1: undefined: x"});
    CHECK(only(b, "example.com/app/util").outcome == Outcome::Failed);

    // The same prefix with a message after the colon is an error of its own.
    Build c = gox::model::parse_trace_text("WORK=/tmp/go-build1\ngo build example.com/app/util: open /tmp/x: no space left on device\n");
    REQUIRE(c.failures.size() == 1);
    CHECK(c.failures[0].kind == "go");
}

TEST_CASE("model: a long failure keeps the first lines and the count", "[model][failure]") {
    std::string text = join({"WORK=/tmp/go-build1", "mkdir -p $WORK/b002/", "cd /home/u/proj",
                             compile(2, "example.com/app/lib", "./lib/lib.go"), "# example.com/app/lib"});
    for (int i = 1; i <= 25; ++i) text += "lib/lib.go:" + std::to_string(i) + ":1: undefined: v" + std::to_string(i) + "\n";
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].line_count == 25);
    REQUIRE(b.failures[0].first_lines.size() == 10);
    CHECK(b.failures[0].first_lines[9] == "lib/lib.go:10:1: undefined: v10");
    CHECK(only(b, "example.com/app/lib").outcome == Outcome::Failed);
}

TEST_CASE("model: a failed main package is named by its # header", "[model][failure]") {
    // No importcfg.link is written when main fails to compile.
    const std::string text = join({
        "WORK=/tmp/go-build1",
        "mkdir -p $WORK/b001/",
        "echo '# import config' > $WORK/b001/importcfg # internal",
        "cd /home/u/proj",
        compile(1, "main", "./cmd/app/main.go"),
        "# example.com/app/cmd/app",
        "cmd/app/main.go:5:2: undefined: x",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.packages.size() == 1);
    const Package& p = b.packages[0];
    CHECK(p.import_path == "example.com/app/cmd/app");
    CHECK(p.objdir == 1);
    CHECK(p.main);
    CHECK(p.outcome == Outcome::Failed);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].kind == "compile");
    CHECK(b.failures[0].import_path == "example.com/app/cmd/app");
}

TEST_CASE("model: link failure", "[model][failure]") {
    const std::string text = join({
        "WORK=/tmp/go-build1",
        "mkdir -p $WORK/b001/",
        "cat >/tmp/go-build1/b001/importcfg.link << 'EOF' # internal",
        "packagefile example.com/app/cmd/app=" + entry("a4"),
        "packagefile runtime/cgo=" + entry("5d"),
        "modinfo \"x\"",
        "EOF",
        "mkdir -p $WORK/b001/exe/",
        "cd .",
        "GOROOT='/usr/local/go' " + kToolDir +
            "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe -buildid=A/B/C/A "
            "-extld=gcc " + entry("a4"),
        "# example.com/app/cmd/app",
        "/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1",
        "/usr/bin/ld: cannot find -lfoo: No such file or directory",
        "collect2: error: ld returned 1 exit status",
        "",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].kind == "link");
    CHECK(b.failures[0].import_path == "example.com/app/cmd/app");
    CHECK(b.failures[0].line_count == 4);
    CHECK(b.failures[0].first_lines[0] == "/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1");
    // The main package itself came from the cache; only the link failed.
    const Package* m = find_obj(b, 1);
    REQUIRE(m);
    CHECK(m->import_path == "example.com/app/cmd/app");
    CHECK(m->outcome == Outcome::CacheHit);
    CHECK(act(*m, Action::Link) == 1);
    CHECK(act(*m, Action::Install) == 0);
}

TEST_CASE("model: vet failure (1.22+ two-line header)", "[model][failure]") {
    const std::string text = join({
        "WORK=/tmp/go-build3226708576",
        "mkdir -p $WORK/b125/",
        "cat >/tmp/go-build3226708576/b125/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile fmt=" + entry("a2"),
        "packagefile testing=" + entry("fa"),
        "EOF",
        "cd /home/u/proj",
        compile(125, "example.com/vetbroken/report", "./report/report.go ./report/report_test.go"),
        "go tool buildid -w $WORK/b125/_pkg_.a # internal",
        "cp $WORK/b125/_pkg_.a " + entry("3f") + " # internal",
        "cat >/tmp/go-build3226708576/b125/vet.cfg << 'EOF' # internal",
        "{",
        "\t\"ID\": \"example.com/vetbroken/report\",",
        "\t\"Compiler\": \"gc\",",
        "\t\"Dir\": \"/home/u/proj/report\",",
        "\t\"ImportPath\": \"example.com/vetbroken/report\",",
        "\t\"VetxOnly\": false,",
        "\t\"VetxOutput\": \"/tmp/go-build3226708576/b125/vet.out\",",
        "\t\"SucceedOnTypecheckFailure\": false",
        "}",
        "EOF",
        "cd /home/u/proj/report",
        "TERM='dumb' " + kToolDir +
            "vet -atomic -bool -buildtags -directive -errorsas -ifaceassert -nilfunc -printf -slog -stringintconv "
            "-tests $WORK/b125/vet.cfg",
        "# example.com/vetbroken/report",
        "# [example.com/vetbroken/report]",
        "report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string",
        "rm -rf $WORK/b001/",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    const auto& f = b.failures[0];
    CHECK(f.kind == "vet");
    CHECK(f.import_path == "example.com/vetbroken/report");
    CHECK(f.line_count == 1); // the "# [desc]" header is not an output line
    REQUIRE(f.first_lines.size() == 1);
    CHECK(f.first_lines[0] == "report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string");
    // The compile itself succeeded.
    const Package& p = only(b, "example.com/vetbroken/report");
    CHECK(p.outcome == Outcome::Rebuilt);
    CHECK(act(p, Action::Vet) == 1);
}

TEST_CASE("model: FAIL [build failed] on stdout is a failure", "[model][failure]") {
    const std::string text = join({
        "WORK=/tmp/go-build1",
        "FAIL\texample.com/testbroken/calc [build failed]",
        "ok  \texample.com/testbroken/other\t0.002s",
        "ok  \texample.com/sample/internal/greet\t(cached)",
        "?   \texample.com/sample/cmd/sample\t[no test files]",
        "FAIL\texample.com/testfail/clock\t0.002s",
        "FAIL\texample.com/setup/x [setup failed]",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.tests.size() == 6);
    CHECK(b.tests[0].import_path == "example.com/testbroken/calc");
    CHECK(b.tests[0].status == "build_failed");
    CHECK(b.tests[1].status == "ok");
    CHECK_FALSE(b.tests[1].cached);
    CHECK(b.tests[2].import_path == "example.com/sample/internal/greet");
    CHECK(b.tests[2].status == "ok");
    CHECK(b.tests[2].cached);
    CHECK(b.tests[3].status == "no_test_files");
    CHECK(b.tests[3].import_path == "example.com/sample/cmd/sample");
    CHECK(b.tests[4].status == "fail");
    CHECK(b.tests[5].status == "setup_failed");
    CHECK(b.tests[5].import_path == "example.com/setup/x");

    REQUIRE(b.failures.size() == 3);
    CHECK(b.failures[0].kind == "build");
    CHECK(b.failures[0].import_path == "example.com/testbroken/calc");
    CHECK(b.failures[1].kind == "test");
    CHECK(b.failures[1].import_path == "example.com/testfail/clock");
    CHECK(b.failures[2].kind == "build");
    CHECK(b.failed());
    CHECK(kind_count(b, Kind::TestOutput) == 6);
}

TEST_CASE("model: go: messages — informational vs errors", "[model][failure]") {
    const std::string text = join({
        "go: downloading example.com/dep v1.2.3",
        "WORK=/tmp/go-build1",
        "go: finding module for package example.com/x",
        "go: example.com/app/util: missing go.sum entry",
        "go build example.com/app/util: open /tmp/x: no space left on device",
    });
    Build b = gox::model::parse_trace_text(text);
    CHECK(kind_count(b, Kind::GoMessage) == 4);
    REQUIRE(b.failures.size() == 2);
    CHECK(b.failures[0].kind == "go");
    CHECK(b.failures[0].first_lines[0] == "go: example.com/app/util: missing go.sum entry");
    CHECK(b.failures[1].kind == "go");
}

TEST_CASE("model: cache replay then # pkg block is a cache hit, not a failure", "[model][cache]") {
    // trace_samples/go126-gcflags-m-cached.trace, with a synthetic hash.
    const std::string text = join({
        "WORK=/tmp/go-build2838058113",
        "cat " + entry("e0", 'b', "/tmp/gox-capture/cache-go126-main") + "  # internal",
        "# example.com/sample/internal/words",
        "internal/words/words.go:7:6: can inline Title",
        "internal/words/words.go:7:12: s does not escape",
        "internal/words/words.go:8:14: ([]rune)(s) does not escape",
        "internal/words/words.go:12:16: string(r) escapes to heap",
    });
    Build b = gox::model::parse_trace_text(text);
    CHECK(b.failures.empty());
    CHECK_FALSE(b.failed());
    REQUIRE(b.packages.size() == 1);
    const Package& p = b.packages[0];
    CHECK(p.import_path == "example.com/sample/internal/words");
    CHECK(p.outcome == Outcome::CacheHit);
    CHECK(p.evidence == "cache_replay");
    CHECK(p.objdir == -1);
    CHECK(act(p, Action::CacheReplay) == 1);
    REQUIRE(b.invocations.size() == 1);
    CHECK(b.invocations[0].gocache == "/tmp/gox-capture/cache-go126-main");
    CHECK(b.lines.total == 7);
    CHECK(b.lines.trace == 2);
    CHECK(b.lines.user == 5);

    // A replay for a package that the trace also lists from the cache: one
    // package, still a hit.
    const std::string words = entry("e9");
    const std::string text2 = join({
        "WORK=/tmp/go-build1",
        "mkdir -p $WORK/b002/",
        "cat >/tmp/go-build1/b002/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/sample/internal/words=" + words,
        "packagefile strings=" + entry("5d"),
        "EOF",
        "cd /home/u/proj",
        compile(2, "example.com/sample/internal/greet", "./internal/greet/greet.go"),
        "cat " + entry("e0") + "  # internal",
        "# example.com/sample/internal/words",
        "internal/words/words.go:7:6: can inline Title",
        "go tool buildid -w $WORK/b002/_pkg_.a # internal",
    });
    Build b2 = gox::model::parse_trace_text(text2);
    CHECK(b2.failures.empty());
    const Package& w = only(b2, "example.com/sample/internal/words");
    CHECK(w.outcome == Outcome::CacheHit);
    CHECK(act(w, Action::CacheReplay) == 1);
}

TEST_CASE("model: warnings of a successful compile are not a failure", "[model][cache]") {
    // -gcflags=-m on a rebuilt package: the block comes after buildid -w.
    const std::string text = join({
        "WORK=/tmp/go-build1",
        "mkdir -p $WORK/b053/",
        "cat >/tmp/go-build1/b053/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile unicode=" + entry("5d"),
        "EOF",
        "cd /home/u/proj",
        compile(53, "example.com/sample/internal/words", "./internal/words/words.go"),
        "go tool buildid -w $WORK/b053/_pkg_.a # internal",
        "cp $WORK/b053/_pkg_.a " + entry("e9") + " # internal",
        "# example.com/sample/internal/words",
        "internal/words/words.go:7:6: can inline Title",
        "internal/words/words.go:12:16: string(r) escapes to heap",
    });
    Build b = gox::model::parse_trace_text(text);
    CHECK(b.failures.empty());
    CHECK(only(b, "example.com/sample/internal/words").outcome == Outcome::Rebuilt);
}

// ===========================================================================
// Main packages.

TEST_CASE("model: -p main resolved from the first importcfg.link line", "[model][main]") {
    const std::string text = join({
        "WORK=/tmp/go-build158367065",
        "mkdir -p $WORK/b001/",
        "cat >/tmp/go-build158367065/b001/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/app/internal/greet=" + entry("65"),
        "packagefile fmt=" + entry("4b"),
        "EOF",
        "cd /home/u/proj",
        compile(1, "main", "./cmd/app/main.go"),
        "go tool buildid -w $WORK/b001/_pkg_.a # internal",
        "cp $WORK/b001/_pkg_.a " + entry("e0") + " # internal",
        "cat >/tmp/go-build158367065/b001/importcfg.link << 'EOF' # internal",
        "packagefile example.com/app/cmd/app=/tmp/go-build158367065/b001/_pkg_.a",
        "packagefile example.com/app/internal/greet=" + entry("65"),
        "packagefile fmt=" + entry("4b"),
        "packagefile runtime=" + entry("02"),
        R"(modinfo "0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6path\texample.com/app/cmd/app\n")",
        "EOF",
        "mkdir -p $WORK/b001/exe/",
        "cd .",
        "GOROOT='/usr/local/go' " + kToolDir +
            "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe "
            "-buildid=AAAA/BBBB/CCCC/AAAA -extld=gcc $WORK/b001/_pkg_.a",
        "go tool buildid -w $WORK/b001/exe/a.out # internal",
        "mkdir -p /home/u/proj/bin/",
        "mv $WORK/b001/exe/a.out /home/u/proj/bin/app",
        "rm -rf $WORK/b001/",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.packages.size() == 4);
    const Package& m = only(b, "example.com/app/cmd/app");
    CHECK(m.objdir == 1);
    CHECK(m.main);
    CHECK(m.outcome == Outcome::Rebuilt);
    CHECK(m.evidence == "compile");
    CHECK(act(m, Action::Compile) == 1);
    CHECK(act(m, Action::Link) == 1);
    CHECK(act(m, Action::BuildId) == 2); // the archive and the executable
    CHECK(act(m, Action::CacheStore) == 1);
    CHECK(act(m, Action::Install) == 1);
    CHECK(find_all(b, "main").empty());
    // Deps seen in both importcfgs are listed once.
    CHECK(only(b, "example.com/app/internal/greet").outcome == Outcome::CacheHit);
    CHECK(only(b, "fmt").outcome == Outcome::CacheHit);
    CHECK(only(b, "fmt").standard);
    CHECK(only(b, "runtime").outcome == Outcome::CacheHit);
    CHECK(b.count(Outcome::Rebuilt) == 1);
    CHECK(b.count(Outcome::CacheHit) == 3);
    CHECK(kind_count(b, Kind::Link) == 1);
    CHECK(kind_count(b, Kind::Move) == 1);
    CHECK(kind_count(b, Kind::Remove) == 1);
}

TEST_CASE("model: main package cache hit when the link input is a GOCACHE entry", "[model][main]") {
    // The shape of trace_samples/go126-install.trace.
    const std::string main_entry = entry("a4");
    const std::string text = join({
        "WORK=/tmp/go-build4201300408",
        "mkdir -p $WORK/b001/",
        "cat >/tmp/go-build4201300408/b001/importcfg.link << 'EOF' # internal",
        "packagefile example.com/sample/cmd/sample=" + main_entry,
        "packagefile example.com/sample/internal/greet=" + entry("65"),
        "packagefile fmt=" + entry("4b"),
        "modinfo \"x\"",
        "EOF",
        "mkdir -p $WORK/b001/exe/",
        "cd .",
        "GOROOT='/usr/local/go' " + kToolDir +
            "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe -buildid=A/B/C/A "
            "-extld=gcc " + main_entry,
        "go tool buildid -w $WORK/b001/exe/a.out # internal",
        "mkdir -p /home/u/go/bin/",
        "mv $WORK/b001/exe/a.out /home/u/go/bin/sample",
        "rm -rf $WORK/b001/",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.packages.size() == 3);
    const Package& m = only(b, "example.com/sample/cmd/sample");
    CHECK(m.objdir == 1);
    CHECK(m.main);
    CHECK(m.outcome == Outcome::CacheHit);
    CHECK(m.evidence == "link_input_from_cache");
    CHECK(act(m, Action::Compile) == 0);
    CHECK(act(m, Action::Link) == 1);
    CHECK(act(m, Action::Install) == 1);
    CHECK(b.count(Outcome::CacheHit) == 3);
    CHECK(b.count(Outcome::Rebuilt) == 0);
    CHECK(b.invocations[0].gocache == kCacheDir);
}

// ===========================================================================
// Tests.

TEST_CASE("model: test variant, external _test package and testmain", "[model][test]") {
    // The shape of trace_samples/go126-test.trace for internal/greet.
    const std::string W = "/tmp/go-build3029433206";
    const std::string words = entry("e9"), os = entry("4b"), testing = entry("fa");
    const std::string text = join({
        "WORK=" + W,
        "mkdir -p $WORK/b080/",
        "mkdir -p $WORK/b068/",
        "cat >" + W + "/b068/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/sample/internal/words=" + words,
        "EOF",
        "cd /home/u/proj",
        compile(68, "example.com/sample/internal/greet", "./internal/greet/greet.go ./internal/greet/greet_test.go"),
        "go tool buildid -w $WORK/b068/_pkg_.a # internal",
        "cp $WORK/b068/_pkg_.a " + entry("9e") + " # internal",
        "mkdir -p $WORK/b131/",
        "cat >" + W + "/b131/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/sample/internal/greet=" + W + "/b068/_pkg_.a",
        "EOF",
        compile(131, "example.com/sample/internal/greet_test", "./internal/greet/example_test.go"),
        "go tool buildid -w $WORK/b131/_pkg_.a # internal",
        "cp $WORK/b131/_pkg_.a " + entry("6b") + " # internal",
        "cat >" + W + "/b080/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile example.com/sample/internal/greet=" + W + "/b068/_pkg_.a",
        "packagefile example.com/sample/internal/greet_test=" + W + "/b131/_pkg_.a",
        "packagefile os=" + os,
        "packagefile testing=" + testing,
        "EOF",
        compile(80, "main", "$WORK/b080/_testmain.go"),
        "go tool buildid -w $WORK/b080/_pkg_.a # internal",
        "cp $WORK/b080/_pkg_.a " + entry("07") + " # internal",
        "cat >" + W + "/b080/importcfg.link << 'EOF' # internal",
        "packagefile example.com/sample/internal/greet.test=" + W + "/b080/_pkg_.a",
        "packagefile example.com/sample/internal/greet=" + W + "/b068/_pkg_.a",
        "packagefile example.com/sample/internal/greet_test=" + W + "/b131/_pkg_.a",
        "packagefile os=" + os,
        "packagefile testing=" + testing,
        "packagefile example.com/sample/internal/words=" + words,
        R"(modinfo "0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6path\texample.com/sample/internal/greet.test\n")",
        "EOF",
        "cd .",
        "GOROOT='/usr/local/go' " + kToolDir +
            "link -o $WORK/b080/greet.test -importcfg $WORK/b080/importcfg.link -s -w -buildmode=exe "
            "-buildid=a/b/c/a -extld=gcc $WORK/b080/_pkg_.a",
        "go tool buildid -w $WORK/b080/greet.test # internal",
        "$WORK/b080/greet.test -test.testlogfile=$WORK/b080/testlog.txt -test.paniconexit0 -test.timeout=10m0s",
        "rm -rf $WORK/b080/",
        "ok  \texample.com/sample/internal/greet\t0.002s",
    });
    Build b = gox::model::parse_trace_text(text);

    const Package* variant = find_obj(b, 68);
    REQUIRE(variant);
    CHECK(variant->import_path == "example.com/sample/internal/greet");
    CHECK(variant->for_test == "example.com/sample/internal/greet.test");
    CHECK(variant->outcome == Outcome::Rebuilt);

    const Package* xtest = find_obj(b, 131);
    REQUIRE(xtest);
    CHECK(xtest->import_path == "example.com/sample/internal/greet_test");
    CHECK(xtest->for_test == "example.com/sample/internal/greet.test");
    CHECK(xtest->outcome == Outcome::Rebuilt);
    CHECK_FALSE(xtest->standard);

    const Package* tmain = find_obj(b, 80);
    REQUIRE(tmain);
    CHECK(tmain->import_path == "example.com/sample/internal/greet.test");
    CHECK(tmain->main);
    CHECK(tmain->outcome == Outcome::Rebuilt);
    CHECK(act(*tmain, Action::Link) == 1);
    CHECK(act(*tmain, Action::TestRun) == 1);
    CHECK(act(*tmain, Action::BuildId) == 2);

    CHECK(only(b, "example.com/sample/internal/words").outcome == Outcome::CacheHit);
    CHECK(only(b, "example.com/sample/internal/words").for_test.empty());
    CHECK(only(b, "os").outcome == Outcome::CacheHit);
    CHECK(b.packages.size() == 6);
    CHECK(b.count(Outcome::Rebuilt) == 3);

    REQUIRE(b.tests.size() == 1);
    CHECK(b.tests[0].import_path == "example.com/sample/internal/greet");
    CHECK(b.tests[0].status == "ok");
    CHECK(b.failures.empty());
}

TEST_CASE("model: the package and its test variant are two packages", "[model][test]") {
    // greet is built plain (for cmd) and again with its _test.go files.
    const std::string W = "/tmp/go-build7";
    const std::string text = join({
        "WORK=" + W,
        "mkdir -p $WORK/b002/",
        "echo '# import config' > $WORK/b002/importcfg # internal",
        "cd /home/u/proj",
        compile(2, "example.com/app/greet", "./greet/greet.go"),
        "go tool buildid -w $WORK/b002/_pkg_.a # internal",
        "mkdir -p $WORK/b010/",
        "echo '# import config' > $WORK/b010/importcfg # internal",
        compile(10, "example.com/app/greet", "./greet/greet.go ./greet/greet_test.go"),
        "go tool buildid -w $WORK/b010/_pkg_.a # internal",
        "cat >" + W + "/b001/importcfg.link << 'EOF' # internal",
        "packagefile example.com/app/cmd=" + W + "/b001/_pkg_.a",
        "packagefile example.com/app/greet=" + W + "/b002/_pkg_.a",
        "EOF",
        "cat >" + W + "/b009/importcfg.link << 'EOF' # internal",
        "packagefile example.com/app/greet.test=" + W + "/b009/_pkg_.a",
        "packagefile example.com/app/greet=" + W + "/b010/_pkg_.a",
        "EOF",
    });
    Build b = gox::model::parse_trace_text(text);
    auto greets = find_all(b, "example.com/app/greet");
    REQUIRE(greets.size() == 2);
    const Package* plain = find_obj(b, 2);
    const Package* variant = find_obj(b, 10);
    REQUIRE(plain);
    REQUIRE(variant);
    CHECK(plain->import_path == "example.com/app/greet");
    CHECK(plain->for_test.empty());
    CHECK(variant->import_path == "example.com/app/greet");
    CHECK(variant->for_test == "example.com/app/greet.test");
}

// ===========================================================================
// Invocations.

TEST_CASE("model: two WORK= lines are two invocations with separate objdirs", "[model]") {
    auto inv = [](const std::string& W, const std::string& main_path) {
        return join({
            "WORK=" + W,
            "mkdir -p $WORK/b001/",
            "echo '# import config' > $WORK/b001/importcfg # internal",
            "cd /home/u/proj",
            compile(1, "main", "./main.go"),
            "go tool buildid -w $WORK/b001/_pkg_.a # internal",
            "cat >" + W + "/b001/importcfg.link << 'EOF' # internal",
            "packagefile " + main_path + "=" + W + "/b001/_pkg_.a",
            "packagefile fmt=" + entry("4b"),
            "EOF",
            "cd .",
            "GOROOT='/usr/local/go' " + kToolDir + "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link "
                                                "-buildmode=exe -buildid=A/B/C/A -extld=gcc $WORK/b001/_pkg_.a",
        });
    };
    // A generator run by the outer go command prints its own trace.
    const std::string text = inv("/tmp/go-build111", "example.com/app/cmd/a") + inv("/tmp/go-build222", "example.com/app/cmd/b");
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.invocations.size() == 2);
    CHECK(b.invocations[0].work_dir == "/tmp/go-build111");
    CHECK(b.invocations[1].work_dir == "/tmp/go-build222");
    CHECK(b.invocations[0].lines == 12);
    CHECK(b.invocations[1].lines == 12);
    // Each line counts in one invocation (see the fix in build.cpp on_event:
    // the second WORK= line was also counted in the first invocation).
    CHECK(b.invocations[0].lines + b.invocations[1].lines == b.lines.total);

    const Package* a = find_obj(b, 1, 0);
    const Package* c = find_obj(b, 1, 1);
    REQUIRE(a);
    REQUIRE(c);
    CHECK(a->import_path == "example.com/app/cmd/a");
    CHECK(c->import_path == "example.com/app/cmd/b");
    CHECK(a->outcome == Outcome::Rebuilt);
    CHECK(c->outcome == Outcome::Rebuilt);
    CHECK(act(*a, Action::Compile) == 1);
    CHECK(act(*c, Action::Compile) == 1);
    CHECK(act(*a, Action::Link) == 1);
    CHECK(act(*c, Action::Link) == 1);
    // fmt once per invocation.
    auto fmts = find_all(b, "fmt");
    REQUIRE(fmts.size() == 2);
    CHECK(fmts[0]->invocation != fmts[1]->invocation);
    CHECK(b.packages.size() == 4);
}

TEST_CASE("model: lines before the first WORK= and empty input", "[model]") {
    Build empty = gox::model::parse_trace_text("");
    CHECK(empty.lines.total == 0);
    CHECK(empty.packages.empty());
    CHECK(empty.failures.empty());

    // go: downloading comes before WORK=; it must not create a second invocation.
    Build b = gox::model::parse_trace_text("go: downloading example.com/dep v1.2.3\nWORK=/tmp/go-build1\nmkdir -p $WORK/b001/\n");
    REQUIRE(b.invocations.size() == 1);
    CHECK(b.invocations[0].work_dir == "/tmp/go-build1");
    CHECK(b.failures.empty());
}

// ===========================================================================
// Line statistics.

TEST_CASE("model: unrecognized lines are counted with examples", "[model][stats]") {
    std::string text = "WORK=/tmp/go-build1\n";
    for (int i = 0; i < 15; ++i) text += "%%% weird line " + std::to_string(i) + " %%%\n";
    text += std::string(500, '~') + " long\n";
    Build b = gox::model::parse_trace_text(text);
    CHECK(b.lines.total == 17);
    CHECK(b.lines.unrecognized == 16);
    CHECK(kind_count(b, Kind::Unrecognized) == 16);
    // The first ten, clipped.
    REQUIRE(b.lines.unrecognized_examples.size() == 10);
    CHECK(b.lines.unrecognized_examples[0] == "%%% weird line 0 %%%");
    CHECK(b.lines.unrecognized_examples[9] == "%%% weird line 9 %%%");
    CHECK(b.lines.trace == 1);
    CHECK(b.lines.user == 0);
}

TEST_CASE("model: summary counters by kind", "[model][stats]") {
    const std::string text = join({
        "WORK=/tmp/go-build1",                                        // trace
        "mkdir -p $WORK/b002/",                                       // trace
        "cat >$WORK/b002/importcfg << 'EOF' # internal",              // trace
        "# import config",                                            // trace (body)
        "EOF",                                                        // trace
        "cd /home/u/proj",                                            // trace
        compile(2, "example.com/app/util", "./util/util.go"),         // trace
        kToolDir + "buildid -w $WORK/b002/_pkg_.a # internal",           // trace
        "cp $WORK/b002/_pkg_.a " + entry("3f") + " # internal",       // trace
        "example.com/app/util",                                       // user (-v)
        "go: downloading example.com/dep v1.2.3",                     // user
        "",                                                           // user (blank)
        "??? what",                                                   // unrecognized
    });
    Build b = gox::model::parse_trace_text(text);
    CHECK(b.lines.total == 13);
    CHECK(b.lines.trace == 9);
    CHECK(b.lines.user == 3);
    CHECK(b.lines.unrecognized == 1);
    CHECK(b.lines.trace + b.lines.user + b.lines.unrecognized == b.lines.total);
    CHECK(kind_count(b, Kind::WorkDir) == 1);
    CHECK(kind_count(b, Kind::HeredocHeader) == 1);
    CHECK(kind_count(b, Kind::HeredocBody) == 1);
    CHECK(kind_count(b, Kind::HeredocEnd) == 1);
    CHECK(kind_count(b, Kind::Compile) == 1);
    CHECK(kind_count(b, Kind::BuildId) == 1);
    CHECK(kind_count(b, Kind::CacheStore) == 1);
    CHECK(kind_count(b, Kind::PackageName) == 1);
    CHECK(kind_count(b, Kind::GoMessage) == 1);
    CHECK(kind_count(b, Kind::Blank) == 1);
    std::uint64_t sum = 0;
    for (auto n : b.lines.by_kind) sum += n;
    CHECK(sum == b.lines.total);
    CHECK(b.lines.heredocs_cut == 0);
    CHECK(b.notes.empty());
}

TEST_CASE("model: a trace that ends inside a heredoc gets a note", "[model][stats]") {
    Build b = gox::model::parse_trace_text(
        "WORK=/tmp/go-build1\nmkdir -p $WORK/b001/\ncat >$WORK/b001/importcfg.link << 'EOF' # internal\n"
        "packagefile example.com/app=$WORK/b001/_pkg_.a\n");
    CHECK(b.lines.heredocs_cut == 1);
    REQUIRE(b.notes.size() == 1);

    // A heredoc cut by a trace line is counted too, and the cutting line counts as itself.
    Build c = gox::model::parse_trace_text(
        "WORK=/tmp/go-build1\ncat >$WORK/b001/importcfg << 'EOF' # internal\n# import config\nmkdir -p $WORK/b002/\n");
    CHECK(c.lines.heredocs_cut == 1);
    CHECK(kind_count(c, Kind::Mkdir) == 1);
    CHECK(c.notes.empty());
}

TEST_CASE("model: parse_trace_fd counts truncated lines", "[model][stats]") {
    std::string huge = kToolDir + "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -p example.com/big -importcfg "
                               "$WORK/b002/importcfg -pack";
    while (huge.size() < 3u * 1024 * 1024) huge += " ./gen/generated_file.go";
    const std::string data = "WORK=/tmp/go-build1\r\n" + huge + "\r\ngo tool buildid -w $WORK/b002/_pkg_.a # internal\r\n";
    char name[] = "/tmp/gox-unit-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::unlink(name);
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
    Build b = gox::model::parse_trace_fd(fd);
    ::close(fd);
    CHECK(b.lines.total == 3);
    CHECK(b.lines.truncated == 1);
    CHECK(kind_count(b, Kind::Compile) == 1);
    CHECK(kind_count(b, Kind::BuildId) == 1);
    REQUIRE(b.invocations.size() == 1);
    CHECK(b.invocations[0].work_dir == "/tmp/go-build1"); // CRLF handled
    CHECK(only(b, "example.com/big").objdir == 2);
}

// ===========================================================================
// Real traces.

TEST_CASE("samples: every real line is classified", "[model][samples]") {
    const char* names[] = {
        "go119-cgo-build",        "go119-cold-build",       "go119-compile-error", "go119-test",
        "go126-build-all",        "go126-cgo-build",        "go126-cgo-test",      "go126-cold-build",
        "go126-compile-error",    "go126-cross-darwin",     "go126-cross-windows", "go126-edit-comment",
        "go126-edit-string",      "go126-gcflags-m-cached", "go126-gcflags-m",     "go126-install",
        "go126-rebuild-a",        "go126-run-cached",       "go126-run",           "go126-test-build-error",
        "go126-test-cached",      "go126-test-fail",        "go126-test",          "go126-vet-error",
        "go126-warm-noop",        "go127-cgo-build",        "go127-cold-build",    "go127-test",
        "go127-warm-noop",
    };
    for (const char* n : names) {
        INFO(n);
        const std::string text = read_text(sample_path(std::string(n) + ".trace"));
        Build b = parse_sample(n);
        CHECK(b.lines.total == line_count(text));
        CHECK(b.lines.unrecognized == 0);
        CHECK(b.lines.heredocs_cut == 0);
        CHECK(b.lines.truncated == 0);
        CHECK(b.notes.empty());
        CHECK(b.invocations.size() == grep_c(text, "WORK="));
        // One Compile event per compile line (no toolexec in the samples).
        CHECK(kind_count(b, Kind::Compile) == grep_c(text, "/pkg/tool/linux_amd64/compile -o "));
        CHECK(kind_count(b, Kind::Link) == grep_c(text, "/pkg/tool/linux_amd64/link -o "));
        CHECK(kind_count(b, Kind::Vet) == grep_c(text, "/pkg/tool/linux_amd64/vet "));
        CHECK(kind_count(b, Kind::HeredocHeader) == grep_c(text, " << 'EOF' # internal"));
        // Every compile that stored its archive is a rebuilt package.
        CHECK(b.count(Outcome::Rebuilt) + b.count(Outcome::Failed) == kind_count(b, Kind::Compile));
        // Only the three error scenarios show a failure on stderr (test-fail
        // reports on stdout, which is not in the .trace file).
        const std::string sn = n;
        bool errs = sn == "go119-compile-error" || sn == "go126-compile-error" || sn == "go126-test-build-error" ||
                    sn == "go126-vet-error";
        CHECK(b.failures.size() == (errs ? 1u : 0u));
        if (!b.invocations.empty()) CHECK(b.invocations.back().lines == b.lines.total);
    }
}

TEST_CASE("samples: go119-cold-build", "[model][samples]") {
    const std::string text = read_text(sample_path("go119-cold-build.trace"));
    Build b = parse_sample("go119-cold-build");
    // grep -c '/compile -o ' → 3; 'cp … # internal' → 3.
    CHECK(grep_c(text, "/compile -o ") == 3);
    CHECK(kind_count(b, Kind::Compile) == 3);
    CHECK(kind_count(b, Kind::CacheStore) == 3);
    CHECK(b.go_version == "go1.19.8");
    REQUIRE(b.invocations.size() == 1);
    CHECK(b.invocations[0].gocache == "/tmp/gox-capture/cache-go119");

    CHECK(b.count(Outcome::Rebuilt) == 3);
    CHECK(find_obj(b, 32)->import_path == "example.com/sample/internal/words");
    CHECK(find_obj(b, 2)->import_path == "example.com/sample/internal/greet");
    // b001 compiles with -p main; importcfg.link's first line names it.
    const Package* m = find_obj(b, 1);
    REQUIRE(m);
    CHECK(m->import_path == "example.com/sample/cmd/sample");
    CHECK(m->main);
    CHECK(act(*m, Action::Install) == 1);
    // importcfg.link lists 41 GOROOT/pkg/linux_amd64 archives (1.19 installed std).
    CHECK(b.count(Outcome::Installed) == 41);
    CHECK(only(b, "fmt").outcome == Outcome::Installed);
    for (auto& p : b.packages)
        if (p.outcome == Outcome::Installed) CHECK(p.standard);
    CHECK(b.count(Outcome::CacheHit) == 0);
    CHECK(b.packages.size() == 44);
}

TEST_CASE("samples: go126-cold-build and go127-cold-build rebuild everything", "[model][samples]") {
    struct Case {
        const char* name;
        std::size_t compiles, std_compiles;
        const char* version;
    } cases[] = {{"go126-cold-build", 65, 62, "go1.26.8"}, {"go127-cold-build", 63, 60, "go1.27.3"}};
    for (auto& c : cases) {
        INFO(c.name);
        const std::string text = read_text(sample_path(std::string(c.name) + ".trace"));
        Build b = parse_sample(c.name);
        CHECK(grep_c(text, "/compile -o ") == c.compiles);
        CHECK(kind_count(b, Kind::Compile) == c.compiles);
        CHECK(kind_count(b, Kind::CacheStore) == c.compiles);
        CHECK(kind_count(b, Kind::Asm) == grep_c(text, "/pkg/tool/linux_amd64/asm "));
        CHECK(b.count(Outcome::Rebuilt) == c.compiles);
        CHECK(b.count(Outcome::CacheHit) == 0);
        CHECK(b.packages.size() == c.compiles);
        std::size_t std_rebuilt = 0;
        for (auto& p : b.packages) std_rebuilt += p.standard ? 1 : 0;
        CHECK(std_rebuilt == c.std_compiles);
        CHECK(b.go_version == c.version);
        CHECK(only(b, "example.com/sample/cmd/sample").objdir == 1);
        CHECK(only(b, "example.com/sample/cmd/sample").main);
        CHECK(only(b, "runtime").outcome == Outcome::Rebuilt);
    }
}

TEST_CASE("samples: go126-install relinks a cached main package", "[model][samples]") {
    const std::string text = read_text(sample_path("go126-install.trace"));
    Build b = parse_sample("go126-install");
    CHECK(grep_c(text, "/compile -o ") == 0);
    CHECK(kind_count(b, Kind::Link) == 1);
    // importcfg.link holds 65 packagefile lines, all from GOCACHE.
    CHECK(grep_c(text, "packagefile ") == 65);
    CHECK(b.packages.size() == 65);
    CHECK(b.count(Outcome::CacheHit) == 65);
    const Package& m = only(b, "example.com/sample/cmd/sample");
    CHECK(m.objdir == 1);
    CHECK(m.evidence == "link_input_from_cache");
    CHECK(act(m, Action::Install) == 1);
}

TEST_CASE("samples: go126-test variants", "[model][samples]") {
    Build b = parse_sample("go126-test");
    // Checked in the trace: b068 "-p example.com/sample/internal/greet" with
    // greet_test.go, b131 "-p …/greet_test", b080 "-p main" whose
    // importcfg.link starts with "packagefile example.com/sample/internal/greet.test=…/b080/_pkg_.a".
    const Package* v = find_obj(b, 68);
    REQUIRE(v);
    CHECK(v->import_path == "example.com/sample/internal/greet");
    CHECK(v->for_test == "example.com/sample/internal/greet.test");
    CHECK(v->outcome == Outcome::Rebuilt);
    const Package* x = find_obj(b, 131);
    REQUIRE(x);
    CHECK(x->import_path == "example.com/sample/internal/greet_test");
    CHECK(x->for_test == "example.com/sample/internal/greet.test");
    const Package* t = find_obj(b, 80);
    REQUIRE(t);
    CHECK(t->import_path == "example.com/sample/internal/greet.test");
    CHECK(t->main);
    CHECK(act(*t, Action::TestRun) == 1);
    CHECK(kind_count(b, Kind::TestRun) == 1);
    CHECK(kind_count(b, Kind::Compile) == 64);
    CHECK(kind_count(b, Kind::Vet) == 78);
    CHECK(b.failures.empty());
}

TEST_CASE("samples: go126-vet-error", "[model][samples]") {
    Build b = parse_sample("go126-vet-error");
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].kind == "vet");
    CHECK(b.failures[0].import_path == "example.com/vetbroken/report");
    REQUIRE(b.failures[0].first_lines.size() == 1);
    CHECK(b.failures[0].first_lines[0] ==
          "report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string");
    const Package* p = find_obj(b, 125);
    REQUIRE(p);
    CHECK(p->import_path == "example.com/vetbroken/report");
    CHECK(p->outcome == Outcome::Rebuilt);
    CHECK(find_obj(b, 1)->import_path == "example.com/vetbroken/report.test");
    CHECK(kind_count(b, Kind::UserHeader) == 2); // "# pkg" and "# [pkg]"
    CHECK(kind_count(b, Kind::UserOutput) == 1);
}

TEST_CASE("samples: compile errors in 1.19 and 1.26", "[model][samples]") {
    for (const char* n : {"go119-compile-error", "go126-compile-error"}) {
        INFO(n);
        Build b = parse_sample(n);
        REQUIRE(b.failures.size() == 1);
        CHECK(b.failures[0].kind == "compile");
        CHECK(b.failures[0].import_path == "example.com/broken/lib");
        CHECK(b.failures[0].line_count == 1);
        CHECK(b.failures[0].first_lines[0] ==
              "lib/lib.go:6:9: cannot use \"forty-two\" (untyped string constant) as int value in return statement");
        REQUIRE(b.packages.size() == 1);
        CHECK(b.packages[0].objdir == 2);
        CHECK(b.packages[0].outcome == Outcome::Failed);
    }

    Build t = parse_sample("go126-test-build-error");
    REQUIRE(t.failures.size() == 1);
    CHECK(t.failures[0].kind == "compile");
    CHECK(t.failures[0].import_path == "example.com/testbroken/calc");
    CHECK(find_obj(t, 125)->outcome == Outcome::Failed);
    CHECK(find_obj(t, 127)->outcome == Outcome::Rebuilt);
    CHECK(find_obj(t, 126)->import_path == "example.com/testbroken/other.test");
    CHECK(kind_count(t, Kind::TestRun) == 1);
}

TEST_CASE("samples: cache replay and cached go run", "[model][samples]") {
    Build r = parse_sample("go126-gcflags-m-cached");
    CHECK(r.failures.empty());
    REQUIRE(r.packages.size() == 1);
    CHECK(r.packages[0].import_path == "example.com/sample/internal/words");
    CHECK(r.packages[0].outcome == Outcome::CacheHit);
    CHECK(r.packages[0].evidence == "cache_replay");
    CHECK(r.lines.total == 7);
    CHECK(r.lines.user == 5);

    Build run = parse_sample("go126-run-cached");
    CHECK(run.lines.total == 2);
    CHECK(kind_count(run, Kind::RunProgram) == 1);
    CHECK(run.packages.empty());

    Build warm = parse_sample("go126-warm-noop");
    CHECK(warm.lines.total == 1);
    CHECK(warm.packages.empty());
}

TEST_CASE("samples: go126-cgo-test restores cgo files of a cached package", "[model][samples][cgo]") {
    const std::string text = read_text(sample_path("go126-cgo-test.trace"));
    Build b = parse_sample("go126-cgo-test");
    // grep: three "cp <cache>-d $WORK/b002/…" restores (_cgo_gotypes.go,
    // cadd.cgo1.go, _cgo_import.go) for vet of the cached cadd package.
    CHECK(grep_c(text, " $WORK/b002/_cgo_gotypes.go") == 1);
    const Package* cadd = find_obj(b, 2);
    REQUIRE(cadd);
    CHECK(cadd->import_path == "example.com/cgosample/cadd");
    CHECK(cadd->outcome == Outcome::CacheHit);
    // Its archive also appears as a packagefile into the cache: that is the
    // same package (counted once), and the stronger evidence wins.
    CHECK(cadd->evidence == "packagefile_from_cache");
    std::size_t cadd_count = 0;
    for (const auto& p : b.packages)
        if (p.import_path == "example.com/cgosample/cadd" && p.for_test.empty()) ++cadd_count;
    CHECK(cadd_count == 1);
    CHECK(act(*cadd, Action::CacheRestore) == 3);
    CHECK(act(*cadd, Action::Compile) == 0);
    CHECK(kind_count(b, Kind::CacheRestore) == 6);
}

TEST_CASE("samples: go126-gcflags-m output of a rebuilt package is not a failure", "[model][samples]") {
    Build b = parse_sample("go126-gcflags-m");
    CHECK(b.failures.empty());
    CHECK(kind_count(b, Kind::UserHeader) == 1);
    CHECK(only(b, "example.com/sample/internal/words").outcome == Outcome::Rebuilt);
    CHECK(b.count(Outcome::Rebuilt) == 2);
}

TEST_CASE("samples: go119-cgo-build attributes C steps to the cgo package", "[model][samples][cgo]") {
    const std::string text = read_text(sample_path("go119-cgo-build.trace"));
    Build b = parse_sample("go119-cgo-build");
    // grep: five "|| true" probes; three "gcc … -c" compiles run inside
    // $WORK/b002 with relative -o, plus the _cgo_.o link.
    CHECK(grep_c(text, "|| true") == 5);
    CHECK(kind_count(b, Kind::FlagProbe) == 5);
    CHECK(kind_count(b, Kind::CCompile) == 3);
    CHECK(kind_count(b, Kind::CgoLinkProbe) == 1);
    const Package* cadd = find_obj(b, 2);
    REQUIRE(cadd);
    CHECK(cadd->import_path == "example.com/cgosample/cadd");
    CHECK(act(*cadd, Action::CC) == 4);  // needs the objdir of "-o ./_x001.o" (fix in tokenizer.cpp)
    CHECK(act(*cadd, Action::Cgo) == 2); // cgo + cgo -dynimport
    CHECK(act(*cadd, Action::Pack) == 1);
    CHECK(cadd->outcome == Outcome::Rebuilt);
}

// ===========================================================================
// -debug-actiongraph.

TEST_CASE("parse_rfc3339", "[actiongraph]") {
    using gox::model::parse_rfc3339;
    CHECK(parse_rfc3339("2026-11-24T20:55:32Z") == Approx(1795553732.0));
    CHECK(parse_rfc3339("2026-11-24T20:55:32.364740281Z") == Approx(1795553732.364740281).margin(1e-5));
    CHECK(parse_rfc3339("2026-11-24T20:55:32.5+01:00") == Approx(1795553732.5 - 3600).margin(1e-5));
    CHECK(parse_rfc3339("2026-11-24T20:55:32-02:30") == Approx(1795553732.0 + 9000).margin(1e-5));
    CHECK(parse_rfc3339("2000-02-29T12:00:00Z") == Approx(951825600.0));
    CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
    // Go's zero time and garbage are 0.
    CHECK(parse_rfc3339("0001-01-01T00:00:00Z") == 0);
    CHECK(parse_rfc3339("") == 0);
    CHECK(parse_rfc3339("2026-11-24") == 0);
    CHECK(parse_rfc3339("2026-1x-24T20:55:32Z") == 0);
    CHECK(parse_rfc3339("not a time at all, really") == 0);
}

TEST_CASE("parse_actiongraph", "[actiongraph]") {
    const std::string g = R"([
{"ID": 0, "Mode": "link-install", "Package": "example.com/app/cmd/app", "Deps": [1], "Objdir": "/tmp/go-build444/b001/", "Cmd": null},
{"ID": 1, "Mode": "build", "Package": "example.com/app/cmd/app", "Deps": [2, 3], "Objdir": "/tmp/go-build444/b001/",
 "ActionID": "lMXo", "BuildID": "lMXo/SfzT", "TimeStart": "2026-11-24T20:55:32.100Z", "TimeDone": "2026-11-24T20:55:32.350Z",
 "Cmd": ["/usr/local/go/pkg/tool/linux_amd64/compile -o /tmp/go-build444/b001/_pkg_.a -p main"], "Failed": false},
{"ID": 2, "Mode": "build", "Package": "fmt", "Objdir": "/tmp/go-build444/b002/", "BuildID": "x/y", "Cmd": null},
{"ID": 3, "Mode": "build", "Package": "example.com/app/x", "Objdir": "C:\\Users\\u\\AppData\\Local\\Temp\\go-build9\\b1234\\", "Cmd": [], "Failed": true},
{"ID": 4, "Mode": "nop", "Package": "", "Deps": [0]},
7, "junk"
])";
    std::string err;
    auto ag = gox::model::parse_actiongraph(g, err);
    REQUIRE(ag);
    REQUIRE(ag->actions.size() == 5); // non-objects are skipped
    const auto& a1 = ag->actions[1];
    CHECK(a1.id == 1);
    CHECK(a1.mode == "build");
    CHECK(a1.package == "example.com/app/cmd/app");
    CHECK(a1.objdir == "/tmp/go-build444/b001/");
    CHECK(a1.objdir_number == 1);
    CHECK(a1.ran);
    CHECK_FALSE(a1.failed);
    CHECK(a1.deps == std::vector<int>{2, 3});
    CHECK(a1.action_id == "lMXo");
    CHECK(a1.build_id == "lMXo/SfzT");
    CHECK(a1.time_done - a1.time_start == Approx(0.25).margin(1e-5));
    CHECK_FALSE(ag->actions[2].ran); // Cmd null
    CHECK(ag->actions[2].objdir_number == 2);
    CHECK(ag->actions[2].time_start == 0);
    CHECK_FALSE(ag->actions[3].ran); // Cmd []
    CHECK(ag->actions[3].failed);
    CHECK(ag->actions[3].objdir_number == 1234);
    CHECK(ag->actions[4].objdir_number == -1);
    CHECK(ag->actions[4].deps == std::vector<int>{0});

    for (const char* bad : {"", "{}", "not json", "[", "{\"ID\": 1}"}) {
        INFO(bad);
        std::string e;
        CHECK_FALSE(gox::model::parse_actiongraph(bad, e));
        CHECK_FALSE(e.empty());
    }
    std::string e;
    CHECK_FALSE(gox::model::read_actiongraph_file("/nonexistent/gox/graph.json", e));
    CHECK_FALSE(e.empty());
}

TEST_CASE("merge_actiongraph adds cached packages and timings", "[actiongraph]") {
    const std::string W = "/tmp/go-build444";
    Build b = gox::model::parse_trace_text(join({
        "WORK=" + W,
        "mkdir -p $WORK/b001/",
        "cat >" + W + "/b001/importcfg << 'EOF' # internal",
        "# import config",
        "packagefile fmt=" + entry("4b"),
        "EOF",
        "cd /home/u/proj",
        compile(1, "main", "./cmd/app/main.go"),
        "go tool buildid -w $WORK/b001/_pkg_.a # internal",
        "cp $WORK/b001/_pkg_.a " + entry("a4") + " # internal",
    }));
    // Before the merge: main is unnamed (no importcfg.link was written).
    REQUIRE(b.packages.size() == 2);
    CHECK(find_obj(b, 1)->import_path == "main");

    const std::string g = R"([
{"ID": 0, "Mode": "link", "Package": "example.com/app/cmd/app", "Objdir": "/tmp/go-build444/b001/", "Cmd": ["link"]},
{"ID": 1, "Mode": "build", "Package": "example.com/app/cmd/app", "Objdir": "/tmp/go-build444/b001/",
 "TimeStart": "2026-11-24T20:55:32.100Z", "TimeDone": "2026-11-24T20:55:32.350Z", "Cmd": ["compile"]},
{"ID": 2, "Mode": "build", "Package": "fmt", "Objdir": "/tmp/go-build444/b002/", "BuildID": "x/y",
 "TimeStart": "2026-11-24T20:55:32.000Z", "TimeDone": "2026-11-24T20:55:32.002Z", "Cmd": null},
{"ID": 3, "Mode": "build", "Package": "strings", "Objdir": "/tmp/go-build444/b003/", "BuildID": "s/t",
 "TimeStart": "2026-11-24T20:55:32.000Z", "TimeDone": "2026-11-24T20:55:32.001Z", "Cmd": null},
{"ID": 4, "Mode": "build", "Package": "example.com/app/extra", "Objdir": "/tmp/go-build444/b004/", "Cmd": ["compile"]},
{"ID": 5, "Mode": "build", "Package": "example.com/app/bad", "Objdir": "/tmp/go-build444/b005/", "Cmd": null, "Failed": true},
{"ID": 6, "Mode": "vet", "Package": "example.com/app/vetonly", "Objdir": "/tmp/go-build444/b006/", "Cmd": null},
{"ID": 7, "Mode": "nop", "Package": ""},
{"ID": 8, "Mode": "build", "Package": "example.com/app/skipped", "Objdir": "/tmp/go-build444/b008/", "Cmd": null}
])";
    std::string err;
    auto ag = gox::model::parse_actiongraph(g, err);
    REQUIRE(ag);
    gox::model::merge_actiongraph(b, *ag);
    CHECK(b.actiongraph_merged);

    const Package& m = only(b, "example.com/app/cmd/app"); // "main" renamed
    CHECK(m.objdir == 1);
    CHECK(m.outcome == Outcome::Rebuilt);
    REQUIRE(m.seconds);
    CHECK(*m.seconds == Approx(0.25).margin(1e-5));
    CHECK(find_all(b, "main").empty());

    const Package& fmt = only(b, "fmt"); // matched by path, not added again
    CHECK(fmt.objdir == -1);
    CHECK(fmt.outcome == Outcome::CacheHit);
    CHECK(fmt.evidence == "packagefile_from_cache");
    REQUIRE(fmt.seconds);
    CHECK(*fmt.seconds == Approx(0.002).margin(1e-5));

    const Package& s = only(b, "strings"); // not in the trace at all
    CHECK(s.outcome == Outcome::CacheHit);
    CHECK(s.evidence == "actiongraph");
    CHECK(s.objdir == 3);
    CHECK(s.standard);
    CHECK(s.invocation == 0);
    REQUIRE(s.seconds);
    CHECK(*s.seconds == Approx(0.001).margin(1e-5));

    const Package& x = only(b, "example.com/app/extra"); // ran commands the trace does not show
    CHECK(x.outcome == Outcome::Rebuilt);
    CHECK_FALSE(x.standard);
    CHECK_FALSE(x.seconds);
    CHECK(only(b, "example.com/app/bad").outcome == Outcome::Failed);
    CHECK(find_all(b, "example.com/app/vetonly").empty()); // only build actions are packages
    // No command and no BuildID: never looked up (a dependency failed), so
    // not a hit (format spec §6.4: a hit has Cmd null *and* BuildID set).
    CHECK(only(b, "example.com/app/skipped").outcome != Outcome::CacheHit);

    CHECK(b.packages.size() == 6);
    REQUIRE(b.notes.size() == 1);
    CHECK(b.notes[0].rfind("1 ", 0) == 0); // one disagreement
    // Still sorted by import path.
    for (std::size_t i = 1; i < b.packages.size(); ++i)
        CHECK(b.packages[i - 1].import_path <= b.packages[i].import_path);
}

TEST_CASE("merge_actiongraph picks the invocation whose work dir holds the objdirs", "[actiongraph]") {
    Build b = gox::model::parse_trace_text(join({
        "WORK=/tmp/go-build111",
        "mkdir -p $WORK/b001/",
        "WORK=/tmp/go-build222",
        "mkdir -p $WORK/b001/",
    }));
    REQUIRE(b.invocations.size() == 2);
    std::string err;
    auto ag = gox::model::parse_actiongraph(
        R"([{"ID": 0, "Mode": "build", "Package": "strings", "Objdir": "/tmp/go-build111/b003/", "BuildID": "s/t", "Cmd": null}])", err);
    REQUIRE(ag);
    gox::model::merge_actiongraph(b, *ag);
    const Package& s = only(b, "strings");
    CHECK(s.invocation == 0);
    CHECK(s.outcome == Outcome::CacheHit);
}

TEST_CASE("samples: actiongraph merge", "[actiongraph][samples]") {
    SECTION("go126-warm-noop: the trace shows nothing, the graph all 65 cached packages") {
        Build b = parse_sample("go126-warm-noop");
        REQUIRE(b.packages.empty());
        std::string err;
        auto ag = gox::model::read_actiongraph_file(sample_path("go126-warm-noop.actiongraph.json"), err);
        REQUIRE(ag);
        gox::model::merge_actiongraph(b, *ag);
        CHECK(b.packages.size() == 65);
        CHECK(b.count(Outcome::CacheHit) == 65);
        CHECK(b.notes.empty());
        const Package& m = only(b, "example.com/sample/cmd/sample");
        CHECK(m.objdir == 1);
        CHECK(m.evidence == "actiongraph");
        CHECK(m.seconds);
    }
    SECTION("go126-edit-string: the two compiles agree with the graph") {
        Build b = parse_sample("go126-edit-string");
        const std::size_t before = b.packages.size();
        CHECK(before == 65);
        std::string err;
        auto ag = gox::model::read_actiongraph_file(sample_path("go126-edit-string.actiongraph.json"), err);
        REQUIRE(ag);
        gox::model::merge_actiongraph(b, *ag);
        CHECK(b.packages.size() == before);
        CHECK(b.notes.empty());
        CHECK(b.count(Outcome::Rebuilt) == 2);
        for (auto& p : b.packages) {
            INFO(p.import_path);
            CHECK(p.seconds);
        }
    }
}

TEST_CASE("go test -json: package results are read from output events", "[model][tests]") {
    gox::model::BuildBuilder builder;
    gox::trace::Tokenizer tok;
    builder.on_stdout_line(R"({"Time":"2026-11-24T23:01:47Z","Action":"output","Package":"example.com/a","Output":"ok  \texample.com/a\t(cached)\n"})");
    builder.on_stdout_line(R"({"Time":"2026-11-24T23:01:47Z","Action":"output","Package":"example.com/b","Output":"FAIL\texample.com/b [build failed]\n"})");
    builder.on_stdout_line(R"({"Time":"2026-11-24T23:01:47Z","Action":"output","Package":"example.com/c","Test":"TestX","Output":"=== RUN   TestX\n"})");
    builder.on_stdout_line(R"({"Action":"output","Output":"ok  \tbroken json)");
    Build b = builder.finish(tok.end());
    REQUIRE(b.tests.size() == 2);
    CHECK(b.tests[0].import_path == "example.com/a");
    CHECK(b.tests[0].cached);
    CHECK(b.tests[1].import_path == "example.com/b");
    CHECK(b.tests[1].status == "build_failed");
    CHECK(b.failed());
}

// ===========================================================================
// Memory bounds (issue 7): the model folds each invocation when the next
// WORK= starts, and past the caps in build.hpp counts instead of listing.

TEST_CASE("model bounds: real traces repeated fold into the same packages per invocation", "[model][bounds]") {
    // Three real runs back to back (a CI log of several go commands).
    for (const char* name : {"go126-build-all", "go126-compile-error", "go126-cgo-test"}) {
        INFO(name);
        const std::string one = read_text(sample_path(std::string(name) + ".trace"));
        const Build b1 = gox::model::parse_trace_text(one);
        const Build b3 = gox::model::parse_trace_text(one + one + one);
        REQUIRE(b1.invocations.size() == 1);
        REQUIRE(b3.invocations.size() == 3);
        REQUIRE(b3.packages.size() == 3 * b1.packages.size());
        CHECK(b3.package_count() == 3 * b1.package_count());
        CHECK(b3.failures.size() == 3 * b1.failures.size());
        CHECK(b3.count(Outcome::Rebuilt) == 3 * b1.count(Outcome::Rebuilt));
        CHECK(b3.count(Outcome::CacheHit) == 3 * b1.count(Outcome::CacheHit));
        for (std::size_t k = 0; k < b3.packages.size(); ++k) {
            const Package& p = b3.packages[k];
            const Package& q = b1.packages[k % b1.packages.size()];
            CHECK(p.invocation == static_cast<int>(k / b1.packages.size()));
            CHECK(p.import_path == q.import_path);
            CHECK(p.objdir == q.objdir);
            CHECK(p.outcome == q.outcome);
            CHECK(p.for_test == q.for_test);
        }
        for (std::size_t k = 0; k < b3.failures.size(); ++k)
            CHECK(b3.failures[k].invocation == static_cast<int>(k / b1.failures.size()));
        CHECK(b3.notes == b1.notes);
    }
}

TEST_CASE("model bounds: write_json streams exactly the to_json document", "[model][bounds][json]") {
    for (const char* name : {"go126-build-all", "go126-compile-error", "go126-cgo-test", "go119-test"}) {
        INFO(name);
        const Build b = parse_sample(name);
        std::string streamed;
        gox::report::write_json(b, [&](std::string_view s) { streamed += s; });
        const std::string whole =
            gox::report::to_json(b).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
        CHECK(streamed == whole);
        CHECK(gox::report::render_json(b) == whole);
    }
    const Build empty = gox::model::parse_trace_text("");
    std::string streamed;
    gox::report::write_json(empty, [&](std::string_view s) { streamed += s; });
    CHECK(streamed == gox::report::to_json(empty).dump(2) + "\n");
}

namespace {
// One invocation: WORK= then `n` packages compiled in objdirs first..first+n-1.
std::string synthetic_invocation(int work, int first, int n) {
    std::string s = "WORK=/tmp/go-build" + std::to_string(work) + "\n";
    for (int k = first; k < first + n; ++k) {
        s += compile(k, "example.com/p" + std::to_string(k), "./p.go") + "\n";
        char b[16];
        std::snprintf(b, sizeof b, "b%03d", k);
        s += kToolDir + "buildid -w $WORK/" + b + "/_pkg_.a # internal\n";
    }
    return s;
}
} // namespace

TEST_CASE("model bounds: one invocation lists all of its packages", "[model][bounds]") {
    const int n = 5000;
    Build b = gox::model::parse_trace_text(synthetic_invocation(1, 1, n));
    CHECK(b.packages.size() == static_cast<std::size_t>(n));
    CHECK(b.count(Outcome::Rebuilt) == static_cast<std::size_t>(n));
    CHECK(b.notes.empty());
}

TEST_CASE("model bounds: objdirs past the cap of one invocation are counted as lines, with a note",
          "[model][bounds]") {
    const int extra = 300;
    const int n = static_cast<int>(gox::model::kMaxObjdirsPerInvocation) + extra;
    Build b = gox::model::parse_trace_text(synthetic_invocation(1, 1, n));
    CHECK(b.packages.size() == gox::model::kMaxObjdirsPerInvocation);
    CHECK(b.package_count() == gox::model::kMaxObjdirsPerInvocation);
    CHECK(b.unlisted.objdirs_untracked == 2u * extra); // a compile and a buildid line each
    CHECK(kind_count(b, Kind::Compile) == static_cast<std::uint64_t>(n));
    REQUIRE(b.notes.size() == 1);
    CHECK(b.notes[0].find("more than 50000 objdirs") != std::string::npos);
}

TEST_CASE("model bounds: many invocations are counted past the listing caps", "[model][bounds]") {
    const int invs = static_cast<int>(gox::model::kMaxListedInvocations) + 5, per = 3;
    std::string text;
    for (int i = 0; i < invs; ++i) text += synthetic_invocation(i, 1, per);
    Build b = gox::model::parse_trace_text(text);
    const std::size_t total = static_cast<std::size_t>(invs) * per;
    REQUIRE(total > gox::model::kMaxListedPackages);
    CHECK(b.invocations.size() == gox::model::kMaxListedInvocations);
    CHECK(b.invocation_count() == static_cast<std::size_t>(invs));
    CHECK(b.packages.size() == gox::model::kMaxListedPackages);
    CHECK(b.package_count() == total);
    CHECK(b.count(Outcome::Rebuilt) == total);
    CHECK(b.unlisted.packages_rebuilt_user == total - gox::model::kMaxListedPackages);
    CHECK(std::all_of(b.packages.begin(), b.packages.end(), [&](const Package& p) {
        return static_cast<std::size_t>(p.invocation) < b.invocations.size();
    }));
    REQUIRE_FALSE(b.notes.empty());
    CHECK(b.notes.back().find("are counted but not listed") != std::string::npos);
    // The JSON summary counts what the lists leave out (lists cut here:
    // rendering 50000 packages is slow under the sanitizers).
    b.packages.resize(10);
    b.invocations.resize(10);
    auto j = gox::report::to_json(b);
    CHECK(j["summary"]["packages"] == total - (gox::model::kMaxListedPackages - 10));
    CHECK(j["summary"]["packages_rebuilt"] == total - (gox::model::kMaxListedPackages - 10));
    CHECK(j["packages"].size() == 10);
}

TEST_CASE("model bounds: test results and failures past their caps are counted", "[model][bounds]") {
    gox::model::BuildBuilder builder;
    const std::size_t tests = gox::model::kMaxListedTests + 10;
    for (std::size_t k = 0; k < tests; ++k)
        builder.on_stdout_line((k % 2 ? "ok  \texample.com/t" : "FAIL\texample.com/t") + std::to_string(k) + "\t0.01s");
    gox::trace::Tokenizer tok;
    Build b = builder.finish(tok.end());
    CHECK(b.tests.size() == gox::model::kMaxListedTests);
    CHECK(b.unlisted.tests == 10);
    CHECK(b.unlisted.tests_run == 10);
    CHECK(b.unlisted.tests_failed == 5);
    CHECK(b.failures.size() == gox::model::kMaxListedFailures);
    CHECK(b.unlisted.failures == tests / 2 - gox::model::kMaxListedFailures);
    CHECK(b.failed());
    b.tests.resize(100); // (rendering 50000 tests is slow under the sanitizers)
    b.failures.resize(10);
    auto j = gox::report::to_json(b);
    CHECK(j["summary"]["tests_run"] == 100 + 10);
}

TEST_CASE("parse_actiongraph: an objdir number too long is no objdir (fuzz_actiongraph finding)", "[actiongraph]") {
    std::string err;
    auto ag = gox::model::parse_actiongraph(
        R"([{"ID":0,"Mode":"build","Package":"x","Objdir":"$WORK/b99999999999999999999/"}])", err);
    REQUIRE(ag);
    REQUIRE(ag->actions.size() == 1);
    CHECK(ag->actions[0].objdir_number == -1);
}

// The cgo and vet failures below are lines of real traces (Go 1.26.8, 1.19.8
// and gcc 12; tests/cli/test_diagnosis.py provokes the same with the real go),
// the vet.cfg bodies cut to the keys the model reads.
TEST_CASE("model: a C error in a cgo preamble fails its package (1.26 and 1.19)", "[model][failure]") {
    for (const std::string& cgo_line :
         {std::string("TERM='dumb' CGO_LDFLAGS='' ") + kToolDir +
              "cgo -objdir $WORK/b002/ -importpath example.com/cgobad/cadd \"-ldflags=\\\"-O2\\\" \\\"-g\\\"\" -- -I "
              "$WORK/b002/ -O2 -g ./cadd.go",
          std::string("TERM='dumb' CGO_LDFLAGS='\"-g\" \"-O2\"' ") + kTool19 +
              "cgo -objdir $WORK/b002/ -importpath example.com/cgobad/cadd -- -I $WORK/b002/ -g -O2 ./cadd.go"}) {
        const std::string text = join({
            "WORK=/tmp/go-build2323150257",
            "mkdir -p $WORK/b002/",
            "cd /tmp/diagx/pre/cadd",
            cgo_line,
            "# example.com/cgobad/cadd",
            "cadd/cadd.go: In function 'f':",
            "cadd/cadd.go:4:28: error: 'undeclared_c_var' undeclared (first use in this function)",
            "    4 | static int f(void){ return undeclared_c_var; }",
            "      |                            ^~~~~~~~~~~~~~~~",
            "cadd/cadd.go:4:28: note: each undeclared identifier is reported only once for each function it appears in",
        });
        Build b = gox::model::parse_trace_text(text);
        REQUIRE(b.failures.size() == 1);
        CHECK(b.failures[0].kind == "cgo");
        CHECK(b.failures[0].import_path == "example.com/cgobad/cadd");
        CHECK(b.failures[0].line_count == 5);
        CHECK(b.failures[0].first_lines[1] ==
              "cadd/cadd.go:4:28: error: 'undeclared_c_var' undeclared (first use in this function)");
        const Package& p = only(b, "example.com/cgobad/cadd");
        CHECK(p.outcome == Outcome::Failed);
        CHECK(p.evidence == "cgo_failed");
        CHECK(b.count(Outcome::Failed) == 1);
    }
}

TEST_CASE("model: a C error in a package's .c file fails the package", "[model][failure]") {
    const std::string gcc = "TERM='dumb' gcc -I . -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 "
                            "-ffile-prefix-map=$WORK/b002=/tmp/go-build -gno-record-gcc-switches -I $WORK/b002/ -O2 -g "
                            "-frandom-seed=SGPdOBSMvyUS0CWm3cWG -o $WORK/b002/_x003.o -c helper.c";
    const std::string text = join({
        "WORK=/tmp/go-build4139685841",
        "mkdir -p $WORK/b002/",
        "cd /tmp/diagx/cfile/cadd",
        "TERM='dumb' CGO_LDFLAGS='' " + kToolDir +
            "cgo -objdir $WORK/b002/ -importpath example.com/cgosample/cadd \"-ldflags=\\\"-O2\\\" \\\"-g\\\"\" -- -I "
            "$WORK/b002/ -O2 -g ./cadd.go",
        "cd /tmp/diagx/cfile/cadd",
        gcc,
        "# example.com/cgosample/cadd",
        "helper.c: In function 'helper':",
        "helper.c:1:27: error: 'missing_in_c_file' undeclared (first use in this function)",
    });
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 1);
    CHECK(b.failures[0].kind == "cgo");
    CHECK(b.failures[0].import_path == "example.com/cgosample/cadd");
    CHECK(only(b, "example.com/cgosample/cadd").outcome == Outcome::Failed);
    CHECK(only(b, "example.com/cgosample/cadd").actions[static_cast<std::size_t>(Action::CC)] == 1);
}

namespace {
std::string vet_cfg(int objdir, const std::string& dir, const std::string& pkg, bool vetx_only) {
    char b[16];
    std::snprintf(b, sizeof b, "b%03d", objdir);
    return join({std::string("cat >/tmp/go-build1563522657/") + b + "/vet.cfg << 'EOF' # internal", "{",
                 "\t\"ID\": \"" + pkg + "\",", "\t\"Compiler\": \"gc\",", "\t\"Dir\": \"" + dir + "\",",
                 "\t\"ImportPath\": \"" + pkg + "\",", std::string("\t\"VetxOnly\": ") + (vetx_only ? "true" : "false") + ",",
                 "\t\"SucceedOnTypecheckFailure\": false", "}", "EOF"});
}
} // namespace

TEST_CASE("model: 1.26 go vet's headerless findings are vet failures of their package", "[model][failure]") {
    // go vet runs vet -json and prints the findings itself, without "# P".
    // report is vetted twice (for its own report and, VetxOnly, for app).
    std::string text = join({"WORK=/tmp/go-build1563522657", "mkdir -p $WORK/b064/"});
    text += vet_cfg(64, "/tmp/diagx/vet2/report", "example.com/vetbroken/report", false);
    text += join({"cd /tmp/diagx/vet2/report", "TERM='dumb' " + kToolDir + "vet -json $WORK/b064/vet.cfg"});
    text += vet_cfg(2, "/tmp/diagx/vet2/report", "example.com/vetbroken/report", true);
    text += join({"TERM='dumb' " + kToolDir + "vet -json $WORK/b002/vet.cfg",
                  "report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string",
                  "app/app.go:9:42: fmt.Printf format %s has arg 3 of wrong type int"});
    Build b = gox::model::parse_trace_text(text);
    // app's vet came from the cache (no vet.cfg): its finding has no package.
    REQUIRE(b.failures.size() == 2);
    CHECK(b.failures[0].kind == "vet");
    CHECK(b.failures[0].import_path == "example.com/vetbroken/report");
    CHECK(b.failures[0].first_lines ==
          std::vector<std::string>{"report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string"});
    CHECK(b.failures[1].kind == "vet");
    CHECK(b.failures[1].import_path.empty());
    CHECK(b.count(Outcome::Failed) == 0);
}

TEST_CASE("model: go vet after a failed compile: the compile's block and vet's, once each", "[model][failure]") {
    std::string text = join({"WORK=/tmp/go-build1563522657", "mkdir -p $WORK/b002/", "cd /tmp/diagx/vet3",
                             compile(2, "example.com/vetbroken/report", "./report/report.go", kToolDir, "go1.26.8"),
                             "# example.com/vetbroken/report", "report/report.go:14:25: undefined: undefinedThing",
                             "mkdir -p $WORK/b064/"});
    text += vet_cfg(64, "/tmp/diagx/vet3/report", "example.com/vetbroken/report", false);
    text += join({"cd /tmp/diagx/vet3/report", "TERM='dumb' " + kToolDir + "vet -json $WORK/b064/vet.cfg",
                  "# example.com/vetbroken/report", "# [example.com/vetbroken/report]",
                  "vet: report/report.go:14:25: undefined: undefinedThing"});
    Build b = gox::model::parse_trace_text(text);
    REQUIRE(b.failures.size() == 2);
    CHECK(b.failures[0].kind == "compile");
    CHECK(b.failures[1].kind == "vet");
    CHECK(b.failures[1].import_path == "example.com/vetbroken/report");
    CHECK(b.count(Outcome::Failed) == 1);
}
