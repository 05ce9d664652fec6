#pragma once
// Private to model/build*.cpp (not installed): the state of a BuildBuilder
// and the records it keeps per objdir, cache archive and "# pkg" block. Its
// methods live by concern: build.cpp (the public API and the per-line
// dispatch, on_event and its handlers), build_blocks.cpp (what a "# pkg"
// block was: classify_block and the failures it binds), build_tests.cpp (go
// test's stdout, plain and test2json, and go's own messages) and
// build_fold.cpp (an invocation's packages and their outcomes: fold, finish).

#include <gox/model/build.hpp>
#include <gox/model/test_output.hpp>
#include <gox/trace/event.hpp>
#include <gox/trace/paths.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace gox::model {

namespace build_impl {

using trace::Event;
using trace::Kind;
using trace::WriteTarget;
using util::ends_with;
using util::starts_with;

inline bool package_less(const Package& a, const Package& b) {
    return std::tie(a.invocation, a.import_path, a.objdir, a.for_test) <
           std::tie(b.invocation, b.import_path, b.objdir, b.for_test);
}

// Test cases in report order: by package and name (stable: a repeated run keeps its order).
inline void sort_test_cases(std::vector<TestCase>& cases) {
    std::stable_sort(cases.begin(), cases.end(), [](const TestCase& a, const TestCase& b) {
        return std::tie(a.package, a.name) < std::tie(b.package, b.name);
    });
}

// A package or test result past the list caps: counted in Unlisted only.
inline void count_unlisted(Unlisted& u, const Package& p) {
    ++u.packages[static_cast<std::size_t>(p.outcome)];
    if (p.outcome == Outcome::Rebuilt || p.outcome == Outcome::Failed) {
        if (!p.standard) ++u.packages_rebuilt_user;
        else if (p.outcome == Outcome::Rebuilt) ++u.packages_rebuilt_std;
    }
}
inline void count_unlisted(Unlisted& u, const TestResult& r) {
    ++u.tests;
    if (r.cached) ++u.tests_cached;
    else if (r.status == "ok" || r.status == "fail") ++u.tests_run;
    if (r.status != "ok" && r.status != "no_test_files") ++u.tests_failed;
}

inline constexpr std::size_t kMaxFailureLines = 10;
inline constexpr std::size_t kMaxLineChars = 400;
inline constexpr std::size_t kMaxExamples = 10;
inline constexpr std::size_t kMaxListedCases = 50000;
inline constexpr std::size_t kMaxBlocks = 4096;

// Evidence ids: the GOX_EVIDENCE table in build.hpp (kEvCompile, ...).

// Strings taken from the trace into the model are clipped (memory bounds).
inline void keep(std::string& dst, std::string_view v) { dst.assign(v.substr(0, kMaxKeptChars)); }

// A GOROOT/pkg/<os_arch>/<path>.a archive (Go 1.19 installed std).
inline bool is_installed_archive(std::string_view a) {
    return ends_with(a, ".a") && (a.find("/pkg/") != std::string_view::npos || a.find("\\pkg\\") != std::string_view::npos);
}

struct ObjRec {
    std::string import_path;
    std::string for_test;
    std::array<std::uint32_t, kActionCount> actions{};
    bool compiled = false, compile_ok = false, std_flag = false, main_flag = false, test_files = false;
    bool bound_cache = false, bound_installed = false, link_main_cached = false;
    bool replayed = false, restored = false, link_done = false, failed = false;
    bool ref_test = false, ref_other = false;
    bool vetx_only = false; // its vet.cfg says VetxOnly (facts for dependents, no report)
    bool vet_json = false;  // vet ran with -json (1.26+ go vet: go prints the findings, headerless)
    std::string vet_dir;    // "Dir" of its vet.cfg
    std::uint64_t last_vet_line = 0, last_compile_line = 0;
    void add(Action a) { ++actions[static_cast<std::size_t>(a)]; }
    std::uint32_t n(Action a) const { return actions[static_cast<std::size_t>(a)]; }
};

// What decided an objdir package's outcome, strongest evidence first.
inline std::pair<Outcome, const char*> objdir_outcome(const ObjRec& r) {
    if (r.compiled && r.compile_ok) return {Outcome::Rebuilt, kEvCompile};
    if (r.compiled && r.failed) return {Outcome::Failed, kEvCompileFailed};
    if (r.compiled) return {Outcome::Rebuilt, kEvCompile};
    if (r.failed) return {Outcome::Failed, kEvCgoFailed}; // its cgo or C compile step failed: no compile ran
    if (r.link_main_cached) return {Outcome::CacheHit, kEvLinkInputCache};
    if (r.bound_cache) return {Outcome::CacheHit, kEvPackagefileCache};
    if (r.replayed) return {Outcome::CacheHit, kEvReplay};
    if (r.restored) return {Outcome::CacheHit, kEvRestore};
    if (r.n(Action::Vet)) return {Outcome::CacheHit, kEvVetOnly};
    return {Outcome::Unknown, kEvNone};
}

// A cache or GOROOT/pkg archive an importcfg named: the evidence it gives
// (decide_outcome in build_fold.cpp makes it a package's outcome).
struct PathRec {
    std::string import_path;
    Outcome outcome = Outcome::CacheHit;
    const char* evidence = kEvPackagefileCache;
    bool replayed = false;
};

struct Block {
    std::string header; // text after "# "
    std::string desc;   // 1.22+ second header "# [desc]"
    std::vector<std::string> lines;
    std::size_t count = 0;
    bool replay = false;
    int inv = 0;
    std::uint64_t line_no = 0;
};

// The invocation being read. Only one is live: when the next WORK= starts,
// this one is folded into the Build (its packages listed or counted) and its
// per-objdir state is dropped.
struct Inv {
    Invocation info;
    std::map<int, ObjRec> objs;
    std::map<std::string, PathRec, std::less<>> by_archive;
    bool touched = false;
    std::size_t untracked = 0; // references to objdirs past kMaxObjdirsPerInvocation
    int last_objdir = -1;      // one-entry lookup cache: consecutive lines mostly name the same objdir
    ObjRec* last_rec = nullptr;
};

} // namespace build_impl

// (Only model/build*.cpp include this header.)
using namespace build_impl;

struct BuildBuilder::Impl {
    Inv cur;
    std::string work_dir; // as the last WORK= printed it, whole (for trace::objdir_of)
    int n_invs = 0; // invocations started (cur is the last one)
    Build out;
    std::vector<Failure> block_failures; // from "# pkg" blocks of folded invocations
    // Test cases read from go test's stdout: "--- FAIL: T (0.00s)" lines of
    // plain output wait for their package's result line; test2json events
    // carry their package. Output is kept for failed and skipped tests only.
    std::vector<TestCase> loose_cases;
    std::vector<OutputCut> loose_output; // one per loose case
    std::map<std::pair<std::string, std::string>, OutputCut> case_output;
    std::vector<Block> blocks;           // of the live invocation
    std::optional<Block> open_block;
    bool pending_replay = false;
    // heredoc / write context
    std::uint64_t body_index = 0;
    bool link_cfg_is_test = false;
    bool cfg_key_seen = false; // the open vet.cfg / pkgcfg.txt named its package
    std::uint64_t line_no = 0;

    Inv& inv() {
        if (n_invs == 0) n_invs = 1;
        return cur;
    }
    int inv_index() const { return n_invs == 0 ? 0 : n_invs - 1; }
    // The record of an objdir of the live invocation; nullptr for none (-1)
    // or past the cap.
    ObjRec* rec(int objdir) {
        if (objdir < 0) return nullptr;
        Inv& i = inv();
        i.touched = true;
        if (objdir == i.last_objdir) return i.last_rec;
        auto it = i.objs.find(objdir);
        if (it == i.objs.end()) {
            if (i.objs.size() >= kMaxObjdirsPerInvocation) {
                ++i.untracked;
                return nullptr;
            }
            it = i.objs.emplace(objdir, ObjRec{}).first;
        }
        i.last_objdir = objdir;
        i.last_rec = &it->second;
        return i.last_rec;
    }
    ObjRec* rec_if(int objdir) { return rec(objdir); }

    void add_failure(std::vector<Failure>& to, Failure&& f) {
        if (to.size() < kMaxListedFailures) to.push_back(std::move(f));
        else ++out.unlisted.failures;
    }

    void close_block() {
        if (!open_block) return;
        if (blocks.size() < kMaxBlocks) blocks.push_back(std::move(*open_block));
        open_block.reset();
    }

    void note_cache_root(std::string_view entry) {
        Inv& i = inv();
        if (i.info.gocache.empty()) keep(i.info.gocache, trace::cache_root(entry));
    }

    // build.cpp: the per-line path (one translation unit with on_event).
    void on_packagefile(std::string_view body, int cfg_objdir, bool is_link_cfg, bool first_line);
    void on_write_line(const Event& ev, std::string_view body);
    void count_line(const Event& ev);
    void on_work_dir(const Event& ev);
    void on_compile(const Event& ev);
    static bool exe_path(std::string_view p);
    void on_step(const Event& ev);
    void on_write(const Event& ev);
    void on_user_header(const Event& ev);
    void on_block_line(const Event& ev);
    void on_event(const Event& ev);

    // build_blocks.cpp: "# pkg" blocks, classified when their invocation is folded.
    void classify_block(const Block& b);
    bool loose_vet_block(const Block& b);

    // build_tests.cpp: go test's stdout (result lines, "--- FAIL" cases,
    // test2json events) and go's own messages.
    void on_test_output(std::string_view line);
    void on_go_message(std::string_view line, std::string_view text);
    static void keep_output(OutputCut& out, std::string_view line);
    static void set_output(TestCase& c, OutputCut& cut);
    void take_loose_cases(const std::string& package);
    bool on_plain_case_line(std::string_view line);
    void on_json_case_event(std::string_view line);
    std::size_t unlisted_cases = 0;
    void add_case(TestCase&& c);

    // The packages an invocation made, with each one's evidence id (set on
    // the Package only when it is listed: most ids are too long for the
    // short-string buffer, a copy each for packages that are only counted).
    struct Fresh {
        std::vector<Package> pkgs;
        std::vector<const char*> evid;
        void add(Package p, const char* ev) {
            pkgs.push_back(std::move(p));
            evid.push_back(ev);
        }
    };

    // build_fold.cpp: an invocation's packages, and the end of the trace.
    static std::vector<char> shared_paths(const Inv& i);
    void objdir_packages(Inv& i, int ii, Fresh& f);
    void archive_packages(Inv& i, int ii, Fresh& f);
    static void resolve_test_variants(std::vector<Package>& pkgs);
    void apply_replays(int ii, Fresh& f);
    void list_packages(Fresh& f, bool inv_listed);
    void fold(bool real);
    Build finish(const trace::TraceEnd& end);
};

} // namespace gox::model
