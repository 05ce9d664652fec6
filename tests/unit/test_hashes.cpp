// Unit tests for the GODEBUG=gocachehash=1 reader (src/gox/trace/hash_stream.*)
// and the hash-input classification and diff (src/gox/analysis/hashes.*).
//
// Test data in tests/unit/data, real go output trimmed to whole records (no line
// edited). Captured in examples/sample with a fresh GOCACHE; this environment
// sets GOFLAGS=-buildvcs=false, so the modinfo chunks carry no VCS stamp:
//   hash-go126-build.txt  GODEBUG=gocachehash=1 go build -p=1 -debug-actiongraph=ag.json
//                         -o /dev/null ./cmd/sample   (go1.26.8): the first moduleIndex
//                         record, then the records of internal/goarch, unicode, the
//                         sample's three packages and the link, with the file-hash and
//                         subkey lines that follow each.
//   hash-go119-build.txt  the same with /usr/lib/go-1.19/bin/go (go1.19.8).
//   hash-go126-test.txt   GODEBUG=gocachehash=1 go test -debug-actiongraph=ag.json ./...
//                         (go1.26.8, default -p on 2 CPUs): line ranges at which no
//                         build/link/vet/test record was open: three moduleIndex
//                         records; internal/goarch, unsafeheader, abi and cpu, whose
//                         lines interleave; the sample's build and vet records, among
//                         them `build .../greet` twice (for greet, then for its test
//                         variant) and `vet .../greet` twice; the link of greet.test;
//                         two testResult records; testInputs with a getenv hash
//                         computed inside it.
//   hash-*.actionids      "mode<TAB>package<TAB>ActionID" of the same records, from the
//                         -debug-actiongraph file written by the same run.
// Chunks quoted in the diff tests come from further real runs (a copy of the
// sample with a file edited, a file added, GOAMD64=v3, -gcflags=all=-N...).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <gox/analysis/hashes.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/why.hpp>
#include <gox/trace/hash_stream.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

using gox::analysis::classify_chunk;
using gox::analysis::describe;
using gox::analysis::diff_inputs;
using gox::analysis::diff_records;
using gox::analysis::find_input_kind;
using gox::analysis::hash_to_action_id;
using gox::analysis::HashChange;
using gox::analysis::HashCollector;
using gox::analysis::HashInput;
using gox::analysis::HashRecord;
using gox::analysis::input_kind;
using gox::analysis::input_kind_table;
using gox::analysis::input_reason;
using gox::analysis::InputKind;
using gox::analysis::is_keyed_input;
using gox::analysis::Reason;
using gox::analysis::reason_from_changes;
using gox::analysis::sha256_hex;

namespace {

bool is_file(const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string parent(std::string d) {
    while (d.size() > 1 && d.back() == '/')
        d.pop_back();
    auto s = d.rfind('/');
    if (s == std::string::npos) return ".";
    return s == 0 ? "/" : d.substr(0, s);
}

// tests/unit/data: $GOX_TEST_DATA, or found by walking up from the working
// directory, the test binary and this source file.
std::string data_dir() {
    static const std::string dir = [] {
        const std::string probe = "/hash-go126-build.txt";
        if (const char* env = std::getenv("GOX_TEST_DATA"))
            if (is_file(std::string(env) + probe)) return std::string(env);
        std::vector<std::string> starts;
        char buf[4096];
        if (::getcwd(buf, sizeof buf)) starts.emplace_back(buf);
        ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
        std::string exe_dir = n > 0 ? parent(std::string(buf, static_cast<std::size_t>(n))) : ".";
        starts.push_back(exe_dir);
        std::string src = parent(__FILE__);
        if (!src.empty() && src[0] == '/')
            starts.push_back(src);
        else {
            starts.push_back(exe_dir + "/" + src);
            starts.push_back(parent(exe_dir) + "/" + src);
        }
        for (std::string d : starts) {
            for (int i = 0; i < 8; ++i) {
                for (const char* sub : {"/data", "/tests/unit/data", "/unit/data"})
                    if (is_file(d + sub + probe)) return d + sub;
                d = parent(d);
            }
        }
        return std::string("tests/unit/data");
    }();
    return dir;
}

std::vector<std::string> read_lines(const std::string& name) {
    std::ifstream in(data_dir() + "/" + name);
    REQUIRE(in.good());
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l))
        lines.push_back(l);
    return lines;
}

HashCollector collect(const std::vector<std::string>& lines) {
    HashCollector c;
    for (const std::string& l : lines)
        c.feed(l);
    c.finish();
    return c;
}

HashCollector collect_file(const std::string& name) {
    return collect(read_lines(name));
}

struct GraphId {
    std::string mode, package, action_id;
};

std::vector<GraphId> read_actionids(const std::string& name) {
    std::vector<GraphId> out;
    for (const std::string& l : read_lines(name)) {
        auto t1 = l.find('\t'), t2 = l.rfind('\t');
        REQUIRE(t1 != std::string::npos);
        REQUIRE(t2 > t1);
        out.push_back({l.substr(0, t1), l.substr(t1 + 1, t2 - t1 - 1), l.substr(t2 + 1)});
    }
    return out;
}

std::vector<std::string> names(const HashCollector& c) {
    std::vector<std::string> out;
    for (const HashRecord& r : c.records())
        out.push_back(r.name());
    return out;
}

std::vector<std::string> ids(const std::vector<std::string>& chunks) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < chunks.size(); ++i)
        out.push_back(classify_chunk(chunks[i], i == 0).id);
    return out;
}

std::vector<std::string> chunks_of(const HashCollector& c, const std::string& name,
                                   std::size_t occurrence = 0) {
    const HashRecord* r = c.find(name, occurrence);
    REQUIRE(r != nullptr);
    return r->chunks();
}

// The lines of the occurrence-th record named name: its HASH[NAME] line up to
// its sum (only lines with that name).
std::vector<std::string> record_lines(const std::vector<std::string>& lines,
                                      const std::string& name, std::size_t occurrence = 0) {
    const std::string open = "HASH[" + name + "]", prefix = open + ": ";
    std::vector<std::string> out;
    std::size_t seen = 0;
    bool in = false;
    for (const std::string& l : lines) {
        if (l == open) {
            in = seen++ == occurrence;
            if (in) out.push_back(l);
            continue;
        }
        if (!in || l.compare(0, prefix.size(), prefix) != 0) continue;
        out.push_back(l);
        if (l.size() == prefix.size() + 64 && l[prefix.size()] != '"') break; // the sum
    }
    return out;
}

// Replaces the chunk equal to from (exactly one) with to.
std::vector<std::string> replaced(std::vector<std::string> chunks, const std::string& from,
                                  const std::string& to) {
    auto it = std::find(chunks.begin(), chunks.end(), from);
    REQUIRE(it != chunks.end());
    *it = to;
    return chunks;
}

// A deterministic pseudo-random generator (the same interleavings every run).
struct Lcg {
    std::uint64_t s;
    std::uint32_t next() {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(s >> 33);
    }
};

// A random merge of the sequences, each kept in order.
std::vector<std::string> interleave(const std::vector<std::vector<std::string>>& seqs, Lcg& rng) {
    std::vector<std::size_t> pos(seqs.size(), 0);
    std::vector<std::string> out;
    for (;;) {
        std::vector<std::size_t> live;
        for (std::size_t i = 0; i < seqs.size(); ++i)
            if (pos[i] < seqs[i].size()) live.push_back(i);
        if (live.empty()) return out;
        std::size_t k = live[rng.next() % live.size()];
        out.push_back(seqs[k][pos[k]++]);
    }
}

const char* kWords = "build example.com/sample/internal/words";
const char* kGreet = "build example.com/sample/internal/greet";
const char* kMain = "build example.com/sample/cmd/sample";
const char* kLink = "link example.com/sample/cmd/sample";

} // namespace

// ---- hashes ----------------------------------------------------------------

TEST_CASE("Hash-input kinds: one table, every id once, every reason a known reason id", "[hashes]") {
    std::set<std::string_view> seen;
    for (const auto& k : input_kind_table()) {
        INFO(k.id);
        CHECK(seen.insert(k.id).second);
        CHECK(&input_kind(k.kind) == &k); // the rows are in the enum's order
        CHECK(find_input_kind(k.id) == &k);
        CHECK(input_reason(k.id) == k.reason);
        std::string_view reason = gox::analysis::reason_name(k.reason);
        CHECK(!reason.empty());
        CHECK(gox::analysis::find_reason(reason) != nullptr);
        if (k.kind == InputKind::Other) {
            CHECK(k.rank == -1);
            CHECK((!k.keyed && !k.once));
        } else {
            // Matched by key, or there at most once: never both, never neither.
            CHECK(k.rank >= 0);
            CHECK(k.keyed != k.once);
        }
        CHECK(is_keyed_input(k.id) == k.keyed);
    }
    CHECK(seen.size() == input_kind_table().size());
    CHECK(find_input_kind("no_such_input") == nullptr);
    CHECK(input_reason("no_such_input") == Reason::InputsChanged);
    CHECK_FALSE(is_keyed_input("no_such_input"));

    // Every chunk of the real records classifies as a kind of the table.
    for (const char* file : {"hash-go126-build.txt", "hash-go119-build.txt", "hash-go126-test.txt"}) {
        HashCollector c = collect_file(file);
        for (const HashRecord& r : c.records())
            for (std::size_t i = 0; i < r.chunk_count(); ++i) {
                INFO(file << ": " << r.name() << " chunk " << i);
                CHECK(find_input_kind(classify_chunk(r.chunk(i), i == 0).id) != nullptr);
            }
    }
}

TEST_CASE("hash_to_action_id: base64url of the first 15 bytes, as -debug-actiongraph shows",
          "[hashes]") {
    // From hash-go126-build.txt and its -debug-actiongraph.
    CHECK(hash_to_action_id("fe767320e9feacf80bb811cbf698f8e92f8e4dd1e03ea5ee63c8f315e9116c58") ==
          "_nZzIOn-rPgLuBHL9pj4");
    CHECK(hash_to_action_id("c78793e2a546e2fd70ea7ae3c02d3aba32cc00c064deede1e51972a5e045edd1") ==
          "x4eT4qVG4v1w6nrjwC06");
    CHECK(hash_to_action_id("").empty());
    CHECK(hash_to_action_id("fe767320").empty());
    CHECK(hash_to_action_id("FE767320E9FEACF80BB811CBF698F8E92F8E4DD1E03EA5EE63C8F315E9116C58")
              .empty());
    CHECK(hash_to_action_id(std::string(64, 'g')).empty());
}

TEST_CASE("sha256_hex: standard vectors and multi-block input", "[hashes]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string bytes;
    for (int k = 0; k < 4; ++k)
        for (int i = 0; i < 256; ++i)
            bytes += static_cast<char>(i);
    CHECK(sha256_hex(bytes) == "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9");
    // 55, 56 and 64 bytes: the padding edge cases.
    CHECK(sha256_hex(std::string(55, 'a')) ==
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK(sha256_hex(std::string(56, 'a')) ==
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK(sha256_hex(std::string(64, 'a')) ==
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

// ---- real excerpts ---------------------------------------------------------

TEST_CASE("Go 1.26 build excerpt: records, chunks, sums", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    CHECK(names(c) == std::vector<std::string>{"build internal/goarch", "build unicode", kWords,
                                               kGreet, kMain, kLink});
    const std::vector<std::size_t> counts{10, 12, 11, 14, 15, 77};
    for (std::size_t i = 0; i < c.records().size(); ++i) {
        const HashRecord& r = c.records()[i];
        INFO(r.name());
        CHECK(r.chunk_count() == counts[i]);
        CHECK(r.chunk(0) == "go1.26.8");
        CHECK(r.complete());
        CHECK(r.verified());
        CHECK_FALSE(r.ambiguous());
        CHECK_FALSE(r.continued());
        CHECK(r.occurrence() == 0);
        CHECK(r.action_id().size() == 20);
    }
    const HashRecord& words = c.records()[2];
    CHECK(words.kind() == "build");
    CHECK(words.subject() == "example.com/sample/internal/words");
    CHECK(words.sum() == "fe767320e9feacf80bb811cbf698f8e92f8e4dd1e03ea5ee63c8f315e9116c58");
    CHECK(words.chunk(2) == "dir /work/main/examples/sample/internal/words\n");
    CHECK(words.chunk(words.chunk_count() - 1) == "import unicode eVEweJLU5shCGPpOo1Y0\n");
    CHECK(words.chunk(99).empty());
    CHECK(c.records()[5].kind() == "link");

    const auto& s = c.stats();
    CHECK(s.lines == 180);
    CHECK(s.opens == 7);
    CHECK(s.sums == 7);
    CHECK(s.kept == 6);
    CHECK(s.ignored == 1);
    CHECK(s.opens_by_kind.at("moduleIndex") == 1);
    CHECK(s.opens_by_kind.at("build") == 5);
    CHECK(s.file_hashes == 12);
    CHECK(s.subkeys == 11);
    CHECK(s.bad_lines + s.bad_quoting + s.orphan_chunks + s.orphan_sums + s.truncated +
              s.unverified ==
          0);
    CHECK(s.duplicate_opens == 0);
    CHECK(c.file_hashes().size() == 12);
    CHECK(c.file_hashes().at("/work/main/examples/sample/internal/words/words.go") ==
          "fe208a4e915fc676c970f7f74bea81836fcc04ed5330ad5194ac045f19d8b0c7");
    CHECK(c.file_errors().empty());
}

TEST_CASE("Go 1.19 build excerpt: same shapes, go1.19.8 salt", "[hashes]") {
    HashCollector c = collect_file("hash-go119-build.txt");
    CHECK(names(c) == std::vector<std::string>{"build internal/goarch", "build unicode", kWords,
                                               kGreet, kMain, kLink});
    for (const HashRecord& r : c.records()) {
        INFO(r.name());
        CHECK(r.chunk(0) == "go1.19.8");
        CHECK(r.verified());
    }
    CHECK(c.find(kLink)->chunk_count() == 55);
    CHECK(c.find(kWords)->chunk(7) == "compile compile version go1.19.8 [] []\n");
    // No defaultgodebug line before 1.24.
    CHECK(ids(chunks_of(c, kLink))[5] == "link_tool");
    CHECK(c.stats().bad_lines + c.stats().bad_quoting + c.stats().truncated +
              c.stats().unverified ==
          0);
}

TEST_CASE("action_id equals the ActionID of -debug-actiongraph from the same run", "[hashes]") {
    for (const char* base : {"hash-go126-build", "hash-go119-build", "hash-go126-test"}) {
        INFO(base);
        HashCollector c = collect_file(std::string(base) + ".txt");
        std::multiset<std::string> from_hashes, from_graph;
        for (const HashRecord& r : c.records())
            if (r.kind() == "build" || r.kind() == "link")
                from_hashes.insert(std::string(r.kind()) + " " + std::string(r.subject()) + " " +
                                   r.action_id());
        for (const GraphId& g : read_actionids(std::string(base) + ".actionids"))
            from_graph.insert(g.mode + " " + g.package + " " + g.action_id);
        CHECK(from_hashes == from_graph);
        CHECK(from_graph.size() >= 6);
    }
    // The build action ID also shows up inside the link record (packagemain
    // actionID/contentID) and the vet record (pkg, as raw bytes).
    HashCollector c = collect_file("hash-go126-build.txt");
    HashInput pm = classify_chunk(c.find(kLink)->chunk(12));
    CHECK(pm.id == "packagemain");
    CHECK(pm.value == c.find(kMain)->action_id() + "/5nlkPAy7cNCvus7sPjM5");
    HashCollector t = collect_file("hash-go126-test.txt");
    HashInput pkg = classify_chunk(t.find("vet example.com/sample/internal/greet", 1)->chunk(3));
    CHECK(pkg.id == "vet_package");
    CHECK(pkg.value == t.find(kGreet, 1)->sum());
}

TEST_CASE("Records of different packages interleaved (go test, default -p)", "[hashes]") {
    std::vector<std::string> lines = read_lines("hash-go126-test.txt");
    HashCollector c = collect(lines);
    const auto& s = c.stats();
    CHECK(s.lines == 449);
    CHECK(s.bad_lines + s.bad_quoting + s.orphan_chunks + s.orphan_sums + s.truncated +
              s.unverified ==
          0);
    CHECK(s.duplicate_opens == 0);
    CHECK(s.opens_by_kind.at("moduleIndex") == 3);
    CHECK(s.opens_by_kind.at("getenv") == 1);
    CHECK(s.kept == 18);

    // goarch and unsafeheader, then abi and cpu, are computed at the same time.
    auto first_of = [&](const std::string& prefix) {
        return std::find_if(lines.begin(), lines.end(),
                            [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }) -
               lines.begin();
    };
    CHECK(first_of("HASH[build internal/cpu]") <
          first_of("HASH[build internal/abi]: \"GOAMD64=v1\\n\""));
    for (const char* n : {"build internal/goarch", "build internal/unsafeheader",
                          "build internal/abi", "build internal/cpu"}) {
        INFO(n);
        const HashRecord* r = c.find(n);
        REQUIRE(r != nullptr);
        CHECK(r->verified());
        CHECK_FALSE(r->ambiguous());
    }
    // Every file of build internal/cpu is one of cpu's files.
    const HashRecord* cpu = c.find("build internal/cpu");
    std::size_t files = 0;
    for (std::size_t i = 0; i < cpu->chunk_count(); ++i) {
        HashInput in = classify_chunk(cpu->chunk(i), i == 0);
        if (in.id != "file") continue;
        ++files;
        CHECK(c.file_hashes().count("/usr/local/go/src/internal/cpu/" + in.key) == 1);
    }
    CHECK(files == 6);

    // getenv is computed inside testInputs: testInputs keeps only its own chunks.
    const HashRecord* ti = c.find("testInputs");
    REQUIRE(ti != nullptr);
    CHECK(ti->chunks() ==
          std::vector<std::string>{
              "go1.26.8",
              "env GODEBUG bbb6d274cd446b756265727f37987491445d0370dac94f4bc590b94ca62f4b4b\n"});
    CHECK(ti->verified());
    CHECK(c.find("getenv") == nullptr); // not a kept kind
    CHECK(c.find("testResult", 1) != nullptr);
}

TEST_CASE("The same NAME twice in a row: package and test variant", "[hashes]") {
    HashCollector c = collect_file("hash-go126-test.txt");
    const HashRecord* plain = c.find(kGreet, 0);
    const HashRecord* test = c.find(kGreet, 1);
    REQUIRE(plain != nullptr);
    REQUIRE(test != nullptr);
    CHECK(c.find(kGreet, 2) == nullptr);
    CHECK(plain->chunk_count() == 14);
    CHECK(test->chunk_count() == 17);
    CHECK(test->occurrence() == 1);
    CHECK_FALSE(plain->ambiguous());
    CHECK_FALSE(test->ambiguous());
    CHECK(plain->action_id() == "YrJZyiVuhMlDjtmUn57O");
    CHECK(test->action_id() == "2lwUuh9nULnqxOVbCWjh");
    auto has = [](const HashRecord* r, std::string_view chunk) {
        for (std::size_t i = 0; i < r->chunk_count(); ++i)
            if (r->chunk(i) == chunk) return true;
        return false;
    };
    CHECK(has(test, "file greet_test.go JLdMgO8s_J1aCFmLSXm6\n"));
    CHECK_FALSE(has(plain, "file greet_test.go JLdMgO8s_J1aCFmLSXm6\n"));
    // vet P too: once for the package (facts for vetting cmd/sample), once for the test.
    CHECK(c.find("vet example.com/sample/internal/greet", 1) != nullptr);
    // The normal variant is the same in the build-only run.
    HashCollector b = collect_file("hash-go126-build.txt");
    CHECK(b.find(kGreet)->sum() == plain->sum());
}

TEST_CASE("The same NAME open twice at once: the sums sort the chunks out", "[hashes]") {
    std::vector<std::string> lines = read_lines("hash-go126-test.txt");
    std::vector<std::string> a = record_lines(lines, kGreet, 0), b = record_lines(lines, kGreet, 1);
    REQUIRE(a.size() == 16); // open, 14 chunks, sum
    REQUIRE(b.size() == 19);
    HashCollector ref = collect(lines);
    const std::string sum_a = ref.find(kGreet, 0)->sum(), sum_b = ref.find(kGreet, 1)->sum();

    Lcg rng{42};
    int overlapped = 0;
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<std::string> mixed =
            trial % 2 ? interleave({a, b}, rng) : interleave({b, a}, rng);
        HashCollector c = collect(mixed);
        INFO("trial " << trial);
        REQUIRE(c.records().size() == 2);
        const HashRecord& r0 = c.records()[0];
        const HashRecord& r1 = c.records()[1];
        if (c.stats().duplicate_opens == 0) continue; // one was closed before the other opened
        ++overlapped;
        CHECK(r0.ambiguous());
        CHECK(r1.ambiguous());
        CHECK(r0.verified());
        CHECK(r1.verified());
        const std::multiset<std::string> got{r0.sum(), r1.sum()}, want{sum_a, sum_b};
        CHECK(got == want);
        for (const HashRecord* r : {&r0, &r1}) {
            const HashRecord* expected = ref.find(kGreet, r->sum() == sum_a ? 0 : 1);
            CHECK(r->chunks() == expected->chunks());
        }
        CHECK(c.stats().unverified == 0);
    }
    CHECK(overlapped > 250);

    // Three at once: best effort (the search for an exact explanation is
    // bounded); whatever is not verified is counted as such.
    int all_verified = 0;
    for (int trial = 0; trial < 20; ++trial) {
        HashCollector c = collect(interleave({a, b, a}, rng));
        REQUIRE(c.records().size() == 3);
        std::size_t unverified = 0;
        for (const HashRecord& r : c.records()) {
            CHECK(r.complete());
            unverified += !r.verified();
        }
        CHECK(c.stats().unverified == unverified);
        all_verified += unverified == 0;
    }
    CHECK(all_verified >= 10);

    // Two testResult records (each: salt, one chunk, sum) racing.
    std::vector<std::string> t0 = record_lines(lines, "testResult", 0),
                             t1 = record_lines(lines, "testResult", 1);
    REQUIRE(t0.size() == 4);
    for (int trial = 0; trial < 50; ++trial) {
        HashCollector c = collect(interleave({t0, t1}, rng));
        REQUIRE(c.records().size() == 2);
        CHECK(c.records()[0].verified());
        CHECK(c.records()[1].verified());
    }
}

TEST_CASE("A record go abandons does not take the next one's chunks", "[hashes]") {
    // computeTestInputsID returns without a sum when the test log is malformed
    // or a file cannot be opened; the next testInputs opens while it is "open".
    std::vector<std::string> lines = read_lines("hash-go126-test.txt");
    std::vector<std::string> full = record_lines(lines, "testInputs");
    REQUIRE(full.size() == 4);
    SECTION("abandoned after more than the next one has") {
        std::vector<std::string> feed{full[0], full[1], full[2],
                                      "HASH[testInputs]: \"env HOME 0d1e\\n\""};
        feed.insert(feed.end(), full.begin(), full.end());
        HashCollector c = collect(feed);
        REQUIRE(c.records().size() == 2);
        CHECK_FALSE(c.records()[0].complete());
        CHECK(c.records()[0].chunk_count() == 3);
        CHECK(c.records()[1].verified());
        CHECK(c.records()[1].chunk_count() == 2);
        CHECK(c.stats().truncated == 1);
        CHECK(c.stats().duplicate_opens == 1);
        CHECK(c.stats().unverified == 0);
    }
    SECTION("abandoned with the same chunks: the newer one takes the sum") {
        std::vector<std::string> feed{full[0], full[1], full[2]};
        feed.insert(feed.end(), full.begin(), full.end());
        HashCollector c = collect(feed);
        REQUIRE(c.records().size() == 2);
        CHECK_FALSE(c.records()[0].complete());
        CHECK(c.records()[1].verified());
    }
    SECTION("and the group goes on with the next records of that name") {
        std::vector<std::string> feed{full[0], full[1], full[2],
                                      "HASH[testInputs]: \"env HOME 0d1e\\n\""};
        for (int i = 0; i < 3; ++i)
            feed.insert(feed.end(), full.begin(), full.end());
        HashCollector c = collect(feed);
        REQUIRE(c.records().size() == 4);
        for (std::size_t i = 1; i < 4; ++i)
            CHECK(c.records()[i].verified());
        CHECK(c.stats().truncated == 1);
    }
    SECTION("for a long time: the work stays bounded") {
        std::vector<std::string> feed{full[0], full[1], full[2],
                                      "HASH[testInputs]: \"env HOME 0d1e\\n\""};
        for (int i = 0; i < 2000; ++i)
            feed.insert(feed.end(), full.begin(), full.end());
        HashCollector c = collect(feed);
        REQUIRE(c.records().size() == 2001);
        CHECK(c.stats().unverified == 0);
        CHECK(c.stats().truncated == 1);
    }
}

TEST_CASE("go writes to a hash after its sum (gccCompilerID)", "[hashes]") {
    // Real lines (go1.26.8 building a cgo package): gccCompilerID sums, then
    // writes more and sums again with no new HASH[gccCompilerID] line.
    HashCollector c = collect({
        "HASH[gccCompilerID]",
        "HASH[gccCompilerID]: \"go1.26.8\"",
        "HASH[gccCompilerID]: \"gccCompilerID \\\"/usr/bin/gcc\\\"\"",
        "HASH[gccCompilerID]: 114d43076ece6024cf394f70e3fe889a6e8bfcbd69d2f1fa05de259b105550b9",
        "HASH[gccCompilerID]: \"gccCompilerID [\\\"/usr/bin/gcc\\\" \\\"\\\"] \\\"gcc version "
        "12.2.0 (Debian "
        "12.2.0-14+deb12u1) \\\"\\n\"",
        "HASH[gccCompilerID]: df253b950e082e4c1c59dc8176f740e8f100a3c0b4aecde7389c7d78d36441de",
    });
    CHECK(c.records().empty()); // not a kept kind
    CHECK(c.stats().opens == 1);
    CHECK(c.stats().sums == 1);
    CHECK(c.stats().orphan_chunks == 1);
    CHECK(c.stats().orphan_sums == 1);
    CHECK(c.stats().bad_lines == 0);

    // The same pattern on a kept kind: the second record continues the first.
    std::string c1 = "go1.26.8", c2 = "compile\n", c3 = "GOAMD64=v1\n";
    HashCollector k = collect({
        "HASH[build x]",
        "HASH[build x]: \"go1.26.8\"",
        "HASH[build x]: \"compile\\n\"",
        "HASH[build x]: " + sha256_hex(c1 + c2),
        "HASH[build x]: \"GOAMD64=v1\\n\"",
        "HASH[build x]: " + sha256_hex(c1 + c2 + c3),
    });
    REQUIRE(k.records().size() == 2);
    CHECK(k.records()[0].verified());
    CHECK_FALSE(k.records()[0].continued());
    CHECK(k.records()[1].continued());
    CHECK(k.records()[1].chunks() == std::vector<std::string>{c1, c2, c3});
    CHECK(k.records()[1].verified());
    CHECK(k.records()[1].occurrence() == 1);
}

TEST_CASE("A record cut off at the end has no sum", "[hashes]") {
    std::vector<std::string> lines = read_lines("hash-go126-build.txt");
    std::vector<std::string> words = record_lines(lines, kWords);
    REQUIRE(words.size() == 13);
    words.resize(8); // open + 7 chunks
    HashCollector c = collect(words);
    REQUIRE(c.records().size() == 1);
    const HashRecord& r = c.records()[0];
    CHECK_FALSE(r.complete());
    CHECK_FALSE(r.verified());
    CHECK(r.sum().empty());
    CHECK(r.action_id().empty());
    CHECK(r.chunk_count() == 7);
    CHECK(c.stats().truncated == 1);
    CHECK(c.stats().sums == 0);

    // finish() twice, and lines after finish(), change nothing.
    HashCollector d;
    for (const std::string& l : words)
        d.feed(l);
    d.finish();
    d.finish();
    d.feed(words[1]);
    CHECK(d.stats().truncated == 1);
    CHECK(d.stats().lines == 8);
}

TEST_CASE("Garbage and bad quoting: counted, never fatal", "[hashes]") {
    HashCollector c;
    const std::vector<std::string> bad_lines{
        "",
        "HASH",
        "HASH[",
        "HASH[]",
        "HASH x",
        "HASHISH[build x]",
        "not a hash line",
        "# example.com/sample/internal/words",
        "HASH[build x]: nothex",
        "HASH[build x]: 1234",
        "HASH /no/colon/here",
        std::string("HASH[\0\0\0]: \x01", 12),
    };
    for (const std::string& l : bad_lines)
        c.feed(l);
    CHECK(c.stats().bad_lines == bad_lines.size());
    CHECK(c.records().empty());

    c.feed("HASH[build x]");
    c.feed("HASH[build x]: \"go1.26.8\"");
    c.feed("HASH[build x]: \"unterminated\\n");     // cut line
    c.feed("HASH[build x]: \"bad \\q escape\\n\""); // not a Go escape
    c.feed("HASH[build x]: \"compile\\n\"\r");      // CRLF
    c.feed("HASH /src/x.go: open /src/x.go: no such file or directory");
    c.feed("HASH[build x]: " + std::string(64, 'a'));
    c.finish();
    CHECK(c.stats().bad_quoting == 2);
    CHECK(c.stats().file_errors == 1);
    CHECK(c.file_errors().at("/src/x.go") == "open /src/x.go: no such file or directory");
    REQUIRE(c.records().size() == 1);
    const HashRecord& r = c.records()[0];
    CHECK(r.chunk_count() == 4); // the mangled chunks are kept raw, so positions still line up
    CHECK(r.chunk(1) == "\"unterminated\\n");
    CHECK(r.chunk(3) == "compile\n");
    CHECK(r.complete());
    CHECK_FALSE(r.verified());
    CHECK(c.stats().unverified == 1);
}

TEST_CASE("Garbage and cut lines in bulk: no crash, every line counted", "[hashes]") {
    std::vector<std::string> lines = read_lines("hash-go126-test.txt");
    Lcg rng{7};
    HashCollector c;
    std::size_t fed = 0;
    for (int round = 0; round < 3; ++round) {
        for (const std::string& l : lines) {
            std::string m = l;
            switch (rng.next() % 6) {
            case 0:
                m = m.substr(0, rng.next() % (m.size() + 1));
                break; // cut
            case 1:
                if (!m.empty()) m[rng.next() % m.size()] = static_cast<char>(rng.next() & 0xff);
                break;
            case 2: {
                std::string junk;
                for (std::uint32_t i = 0, n = rng.next() % 200; i < n; ++i)
                    junk += static_cast<char>(rng.next() & 0xff);
                m = (rng.next() % 2 ? "HASH[" : "") + junk;
                break;
            }
            default:
                break;
            }
            c.feed(m);
            ++fed;
        }
    }
    c.finish();
    CHECK(c.stats().lines == fed);
    for (const HashRecord& r : c.records()) {
        CHECK(r.chunks().size() == r.chunk_count());
        if (r.verified()) CHECK(r.action_id().size() == 20);
    }
}

TEST_CASE("Open records are bounded", "[hashes]") {
    HashCollector c;
    for (std::size_t i = 0; i < HashCollector::kMaxOpen + 10; ++i)
        c.feed("HASH[build p" + std::to_string(i) + "]");
    CHECK(c.stats().truncated == 10); // p0 ... p9, the oldest
    // Ignored kinds are dropped first (they are only counters).
    for (std::size_t i = 0; i < 100; ++i)
        c.feed("HASH[moduleIndex]");
    CHECK(c.stats().truncated == 10);
    c.feed("HASH[build p0]: \"go1.26.8\""); // p0 was dropped: an orphan now, and p10 goes
    CHECK(c.stats().orphan_chunks == 1);
    CHECK(c.stats().truncated == 11);
    c.finish();
    CHECK(c.stats().truncated == 11 + HashCollector::kMaxOpen);
    CHECK(c.records().size() == HashCollector::kMaxOpen + 11);
}

// ---- classify_chunk --------------------------------------------------------

TEST_CASE("classify_chunk: a real build record, in go's order", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> words = chunks_of(c, kWords);
    CHECK(ids(words) == std::vector<std::string>{"toolchain", "compile", "package_dir",
                                                 "go_directive", "target", "import_path",
                                                 "omitdebug", "compile_tool", "env", "file",
                                                 "dependency"});
    auto in = [&](std::size_t i) { return classify_chunk(words[i], i == 0); };
    CHECK(in(0).value == "go1.26.8");
    CHECK(in(2).value == "/work/main/examples/sample/internal/words");
    CHECK(in(3).value == "1.19");
    CHECK(in(4).value == "linux/amd64");
    CHECK(in(5).value == "example.com/sample/internal/words");
    CHECK(in(6).value == "false standard false local false prefix \"\"");
    CHECK(in(7).key == "compile version go1.26.8");
    CHECK(in(7).value == "[] []");
    CHECK((in(8).key == "GOAMD64" && in(8).value == "v1"));
    CHECK((in(9).key == "words.go" && in(9).value == "_iCKTpFfxnbJcPf3S-qB"));
    CHECK((in(10).key == "unicode" && in(10).value == "eVEweJLU5shCGPpOo1Y0"));

    std::vector<std::string> main_ids = ids(chunks_of(c, kMain));
    CHECK(main_ids[7] == "modinfo");
    HashInput mi = classify_chunk(chunks_of(c, kMain)[7]);
    CHECK(mi.value.rfind(
              "path\texample.com/sample/cmd/sample\nmod\texample.com/sample\t(devel)\t\n", 0) == 0);
    CHECK(mi.value.find("build\tGOAMD64=v1\n") != std::string::npos);

    // Standard packages: no dir line, and "import unsafe " with an empty content ID.
    std::vector<std::string> uni = chunks_of(c, "build unicode");
    CHECK(ids(uni)[2] == "target");
    HashInput std_in = classify_chunk(uni[4]);
    CHECK(std_in.value == "false standard true local false prefix \"\"");
}

TEST_CASE("classify_chunk: a real link record", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> link = chunks_of(c, kLink);
    std::vector<std::string> got = ids(link);
    CHECK(std::vector<std::string>(got.begin(), got.begin() + 16) ==
          std::vector<std::string>{"toolchain", "link", "buildmode", "import_path", "omitdebug",
                                   "defaultgodebug", "link_tool", "ldflags", "env", "env", "env",
                                   "link_dependency", "packagemain", "link_dependency",
                                   "link_dependency", "link_dependency"});
    CHECK(std::count(got.begin(), got.end(), "link_dependency") == 65);
    HashInput tool = classify_chunk(link[6]);
    CHECK((tool.key == "link version go1.26.8" && tool.value == "[] exe"));
    CHECK(classify_chunk(link[2]).value == "default goos linux goarch amd64");
    CHECK(classify_chunk(link[5]).value.rfind("asynctimerchan=1,containermaxprocs=0,", 0) == 0);
    HashInput root = classify_chunk(link[9]);
    CHECK((root.id == "env" && root.key == "GOROOT" && root.value == "/usr/local/go"));
    HashInput ext = classify_chunk(link[10]);
    CHECK((ext.key == "GO_EXTLINK_ENABLED" && ext.value.empty()));
    HashInput dep = classify_chunk(link[11]);
    CHECK((dep.key == "example.com/sample/cmd/sample" && dep.value == "5nlkPAy7cNCvus7sPjM5"));
}

TEST_CASE("classify_chunk: the other real chunk formats", "[hashes]") {
    struct Case {
        std::string chunk, id, key, value;
    };
    // Each chunk as go printed it (unquoted), from runs with cgo, assembly,
    // -trimpath, -gcflags, -asmflags, -ldflags, -cover, -race, PGO,
    // GOEXPERIMENT, GOSSAFUNC, GOAMD64=v3, go test, and Go 1.19.
    const std::vector<Case> cases{
        {"module example.com/sample@\n", "module", "", "example.com/sample@"},
        {"trimpath\n", "trimpath", "", ""},
        {"forcelibrary\n", "forcelibrary", "", ""},
        {"cgo \"cgo version go1.26.8\"\n", "cgo_tool", "", "cgo version go1.26.8"},
        {"CC=[\"gcc\"] [] [\"-O2\" \"-g\" \"-DFOO=1\"] [\"-O2\" \"-g\"]\n", "cgo_flags", "CC",
         "[\"gcc\"] [] [\"-O2\" \"-g\" \"-DFOO=1\"] [\"-O2\" \"-g\"]"},
        {"CC ID=\"gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \"\n", "cgo_toolchain", "CC",
         "gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) "},
        {"CXX=[\"g++\"] [\"-O2\" \"-g\"]\n", "cgo_flags", "CXX", "[\"g++\"] [\"-O2\" \"-g\"]"},
        {"CC ID ERROR=\"exec: \\\"cc\\\": not found\"\n", "cgo_toolchain", "CC",
         "error: exec: \"cc\": not found"},
        {"cover \"atomic\" \"cover version go1.26.8\"\n", "cover", "cover version go1.26.8",
         "atomic"},
        {"compile compile version go1.26.8 [\"-race\"] []\n", "compile_tool",
         "compile version go1.26.8", "[\"-race\"] []"},
        {"compile compile version go1.26.8 X:fieldtrack [] [\"-N\" \"-l\"]\n", "compile_tool",
         "compile version go1.26.8 X:fieldtrack", "[] [\"-N\" \"-l\"]"},
        {"compile compile version devel go1.27-abc [x] Tue Jan 1 [] []\n", "compile_tool",
         "compile version devel go1.27-abc [x] Tue Jan 1", "[] []"},
        {"asm \"asm version go1.26.8\" [] []\n", "asm_flags", "asm version go1.26.8", "[] []"},
        {"asm \"asm version go1.26.8 X:fieldtrack\" [] [\"-D=FOO\"]\n", "asm_flags",
         "asm version go1.26.8 X:fieldtrack", "[] [\"-D=FOO\"]"},
        {"GOAMD64=v3\n", "env", "GOAMD64", "v3"},
        {"GOEXPERIMENT=\"fieldtrack\"\n", "env", "GOEXPERIMENT", "fieldtrack"},
        {"magic GOSSAFUNC=Greet\n", "env", "GOSSAFUNC", "Greet"},
        {"=\n", "env", "", ""},
        {"file asm_amd64.s O226l7X77WLBWt5fuhCX\n", "file", "asm_amd64.s", "O226l7X77WLBWt5fuhCX"},
        {"file my file.txt O226l7X77WLBWt5fuhCX\n", "file", "my file.txt", "O226l7X77WLBWt5fuhCX"},
        {"file gone.go \n", "file", "gone.go", ""},
        {"import unsafe \n", "dependency", "unsafe", ""},
        {"pgofile LXKWvj5jsafVPe2sVDO7\n", "pgo", "", "LXKWvj5jsafVPe2sVDO7"},
        {"nocache 1732481234000000000\n", "nocache", "", "1732481234000000000"},
        {"fuzz [\"-d=libfuzzer\"]\n", "fuzz", "", "[\"-d=libfuzzer\"]"},
        {"link link version go1.26.8 X:fieldtrack [] exe\n", "link_tool",
         "link version go1.26.8 X:fieldtrack", "[] exe"},
        {"link gcc version 12 exe\n", "link_tool", "gcc version 12", "exe"},
        {"linkflags [\"-s\" \"-X\" \"main.v=1\"]\n", "ldflags", "", "[\"-s\" \"-X\" \"main.v=1\"]"},
        {"GOROOT=\n", "env", "GOROOT", ""},
        {"packagemain -g19DGtYVrfL0pMw2fov/uQz3rnOMSzk7HNKxLDdL\n", "packagemain", "",
         "-g19DGtYVrfL0pMw2fov/uQz3rnOMSzk7HNKxLDdL"},
        {"packageshlib runtime=abcdefghijklmnopqrst\n", "link_shlib", "runtime",
         "abcdefghijklmnopqrst"},
        {"vet \"vet version go1.26.8\"\n", "vet_tool", "", "vet version go1.26.8"},
        {"vetxonly false\n", "vetxonly", "", "false"},
        {"vetflags [\"-atomic\" \"-bool\"]\n", "vetflags", "", "[\"-atomic\" \"-bool\"]"},
        {"vetout \"example.com/sample/internal/words\" 47DEQpj8HBSa-_TImW-5\n", "vet_dependency",
         "example.com/sample/internal/words", "47DEQpj8HBSa-_TImW-5"},
        {std::string("pkg \"\xfevs \"\n"), "vet_package", "", "fe767320"},
        {"test binary 0jqvyjQLLQK3GFSclhoh args [\"-test.timeout=10m0s\"] execcmd []",
         "test_binary", "0jqvyjQLLQK3GFSclhoh", "args [\"-test.timeout=10m0s\"] execcmd []"},
        {"env HOME 0d1e\n", "test_env", "HOME", "0d1e"},
        {"open /src/testdata/in put.txt 9f86\n", "test_open", "/src/testdata/in put.txt", "9f86"},
        {"stat /src/testdata 1b2c\n", "test_stat", "/src/testdata", "1b2c"},
        {"chdir /src 3c4d\n", "test_chdir", "/src", "3c4d"},
        {"devel go1.27-0123abc Tue Nov 24 2026", "toolchain", "",
         "devel go1.27-0123abc Tue Nov 24 2026"},
        {"pkgpath example.com/x\n", "other", "", "pkgpath example.com/x"},
        {"something new\n", "other", "", "something new"},
        {"", "other", "", ""},
    };
    for (const Case& k : cases) {
        INFO(k.chunk);
        HashInput in = classify_chunk(k.chunk);
        CHECK(in.id == k.id);
        CHECK(in.key == k.key);
        CHECK(in.value == k.value);
    }
    // The first chunk is the salt whatever it says.
    CHECK(classify_chunk("weird-toolchain", true).id == "toolchain");
    CHECK(is_keyed_input("file"));
    CHECK(is_keyed_input("link_dependency"));
    CHECK_FALSE(is_keyed_input("compile_tool"));
}

// ---- diff_inputs -----------------------------------------------------------

namespace {
std::string show(const std::vector<HashChange>& v) {
    std::ostringstream o;
    for (const HashChange& c : v)
        o << describe(c) << "\n";
    return o.str();
}

void check_change(const HashChange& c, const std::string& id, const std::string& key,
                  const std::string& old_value, const std::string& new_value,
                  HashChange::What what) {
    CHECK(c.id == id);
    CHECK(c.key == key);
    CHECK(c.old_value == old_value);
    CHECK(c.new_value == new_value);
    CHECK(c.what == what);
}
} // namespace

TEST_CASE("diff_inputs: identical records have no changes", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    for (const HashRecord& r : c.records())
        CHECK(diff_records(r, r).empty());
    CHECK(diff_inputs({}, {}).empty());
}

TEST_CASE("diff_inputs: a source file edited", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_words = chunks_of(c, kWords);
    // words.go with a comment added: its hash in a real run.
    std::vector<std::string> new_words = replaced(old_words, "file words.go _iCKTpFfxnbJcPf3S-qB\n",
                                                  "file words.go BiiBf0QtHPEsa4pSCesk\n");
    auto d = diff_inputs(old_words, new_words);
    INFO(show(d));
    REQUIRE(d.size() == 1);
    check_change(d[0], "file", "words.go", "_iCKTpFfxnbJcPf3S-qB", "BiiBf0QtHPEsa4pSCesk",
                 HashChange::Changed);
    CHECK(describe(d[0]) == "file words.go changed: _iCKTpFfxnbJcPf3S-qB -> BiiBf0QtHPEsa4pSCesk");
}

TEST_CASE("diff_inputs: a dependency's content changed", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_greet = chunks_of(c, kGreet);
    std::vector<std::string> new_greet =
        replaced(old_greet, "import example.com/sample/internal/words eSXXQ61jHGnNvrmyfszg\n",
                 "import example.com/sample/internal/words Dnphu_c6vieH4Gd1654o\n");
    auto d = diff_inputs(old_greet, new_greet);
    INFO(show(d));
    REQUIRE(d.size() == 1);
    check_change(d[0], "dependency", "example.com/sample/internal/words", "eSXXQ61jHGnNvrmyfszg",
                 "Dnphu_c6vieH4Gd1654o", HashChange::Changed);

    // And the link: the main package's content and action IDs and a dependency.
    std::vector<std::string> old_link = chunks_of(c, kLink);
    std::vector<std::string> new_link =
        replaced(old_link, "packagefile example.com/sample/internal/greet=kh-uMcGw2oaPGYExHVDK\n",
                 "packagefile example.com/sample/internal/greet=KEUHBe4lUhOKOYjjgTif\n");
    new_link = replaced(new_link, "packagemain tNq2EbB9EkrMm3pZ2wHd/5nlkPAy7cNCvus7sPjM5\n",
                        "packagemain ch39o4ud4_B1mYKgPYI_/5nlkPAy7cNCvus7sPjM5\n");
    d = diff_inputs(old_link, new_link);
    INFO(show(d));
    REQUIRE(d.size() == 2);
    check_change(d[0], "packagemain", "", "tNq2EbB9EkrMm3pZ2wHd/5nlkPAy7cNCvus7sPjM5",
                 "ch39o4ud4_B1mYKgPYI_/5nlkPAy7cNCvus7sPjM5", HashChange::Changed);
    check_change(d[1], "link_dependency", "example.com/sample/internal/greet",
                 "kh-uMcGw2oaPGYExHVDK", "KEUHBe4lUhOKOYjjgTif", HashChange::Changed);
}

TEST_CASE("diff_inputs: a file added, and removed", "[hashes]") {
    // Real pair: greet for cmd/sample, and greet built for its test (go test
    // adds forcelibrary, greet_test.go and its import of testing).
    HashCollector c = collect_file("hash-go126-test.txt");
    auto d = diff_inputs(chunks_of(c, kGreet, 0), chunks_of(c, kGreet, 1));
    INFO(show(d));
    REQUIRE(d.size() == 3);
    check_change(d[0], "forcelibrary", "", "", "", HashChange::Added);
    check_change(d[1], "file", "greet_test.go", "", "JLdMgO8s_J1aCFmLSXm6", HashChange::Added);
    check_change(d[2], "dependency", "testing", "", "pYk4Vc8pE0X69fETOBXt", HashChange::Added);

    auto back = diff_inputs(chunks_of(c, kGreet, 1), chunks_of(c, kGreet, 0));
    REQUIRE(back.size() == 3);
    check_change(back[1], "file", "greet_test.go", "JLdMgO8s_J1aCFmLSXm6", "", HashChange::Removed);
    CHECK(describe(back[1]) == "file greet_test.go removed (was JLdMgO8s_J1aCFmLSXm6)");

    // A new file sorted before the existing one (a real run with extra.go).
    HashCollector b = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_words = chunks_of(b, kWords), new_words = old_words;
    new_words.insert(new_words.begin() + 9, "file extra.go Fu-WwZ6kXtHHCtyX4OAh\n");
    d = diff_inputs(old_words, new_words);
    REQUIRE(d.size() == 1);
    check_change(d[0], "file", "extra.go", "", "Fu-WwZ6kXtHHCtyX4OAh", HashChange::Added);
    CHECK(describe(d[0]) == "file extra.go added: Fu-WwZ6kXtHHCtyX4OAh");
}

TEST_CASE("diff_inputs: -gcflags changed", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_words = chunks_of(c, kWords);
    // go build -gcflags=all=-N: the flags, and so unicode's output.
    std::vector<std::string> new_words =
        replaced(old_words, "compile compile version go1.26.8 [] []\n",
                 "compile compile version go1.26.8 [] [\"-N\"]\n");
    new_words = replaced(new_words, "import unicode eVEweJLU5shCGPpOo1Y0\n",
                         "import unicode PjAxk7jWME67Xla3u-pB\n");
    auto d = diff_inputs(old_words, new_words);
    INFO(show(d));
    REQUIRE(d.size() == 2);
    check_change(d[0], "compile_tool", "compile version go1.26.8", "[] []", "[] [\"-N\"]",
                 HashChange::Changed);
    check_change(d[1], "dependency", "unicode", "eVEweJLU5shCGPpOo1Y0", "PjAxk7jWME67Xla3u-pB",
                 HashChange::Changed);
}

TEST_CASE("diff_inputs: GOAMD64 changed", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_words = chunks_of(c, kWords);
    std::vector<std::string> new_words = replaced(old_words, "GOAMD64=v1\n", "GOAMD64=v3\n");
    new_words = replaced(new_words, "import unicode eVEweJLU5shCGPpOo1Y0\n",
                         "import unicode e1lqFxkQd5xAWAf53zQ2\n");
    auto d = diff_inputs(old_words, new_words);
    INFO(show(d));
    REQUIRE(d.size() == 2);
    check_change(d[0], "env", "GOAMD64", "v1", "v3", HashChange::Changed);
    CHECK(d[1].id == "dependency");

    // GOEXPERIMENT set: the tool IDs gain " X:fieldtrack" (key differs, so the
    // values carry the whole input) and an env line appears.
    new_words = replaced(old_words, "compile compile version go1.26.8 [] []\n",
                         "compile compile version go1.26.8 X:fieldtrack [] []\n");
    new_words.insert(new_words.begin() + 9, "GOEXPERIMENT=\"fieldtrack\"\n");
    d = diff_inputs(old_words, new_words);
    INFO(show(d));
    REQUIRE(d.size() == 2);
    check_change(d[0], "compile_tool", "", "compile version go1.26.8 [] []",
                 "compile version go1.26.8 X:fieldtrack [] []", HashChange::Changed);
    check_change(d[1], "env", "GOEXPERIMENT", "", "fieldtrack", HashChange::Added);
    // The variable is the reason, not the tool ID it changed (found by
    // tests/cli/test_matrix.py goexperiment: it said toolchain_changed).
    auto [reason, detail] = reason_from_changes(d);
    CHECK(reason == "env_changed");
    CHECK(detail == "GOEXPERIMENT:  → fieldtrack");
    std::swap(old_words, new_words); // and switched off again
    std::tie(reason, detail) = reason_from_changes(diff_inputs(old_words, new_words));
    CHECK(reason == "env_changed");
    CHECK(detail == "GOEXPERIMENT: fieldtrack → ");
}

TEST_CASE("diff_inputs: toolchain changed (Go 1.19 -> 1.26, real records)", "[hashes]") {
    HashCollector old_run = collect_file("hash-go119-build.txt");
    HashCollector new_run = collect_file("hash-go126-build.txt");
    auto d = diff_records(*old_run.find(kWords), *new_run.find(kWords));
    INFO(show(d));
    REQUIRE(d.size() == 3);
    check_change(d[0], "toolchain", "", "go1.19.8", "go1.26.8", HashChange::Changed);
    check_change(d[1], "compile_tool", "", "compile version go1.19.8 [] []",
                 "compile version go1.26.8 [] []", HashChange::Changed);
    check_change(d[2], "dependency", "unicode", "UgtWk9ohiJk0OQJv58A0", "eVEweJLU5shCGPpOo1Y0",
                 HashChange::Changed);

    // The link: the toolchain first, then defaultgodebug (new in 1.24), then
    // the tool and the dependencies.
    d = diff_records(*old_run.find(kLink), *new_run.find(kLink));
    INFO(show(d));
    REQUIRE(d.size() > 10);
    CHECK(d[0].id == "toolchain");
    CHECK((d[1].id == "defaultgodebug" && d[1].what == HashChange::Added && d[1].key.empty()));
    CHECK(d[2].id == "link_tool");
    CHECK(d[3].id == "env");
    CHECK(d[3].key == "GOROOT");
    for (std::size_t i = 4; i < d.size(); ++i)
        CHECK((d[i].id == "link_dependency" || d[i].id == "packagemain"));
}

TEST_CASE("diff_inputs: the package directory moved", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_words = chunks_of(c, kWords);
    std::vector<std::string> new_words =
        replaced(old_words, "dir /work/main/examples/sample/internal/words\n",
                 "dir /tmp/gsv2/internal/words\n");
    auto d = diff_inputs(old_words, new_words);
    REQUIRE(d.size() == 1);
    check_change(d[0], "package_dir", "", "/work/main/examples/sample/internal/words",
                 "/tmp/gsv2/internal/words", HashChange::Changed);
    CHECK(describe(d[0]) == "package_dir changed: /work/main/examples/sample/internal/words -> "
                            "/tmp/gsv2/internal/words");
}

TEST_CASE("diff_inputs: modinfo compared setting by setting (VCS stamp)", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_main = chunks_of(c, kMain);
    const std::string old_modinfo = old_main[7];
    // The chunk holds the build info %q-quoted (one level of quoting is undone
    // by the collector, the other by classify_chunk).
    const std::string tail = "build\\tGOAMD64=v1\\n\"\n";
    REQUIRE(old_modinfo.find(tail) != std::string::npos);
    // What -buildvcs=true adds in a git checkout (values from a real run).
    auto stamped = [&](const std::string& version, const std::string& rev, const std::string& time,
                       const std::string& modified) {
        std::string m = old_modinfo;
        m.replace(m.find("(devel)"), 7, version);
        m.replace(m.find(tail), tail.size(),
                  "build\\tGOAMD64=v1\\nbuild\\tvcs=git\\nbuild\\tvcs.revision=" + rev +
                      "\\nbuild\\tvcs.time=" + time + "\\nbuild\\tvcs.modified=" + modified +
                      "\\n\"\n");
        return replaced(old_main, old_modinfo, m);
    };
    std::vector<std::string> first =
        stamped("v0.0.0-20261124212938-a46819cf8b42", "a46819cf8b42fc482de040d7e39f660aa34cbbc6",
                "2026-11-24T21:29:38Z", "false");
    std::vector<std::string> second =
        stamped("v0.0.0-20261124213020-3c462af20bce+dirty",
                "3c462af20bce0a1c485692e3d2570e749b7a44a7", "2026-11-24T21:30:20Z", "true");
    REQUIRE(classify_chunk(first[7]).id == "modinfo");

    auto d = diff_inputs(old_main, first);
    INFO(show(d));
    REQUIRE(d.size() == 5);
    check_change(d[0], "modinfo", "mod", "example.com/sample\t(devel)\t",
                 "example.com/sample\tv0.0.0-20261124212938-a46819cf8b42\t", HashChange::Changed);
    check_change(d[1], "modinfo", "vcs", "", "git", HashChange::Added);
    check_change(d[2], "modinfo", "vcs.revision", "", "a46819cf8b42fc482de040d7e39f660aa34cbbc6",
                 HashChange::Added);
    CHECK(d[3].key == "vcs.time");
    CHECK(d[4].key == "vcs.modified");

    d = diff_inputs(first, second);
    INFO(show(d));
    REQUIRE(d.size() == 4);
    CHECK(d[0].key == "mod");
    check_change(d[1], "modinfo", "vcs.revision", "a46819cf8b42fc482de040d7e39f660aa34cbbc6",
                 "3c462af20bce0a1c485692e3d2570e749b7a44a7", HashChange::Changed);
    check_change(d[2], "modinfo", "vcs.time", "2026-11-24T21:29:38Z", "2026-11-24T21:30:20Z",
                 HashChange::Changed);
    check_change(d[3], "modinfo", "vcs.modified", "false", "true", HashChange::Changed);
}

TEST_CASE("diff_inputs: defaultgodebug compared setting by setting", "[hashes]") {
    std::vector<std::string> a{"go1.26.8", "link\n",
                               "defaultgodebug \"asynctimerchan=1,panicnil=1,tlsrsakex=1\"\n"};
    std::vector<std::string> b{"go1.26.8", "link\n",
                               "defaultgodebug \"panicnil=0,tlsrsakex=1,tracebacklabels=0\"\n"};
    auto d = diff_inputs(a, b);
    INFO(show(d));
    REQUIRE(d.size() == 3);
    check_change(d[0], "defaultgodebug", "asynctimerchan", "1", "", HashChange::Removed);
    check_change(d[1], "defaultgodebug", "panicnil", "1", "0", HashChange::Changed);
    check_change(d[2], "defaultgodebug", "tracebacklabels", "", "0", HashChange::Added);
}

TEST_CASE("diff_inputs: results follow go's hashing order", "[hashes]") {
    HashCollector c = collect_file("hash-go126-build.txt");
    std::vector<std::string> old_greet = chunks_of(c, kGreet), new_greet = old_greet;
    // Changes listed back to front in the list of chunks.
    new_greet = replaced(new_greet, "import strings MZ-ALXjKZTLflBQbZj1J\n",
                         "import strings AAAAAAAAAAAAAAAAAAAA\n");
    new_greet = replaced(new_greet, "file greeting.txt ZqBFtFIQLFnYQOwJfVnZ\n",
                         "file greeting.txt BBBBBBBBBBBBBBBBBBBB\n");
    new_greet = replaced(new_greet, "GOAMD64=v1\n", "GOAMD64=v2\n");
    new_greet = replaced(new_greet, "go 1.19\n", "go 1.22\n");
    new_greet[0] = "go1.27.3";
    auto d = diff_inputs(old_greet, new_greet);
    INFO(show(d));
    REQUIRE(d.size() == 5);
    CHECK(d[0].id == "toolchain");
    CHECK((d[1].id == "go_directive" && d[1].old_value == "1.19" && d[1].new_value == "1.22"));
    CHECK(d[2].id == "env");
    CHECK(d[3].id == "file");
    CHECK(d[4].id == "dependency");
}
