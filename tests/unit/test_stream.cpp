// TraceStream's fail-open rules: what the wrapper shows when the model fails
// or when a heredoc never ends.
#include <gox/model/stream.hpp>

#include <catch2/catch.hpp>

#include <string>

using gox::model::TraceStream;

namespace {
const char* kTrace = "WORK=/tmp/go-build1\n"
                     "mkdir -p $WORK/b001/\n"
                     "cat >/tmp/go-build1/b001/importcfg << 'EOF' # internal\n"
                     "# import config\n"
                     "packagefile fmt=/tmp/go-build1/b002/_pkg_.a\n"
                     "EOF\n"
                     "cd /src/x\n"
                     "/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -trimpath \"$WORK/b001=>\" "
                     "-p example.com/x -lang=go1.22 -complete ./x.go\n";
} // namespace

TEST_CASE("A closed heredoc stays hidden", "[stream]") {
    std::string out;
    TraceStream ts([&](std::string_view s) { out += s; }, false);
    ts.feed(kTrace);
    ts.feed("# example.com/x\n./x.go:1:1: oops\n");
    ts.finish();
    CHECK(out == "# example.com/x\n./x.go:1:1: oops\n");
}

TEST_CASE("The lines of a heredoc that never ends are shown at the end", "[stream]") {
    std::string out;
    TraceStream ts([&](std::string_view s) { out += s; }, false);
    std::string tail = "cat >$WORK/b009/x << 'EOF' # internal\n./main.go:3:2: an error\nexit status 2";
    ts.feed(std::string(kTrace) + tail);
    ts.finish();
    CHECK(out == tail);
    auto b = ts.take_build();
    CHECK(b.lines.heredocs_cut == 1);
}

TEST_CASE("A heredoc longer than any go writes is shown as it comes", "[stream]") {
    std::string out;
    TraceStream ts([&](std::string_view s) { out += s; }, false);
    ts.feed("WORK=/tmp/go-build1\ncat >$WORK/b001/importcfg << 'EOF' # internal\n");
    std::string line(1000, 'x');
    line += '\n';
    std::string body;
    while (body.size() <= TraceStream::kMaxHeld + 10 * line.size()) body += line;
    ts.feed(body);
    CHECK(out.size() > TraceStream::kMaxHeld); // not all held back
    ts.feed("EOF\n# example.com/x\nerror\n");
    ts.finish();
    CHECK(out == "cat >$WORK/b001/importcfg << 'EOF' # internal\n" + body + "# example.com/x\nerror\n");
}

TEST_CASE("When the model fails, trace lines stay hidden and go's output is shown", "[stream]") {
    std::string out;
    TraceStream ts([&](std::string_view s) { out += s; }, false);
    ts.fault_at_line = 3;
    ts.feed(kTrace);
    ts.feed("# example.com/x\n./x.go:1:1: oops\n");
    ts.feed(kTrace);
    ts.finish();
    CHECK(ts.analysis_failed());
    CHECK(out == "# example.com/x\n./x.go:1:1: oops\n");
    auto b = ts.take_build();
    bool noted = false;
    for (const auto& n : b.notes) noted = noted || n.find("analysis failed (std::bad_alloc)") != std::string::npos;
    CHECK(noted);
}

TEST_CASE("With the user's own -x every byte passes, whatever happens", "[stream]") {
    std::string out, in = std::string(kTrace) + "cat >$WORK/b1/x << 'EOF'\nnever closed\n\r\n";
    in += std::string("\0\xff", 2);
    TraceStream ts([&](std::string_view s) { out += s; }, true);
    ts.fault_at_line = 2;
    for (char c : in) ts.feed(std::string_view(&c, 1));
    ts.finish();
    CHECK(out == in);
}

TEST_CASE("A hostile -goversion does not overflow (fuzz_stream finding)", "[stream]") {
    std::string out;
    TraceStream ts([&](std::string_view s) { out += s; }, false);
    ts.feed("WORK=/tmp/go-build1\n/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -p x "
            "-goversion go1.99999999999999999999 -complete ./x.go\n# x\n./x.go:1:1: oops\n");
    ts.finish();
    CHECK(out == "# x\n./x.go:1:1: oops\n");
}

// go's stdout under --why: HASH lines that nested go processes print there
// are dropped, every other byte passes on unchanged, however it is chunked.
#include <gox/model/hash_filter.hpp>

TEST_CASE("HashLineFilter: drops HASH lines from go's stdout, in any chunking", "[stream]") {
    const std::string in = "ok  \texample.com/a\t0.01s\n"
                           "HASH[moduleIndex]: \"go1.26.8\"\n"
                           "HASH[moduleIndex]: 3f9a\n"
                           "HASH /usr/local/go/src/internal/abi/abi.go: 0da1\n"
                           "HASH subkey 2e17 \"stdout\" = 2eaa\n"
                           "HASHES are not a marker\n"
                           "HAS\n"
                           "\n"
                           "  HASH[indented]: kept\n"
                           "coverage: 50.0% of statements\n"
                           "HASH[last]: no newline";
    const std::string want = "ok  \texample.com/a\t0.01s\n"
                             "HASHES are not a marker\n"
                             "HAS\n"
                             "\n"
                             "  HASH[indented]: kept\n"
                             "coverage: 50.0% of statements\n";
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, in.size()}) {
        std::string out;
        gox::model::HashLineFilter f([&](std::string_view b) { out += b; });
        for (std::size_t i = 0; i < in.size(); i += chunk) f.feed(std::string_view(in).substr(i, chunk));
        f.finish();
        CAPTURE(chunk);
        CHECK(out == want);
        CHECK(f.dropped() == 4); // the unterminated last one is dropped, not counted
    }
}

TEST_CASE("HashLineFilter: a prompt without a newline is passed on at once", "[stream]") {
    std::string out;
    gox::model::HashLineFilter f([&](std::string_view b) { out += b; });
    f.feed("Your name: ");
    CHECK(out == "Your name: ");
    f.feed("H");
    CHECK(out == "Your name: H"); // mid-line: no HASH line can start here
    f.feed("\nHA");
    CHECK(out == "Your name: H\n"); // held: it may still become a HASH line
    f.finish();
    CHECK(out == "Your name: H\nHA"); // go exited: it was output after all
}
