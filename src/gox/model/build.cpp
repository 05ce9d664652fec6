// BuildBuilder's public API and the per-line path: on_event and the handlers
// it dispatches each trace line to (one translation unit, so that they inline).
// The builder's state is declared in build_impl.hpp.
#include <gox/model/build_impl.hpp>

#include <algorithm>
#include <memory>
#include <tuple>

namespace gox::model {

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


// "packagefile P=ARCHIVE" in an importcfg or importcfg.link body.
void BuildBuilder::Impl::on_packagefile(std::string_view body, int cfg_objdir, bool is_link_cfg,
                                        bool first_line) {
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
            if (trace::is_cache_entry(archive)) {
                r->bound_cache = true;
                note_cache_root(archive);
            }
        }
    }
    int od = trace::objdir_of(archive, work_dir);
    if (od >= 0) {
        if (ObjRec* r = rec(od)) {
            if (r->import_path.empty()) keep(r->import_path, path);
            if (is_link_cfg) (link_cfg_is_test ? r->ref_test : r->ref_other) = true;
        }
        return;
    }
    if (is_link_cfg && first_line && cfg_objdir >= 0) return;
    Inv& i = inv();
    bool cached = trace::is_cache_entry(archive);
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

void BuildBuilder::Impl::on_write_line(const Event& ev, std::string_view body) {
    switch (ev.target) {
    case WriteTarget::Importcfg:
    case WriteTarget::ImportcfgLink:
        if (starts_with(body, "packagefile "))
            on_packagefile(body, ev.objdir, ev.target == WriteTarget::ImportcfgLink, body_index == 0);
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

// Line statistics of every event.
void BuildBuilder::Impl::count_line(const Event& ev) {
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
void BuildBuilder::Impl::on_work_dir(const Event& ev) {
    if (n_invs == 0) {
        n_invs = 1;
    } else if (cur.touched || !cur.info.work_dir.empty()) {
        fold(true);
        ++n_invs;
    }
    keep(cur.info.work_dir, ev.path);
    work_dir.assign(ev.path);
    cur.info.lines = 1;
    cur.touched = true;
}

void BuildBuilder::Impl::on_compile(const Event& ev) {
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

bool BuildBuilder::Impl::exe_path(std::string_view p) {
    return p.find("/exe/") != std::string_view::npos || p.find("\\exe\\") != std::string_view::npos;
}

// A step of a package's build other than the compile: counted on its
// objdir, with what the step tells about the package.
void BuildBuilder::Impl::on_step(const Event& ev) {
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
        if (trace::is_cache_entry(ev.text)) {
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
void BuildBuilder::Impl::on_write(const Event& ev) {
    if (ev.kind == Kind::HeredocHeader || ev.kind == Kind::EchoWrite) {
        body_index = 0;
        link_cfg_is_test = false;
        cfg_key_seen = false;
    }
    if (ev.kind == Kind::HeredocBody || ev.kind == Kind::EchoWrite || (ev.kind == Kind::HeredocEnd && !ev.text.empty()))
        on_write_line(ev, ev.text);
}

// "# pkg" (and the "# [pkg]" line that may follow it) opens a block of
// output that belongs to one step.
void BuildBuilder::Impl::on_user_header(const Event& ev) {
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
void BuildBuilder::Impl::on_block_line(const Event& ev) {
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

void BuildBuilder::Impl::on_event(const Event& ev) {
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
        on_write(ev);
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

BuildBuilder::BuildBuilder() : m(std::make_unique<Impl>()) {}
BuildBuilder::~BuildBuilder() = default;
void BuildBuilder::on_event(const Event& ev) { m->on_event(ev); }
void BuildBuilder::on_line_truncated() { ++m->out.lines.truncated; }
Build BuildBuilder::finish(const trace::TraceEnd& end) { return m->finish(end); }

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
