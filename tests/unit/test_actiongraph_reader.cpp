// The one-pass reader of -debug-actiongraph (model::parse_actiongraph)
// against the DOM reader it replaced (actiongraph_dom.hpp): the same graph
// from every action graph in the repository, from generated big ones and
// from damaged copies of them, failure on the same inputs, and errors that
// say what is wrong with a malformed or truncated file.
#include "actiongraph_dom.hpp"

#include <catch2/catch.hpp>

#include <gox/model/actiongraph.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using gox::model::parse_actiongraph;
using gox::testref::dom_parse_actiongraph;
using gox::testref::same_graph;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The graph part of a file: a fuzz reproducer is "trace\n--graph--\njson".
std::string graph_part(const std::string& s) {
    auto p = s.find("--graph--\n");
    return p == std::string::npos ? s : s.substr(p + 10);
}

// Every action graph file in the repository: trace_samples/ and tests/.
std::vector<fs::path> graph_files() {
    std::vector<fs::path> out;
    for (const char* dir : {"trace_samples", "tests"})
        for (const auto& e : fs::recursive_directory_iterator(fs::path(GOX_SOURCE_ROOT) / dir)) {
            if (!e.is_regular_file()) continue;
            std::string name = e.path().filename().string();
            bool graph = name.size() > 16 && name.compare(name.size() - 16, 16, "actiongraph.json") == 0;
            if (graph || e.path().parent_path().filename() == "fuzz_actiongraph") out.push_back(e.path());
        }
    std::sort(out.begin(), out.end());
    return out;
}

// Both readers on one text: the same verdict, the same graph.
void same(const std::string& text, const std::string& what) {
    std::string err;
    auto fast = parse_actiongraph(text, err);
    auto ref = dom_parse_actiongraph(text);
    INFO(what << " (" << text.size() << " bytes): reference " << (ref ? "reads it" : "fails")
              << ", new reader " << (fast ? "reads it" : "fails: " + err));
    if (!same_graph(fast, ref)) std::ofstream("/tmp/fc3-mismatch.json", std::ios::binary) << text;
    REQUIRE(same_graph(fast, ref));
    if (!fast) CHECK_FALSE(err.empty());
}

std::string error_of(const std::string& text) {
    std::string err;
    auto g = parse_actiongraph(text, err);
    CHECK_FALSE(g);
    return err;
}

} // namespace

TEST_CASE("actiongraph reader: every graph in the repository reads as the DOM reader read it", "[actiongraph][reader]") {
    auto files = graph_files();
    REQUIRE(files.size() >= 30);
    std::size_t actions = 0;
    for (const auto& f : files) {
        std::string text = graph_part(slurp(f));
        same(text, f.string());
        std::string err;
        if (auto g = parse_actiongraph(text, err)) actions += g->actions.size();
        // Re-indented as go writes it (tabs) and compact: the same graph.
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_discarded()) {
            same(j.dump(1, '\t'), f.string() + ", tab-indented");
            same(j.dump(), f.string() + ", compact");
        }
    }
    CHECK(actions > 1000);
}

TEST_CASE("actiongraph reader: generated big graphs read as the DOM reader read them", "[actiongraph][reader]") {
    auto dir = fs::temp_directory_path() / ("gox-unit-graph-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    std::string out = (dir / "big.json").string();
    std::string cmd = "python3 '" GOX_SOURCE_ROOT "/bench/make_big_actiongraph.py' '" + out + "' 2000 4 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
        fs::remove_all(dir);
        WARN("python3 bench/make_big_actiongraph.py did not run: generated graphs not compared");
        return;
    }
    std::string text = slurp(out);
    fs::remove_all(dir);
    std::string err;
    auto g = parse_actiongraph(text, err);
    REQUIRE(g);
    CHECK(g->actions.size() > 5000);
    same(text, "generated, compact");
    same(nlohmann::json::parse(text).dump(1, '\t'), "generated, tab-indented");
}

TEST_CASE("actiongraph reader: damaged graphs fail or read as the DOM reader did", "[actiongraph][reader]") {
    // The first actions of each graph (about 3 KB, closed as go closes the
    // array), so that the reference reader's DOM stays quick under the
    // sanitizers.
    std::vector<std::string> texts;
    for (const auto& f : graph_files()) {
        std::string t = graph_part(slurp(f));
        if (t.size() > 4096) {
            auto end = t.find("\n\t},", 3000);
            if (end == std::string::npos) continue;
            t = t.substr(0, end) + "\n\t}\n]\n";
        }
        texts.push_back(std::move(t));
    }
    REQUIRE(texts.size() >= 30);
    std::mt19937_64 rng(14);
    auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
    static const std::string special = "\n\t \"\\{}[]:,-.0123456789eEtfnul\x01\x7f\x80\xbf\xc3\xed\xef\xf0\xff";
    for (std::size_t k = 0; k < texts.size(); ++k) {
        const std::string& t = texts[k];
        // Cut at many places: a truncated file.
        std::size_t step = std::max<std::size_t>(1, t.size() / 500);
        for (std::size_t n = 0; n < t.size(); n += step) same(t.substr(0, n), "cut at " + std::to_string(n));
        // A few edits each.
        for (int m = 0; m < 200; ++m) {
            std::string s = t;
            for (int e = 0, edits = 1 + static_cast<int>(rng() % 3); e < edits && !s.empty(); ++e) {
                std::size_t at = pick(s.size());
                switch (rng() % 4) {
                case 0: s[at] = special[pick(special.size())]; break;
                case 1: s.insert(at, 1, special[pick(special.size())]); break;
                case 2: s.erase(at, 1 + pick(8)); break;
                default: s[at] = static_cast<char>(s[at] ^ (1 << (rng() % 8))); break;
                }
            }
            same(s, "edit " + std::to_string(m) + " of graph " + std::to_string(k));
        }
    }
}

TEST_CASE("actiongraph reader: JSON corners read as the DOM reader read them", "[actiongraph][reader]") {
    const std::string cases[] = {
        // shapes
        "[]", " [ ] ", "[{}]", "[1, \"x\", null, true, [], {}, [[{\"ID\": 3}]]]", "\xEF\xBB\xBF[{\"ID\": 1}]",
        "\xEF\xBB[]", "\xEF[]", "[]\xEF\xBB\xBF", "\r\n\t[\r\n\t{\"ID\"\t:\r\n1}\n]\n",
        // duplicate fields: the last one counts, also when of the wrong type
        R"([{"ID": 1, "ID": 2, "Mode": "a", "Mode": "b", "Deps": [1], "Deps": [2, 3]}])",
        R"([{"Mode": "a", "Mode": 7, "Failed": true, "Failed": "yes", "Cmd": ["x"], "Cmd": null}])",
        R"([{"Objdir": "/w/b001/", "Objdir": 3, "TimeStart": "2026-11-24T20:55:32Z", "TimeStart": 1}])",
        // types
        R"([{"ID": "1", "Mode": null, "Package": ["p"], "Deps": {"0": 1}, "Cmd": "go", "Failed": 1}])",
        R"([{"ID": 1.0, "Deps": [1, 2.5, "3", [4], {"5": 5}, -6, 1e2, 7]}])",
        R"([{"ID": -0, "Deps": [-0, 0, 2147483647, 2147483648, 4294967297, -2147483649]}])",
        R"([{"ID": 9223372036854775807, "Deps": [9223372036854775808, 18446744073709551615, 18446744073709551616]}])",
        R"([{"ID": -9223372036854775808, "Deps": [-9223372036854775809, 123456789012345678901234567890]}])",
        R"([{"Cmd": [], "Failed": false}, {"Cmd": [ ]}, {"Cmd": [null]}, {"Cmd": [[]]}, {"Cmd": {}}])",
        // numbers that are not JSON
        R"([{"ID": 01}])", R"([{"ID": -}])", R"([{"ID": 1.}])", R"([{"ID": .5}])", R"([{"ID": 1e}])",
        R"([{"ID": 1e+}])", R"([{"ID": +1}])", R"([{"ID": 0x10}])", R"([{"ID": 1E-2}])", R"([{"ID": NaN}])",
        R"([{"ID": 1e308, "Deps": [1e309]}])", R"([{"X": -1e999}])", R"([{"X": 1e-999}])", R"([{"X": 0.0e0}])",
        "[{\"X\": 1" + std::string(400, '0') + "}]", "[{\"X\": 1" + std::string(300, '0') + "}]",
        // strings: escapes, also in field names
        R"([{"Mo\u0064e": "build", "Package": "a\"b\\c\/d\b\f\n\r\t", "Objdir": "\u00e9\u20ac\ud83d\ude00"}])",
        R"([{"Package": "\u0000x"}])", R"([{"Package": "\ud800"}])", R"([{"Package": "\udc00"}])",
        R"([{"Package": "\ud800\u0041"}])", R"([{"Package": "\ud800\\"}])", R"([{"Package": "\x41"}])",
        R"([{"Package": "\u00g0"}])", R"([{"Package": "\U00e9"}])", R"([{"Package": "\'"}])",
        "[{\"Package\": \"a\tb\"}]", "[{\"Package\": \"a\x7f b\"}]", "[{\"Package\": \"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}]",
        "[{\"Package\": \"\xc3\"}]", "[{\"Package\": \"\xc0\xaf\"}]", "[{\"Package\": \"\xe0\x80\xaf\"}]",
        "[{\"Package\": \"\xed\xa0\x80\"}]", "[{\"Package\": \"\xf4\x90\x80\x80\"}]", "[{\"Package\": \"\xf5\x80\x80\x80\"}]",
        "[{\"Package\": \"\xff\"}]", "[{\"Package\": \"\x80\"}]", "[{\"Pack\xc3\xa9\": 1}]",
        // literals and structure
        "[tru]", "[nul]", "[falsey]", "[True]", "[{\"Failed\": tru}]", "[{,}]", "[,]", "[1,]", "[{\"ID\": 1,}]",
        "[{\"ID\" 1}]", "[{ID: 1}]", "[{'ID': 1}]", "[{\"ID\": 1}}", "[{\"ID\": 1]", "[[}]", "[] []", "[]x", "[] // c",
        "{\"ID\": 1}", "\"x\"", "7", "null", "", " ", "\n", "[", "[{", "[{\"", "[{\"ID", "[{\"ID\"", "[{\"ID\":",
        "[{\"ID\": 1", "[{\"ID\": 1,", "[{\"ID\": 1}", "[{\"ID\": 1},", "[\"abc", "[\"\\", "[\"\\u12", "[1e5",
        std::string("[\0]", 3), std::string("[]\0", 3), std::string("[] \0x", 5), std::string("\0[]", 3), std::string("[\"\0\"]", 4), "[/* */]",
    };
    for (const auto& c : cases) same(c, "case " + c);
    // Deep nesting: no recursion, so no stack to exhaust.
    for (std::size_t depth : {1000u, 100000u}) {
        std::string deep = "[{\"X\": " + std::string(depth, '[') + std::string(depth, ']') + ", \"ID\": 5}]";
        same(deep, "nested " + std::to_string(depth));
        same(deep.substr(0, deep.size() - 3), "nested and cut");
    }
}

TEST_CASE("actiongraph reader: errors say what is wrong and where", "[actiongraph][reader]") {
    const std::string good = "[\n\t{\n\t\t\"ID\": 0,\n\t\t\"Mode\": \"build\"\n\t}\n]\n";
    // Truncated: go was killed while writing, or the disk filled up.
    for (std::size_t n : {1u, 5u, 20u, 37u}) {
        std::string err = error_of(good.substr(0, n));
        INFO(err);
        CHECK(err.rfind("truncated: the action graph ends at byte " + std::to_string(n) + " inside the JSON", 0) == 0);
    }
    std::string err = error_of(good.substr(0, 20));
    CHECK(err == "truncated: the action graph ends at byte 20 inside the JSON (a string without its closing quote)");
    CHECK(error_of(good.substr(0, 13)) == "truncated: the action graph ends at byte 13 inside the JSON (expected a value)");
    // Malformed: line, column and byte of the first thing wrong, and what.
    err = error_of("[\n\t{\n\t\t\"ID\": 0\n\t\t\"Mode\": \"build\"\n\t}\n]\n");
    CHECK(err == "malformed JSON at line 4, column 3 (byte 17): expected ',' or '}' in an action");
    err = error_of("[\n{\"Package\": \"a\x01\"}]");
    CHECK(err == "malformed JSON at line 2, column 15 (byte 16): a control character in a string");
    err = error_of("[{\"Package\": \"\xff\"}]");
    CHECK(err == "malformed JSON at line 1, column 15 (byte 14): invalid UTF-8 in a string");
    err = error_of("[{\"Deps\": [1 2]}]");
    CHECK(err == "malformed JSON at line 1, column 14 (byte 13): expected ',' or ']' in Deps");
    err = error_of("[]\n[]\n");
    CHECK(err == "malformed JSON at line 2, column 1 (byte 3): text after the array of actions");
    err = error_of("[{\"ID\": 01}]");
    CHECK(err == "malformed JSON at line 1, column 10 (byte 9): expected ',' or '}' in an action");
    err = error_of("[{\"P\": \"\\q\"}]");
    CHECK(err == "malformed JSON at line 1, column 10 (byte 9): an unknown escape in a string");
    // Valid JSON of another shape, and no JSON at all.
    CHECK(error_of("{\"ID\": 1}") == "not a JSON array of actions");
    CHECK(error_of("") == "empty file: no JSON array of actions");
    CHECK(error_of(" \n") == "no JSON in the file, only white space");
    // From a file: the same errors; a missing file says so.
    auto dir = fs::temp_directory_path() / ("gox-unit-graph-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    std::string path = (dir / "actiongraph.json").string();
    std::ofstream(path, std::ios::binary) << good.substr(0, 20);
    CHECK_FALSE(gox::model::read_actiongraph_file(path, err));
    CHECK(err.rfind("truncated: the action graph ends at byte 20", 0) == 0);
    std::ofstream(path, std::ios::binary) << good;
    auto g = gox::model::read_actiongraph_file(path, err);
    REQUIRE(g);
    CHECK(g->actions.size() == 1);
    fs::remove_all(dir);
    CHECK_FALSE(gox::model::read_actiongraph_file(path, err));
    CHECK(err == "cannot open " + path);
}
