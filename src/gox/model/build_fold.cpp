// The end of an invocation (fold): its objdirs, cache archives and replays
// become packages with an outcome each, listed or counted past the caps; and
// the end of the trace (finish).
#include <gox/model/build_impl.hpp>

#include <fmt/format.h>

#include <set>

namespace gox::model {

namespace {

// The one place in build*.cpp where a package's outcome is set (packages
// that only the action graph names get theirs in actiongraph.cpp), with the
// id of the evidence that decided it. `now` is the evidence so far (nullptr
// for a new package). An objdir's own evidence (objdir_outcome) comes first;
// a cache or GOROOT/pkg archive bound to the same path then replaces none, a
// vet alone or a cache restore; a cache replay replaces only none.
void decide_outcome(Outcome& outcome, const char*& now, std::pair<Outcome, const char*> by) {
    if (now) {
        const bool archive = by.second == kEvPackagefileCache || by.second == kEvInstalled;
        const bool weaker = now == kEvNone || (archive && (now == kEvVetOnly || now == kEvRestore));
        if (!weaker) return;
    }
    std::tie(outcome, now) = by;
}

} // namespace

// Whether another objdir of the invocation has the same import path, per
// objdir in order (counted before the strings are moved out).
std::vector<char> BuildBuilder::Impl::shared_paths(const Inv& i) {
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
void BuildBuilder::Impl::objdir_packages(Inv& i, int ii, Fresh& f) {
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
        decide_outcome(p.outcome, ev, objdir_outcome(r));
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
void BuildBuilder::Impl::archive_packages(Inv& i, int ii, Fresh& f) {
    // (Views into f.pkgs: reserved by fold, it does not reallocate.)
    std::map<std::string_view, std::size_t> uncompiled;
    for (std::size_t k = 0; k < f.pkgs.size(); ++k)
        if (!f.pkgs[k].actions[static_cast<std::size_t>(Action::Compile)]) uncompiled.emplace(f.pkgs[k].import_path, k);
    for (auto& [archive, pr] : i.by_archive) {
        if (auto it = uncompiled.find(pr.import_path); it != uncompiled.end()) {
            decide_outcome(f.pkgs[it->second].outcome, f.evid[it->second], {pr.outcome, pr.evidence});
            continue;
        }
        Package p;
        p.invocation = ii;
        p.import_path = std::move(pr.import_path);
        const char* ev = nullptr;
        decide_outcome(p.outcome, ev, {pr.outcome, pr.evidence});
        p.standard = pr.outcome == Outcome::Installed || is_standard_import_path(p.import_path);
        f.add(std::move(p), ev);
    }
}

// A test variant's test: P_test and P belong to P.test; otherwise the
// only .test package of its invocation, or unknown.
void BuildBuilder::Impl::resolve_test_variants(std::vector<Package>& pkgs) {
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
void BuildBuilder::Impl::apply_replays(int ii, Fresh& f) {
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
                decide_outcome(p.outcome, f.evid[k], {Outcome::CacheHit, kEvReplay});
                p.actions[static_cast<std::size_t>(Action::CacheReplay)]++;
            }
            continue;
        }
        // (Replays of the same unknown path each add a package, as before;
        // by_path only indexes the packages that existed before replays.)
        Package p;
        p.invocation = ii;
        keep(p.import_path, pkg);
        p.actions[static_cast<std::size_t>(Action::CacheReplay)] = 1;
        const char* ev = nullptr;
        decide_outcome(p.outcome, ev, {Outcome::CacheHit, kEvReplay});
        f.add(std::move(p), ev);
    }
}

// Sorted, then listed while under the caps (an invocation past the
// listed ones has its packages counted only, so no package names an
// unlisted one).
void BuildBuilder::Impl::list_packages(Fresh& f, bool inv_listed) {
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
void BuildBuilder::Impl::fold(bool real) {
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

Build BuildBuilder::Impl::finish(const trace::TraceEnd& end) {
    close_block();
    take_loose_cases(""); // no result line followed
    sort_test_cases(out.test_cases);
    if (unlisted_cases)
        out.notes.push_back(fmt::format("{} test case(s) are not listed (at most {})", unlisted_cases, kMaxListedCases));
    if (end.heredoc_open) out.notes.push_back("the trace ends inside a heredoc (cut short?)");
    out.lines.heredocs_cut = end.heredocs_cut;
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

} // namespace gox::model
