// Portable key inputs and the cross-machine diff, from real records:
// tests/unit/data/key_inputs/*.txt are GODEBUG=gocachehash=1 go build -p=1
// ./... of one small module (example.com/app: lib, netuse, cmd/app, and
// golang.org/x/sync/errgroup from the module proxy), trimmed to the records of
// a few packages, captured by capture.sh there with go1.26.8:
//   a, b          the same module checked out at $top/home/u/src/app and at
//                 $top/home/runner/work/app/app
//   race, tags, cgo0, amd64v3   a with -race, -tags=special, CGO_ENABLED=0,
//                 GOAMD64=v3
//   trimpath_a, trimpath_b      a and b with -trimpath
//   oldsync, trimpath_oldsync   the module at $top/home/u/old/app requiring
//                 golang.org/x/sync v0.9.0 instead of v0.10.0
// ($top is in roots.txt.) Each document is made the way the wrapper makes
// it: packages with their action IDs, the environment's GOMOD and GOROOT,
// then attach_key_inputs.

#include <gox/analysis/cross_diff.hpp>
#include <gox/analysis/hashes.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/analysis/why.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace gox::analysis;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const std::string kData = std::string(GOX_SOURCE_ROOT) + "/tests/unit/data/key_inputs/";

std::vector<std::string> lines_of(const std::string& name) {
    std::ifstream in(kData + name);
    REQUIRE(in.good());
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::string top() {
    for (const auto& l : lines_of("roots.txt"))
        if (l.rfind("top ", 0) == 0) return l.substr(4);
    FAIL("no top in roots.txt");
    return "";
}

struct DocOptions {
    std::string root;                       // the module root, under top()
    std::vector<std::string> args;          // command.args
    std::function<std::string(std::string)> edit; // applied to every line
    std::string id_suffix;                  // appended to every action ID
};

// A JSON summary as the wrapper writes it with --why.
ordered_json make_doc(const std::string& name, const DocOptions& o) {
    HashCollector c;
    for (auto l : lines_of(name + ".txt")) c.feed(o.edit ? o.edit(l) : l);
    c.finish();
    std::map<std::string, std::string> inputs;
    for (auto& [id, chunks] : inputs_by_action(c.records())) inputs[id + o.id_suffix] = chunks;
    ordered_json doc;
    doc["packages"] = ordered_json::array();
    for (const auto& r : c.records()) {
        if (r.kind() != "build" || !r.complete()) continue;
        std::string ip(r.subject());
        ordered_json p;
        p["import_path"] = ip;
        p["for_test"] = nullptr;
        p["outcome"] = "rebuilt";
        p["standard"] = ip.find('.') == std::string::npos;
        p["action_id"] = r.action_id() + o.id_suffix;
        doc["packages"].push_back(std::move(p));
    }
    doc["command"] = {{"verb", "build"}, {"args", o.args}};
    doc["environment"] = {{"GOMOD", top() + o.root + "/go.mod"}, {"GOROOT", "/usr/local/go"}};
    attach_key_inputs(doc, inputs);
    return doc;
}

const std::string kA = "/home/u/src/app", kB = "/home/runner/work/app/app", kOld = "/home/u/old/app";

ordered_json doc_a() {
    return make_doc("a", {kA, {"./..."}, nullptr, ""});
}

const ordered_json& package(const ordered_json& doc, const std::string& ip) {
    for (const auto& p : doc["packages"])
        if (p["import_path"] == ip) return p;
    FAIL("no package " << ip);
    return doc;
}

// The inputs of kind (and key) in a package's key_inputs.
std::vector<KeyInput> inputs_of(const ordered_json& p, const std::string& kind, const std::string& key = "\x01") {
    std::vector<KeyInput> out;
    for (auto& in : key_inputs_from_json(json::parse(p["key_inputs"].dump())))
        if (in.kind == kind && (key == "\x01" || in.key == key)) out.push_back(in);
    return out;
}

CrossDiff diff(const ordered_json& a, const ordered_json& b) {
    return cross_diff(json::parse(a.dump()), json::parse(b.dump()));
}

// The one group of d, with its cause and title checked.
const CauseGroup& sole_group(const CrossDiff& d, const std::string& cause, const std::string& title) {
    INFO(render_cross_diff(d));
    REQUIRE(d.groups.size() == 1);
    CHECK(d.groups[0].cause == cause);
    CHECK(d.groups[0].title == title);
    return d.groups[0];
}

const std::vector<std::string> kModulePkgs = {"example.com/app/cmd/app", "example.com/app/lib", "example.com/app/netuse"};

} // namespace

TEST_CASE("key inputs: kinds, digests, and values only where safe", "[key_inputs]") {
    ordered_json doc = doc_a();
    const auto& lib = package(doc, "example.com/app/lib");
    REQUIRE(lib.contains("key_inputs"));
    auto ki = lib["key_inputs"];
    // In go's hashing order: the salt first.
    CHECK(ki[0] == "toolchain\t\t" + short_digest("go1.26.8") + "\tgo1.26.8");
    auto dir = inputs_of(lib, "package_dir");
    REQUIRE(dir.size() == 1);
    CHECK(dir[0].value == "$MODROOT/lib");
    CHECK(dir[0].digest == short_digest("dir " + top() + kA + "/lib\n"));
    CHECK(inputs_of(lib, "target")[0].value == "linux/amd64");
    CHECK(inputs_of(lib, "go_directive")[0].value == "1.22");
    CHECK(inputs_of(lib, "env", "GOAMD64")[0].value == "v1");
    CHECK(ki[7] == "compile_tool\tcompile version go1.26.8\t" + short_digest("compile compile version go1.26.8 [] []\n") +
                     "\t[] []");
    // Files and dependencies: a digest of go's content ID, no value.
    auto file = inputs_of(lib, "file", "lib.go");
    REQUIRE(file.size() == 1);
    CHECK(!file[0].has_value);
    CHECK(file[0].digest.size() == 16);
    auto deps = inputs_of(lib, "dependency");
    CHECK(deps.size() == 3);
    for (const auto& d : deps) CHECK(!d.has_value);
    // No absolute path of the machine anywhere.
    for (const auto& p : doc["packages"]) CHECK(p["key_inputs"].dump().find(top()) == std::string::npos);
    // The module cache is found from the dependency's dir and import path.
    auto errgroup_dir = inputs_of(package(doc, "golang.org/x/sync/errgroup"), "package_dir");
    REQUIRE(errgroup_dir.size() == 1);
    CHECK(errgroup_dir[0].value == "$GOMODCACHE/golang.org/x/sync@v0.10.0/errgroup");
    // The main package's build info, entry by entry.
    const auto& app = package(doc, "example.com/app/cmd/app");
    auto dep = inputs_of(app, "modinfo", "dep golang.org/x/sync");
    REQUIRE(dep.size() == 1);
    CHECK(dep[0].value.rfind("v0.10.0 h1:", 0) == 0);
    CHECK(inputs_of(app, "modinfo", "build CGO_ENABLED")[0].value == "1");
    CHECK(!inputs_of(app, "modinfo", "build DefaultGODEBUG")[0].has_value); // long: digest only
    // Every package with an action ID got its inputs.
    for (const auto& p : doc["packages"]) CHECK(p["key_inputs"].size() > 5);
}

TEST_CASE("key inputs: the same layout compares equal by value, the directory by digest", "[key_inputs]") {
    ordered_json a = doc_a(), b = make_doc("b", {kB, {"./..."}, nullptr, ""});
    for (const auto& ip : kModulePkgs) {
        auto da = inputs_of(package(a, ip), "package_dir"), db = inputs_of(package(b, ip), "package_dir");
        REQUIRE(da.size() == 1);
        REQUIRE(db.size() == 1);
        CHECK(da[0].value == db[0].value);
        CHECK(da[0].digest != db[0].digest);
    }
    // With -trimpath the two checkouts have the same key inputs throughout.
    ordered_json ta = make_doc("trimpath_a", {kA, {"-trimpath", "./..."}, nullptr, ""});
    ordered_json tb = make_doc("trimpath_b", {kB, {"-trimpath", "./..."}, nullptr, ""});
    REQUIRE(ta["packages"].size() == tb["packages"].size());
    for (std::size_t i = 0; i < ta["packages"].size(); ++i)
        CHECK(ta["packages"][i]["key_inputs"] == tb["packages"][i]["key_inputs"]);
    CHECK(inputs_of(package(ta, "golang.org/x/sync/errgroup"), "module")[0].value == "golang.org/x/sync@v0.10.0");
    CrossDiff d = diff(ta, tb);
    CHECK(d.available);
    CHECK(d.differ == 0);
    CHECK(d.groups.empty());
}

TEST_CASE("key inputs: secrets and environment values are digests only", "[key_inputs]") {
    KeyRoots roots;
    roots.module_root = "/src/app";
    std::vector<std::string> chunks = {
        "go1.26.8",
        "compile\n",
        "dir /src/app/lib\n",
        "CC=[\"gcc\"] [\"-DDB_PASSWORD=hunter2hunter2\"] [] [] []\n",
        "compile compile version go1.26.8 [] [\"-X\" \"main.token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\"]\n",
        "magic GOSSAFUNC=secretfunction\n",
        "modinfo \"path\\texample.com/app\\nbuild\\tCGO_CFLAGS=-DDB_PASSWORD=hunter2hunter2\\nbuild\\t-ldflags=\\\"-X "
        "main.token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\\\"\\nbuild\\t-tags=special\\n\"\n",
    };
    auto ki = portable_key_inputs(chunks, "example.com/app/lib", roots);
    std::string dumped = ki.dump();
    CHECK(dumped.find("hunter2") == std::string::npos);
    CHECK(dumped.find("ghp_") == std::string::npos);
    CHECK(dumped.find("secretfunction") == std::string::npos);
    CHECK(dumped.find("/src/app") == std::string::npos);
    // ... while the inputs are all there, with their digests.
    std::vector<KeyInput> back = key_inputs_from_json(json::parse(dumped));
    REQUIRE(back.size() == 10);
    CHECK(back[3].kind == "cgo_flags");
    CHECK(back[3].key == "CC");
    CHECK(!back[3].has_value);
    CHECK(back[3].digest == short_digest(chunks[3]));
    CHECK(back[4].kind == "compile_tool");
    CHECK(!back[4].has_value);
    CHECK(back[5].kind == "env");
    CHECK(back[5].key == "GOSSAFUNC");
    CHECK(!back[5].has_value);
    CHECK(back[6].key == "path");
    CHECK(back[7].key == "build CGO_CFLAGS");
    CHECK(!back[7].has_value);
    CHECK(back[8].key == "build -ldflags");
    CHECK(!back[8].has_value);
    CHECK(back[9].key == "build -tags");
    CHECK(back[9].value == "special");
    CHECK(back[2].value == "$MODROOT/lib");
    CHECK(key_inputs_from_json(json::parse("[\"file\\tlib.go\", 3]")).empty());
}

TEST_CASE("cross diff: checkout path", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("b", {kB, {"./..."}, nullptr, ""}));
    REQUIRE(d.available);
    CHECK(d.compared == 9);
    CHECK(d.differ == 3);
    REQUIRE(d.groups.size() == 1);
    const auto& g = d.groups[0];
    CHECK(g.cause == "package_dir");
    CHECK(g.title == "package directory differs (" + top() + kA + " vs " + top() + kB + ")");
    CHECK(g.remedy == "build with -trimpath");
    CHECK(g.packages == 3);
    CHECK(g.standard == 0);
    CHECK(g.names == std::vector<std::string>{"example.com/app/lib", "example.com/app/netuse", "example.com/app/cmd/app"});
    CHECK(group_label(g) == "3 packages");
    std::string text = render_cross_diff(d);
    CHECK(text.find("  3 packages: package directory differs (") != std::string::npos);
    CHECK(text.find(") → build with -trimpath\n") != std::string::npos);
}

TEST_CASE("cross diff: -race on B", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("race", {kA, {"-race", "./..."}, nullptr, ""}));
    CHECK(d.differ == 9);
    REQUIRE(d.groups.size() == 1);
    const auto& g = d.groups[0];
    CHECK(g.cause == "race");
    CHECK(g.title == "-race only on B");
    CHECK(g.remedy == "give the race job its own cache key");
    CHECK(g.packages == 9);
    CHECK(g.standard == 5);
    CHECK(g.indirect == 0); // the compiler's flags come before the dependencies
    CHECK(group_label(g) == "9 packages (5 standard library)");
    // The other way round.
    CrossDiff r = diff(make_doc("race", {kA, {"-race", "./..."}, nullptr, ""}), doc_a());
    REQUIRE(r.groups.size() == 1);
    CHECK(r.groups[0].title == "-race only on A");
    // -race from B's GOFLAGS: the title says where it was set.
    ordered_json via = make_doc("race", {kA, {"./..."}, nullptr, ""});
    via["environment"]["GOFLAGS"] = "-buildvcs=false -race";
    CrossDiff v = diff(doc_a(), via);
    REQUIRE(v.groups.size() == 1);
    CHECK(v.groups[0].title == "-race only on B (set through GOFLAGS on B)");
}

TEST_CASE("cross diff: build tags", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("tags", {kA, {"-tags=special", "./..."}, nullptr, ""}));
    CHECK(d.differ == 2);
    const auto& g = sole_group(d, "build_tags", "build tags: (none) vs special");
    CHECK(g.names == std::vector<std::string>{"example.com/app/lib", "example.com/app/cmd/app"});
    // Tags from GOFLAGS, and no main package to tell: the files still name them.
    ordered_json lib_a = doc_a(), lib_b = make_doc("tags", {kA, {"./..."}, nullptr, ""});
    for (auto* d : {&lib_a, &lib_b}) {
        ordered_json kept = ordered_json::array();
        for (auto& p : (*d)["packages"])
            if (p["import_path"] != "example.com/app/cmd/app") kept.push_back(p);
        (*d)["packages"] = kept;
    }
    lib_b["environment"]["GOFLAGS"] = "-tags=special";
    CrossDiff t = diff(lib_a, lib_b);
    REQUIRE(t.groups.size() == 1);
    CHECK(t.groups[0].title == "build tags: (none) vs special (set through GOFLAGS on B)");
    bool lib_detail = false;
    for (const auto& p : d.packages)
        if (p.package == "example.com/app/lib") lib_detail = p.detail == "file special.go added on B";
    CHECK(lib_detail);
}

TEST_CASE("cross diff: CGO_ENABLED=0 on B", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("cgo0", {kA, {"./..."}, nullptr, ""}));
    CHECK(d.differ == 3); // runtime/cgo is only on A
    REQUIRE(d.groups.size() == 1);
    const auto& g = d.groups[0];
    CHECK(g.cause == "cgo_enabled");
    CHECK(g.title == "CGO_ENABLED 1 vs 0");
    CHECK(g.packages == 3);
    CHECK(g.standard == 1); // net
    CHECK(g.indirect == 1); // netuse, through net
    CHECK(group_label(g) == "3 packages (1 standard library, 1 through a dependency)");
}

TEST_CASE("cross diff: GOAMD64", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("amd64v3", {kA, {"./..."}, nullptr, ""}));
    const auto& g = sole_group(d, "arch_env", "GOAMD64 v1 vs v3");
    CHECK(g.packages == 9);
}

TEST_CASE("cross diff: a dependency one version back", "[cross_diff]") {
    // With -trimpath: only the dependency's module line, and what imports it.
    CrossDiff t = diff(make_doc("trimpath_a", {kA, {"-trimpath", "./..."}, nullptr, ""}),
                       make_doc("trimpath_oldsync", {kOld, {"-trimpath", "./..."}, nullptr, ""}));
    const auto& g = sole_group(t, "module_version", "module golang.org/x/sync: v0.10.0 vs v0.9.0");
    CHECK(g.packages == 3); // errgroup, lib through it, cmd/app by its build info
    CHECK(g.indirect == 1);
    // Without: the module cache directory names the version; the checkout
    // moved as well.
    CrossDiff d = diff(doc_a(), make_doc("oldsync", {kOld, {"./..."}, nullptr, ""}));
    REQUIRE(d.groups.size() == 2);
    CHECK(d.groups[0].cause == "package_dir");
    CHECK(d.groups[0].packages == 3);
    CHECK(d.groups[1].cause == "module_version");
    CHECK(d.groups[1].title == "module golang.org/x/sync: v0.10.0 vs v0.9.0");
    CHECK(d.groups[1].names == std::vector<std::string>{"golang.org/x/sync/errgroup"});
}

TEST_CASE("cross diff: -trimpath on one side", "[cross_diff]") {
    CrossDiff d = diff(doc_a(), make_doc("trimpath_a", {kA, {"-trimpath", "./..."}, nullptr, ""}));
    CHECK(d.differ == 9);
    const auto& g = sole_group(d, "trimpath", "-trimpath only on B");
    CHECK(g.packages == 9);
}

TEST_CASE("cross diff: Go version, and identical sides", "[cross_diff]") {
    // B's records as a newer Go would write them (the sums no longer match,
    // which the diff does not need).
    auto newer = [](std::string l) {
        for (std::size_t p; (p = l.find("go1.26.8")) != std::string::npos;) l.replace(p, 8, "go1.27.1");
        return l;
    };
    CrossDiff d = diff(doc_a(), make_doc("a", {kA, {"./..."}, newer, "+"}));
    const auto& g = sole_group(d, "go_version", "Go version go1.26.8 vs go1.27.1");
    CHECK(g.packages == 9);
    CrossDiff same = diff(doc_a(), doc_a());
    CHECK(same.available);
    CHECK(same.compared == 9);
    CHECK(same.groups.empty());
    CHECK(render_cross_diff(same) ==
          "why B missed what A had (the first key input that differs, by cause):\n"
          "  every package compared (9) has the same key on both\n");
    // Without key inputs on one side there is no section.
    ordered_json bare = doc_a();
    for (auto& p : bare["packages"]) p.erase("key_inputs");
    CHECK(!diff(doc_a(), bare).available);
    CHECK(render_cross_diff(diff(doc_a(), bare)).empty());
    // Odd documents give no section and no exception.
    json odd = json::parse(R"({"packages": [{"import_path": 3, "standard": "yes", "action_id": 1, "key_inputs": [7]}],
                               "environment": {"GOMOD": 5}, "command": {"args": "x"}})");
    CHECK(!cross_diff(odd, json::parse(doc_a().dump())).available);
    CHECK(!cross_diff(json(), json()).available);
}

TEST_CASE("key inputs: the module cache's root from an escaped module path", "[key_inputs]") {
    KeyRoots roots;
    roots.module_root = "/src/app";
    std::vector<std::string> chunks = {"go1.26.8", "compile\n",
                                       "dir /opt/mods/github.com/!burnt!sushi/toml@v1.4.0/internal\n"};
    auto ki = key_inputs_from_json(json::parse(portable_key_inputs(chunks, "github.com/BurntSushi/toml/internal", roots).dump()));
    REQUIRE(ki.size() == 3);
    CHECK(roots.gomodcache == "/opt/mods");
    CHECK(ki[2].value == "$GOMODCACHE/github.com/!burnt!sushi/toml@v1.4.0/internal");
    // A directory that only looks like one keeps its path.
    KeyRoots none;
    auto other = key_inputs_from_json(
        json::parse(portable_key_inputs({"go1.26.8", "dir /x/y@z/w\n"}, "example.com/w", none).dump()));
    CHECK(none.gomodcache.empty());
    CHECK(other[1].value == "/x/y@z/w");
}

namespace {

// A one-package document from chunks (the action ID made from them).
json synthetic_doc(const std::vector<std::string>& chunks) {
    KeyRoots roots;
    roots.module_root = "/src/app";
    std::string all;
    for (const auto& c : chunks) all += c;
    json p = {{"import_path", "example.com/app"}, {"for_test", nullptr}, {"standard", false},
              {"action_id", short_digest(all)}};
    p["key_inputs"] = json::parse(portable_key_inputs(chunks, "example.com/app", roots).dump());
    return json{{"packages", json::array({p})}};
}

std::vector<std::string> main_chunks(const std::string& target, const std::string& cflags, const std::string& rev) {
    std::string bare; // the flags unquoted, as the build info has them
    for (char c : cflags)
        if (c != '"') bare += c;
    return {"go1.26.8", "compile\n", "dir /src/app\n", "goos " + target + "\n",
            "CC=[\"gcc\"] [" + cflags + "] [] [] []\n",
            "modinfo \"path\\texample.com/app\\nbuild\\tCGO_CFLAGS=" + bare + "\\nbuild\\tvcs.revision=" + rev + "\\n\"\n",
            "file main.go abcdefghij0123456789\n"};
}

} // namespace

TEST_CASE("cross diff: target, C flags with a secret, VCS stamp", "[cross_diff]") {
    auto base = synthetic_doc(main_chunks("linux goarch amd64", "\"-O2\"", "aaaa"));
    auto cross = cross_diff(base, synthetic_doc(main_chunks("linux goarch arm64", "\"-O2\"", "aaaa")));
    REQUIRE(cross.groups.size() == 1);
    CHECK(cross.groups[0].cause == "target");
    CHECK(cross.groups[0].title == "GOOS/GOARCH linux/amd64 vs linux/arm64");
    auto secret = cross_diff(base, synthetic_doc(main_chunks("linux goarch amd64", "\"-DPASSWORD=hunter2hunter2\"", "aaaa")));
    REQUIRE(secret.groups.size() == 1);
    CHECK(secret.groups[0].cause == "cgo_flags");
    CHECK(render_cross_diff(secret).find("hunter2") == std::string::npos);
    CHECK(causes_json(secret).dump().find("hunter2") == std::string::npos);
    auto vcs = cross_diff(base, synthetic_doc(main_chunks("linux goarch amd64", "\"-O2\"", "bbbb")));
    REQUIRE(vcs.groups.size() == 1);
    CHECK(vcs.groups[0].cause == "vcs_stamp");
    CHECK(vcs.groups[0].title == "VCS stamp differs");
    CHECK(vcs.packages[0].detail == "vcs.revision aaaa vs bbbb");
    CHECK(vcs.groups[0].remedy.find("-buildvcs=false") != std::string::npos);
}

TEST_CASE("cross diff: the same key on both, told apart by B's cache evidence", "[cross_diff]") {
    // A ran at t=1,000,000 and saved its cache; B rebuilt lib with A's key.
    ordered_json a = doc_a();
    a["command"]["started"] = 1000000.0;
    ordered_json b = doc_a();
    for (auto& p : b["packages"])
        if (p["import_path"] != "example.com/app/lib") p["outcome"] = "cache_hit";
    const std::string lib_id = package(b, "example.com/app/lib")["action_id"];
    auto evidence = [&](double before, double newest, json trimmed, json present) {
        ordered_json e = b;
        e["cache_evidence"] = {{"run_started", 2000000.0}, {"entries", 400}, {"entries_before_run", before},
                               {"newest_before_run", newest}, {"oldest_entry", 900000.0}, {"trimmed_at", trimmed},
                               {"present_before_run", present}};
        return e;
    };
    const std::string same = "same key on both: ";
    // Without evidence: the cause, and no story.
    sole_group(diff(a, b), "not_in_cache",
               "same key on both: the entry was not in B's cache (a restore or eviction problem, not a changed input)");
    // A newer cache than A's run, without the entry.
    CrossDiff newer = diff(a, evidence(350, 1500000.0, nullptr, json::array()));
    CHECK(sole_group(newer, "not_in_cache", newer.groups[0].title).names == std::vector<std::string>{"example.com/app/lib"});
    CHECK(newer.groups[0].title.rfind(same + "B's cache was restored (350 entries from before its run, the newest "
                                              "1970-01-18 08:40 UTC) but lacked the entry", 0) == 0);
    REQUIRE(newer.packages.size() == 1);
    CHECK(newer.packages[0].detail == "action " + lib_id + ": no entry in B's cache before the run");
    // A cache saved before A ran.
    CrossDiff older = diff(a, evidence(350, 999000.0, nullptr, json::array()));
    CHECK(older.groups.at(0).title.rfind(same + "B restored a cache saved before A's run (its newest entry "
                                                "1970-01-12 13:30 UTC, A ran 1970-01-12 13:46 UTC)", 0) == 0);
    // go trimmed the cache between the two runs (and the entry was there but unusable).
    CrossDiff trimmed = diff(a, evidence(350, 1500000.0, 1600000.0, json::array({lib_id})));
    CHECK(trimmed.groups.at(0).title.rfind(same + "go trimmed B's cache on 1970-01-19 12:26 UTC, after A's run", 0) == 0);
    CHECK(trimmed.packages.at(0).detail.find("its entry was in B's cache before the run, but go could not use it") !=
          std::string::npos);
    // A trim before A's run, or too soon after it to remove A's entries
    // (they are 5 days unused), says nothing about them.
    CHECK(diff(a, evidence(350, 1500000.0, 1100000.0, json::array())).groups.at(0).title.find("trimmed") ==
          std::string::npos);
    CHECK(diff(a, evidence(350, 1500000.0, 999999.0, json::array())).groups.at(0).title.find("trimmed") ==
          std::string::npos);
    // Nothing before B's run and nothing from the cache: not restored, with
    // its own cause, even though B took nothing from its cache.
    ordered_json cold = evidence(0, 0, nullptr, json::array());
    for (auto& p : cold["packages"]) p["outcome"] = "rebuilt";
    CrossDiff nr = diff(a, cold);
    REQUIRE(!nr.groups.empty());
    CHECK(nr.groups[0].cause == "not_restored");
    CHECK(nr.groups[0].title.rfind("B's cache held no entry from before its build", 0) == 0);
    CHECK(nr.groups[0].packages == a["packages"].size());
    CHECK(!nr.groups[0].remedy.empty());
    // Every entry used (so rewritten) yet one missed: restored, not "not restored".
    CrossDiff used = diff(a, evidence(0, 0, nullptr, json::array()));
    CHECK(used.groups.at(0).cause == "not_in_cache");
    CHECK(used.groups.at(0).title.find("it served") != std::string::npos);
}
