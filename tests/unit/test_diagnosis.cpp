// Failure classes from the lines go prints. The integration suite
// (tests/cli/test_diagnosis.py) produces most of these with the real go;
// these cover messages that are hard to provoke there (toolchain mixes,
// network) and the precedence between classes.
#include <gox/analysis/diagnosis.hpp>

#include <catch2/catch.hpp>

using namespace gox;
using analysis::FailureClass;

namespace {
FailureClass cls(const std::string& kind, std::vector<std::string> lines, analysis::DiagContext ctx = {}) {
    return analysis::classify(kind, lines, ctx, nullptr).first;
}
} // namespace

TEST_CASE("classify: cache messages", "[diagnosis]") {
    CHECK(cls("go", {"build cache is required, but could not be located: GOCACHE is not an absolute path"}) ==
          FailureClass::CacheUnusable);
    CHECK(cls("go", {"build cache is disabled by GOCACHE=off, but required as of Go 1.12"}) == FailureClass::CacheUnusable);
    CHECK(cls("go", {"failed to initialize build cache at /c: mkdir /c/00: permission denied"}) ==
          FailureClass::CacheUnusable);
    CHECK(cls("compile", {"a.go:3:2: could not import x/y (open /home/u/.cache/go-build/ab/"
                          "abababababababababababababababababababababababababababababababab-d: no such file or directory)"}) ==
          FailureClass::CacheEntryMissing);
    CHECK(cls("compile", {"a.go:3:2: could not import x/y (not the start of an archive file (\"\\x00\"))"}) ==
          FailureClass::CacheCorrupt);
    CHECK(cls("compile", {"a.go:3:2: could not import x/y (can't find export data (bufio: buffer full))"}) ==
          FailureClass::CacheCorrupt);
    CHECK(cls("link", {"link: cache verify failed: id 1234 has changed"}) == FailureClass::CacheCorrupt);
}

TEST_CASE("classify: toolchain, cgo, modules, disk", "[diagnosis]") {
    analysis::DiagContext ctx;
    ctx.goroot = "/usr/local/go";
    CHECK(cls("compile", {"/usr/local/go/pkg/linux_amd64/fmt.a: object is [go object linux amd64 go1.18 X:none] expected "
                          "[go object linux amd64 go1.19 X:none]"},
              ctx) == FailureClass::ToolchainMismatch);
    CHECK(cls("compile", {"/tmp/x/b001/_pkg_.a: object is [go object linux amd64 go1.18 X:none] expected [go object "
                          "linux amd64 go1.19 X:none]"},
              ctx) == FailureClass::CacheCorrupt);
    CHECK(cls("build", {"cgo: C compiler \"gcc\" not found: exec: \"gcc\": executable file not found in $PATH"}) ==
          FailureClass::CgoToolchain);
    CHECK(cls("build", {"main.go:3:8: no required module provides package golang.org/x/nope; to add it:"}) ==
          FailureClass::MissingPackageOrModule);
    CHECK(cls("build", {"main.go:3:8: package nosuch/pkg is not in std (/nonexistent/goroot/src/nosuch/pkg)"}) ==
          FailureClass::MissingPackageOrModule);
    CHECK(cls("link", {"/usr/local/go/pkg/tool/linux_amd64/link: mapping output file failed: no space left on device"}) ==
          FailureClass::DiskFull);
    CHECK(cls("go", {"go: creating work dir: stat /nonexistent: no such file or directory"}) ==
          FailureClass::TempDirUnusable);
}

// The lines below are what the real go printed (Go 1.26.8 and 1.19.8 with
// gcc 12 and GNU ld; tests/cli/test_diagnosis.py provokes them).
TEST_CASE("classify: cgo failures are the C side's, not the toolchain's", "[diagnosis]") {
    // A preamble error, and a .c file's (gcc's quotes are ' or U+2018/2019 by locale).
    CHECK(cls("cgo", {"cadd/cadd.go: In function 'f':",
                      "cadd/cadd.go:4:28: error: 'undeclared_c_var' undeclared (first use in this function)",
                      "    4 | static int f(void){ return undeclared_c_var; }"}) == FailureClass::CgoError);
    CHECK(cls("cgo", {"helper.c: In function \xe2\x80\x98helper\xe2\x80\x99:",
                      "helper.c:1:27: error: \xe2\x80\x98missing_in_c_file\xe2\x80\x99 undeclared (first use in this function)"}) ==
          FailureClass::CgoError);
    // A missing header.
    auto [c, ev] = analysis::classify("cgo", {"cadd/cadd.go:5:10: fatal error: nosuch_header.h: No such file or directory",
                                              "    5 | #include <nosuch_header.h>", "compilation terminated."},
                                      {}, nullptr);
    CHECK(c == FailureClass::CgoError);
    CHECK(ev == "cadd/cadd.go:5:10: fatal error: nosuch_header.h: No such file or directory");
    // #cgo LDFLAGS: -lfoo, reported by the main package's link.
    auto [l, lev] = analysis::classify(
        "link", {"/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1",
                 "/usr/bin/gcc -m64 -o $WORK/b001/exe/a.out /tmp/go-link-1/go.o -O2 -g -lfoo_gox_missing -O2 -g -lpthread -no-pie",
                 "/usr/bin/ld: cannot find -lfoo_gox_missing: No such file or directory",
                 "collect2: error: ld returned 1 exit status"},
        {}, nullptr);
    CHECK(l == FailureClass::CgoError);
    CHECK(lev == "/usr/bin/ld: cannot find -lfoo_gox_missing: No such file or directory");
    // macOS: clang's summary of a linker failure is not a missing compiler.
    CHECK(cls("link", {"ld: library not found for -lfoo", "clang: error: linker command failed with exit code 1 (use -v to see invocation)"}) ==
          FailureClass::CgoError);
    // A cgo step that failed with lines gox does not know is still the C side's.
    CHECK(cls("cgo", {"something the C compiler said"}) == FailureClass::CgoError);
    // ...but a missing compiler is the toolchain, whatever the step.
    CHECK(cls("cgo", {"cgo: C compiler \"/nonexistent/gcc\" not found: exec: \"/nonexistent/gcc\": stat /nonexistent/gcc: no such file or directory"}) ==
          FailureClass::CgoToolchain);
    // Go's own compile errors (and indented test output) never look like a C compiler's.
    CHECK(cls("compile", {"a.go:3:5: undefined: x: error: y"}) == FailureClass::CompileError);
    CHECK(cls("test", {"    x_test.go:12: error: got 1"}) == FailureClass::TestFailure);
}

TEST_CASE("classify: go's environment and toolchain selection", "[diagnosis]") {
    // No HOME (so no GOPATH) and GOTOOLCHAIN=go1.27.3: go prints its prefix twice.
    CHECK(cls("go", {"go: go: module cache not found: neither GOMODCACHE nor GOPATH is set"}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: GOPATH entry is relative; must be absolute path: \"rel\"."}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: cannot find GOROOT directory: /nonexistent/goroot"}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: parsing $GOFLAGS: non-flag \"bogus\""}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: unsupported GOOS/GOARCH pair plan10/amd64"}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: unknown GOEXPERIMENT suchexp"}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: invalid GOTOOLCHAIN \"bogus\""}) == FailureClass::GoEnvironment);
    CHECK(cls("go", {"go: go.mod requires go >= 1.27.3 (running go 1.26.8; GOTOOLCHAIN=local)"}) ==
          FailureClass::ToolchainUnavailable);
    CHECK(cls("go", {"go: downloading go1.27.3 (linux/amd64)", "go: download go1.27.3 for linux/amd64: toolchain not available"}) ==
          FailureClass::ToolchainUnavailable);
    // A version the proxy does not have: not a missing module of the build.
    CHECK(cls("go", {"go: download go1.99.0: golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64: reading "
                     "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go1.99.0.linux-amd64.zip: 403 Forbidden"}) ==
          FailureClass::ToolchainUnavailable);
    CHECK(cls("go", {"go: cannot find \"go1.27.3\" in PATH"}) == FailureClass::ToolchainUnavailable);
    // The download line alone is progress, not a failure.
    CHECK(cls("go", {"go: downloading go1.27.3 (linux/amd64)"}) == FailureClass::Unknown);
}

TEST_CASE("fault_note: the variable or toolchain at fault", "[diagnosis]") {
    analysis::DiagContext ctx;
    ctx.env_known = true;
    ctx.env = {{"GOTOOLCHAIN", "go1.27.3"}};
    CHECK(analysis::fault_note(FailureClass::GoEnvironment,
                               "go: go: module cache not found: neither GOMODCACHE nor GOPATH is set", ctx) ==
          "at fault: GOMODCACHE and GOPATH are unset, and so is HOME (GOPATH defaults to $HOME/go); GOTOOLCHAIN=go1.27.3 "
          "makes go look for that toolchain in the module cache");
    CHECK(analysis::fault_note(FailureClass::ToolchainUnavailable,
                               "go: go.mod requires go >= 1.27.3 (running go 1.26.8; GOTOOLCHAIN=local)", ctx) ==
          "at fault: go.mod requires go1.27.3, but GOTOOLCHAIN=local keeps go 1.26.8 from switching to it");
    ctx.env["GOPROXY"] = "off";
    CHECK(analysis::fault_note(FailureClass::ToolchainUnavailable,
                               "go: download go1.27.3 for linux/amd64: toolchain not available", ctx) ==
          "at fault: go1.27.3 could not be downloaded: GOPROXY=off does not serve it");
    CHECK(analysis::fault_note(FailureClass::ToolchainUnavailable, "go: cannot find \"go1.27.3\" in PATH", {}) ==
          "at fault: go1.27.3 is not on PATH (GOTOOLCHAIN=path)");
    CHECK(analysis::fault_note(FailureClass::GoEnvironment, "go: unsupported GOOS/GOARCH pair plan10/amd64", {}) ==
          "at fault: GOOS/GOARCH");
    CHECK(analysis::fault_note(FailureClass::CompileError, "a.go:1:1: undefined: x", ctx).empty());
}

TEST_CASE("diagnose: an environment failure names what is at fault", "[diagnosis]") {
    model::Build b;
    model::Failure f;
    f.kind = "go";
    f.first_lines = {"go: go: module cache not found: neither GOMODCACHE nor GOPATH is set"};
    b.failures.push_back(f);
    analysis::ErrorCollector ec;
    ec.add_line(f.first_lines[0]);
    analysis::DiagContext ctx;
    ctx.exit_code = 1;
    ctx.env_known = true;
    ctx.env = {{"GOTOOLCHAIN", "go1.27.3"}};
    auto d = analysis::diagnose(b, &ec, ctx);
    REQUIRE(d);
    CHECK(d->cls == "go_environment");
    REQUIRE(d->failed.size() == 1);
    REQUIRE(d->evidence.size() == 2);
    CHECK(d->evidence[0] == f.first_lines[0]);
    CHECK(d->evidence[1].rfind("at fault: GOMODCACHE and GOPATH are unset", 0) == 0);
}

TEST_CASE("classify: by kind when the lines say nothing, and precedence", "[diagnosis]") {
    CHECK(cls("compile", {"a.go:1:1: syntax error: unexpected }"}) == FailureClass::CompileError);
    CHECK(cls("link", {"duplicated definition of symbol main.x"}) == FailureClass::LinkError);
    CHECK(cls("vet", {"a.go:5:2: fmt.Printf format %d has arg s of wrong type string"}) == FailureClass::VetFailure);
    CHECK(cls("test", {"FAIL\tx\t0.01s"}) == FailureClass::TestFailure);
    CHECK(cls("weird", {"something"}) == FailureClass::Unknown);
    // A cache message wins over the compile errors around it.
    CHECK(cls("compile", {"a.go:1:1: undefined: x",
                          "a.go:3:2: could not import x/y (not the start of an archive file (\"\"))"}) ==
          FailureClass::CacheCorrupt);
}

TEST_CASE("diagnose: first failed, skipped test packages, no diagnosis on success", "[diagnosis]") {
    model::Build b;
    model::Failure f;
    f.import_path = "ex.com/a";
    f.kind = "compile";
    f.first_lines = {"a.go:1:1: undefined: x"};
    b.failures.push_back(f);
    model::Failure t;
    t.import_path = "ex.com/b";
    t.kind = "build";
    t.first_lines = {"FAIL\tex.com/b [build failed]"};
    b.failures.push_back(t);
    analysis::ErrorCollector ec;
    analysis::DiagContext ctx;
    ctx.exit_code = 1;
    auto d = analysis::diagnose(b, &ec, ctx);
    REQUIRE(d);
    CHECK(d->cls == "compile_error");
    CHECK(d->first_failed == "ex.com/a");
    CHECK(d->skipped == std::vector<std::string>{"ex.com/b"});
    REQUIRE(d->failed.size() == 1);
    ctx.exit_code = 0;
    CHECK_FALSE(analysis::diagnose(b, &ec, ctx));
    ctx.interrupted = true;
    CHECK(analysis::diagnose(b, &ec, ctx)->cls == "interrupted");
}

TEST_CASE("class table: names round-trip and cache classes", "[diagnosis]") {
    for (auto c : analysis::all_classes()) {
        CHECK(analysis::class_from_name(analysis::class_name(c)) == c);
        CHECK_FALSE(analysis::class_title(c).empty());
        CHECK_FALSE(analysis::class_remedy(c).empty());
    }
    CHECK(analysis::class_about_cache(FailureClass::CacheCorrupt));
    CHECK_FALSE(analysis::class_about_cache(FailureClass::CompileError));
}
