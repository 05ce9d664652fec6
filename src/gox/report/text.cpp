#include <gox/report/report.hpp>
#include <gox/report/document.hpp>

#include <gox/analysis/diagnosis.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace gox::report {

using model::Outcome;

std::string fmt_objdir(int n) { return fmt::format("$WORK/b{:03d}", n); }

namespace {
std::string pct(std::size_t part, std::size_t whole) {
    if (whole == 0) return "-";
    return fmt::format("{:.0f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string variant_name(const model::Package& p) {
    bool variant = !p.for_test.empty() && p.for_test != p.import_path;
    return p.import_path + (variant ? " [" + p.for_test + "]" : "");
}

// Packages whose compile failed but that no failure (nor the diagnosis)
// names: the failure lines list the others. Failed packages are never listed
// as rebuilt, so the counts and the lists agree.
std::vector<std::string> failed_unnamed(const model::Build& b, const std::optional<model::Diagnosis>& diagnosis) {
    std::vector<std::string> out;
    for (const auto& p : b.packages) {
        if (p.outcome != Outcome::Failed || p.standard) continue;
        bool named = std::any_of(b.failures.begin(), b.failures.end(),
                                 [&](const model::Failure& f) { return f.import_path == p.import_path; });
        if (diagnosis)
            named = named || std::any_of(diagnosis->failed.begin(), diagnosis->failed.end(),
                                         [&](const model::FailedPackage& f) { return f.package == p.import_path; });
        if (!named) out.push_back(variant_name(p));
    }
    return out;
}
} // namespace

std::string render_text(const model::Build& b, const analysis::RunAnalysis& a, const TextOptions& opt) {
    std::string out;
    auto bold = [&](std::string_view s) {
        return opt.color ? fmt::format("\x1b[1m{}\x1b[0m", s) : std::string(s);
    };
    const auto& k = b.lines.by_kind;
    auto kc = [&](trace::Kind x) { return k[static_cast<std::size_t>(x)]; };

    std::size_t total = b.package_count();
    std::size_t rebuilt = b.count(Outcome::Rebuilt), cached = b.count(Outcome::CacheHit);
    std::size_t installed = b.count(Outcome::Installed), failed = b.count(Outcome::Failed);
    std::size_t unknown = b.count(Outcome::Unknown);

    out += fmt::format("{} {} line(s), {} invocation(s){}\n", bold("gox:"), b.lines.total, b.invocation_count(),
                       b.go_version.empty() ? "" : ", " + b.go_version);
    if (b.log) {
        out += fmt::format("log: {} — prefixes stripped from {} line(s), {} line(s) of the CI system skipped", b.log->format,
                           b.log->lines_stripped, b.log->ci_lines);
        if (b.log->streams) out += fmt::format(", {} BuildKit step(s) read as separate streams", b.log->streams);
        out += "\n";
    }
    out += fmt::format("packages: {} — {} rebuilt, {} from cache", total, rebuilt, cached);
    if (installed) out += fmt::format(", {} installed (GOROOT/pkg)", installed);
    if (failed) out += fmt::format(", {} failed", failed);
    if (unknown) out += fmt::format(", {} unknown", unknown);
    out += fmt::format(" ({} reused)\n", pct(cached + installed, total));
    out += fmt::format("steps: {} compile, {} link, {} asm, {} cgo, {} cc, {} vet, {} test run\n",
                       kc(trace::Kind::Compile), kc(trace::Kind::Link), kc(trace::Kind::Asm), kc(trace::Kind::Cgo),
                       kc(trace::Kind::CCompile) + kc(trace::Kind::CgoLinkProbe), kc(trace::Kind::Vet),
                       kc(trace::Kind::TestRun));
    out += fmt::format("cache: {} stored, {} replayed, {} restored\n", kc(trace::Kind::CacheStore),
                       kc(trace::Kind::CacheReplay), kc(trace::Kind::CacheRestore));
    if (!b.tests.empty()) {
        std::size_t tc = b.unlisted.tests_cached, tr = b.unlisted.tests_run, tf = b.unlisted.tests_failed;
        for (auto& t : b.tests) {
            if (t.cached) ++tc;
            else if (t.status == "ok") ++tr;
            if (t.status != "ok" && t.status != "no_test_files") ++tf;
        }
        out += fmt::format("tests: {} package(s), {} cached result(s), {} run, {} failed\n", b.tests.size() + b.unlisted.tests,
                           tc, tr, tf);
    }
    std::vector<const model::Package*> listed;
    for (auto& p : b.packages)
        if (p.outcome == Outcome::Rebuilt && !p.standard) listed.push_back(&p);
    std::size_t std_rebuilt = b.unlisted.packages_rebuilt_std;
    for (auto& p : b.packages)
        if (p.outcome == Outcome::Rebuilt && p.standard) ++std_rebuilt;
    const std::size_t more = listed.size() + b.unlisted.packages_rebuilt_user; // all rebuilt, listed or not
    if (!listed.empty()) {
        out += "rebuilt:\n";
        for (std::size_t i = 0; i < listed.size() && i < opt.max_listed; ++i) out += "  " + variant_name(*listed[i]) + "\n";
        if (more > opt.max_listed) out += fmt::format("  … and {} more\n", more - std::min(listed.size(), opt.max_listed));
    }
    if (std_rebuilt) out += fmt::format("  (+ {} standard library package(s) rebuilt)\n", std_rebuilt);
    const auto unnamed = failed_unnamed(b, a.diagnosis);
    if (a.diagnosis || b.failed() || !unnamed.empty()) out += bold("failed:") + "\n";
    if (a.diagnosis) {
        for (const auto& l : analysis::diagnosis_text(*a.diagnosis)) out += "  " + l + "\n";
    } else {
        for (auto& f : b.failures) {
            out += fmt::format("  {} {}\n", f.kind, f.import_path.empty() ? "(no package)" : f.import_path);
            if (!f.first_lines.empty()) out += fmt::format("    {}\n", f.first_lines.front());
        }
    }
    for (const auto& n : unnamed) out += "  compile " + n + "\n";
    if (b.lines.unrecognized)
        out += fmt::format("unrecognized lines: {} (first: {})\n", b.lines.unrecognized,
                           b.lines.unrecognized_examples.empty() ? "" : b.lines.unrecognized_examples.front());
    for (auto& n : b.notes) out += fmt::format("note: {}\n", n);
    for (auto& n : a.notes) out += fmt::format("note: {}\n", n);
    return out;
}

namespace {

// "N package(s): a rebuilt, b from cache, ... (x% reused); L link(s); Ts"
std::string summary_head(const model::Build& b, double go_seconds) {
    std::size_t total = b.package_count();
    std::size_t rebuilt = b.count(Outcome::Rebuilt), cached = b.count(Outcome::CacheHit);
    std::size_t installed = b.count(Outcome::Installed), failed = b.count(Outcome::Failed);
    std::size_t links = b.lines.by_kind[static_cast<std::size_t>(trace::Kind::Link)];
    std::string head = fmt::format("{} package(s): {} rebuilt, {} from cache", total, rebuilt, cached);
    if (installed) head += fmt::format(", {} installed", installed);
    if (failed) head += fmt::format(", {} failed", failed);
    if (auto unknown = b.count(Outcome::Unknown)) head += fmt::format(", {} {}", unknown, unknown_label(failed > 0));
    head += fmt::format(" ({} reused)", pct(cached + installed, total));
    if (links) head += fmt::format("; {} link(s)", links);
    return head + fmt::format("; {:.2f}s", go_seconds);
}

// "rebuilt: P (reason: detail), ..." for the module's packages; "" if none.
std::string rebuilt_line(const model::Build& b, const analysis::RunAnalysis& a, std::size_t max_listed) {
    std::vector<const model::Package*> listed;
    for (auto& p : b.packages)
        if (p.outcome == Outcome::Rebuilt && !p.standard) listed.push_back(&p);
    if (listed.empty()) return "";
    std::string names;
    for (std::size_t i = 0; i < listed.size() && i < max_listed; ++i) {
        const auto& p = *listed[i];
        const analysis::Verdict& v = a.package(static_cast<std::size_t>(&p - b.packages.data()));
        std::string why;
        if (v.reason)
            why = " (" + std::string(v.id()) + (v.detail.empty() ? "" : ": " + v.detail) +
                  (v.output_unchanged ? "; output unchanged, dependents not rebuilt" : "") + ")";
        names += (i ? ", " : "") + variant_name(p) + why;
    }
    if (listed.size() > max_listed) names += fmt::format(", … {} more", listed.size() - max_listed);
    return "rebuilt: " + names;
}

// go test: per package, the test binary and the result.
std::string test_line(const model::Build& b, const model::TestResult& t, const analysis::Verdict& v) {
    bool linked = false;
    for (auto& p : b.packages)
        if (p.import_path == t.import_path + ".test" && p.actions[static_cast<std::size_t>(model::Action::Link)])
            linked = true;
    // A relinked binary can still hit the result cache (same test ID).
    std::string binary = linked ? "built" : t.cached ? "not needed" : "from cache";
    std::string result = t.cached ? "cached" : t.status == "ok" ? "run, passed" : t.status == "fail" ? "run, failed"
                                                                                 : t.status;
    std::string why = v.reason ? " (" + std::string(v.id()) + (v.detail.empty() ? "" : ": " + v.detail) + ")" : "";
    return fmt::format("test {}: binary {}, result {}{}", t.import_path, binary, result, why);
}

// Time by step kind, the slowest rebuilt packages and the critical path.
void timing_lines(const model::Build& b, const std::function<void(const std::string&)>& line) {
    const auto& t = *b.timing;
    if (!t.by_mode.empty()) {
        std::string s;
        for (std::size_t i = 0; i < t.by_mode.size() && i < 6; ++i)
            s += fmt::format("{}{} {:.2f}s", i ? ", " : "", t.by_mode[i].first, t.by_mode[i].second);
        line("time in steps that ran: " + s);
    }
    std::vector<const model::Package*> slow;
    for (auto& p : b.packages)
        if (p.seconds && p.outcome == Outcome::Rebuilt) slow.push_back(&p);
    std::sort(slow.begin(), slow.end(), [](auto* x, auto* y) { return *x->seconds > *y->seconds; });
    if (!slow.empty()) {
        std::string s;
        for (std::size_t i = 0; i < slow.size() && i < 3; ++i)
            s += fmt::format("{}{} {:.2f}s", i ? ", " : "", slow[i]->import_path, *slow[i]->seconds);
        line("slowest: " + s);
    }
    if (!t.critical_path.empty()) {
        std::string s;
        std::size_t n = t.critical_path.size(), from = n > 5 ? n - 5 : 0;
        if (from) s += "… → ";
        for (std::size_t i = from; i < n; ++i)
            s += fmt::format("{}{} {:.2f}s", i > from ? " → " : "", t.critical_path[i].first, t.critical_path[i].second);
        line("critical path: " + s);
    }
}

} // namespace

std::string render_summary(const model::Build& b, const analysis::RunAnalysis& a, const TextOptions& opt,
                           double go_seconds) {
    std::string out;
    std::string tag = opt.color ? "\x1b[1mgox:\x1b[0m" : "gox:";
    auto line = [&](const std::string& s) { out += tag + " " + s + "\n"; };
    line(summary_head(b, go_seconds));
    if (auto r = rebuilt_line(b, a, opt.max_listed); !r.empty()) line(r);
    for (std::size_t i = 0; i < b.tests.size(); ++i)
        if (b.tests[i].status != "no_test_files") line(test_line(b, b.tests[i], a.test(i)));
    if (b.timing) timing_lines(b, line);
    if (a.diagnosis) {
        for (const auto& l : analysis::diagnosis_text(*a.diagnosis)) line(l);
    } else {
        for (auto& f : b.failures)
            line(fmt::format("failed: {} {}{}", f.kind, f.import_path.empty() ? "(no package)" : f.import_path,
                             f.first_lines.empty() ? "" : ": " + f.first_lines.front()));
    }
    if (const auto unnamed = failed_unnamed(b, a.diagnosis); !unnamed.empty()) {
        std::string names;
        for (std::size_t i = 0; i < unnamed.size() && i < opt.max_listed; ++i) names += (i ? ", " : "") + unnamed[i];
        if (unnamed.size() > opt.max_listed) names += fmt::format(", … {} more", unnamed.size() - opt.max_listed);
        line("failed: " + names + " (failed to compile)");
    }
    if (b.lines.unrecognized)
        line(fmt::format("{} line(s) of go's output were not understood (shown unchanged)", b.lines.unrecognized));
    if (a.cache_program)
        for (const auto& l : analysis::cache_program_text(*a.cache_program, opt.max_listed)) line(l);
    for (auto& n : b.notes) line("note: " + n);
    for (auto& n : a.notes) line("note: " + n);
    return out;
}

} // namespace gox::report
