#include <gox/model/build.hpp>
#include <gox/model/test_output.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <unistd.h>

namespace gox::model {

using trace::Event;
using trace::Kind;
using trace::WriteTarget;
using util::ends_with;
using util::starts_with;

std::string_view outcome_name(Outcome o) {
    switch (o) {
#define X(id, name, desc)                                                                          \
    case Outcome::id: return name;
        GOX_OUTCOMES(X)
#undef X
    }
    return "unknown";
}

std::string_view outcome_description(Outcome o) {
    switch (o) {
#define X(id, name, desc)                                                                          \
    case Outcome::id: return desc;
        GOX_OUTCOMES(X)
#undef X
    }
    return "";
}

std::string_view action_name(Action a) {
    switch (a) {
#define X(id, name)                                                                                \
    case Action::id: return name;
        GOX_ACTIONS(X)
#undef X
    case Action::Count_: break;
    }
    return "";
}

bool is_standard_import_path(std::string_view p) {
    if (p.empty() || p == "main" || p == "command-line-arguments" || ends_with(p, ".test") || ends_with(p, "_test"))
        return false;
    std::string_view first = p.substr(0, p.find('/'));
    return first.find('.') == std::string_view::npos;
}

namespace {
bool package_less(const Package& a, const Package& b) {
    return std::tie(a.invocation, a.import_path, a.objdir, a.for_test) <
           std::tie(b.invocation, b.import_path, b.objdir, b.for_test);
}
} // namespace

void sort_packages(std::vector<Package>& pkgs) { std::sort(pkgs.begin(), pkgs.end(), package_less); }

std::size_t Build::count(Outcome o) const {
    return unlisted.packages[static_cast<std::size_t>(o)] +
           static_cast<std::size_t>(
               std::count_if(packages.begin(), packages.end(), [o](const Package& p) { return p.outcome == o; }));
}

std::size_t Build::package_count() const {
    std::size_t n = packages.size();
    for (auto u : unlisted.packages) n += u;
    return n;
}

namespace {

// Test cases in report order: by package and name (stable: a repeated run keeps its order).
void sort_test_cases(std::vector<TestCase>& cases) {
    std::stable_sort(cases.begin(), cases.end(), [](const TestCase& a, const TestCase& b) {
        return std::tie(a.package, a.name) < std::tie(b.package, b.name);
    });
}

// A package or test result past the list caps: counted in Unlisted only.
void count_unlisted(Unlisted& u, const Package& p) {
    ++u.packages[static_cast<std::size_t>(p.outcome)];
    if (p.outcome == Outcome::Rebuilt || p.outcome == Outcome::Failed) {
        if (!p.standard) ++u.packages_rebuilt_user;
        else if (p.outcome == Outcome::Rebuilt) ++u.packages_rebuilt_std;
    }
}
void count_unlisted(Unlisted& u, const TestResult& r) {
    ++u.tests;
    if (r.cached) ++u.tests_cached;
    else if (r.status == "ok" || r.status == "fail") ++u.tests_run;
    if (r.status != "ok" && r.status != "no_test_files") ++u.tests_failed;
}

constexpr std::size_t kMaxFailureLines = 10;
constexpr std::size_t kMaxLineChars = 400;
constexpr std::size_t kMaxExamples = 10;
constexpr std::size_t kMaxListedCases = 50000;
constexpr std::size_t kMaxBlocks = 4096;

// Evidence ids (documented in the JSON schema in man/gox.1).
constexpr const char* kEvCompile = "compile";
constexpr const char* kEvCompileFailed = "compile_failed";
constexpr const char* kEvCgoFailed = "cgo_failed";
constexpr const char* kEvLinkInputCache = "link_input_from_cache";
constexpr const char* kEvPackagefileCache = "packagefile_from_cache";
constexpr const char* kEvInstalled = "packagefile_from_goroot_pkg";
constexpr const char* kEvReplay = "cache_replay";
constexpr const char* kEvRestore = "cache_restore";
constexpr const char* kEvVetOnly = "vet_without_compile";
constexpr const char* kEvNone = "no_evidence";

// Strings taken from the trace into the model are clipped (memory bounds).
void keep(std::string& dst, std::string_view v) { dst.assign(v.substr(0, kMaxKeptChars)); }

// A GOROOT/pkg/<os_arch>/<path>.a archive (Go 1.19 installed std).
bool is_installed_archive(std::string_view a) {
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
std::pair<Outcome, const char*> objdir_outcome(const ObjRec& r) {
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

} // namespace

struct BuildBuilder::Impl {
    Inv cur;
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
        if (i.info.gocache.empty()) keep(i.info.gocache, trace::Tokenizer::cache_root(entry));
    }

    // "packagefile P=ARCHIVE" in an importcfg or importcfg.link body.
    void on_packagefile(std::string_view body, int cfg_objdir, bool is_link_cfg, bool first_line,
                        const trace::Tokenizer& tok) {
        std::string_view rest = body.substr(12);
        auto eq = rest.find('=');
        if (eq == std::string_view::npos) return;
        std::string_view path = rest.substr(0, eq), archive = rest.substr(eq + 1);
        if (is_link_cfg && first_line) {
            // The first line of importcfg.link is the main package (its real
            // import path: compile says "-p main").
            link_cfg_is_test = ends_with(path, ".test");
            if (ObjRec* r = rec(cfg_objdir)) {
                keep(r->import_path, path);
                r->main_flag = true;
                if (trace::Tokenizer::is_cache_entry(archive)) {
                    r->bound_cache = true;
                    note_cache_root(archive);
                }
            }
        }
        int od = tok.objdir_of(archive);
        if (od >= 0) {
            if (ObjRec* r = rec(od)) {
                if (r->import_path.empty()) keep(r->import_path, path);
                if (is_link_cfg) (link_cfg_is_test ? r->ref_test : r->ref_other) = true;
            }
            return;
        }
        if (is_link_cfg && first_line && cfg_objdir >= 0) return;
        Inv& i = inv();
        bool cached = trace::Tokenizer::is_cache_entry(archive);
        if (!cached && !is_installed_archive(archive)) return;
        if (cached) note_cache_root(archive);
        if (i.by_archive.find(archive) != i.by_archive.end()) return; // looked up without a copy
        if (i.by_archive.size() >= kMaxObjdirsPerInvocation) {
            ++i.untracked;
            return;
        }
        auto [it, fresh] = i.by_archive.try_emplace(std::string(archive.substr(0, kMaxKeptChars)));
        if (!fresh) return;
        PathRec& pr = it->second;
        keep(pr.import_path, path);
        if (!cached) {
            pr.outcome = Outcome::Installed;
            pr.evidence = kEvInstalled;
        }
    }

    void on_write_line(const Event& ev, std::string_view body, const trace::Tokenizer& tok) {
        switch (ev.target) {
        case WriteTarget::Importcfg:
        case WriteTarget::ImportcfgLink:
            if (starts_with(body, "packagefile "))
                on_packagefile(body, ev.objdir, ev.target == WriteTarget::ImportcfgLink, body_index == 0, tok);
            if (starts_with(body, "packagefile ") || starts_with(body, "packageshlib ")) ++body_index;
            break;
        case WriteTarget::VetCfg:
        case WriteTarget::PkgCfg: {
            if (ev.target == WriteTarget::VetCfg && ev.objdir >= 0) {
                // The package directory and whether vet only computes facts
                // for dependents: a diagnostic that 1.26+ `go vet` prints
                // without a "# pkg" header is tied to its package by them.
                constexpr std::string_view kDir = "\t\"Dir\": \"";
                if (starts_with(body, kDir)) {
                    if (ObjRec* r = rec(ev.objdir)) {
                        std::string_view d = body.substr(kDir.size());
                        keep(r->vet_dir, d.substr(0, d.find('"')));
                    }
                } else if (starts_with(body, "\t\"VetxOnly\": true")) {
                    if (ObjRec* r = rec(ev.objdir)) r->vetx_only = true;
                }
            }
            // "ImportPath": "P",  /  "PkgPath": "P", (once per file: a JSON
            // object has the key once, and no value can hold it unescaped)
            if (cfg_key_seen || ev.objdir < 0) break;
            std::string_view key = ev.target == WriteTarget::VetCfg ? "\"ImportPath\": \"" : "\"PkgPath\": \"";
            auto k = body.find(key);
            if (k == std::string_view::npos) break;
            cfg_key_seen = true;
            std::string_view v = body.substr(k + key.size());
            v = v.substr(0, v.find('"'));
            ObjRec* r = rec(ev.objdir);
            if (!r) break;
            std::string_view path = v.substr(0, v.find(" ["));
            if (r->import_path.empty()) keep(r->import_path, path);
            if (auto b = v.find(" ["); b != std::string_view::npos && r->for_test.empty()) {
                std::string_view t = v.substr(b + 2);
                if (ends_with(t, "]")) t.remove_suffix(1);
                keep(r->for_test, t);
            }
            break;
        }
        default:
            break;
        }
    }

    void on_test_output(std::string_view line) {
        // ok  \tP\t0.01s | ok  \tP\t(cached) | FAIL\tP [build failed] | FAIL\tP\t0.01s | ?   \tP\t[no test files]
        auto tab = line.find('\t');
        if (tab == std::string_view::npos) return;
        std::string_view head = line.substr(0, tab), rest = line.substr(tab + 1);
        auto tab2 = rest.find('\t');
        std::string_view pkg = rest.substr(0, tab2);
        std::string_view tail = tab2 == std::string_view::npos ? std::string_view() : rest.substr(tab2 + 1);
        TestResult r;
        if (starts_with(head, "ok")) {
            r.status = "ok";
            r.cached = starts_with(tail, "(cached)");
        } else if (starts_with(head, "FAIL")) {
            r.status = "fail";
            if (ends_with(pkg, " [build failed]")) {
                r.status = "build_failed";
                pkg.remove_suffix(15);
            } else if (ends_with(pkg, " [setup failed]")) {
                r.status = "setup_failed";
                pkg.remove_suffix(15);
            }
        } else if (starts_with(head, "?")) {
            r.status = "no_test_files";
        } else {
            return;
        }
        keep(r.import_path, pkg);
        take_loose_cases(r.import_path);
        if (r.status == "fail" || r.status == "build_failed" || r.status == "setup_failed") {
            Failure f;
            f.import_path = r.import_path;
            f.kind = r.status == "fail" ? "test" : "build";
            f.first_lines.push_back(util::clip(line, kMaxLineChars));
            f.line_count = 1;
            f.invocation = inv_index();
            add_failure(out.failures, std::move(f));
        }
        if (out.tests.size() < kMaxListedTests) {
            out.tests.push_back(std::move(r));
            return;
        }
        count_unlisted(out.unlisted, r);
    }

    void on_go_message(std::string_view line, std::string_view text) {
        static constexpr std::string_view kInfo[] = {
            "downloading ", "finding ", "extracting ", "added ", "upgraded ", "downgraded ", "removed ",
            "switching to ", "warning: ", "creating new go.mod", "to add module requirements", "found ",
            "module ", "go.mod ", "updates to go.mod"};
        if (starts_with(line, "go: ")) {
            for (auto p : kInfo)
                if (starts_with(text, p)) return;
        } else if (!(starts_with(line, "go build ") || starts_with(line, "go test ") ||
                     starts_with(line, "go install ") || starts_with(line, "go vet ") ||
                     starts_with(line, "go run "))) {
            return;
        } else if (ends_with(line, ":") && line.find(": ") == std::string_view::npos) {
            return; // 1.20-1.21 "go build P:" prefix of the "# desc" block that follows
        }
        Failure f;
        f.kind = "go";
        f.first_lines.push_back(util::clip(line, kMaxLineChars));
        f.line_count = 1;
        f.invocation = inv_index();
        add_failure(out.failures, std::move(f));
    }

    // Line statistics of every event.
    void count_line(const Event& ev) {
        ++line_no;
        LineStats& ls = out.lines;
        ++ls.total;
        ++ls.by_kind[static_cast<std::size_t>(ev.kind)];
        if (ev.kind == Kind::Unrecognized) {
            ++ls.unrecognized;
            if (ls.unrecognized_examples.size() < kMaxExamples)
                ls.unrecognized_examples.push_back(util::clip(ev.line, 200));
        } else if (trace::is_trace_only(ev.kind)) {
            ++ls.trace;
        } else {
            ++ls.user;
        }
        if (n_invs > 0 && ev.kind != Kind::WorkDir) ++cur.info.lines; // WORK= starts the next one
    }

    // WORK=: the first, or the start of the next invocation.
    void on_work_dir(const Event& ev) {
        if (n_invs == 0) {
            n_invs = 1;
        } else if (cur.touched || !cur.info.work_dir.empty()) {
            fold(true);
            ++n_invs;
        }
        keep(cur.info.work_dir, ev.path);
        cur.info.lines = 1;
        cur.touched = true;
    }

    void on_compile(const Event& ev) {
        ObjRec* rp = rec(ev.objdir);
        if (!rp) return;
        ObjRec& r = *rp;
        r.compiled = true;
        r.compile_ok = false;
        r.last_compile_line = line_no;
        r.add(Action::Compile);
        if (ev.cmd) {
            r.std_flag = r.std_flag || ev.cmd->has_word("-std");
            for (auto w : ev.cmd->words)
                if (ends_with(w, "_test.go")) r.test_files = true;
            std::string_view gv = ev.cmd->flag("-goversion");
            if (!gv.empty() && inv().info.go_version.empty()) keep(inv().info.go_version, gv);
        }
        if (ev.text == "main") r.main_flag = true;
        else if (!ev.text.empty() && r.import_path.empty()) keep(r.import_path, ev.text);
    }

    static bool exe_path(std::string_view p) {
        return p.find("/exe/") != std::string_view::npos || p.find("\\exe\\") != std::string_view::npos;
    }

    // A step of a package's build other than the compile: counted on its
    // objdir, with what the step tells about the package.
    void on_step(const Event& ev) {
        ObjRec* r = rec_if(ev.objdir);
        if (!r) return;
        switch (ev.kind) {
        case Kind::Asm: r->add(Action::Asm); break;
        case Kind::Cgo:
            r->add(Action::Cgo);
            if (r->import_path.empty() && !ev.text.empty()) keep(r->import_path, ev.text);
            break;
        case Kind::CgoDynimport: r->add(Action::Cgo); break;
        case Kind::CCompile:
        case Kind::CgoLinkProbe: r->add(Action::CC); break;
        case Kind::Pack: r->add(Action::Pack); break;
        case Kind::Cover: r->add(Action::Cover); break;
        case Kind::BuildId:
            r->add(Action::BuildId);
            if (exe_path(ev.path) || ends_with(ev.path, ".test") || ends_with(ev.path, ".test.exe")) r->link_done = true;
            else r->compile_ok = true;
            break;
        case Kind::CacheStore:
            r->add(Action::CacheStore);
            if (ends_with(ev.path, "_pkg_.a")) r->compile_ok = true;
            break;
        case Kind::CacheRestore:
            r->add(Action::CacheRestore);
            r->restored = true;
            break;
        case Kind::Link:
            r->add(Action::Link);
            r->main_flag = true;
            if (trace::Tokenizer::is_cache_entry(ev.text)) {
                r->link_main_cached = true;
                note_cache_root(ev.text);
            }
            break;
        case Kind::Vet:
            r->add(Action::Vet);
            r->last_vet_line = line_no;
            if (ev.cmd && ev.cmd->has_word("-json")) r->vet_json = true;
            break;
        case Kind::TestRun:
            r->add(Action::TestRun);
            r->link_done = true;
            break;
        case Kind::RunProgram: r->add(Action::Run); break;
        default: break;
        }
    }

    // A heredoc (or echo) that writes a file: importcfg, link config, ...
    void on_write(const Event& ev, const trace::Tokenizer& tok) {
        if (ev.kind == Kind::HeredocHeader || ev.kind == Kind::EchoWrite) {
            body_index = 0;
            link_cfg_is_test = false;
            cfg_key_seen = false;
        }
        if (ev.kind == Kind::HeredocBody || ev.kind == Kind::EchoWrite || (ev.kind == Kind::HeredocEnd && !ev.text.empty()))
            on_write_line(ev, ev.text, tok);
    }

    // "# pkg" (and the "# [pkg]" line that may follow it) opens a block of
    // output that belongs to one step.
    void on_user_header(const Event& ev) {
        bool second = open_block && open_block->count == 0 && open_block->desc.empty() && starts_with(ev.text, "[") &&
                      ends_with(ev.text, "]");
        if (second) {
            keep(open_block->desc, ev.text.substr(1, ev.text.size() - 2));
            return;
        }
        close_block();
        Block b;
        keep(b.header, ev.text);
        b.replay = pending_replay;
        b.inv = inv_index();
        b.line_no = line_no;
        pending_replay = false;
        open_block = std::move(b);
    }

    // Output inside a block; a diagnostic outside one (1.20/1.21 "go build
    // P:" form, or a log that lost its header) opens a block of its own.
    void on_block_line(const Event& ev) {
        if (!open_block) {
            if (ev.kind != Kind::Diagnostic) return;
            Block b;
            b.inv = inv_index();
            b.line_no = line_no;
            open_block = std::move(b);
        }
        if (open_block->lines.size() < kMaxFailureLines) open_block->lines.push_back(util::clip(ev.line, kMaxLineChars));
        ++open_block->count;
    }

    void on_event(const Event& ev, const trace::Tokenizer& tok) {
        count_line(ev);
        if (trace::is_trace_only(ev.kind) && ev.kind != Kind::CacheReplay) close_block();
        switch (ev.kind) {
        case Kind::WorkDir: on_work_dir(ev); break;
        case Kind::Compile: on_compile(ev); break;
        case Kind::CacheStore:
            note_cache_root(ev.path2);
            on_step(ev);
            break;
        case Kind::CacheRestore:
            note_cache_root(ev.path);
            on_step(ev);
            break;
        case Kind::CacheReplay:
            note_cache_root(ev.path);
            pending_replay = true;
            break;
        case Kind::Asm: case Kind::Cgo: case Kind::CgoDynimport: case Kind::CCompile: case Kind::CgoLinkProbe:
        case Kind::Pack: case Kind::Cover: case Kind::BuildId: case Kind::Link: case Kind::Vet: case Kind::TestRun:
        case Kind::RunProgram:
            on_step(ev);
            break;
        case Kind::Move:
        case Kind::Copy:
            if (ev.objdir >= 0 && exe_path(ev.path))
                if (ObjRec* r = rec(ev.objdir)) {
                    r->add(Action::Install);
                    r->link_done = true;
                }
            break;
        case Kind::HeredocHeader: case Kind::HeredocBody: case Kind::HeredocEnd: case Kind::EchoWrite:
            on_write(ev, tok);
            break;
        case Kind::UserHeader: on_user_header(ev); break;
        case Kind::UserOutput:
        case Kind::Diagnostic: on_block_line(ev); break;
        case Kind::TestOutput:
            close_block();
            on_test_output(ev.line);
            break;
        case Kind::GoMessage:
            close_block();
            on_go_message(ev.line, ev.text);
            break;
        default:
            break;
        }
    }

    // Decides what a "# pkg" block was: a failure (compile, link, vet) or
    // output of a step that succeeded (warnings, -gcflags=-m, replays).
    void classify_block(const Block& b) {
        if (b.replay) return;
        std::string_view header = b.header;
        std::string_view pkg = header.substr(0, header.find(' '));
        if (ends_with(pkg, ":")) pkg.remove_suffix(1);
        if (b.count == 0) return;
        if (header.empty() && loose_vet_block(b)) return;
        Inv& i = cur; // blocks are classified when their invocation is folded
        const char* kind = nullptr;
        ObjRec* hit = nullptr;
        // vet's own block: 1.22+ head it "# P" + "# [P]" (a compile's has no
        // second header), and vet's type-check errors start with "vet: ".
        // After a failed compile of the same package, go vet prints both.
        bool vet_block = !b.desc.empty() || (!b.lines.empty() && starts_with(b.lines.front(), "vet: "));
        if (vet_block)
            for (auto& [od, r] : i.objs)
                if (r.import_path == pkg && r.n(Action::Vet) && r.last_vet_line < b.line_no) {
                    kind = "vet";
                    hit = &r;
                    break;
                }
        for (auto& [od, r] : i.objs) {
            if (vet_block && kind) break;
            if (r.import_path != pkg) continue;
            if (r.compiled && !r.compile_ok && r.last_compile_line < b.line_no) {
                kind = "compile";
                hit = &r;
                break;
            }
            if (r.n(Action::Link) && !r.link_done) {
                kind = "link";
                hit = &r;
            } else if (!kind && !r.compiled && !r.n(Action::Vet) && (r.n(Action::Cgo) || r.n(Action::CC))) {
                // Its cgo run or a C compile (a preamble, a .c file, a
                // header, the _cgo_.o link) failed: go never compiled it.
                kind = "cgo";
                hit = &r;
            } else if (!kind && r.n(Action::Vet) && r.last_vet_line < b.line_no) {
                kind = "vet";
                hit = &r;
            }
        }
        if (!kind && header.empty()) kind = "build"; // loose diagnostics
        if (!kind) {
            // A failed main package compile has no importcfg.link to name it.
            for (auto& [od, r] : i.objs) {
                if (r.main_flag && r.import_path.empty() && r.compiled && !r.compile_ok) {
                    keep(r.import_path, pkg);
                    kind = "compile";
                    hit = &r;
                    break;
                }
            }
        }
        if (!kind) {
            // Output of a step that succeeded, unless it looks like errors.
            bool errorish = false;
            bool any_known = false;
            for (auto& [od, r] : i.objs)
                if (r.import_path == pkg) any_known = true;
            if (!any_known)
                for (auto& l : b.lines)
                    if (l.find(": ") != std::string::npos) errorish = true;
            if (!errorish) return;
            kind = "build";
        }
        if (hit && (std::string_view(kind) == "compile" || std::string_view(kind) == "cgo")) hit->failed = true;
        Failure f;
        keep(f.import_path, pkg);
        f.kind = kind;
        f.first_lines = b.lines;
        f.line_count = b.count;
        f.invocation = b.inv;
        add_failure(block_failures, std::move(f));
    }

    // "FILE:L:C: message" lines with no "# pkg" header: Go 1.26+ `go vet`
    // runs vet with -json and prints its findings itself, headerless, at the
    // end. Each line goes to the package whose vet.cfg names the file's
    // directory (the one vet reported on, not a facts-only run for
    // dependents); lines that follow without a position (continuations) go
    // with the line before. True when every line found its package.
    bool loose_vet_block(const Block& b) {
        Inv& i = cur;
        bool vet_json = false;
        for (auto& [od, r] : i.objs)
            if (r.vet_json && r.last_vet_line < b.line_no) vet_json = true;
        if (!vet_json) return false;
        // Package (by its record; nullptr: none found, e.g. a vet result
        // replayed from the cache, which writes no vet.cfg) and its lines.
        std::vector<std::pair<const ObjRec*, std::vector<std::string>>> groups;
        for (const auto& l : b.lines) {
            auto colon = l.find(".go:");
            if (colon == std::string::npos || starts_with(l, "\t") || starts_with(l, " ")) {
                if (groups.empty()) groups.push_back({nullptr, {}});
                groups.back().second.push_back(l);
                continue;
            }
            std::string_view file = std::string_view(l).substr(0, colon + 3);
            auto slash = file.rfind('/');
            std::string_view dir = slash == std::string_view::npos ? std::string_view() : file.substr(0, slash);
            const ObjRec* best = nullptr;
            for (auto& [od, r] : i.objs) {
                if (!r.n(Action::Vet) || r.last_vet_line > b.line_no || r.vet_dir.empty()) continue;
                std::string_view vd = r.vet_dir;
                bool match = dir.empty() || vd == dir ||
                             (!starts_with(dir, "/") && ends_with(vd, dir) && vd[vd.size() - dir.size() - 1] == '/');
                if (match && (!best || (best->vetx_only && !r.vetx_only))) best = &r;
            }
            auto same = [&](const auto& g) {
                return g.first == best || (g.first && best && g.first->import_path == best->import_path);
            };
            auto g = std::find_if(groups.begin(), groups.end(), same);
            if (g == groups.end()) g = groups.insert(groups.end(), {best, {}});
            g->second.push_back(l);
        }
        std::size_t kept = 0;
        for (const auto& g : groups) kept += g.second.size();
        for (auto& [r, lines] : groups) {
            Failure f;
            if (r) keep(f.import_path, r->import_path);
            f.kind = "vet";
            f.line_count = lines.size() + (&lines == &groups.back().second && b.count > kept ? b.count - kept : 0);
            f.first_lines = std::move(lines);
            f.invocation = b.inv;
            add_failure(block_failures, std::move(f));
        }
        return true;
    }

    static void keep_output(OutputCut& out, std::string_view line) { out.add(util::clip(line, kMaxLineChars)); }
    static void set_output(TestCase& c, OutputCut& cut) {
        c.output_lines = cut.lines();
        c.output = cut.take();
    }
    // The plain "--- FAIL" cases seen so far, given their package (from the
    // result line; "" when no result line followed).
    void take_loose_cases(const std::string& package) {
        for (std::size_t i = 0; i < loose_cases.size(); ++i) {
            TestCase& c = loose_cases[i];
            if (!package.empty()) c.package = package;
            set_output(c, loose_output[i]);
            add_case(std::move(c));
        }
        loose_cases.clear();
        loose_output.clear();
    }

    // "--- FAIL: TestX/sub (0.01s)" and the indented lines after it.
    bool on_plain_case_line(std::string_view line) {
        std::string_view t = line;
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        std::string status = starts_with(t, "--- FAIL: ") ? "fail"
                           : starts_with(t, "--- PASS: ") ? "pass"
                           : starts_with(t, "--- SKIP: ") ? "skip" : "";
        if (status.empty()) {
            if (!loose_cases.empty() && loose_cases.back().status != "pass" && starts_with(line, "    "))
                keep_output(loose_output.back(), line);
            return false;
        }
        t.remove_prefix(10);
        TestCase c;
        c.status = status;
        auto paren = t.rfind(" (");
        c.name.assign(t.substr(0, paren));
        if (paren != std::string_view::npos) c.elapsed = std::strtod(std::string(t.substr(paren + 2)).c_str(), nullptr);
        loose_cases.push_back(std::move(c));
        loose_output.emplace_back();
        return true;
    }

    // A test2json event of one test (Action pass, fail, skip or output).
    void on_json_case_event(std::string_view line) {
        // Decode only the events that matter (run, pause, cont, start... do not).
        auto at = line.find("\"Action\":\"");
        if (at == std::string_view::npos) return;
        std::string_view act = line.substr(at + 10, 7);
        if (!starts_with(act, "pass\"") && !starts_with(act, "fail\"") && !starts_with(act, "skip\"") &&
            !starts_with(act, "output\""))
            return;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("Test") || !j["Test"].is_string() || !j.contains("Action")) return;
        std::string pkg = j.value("Package", ""), name = j["Test"].get<std::string>();
        std::string action = j.value("Action", "");
        auto key = std::make_pair(pkg, name);
        if (action == "output") {
            std::string o = j.value("Output", "");
            while (!o.empty() && (o.back() == '\n' || o.back() == '\r')) o.pop_back();
            keep_output(case_output[key], o);
            return;
        }
        if (action != "pass" && action != "fail" && action != "skip") return;
        TestCase c;
        c.package = pkg;
        c.name = name;
        c.status = action;
        if (auto it = j.find("Elapsed"); it != j.end() && it->is_number()) c.elapsed = it->get<double>();
        if (auto it = case_output.find(key); it != case_output.end()) {
            if (action != "pass") set_output(c, it->second);
            case_output.erase(it);
        }
        add_case(std::move(c));
    }

    std::size_t unlisted_cases = 0;
    void add_case(TestCase&& c) {
        if (out.test_cases.size() < kMaxListedCases) out.test_cases.push_back(std::move(c));
        else ++unlisted_cases;
    }

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

    // Whether another objdir of the invocation has the same import path, per
    // objdir in order (counted before the strings are moved out).
    static std::vector<char> shared_paths(const Inv& i) {
        std::vector<char> shared;
        shared.reserve(i.objs.size());
        std::map<std::string_view, int> objdirs_per_path;
        for (auto& [od, r] : i.objs)
            if (!r.import_path.empty()) ++objdirs_per_path[r.import_path];
        for (auto& [od, r] : i.objs) {
            // (Both arms views: with "main" against a std::string the
            // conditional would make a temporary string.)
            std::string_view path = r.import_path.empty() && r.compiled && r.main_flag ? std::string_view("main")
                                                                                        : std::string_view(r.import_path);
            auto it = objdirs_per_path.find(path);
            shared.push_back(it != objdirs_per_path.end() && it->second > 1);
        }
        return shared;
    }

    // One package per objdir that named its package.
    void objdir_packages(Inv& i, int ii, Fresh& f) {
        const std::vector<char> shared_path = shared_paths(i);
        std::size_t rec_index = 0;
        for (auto& [od, r] : i.objs) {
            const bool shared = shared_path[rec_index++];
            Package p;
            p.invocation = ii;
            p.objdir = od;
            p.actions = r.actions;
            p.main = r.main_flag;
            p.import_path = std::move(r.import_path); // the record is dropped after this
            if (p.import_path.empty() && r.compiled && r.main_flag) p.import_path = "main";
            if (p.import_path.empty()) continue; // an objdir that never named its package
            const char* ev = nullptr;
            std::tie(p.outcome, ev) = objdir_outcome(r);
            p.standard = r.compiled ? r.std_flag : is_standard_import_path(p.import_path);
            if (!r.for_test.empty()) {
                p.for_test = std::move(r.for_test);
            } else if (ends_with(p.import_path, ".test")) {
                p.for_test = p.import_path;
            } else if (r.ref_test && !r.ref_other && (r.test_files || ends_with(p.import_path, "_test") || shared)) {
                p.for_test = "?"; // resolved by resolve_test_variants
            }
            f.add(std::move(p), ev);
        }
    }

    // Cache archives: a packagefile into the cache for the path of an objdir
    // package that did not compile is the same package (its objdir only held
    // a vet or a restored cgo file), not another.
    void archive_packages(Inv& i, int ii, Fresh& f) {
        // (Views into f.pkgs: reserved by fold, it does not reallocate.)
        std::map<std::string_view, std::size_t> uncompiled;
        for (std::size_t k = 0; k < f.pkgs.size(); ++k)
            if (!f.pkgs[k].actions[static_cast<std::size_t>(Action::Compile)]) uncompiled.emplace(f.pkgs[k].import_path, k);
        for (auto& [archive, pr] : i.by_archive) {
            if (auto it = uncompiled.find(pr.import_path); it != uncompiled.end()) {
                Package& q = f.pkgs[it->second];
                const char*& qe = f.evid[it->second];
                if (q.outcome == Outcome::Unknown || qe == kEvVetOnly || qe == kEvRestore) {
                    q.outcome = pr.outcome;
                    qe = pr.evidence;
                }
                continue;
            }
            Package p;
            p.invocation = ii;
            p.import_path = std::move(pr.import_path);
            p.outcome = pr.outcome;
            p.standard = pr.outcome == Outcome::Installed || is_standard_import_path(p.import_path);
            f.add(std::move(p), pr.evidence);
        }
    }

    // A test variant's test: P_test and P belong to P.test; otherwise the
    // only .test package of its invocation, or unknown.
    static void resolve_test_variants(std::vector<Package>& pkgs) {
        std::set<std::string> tests_of;
        for (const auto& q : pkgs)
            if (ends_with(q.import_path, ".test")) tests_of.insert(q.import_path);
        for (auto& p : pkgs) {
            if (p.for_test != "?") continue;
            std::string base = p.import_path;
            if (ends_with(base, "_test")) base.resize(base.size() - 5);
            if (tests_of.count(base + ".test")) p.for_test = base + ".test";
            else p.for_test = tests_of.size() == 1 ? *tests_of.begin() : "";
        }
    }

    // Cache replays ("# pkg" blocks go printed from the cache): a cache hit
    // for a package not otherwise seen, a replay counted on one that was.
    void apply_replays(int ii, Fresh& f) {
        if (std::none_of(blocks.begin(), blocks.end(), [](const Block& b) { return b.replay; })) return;
        f.pkgs.reserve(f.pkgs.size() + blocks.size()); // by_path's views stay valid
        std::map<std::string_view, std::vector<std::size_t>> by_path;
        for (std::size_t k = 0; k < f.pkgs.size(); ++k) by_path[f.pkgs[k].import_path].push_back(k);
        for (const Block& b : blocks) {
            if (!b.replay) continue;
            std::string_view pkg = std::string_view(b.header).substr(0, b.header.find(' '));
            auto it = by_path.find(pkg);
            if (it != by_path.end()) {
                for (std::size_t k : it->second) {
                    auto& p = f.pkgs[k];
                    if (p.outcome == Outcome::Unknown) {
                        p.outcome = Outcome::CacheHit;
                        f.evid[k] = kEvReplay;
                    }
                    p.actions[static_cast<std::size_t>(Action::CacheReplay)]++;
                }
                continue;
            }
            // (Replays of the same unknown path each add a package, as before;
            // by_path only indexes the packages that existed before replays.)
            Package p;
            p.invocation = ii;
            keep(p.import_path, pkg);
            p.outcome = Outcome::CacheHit;
            p.actions[static_cast<std::size_t>(Action::CacheReplay)] = 1;
            f.add(std::move(p), kEvReplay);
        }
    }

    // Sorted, then listed while under the caps (an invocation past the
    // listed ones has its packages counted only, so no package names an
    // unlisted one).
    void list_packages(Fresh& f, bool inv_listed) {
        // Sorted by index: a Package is large to move around.
        std::vector<std::uint32_t> order(f.pkgs.size());
        for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
        std::sort(order.begin(), order.end(), [&](auto x, auto y) { return package_less(f.pkgs[x], f.pkgs[y]); });
        for (auto k : order) {
            Package& p = f.pkgs[k];
            if (inv_listed && out.packages.size() < kMaxListedPackages) {
                p.evidence = f.evid[k];
                out.packages.push_back(std::move(p));
                continue;
            }
            count_unlisted(out.unlisted, p);
        }
    }

    // Ends the live invocation: classifies its "# pkg" blocks, turns its
    // objdirs and cache archives into packages, lists them (or counts them,
    // past the caps) and drops its state. `real`: it was started (by WORK=
    // or by a line that needed one), so it is listed among the invocations.
    void fold(bool real) {
        const int ii = inv_index();
        Inv& i = cur;
        if (real) {
            if (out.invocations.size() < kMaxListedInvocations) out.invocations.push_back(i.info);
            else ++out.unlisted.invocations;
            if (out.go_version.empty()) out.go_version = i.info.go_version;
        }
        if (i.untracked)
            out.notes.push_back(fmt::format("invocation {} names more than {} objdirs or cache archives: {} reference(s) "
                                            "past that were counted as lines, not as packages",
                                            ii, kMaxObjdirsPerInvocation, i.untracked));
        out.unlisted.objdirs_untracked += i.untracked;
        // Failures first: they bind failed main packages to their paths.
        for (const Block& b : blocks) classify_block(b);
        Fresh f;
        f.pkgs.reserve(i.objs.size() + i.by_archive.size() + blocks.size());
        f.evid.reserve(f.pkgs.capacity());
        objdir_packages(i, ii, f);
        archive_packages(i, ii, f);
        resolve_test_variants(f.pkgs);
        apply_replays(ii, f);
        blocks.clear();
        list_packages(f, !real || static_cast<std::size_t>(ii) < kMaxListedInvocations);
        cur = Inv{};
    }

    Build finish(trace::Tokenizer& tok) {
        close_block();
        take_loose_cases(""); // no result line followed
        sort_test_cases(out.test_cases);
        if (unlisted_cases)
            out.notes.push_back(fmt::format("{} test case(s) are not listed (at most {})", unlisted_cases, kMaxListedCases));
        if (tok.finish()) out.notes.push_back("the trace ends inside a heredoc (cut short?)");
        out.lines.heredocs_cut = tok.heredocs_cut();
        // A failure block outside any invocation still makes one (its failure
        // is tied to invocation 0).
        if (n_invs == 0)
            for (const Block& b : blocks)
                if (!b.replay && b.count > 0) n_invs = 1;
        std::vector<Failure> loose = std::move(out.failures);
        fold(n_invs > 0);
        out.failures = std::move(block_failures);
        for (auto& f : loose) add_failure(out.failures, std::move(f));
        const Unlisted& u = out.unlisted;
        std::size_t unlisted_pkgs = 0;
        for (auto n : u.packages) unlisted_pkgs += n;
        if (unlisted_pkgs || u.invocations)
            out.notes.push_back(fmt::format("{} package(s) and {} invocation(s) are counted but not listed (gox lists "
                                            "at most {} packages and {} invocations)",
                                            unlisted_pkgs, u.invocations, kMaxListedPackages, kMaxListedInvocations));
        if (u.tests)
            out.notes.push_back(fmt::format("{} test result(s) are counted but not listed (at most {})", u.tests,
                                            kMaxListedTests));
        if (u.failures)
            out.notes.push_back(fmt::format("{} failure(s) are counted but not listed (at most {})", u.failures,
                                            kMaxListedFailures));
        return std::move(out);
    }
};

BuildBuilder::BuildBuilder() : m(std::make_unique<Impl>()) {}
BuildBuilder::~BuildBuilder() = default;
void BuildBuilder::on_event(const Event& ev, const trace::Tokenizer& tok) { m->on_event(ev, tok); }
void BuildBuilder::on_line_truncated() { ++m->out.lines.truncated; }
void BuildBuilder::on_stdout_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (starts_with(line, "ok  \t") || starts_with(line, "FAIL\t") || starts_with(line, "?   \t")) {
        m->on_test_output(line);
        return;
    }
    if (starts_with(line, "{\"") && line.find("\"Test\":\"") != std::string_view::npos) {
        m->on_json_case_event(line);
        // (a test's event is never a package result line)
        return;
    }
    if (!starts_with(line, "{")) {
        m->on_plain_case_line(line);
        return;
    }
    // go test -json: the package result line is the Output of an "output"
    // event. Only those lines are decoded (test2json escapes "\t" as \t).
    if (starts_with(line, "{") &&
        (line.find("\"Output\":\"ok  \\t") != std::string_view::npos ||
         line.find("\"Output\":\"FAIL\\t") != std::string_view::npos ||
         line.find("\"Output\":\"?   \\t") != std::string_view::npos)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("Output") || !j["Output"].is_string()) return;
        std::string out = j["Output"].get<std::string>();
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
        m->on_test_output(out);
    }
}
Build BuildBuilder::finish(trace::Tokenizer& tok) { return m->finish(tok); }

void append_build(Build& into, Build&& from) {
    const int base = static_cast<int>(into.invocation_count());
    // Into an empty list, the whole list moves (no second copy of a large
    // model at once; the lists of `from` are within the caps already).
    auto take_if_empty = [](auto& to, auto& list) {
        if (!to.empty()) return false;
        to = std::move(list);
        list.clear();
        return true;
    };
    for (auto& p : from.packages) p.invocation += base;
    for (auto& f : from.failures) f.invocation += base;
    take_if_empty(into.invocations, from.invocations);
    take_if_empty(into.packages, from.packages);
    take_if_empty(into.failures, from.failures);
    take_if_empty(into.tests, from.tests);
    take_if_empty(into.test_cases, from.test_cases);
    for (auto& i : from.invocations) {
        if (into.invocations.size() < kMaxListedInvocations) into.invocations.push_back(std::move(i));
        else ++into.unlisted.invocations;
    }
    if (into.go_version.empty()) into.go_version = std::move(from.go_version);
    for (auto& p : from.packages) {
        if (into.packages.size() < kMaxListedPackages) into.packages.push_back(std::move(p));
        else count_unlisted(into.unlisted, p);
    }
    for (auto& f : from.failures) {
        if (into.failures.size() < kMaxListedFailures) into.failures.push_back(std::move(f));
        else ++into.unlisted.failures;
    }
    for (auto& t : from.tests) {
        if (into.tests.size() < kMaxListedTests) into.tests.push_back(std::move(t));
        else count_unlisted(into.unlisted, t);
    }
    if (!from.test_cases.empty()) {
        for (auto& c : from.test_cases)
            if (into.test_cases.size() < kMaxListedCases) into.test_cases.push_back(std::move(c));
        sort_test_cases(into.test_cases);
    }
    LineStats& l = into.lines;
    const LineStats& r = from.lines;
    l.total += r.total;
    l.trace += r.trace;
    l.user += r.user;
    l.unrecognized += r.unrecognized;
    l.truncated += r.truncated;
    l.heredocs_cut += r.heredocs_cut;
    for (std::size_t k = 0; k < l.by_kind.size(); ++k) l.by_kind[k] += r.by_kind[k];
    for (auto& e : from.lines.unrecognized_examples)
        if (l.unrecognized_examples.size() < kMaxExamples) l.unrecognized_examples.push_back(std::move(e));
    Unlisted& u = into.unlisted;
    const Unlisted& v = from.unlisted;
    for (std::size_t k = 0; k < u.packages.size(); ++k) u.packages[k] += v.packages[k];
    u.packages_rebuilt_user += v.packages_rebuilt_user;
    u.packages_rebuilt_std += v.packages_rebuilt_std;
    u.invocations += v.invocations;
    u.tests += v.tests;
    u.tests_run += v.tests_run;
    u.tests_cached += v.tests_cached;
    u.tests_failed += v.tests_failed;
    u.failures += v.failures;
    u.objdirs_untracked += v.objdirs_untracked;
    for (auto& n : from.notes) into.notes.push_back(std::move(n));
}

} // namespace gox::model
