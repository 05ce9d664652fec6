// Unit tests for src/gox/cacheprog: the wire format, go's on-disk layout,
// the record's writer and reader, and the server over pipes (local tier).
#include <catch2/catch.hpp>

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/protocol.hpp>
#include <gox/cacheprog/record.hpp>
#include <gox/cacheprog/server.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace cp = gox::cacheprog;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const char* name) {
    auto d = fs::temp_directory_path() / (std::string("gox-unit-") + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::string id_of(char c) { return std::string(32, c); }

} // namespace

TEST_CASE("base64 and hex round-trip as go's encoding/json writes []byte", "[cacheprog]") {
    CHECK(cp::base64_encode("") == "");
    CHECK(cp::base64_encode("f") == "Zg==");
    CHECK(cp::base64_encode("fo") == "Zm8=");
    CHECK(cp::base64_encode("foo") == "Zm9v");
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
        CHECK(cp::base64_decode(cp::base64_encode(s)) == s);
    CHECK_FALSE(cp::base64_decode("Zg="));
    CHECK_FALSE(cp::base64_decode("Z=g="));
    CHECK(cp::hex("\x01\xab") == "01ab");
    CHECK(cp::unhex("01AB") == std::string("\x01\xab"));
    CHECK_FALSE(cp::unhex("0g"));
}

TEST_CASE("requests and responses in the protocol's JSON", "[cacheprog]") {
    cp::Request r;
    r.id = 7;
    r.command = "put";
    r.action_id = id_of('a');
    r.output_id = id_of('o');
    r.body = "hello";
    r.body_size = 5;
    std::string wire = cp::encode_request(r);
    auto nl = wire.find('\n');
    auto back = cp::parse_request(wire.substr(0, nl));
    REQUIRE(back);
    CHECK(back->id == 7);
    CHECK(back->command == "put");
    CHECK(back->action_id == r.action_id);
    CHECK(back->body_size == 5);
    CHECK(cp::parse_body(wire.substr(nl + 1, wire.size() - nl - 2)) == std::string("hello"));
    std::string err;
    CHECK_FALSE(cp::parse_request("[1]", &err));
    CHECK(err == "not a JSON object");
    CHECK_FALSE(cp::parse_request(R"({"ID":1,"ActionID":"%%"})"));

    cp::Response res;
    res.id = 3;
    res.output_id = id_of('o');
    res.size = 12;
    res.time_ns = 1700000000123456789;
    res.disk_path = "/c/d";
    std::string line = cp::encode_response(res);
    CHECK(line.back() == '\n');
    CHECK(line.find("\"Miss\"") == std::string::npos); // omitempty
    auto rb = cp::parse_response(line);
    REQUIRE(rb);
    CHECK(rb->output_id == res.output_id);
    CHECK(rb->time_ns == res.time_ns);
    CHECK(rb->disk_path == "/c/d");
    CHECK(cp::format_time(1700000000000000000) == "2023-11-14T22:13:20Z");
    CHECK(cp::parse_time("2023-11-14T23:13:20.5+01:00") == 1700000000500000000);
}

TEST_CASE("GOCACHEPROG's command is split as go splits it", "[cacheprog]") {
    CHECK(cp::split_command("go-cacher  --cache-server=http://h:1") ==
          std::vector<std::string>{"go-cacher", "--cache-server=http://h:1"});
    CHECK(cp::split_command(R"(gox cacheprog '--upstream=a b' "c d")") ==
          std::vector<std::string>{"gox", "cacheprog", "--upstream=a b", "c d"});
    CHECK_FALSE(cp::split_command("a 'b"));
}

TEST_CASE("the local tier writes and reads go's own layout", "[cacheprog]") {
    auto dir = temp_dir("store");
    cp::DiskStore s(dir.string());
    std::string body = "object file";
    std::string out = cp::sha256(body);
    std::string action = id_of('\x5a');
    CHECK_FALSE(s.get(action).entry);
    std::string err;
    auto path = s.put(action, out, body, &err);
    REQUIRE(path);
    CHECK(*path == (dir / cp::hex(out).substr(0, 2) / (cp::hex(out) + "-d")).string());
    std::ifstream a(dir / "5a" / (cp::hex(action) + "-a"));
    std::string line;
    std::getline(a, line);
    // "v1 <action> <output> <size %20d> <time %20d>", as go writes it.
    CHECK(line.size() + 1 == 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1);
    CHECK(line.substr(0, 3 + 64 + 1 + 64 + 1 + 20) ==
          "v1 " + cp::hex(action) + " " + cp::hex(out) + " " + std::string(18, ' ') + "11");
    auto got = s.get(action);
    REQUIRE(got.entry);
    CHECK(got.entry->output_id == out);
    CHECK(got.entry->size == 11);
    CHECK(got.entry->disk_path == *path);
    // A body that is not its output id is refused; a gone output is a miss.
    CHECK_FALSE(s.put(action, id_of('x'), body, &err));
    fs::remove(*path);
    CHECK_FALSE(s.get(action).entry);
    // A damaged entry is a miss with the problem named.
    std::ofstream(dir / "5a" / (cp::hex(action) + "-a")) << "v1 junk\n";
    auto bad = s.get(action);
    CHECK_FALSE(bad.entry);
    CHECK(bad.problem.find("invalid action entry") == 0);
    // An upstream's file is checked before it is kept.
    auto src = dir / "up";
    std::ofstream(src) << body;
    bool bad_source = false;
    CHECK(s.put_file(action, out, 11, src.string(), &err, &bad_source));
    CHECK_FALSE(s.put_file(action, out, 12, src.string(), &err, &bad_source));
    CHECK(bad_source);
    CHECK_FALSE(s.put_file(action, out, 11, (dir / "gone").string(), &err, &bad_source));
    CHECK(bad_source);
    fs::remove_all(dir);
}

TEST_CASE("the record reader reads what the writer wrote, per tier", "[cacheprog]") {
    auto dir = temp_dir("record");
    auto file = (dir / "rec.jsonl").string();
    {
        cp::RecordWriter w;
        REQUIRE(w.open(file, "s1"));
        w.start("/c", "up", true);
        cp::RequestRecord hit;
        hit.id = 1;
        hit.cmd = "get";
        hit.action_id = "aa";
        hit.output_id = "bb";
        hit.bytes = 100;
        hit.latency_us = 2000;
        hit.outcome = "hit";
        hit.source = "upstream";
        hit.local = {true, "miss", 10, ""};
        hit.upstream = {true, "hit", 1500, ""};
        w.request(hit);
        cp::RequestRecord miss = hit;
        miss.id = 2;
        miss.outcome = "miss";
        miss.source = "";
        miss.bytes = 0;
        miss.error = "boom";
        miss.upstream = {true, "error", 30, "boom"};
        w.request(miss);
        cp::RequestRecord put;
        put.id = 3;
        put.cmd = "put";
        put.bytes = 50;
        put.outcome = "stored";
        put.source = "local";
        put.local = {true, "stored", 5, ""};
        put.upstream = {true, "stored", 700, ""};
        w.request(put);
        w.problem("upstream stderr: hello");
        w.close_event();
    }
    {
        std::ofstream more(file, std::ios::app);
        more << "not json\n" << R"({"v":2,"event":"request"})" << "\n" << R"({"v":1,"event":"start","session":"s2"})" << "\n";
    }
    auto log = cp::read_record_file(file);
    CHECK(log.requests.size() == 3);
    CHECK(log.sessions == std::vector<std::string>{"s1", "s2"});
    CHECK(log.bad_lines == 1);
    CHECK(log.newer_lines == 1);
    REQUIRE(log.problems.size() == 1);
    CHECK(log.problems[0].message == "upstream stderr: hello");
    CHECK(log.requests[1].upstream.error == "boom");
    auto t = log.totals();
    CHECK(t["all"].gets == 2);
    CHECK(t["all"].hits == 1);
    CHECK(t["all"].misses == 1);
    CHECK(t["all"].puts == 1);
    CHECK(t["all"].bytes_read == 100);
    CHECK(t["all"].bytes_written == 50);
    CHECK(t["local"].misses == 2);
    CHECK(t["upstream"].hits == 1);
    CHECK(t["upstream"].errors == 1);
    CHECK(t["upstream"].puts == 1);
    CHECK(t["upstream"].wait_seconds == Approx(0.00223));
    CHECK(cp::read_record_file(file, "s2").requests.empty());
    CHECK(cp::read_record_file(file, "s1").requests.size() == 3);
    fs::remove_all(dir);
}

TEST_CASE("a record line reads back the same through the fast path and through JSON", "[cacheprog]") {
    // record_line writes by hand and read_record reads its own lines in one
    // pass: every field must survive, and a line the fast path refuses
    // (escapes, non-ASCII, other key order, extra keys) must still be read.
    cp::RequestRecord r;
    r.session = "s1";
    r.id = 42;
    r.cmd = "get";
    r.action_id = std::string(64, 'a');
    r.output_id = std::string(64, 'b');
    r.bytes = 1234567890123;
    r.start_ns = 1796522680108922025; // Unix ns: 19 digits
    r.latency_us = 77;
    r.outcome = "miss";
    r.error = GENERATE(std::string(""), std::string("plain error"), std::string("quote \" and \\ back"),
                       std::string("line\nbreak\ttab"), std::string("caf\xc3\xa9 \xff bad utf-8"));
    r.local = {true, "miss", 3, r.error};
    r.upstream = {true, "error", 9, "upstream said no"};
    std::string line = cp::record_line(r);
    CHECK(nlohmann::json::accept(line));
    auto parse = [](const std::string& text) {
        std::istringstream in(text);
        return cp::read_record(in);
    };
    auto check_same = [&](const cp::RecordLog& log) {
        REQUIRE(log.requests.size() == 1);
        const auto& g = log.requests[0];
        CHECK(log.bad_lines == 0);
        CHECK(g.session == "s1");
        CHECK(g.id == 42);
        CHECK(g.cmd == "get");
        CHECK(g.action_id == r.action_id);
        CHECK(g.output_id == r.output_id);
        CHECK(g.bytes == 1234567890123);
        CHECK(g.start_ns == 1796522680108922025);
        CHECK(g.latency_us == 77);
        CHECK(g.outcome == "miss");
        CHECK(g.local.asked);
        CHECK(g.local.latency_us == 3);
        CHECK(g.upstream.outcome == "error");
        CHECK(g.upstream.error == "upstream said no");
        if (r.error.find('\xff') == std::string::npos) {
            CHECK(g.error == r.error);
            CHECK(g.local.error == r.error);
        }
    };
    auto fast = parse(line);
    check_same(fast);
    // The one-pass reader takes it (UTF-8 included), unless a string needed escaping.
    bool plain = std::all_of(r.error.begin(), r.error.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
    });
    CHECK(fast.json_lines == (plain ? 0u : 1u));
    // The same record as the JSON encoder lays it out (keys sorted), with a key
    // the fast path does not know: read through the JSON parser.
    auto j = nlohmann::json::parse(line);
    j["extra"] = 1;
    auto slow = parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    check_same(slow);
    CHECK(slow.json_lines == 1);
    // Broken lines are counted, not taken.
    for (std::string bad : {line.substr(0, line.size() / 2), std::string(R"({"v":1,"event":"request","cmd":"get"})")}) {
        auto log = parse(bad + "\n");
        CHECK(log.requests.empty());
        CHECK(log.bad_lines == 1);
    }
}

TEST_CASE("the server answers go's requests from the local tier, out of one pipe", "[cacheprog]") {
    auto dir = temp_dir("server");
    int to_srv[2], from_srv[2];
    REQUIRE(::pipe(to_srv) == 0);
    REQUIRE(::pipe(from_srv) == 0);
    cp::ServerOptions o;
    o.gocache = (dir / "cache").string();
    o.record = (dir / "rec.jsonl").string();
    o.workers = 2;
    int status = -1;
    cp::RecordLog kept; // what gox cacheprog keeps for its own history record
    std::thread srv([&] {
        status = cp::serve(o, to_srv[0], from_srv[1], &kept);
        ::close(from_srv[1]);
    });
    cp::LineIn in(from_srv[0]);
    std::string line;
    REQUIRE(in.next(line));
    auto hello = cp::parse_response(line);
    REQUIRE(hello);
    CHECK(hello->known_commands == std::vector<std::string>{"get", "put", "close"});
    std::string body = "compiled";
    cp::Request get;
    get.id = 1;
    get.command = "get";
    get.action_id = id_of('\x11');
    cp::Request put;
    put.id = 2;
    put.command = "put";
    put.action_id = get.action_id;
    put.output_id = cp::sha256(body);
    put.body = body;
    put.body_size = static_cast<std::int64_t>(body.size());
    // go writes a blank line after each object, before a body.
    auto go_wire = [](const cp::Request& r) {
        std::string w = cp::encode_request(r);
        return w.insert(w.find('\n'), "\n");
    };
    // The put only after the get's answer: with two workers, a put sent
    // with the get may be served first and turn the get into a hit.
    std::map<std::int64_t, cp::Response> got;
    for (const cp::Request* r : {&get, &put}) {
        REQUIRE(cp::write_all(to_srv[1], go_wire(*r)));
        REQUIRE(in.next(line));
        auto resp = cp::parse_response(line);
        REQUIRE(resp);
        got[resp->id] = *resp;
    }
    CHECK(got[1].miss);
    CHECK(fs::exists(got[2].disk_path));
    get.id = 3;
    cp::Request close;
    close.id = 4;
    close.command = "close";
    REQUIRE(cp::write_all(to_srv[1], go_wire(get)));
    REQUIRE(in.next(line));
    auto hit = cp::parse_response(line);
    REQUIRE(hit);
    CHECK(hit->id == 3);
    CHECK_FALSE(hit->miss);
    CHECK(hit->size == 8);
    CHECK(hit->output_id == put.output_id);
    REQUIRE(cp::write_all(to_srv[1], go_wire(close)));
    REQUIRE(in.next(line));
    CHECK(cp::parse_response(line)->id == 4);
    srv.join();
    ::close(to_srv[1]);
    ::close(to_srv[0]);
    ::close(from_srv[0]);
    CHECK(status == 0);
    auto log = cp::read_record_file(o.record);
    REQUIRE(log.requests.size() == 4);
    auto t = log.totals();
    CHECK(t["all"].hits == 1);
    CHECK(t["all"].misses == 1);
    CHECK(t["local"].puts == 1);
    CHECK(t.count("upstream") == 0);
    // The session kept in memory is the record's.
    REQUIRE(kept.sessions == log.sessions);
    REQUIRE(kept.requests.size() == 4);
    auto k = kept.totals();
    CHECK(k["all"].hits == 1);
    CHECK(k["all"].misses == 1);
    CHECK(k["all"].bytes_written == t["all"].bytes_written);
    for (const auto& r : kept.requests) CHECK(r.session == log.sessions.front());
    fs::remove_all(dir);
}
