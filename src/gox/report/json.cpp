#include <gox/report/report.hpp>

#include <gox/analysis/analyse.hpp>
#include <gox/analysis/diagnosis.hpp>

namespace gox::report {

using nlohmann::ordered_json;
using model::Action;
using model::Outcome;
using trace::Kind;

namespace {
std::uint64_t kind_count(const model::Build& b, Kind k) { return b.lines.by_kind[static_cast<std::size_t>(k)]; }

ordered_json nullable(const std::string& s) { return s.empty() ? ordered_json(nullptr) : ordered_json(s); }

ordered_json invocation_json(const model::Invocation& i) {
    ordered_json o;
    o["work_dir"] = nullable(i.work_dir);
    o["go_version"] = nullable(i.go_version);
    o["gocache"] = nullable(i.gocache);
    o["lines"] = i.lines;
    return o;
}

ordered_json failure_json(const model::Failure& f) {
    ordered_json o;
    o["package"] = nullable(f.import_path);
    o["kind"] = f.kind;
    o["invocation"] = f.invocation;
    o["first_lines"] = f.first_lines;
    o["line_count"] = f.line_count;
    return o;
}

ordered_json package_json(const model::Package& p, const analysis::Verdict& v) {
    ordered_json o;
    o["import_path"] = p.import_path;
    o["for_test"] = nullable(p.for_test);
    o["invocation"] = p.invocation;
    o["objdir"] = p.objdir >= 0 ? ordered_json(fmt_objdir(p.objdir)) : ordered_json(nullptr);
    o["outcome"] = model::outcome_name(p.outcome);
    o["evidence"] = p.evidence;
    o["standard"] = p.standard;
    o["main"] = p.main;
    ordered_json acts = ordered_json::object();
    for (std::size_t a = 0; a < model::kActionCount; ++a)
        if (p.actions[a]) acts[std::string(model::action_name(static_cast<Action>(a)))] = p.actions[a];
    o["actions"] = std::move(acts);
    if (p.seconds) o["seconds"] = *p.seconds;
    if (!p.action_id.empty()) o["action_id"] = p.action_id;
    if (!p.content_id.empty()) o["content_id"] = p.content_id;
    if (v.reason) {
        o["reason"] = v.id();
        o["reason_detail"] = nullable(v.detail);
        o["output_unchanged"] = v.output_unchanged;
    }
    return o;
}

ordered_json test_json(const model::TestResult& t, const analysis::Verdict& v) {
    ordered_json o;
    o["package"] = t.import_path;
    o["status"] = t.status;
    o["cached"] = t.cached;
    if (v.reason) {
        o["reason"] = v.id();
        o["reason_detail"] = nullable(v.detail);
    }
    return o;
}

// The lists that grow with the trace: filled by document() for to_json,
// written item by item by write_json.
template <class Item, class F> ordered_json list(bool fill, const std::vector<Item>& items, F f) {
    ordered_json a = ordered_json::array();
    if (fill)
        for (const auto& x : items) a.push_back(f(x));
    return a;
}

ordered_json summary_json(const model::Build& b) {
    ordered_json s;
    s["compile"] = kind_count(b, Kind::Compile);
    s["link"] = kind_count(b, Kind::Link);
    s["asm"] = kind_count(b, Kind::Asm);
    s["cgo"] = kind_count(b, Kind::Cgo);
    s["cc"] = kind_count(b, Kind::CCompile) + kind_count(b, Kind::CgoLinkProbe);
    s["vet"] = kind_count(b, Kind::Vet);
    s["cover"] = kind_count(b, Kind::Cover);
    s["cache_store"] = kind_count(b, Kind::CacheStore);
    s["cache_replay"] = kind_count(b, Kind::CacheReplay);
    s["cache_restore"] = kind_count(b, Kind::CacheRestore);
    s["test_run"] = kind_count(b, Kind::TestRun);
    s["packages"] = b.package_count();
    s["packages_rebuilt"] = b.count(Outcome::Rebuilt);
    s["packages_cached"] = b.count(Outcome::CacheHit);
    s["packages_installed"] = b.count(Outcome::Installed);
    s["packages_failed"] = b.count(Outcome::Failed);
    s["packages_unknown"] = b.count(Outcome::Unknown);
    s["tests_run"] = b.unlisted.tests_run + static_cast<std::size_t>(std::count_if(b.tests.begin(), b.tests.end(), [](auto& t) {
        return !t.cached && (t.status == "ok" || t.status == "fail");
    }));
    s["tests_cached"] = b.unlisted.tests_cached +
                        static_cast<std::size_t>(std::count_if(b.tests.begin(), b.tests.end(), [](auto& t) { return t.cached; }));
    s["lines"] = b.lines.total;
    s["trace_lines"] = b.lines.trace;
    s["user_lines"] = b.lines.user;
    s["unrecognized_lines"] = b.lines.unrecognized;
    s["truncated_lines"] = b.lines.truncated;
    s["heredocs_cut"] = b.lines.heredocs_cut;
    return s;
}

ordered_json test_cases_json(const model::Build& b) {
    ordered_json cases = ordered_json::array();
    for (const auto& c : b.test_cases) {
        ordered_json o;
        o["package"] = c.package;
        o["name"] = c.name;
        o["status"] = c.status;
        o["elapsed"] = c.elapsed;
        o["output"] = c.output;
        if (c.output_lines > c.output.size()) o["output_lines"] = c.output_lines; // cut in the middle
        cases.push_back(std::move(o));
    }
    return cases;
}

// Timings of the action graph, when merged: the report timeline.
ordered_json timing_json(const model::Timing& t) {
    ordered_json tj;
    tj["wall_seconds"] = t.wall;
    ordered_json modes = ordered_json::array();
    for (const auto& [mode, secs] : t.by_mode) modes.push_back({{"mode", mode}, {"seconds", secs}});
    tj["by_mode"] = std::move(modes);
    ordered_json crit = ordered_json::array();
    for (const auto& [step, secs] : t.critical_path) crit.push_back({{"step", step}, {"seconds", secs}});
    tj["critical_path"] = std::move(crit);
    ordered_json acts = ordered_json::array();
    for (const auto& a : t.actions) {
        ordered_json o;
        o["mode"] = a.mode;
        o["package"] = nullable(a.package);
        o["start"] = a.start;
        o["seconds"] = a.seconds;
        o["ran"] = a.ran;
        o["critical"] = a.critical;
        acts.push_back(std::move(o));
    }
    tj["actions"] = std::move(acts);
    return tj;
}

// The per-package and per-test JSON with the analysis' verdicts (items are
// elements of b.packages and b.tests: their index is their verdict's).
auto packages_json(const model::Build& b, const analysis::RunAnalysis& a) {
    return [&b, &a](const model::Package& p) {
        auto i = static_cast<std::size_t>(&p - b.packages.data());
        auto o = package_json(p, a.package(i));
        if (a.cache_program && i < a.cache_program->packages.size())
            o["cache_program"] = analysis::package_cache_json(a.cache_program->packages[i]);
        return o;
    };
}
auto tests_json(const model::Build& b, const analysis::RunAnalysis& a) {
    return [&b, &a](const model::TestResult& t) {
        auto i = static_cast<std::size_t>(&t - b.tests.data());
        auto o = test_json(t, a.test(i));
        if (a.cache_program && i < a.cache_program->tests.size())
            o["cache_program"] = analysis::test_cache_json(a.cache_program->tests[i]);
        return o;
    };
}

// The model's notes, then the analysis'.
std::vector<std::string> all_notes(const model::Build& b, const analysis::RunAnalysis& a) {
    std::vector<std::string> n = b.notes;
    n.insert(n.end(), a.notes.begin(), a.notes.end());
    return n;
}

// The whole document, in key order; with lists=false the four lists above
// are left empty.
ordered_json document(const model::Build& b, const analysis::RunAnalysis& a, bool lists) {
    ordered_json j;
    j["schema_version"] = kSchemaVersion;
    j["go_version"] = nullable(b.go_version);
    j["invocations"] = list(lists, b.invocations, invocation_json);
    j["summary"] = summary_json(b);
    j["failed"] = b.failed();
    j["failures"] = list(lists, b.failures, failure_json);
    j["diagnosis"] = a.diagnosis ? analysis::diagnosis_json(*a.diagnosis) : ordered_json(nullptr);
    // --baseline only, so the documents of other runs keep their shape.
    if (a.compared_with) {
        const analysis::ComparedWith& c = *a.compared_with;
        j["compared_with"] = {{"baseline", c.baseline},
                              {"go_version", nullable(c.go_version)},
                              {"key_inputs", c.key_inputs},
                              {"packages_compared", c.compared},
                              {"packages_differ", c.differ},
                              {"causes", c.causes}};
    }
    j["packages"] = list(lists, b.packages, packages_json(b, a));
    j["tests"] = list(lists, b.tests, tests_json(b, a));
    // Per-test results (go test output named them): only when there are any,
    // so documents of builds keep their shape.
    if (!b.test_cases.empty()) j["test_cases"] = test_cases_json(b);
    ordered_json kinds = ordered_json::object();
    for (std::size_t k = 0; k < trace::kKindCount; ++k)
        if (b.lines.by_kind[k]) kinds[std::string(trace::kind_name(static_cast<Kind>(k)))] = b.lines.by_kind[k];
    j["line_kinds"] = std::move(kinds);
    j["unrecognized_examples"] = b.lines.unrecognized_examples;
    j["actiongraph_merged"] = b.actiongraph_merged;
    if (b.actiongraph_reused) j["actiongraph_reused"] = true;
    if (b.timing) j["timing"] = timing_json(*b.timing);
    if (a.cache_program) j["cache_program"] = analysis::cache_program_json(*a.cache_program);
    // gox parse of a CI log: the line prefix style it recognised (absent for
    // a bare trace, so the documents of traces keep their shape).
    if (b.log) {
        ordered_json lf;
        lf["format"] = b.log->format;
        lf["lines_stripped"] = b.log->lines_stripped;
        lf["ci_lines"] = b.log->ci_lines;
        lf["streams"] = b.log->streams;
        j["log_format"] = std::move(lf);
    }
    j["notes"] = all_notes(b, a);
    return j;
}

std::string dump(const ordered_json& v) { return v.dump(2, ' ', false, ordered_json::error_handler_t::replace); }

// v.dump(2) as it appears `depth` levels down in an indented document.
void write_nested(const ordered_json& v, int depth, const JsonSink& out) {
    std::string d = dump(v);
    std::string pad(static_cast<std::size_t>(2 * depth) + 1, ' ');
    pad[0] = '\n';
    std::size_t from = 0;
    for (;;) {
        auto nl = d.find('\n', from);
        if (nl == std::string::npos) break;
        out(std::string_view(d).substr(from, nl - from));
        out(pad);
        from = nl + 1;
    }
    out(std::string_view(d).substr(from));
}

template <class Item, class F> void write_list(const std::vector<Item>& items, F f, const JsonSink& out) {
    if (items.empty()) {
        out("[]");
        return;
    }
    out("[\n    ");
    for (std::size_t k = 0; k < items.size(); ++k) {
        if (k) out(",\n    ");
        write_nested(f(items[k]), 2, out);
    }
    out("\n  ]");
}
} // namespace

ordered_json to_json(const model::Build& b, const analysis::RunAnalysis& a) { return document(b, a, true); }

std::string render_json(const model::Build& b, const analysis::RunAnalysis& a) {
    std::string s;
    write_json(b, a, [&](std::string_view part) { s += part; });
    return s;
}

void write_json(const model::Build& b, const JsonSink& out) { write_json(b, analysis::no_analysis(), out); }

void write_json(const model::Build& b, const analysis::RunAnalysis& a, const JsonSink& out) {
    const ordered_json head = document(b, a, false);
    out("{");
    bool first = true;
    for (const auto& [key, value] : head.items()) {
        out(first ? "\n  " : ",\n  ");
        first = false;
        out(dump(ordered_json(key)));
        out(": ");
        if (key == "invocations") write_list(b.invocations, invocation_json, out);
        else if (key == "failures") write_list(b.failures, failure_json, out);
        else if (key == "packages") write_list(b.packages, packages_json(b, a), out);
        else if (key == "tests") write_list(b.tests, tests_json(b, a), out);
        else write_nested(value, 1, out);
    }
    out(first ? "}\n" : "\n}\n");
}

} // namespace gox::report
