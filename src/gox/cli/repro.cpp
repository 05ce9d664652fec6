#include <gox/cli/repro.hpp>

#include <gox/cli/cli.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/stream.hpp>
#include <gox/process/go_process.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

namespace gox::cli {

using util::starts_with;

namespace {

bool is_flag(std::string_view a) { return a.size() > 1 && a[0] == '-'; }
std::string_view bare(std::string_view f) { return starts_with(f, "--") ? f.substr(1) : f; }

std::string display_command(const std::string& verb, const std::vector<std::string>& args) {
    std::string s = "GOCACHE=<empty temp dir> GOTMPDIR=<empty temp dir> go " + verb;
    for (const auto& a : args) s += " " + analysis::shell_quote(a);
    return s;
}

} // namespace

std::vector<std::string> repro_args(const std::string& verb, const std::vector<std::string>& args, bool keep_tests) {
    std::vector<std::string> out;
    const bool buildish = verb == "build" || verb == "install" || verb == "run";
    std::size_t i = 0;
    // -C dir must stay first.
    i = go_chdir_at(args).size;
    out.insert(out.end(), args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    if (buildish) out.insert(out.end(), {"-o", "/dev/null"});
    bool in_packages = false;
    for (; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--" || a == "-args" || a == "--args") {
            if (verb == "test" && !keep_tests) out.push_back("-run=^$");
            if (verb == "test") out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            return out;
        }
        if (!is_flag(a)) {
            if (verb == "run") {
                // The package (or its .go files); the rest is the program's.
                if (in_packages && !util::ends_with(a, ".go")) break;
                out.emplace_back(a);
                in_packages = true;
                if (!util::ends_with(a, ".go")) break;
                continue;
            }
            in_packages = true;
            out.emplace_back(a);
            continue;
        }
        if (verb == "run" && in_packages) break;
        std::string_view f = bare(a);
        bool has_value = trace::go_flag_takes_value(f);
        // What would write where the user looks, or run more than the build.
        bool drop = (buildish && (f == "-o" || starts_with(f, "-o="))) ||
                    (verb == "test" && !keep_tests &&
                     (f == "-fuzz" || starts_with(f, "-fuzz=") || f == "-bench" || starts_with(f, "-bench=") ||
                      f == "-run" || starts_with(f, "-run=")));
        if (!drop) {
            out.emplace_back(a);
            if (has_value && i + 1 < args.size()) out.push_back(args[i + 1]);
        }
        if (has_value) ++i;
    }
    if (verb == "test" && !keep_tests) out.push_back("-run=^$");
    return out;
}

std::vector<model::EntryCheck> verify_suspects(const model::Build& b, const model::Diagnosis& d,
                                               const analysis::ErrorCollector& ec) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& p : analysis::suspects(b, d, ec))
        if (auto it = ec.cache_files().find(p); it != ec.cache_files().end()) files.emplace_back(p, it->second);
    return analysis::verify_cache_files(files);
}

namespace {

// A temporary directory with an empty cache/ and tmp/ for the clean run; ""
// if none could be made.
std::string make_clean_dir() {
    std::error_code fe;
    std::string tmpl = (std::filesystem::temp_directory_path(fe) / "gox-repro-XXXXXX").string();
    if (fe || !::mkdtemp(tmpl.data())) return "";
    const std::string dir = tmpl;
    std::filesystem::create_directory(dir + "/cache", fe);
    std::filesystem::create_directory(dir + "/tmp", fe);
    // Test hook (tests/cli/test_diagnosis.py): GOX_TEST_REPRO_SEED=DIR starts
    // the clean cache as a copy of DIR, a cache that plain go filled from
    // empty, so that each fault scenario does not compile the standard library
    // again. The verdict is decided the same way: that cache holds only
    // entries go made itself. A copy that fails leaves the cache empty.
    if (const char* seed = std::getenv("GOX_TEST_REPRO_SEED"); seed && *seed) {
        std::filesystem::copy(seed, dir + "/cache", std::filesystem::copy_options::recursive, fe);
        if (fe) {
            std::filesystem::remove_all(dir + "/cache", fe);
            std::filesystem::create_directory(dir + "/cache", fe);
        }
    }
    return dir;
}

// The verdict when the clean run failed too: reproducible, unless it failed
// for a reason of the machine's (then it cannot tell).
void failed_again(model::Repro& r, const model::Diagnosis& d, const model::Diagnosis& cd) {
    r.clean_class = cd.cls;
    for (const auto& f : cd.failed)
        for (const auto& l : f.first_lines)
            if (r.clean_first_lines.size() < 5) r.clean_first_lines.push_back(l);
    using analysis::FailureClass;
    static const std::set<FailureClass> kEnvironmental = {FailureClass::DiskFull, FailureClass::TempDirUnusable,
                                                          FailureClass::Interrupted, FailureClass::MissingPackageOrModule,
                                                          FailureClass::Unknown};
    auto clean = analysis::class_from_name(cd.cls);
    if (cd.cls != d.cls && clean && kEnvironmental.count(*clean)) {
        r.verdict = "inconclusive";
        r.detail = fmt::format("the clean run failed differently ({}), so it cannot tell", cd.cls);
    } else {
        r.verdict = "reproducible";
        r.detail = cd.cls == d.cls ? "" : fmt::format("the clean run failed as {}", cd.cls);
    }
}

// The clean run passed: which cached entries are to blame (those that fail
// their check, those the errors name, and those whose content differs from
// what the clean build made), and the command that evicts them.
void name_suspects(model::Repro& r, const ReproRequest& req, const model::Build& clean) {
    const model::Diagnosis& d = *req.diagnosis;
    std::set<std::string> sus;
    for (const auto& v : d.verified)
        if (v.status != "ok") sus.insert(v.package);
    for (const auto& f : d.failed)
        for (const auto& l : f.first_lines)
            if (auto ci = analysis::could_not_import(l)) sus.insert(ci->first);
    std::map<std::pair<std::string, std::string>, std::string> clean_ids;
    for (const auto& p : clean.packages)
        if (!p.content_id.empty()) clean_ids[{p.import_path, p.for_test}] = p.content_id;
    for (const auto& p : req.failing->packages) {
        if (p.outcome != model::Outcome::CacheHit || p.content_id.empty()) continue;
        auto it = clean_ids.find({p.import_path, p.for_test});
        if (it != clean_ids.end() && it->second != p.content_id) sus.insert(p.import_path);
    }
    r.suspects.assign(sus.begin(), sus.end());
    std::string files;
    bool all_known = !sus.empty();
    for (const auto& p : sus) {
        auto it = req.errors->cache_files().find(p);
        if (it == req.errors->cache_files().end()) {
            all_known = false;
            continue;
        }
        files += " " + analysis::shell_quote(it->second);
    }
    if (!files.empty()) r.evict = "rm -f" + files + (all_known ? "" : "  # and, for the rest: go clean -cache");
    else r.evict = "go clean -cache";
    if (sus.empty()) r.detail = "no single cache entry could be named";
}

} // namespace

model::Repro repro_clean(const ReproRequest& req) {
    model::Repro r;
    const model::Diagnosis& d = *req.diagnosis;
    bool test_failed = false;
    for (const auto& f : d.failed)
        if (f.cls == "test_failure") test_failed = true;
    std::string verb = req.verb == "vet" || req.verb == "test" ? req.verb : "build";
    std::vector<std::string> args = repro_args(req.verb, req.args, test_failed);
    r.command = display_command(verb, args);
    r.verdict = "inconclusive";

    const std::string dir = make_clean_dir();
    if (dir.empty()) {
        r.detail = "could not create a temporary directory for the clean cache";
        return r;
    }
    if (req.announce)
        process::write_all(2, fmt::format("gox: {}: re-running against an empty temporary cache to see whether the "
                                          "cache is to blame (--no-repro skips this)…\n",
                                          d.cls));
    // -C dir must come first; then what gox adds.
    std::size_t keep = go_chdir_at(args).size;
    std::vector<std::string> argv = {req.go, verb};
    argv.insert(argv.end(), args.begin(), args.begin() + static_cast<std::ptrdiff_t>(keep));
    argv.insert(argv.end(), {"-x", "-debug-actiongraph=" + dir + "/actiongraph.json"});
    argv.insert(argv.end(), args.begin() + static_cast<std::ptrdiff_t>(keep), args.end());

    model::TraceStream stream([](std::string_view) {}, false);
    analysis::ErrorCollector ec;
    stream.on_event = [&](const trace::Event& ev) { ec.on_event(ev); };
    process::GoRun run;
    std::error_code fe;
    try {
        // The child's environment only: gox's own stays the user's.
        run = process::run_go(argv, [&](std::string_view b) { stream.feed_stdout(b); },
                              [&](std::string_view b) { stream.feed(b); },
                              {{"GOCACHE", dir + "/cache"}, {"GOTMPDIR", dir + "/tmp"}});
    } catch (const std::exception& e) {
        std::filesystem::remove_all(dir, fe);
        r.detail = std::string("the clean run could not start: ") + e.what();
        return r;
    }
    r.seconds = run.seconds;
    r.exit_code = run.exit_code;
    model::Build clean = stream.take_build();
    {
        std::string err;
        if (auto ag = model::read_actiongraph_file(dir + "/actiongraph.json", err)) model::merge_actiongraph(clean, *ag);
    }
    std::filesystem::remove_all(dir, fe);

    if (run.term_signal || process::received_signal()) {
        r.detail = "the clean run was interrupted";
        return r;
    }
    analysis::DiagContext ctx;
    ctx.exit_code = run.exit_code;
    auto cd = analysis::diagnose(clean, &ec, ctx);
    if (run.exit_code != 0 && cd) {
        failed_again(r, d, *cd);
    } else if (run.exit_code != 0) {
        r.detail = fmt::format("the clean run exited with status {} without a recognisable failure", run.exit_code);
    } else {
        r.verdict = "cache_caused";
        if (d.cls == "cache_unusable") r.detail = "the same command passes with a usable cache: fix GOCACHE (see the remedy)";
        else name_suspects(r, req, clean);
    }
    return r;
}

} // namespace gox::cli
