// Unit tests for src/gox/util: go_unquote, base_name, clip, is_lower_hex and
// LineReader (over real pipes, so reads come in pieces as they do from go).
#include <catch2/catch.hpp>

#include <gox/trace/go_flags.hpp>
#include <gox/util/error.hpp>
#include <gox/util/line_reader.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using gox::util::base_name;
using gox::util::clip;
using gox::util::go_unquote;
using gox::util::is_lower_hex;
using gox::util::LineReader;

namespace {

// A pipe whose write end is fed by a thread, in chunks of `chunk` bytes (so a
// line can be split across read(2) calls), then closed.
struct PipeFeeder {
    int rd = -1;
    std::thread writer;

    explicit PipeFeeder(std::string data, std::size_t chunk = 4096) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        rd = fds[0];
        int wr = fds[1];
        writer = std::thread([wr, chunk, d = std::move(data)] {
            std::size_t off = 0;
            while (off < d.size()) {
                std::size_t n = std::min(chunk, d.size() - off);
                ssize_t w = ::write(wr, d.data() + off, n);
                if (w <= 0) break;
                off += static_cast<std::size_t>(w);
            }
            ::close(wr);
        });
    }
    ~PipeFeeder() {
        if (writer.joinable()) writer.join();
        if (rd >= 0) ::close(rd);
    }
    PipeFeeder(const PipeFeeder&) = delete;
    PipeFeeder& operator=(const PipeFeeder&) = delete;
};

struct ReadResult {
    std::vector<std::string> lines;
    std::vector<bool> truncated;
    std::vector<bool> unterminated;
    std::uint64_t bytes = 0;
    std::uint64_t truncated_count = 0;
};

ReadResult read_all(std::string data, std::size_t max_line = LineReader::kDefaultMaxLine, std::size_t chunk = 4096) {
    PipeFeeder p(std::move(data), chunk);
    LineReader r(p.rd, max_line);
    ReadResult out;
    std::string_view line;
    while (r.next(line)) {
        out.lines.emplace_back(line);
        out.truncated.push_back(r.truncated());
        out.unterminated.push_back(r.unterminated());
    }
    out.bytes = r.bytes_read();
    out.truncated_count = r.lines_truncated();
    return out;
}

std::optional<std::string> uq(std::string_view s) { return go_unquote(s); }

} // namespace

// ---------------------------------------------------------------------------
// go_unquote: the inverse of Go's strconv.Quote / %q, used for quoted command
// words (joinUnambiguously), NAME="…" env values and modinfo lines.

TEST_CASE("go_unquote: plain and simple escapes", "[util][go_unquote]") {
    CHECK(uq(R"("")") == std::string());
    CHECK(uq(R"("abc")") == std::string("abc"));
    CHECK(uq(R"("$WORK/b001=>")") == std::string("$WORK/b001=>"));
    CHECK(uq(R"("a\tb")") == std::string("a\tb"));
    CHECK(uq(R"("line\n")") == std::string("line\n"));
    CHECK(uq(R"("\a\b\f\r\v")") == std::string("\a\b\f\r\v"));
    CHECK(uq(R"("C:\\Program Files\\Go")") == std::string("C:\\Program Files\\Go"));
    CHECK(uq(R"("say \"hi\"")") == std::string("say \"hi\""));
}

TEST_CASE("go_unquote: numeric escapes", "[util][go_unquote]") {
    CHECK(uq(R"("\x41")") == std::string("A"));
    CHECK(uq(R"("\x00")") == std::string(1, '\0'));
    CHECK(uq(R"("\xff")") == std::string(1, '\xff')); // \x is a byte, not a code point
    CHECK(uq(R"("\101")") == std::string("A"));       // octal, exactly three digits
    CHECK(uq(R"("\000x")") == std::string("\0x", 2));
    CHECK(uq(R"("\u00e9")") == std::string("\xc3\xa9"));             // é in UTF-8
    CHECK(uq(R"("\u20AC")") == std::string("\xe2\x82\xac"));         // € (upper-case hex digits)
    CHECK(uq(R"("\U0001F600")") == std::string("\xf0\x9f\x98\x80")); // 😀
    CHECK(uq(R"("a\x41\u00e9\101z")") == std::string("aA\xc3\xa9" "Az"));
    // A real modinfo prefix from an importcfg.link body (trace_samples/go119-cold-build.trace).
    auto mi = uq(R"("0w\xaf\f\x92t\b\x02A\xe1\xc1\a\xe6\xd6\x18\xe6path\texample.com/sample/cmd/sample\n")");
    REQUIRE(mi);
    CHECK(mi->size() == 16 + 5 + 29 + 1);
    CHECK(mi->substr(16) == "path\texample.com/sample/cmd/sample\n");
}

TEST_CASE("go_unquote: invalid input gives nullopt", "[util][go_unquote]") {
    CHECK_FALSE(uq(""));
    CHECK_FALSE(uq("\""));
    CHECK_FALSE(uq("abc"));             // not quoted
    CHECK_FALSE(uq("'abc'"));           // single quotes are not Go %q
    CHECK_FALSE(uq("\"abc"));           // unterminated
    CHECK_FALSE(uq("abc\""));           // no opening quote
    CHECK_FALSE(uq(R"("a"b")"));        // bare quote inside
    CHECK_FALSE(uq(R"("abc\")"));       // the closing quote is escaped
    CHECK_FALSE(uq(R"("\q")"));         // unknown escape
    CHECK_FALSE(uq(R"("\x4")"));        // short \x
    CHECK_FALSE(uq(R"("\xZZ")"));       // not hex
    CHECK_FALSE(uq(R"("\u00e")"));      // short \u
    CHECK_FALSE(uq(R"("\u00eg")"));     // not hex
    CHECK_FALSE(uq(R"("\U0001F60")"));  // short \U
    CHECK_FALSE(uq(R"("\U00110000")")); // beyond U+10FFFF
    CHECK_FALSE(uq(R"("\400")"));       // octal above 255
    CHECK_FALSE(uq(R"("\18")"));        // 8 is not octal
    CHECK_FALSE(uq(R"("\1")"));         // octal needs three digits
    // Surrogate halves are not code points: Go's strconv.Unquote rejects them
    // (utf8.ValidRune). See the fix in strings.cpp go_unquote.
    CHECK_FALSE(uq(R"("\ud800")"));
    CHECK_FALSE(uq(R"("\uDFFF")"));
    CHECK_FALSE(uq(R"("\U0000D800")"));
    CHECK(uq(R"("\ud7ff")") == std::string("\xed\x9f\xbf")); // the last one before the gap
    CHECK(uq(R"("\ue000")") == std::string("\xee\x80\x80")); // the first one after it
}

// ---------------------------------------------------------------------------

TEST_CASE("base_name accepts both separators", "[util]") {
    CHECK(base_name("/usr/local/go/pkg/tool/linux_amd64/compile") == "compile");
    CHECK(base_name(R"(C:\Program Files\Go\pkg\tool\windows_amd64\compile.exe)") == "compile.exe");
    CHECK(base_name(R"($WORK\b001/exe\a.out.exe)") == "a.out.exe");
    CHECK(base_name("$WORK/b001\\util.test") == "util.test");
    CHECK(base_name("gcc") == "gcc");
    CHECK(base_name("$WORK/b001/") == "");
    CHECK(base_name("") == "");
}

TEST_CASE("clip cuts at n bytes without splitting UTF-8", "[util]") {
    CHECK(clip("hello", 5) == "hello");
    CHECK(clip("hello", 10) == "hello");
    CHECK(clip("hello world", 5) == "hello…");
    CHECK(clip("", 0) == "");
    // "h" "é"(C3 A9) "llo": a cut at 2 would split é, so it backs off to 1.
    const std::string s = "h\xc3\xa9llo";
    CHECK(clip(s, 2) == "h…");
    CHECK(clip(s, 3) == "h\xc3\xa9…");
    CHECK(clip(s, 1) == "h…");
    // A four-byte sequence (😀 F0 9F 98 80) after "ab": every cut inside it
    // backs off to just before it.
    const std::string e = "ab\xf0\x9f\x98\x80z";
    for (std::size_t n = 3; n <= 5; ++n) {
        INFO("n=" << n);
        CHECK(clip(e, n) == "ab…");
    }
    CHECK(clip(e, 6) == "ab\xf0\x9f\x98\x80…");
    // The result never ends in a partial sequence.
    for (std::size_t n = 0; n < e.size(); ++n) {
        std::string c = clip(e, n);
        std::string body = c.substr(0, c.size() - std::string("…").size());
        INFO("n=" << n);
        CHECK(body.size() <= n);
        CHECK(e.compare(0, body.size(), body) == 0);
        // The cut is at a sequence boundary: the next byte is not a continuation byte.
        CHECK((static_cast<unsigned char>(e[body.size()]) & 0xC0) != 0x80);
    }
}

TEST_CASE("is_lower_hex", "[util]") {
    CHECK(is_lower_hex("0123456789abcdef"));
    CHECK(is_lower_hex("c02e531e5e79324221d9abd617b0afc278e1bd06e19dc1ecd27f7e18c2a57754"));
    CHECK_FALSE(is_lower_hex(""));
    CHECK_FALSE(is_lower_hex("ABCDEF"));
    CHECK_FALSE(is_lower_hex("abcdeF"));
    CHECK_FALSE(is_lower_hex("12g4"));
    CHECK_FALSE(is_lower_hex("12 4"));
    CHECK_FALSE(is_lower_hex("-d"));
}

// ---------------------------------------------------------------------------
// LineReader over a pipe.

TEST_CASE("LineReader: LF lines", "[util][line_reader]") {
    auto r = read_all("WORK=/tmp/go-build1\nmkdir -p $WORK/b001/\n\nEOF\n");
    REQUIRE(r.lines.size() == 4);
    CHECK(r.lines[0] == "WORK=/tmp/go-build1");
    CHECK(r.lines[1] == "mkdir -p $WORK/b001/");
    CHECK(r.lines[2] == "");
    CHECK(r.lines[3] == "EOF");
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK_FALSE(r.truncated[i]);
        CHECK_FALSE(r.unterminated[i]);
    }
    CHECK(r.bytes == 46);
    CHECK(r.truncated_count == 0);
}

TEST_CASE("LineReader: CRLF lines lose the CR, a lone CR inside stays", "[util][line_reader]") {
    auto r = read_all("a\r\nb\r\n\r\nc\rd\n");
    REQUIRE(r.lines.size() == 4);
    CHECK(r.lines[0] == "a");
    CHECK(r.lines[1] == "b");
    CHECK(r.lines[2] == "");
    CHECK(r.lines[3] == "c\rd");
}

TEST_CASE("LineReader: last line without a newline is unterminated", "[util][line_reader]") {
    auto r = read_all("first\nsecond");
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0] == "first");
    CHECK_FALSE(r.unterminated[0]);
    CHECK(r.lines[1] == "second");
    CHECK(r.unterminated[1]);

    auto crlf = read_all("x\r\ny\r");
    REQUIRE(crlf.lines.size() == 2);
    CHECK(crlf.lines[1] == "y"); // a CR before the end of input is dropped too
    CHECK(crlf.unterminated[1]);
}

TEST_CASE("LineReader: empty input", "[util][line_reader]") {
    auto r = read_all("");
    CHECK(r.lines.empty());
    CHECK(r.bytes == 0);

    // A lone newline is one empty line, not zero.
    auto one = read_all("\n");
    REQUIRE(one.lines.size() == 1);
    CHECK(one.lines[0].empty());
    CHECK_FALSE(one.unterminated[0]);
}

TEST_CASE("LineReader: NUL bytes are ordinary bytes", "[util][line_reader]") {
    std::string data("a\0b\n\0\n", 6);
    auto r = read_all(data);
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[0] == std::string("a\0b", 3));
    CHECK(r.lines[1] == std::string(1, '\0'));
}

TEST_CASE("LineReader: lines split across reads are joined", "[util][line_reader]") {
    // Three-byte writes, and lines longer than the 256 KiB read chunk.
    std::string big(300 * 1024, 'x');
    std::string data = "ab" + std::string("cdefgh") + "\n" + big + "\r\nend\n";
    auto r = read_all(data, LineReader::kDefaultMaxLine, 3);
    REQUIRE(r.lines.size() == 3);
    CHECK(r.lines[0] == "abcdefgh");
    CHECK(r.lines[1] == big);
    CHECK_FALSE(r.truncated[1]);
    CHECK(r.lines[2] == "end");
    CHECK(r.bytes == data.size());
}

TEST_CASE("LineReader: long lines are cut at max_line and counted", "[util][line_reader]") {
    auto r = read_all("0123456789ABCDEF\nxy\n12345678\nlonglonglong", 8, 5);
    REQUIRE(r.lines.size() == 4);
    CHECK(r.lines[0] == "01234567");
    CHECK(r.truncated[0]);
    CHECK(r.lines[1] == "xy"); // the rest of the long line was skipped, not returned
    CHECK_FALSE(r.truncated[1]);
    CHECK(r.lines[2] == "12345678"); // exactly max_line fits
    CHECK_FALSE(r.truncated[2]);
    CHECK(r.lines[3] == "longlong");
    CHECK(r.truncated[3]);
    CHECK(r.unterminated[3]);
    CHECK(r.truncated_count == 2);
}

TEST_CASE("LineReader: a multi-megabyte line stays capped", "[util][line_reader]") {
    const std::size_t cap = LineReader::kDefaultMaxLine;
    std::string huge = "/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a";
    while (huge.size() < 6 * cap) huge += " ./very/long/path/to/some/file.go";
    std::string data = huge + "\nnext\n";
    PipeFeeder p(data, 64 * 1024);
    LineReader r(p.rd);
    std::string_view line;
    REQUIRE(r.next(line));
    CHECK(r.truncated());
    CHECK(line.size() == cap);
    CHECK(line == std::string_view(huge).substr(0, cap));
    REQUIRE(r.next(line));
    CHECK(line == "next");
    CHECK_FALSE(r.truncated());
    CHECK_FALSE(r.next(line));
    CHECK(r.lines_truncated() == 1);
    CHECK(r.bytes_read() == data.size());
}

TEST_CASE("LineReader: a read error throws Fatal", "[util][line_reader]") {
    // A write-only descriptor cannot be read: read(2) fails with EBADF.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    {
        LineReader r(fds[1]);
        std::string_view line;
        CHECK_THROWS_AS(r.next(line), gox::util::Fatal);
    }
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("is_lower_hex: the 8-bytes-at-a-time check agrees with a byte check for every byte and position",
          "[util]") {
    auto naive = [](std::string_view s) {
        for (char c : s)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        return !s.empty();
    };
    std::string first_difference;
    for (std::size_t len : {7u, 8u, 9u, 16u, 64u}) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (int b = 0; b < 256; ++b) {
                std::string s(len, 'a');
                for (std::size_t k = 0; k < len; ++k) s[k] = "0123456789abcdef"[k % 16];
                s[pos] = static_cast<char>(b);
                if (is_lower_hex(s) != naive(s) && first_difference.empty())
                    first_difference = "len " + std::to_string(len) + " pos " + std::to_string(pos) + " byte " +
                                       std::to_string(b);
            }
        }
    }
    CHECK(first_difference == "");
}

TEST_CASE("go flag table: values, test flags, the test cache", "[util][go_flags]") {
    using gox::trace::find_go_flag;
    using gox::trace::go_flag_takes_value;
    // A separate value only where go's flag takes one, and never after '='.
    CHECK(go_flag_takes_value("-tags"));
    CHECK(go_flag_takes_value("--tags"));
    CHECK_FALSE(go_flag_takes_value("-tags=x"));
    CHECK(go_flag_takes_value("-C"));
    CHECK(go_flag_takes_value("-debug-actiongraph"));
    CHECK_FALSE(go_flag_takes_value("-fullpath")); // a boolean test flag (Go 1.21)
    CHECK_FALSE(go_flag_takes_value("-race"));
    CHECK_FALSE(go_flag_takes_value("./pkg"));
    CHECK_FALSE(go_flag_takes_value("-unknownflag"));
    // -test.NAME is the same flag as -NAME.
    REQUIRE(find_go_flag("-test.run=^TestX$") != nullptr);
    CHECK(find_go_flag("-test.run=^TestX$")->name == "run");
    CHECK(find_go_flag("-run")->in_test_id);
    // Cacheable but not in the test ID; not cacheable; no test flag.
    CHECK(find_go_flag("-coverprofile")->cacheable);
    CHECK_FALSE(find_go_flag("-coverprofile")->in_test_id);
    CHECK_FALSE(find_go_flag("-count")->cacheable);
    CHECK_FALSE(find_go_flag("-benchmem")->cacheable);
    CHECK_FALSE(find_go_flag("-tags")->test_flag);
    CHECK(find_go_flag("-vet")->test_flag);
}
