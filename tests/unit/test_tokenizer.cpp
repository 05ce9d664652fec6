// Unit tests for the line classifier (src/gox/trace/tokenizer.*) and the
// command-word splitter (src/gox/trace/command.*). Every line below is written
// in the exact shape the go command prints (see the catalogue in
// go-trace-format.md §2; most lines are copied from trace_samples/*.trace with
// hashes shortened to 64 synthetic hex digits).
#include <catch2/catch.hpp>

#include <gox/model/build.hpp>
#include <gox/trace/command.hpp>
#include <gox/trace/event.hpp>
#include <gox/trace/tokenizer.hpp>
#include <gox/util/line_reader.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

using gox::trace::CommandLine;
using gox::trace::CommandParser;
using gox::trace::Event;
using gox::trace::Kind;
using gox::trace::kind_name;
using gox::trace::Tokenizer;
using gox::trace::WriteTarget;

namespace Catch {
template <> struct StringMaker<Kind> {
    static std::string convert(Kind k) { return std::string(kind_name(k)); }
};
template <> struct StringMaker<WriteTarget> {
    static std::string convert(WriteTarget t) {
        static const char* n[] = {"None", "Importcfg", "ImportcfgLink", "VetCfg", "PkgCfg", "Other"};
        return n[static_cast<int>(t)];
    }
};
} // namespace Catch

namespace {

// A copy of an Event (whose views die at the next feed()).
struct Ev {
    Kind kind = Kind::Unrecognized;
    std::string line, path, path2, text;
    int objdir = -1;
    WriteTarget target = WriteTarget::None;
    bool toolexec = false, heredoc_cut = false, has_cmd = false;
    std::vector<std::string> words;
    std::vector<std::pair<std::string, std::string>> env;
    std::string annotation;
    bool or_true = false, malformed = false;
    std::string flag_p, flag_o;
};

Ev copy(const Event& e) {
    Ev c;
    c.kind = e.kind;
    c.line = std::string(e.line);
    c.path = std::string(e.path);
    c.path2 = std::string(e.path2);
    c.text = std::string(e.text);
    c.objdir = e.objdir;
    c.target = e.target;
    c.toolexec = e.toolexec;
    c.heredoc_cut = e.heredoc_cut;
    if (e.cmd) {
        c.has_cmd = true;
        for (auto w : e.cmd->words) c.words.emplace_back(w);
        for (auto& [n, v] : e.cmd->env) c.env.emplace_back(std::string(n), std::string(v));
        c.annotation = std::string(e.cmd->annotation);
        c.or_true = e.cmd->or_true;
        c.malformed = e.cmd->malformed;
        c.flag_p = std::string(e.cmd->flag("-p"));
        c.flag_o = std::string(e.cmd->flag("-o"));
    }
    return c;
}

Ev feed(Tokenizer& t, std::string_view line) { return copy(t.feed(line)); }

// One line on a fresh tokenizer that has seen `WORK=/tmp/go-build1234567890`.
Ev one(std::string_view line) {
    Tokenizer t;
    t.feed("WORK=/tmp/go-build1234567890");
    return feed(t, line);
}

// "<root>/<xx>/<xx + 62 hex>-d", a well-formed cache entry.
std::string entry(const std::string& root, const std::string& two, char fill = 'a') {
    return root + "/" + two + "/" + two + std::string(62, fill) + "-d";
}

const std::string kCache = "/home/u/.cache/go-build";
const std::string kTool = "/usr/local/go/pkg/tool/linux_amd64/";

} // namespace

// ---------------------------------------------------------------------------
// Rows 1-3: WORK=, mkdir, cd.

TEST_CASE("WORK= sets the work dir", "[tokenizer]") {
    Tokenizer t;
    CHECK(t.work_dir().empty());
    auto e = feed(t, "WORK=/tmp/go-build3540937825");
    CHECK(e.kind == Kind::WorkDir);
    CHECK(e.path == "/tmp/go-build3540937825");
    CHECK(e.objdir == -1);
    CHECK(t.work_dir() == "/tmp/go-build3540937825");
    // A second WORK= (nested go command) replaces it.
    feed(t, "WORK=/tmp/go-build42");
    CHECK(t.work_dir() == "/tmp/go-build42");
}

TEST_CASE("mkdir -p", "[tokenizer]") {
    auto e = one("mkdir -p $WORK/b007/");
    CHECK(e.kind == Kind::Mkdir);
    CHECK(e.path == "$WORK/b007/");
    CHECK(e.objdir == 7);

    auto exe = one("mkdir -p $WORK/b001/exe/");
    CHECK(exe.kind == Kind::Mkdir);
    CHECK(exe.objdir == 1);

    auto big = one("mkdir -p $WORK/b1234/");
    CHECK(big.objdir == 1234); // b999 is followed by b1000

    auto target = one("mkdir -p /home/u/proj/bin/");
    CHECK(target.kind == Kind::Mkdir);
    CHECK(target.path == "/home/u/proj/bin/");
    CHECK(target.objdir == -1);

    // Not objdirs: $WORK itself, a "b" name without digits, $WORKX.
    CHECK(one("mkdir -p $WORK/").objdir == -1);
    CHECK(one("mkdir -p $WORK/bin/").objdir == -1);
    CHECK(one("mkdir -p $WORK/b12x/").objdir == -1);
    CHECK(one("mkdir -p $WORKX/b001/").objdir == -1);
}

TEST_CASE("cd is global state, including cd .", "[tokenizer]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1");
    CHECK(t.cwd().empty());

    auto e = feed(t, "cd /home/u/proj");
    CHECK(e.kind == Kind::Cd);
    CHECK(e.path == "/home/u/proj");
    CHECK(e.objdir == -1);
    CHECK(t.cwd() == "/home/u/proj");

    // Commands without a cd of their own run in the last printed dir.
    CHECK(feed(t, "mkdir -p $WORK/b002/").kind == Kind::Mkdir);
    CHECK(feed(t, kTool + "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -p example.com/app/util "
                          "-lang=go1.22 -complete -buildid A/A -goversion go1.22.3 -c=4 -nolocalimports "
                          "-importcfg $WORK/b002/importcfg -pack ./util/util.go")
              .kind == Kind::Compile);
    CHECK(t.cwd() == "/home/u/proj");

    // The linker runs with dir ".", printed literally.
    auto dot = feed(t, "cd .");
    CHECK(dot.kind == Kind::Cd);
    CHECK(dot.path == ".");
    CHECK(t.cwd() == ".");

    // cgo's gcc runs inside the objdir.
    auto obj = feed(t, "cd $WORK/b031");
    CHECK(obj.kind == Kind::Cd);
    CHECK(obj.objdir == 31);
    CHECK(t.cwd() == "$WORK/b031");

    // A new go command (WORK=) has printed no cd yet.
    feed(t, "WORK=/tmp/go-build2");
    CHECK(t.cwd().empty());
}

// ---------------------------------------------------------------------------
// Row 4: heredocs.

TEST_CASE("heredoc, Go 1.19 form ($WORK in the header)", "[tokenizer][heredoc]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build3540937825");
    auto h = feed(t, "cat >$WORK/b002/importcfg << 'EOF' # internal");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.path == "$WORK/b002/importcfg");
    CHECK(h.objdir == 2);
    CHECK(h.target == WriteTarget::Importcfg);
    CHECK(t.in_heredoc());

    // "# import config" is body text, not a user "# pkg" header.
    auto b1 = feed(t, "# import config");
    CHECK(b1.kind == Kind::HeredocBody);
    CHECK(b1.text == "# import config");
    CHECK(b1.objdir == 2);
    CHECK(b1.target == WriteTarget::Importcfg);
    auto b2 = feed(t, "packagefile example.com/sample/internal/words=$WORK/b032/_pkg_.a");
    CHECK(b2.kind == Kind::HeredocBody);
    CHECK(b2.text == "packagefile example.com/sample/internal/words=$WORK/b032/_pkg_.a");
    // Body lines that look like other kinds stay body lines.
    CHECK(feed(t, "packagefile fmt=/usr/lib/go-1.19/pkg/linux_amd64/fmt.a").kind == Kind::HeredocBody);
    CHECK(feed(t, "go: not a message").kind == Kind::HeredocBody);
    CHECK(feed(t, "ok  \tnot\ta test").kind == Kind::HeredocBody);
    CHECK(feed(t, "").kind == Kind::HeredocBody);

    auto end = feed(t, "EOF");
    CHECK(end.kind == Kind::HeredocEnd);
    CHECK(end.text.empty());
    CHECK(end.objdir == 2);
    CHECK_FALSE(end.heredoc_cut);
    CHECK_FALSE(t.in_heredoc());
    CHECK_FALSE(t.finish());
    CHECK(t.heredocs_cut() == 0);
}

TEST_CASE("heredoc, Go 1.20+ form (absolute header mapped through WORK=)", "[tokenizer][heredoc]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build158367065");
    auto h = feed(t, "cat >/tmp/go-build158367065/b001/importcfg.link << 'EOF' # internal");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.path == "/tmp/go-build158367065/b001/importcfg.link");
    CHECK(h.objdir == 1);
    CHECK(h.target == WriteTarget::ImportcfgLink);
    CHECK(t.objdir_of("/tmp/go-build158367065/b001/_pkg_.a") == 1);
    CHECK(t.objdir_of("/tmp/go-build158367065/b068/_pkg_.a") == 68);
    // Another invocation's work dir is foreign.
    CHECK(t.objdir_of("/tmp/go-build999/b001/_pkg_.a") == -1);
    // A longer directory name that merely starts with the work dir is too.
    CHECK(t.objdir_of("/tmp/go-build1583670651/b001/_pkg_.a") == -1);

    auto b = feed(t, "packagefile example.com/sample/cmd/sample=/tmp/go-build158367065/b001/_pkg_.a");
    CHECK(b.kind == Kind::HeredocBody);
    CHECK(b.objdir == 1);
    CHECK(b.target == WriteTarget::ImportcfgLink);
    CHECK(feed(t, R"(modinfo "0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6path\texample.com/sample/cmd/sample\n")")
              .kind == Kind::HeredocBody);
    CHECK(feed(t, "EOF").kind == Kind::HeredocEnd);

    // The header's file name picks the write target.
    CHECK(one("cat >/tmp/go-build1234567890/b085/vet.cfg << 'EOF' # internal").target == WriteTarget::VetCfg);
    CHECK(one("cat >/tmp/go-build1234567890/b009/pkgcfg.txt << 'EOF' # internal").target == WriteTarget::PkgCfg);
    CHECK(one("cat >/tmp/go-build1234567890/b002/embedcfg << 'EOF' # internal").target == WriteTarget::Other);
    CHECK(one("cat >/tmp/go-build1234567890/b002/embedcfg << 'EOF' # internal").objdir == 2);
}

TEST_CASE("heredoc terminated by }EOF (content without a final newline)", "[tokenizer][heredoc]") {
    // embedcfg as printed by go1.19.8 (trace_samples/go119-cold-build.trace).
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build3540937825");
    CHECK(feed(t, "cat >$WORK/b002/embedcfg << 'EOF' # internal").kind == Kind::HeredocHeader);
    const char* body[] = {"{",
                          "\t\"Patterns\": {",
                          "\t\t\"greeting.txt\": [",
                          "\t\t\t\"greeting.txt\"",
                          "\t\t]",
                          "\t},",
                          "\t\"Files\": {",
                          "\t\t\"greeting.txt\": \"/tmp/gox-capture/go119/sample/internal/greet/greeting.txt\"",
                          "\t}"};
    for (const char* l : body) {
        INFO(l);
        auto e = feed(t, l);
        CHECK(e.kind == Kind::HeredocBody);
        CHECK(e.text == l);
        CHECK(e.objdir == 2);
    }
    auto end = feed(t, "}EOF");
    CHECK(end.kind == Kind::HeredocEnd);
    CHECK(end.text == "}"); // the last content line, without the terminator
    CHECK(end.objdir == 2);
    CHECK_FALSE(t.in_heredoc());
    // The next line is classified normally again.
    CHECK(feed(t, kTool + "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -p example.com/sample/internal/greet "
                          "-lang=go1.19 -complete -buildid y8/y8 -goversion go1.19.8 -c=2 -nolocalimports "
                          "-importcfg $WORK/b002/importcfg -embedcfg $WORK/b002/embedcfg -pack ./internal/greet/greet.go")
              .kind == Kind::Compile);

    // vet.cfg JSON ends with "}" then EOF on its own line (1.20+ header).
    Tokenizer v;
    feed(v, "WORK=/tmp/go-build3226708576");
    CHECK(feed(v, "cat >/tmp/go-build3226708576/b125/vet.cfg << 'EOF' # internal").objdir == 125);
    CHECK(feed(v, "{").kind == Kind::HeredocBody);
    CHECK(feed(v, "\t\"ImportPath\": \"example.com/vetbroken/report\",").kind == Kind::HeredocBody);
    CHECK(feed(v, "}").kind == Kind::HeredocBody);
    auto ve = feed(v, "EOF");
    CHECK(ve.kind == Kind::HeredocEnd);
    CHECK(ve.text.empty());
}

TEST_CASE("empty heredoc: EOF right after the header", "[tokenizer][heredoc]") {
    // ≤1.21 go_asm.h.
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1");
    auto h = feed(t, "cat >$WORK/b012/go_asm.h << 'EOF' # internal");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.objdir == 12);
    CHECK(h.target == WriteTarget::Other);
    auto e = feed(t, "EOF");
    CHECK(e.kind == Kind::HeredocEnd);
    CHECK(e.text.empty());
    CHECK(e.objdir == 12);
    CHECK(feed(t, "cd /home/u/proj/fast").kind == Kind::Cd);
}

TEST_CASE("heredoc cut short", "[tokenizer][heredoc]") {
    SECTION("the stream ends inside it") {
        Tokenizer t;
        feed(t, "WORK=/tmp/go-build1");
        feed(t, "cat >$WORK/b002/importcfg << 'EOF' # internal");
        feed(t, "# import config");
        CHECK(feed(t, "packagefile fmt=$WORK/b003/_pkg_.a").kind == Kind::HeredocBody);
        CHECK(t.in_heredoc());
        CHECK(t.finish());
        CHECK_FALSE(t.in_heredoc());
        CHECK(t.heredocs_cut() == 1);
        CHECK_FALSE(t.finish()); // only once
        CHECK(t.heredocs_cut() == 1);
    }
    SECTION("a line that is clearly trace ends it") {
        Tokenizer t;
        feed(t, "WORK=/tmp/go-build1");
        feed(t, "cat >$WORK/b002/importcfg << 'EOF' # internal");
        feed(t, "# import config");
        auto m = feed(t, "mkdir -p $WORK/b003/");
        CHECK(m.kind == Kind::Mkdir); // classified as what it is
        CHECK(m.objdir == 3);
        // The event says that it closed a heredoc (see the fix in
        // tokenizer.cpp feed(): heredoc_cut was declared but never set).
        CHECK(m.heredoc_cut);
        CHECK_FALSE(t.in_heredoc());
        CHECK(t.heredocs_cut() == 1);
        CHECK_FALSE(t.finish());
        // Ordinary lines afterwards do not carry the flag.
        CHECK_FALSE(feed(t, "mkdir -p $WORK/b004/").heredoc_cut);
    }
    SECTION("other clearly-trace starts: WORK=, cat >, cd, a tool path") {
        const std::string cuts[] = {
            "WORK=/tmp/go-build2",
            "cat >$WORK/b004/importcfg << 'EOF' # internal",
            "cd /home/u/proj",
            kTool + "compile -o $WORK/b004/_pkg_.a -p x ./x.go",
        };
        const Kind kinds[] = {Kind::WorkDir, Kind::HeredocHeader, Kind::Cd, Kind::Compile};
        for (int i = 0; i < 4; ++i) {
            INFO(cuts[i]);
            Tokenizer t;
            feed(t, "WORK=/tmp/go-build1");
            feed(t, "cat >$WORK/b002/importcfg << 'EOF' # internal");
            auto e = feed(t, cuts[i]);
            CHECK(e.kind == kinds[i]);
            CHECK(e.heredoc_cut);
            CHECK(t.heredocs_cut() == 1);
        }
    }
}

// ---------------------------------------------------------------------------
// Rows 5, 6, 6b: echo writes.

TEST_CASE("echo writes (1.22+ one-line and empty, <=1.21 forms)", "[tokenizer]") {
    auto one_line = one("echo '# import config' > $WORK/b006/importcfg # internal");
    CHECK(one_line.kind == Kind::EchoWrite);
    CHECK(one_line.text == "# import config");
    CHECK(one_line.path == "$WORK/b006/importcfg");
    CHECK(one_line.objdir == 6);
    CHECK(one_line.target == WriteTarget::Importcfg);

    auto empty = one("echo -n > $WORK/b002/go_asm.h # internal");
    CHECK(empty.kind == Kind::EchoWrite);
    CHECK(empty.text.empty());
    CHECK(empty.path == "$WORK/b002/go_asm.h");
    CHECK(empty.objdir == 2);
    CHECK(empty.target == WriteTarget::Other);

    auto old = one("echo > $WORK/b003/preferlinkext");
    CHECK(old.kind == Kind::EchoWrite);
    CHECK(old.text.empty());
    CHECK(old.path == "$WORK/b003/preferlinkext");
    CHECK(old.objdir == 3);

    auto append = one("echo 'libfoo.so' >> /home/u/go/pkg/linux_amd64_dynlink/foo.shlibname");
    CHECK(append.kind == Kind::EchoWrite);
    CHECK(append.text == "libfoo.so");
    CHECK(append.path == "/home/u/go/pkg/linux_amd64_dynlink/foo.shlibname");
    CHECK(append.objdir == -1);

    // Content is not shell-escaped: it may contain quotes and " > ".
    auto odd = one("echo 'a' > b' > $WORK/b004/x # internal");
    CHECK(odd.kind == Kind::EchoWrite);
    CHECK(odd.text == "a' > b");
    CHECK(odd.objdir == 4);
}

// ---------------------------------------------------------------------------
// Rows 7-22: tool commands.

TEST_CASE("compile: -p main and a real import path", "[tokenizer][tools]") {
    auto m = one(kTool + "compile -o $WORK/b001/_pkg_.a -trimpath \"$WORK/b001=>\" -p main -lang=go1.19 -complete "
                         "-buildid t31L/t31L -goversion go1.19.8 -c=2 -nolocalimports -importcfg $WORK/b001/importcfg "
                         "-pack ./cmd/sample/main.go");
    CHECK(m.kind == Kind::Compile);
    CHECK(m.objdir == 1);
    CHECK(m.text == "main");
    CHECK(m.path == "$WORK/b001/_pkg_.a");
    CHECK_FALSE(m.toolexec);
    REQUIRE(m.has_cmd);
    CHECK(m.words.front() == kTool + "compile");
    CHECK(m.words.back() == "./cmd/sample/main.go");

    auto std_pkg = one(kTool + "compile -o $WORK/b130/_pkg_.a -trimpath \"$WORK/b130=>\" -p text/tabwriter -lang=go1.26 "
                               "-std -complete -buildid 7I/7I -goversion go1.26.8 -c=2 -nolocalimports "
                               "-importcfg $WORK/b130/importcfg -pack /usr/local/go/src/text/tabwriter/tabwriter.go");
    CHECK(std_pkg.kind == Kind::Compile);
    CHECK(std_pkg.objdir == 130);
    CHECK(std_pkg.text == "text/tabwriter");

    // A test variant: same -p, _test.go files.
    auto variant = one(kTool + "compile -o $WORK/b068/_pkg_.a -trimpath \"$WORK/b068=>\" -p example.com/sample/internal/greet "
                               "-lang=go1.19 -complete -buildid dk/dk -goversion go1.26.8 -c=2 -nolocalimports "
                               "-importcfg $WORK/b068/importcfg -pack ./internal/greet/greet.go ./internal/greet/greet_test.go");
    CHECK(variant.kind == Kind::Compile);
    CHECK(variant.objdir == 68);
    CHECK(variant.text == "example.com/sample/internal/greet");
}

TEST_CASE("asm and symabis", "[tokenizer][tools]") {
    auto s = one(kTool + "asm -p example.com/app/fast -trimpath \"$WORK/b012=>\" -I $WORK/b012/ -I /usr/local/go/pkg/include "
                         "-D GOOS_linux -D GOARCH_amd64 -D GOAMD64_v1 -gensymabis -o $WORK/b012/symabis ./sum_amd64.s");
    CHECK(s.kind == Kind::Asm);
    CHECK(s.objdir == 12);
    CHECK(s.text == "example.com/app/fast");
    CHECK(s.path == "$WORK/b012/symabis");

    auto o = one(kTool + "asm -p hash/crc32 -trimpath \"$WORK/b129=>\" -I $WORK/b129/ -I /usr/local/go/pkg/include "
                         "-D GOOS_linux -D GOARCH_amd64 -D GOAMD64_v1 -o $WORK/b129/crc32_amd64.o ./crc32_amd64.s");
    CHECK(o.kind == Kind::Asm);
    CHECK(o.objdir == 129);
    CHECK(o.path == "$WORK/b129/crc32_amd64.o");
}

TEST_CASE("cgo front end and cgo -dynimport", "[tokenizer][tools][cgo]") {
    auto c = one("TERM='dumb' CGO_LDFLAGS='\"-g\" \"-O2\"' " + kTool +
                 "cgo -objdir $WORK/b031/ -importpath example.com/app/sys -- -I $WORK/b031/ -g -O2 ./sys.go");
    CHECK(c.kind == Kind::Cgo);
    CHECK(c.objdir == 31);
    CHECK(c.text == "example.com/app/sys");
    REQUIRE(c.env.size() == 2);
    CHECK(c.env[0] == std::make_pair(std::string("TERM"), std::string("dumb")));
    CHECK(c.env[1] == std::make_pair(std::string("CGO_LDFLAGS"), std::string("\"-g\" \"-O2\"")));
    CHECK(c.words.front() == kTool + "cgo");

    // 1.26 runtime/cgo: a quoted -ldflags argument with escaped quotes.
    auto rc = one("TERM='dumb' CGO_LDFLAGS='' " + kTool +
                  "cgo -objdir $WORK/b004/ -importpath runtime/cgo -import_runtime_cgo=false -import_syscall=false "
                  "\"-ldflags=\\\"-O2\\\" \\\"-g\\\" \\\"-lpthread\\\"\" -- -I $WORK/b004/ -O2 -g -Wall -Werror ./cgo.go");
    CHECK(rc.kind == Kind::Cgo);
    CHECK(rc.objdir == 4);
    CHECK(rc.text == "runtime/cgo");
    REQUIRE(rc.env.size() == 2);
    CHECK(rc.env[1].second.empty());
    CHECK_FALSE(rc.malformed);
    bool found = false;
    for (auto& w : rc.words) found = found || w == "-ldflags=\"-O2\" \"-g\" \"-lpthread\"";
    CHECK(found);

    auto d = one("TERM='dumb' " + kTool + "cgo -dynpackage sys -dynimport $WORK/b031/_cgo_.o -dynout $WORK/b031/_cgo_import.go");
    CHECK(d.kind == Kind::CgoDynimport);
    CHECK(d.objdir == 31);
    CHECK(d.path == "$WORK/b031/_cgo_import.go");
    auto dl = one("TERM='dumb' " + kTool +
                  "cgo -dynpackage cgo -dynimport $WORK/b004/_cgo_.o -dynout $WORK/b004/_cgo_import.go -dynlinker");
    CHECK(dl.kind == Kind::CgoDynimport);
    CHECK(dl.objdir == 4);
}

TEST_CASE("env prefix with a Go-quoted value", "[tokenizer][tools]") {
    // runOut prints NAME="…" (%q) when the value contains a single quote.
    auto e = one("TERM='dumb' CGO_LDFLAGS=\"-L/opt/it's\" " + kTool +
                 "cgo -objdir $WORK/b031/ -importpath example.com/app/sys -- -I $WORK/b031/ -g -O2 ./sys.go");
    CHECK(e.kind == Kind::Cgo);
    CHECK(e.objdir == 31);
    REQUIRE(e.env.size() == 2);
    CHECK(e.env[1].first == "CGO_LDFLAGS");
    CHECK(e.env[1].second == "-L/opt/it's");
    CHECK(e.words.front() == kTool + "cgo");
    auto n = one("NAME=\"it's\" " + kTool + "vet $WORK/b007/vet.cfg");
    CHECK(n.kind == Kind::Vet);
    CHECK(n.objdir == 7);
    REQUIRE(n.env.size() == 1);
    CHECK(n.env[0].second == "it's");
}

TEST_CASE("C compiler lines", "[tokenizer][tools][cgo]") {
    auto cc = one("TERM='dumb' gcc -I /home/u/proj/sys -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 "
                  "-ffile-prefix-map=$WORK/b031=/tmp/go-build -gno-record-gcc-switches -I $WORK/b031/ -g -O2 "
                  "-o $WORK/b031/_x001.o -c _cgo_export.c");
    CHECK(cc.kind == Kind::CCompile);
    CHECK(cc.objdir == 31);
    CHECK(cc.path == "$WORK/b031/_x001.o");
    REQUIRE(cc.env.size() == 1);
    CHECK(cc.env[0].first == "TERM");
    CHECK(cc.words.front() == "gcc");

    // No TERM= prefix: recognised by the prefix-map flag alone.
    auto clang = one("clang -I . -fPIC -m64 -pthread -fno-caret-diagnostics -Qunused-arguments -fmessage-length=0 "
                     "-ffile-prefix-map=$WORK/b004=/tmp/go-build -gno-record-gcc-switches -I $WORK/b004/ -O2 -g "
                     "-ffile-prefix-map=/usr/local/go=/_/GOROOT -frandom-seed=ubFMh7A6AY6_QR8OM3Tz "
                     "-o $WORK/b004/_x003.o -c gcc_amd64.S");
    CHECK(clang.kind == Kind::CCompile);
    CHECK(clang.objdir == 4);

    // Go 1.19 runs gcc inside the objdir with a relative -o: the objdir comes
    // from -fdebug-prefix-map (format spec row 16). Real line from
    // trace_samples/go119-cgo-build.trace; see the fix in tokenizer.cpp.
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1686185021");
    feed(t, "cd $WORK/b002");
    auto rel = feed(t, "TERM='dumb' gcc -I /tmp/gox-capture/go119/cgo/cadd -fPIC -m64 -pthread -Wl,--no-gc-sections "
                       "-fmessage-length=0 -fdebug-prefix-map=$WORK/b002=/tmp/go-build -gno-record-gcc-switches -I ./ "
                       "-g -O2 -o ./_x001.o -c _cgo_export.c");
    CHECK(rel.kind == Kind::CCompile);
    CHECK(rel.path == "./_x001.o");
    CHECK(rel.objdir == 2);

    // A prefix map that is not an objdir does not invent one.
    auto goroot_only = one("TERM='dumb' gcc -ffile-prefix-map=/usr/local/go=/_/GOROOT -o ./x.o -c x.c");
    CHECK(goroot_only.kind == Kind::CCompile);
    CHECK(goroot_only.objdir == -1);
}

TEST_CASE("cgo link probe and its 1.24+ repeat", "[tokenizer][tools][cgo]") {
    auto first = one("TERM='dumb' gcc -I ./cadd -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 "
                     "-ffile-prefix-map=$WORK/b002=/tmp/go-build -gno-record-gcc-switches -o $WORK/b002/_cgo_.o "
                     "$WORK/b002/_cgo_main.o $WORK/b002/_x001.o $WORK/b002/_x002.o -O2 -g");
    CHECK(first.kind == Kind::CgoLinkProbe);
    CHECK(first.objdir == 2);
    CHECK(first.path == "$WORK/b002/_cgo_.o");

    auto ok = one("gcc -I /tmp/gox-capture/go126-misc/cgo/cadd -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 "
                  "-ffile-prefix-map=$WORK/b002=/tmp/go-build -gno-record-gcc-switches -o $WORK/b002/_cgo_.o "
                  "$WORK/b002/_cgo_main.o $WORK/b002/_x001.o $WORK/b002/_x002.o -O2 -g "
                  "# test for internal linking errors (succeeded)");
    CHECK(ok.kind == Kind::CgoLinkProbe);
    CHECK(ok.objdir == 2);
    CHECK(ok.annotation == "test for internal linking errors (succeeded)");
    CHECK(ok.words.back() == "-g"); // the annotation is not a word
    CHECK(ok.env.empty());

    auto failed = one("gcc -o $WORK/b031/_cgo_.o $WORK/b031/_cgo_main.o $WORK/b031/_x001.o -g -O2 "
                      "# test for internal linking errors (failed)");
    CHECK(failed.kind == Kind::CgoLinkProbe);
    CHECK(failed.annotation == "test for internal linking errors (failed)");
    CHECK(failed.objdir == 31);
}

TEST_CASE("gcc flag probes end in || true", "[tokenizer][tools][cgo]") {
    const char* probes[] = {
        "gcc -fno-caret-diagnostics -c -x c - -o /dev/null || true",
        "gcc -Qunused-arguments -c -x c - -o /dev/null || true",
        "gcc -Wl,--no-gc-sections -x c - -o /dev/null || true",
        "gcc -fdebug-prefix-map=a=b -c -x c - -o /dev/null || true",
        // 1.26: a probe that carries an objdir prefix map is still a probe.
        "gcc -I /usr/local/go/src/runtime/cgo -fPIC -m64 -pthread -Wl,--no-gc-sections -fmessage-length=0 "
        "-ffile-prefix-map=$WORK/b004=/tmp/go-build -gno-record-gcc-switches -frandom-seed=1 -O2 -g -c -x c - "
        "-o /dev/null || true",
        // Windows writes to a temp file instead of /dev/null.
        R"(gcc -fno-caret-diagnostics -c -x c - -o "$WORK\\b001\\1234567" || true)",
    };
    for (const char* p : probes) {
        INFO(p);
        auto e = one(p);
        CHECK(e.kind == Kind::FlagProbe);
        CHECK(e.or_true);
        CHECK(e.words.back() != "true");
    }
}

TEST_CASE("link: GOROOT= prefix, main archive from GOCACHE", "[tokenizer][tools]") {
    const std::string main_entry = entry(kCache, "a4");
    auto l = one("GOROOT='/usr/local/go' " + kTool +
                 "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe "
                 "-buildid=AAAA/BBBB/CCCC/AAAA -extld=gcc " +
                 main_entry);
    CHECK(l.kind == Kind::Link);
    CHECK(l.objdir == 1);
    CHECK(l.path == "$WORK/b001/exe/a.out");
    CHECK(l.path2 == "$WORK/b001/importcfg.link");
    CHECK(l.text == main_entry);
    CHECK(Tokenizer::is_cache_entry(l.text));
    REQUIRE(l.env.size() == 1);
    CHECK(l.env[0] == std::make_pair(std::string("GOROOT"), std::string("/usr/local/go")));

    // -trimpath: GOROOT=''; a test binary; the main archive in the objdir.
    auto t = one("GOROOT='' " + kTool +
                 "link -o $WORK/b080/greet.test -importcfg $WORK/b080/importcfg.link -s -w -buildmode=exe "
                 "-buildid=a/b/c/a -extld=gcc $WORK/b080/_pkg_.a");
    CHECK(t.kind == Kind::Link);
    CHECK(t.objdir == 80);
    CHECK(t.text == "$WORK/b080/_pkg_.a");
    REQUIRE(t.env.size() == 1);
    CHECK(t.env[0].second.empty());
    CHECK_FALSE(Tokenizer::is_cache_entry(t.text));
}

TEST_CASE("vet, cover, preprofile", "[tokenizer][tools]") {
    auto v = one("TERM='dumb' " + kTool + "vet -atomic -bool -buildtags -printf $WORK/b085/vet.cfg");
    CHECK(v.kind == Kind::Vet);
    CHECK(v.objdir == 85);
    CHECK(v.path == "$WORK/b085/vet.cfg");
    auto v2 = one("TERM='dumb' " + kTool + "vet -unsafeptr=false -unreachable=false $WORK/b007/vet.cfg");
    CHECK(v2.kind == Kind::Vet);
    CHECK(v2.objdir == 7);

    auto c = one(kTool + "cover -pkgcfg $WORK/b009/pkgcfg.txt -mode set -var goCover_1a2b3c4d5e6f_ "
                         "-outfilelist $WORK/b009/coveroutfiles.txt /home/u/proj/util/util.go");
    CHECK(c.kind == Kind::Cover);
    CHECK(c.objdir == 9);
    CHECK(c.path == "$WORK/b009/pkgcfg.txt");
    // 1.19 form: one run per file with -o.
    auto c19 = one(kTool + "cover -mode set -var GoCover_0_313233 -o $WORK/b009/util.cover.go /home/u/proj/util/util.go");
    CHECK(c19.kind == Kind::Cover);
    CHECK(c19.objdir == 9);

    auto p = one(kTool + "preprofile -o $WORK/b002/pgo.preprofile -i /home/u/proj/default.pgo");
    CHECK(p.kind == Kind::Preprofile);
    CHECK(p.objdir == 2);
    CHECK(p.path == "$WORK/b002/pgo.preprofile");
}

TEST_CASE("pack and buildid, tool path and go tool forms", "[tokenizer][tools]") {
    auto p19 = one(kTool + "pack r $WORK/b012/_pkg_.a $WORK/b012/sum_amd64.o # internal");
    CHECK(p19.kind == Kind::Pack);
    CHECK(p19.objdir == 12);
    CHECK(p19.path == "$WORK/b012/_pkg_.a");
    CHECK(p19.annotation == "internal");

    auto p25 = one("go tool pack r $WORK/b129/_pkg_.a $WORK/b129/crc32_amd64.o # internal");
    CHECK(p25.kind == Kind::Pack);
    CHECK(p25.objdir == 129);
    CHECK(p25.path == "$WORK/b129/_pkg_.a");

    auto b19 = one("/usr/lib/go-1.19/pkg/tool/linux_amd64/buildid -w $WORK/b032/_pkg_.a # internal");
    CHECK(b19.kind == Kind::BuildId);
    CHECK(b19.objdir == 32);
    CHECK(b19.path == "$WORK/b032/_pkg_.a");

    auto b25 = one("go tool buildid -w $WORK/b001/exe/a.out # internal");
    CHECK(b25.kind == Kind::BuildId);
    CHECK(b25.objdir == 1);
    CHECK(b25.path == "$WORK/b001/exe/a.out");
}

TEST_CASE("toolexec prefix", "[tokenizer][tools]") {
    auto c = one("/usr/bin/mytoolexec " + kTool +
                 "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -p example.com/app/util -lang=go1.22 "
                 "-complete -buildid A/A -goversion go1.22.3 -c=4 -nolocalimports -importcfg $WORK/b002/importcfg "
                 "-pack ./util/util.go");
    CHECK(c.kind == Kind::Compile);
    CHECK(c.toolexec);
    CHECK(c.objdir == 2);
    CHECK(c.text == "example.com/app/util");
    CHECK(c.words.front() == "/usr/bin/mytoolexec");

    // A toolexec program with its own arguments, in front of the linker.
    auto l = one("GOROOT='/usr/local/go' toolexec-wrap -v " + kTool +
                 "link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -buildmode=exe "
                 "-buildid=A/B/C/A -extld=gcc $WORK/b001/_pkg_.a");
    CHECK(l.kind == Kind::Link);
    CHECK(l.toolexec);
    CHECK(l.objdir == 1);

}

// ---------------------------------------------------------------------------
// Rows 11-13: cache store, replay, restore.

TEST_CASE("cache store, replay and restore", "[tokenizer][cache]") {
    const std::string e7 = entry(kCache, "3f");
    auto store = one("cp $WORK/b007/_pkg_.a " + e7 + " # internal");
    CHECK(store.kind == Kind::CacheStore);
    CHECK(store.objdir == 7);
    CHECK(store.path == "$WORK/b007/_pkg_.a");
    CHECK(store.path2 == e7);

    // 1.24+ go run executable: "-d/name".
    const std::string exe = entry(kCache, "d3") + "/sample";
    auto store_exe = one("cp $WORK/b001/exe/sample " + exe + " # internal");
    CHECK(store_exe.kind == Kind::CacheStore);
    CHECK(store_exe.objdir == 1);
    CHECK(store_exe.path2 == exe);

    // Replay: "cat <entry>  # internal" with two spaces.
    const std::string r = entry(kCache, "e0");
    auto replay = one("cat " + r + "  # internal");
    CHECK(replay.kind == Kind::CacheReplay);
    CHECK(replay.path == r);

    // Restore into the objdir, no "# internal".
    const std::string g = entry(kCache, "51");
    auto restore = one("cp " + g + " $WORK/b031/_cgo_gotypes.go");
    CHECK(restore.kind == Kind::CacheRestore);
    CHECK(restore.objdir == 31);
    CHECK(restore.path == g);
    CHECK(restore.path2 == "$WORK/b031/_cgo_gotypes.go");
}

TEST_CASE("cache paths with spaces (Windows user dir in GOCACHE)", "[tokenizer][cache][windows]") {
    // %LocalAppData% holds the user name, often with a space; cp and cat
    // print raw (%s) paths, so the cache path keeps its spaces.
    Tokenizer t;
    feed(t, R"(WORK=C:\Users\John Smith\AppData\Local\Temp\go-build5)");
    const std::string root = R"(C:\Users\John Smith\AppData\Local\go-build)";
    const std::string src = root + R"(\51\51)" + std::string(62, '0') + "-d";
    CHECK(Tokenizer::cache_root(src) == root);

    auto restore = feed(t, "cp " + src + R"( $WORK\b031\_cgo_gotypes.go)");
    CHECK(restore.kind == Kind::CacheRestore);
    CHECK(restore.path == src);
    CHECK(restore.path2 == R"($WORK\b031\_cgo_gotypes.go)");
    CHECK(restore.objdir == 31);

    const std::string dst = root + R"(\3f\3f)" + std::string(62, 'e') + "-d";
    auto store = feed(t, R"(cp $WORK\b007\_pkg_.a )" + dst + " # internal");
    CHECK(store.kind == Kind::CacheStore);
    CHECK(store.path == R"($WORK\b007\_pkg_.a)");
    CHECK(store.path2 == dst);
    CHECK(store.objdir == 7);

    auto replay = feed(t, "cat " + dst + "  # internal");
    CHECK(replay.kind == Kind::CacheReplay);
    CHECK(replay.path == dst);

    auto h = feed(t, R"(cat >C:\Users\John Smith\AppData\Local\Temp\go-build5\b001\importcfg << 'EOF' # internal)");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.objdir == 1);
    feed(t, "EOF");

    // A target with spaces.
    auto cp = feed(t, R"(cp $WORK\b001\exe\a.out.exe C:\Users\John Smith\go\bin\app.exe)");
    CHECK(cp.kind == Kind::Copy);
    CHECK(cp.path == R"($WORK\b001\exe\a.out.exe)");
    CHECK(cp.path2 == R"(C:\Users\John Smith\go\bin\app.exe)");
}

// ---------------------------------------------------------------------------
// Rows 23-27.

TEST_CASE("mv, cp, rm, ln -s to targets", "[tokenizer]") {
    auto mv = one("mv $WORK/b001/exe/a.out /tmp/gox-capture/go119/bin/sample");
    CHECK(mv.kind == Kind::Move);
    CHECK(mv.objdir == 1);
    CHECK(mv.path == "$WORK/b001/exe/a.out");
    CHECK(mv.path2 == "/tmp/gox-capture/go119/bin/sample");

    auto cp = one("cp $WORK/b001/exe/a.out /home/u/go/bin/app");
    CHECK(cp.kind == Kind::Copy);
    CHECK(cp.objdir == 1);
    CHECK(cp.path2 == "/home/u/go/bin/app");

    // A GOCACHE source to a non-objdir target (GOPATH install of a cached .a)
    // is a copy, not a restore.
    const std::string src = entry(kCache, "aa");
    auto cpc = one("cp " + src + " /home/u/go/pkg/linux_amd64/example.com/app/util.a");
    CHECK(cpc.kind == Kind::Copy);
    CHECK(cpc.objdir == -1);

    auto r = one("rm -r $WORK/b001/");
    CHECK(r.kind == Kind::Remove);
    CHECK(r.path == "$WORK/b001/");
    CHECK(r.objdir == 1);
    auto rf = one("rm -rf $WORK/b080/");
    CHECK(rf.kind == Kind::Remove);
    CHECK(rf.path == "$WORK/b080/");
    CHECK(rf.objdir == 80);

    auto ln = one("ln -s libfoo.so /home/u/go/pkg/linux_amd64_dynlink/libfoo.so.1");
    CHECK(ln.kind == Kind::Symlink);
    CHECK(ln.path == "libfoo.so");
    CHECK(ln.path2 == "/home/u/go/pkg/linux_amd64_dynlink/libfoo.so.1");

    auto nc = one("# $WORK/b031/_cgo_install.h not created");
    CHECK(nc.kind == Kind::HeaderNotCreated);
    CHECK(nc.path == "$WORK/b031/_cgo_install.h");
    CHECK(nc.objdir == 31);
}

TEST_CASE("a work dir with spaces", "[tokenizer]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/my dir/go-build123");
    CHECK(t.work_dir() == "/tmp/my dir/go-build123");
    CHECK(t.objdir_of("/tmp/my dir/go-build123/b004/_pkg_.a") == 4);

    auto h = feed(t, "cat >/tmp/my dir/go-build123/b004/importcfg << 'EOF' # internal");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.objdir == 4);
    CHECK(h.path == "/tmp/my dir/go-build123/b004/importcfg");
    feed(t, "EOF");

    auto mv = feed(t, "mv /tmp/my dir/go-build123/b001/exe/a.out /home/u/bin/app");
    CHECK(mv.kind == Kind::Move);
    CHECK(mv.path == "/tmp/my dir/go-build123/b001/exe/a.out");
    CHECK(mv.path2 == "/home/u/bin/app");
    CHECK(mv.objdir == 1);
}

// ---------------------------------------------------------------------------
// Rows 28-29: test binaries and go run programs.

TEST_CASE("test binary run, also behind -exec", "[tokenizer]") {
    auto r = one("$WORK/b001/util.test -test.testlogfile=$WORK/b001/testlog.txt -test.paniconexit0 -test.timeout=10m0s");
    CHECK(r.kind == Kind::TestRun);
    CHECK(r.objdir == 1);
    CHECK(r.path == "$WORK/b001/util.test");

    auto bare = one("$WORK/b080/greet.test");
    CHECK(bare.kind == Kind::TestRun);
    CHECK(bare.objdir == 80);

    auto exec = one("/usr/bin/qemu-aarch64-static $WORK/b001/util.test -test.paniconexit0 -test.timeout=10m0s");
    CHECK(exec.kind == Kind::TestRun);
    CHECK(exec.objdir == 1);
    CHECK(exec.path == "$WORK/b001/util.test");

    auto win = one("$WORK\\b001\\util.test.exe -test.paniconexit0 -test.timeout=10m0s");
    CHECK(win.kind == Kind::TestRun);
    CHECK(win.objdir == 1);
}

TEST_CASE("go run program, built and cached", "[tokenizer]") {
    auto r = one("$WORK/b001/exe/hello -flag");
    CHECK(r.kind == Kind::RunProgram);
    CHECK(r.objdir == 1);
    CHECK(r.path == "$WORK/b001/exe/hello");

    auto noargs = one("$WORK/b001/exe/sample");
    CHECK(noargs.kind == Kind::RunProgram);
    CHECK(noargs.objdir == 1);

    // 1.24+: the executable runs straight from GOCACHE (trace_samples/go126-run-cached.trace).
    const std::string cached = entry("/tmp/gox-capture/cache-go126-main", "d3") + "/sample";
    auto c = one(cached);
    CHECK(c.kind == Kind::RunProgram);
    CHECK(c.objdir == -1);
    CHECK(c.path == cached);
    auto ca = one(cached + " -v arg");
    CHECK(ca.kind == Kind::RunProgram);
    CHECK(ca.path == cached);
}

// ---------------------------------------------------------------------------
// Row 30: module fetch.

TEST_CASE("module fetch lines", "[tokenizer]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1");
    feed(t, "cd /home/u/proj");
    CHECK(feed(t, "# get https://proxy.golang.org/example.com/dep/@v/v1.2.3.zip").kind == Kind::ModFetch);
    CHECK(feed(t, "# get https://proxy.golang.org/example.com/dep/@v/v1.2.3.zip: 200 OK (0.041s)").kind == Kind::ModFetch);
    CHECK(feed(t, "# lock /home/u/go/pkg/mod/cache/vcs/3a7f.lock").kind == Kind::ModFetch);

    auto mk = feed(t, "mkdir -p /home/u/go/pkg/mod/cache/vcs/3a7f # git3 https://github.com/x/y");
    CHECK(mk.kind == Kind::ModFetch);
    CHECK(mk.path == "/home/u/go/pkg/mod/cache/vcs/3a7f");

    auto cdgit = feed(t, "cd /home/u/go/pkg/mod/cache/vcs/3a7f; git init --bare");
    CHECK(cdgit.kind == Kind::ModFetch);
    CHECK(cdgit.path == "/home/u/go/pkg/mod/cache/vcs/3a7f");
    CHECK(t.cwd() == "/home/u/proj"); // a VCS cd is not the build's cd

    CHECK(feed(t, "0.123s # cd /home/u/go/pkg/mod/cache/vcs/3a7f; git fetch -f origin").kind == Kind::ModFetch);
    CHECK(feed(t, "12.004s # cd /home/u/go/pkg/mod/cache/vcs/3a7f; git ls-remote -q origin").kind == Kind::ModFetch);
    CHECK(t.cwd() == "/home/u/proj");

    // "go: downloading" is user-facing (plain go prints it too).
    auto dl = feed(t, "go: downloading example.com/dep v1.2.3");
    CHECK(dl.kind == Kind::GoMessage);
    CHECK(dl.text == "downloading example.com/dep v1.2.3");
    CHECK_FALSE(gox::trace::is_trace_only(dl.kind));
}

// ---------------------------------------------------------------------------
// Row 32: GODEBUG output.

TEST_CASE("HASH and testcache lines", "[tokenizer]") {
    const std::string h64(64, 'c');
    const char* hashes[] = {
        "HASH[build example.com/app/util]",
        "HASH[build example.com/app/util]: \"go1.22.3\"",
        "HASH[build example.com/app/util]: \"dir /home/u/proj/util\\n\"",
    };
    for (const char* h : hashes) {
        INFO(h);
        CHECK(one(h).kind == Kind::Hash);
    }
    CHECK(one("HASH[build example.com/app/util]: " + h64).kind == Kind::Hash);
    CHECK(one("HASH /home/u/proj/util/util.go: " + h64).kind == Kind::Hash);
    CHECK(one("HASH subkey " + h64 + " \"stdout\" = " + h64).kind == Kind::Hash);
    CHECK(one("testcache: example.com/app/util: test ID 1a2b => 3c4d").kind == Kind::TestCache);
    CHECK(one("testcache: caching disabled for test argument: -test.count=1").kind == Kind::TestCache);
    // Not GODEBUG lines.
    CHECK(one("HASHES are fun").kind != Kind::Hash);
    CHECK(one("testcache:nospace").kind != Kind::TestCache);
}

// ---------------------------------------------------------------------------
// User-facing output (§7).

TEST_CASE("user block: # pkg header then diagnostics until the next trace line", "[tokenizer][user]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build240035082");
    feed(t, "cd /tmp/gox-capture/go119/compile-error");
    feed(t, "/usr/lib/go-1.19/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" "
            "-p example.com/broken/lib -lang=go1.19 -complete -buildid DI/DI -goversion go1.19.8 -c=2 "
            "-nolocalimports -importcfg $WORK/b002/importcfg -pack ./lib/lib.go");
    auto h = feed(t, "# example.com/broken/lib");
    CHECK(h.kind == Kind::UserHeader);
    CHECK(h.text == "example.com/broken/lib");
    CHECK_FALSE(gox::trace::is_trace_only(h.kind));

    const char* block[] = {
        "lib/lib.go:6:9: cannot use \"forty-two\" (untyped string constant) as int value in return statement",
        "\thave (string)",
        "",
        "too many errors",
        "note: module requires Go 1.30",
        "example.com/broken/lib",          // looks like a -v line
        "ok  \tlooks like test output",     // and like test output
        "./x.go:1:1: relative path",        // starts like a command path
        "/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1",
        "/usr/bin/ld: cannot find -lfoo: No such file or directory",
        "collect2: error: ld returned 1 exit status",
    };
    for (const char* l : block) {
        INFO(l);
        CHECK(feed(t, l).kind == Kind::UserOutput);
    }
    // A trace line ends the block; the same text afterwards is a loose diagnostic.
    CHECK(feed(t, "mkdir -p $WORK/b003/").kind == Kind::Mkdir);
    CHECK(feed(t, "lib/lib.go:6:9: cannot use x").kind == Kind::Diagnostic);
    CHECK(feed(t, "").kind == Kind::Blank);
}

TEST_CASE("1.22+ second header # [desc]", "[tokenizer][user]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build3226708576");
    auto h1 = feed(t, "# example.com/vetbroken/report");
    auto h2 = feed(t, "# [example.com/vetbroken/report]");
    auto d = feed(t, "report/report.go:8:14: fmt.Printf format %d has arg \"three\" of wrong type string");
    CHECK(h1.kind == Kind::UserHeader);
    CHECK(h2.kind == Kind::UserHeader);
    CHECK(h2.text == "[example.com/vetbroken/report]");
    CHECK(d.kind == Kind::UserOutput);
    CHECK(feed(t, "go tool buildid -w $WORK/b001/_pkg_.a # internal").kind == Kind::BuildId);

    // A variant's desc.
    auto v = one("# [example.com/app/util [example.com/app/util.test]]");
    CHECK(v.kind == Kind::UserHeader);
    CHECK(v.text == "[example.com/app/util [example.com/app/util.test]]");
}

TEST_CASE("cache replay followed by its # pkg block", "[tokenizer][user]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build2838058113");
    CHECK(feed(t, "cat " + entry("/tmp/gox-capture/cache-go126-main", "e0") + "  # internal").kind == Kind::CacheReplay);
    CHECK(feed(t, "# example.com/sample/internal/words").kind == Kind::UserHeader);
    CHECK(feed(t, "internal/words/words.go:7:6: can inline Title").kind == Kind::UserOutput);
    CHECK(feed(t, "internal/words/words.go:12:16: string(r) escapes to heap").kind == Kind::UserOutput);
}

TEST_CASE("diagnostics, go messages, test output and -v lines outside blocks", "[tokenizer][user]") {
    CHECK(one("util/util.go:3:2: undefined: x").kind == Kind::Diagnostic);
    CHECK(one("./main.go:10:5: declared and not used: y").kind == Kind::Diagnostic);
    CHECK(one("C:\\Users\\u\\proj\\main.go:1:1: expected 'package', found x").kind == Kind::Diagnostic);
    CHECK(one("sys/sys.c:3:10: fatal error: foo.h: No such file or directory").kind == Kind::Diagnostic);

    auto gm = one("go: finding module for package example.com/missing");
    CHECK(gm.kind == Kind::GoMessage);
    CHECK(gm.text == "finding module for package example.com/missing");
    CHECK(one("go build example.com/app/util: mkdir /tmp/x: no space left on device").kind == Kind::GoMessage);
    CHECK(one("example.com/app/util: mkdir /tmp/go-build1/b318/: no space left on device").kind == Kind::GoMessage);

    CHECK(one("ok  \texample.com/sample/internal/greet\t(cached)").kind == Kind::TestOutput);
    CHECK(one("ok  \texample.com/sample/internal/greet\t0.002s").kind == Kind::TestOutput);
    CHECK(one("FAIL\texample.com/testbroken/calc [build failed]").kind == Kind::TestOutput);
    CHECK(one("?   \texample.com/sample/cmd/sample\t[no test files]").kind == Kind::TestOutput);
    CHECK(one("--- FAIL: TestHours (0.00s)").kind == Kind::TestOutput);
    CHECK(one("=== RUN   TestHours").kind == Kind::TestOutput);
    CHECK(one("PASS").kind == Kind::TestOutput);
    CHECK(one("FAIL").kind == Kind::TestOutput);

    // -v prints bare import paths.
    auto v = one("example.com/app/util");
    CHECK(v.kind == Kind::PackageName);
    CHECK_FALSE(v.has_cmd);
    CHECK(one("fmt").kind == Kind::PackageName);
    CHECK(one("internal/abi").kind == Kind::PackageName);
    CHECK(one("command-line-arguments").kind == Kind::PackageName);
    CHECK_FALSE(gox::trace::is_trace_only(Kind::PackageName));
}

// ---------------------------------------------------------------------------
// Windows (§5.2).

TEST_CASE("Windows: quoted tool path, raw mkdir, absolute heredoc header", "[tokenizer][windows]") {
    Tokenizer t;
    feed(t, "WORK=C:\\Users\\u\\AppData\\Local\\Temp\\go-build123");
    auto c = feed(t, R"("C:\\Program Files\\Go\\pkg\\tool\\windows_amd64\\compile.exe" -o "$WORK\\b001\\_pkg_.a" )"
                     R"(-trimpath "$WORK\\b001=>" -p main -lang=go1.22 -complete -buildid A/A -goversion go1.22.3 )"
                     R"(-c=4 -nolocalimports -importcfg "$WORK\\b001\\importcfg" -pack "C:\\Users\\u\\proj\\main.go")");
    CHECK(c.kind == Kind::Compile);
    CHECK(c.objdir == 1);
    CHECK(c.text == "main");
    CHECK(c.path == R"($WORK\b001\_pkg_.a)");
    REQUIRE(c.has_cmd);
    CHECK(c.words.front() == R"(C:\Program Files\Go\pkg\tool\windows_amd64\compile.exe)");
    CHECK(c.words.back() == R"(C:\Users\u\proj\main.go)");
    CHECK_FALSE(c.malformed);

    auto m = feed(t, R"(mkdir -p $WORK\b001\)");
    CHECK(m.kind == Kind::Mkdir);
    CHECK(m.objdir == 1);

    auto h = feed(t, R"(cat >C:\Users\u\AppData\Local\Temp\go-build123\b001\importcfg << 'EOF' # internal)");
    CHECK(h.kind == Kind::HeredocHeader);
    CHECK(h.objdir == 1);
    CHECK(h.target == WriteTarget::Importcfg);
    auto b = feed(t, std::string(R"(packagefile fmt=)") + R"(C:\Users\u\AppData\Local\go-build\5d\5d)" +
                         std::string(62, '0') + "-d");
    CHECK(b.kind == Kind::HeredocBody);
    CHECK(feed(t, "EOF").kind == Kind::HeredocEnd);

    auto l = feed(t, R"("C:\\Program Files\\Go\\pkg\\tool\\windows_amd64\\link.exe" -o "$WORK\\b001\\exe\\a.out.exe" )"
                     R"(-importcfg "$WORK\\b001\\importcfg.link" -buildmode=pie -buildid=A/B/C/A -extld=gcc "$WORK\\b001\\_pkg_.a")");
    CHECK(l.kind == Kind::Link);
    CHECK(l.objdir == 1);
    CHECK(l.text == R"($WORK\b001\_pkg_.a)");

    auto cp = feed(t, R"(cp $WORK\b001\exe\a.out.exe app.exe)");
    CHECK(cp.kind == Kind::Copy);
    CHECK(cp.objdir == 1);
    CHECK(cp.path2 == "app.exe");

    auto cd = feed(t, R"(cd C:\Users\u\proj)");
    CHECK(cd.kind == Kind::Cd);
    CHECK(t.cwd() == R"(C:\Users\u\proj)");
}

// ---------------------------------------------------------------------------
// Robustness.

TEST_CASE("CRLF input: the trailing CR is ignored", "[tokenizer][robust]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1\r");
    CHECK(t.work_dir() == "/tmp/go-build1");
    auto m = feed(t, "mkdir -p $WORK/b002/\r");
    CHECK(m.kind == Kind::Mkdir);
    CHECK(m.path == "$WORK/b002/");
    CHECK(m.line == "mkdir -p $WORK/b002/");
    CHECK(feed(t, "cat >/tmp/go-build1/b002/importcfg << 'EOF' # internal\r").kind == Kind::HeredocHeader);
    auto b = feed(t, "# import config\r");
    CHECK(b.kind == Kind::HeredocBody);
    CHECK(b.text == "# import config");
    CHECK(feed(t, "EOF\r").kind == Kind::HeredocEnd);
    CHECK_FALSE(t.in_heredoc());
    auto s = feed(t, "go tool buildid -w $WORK/b002/_pkg_.a # internal\r");
    CHECK(s.kind == Kind::BuildId);
    CHECK(s.annotation == "internal");
    CHECK(feed(t, "cat " + entry(kCache, "e0") + "  # internal\r").kind == Kind::CacheReplay);
    CHECK(feed(t, "\r").kind == Kind::Blank);
}

TEST_CASE("binary garbage and NUL bytes do not crash", "[tokenizer][robust]") {
    Tokenizer t;
    feed(t, "WORK=/tmp/go-build1");
    const std::string garbage[] = {
        std::string("\0\0\0", 3),
        std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10),
        std::string("\xff\xfe\xfd garbage \0 more", 19),
        std::string("/\0/\0", 4),
        std::string("\"\\", 2),
        std::string("\"unterminated \\\" quote"),
        std::string("A='unterminated env"),
        std::string("cat >"),
        std::string("cp "),
        std::string("mv "),
        std::string("echo '"),
        std::string("rm -rf "),
        std::string("mkdir -p "),
        std::string("cd "),
        std::string("# "),
        std::string("#"),
        std::string("$"),
        std::string("go tool"),
        std::string("go tool pack"),
        std::string(" "),
    };
    for (const auto& g : garbage) {
        INFO(g.size());
        auto e = feed(t, g);
        CHECK(e.line.size() == g.size());
    }
    // The binary ones end up unrecognized.
    CHECK(feed(t, std::string("\x7f" "ELF\x02\x01\x01\0\0\0", 10)).kind == Kind::Unrecognized);
    CHECK(feed(t, std::string("\xff\xfe\xfd garbage \0 more", 19)).kind == Kind::Unrecognized);
    // Inside a # pkg block they are user output.
    feed(t, "# example.com/app");
    CHECK(feed(t, std::string("\0\x01\x02", 3)).kind == Kind::UserOutput);
    // And the tokenizer still works.
    CHECK(feed(t, "mkdir -p $WORK/b009/").objdir == 9);

    // The same bytes through the whole pipeline are counted, not fatal.
    std::string text = "WORK=/tmp/go-build1\n";
    text += std::string("\x7f" "ELF\x02\x01\x01\0\0\0\n", 11);
    text += std::string("\xff\xfe\xfd\0\n", 5);
    text += "mkdir -p $WORK/b001/\n";
    auto b = gox::model::parse_trace_text(text);
    CHECK(b.lines.total == 4);
    CHECK(b.lines.unrecognized == 2);
    CHECK(b.lines.unrecognized_examples.size() == 2);
    CHECK(b.lines.by_kind[static_cast<std::size_t>(Kind::Mkdir)] == 1);
}

TEST_CASE("a multi-megabyte line through LineReader", "[tokenizer][robust]") {
    // A compile line with thousands of files (several MB), then a normal line,
    // through a pipe as from a live go process.
    std::string huge = kTool + "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -p example.com/big -lang=go1.22 "
                               "-importcfg $WORK/b002/importcfg -pack";
    for (int i = 0; huge.size() < 5u * 1024 * 1024; ++i) huge += " ./gen/file" + std::to_string(i) + ".go";
    const std::string data = "WORK=/tmp/go-build1\n" + huge + "\ngo tool buildid -w $WORK/b002/_pkg_.a # internal\n";

    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::thread writer([&] {
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t w = ::write(fds[1], data.data() + off, std::min<std::size_t>(65536, data.size() - off));
            if (w <= 0) break;
            off += static_cast<std::size_t>(w);
        }
        ::close(fds[1]);
    });

    gox::util::LineReader reader(fds[0]);
    Tokenizer t;
    std::vector<Ev> evs;
    std::vector<bool> truncated;
    std::string_view line;
    while (reader.next(line)) {
        truncated.push_back(reader.truncated());
        CHECK(line.size() <= gox::util::LineReader::kDefaultMaxLine);
        evs.push_back(copy(t.feed(line)));
        evs.back().line.clear(); // keep only the classification
    }
    writer.join();
    ::close(fds[0]);

    REQUIRE(evs.size() == 3);
    CHECK(truncated == std::vector<bool>{false, true, false});
    CHECK(reader.lines_truncated() == 1);
    // The cut line is still recognised by its start; the next line is intact.
    CHECK(evs[1].kind == Kind::Compile);
    CHECK(evs[1].objdir == 2);
    CHECK(evs[1].text == "example.com/big");
    CHECK(evs[2].kind == Kind::BuildId);
    CHECK(evs[2].objdir == 2);
}

// ---------------------------------------------------------------------------
// Cache entry paths.

TEST_CASE("is_cache_entry and cache_root", "[tokenizer][cache]") {
    const std::string e = entry(kCache, "3f");
    CHECK(Tokenizer::is_cache_entry(e));
    CHECK(Tokenizer::cache_root(e) == kCache);
    CHECK(Tokenizer::is_cache_entry(e + "/sample"));
    CHECK(Tokenizer::cache_root(e + "/sample") == kCache);
    // A real one from trace_samples/go119-cold-build.trace.
    const std::string real =
        "/tmp/gox-capture/cache-go119/c0/c02e531e5e79324221d9abd617b0afc278e1bd06e19dc1ecd27f7e18c2a57754-d";
    CHECK(Tokenizer::is_cache_entry(real));
    CHECK(Tokenizer::cache_root(real) == "/tmp/gox-capture/cache-go119");
    // Windows separators.
    const std::string win = std::string(R"(C:\Users\u\AppData\Local\go-build\5d\5d)") + std::string(62, '0') + "-d";
    CHECK(Tokenizer::is_cache_entry(win));
    CHECK(Tokenizer::cache_root(win) == R"(C:\Users\u\AppData\Local\go-build)");

    // Negatives.
    const std::string h62(62, 'a');
    CHECK_FALSE(Tokenizer::is_cache_entry(""));
    CHECK_FALSE(Tokenizer::is_cache_entry("$WORK/b001/_pkg_.a"));
    CHECK_FALSE(Tokenizer::is_cache_entry("/usr/lib/go-1.19/pkg/linux_amd64/fmt.a"));
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f/3f" + h62));              // no -d
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f/3f" + h62 + "-a"));       // -a (action entry)
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f/3f" + h62 + "-dx"));      // junk after -d
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f/3f" + h62.substr(1) + "-d")); // 63 hex
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f/3f" + h62 + "a-d"));      // 65 hex
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3F/3F" + std::string(62, 'A') + "-d")); // upper case
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/ab/3f" + h62 + "-d"));       // dir is not the hash prefix
    CHECK_FALSE(Tokenizer::is_cache_entry(kCache + "/3f3f" + h62 + "-d"));        // no dir level
    CHECK_FALSE(Tokenizer::is_cache_entry("3f/3f" + h62 + "-d"));                 // relative, too short
    CHECK(Tokenizer::cache_root("$WORK/b001/_pkg_.a").empty());
}

// ---------------------------------------------------------------------------
// CommandParser.

TEST_CASE("CommandParser: env prefix", "[command]") {
    CommandParser p;
    CommandLine c;
    REQUIRE(p.parse("TERM='dumb' CGO_LDFLAGS='\"-g\" \"-O2\"' GOROOT='' gcc -c x.c", c));
    REQUIRE(c.env.size() == 3);
    CHECK(c.env[0].first == "TERM");
    CHECK(c.env[0].second == "dumb");
    CHECK(c.env[1].first == "CGO_LDFLAGS");
    CHECK(c.env[1].second == "\"-g\" \"-O2\"");
    CHECK(c.env[2].first == "GOROOT");
    CHECK(c.env[2].second.empty());
    REQUIRE(c.words.size() == 3);
    CHECK(c.words[0] == "gcc");
    CHECK_FALSE(c.malformed);

    // A value with ' is Go-quoted: NAME="it's".
    REQUIRE(p.parse(R"(NAME="it's" CGO_CFLAGS="-DX=\"a b\"" prog arg)", c));
    REQUIRE(c.env.size() == 2);
    CHECK(c.env[0].second == "it's");
    CHECK(c.env[1].second == "-DX=\"a b\"");
    REQUIRE(c.words.size() == 2);
    CHECK(c.words[0] == "prog");

    // 1.25+ cross-build prefixes.
    // (The views point into the line: keep it alive.)
    const std::string cross = "GOOS='linux' GOARCH='amd64' GOAMD64='v1' " + kTool + "compile -o $WORK/b002/_pkg_.a";
    REQUIRE(p.parse(cross, c));
    CHECK(c.env.size() == 3);
    CHECK(c.words[0] == kTool + "compile");

    // Assignments after the program are arguments.
    REQUIRE(p.parse("prog A='b' -X=y", c));
    CHECK(c.env.empty());
    REQUIRE(c.words.size() == 3);
    CHECK(c.words[1] == "A='b'");
    CHECK(c.words[2] == "-X=y");
}

TEST_CASE("CommandParser: quoted words with escapes", "[command]") {
    CommandParser p;
    CommandLine c;
    REQUIRE(p.parse(R"(prog "a b" "C:\\x\\y" "tab\there" "" plain "$WORK/b001=>")", c));
    REQUIRE(c.words.size() == 7);
    CHECK(c.words[1] == "a b");
    CHECK(c.words[2] == "C:\\x\\y");
    CHECK(c.words[3] == "tab\there");
    CHECK(c.words[4].empty());
    CHECK(c.words[5] == "plain");
    CHECK(c.words[6] == "$WORK/b001=>");
    CHECK_FALSE(c.malformed);

    // Several spaces between words are one separator.
    REQUIRE(p.parse("a   b", c));
    CHECK(c.words.size() == 2);

    // Reuse: a second parse does not leak words or env from the first.
    REQUIRE(p.parse("X='1' one", c));
    CHECK(c.words.size() == 1);
    CHECK(c.env.size() == 1);
    CHECK_FALSE(p.parse("", c));
    CHECK(c.words.empty());
    CHECK(c.env.empty());
    CHECK_FALSE(p.parse("   ", c));
}

TEST_CASE("CommandParser: annotations and || true", "[command]") {
    CommandParser p;
    CommandLine c;
    REQUIRE(p.parse("go tool buildid -w $WORK/b007/_pkg_.a # internal", c));
    CHECK(c.annotation == "internal");
    CHECK(c.words.size() == 5); // go tool buildid -w <file>
    CHECK(c.words.back() == "$WORK/b007/_pkg_.a");

    // Cache replay: two spaces before the annotation.
    REQUIRE(p.parse("cat /x/e0/e0-d  # internal", c));
    CHECK(c.annotation == "internal");
    CHECK(c.words.back() == "/x/e0/e0-d");

    REQUIRE(p.parse("gcc -o $WORK/b002/_cgo_.o x.o # test for internal linking errors (succeeded)", c));
    CHECK(c.annotation == "test for internal linking errors (succeeded)");
    CHECK(c.words.back() == "x.o");
    REQUIRE(p.parse("gcc -o $WORK/b002/_cgo_.o x.o # test for internal linking errors (failed)", c));
    CHECK(c.annotation == "test for internal linking errors (failed)");

    REQUIRE(p.parse("gcc -fno-caret-diagnostics -c -x c - -o /dev/null || true", c));
    CHECK(c.or_true);
    CHECK(c.annotation.empty());
    CHECK(c.words.back() == "/dev/null");
    CHECK_FALSE(c.has_word("||"));
    CHECK(c.has_word("-x"));
    CHECK(c.has_word("-"));

    // Other comments are not annotations.
    REQUIRE(p.parse("prog # something else", c));
    CHECK(c.annotation.empty());
    CHECK(c.words.size() == 4);
}

TEST_CASE("CommandParser: unterminated quote is malformed but safe", "[command]") {
    CommandParser p;
    CommandLine c;
    REQUIRE(p.parse(R"(prog -o "$WORK/b001/_pkg_.a)", c));
    CHECK(c.malformed);
    REQUIRE(c.words.size() >= 2);
    CHECK(c.words[0] == "prog");
    CHECK(c.words[1] == "-o");

    REQUIRE(p.parse("\"", c));
    CHECK(c.malformed);
    REQUIRE(p.parse(R"(prog "abc\")", c)); // the only closing quote is escaped
    CHECK(c.malformed);
    // An unterminated env value is not an env entry.
    REQUIRE(p.parse("TERM='dumb prog", c));
    CHECK(c.env.empty());
    CHECK(c.words.front() == "TERM='dumb");
}

TEST_CASE("CommandParser: flag lookup", "[command]") {
    CommandParser p;
    CommandLine c;
    const std::string line = kTool + "compile -o $WORK/b002/_pkg_.a -trimpath \"$WORK/b002=>\" -pack -p example.com/app/util "
                                     "-lang=go1.22 -std -buildid A/A -importcfg $WORK/b002/importcfg ./util.go -o2";
    REQUIRE(p.parse(line, c));
    CHECK(c.flag("-o") == "$WORK/b002/_pkg_.a"); // the first -o, not "-o2"
    CHECK(c.flag("-lang") == "go1.22");           // -flag=value form
    CHECK(c.flag("-p") == "example.com/app/util"); // "-pack" is not "-p"
    CHECK(c.flag("-trimpath") == "$WORK/b002=>");
    CHECK(c.flag("-buildid") == "A/A");
    CHECK(c.flag("-missing").empty());
    CHECK(c.flag("-la").empty()); // a prefix of -lang is not -lang
    CHECK(c.has_word("-std"));
    CHECK_FALSE(c.has_word("-st"));

    // A flag at the end has no value.
    REQUIRE(p.parse("prog -o", c));
    CHECK(c.flag("-o").empty());
    // Empty value in the = form.
    REQUIRE(p.parse("prog -lang= x", c));
    CHECK(c.flag("-lang").empty());
}
