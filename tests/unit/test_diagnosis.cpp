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
    CHECK(cls("go", {"go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)"}) ==
          FailureClass::ToolchainMismatch);
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
