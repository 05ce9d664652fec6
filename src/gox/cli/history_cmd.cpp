// gox explain / gox diff / gox history: read the run history.

#include <gox/analysis/cross_diff.hpp>
#include <gox/analysis/diagnosis.hpp>
#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/cli/cacheprog_history.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/history/store.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

namespace gox::cli {

namespace {

// A history command's options: the --format they all take (into format),
// then the command's own.
CommandSpec history_spec(const char* name, const char* help, std::string& format) {
    CommandSpec spec(name, help);
    spec.options.add_options()("format", po::value<std::string>(&format)->value_name("text|json"), "text (default) or JSON");
    return spec;
}
void check_format(const std::string& cmd, const std::string& format) {
    if (format != "text" && format != "json") usage_error(fmt::format("{}: unknown format \"{}\"", cmd, format));
}
std::vector<std::string> positional_args(const po::variables_map& vm) {
    return vm.count(kPositional) ? vm[kPositional].as<std::vector<std::string>>() : std::vector<std::string>();
}

history::RunRecord pick_run(const history::Store& s, const std::string& which, const std::string& module, int nth) {
    if (!which.empty()) {
        char* end = nullptr;
        long long id = std::strtoll(which.c_str(), &end, 10);
        if (!end || *end) usage_error(fmt::format("not a run id: {} (see gox history)", which));
        auto r = s.run(id);
        if (!r) throw util::Fatal(fmt::format("no run {} in the history", which));
        return *r;
    }
    auto rs = s.runs(module, nth + 1);
    if (static_cast<int>(rs.size()) <= nth)
        throw util::Fatal(nth ? "the history has fewer than two runs of this module" : "no run of this module");
    return rs[static_cast<std::size_t>(nth)];
}

constexpr const char* kExplainHelp = R"(usage: gox explain [--format=text|json] [--run=ID] [PACKAGE...] | --reasons | --classes | --outcomes | --evidence

For the last gox run of the module you are in (or run ID), shows why each
rebuilt package was rebuilt, following dependency changes to their root:
  example.com/app rebuilt ← dependency_changed: example.com/app/util
  example.com/app/util rebuilt ← source_file_changed: util.go
Reason ids and remedies are listed by `gox explain --reasons`, the failure
classes of a diagnosis by `gox explain --classes`, the outcomes a package can
have by `gox explain --outcomes` and the evidence ids that decide them by
`gox explain --evidence`.
)";

constexpr const char* kDiffHelp = R"(usage: gox diff [--format=text|json] [--fail-over=PCT] [RUN_A RUN_B | A.json B.json]

Compares two runs: the last two of this module by default, two run ids from
`gox history`, or two saved JSON summaries (gox --summary=F --summary-format=json),
e.g. one from CI and one from a laptop. Names the environment differences
(Go version, GOOS/GOARCH, GOFLAGS, CC, GOCACHE, module path...) and the
packages whose outcome or action ID differ, and the work time of each (the
summed seconds of the build actions, else the run's wall time).
)";

constexpr const char* kHistoryHelp = R"(usage: gox history [--format=text|json] [--all]

Lists the recorded runs of the module you are in (--all: of every module),
newest first, with their ids for `gox explain --run=ID` and `gox diff A B`.
Runs of plain go that gox cacheprog recorded on its own (with
GOCACHEPROG="gox cacheprog" exported) are marked as recorded by gox
cacheprog, with "exit ?": go never tells its cache program how it exited.
)";

std::string chain_for(const std::map<std::string, history::PackageRecord>& by_path, const std::string& path) {
    std::string out = path;
    std::set<std::string> seen;
    std::string cur = path;
    while (true) {
        auto it = by_path.find(cur);
        if (it == by_path.end() || it->second.reason.empty() || !seen.insert(cur).second) break;
        const auto& r = it->second;
        out += " rebuilt ← " + r.reason;
        if (r.reason == analysis::reason_name(analysis::Reason::DependencyChanged) && !r.detail.empty()) {
            out += ": " + r.detail;
            cur = r.detail;
            continue;
        }
        if (!r.detail.empty()) out += ": " + r.detail;
        if (const auto* info = analysis::find_reason(r.reason); info && !info->remedy.empty())
            out += "\n    remedy: " + std::string(info->remedy);
        break;
    }
    return out;
}

// explain --reasons, --classes, --outcomes, --evidence: one of gox's tables,
// as the man page documents it. Returns whether one was asked for.
bool print_vocabulary(const po::variables_map& vm) {
    if (vm.count("reasons")) {
        for (const auto& r : analysis::reason_table())
            std::printf("%-24s %s%s%s\n", std::string(r.id).c_str(), std::string(r.description).c_str(),
                        r.remedy.empty() ? "" : "; remedy: ", std::string(r.remedy).c_str());
    } else if (vm.count("outcomes")) {
        for (auto o : model::all_outcomes())
            std::printf("%-12s %s\n", std::string(model::outcome_name(o)).c_str(),
                        std::string(model::outcome_description(o)).c_str());
    } else if (vm.count("evidence")) {
        for (const auto& e : model::kEvidenceTable) std::printf("%-28s %s\n", e.id, e.description);
    } else if (vm.count("classes")) {
        for (auto c : analysis::all_classes())
            std::printf("%-26s %s; remedy: %s\n", std::string(analysis::class_name(c)).c_str(),
                        std::string(analysis::class_title(c)).c_str(), std::string(analysis::class_remedy(c)).c_str());
    } else {
        return false;
    }
    return true;
}

} // namespace

int cmd_explain(const std::vector<std::string>& args) {
    std::string format = "text", run_id;
    CommandSpec spec = history_spec("explain", kExplainHelp, format);
    spec.options.add_options()
        ("run", po::value<std::string>(&run_id)->value_name("ID"),
         "the run to explain (default: the newest run of the module you are in)")
        ("reasons", "list every reason id with its description and remedy")
        ("classes", "list every failure class with its description and remedy")
        ("outcomes", "list every package outcome with its description")
        ("evidence", "list every evidence id (what decided a package's outcome) with its description");
    // Accepted and ignored, as before the options were declared.
    spec.hidden.add_options()("all", "");
    auto vm = parse_command(spec, args);
    if (print_vocabulary(vm)) return 0;
    check_format("explain", format);
    auto store = open_history();
    auto run = pick_run(*store, run_id, run_id.empty() ? current_module(*store) : "", 0);
    auto pkgs = store->packages(run.id);
    std::map<std::string, history::PackageRecord> by_path;
    for (auto& p : pkgs)
        if (!by_path.count(p.import_path) || p.variant.empty()) by_path[p.import_path] = p;
    std::vector<std::string> targets = positional_args(vm);
    if (targets.empty())
        for (auto& p : pkgs)
            if (!p.reason.empty() && p.import_path.find('.') != std::string::npos && p.variant.empty())
                targets.push_back(p.import_path);
    if (format == "json") {
        nlohmann::ordered_json j;
        j["run"] = run.id;
        j["module_root"] = run.module_root;
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (auto& t : targets) {
            auto it = by_path.find(t);
            nlohmann::ordered_json e;
            e["package"] = t;
            e["outcome"] = it == by_path.end() ? "unknown" : it->second.outcome;
            e["reason"] = it == by_path.end() ? "" : it->second.reason;
            e["detail"] = it == by_path.end() ? "" : it->second.detail;
            e["chain"] = chain_for(by_path, t);
            arr.push_back(e);
        }
        j["packages"] = arr;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("run %lld: go %s %s (%s), exit %s\n", static_cast<long long>(run.id), run.verb.c_str(),
                run.args.c_str(), run.go_version.c_str(),
                run.exit_code == history::kExitUnknown ? "unknown" : std::to_string(run.exit_code).c_str());
    if (targets.empty()) std::printf("nothing of the module was rebuilt\n");
    for (auto& t : targets) {
        auto it = by_path.find(t);
        if (it == by_path.end()) {
            std::printf("%s: not part of run %lld\n", t.c_str(), static_cast<long long>(run.id));
            continue;
        }
        if (it->second.reason.empty()) {
            std::printf("%s: %s\n", t.c_str(), it->second.outcome.c_str());
            continue;
        }
        std::printf("%s\n", chain_for(by_path, t).c_str());
    }
    return 0;
}

namespace {

struct Side {
    std::string label;
    nlohmann::json env;
    std::map<std::string, std::pair<std::string, std::string>> pkgs; // path[variant] -> (outcome, action_id)
    std::map<std::string, std::string> reasons;
    nlohmann::json doc; // a JSON summary's whole document (for the cross-machine causes); null for a run
    // Work time: the summed seconds of the build actions of its packages
    // (from the action graph); the run's wall time when none were timed.
    double work = 0;
    double wall = 0;
    double work_time() const { return work > 0 ? work : wall; }
};

Side side_from_run(const history::Store& s, const history::RunRecord& r) {
    Side x;
    x.label = fmt::format("run {}", r.id);
    x.env = nlohmann::json::parse(r.env, nullptr, false);
    if (!x.env.is_object()) x.env = nlohmann::json::object();
    x.env["(command)"] = "go " + r.verb + " " + r.args;
    x.env["(module root)"] = r.module_root;
    for (auto& p : s.packages(r.id)) {
        std::string k = p.import_path + (p.variant.empty() ? "" : " [" + p.variant + "]");
        x.pkgs[k] = {p.outcome, p.action_id};
        if (!p.reason.empty()) x.reasons[k] = p.reason + (p.detail.empty() ? "" : ": " + p.detail);
        if (p.seconds > 0 && p.variant != analysis::kTestResultVariant) x.work += p.seconds;
    }
    x.wall = r.seconds;
    return x;
}

Side side_from_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw util::Fatal("cannot open " + path);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("packages")) throw util::Fatal(path + ": not a gox JSON report");
    Side x;
    x.label = path;
    x.env = j.value("environment", nlohmann::json::object());
    x.doc = j;
    for (auto& p : j["packages"]) {
        std::string v = p.value("for_test", nlohmann::json()).is_string() ? p["for_test"].get<std::string>() : "";
        std::string ip = p.value("import_path", "");
        std::string k = ip + (v.empty() || v == ip ? "" : " [" + v + "]");
        x.pkgs[k] = {p.value("outcome", ""), p.value("action_id", "")};
        if (p.contains("reason")) x.reasons[k] = p.value("reason", "");
        if (p.contains("seconds") && p["seconds"].is_number()) x.work += p["seconds"].get<double>();
    }
    if (j.contains("command") && j["command"].is_object()) x.wall = j["command"].value("seconds", 0.0);
    return x;
}

} // namespace

// The two sides gox diff compares: two JSON documents, two run ids, or (no
// arguments) the newest run of this module and the one before it, which for
// a module that moved is its newest run elsewhere.
std::pair<Side, Side> diff_sides(const std::vector<std::string>& runs) {
    if (runs.size() == 2 && util::ends_with(runs[0], ".json")) return {side_from_file(runs[0]), side_from_file(runs[1])};
    if (runs.size() != 2 && !runs.empty())
        usage_error("diff takes two runs or two JSON files", "Run 'gox diff --help' for usage.");
    auto store = open_history();
    if (runs.size() == 2)
        return {side_from_run(*store, pick_run(*store, runs[0], "", 0)), side_from_run(*store, pick_run(*store, runs[1], "", 0))};
    std::string m = current_module(*store);
    auto newest = pick_run(*store, "", m, 0);
    auto here = store->runs(m, 2);
    if (here.size() >= 2) return {side_from_run(*store, here[1]), side_from_run(*store, newest)};
    auto env = nlohmann::json::parse(newest.env, nullptr, false);
    std::string path = env.is_object() ? env.value(analysis::kModulePathKey, "") : "";
    auto other = analysis::newest_run_elsewhere(*store, path, m, newest.id);
    if (!other) throw util::Fatal("the history has fewer than two runs of this module");
    return {side_from_run(*store, *other), side_from_run(*store, newest)};
}

// What differs between two sides: the environment, and per package the
// outcome and whether its action ID changed.
struct RunDiff {
    nlohmann::ordered_json env = nlohmann::ordered_json::array();
    nlohmann::ordered_json packages = nlohmann::ordered_json::array();
    std::size_t same_ids = 0, diff_ids = 0;
};

RunDiff diff_runs(const Side& a, const Side& b) {
    RunDiff d;
    std::set<std::string> keys;
    for (auto& [k, v] : a.env.items()) keys.insert(k);
    for (auto& [k, v] : b.env.items()) keys.insert(k);
    auto str = [](const nlohmann::json& e, const std::string& k) {
        if (!e.contains(k)) return std::string("(unset)");
        return e[k].is_string() ? e[k].get<std::string>() : e[k].dump();
    };
    // A run gox cacheprog recorded knows only part of the environment: what
    // it does not know is not a difference.
    auto unknown = [](const nlohmann::json& e, const std::string& k) {
        return e.contains(kRecordedByKey) && !e.contains(k);
    };
    for (auto& k : keys) {
        if (unknown(a.env, k) || unknown(b.env, k)) continue;
        if (str(a.env, k) != str(b.env, k)) d.env.push_back({{"name", k}, {"a", str(a.env, k)}, {"b", str(b.env, k)}});
    }
    std::set<std::string> pkeys;
    for (auto& [k, v] : a.pkgs) pkeys.insert(k);
    for (auto& [k, v] : b.pkgs) pkeys.insert(k);
    for (auto& k : pkeys) {
        auto ia = a.pkgs.find(k), ib = b.pkgs.find(k);
        std::string oa = ia == a.pkgs.end() ? "absent" : ia->second.first;
        std::string ob = ib == b.pkgs.end() ? "absent" : ib->second.first;
        bool ids_differ = ia != a.pkgs.end() && ib != b.pkgs.end() && !ia->second.second.empty() &&
                          !ib->second.second.empty() && ia->second.second != ib->second.second;
        if (ids_differ) ++d.diff_ids;
        else if (ia != a.pkgs.end() && ib != b.pkgs.end()) ++d.same_ids;
        auto r = b.reasons.find(k);
        if (oa != ob || ids_differ)
            d.packages.push_back({{"package", k}, {"a", oa}, {"b", ob}, {"action_id_changed", ids_differ},
                                  {"reason_b", r == b.reasons.end() ? "" : r->second}});
    }
    return d;
}

void print_diff_text(const Side& a, const Side& b, const RunDiff& d) {
    std::printf("a: %s\nb: %s\n", a.label.c_str(), b.label.c_str());
    if (d.env.empty()) std::printf("environment: the same\n");
    else {
        std::printf("environment differences:\n");
        for (auto& e : d.env)
            std::printf("  %s: %s → %s\n", e["name"].get<std::string>().c_str(), e["a"].get<std::string>().c_str(),
                        e["b"].get<std::string>().c_str());
    }
    std::printf("packages: %zu with the same action ID, %zu with a different one\n", d.same_ids, d.diff_ids);
    bool moved = false;
    for (auto& e : d.env)
        if (e["name"] == "(module root)" || e["name"] == "GOROOT" || e["name"] == "GOMOD") moved = true;
    if (moved && d.diff_ids)
        std::printf("note: the module or GOROOT is in another directory; action IDs include package directories "
                    "unless you build with -trimpath, so the two cannot share cache entries\n");
    std::size_t shown = 0;
    for (auto& p : d.packages) {
        if (++shown > 40) {
            std::printf("  … %zu more\n", d.packages.size() - 40);
            break;
        }
        std::string r = p["reason_b"].get<std::string>();
        std::printf("  %s: %s → %s%s\n", p["package"].get<std::string>().c_str(), p["a"].get<std::string>().c_str(),
                    p["b"].get<std::string>().c_str(), r.empty() ? "" : (" (" + r + ")").c_str());
    }
    // Two summaries made with --why: the causes, from their key inputs.
    std::fputs(analysis::render_cross_diff(analysis::cross_diff(a.doc, b.doc)).c_str(), stdout);
}

// --fail-over=PCT[%]: a non-negative percentage.
std::optional<double> fail_over_percent(const po::variables_map& vm, const std::string& arg) {
    if (!vm.count("fail-over")) return std::nullopt;
    std::string v = arg;
    if (!v.empty() && v.back() == '%') v.pop_back();
    char* end = nullptr;
    double pct = std::strtod(v.c_str(), &end);
    if (v.empty() || !end || *end || pct < 0)
        usage_error(fmt::format("diff: --fail-over wants a percentage, not \"{}\"", arg));
    return pct;
}

// gox diff --format=json's schema (documented in gox(1)).
constexpr int kDiffSchemaVersion = 1;

int cmd_diff(const std::vector<std::string>& args) {
    std::string format = "text", fail_over_arg;
    CommandSpec spec = history_spec("diff", kDiffHelp, format);
    spec.options.add_options()
        ("fail-over", po::value<std::string>(&fail_over_arg)->value_name("PCT"),
         "a regression gate for CI: exit status 1 when B's work time is more than PCT percent above A's (the "
         "build that was measured keeps its own exit status; this is a separate step)");
    spec.hidden.add_options()("all", ""); // accepted and ignored, as before the options were declared
    auto vm = parse_command(spec, args);
    std::optional<double> fail_over = fail_over_percent(vm, fail_over_arg);
    check_format("diff", format);
    auto [a, b] = diff_sides(positional_args(vm));
    RunDiff d = diff_runs(a, b);
    // The regression gate: b's work time against a's.
    double wa = a.work_time(), wb = b.work_time();
    double change = wa > 0 ? 100.0 * (wb - wa) / wa : 0;
    bool over = fail_over && wa > 0 && change > *fail_over;
    if (format == "json") {
        // The schema (gox(1), gox diff): version 1 adds per package
        // import_path, variant, reason and detail, and the causes list.
        analysis::CrossDiff x = analysis::cross_diff(a.doc, b.doc);
        std::map<std::string, const analysis::PackageCause*> cause_of;
        for (const auto& pc : x.packages) cause_of.emplace(pc.package, &pc);
        // A package with a cause whose outcome and key are the same on both
        // (B rebuilt what A had with the same key: its cache lacked it).
        std::set<std::string> listed;
        for (const auto& p : d.packages) listed.insert(p["package"].get<std::string>());
        for (const auto& pc : x.packages) {
            if (listed.count(pc.package)) continue;
            auto outcome = [&](const Side& s) {
                auto it = s.pkgs.find(pc.package);
                return it == s.pkgs.end() ? std::string("absent") : it->second.first;
            };
            auto r = b.reasons.find(pc.package);
            d.packages.push_back({{"package", pc.package}, {"a", outcome(a)}, {"b", outcome(b)},
                                  {"action_id_changed", false}, {"reason_b", r == b.reasons.end() ? "" : r->second}});
        }
        for (auto& p : d.packages) {
            std::string key = p["package"].get<std::string>();
            auto sp = key.find(" [");
            p["import_path"] = key.substr(0, sp);
            p["variant"] = sp == std::string::npos ? "" : key.substr(sp + 2, key.size() - sp - 3);
            if (auto c = cause_of.find(key); c != cause_of.end()) {
                p["reason"] = c->second->cause;
                p["detail"] = c->second->title + (c->second->detail.empty() ? "" : ": " + c->second->detail);
            } else {
                std::string r = p["reason_b"].get<std::string>();
                auto colon = r.find(": ");
                p["reason"] = r.substr(0, colon);
                p["detail"] = colon == std::string::npos ? "" : r.substr(colon + 2);
            }
        }
        nlohmann::ordered_json j;
        j["schema_version"] = kDiffSchemaVersion;
        j["a"] = a.label;
        j["b"] = b.label;
        j["work_seconds"] = {{"a", wa}, {"b", wb}, {"change_percent", change}};
        if (fail_over) j["fail_over"] = {{"percent", *fail_over}, {"exceeded", over}};
        j["environment"] = d.env;
        j["packages"] = d.packages;
        j["action_ids_same"] = d.same_ids;
        j["action_ids_differ"] = d.diff_ids;
        // Two summaries made with --why: why B missed what A had, by cause.
        if (x.available) j["causes"] = analysis::causes_json(x);
        std::printf("%s\n", j.dump(2).c_str());
        return over ? 1 : 0;
    }
    print_diff_text(a, b, d);
    std::printf("work time: %.3f s → %.3f s (%+.1f%%)\n", wa, wb, change);
    if (over) {
        std::fprintf(stderr, "gox: work time grew %.1f%%, over the --fail-over limit of %g%%\n", change, *fail_over);
        return 1;
    }
    return 0;
}

namespace {

// Who recorded a run that the wrapper did not: "gox cacheprog", else "".
std::string recorded_by(const history::RunRecord& r) {
    auto env = nlohmann::json::parse(r.env, nullptr, false);
    if (!env.is_object()) return "";
    auto it = env.find(kRecordedByKey);
    return it != env.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json or_null(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

} // namespace

int cmd_history(const std::vector<std::string>& args) {
    std::string format = "text";
    CommandSpec spec = history_spec("history", kHistoryHelp, format);
    spec.options.add_options()("all", "the runs of every module");
    auto vm = parse_command(spec, args); // arguments other than options are ignored, as they always were
    check_format("history", format);
    auto store = open_history();
    auto runs = store->runs(vm.count("all") ? "" : current_module(*store), 50);
    if (format == "json") {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (auto& r : runs)
            arr.push_back({{"id", r.id}, {"started", r.started}, {"module_root", r.module_root}, {"verb", r.verb},
                           {"args", nlohmann::json::parse(r.args, nullptr, false)}, {"go_version", r.go_version},
                           {"exit_code", r.exit_code == history::kExitUnknown ? nlohmann::json(nullptr)
                                                                               : nlohmann::json(r.exit_code)},
                           {"seconds", r.seconds}, {"recorded_by", or_null(recorded_by(r))}});
        std::printf("%s\n", arr.dump(2).c_str());
        return 0;
    }
    for (auto& r : runs) {
        std::size_t rebuilt = 0, total = 0;
        for (auto& p : store->packages(r.id)) {
            ++total;
            if (p.outcome == model::outcome_name(model::Outcome::Rebuilt)) ++rebuilt;
        }
        // A run gox cacheprog recorded on its own: its exit status unknown, and marked.
        std::string by = recorded_by(r);
        std::string exit = r.exit_code == history::kExitUnknown ? "?" : std::to_string(r.exit_code);
        std::printf("%6lld  %s  go %s %s  exit %s  %.2fs  %zu/%zu rebuilt%s\n", static_cast<long long>(r.id),
                    r.go_version.c_str(), r.verb.c_str(), r.args.c_str(), exit.c_str(), r.seconds, rebuilt, total,
                    by.empty() ? "" : ("  (recorded by " + by + ")").c_str());
    }
    return 0;
}

} // namespace gox::cli
