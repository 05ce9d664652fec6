// The run as an OpenTelemetry trace in OTLP/JSON, one
// ExportTraceServiceRequest on one line: the file exporter's format, which
// the collector's otlpjsonfile receiver reads. OTLP/JSON differs from the
// plain protobuf JSON mapping: trace and span ids are hex, 64-bit integers
// are strings, enums are numbers, field names are lowerCamelCase.
//
// One span per action of go's action graph. The graph has one root (the
// action nothing depends on: "go build", "go test", "link-install"...);
// its span is the trace's root and stands for the whole go command, from
// the first action's start to the last one's end. Every other action's span
// is a child of it, and the graph's edges (what an action waited for) are
// span links, so the span count is the action count. Attribute names:
// gox(1), OPENTELEMETRY.

#include <gox/model/actiongraph.hpp>
#include <gox/report/document.hpp>
#include <gox/report/report.hpp>

#include <gox_config.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gox::report {

namespace {

using nlohmann::ordered_json;

// An action as the trace needs it, from the document's action graph or,
// for a document without one, its timeline.
struct Act {
    std::int64_t id = -1;
    std::string mode, package, objdir;
    std::vector<std::int64_t> deps;
    std::int64_t start_ns = 0, end_ns = 0;
    bool ran = false, failed = false;
};

std::int64_t integer(const Doc& d, const char* key, std::int64_t fallback = 0) {
    if (!d.is_object()) return fallback;
    auto it = d.find(key);
    return it != d.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}
const Doc* array_of(const Doc& d, const char* key) {
    if (!d.is_object()) return nullptr;
    auto it = d.find(key);
    return it != d.end() && it->is_array() ? &*it : nullptr;
}

std::vector<Act> graph_actions(const Doc& graph) {
    std::vector<Act> acts;
    for (const auto& g : graph) {
        if (!g.is_object()) continue;
        Act a;
        a.id = integer(g, "id", -1);
        a.mode = doc_string(g, "mode");
        a.package = doc_string(g, "package");
        a.objdir = doc_string(g, "objdir");
        a.start_ns = integer(g, "start_ns");
        a.end_ns = std::max(a.start_ns, integer(g, "end_ns"));
        a.ran = doc_flag(g, "ran");
        a.failed = doc_flag(g, "failed");
        if (const Doc* deps = array_of(g, "deps"))
            for (const auto& d : *deps)
                if (d.is_number_integer()) a.deps.push_back(d.get<std::int64_t>());
        acts.push_back(std::move(a));
    }
    return acts;
}

// A document without the graph (a saved summary): a root for the command
// and the timeline's actions, placed so that the run ends now (the document
// keeps no clock time).
std::vector<Act> timeline_actions(const Doc& doc) {
    std::vector<Act> acts;
    const Doc* timed = doc.contains("timing") ? array_of(doc["timing"], "actions") : nullptr;
    double wall = doc.contains("timing") ? doc_number(doc["timing"], "wall_seconds") : 0;
    if (wall <= 0 && doc.contains("command")) wall = doc_number(doc["command"], "seconds");
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::int64_t origin = now - static_cast<std::int64_t>(std::llround(wall * 1e9));
    Act root;
    root.id = 0;
    root.mode = "go " + doc_string(doc.value("command", Doc::object()), "verb", "build");
    root.start_ns = origin;
    root.end_ns = now;
    acts.push_back(root);
    if (!timed) return acts;
    for (const auto& t : *timed) {
        Act a;
        a.id = static_cast<std::int64_t>(acts.size());
        a.mode = doc_string(t, "mode");
        a.package = doc_string(t, "package");
        a.start_ns = origin + static_cast<std::int64_t>(std::llround(doc_number(t, "start") * 1e9));
        a.end_ns = a.start_ns + static_cast<std::int64_t>(std::llround(doc_number(t, "seconds") * 1e9));
        a.ran = doc_flag(t, "ran");
        acts.push_back(std::move(a));
    }
    return acts;
}

// FNV-1a, then a finaliser that spreads the bits (ids must look random to
// the collector's samplers, and differ between runs).
std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}
std::uint64_t hash_text(std::string_view s, std::uint64_t seed) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    return mix(h);
}
std::string hex64(std::uint64_t v) { return fmt::format("{:016x}", v ? v : 1); }

ordered_json attr_value(const ordered_json& v) {
    if (v.is_boolean()) return {{"boolValue", v.get<bool>()}};
    if (v.is_number_integer()) return {{"intValue", std::to_string(v.get<std::int64_t>())}};
    if (v.is_number()) return {{"doubleValue", v.get<double>()}};
    return {{"stringValue", v.is_string() ? v.get<std::string>() : v.dump()}};
}

struct Attrs {
    ordered_json list = ordered_json::array();
    template <class T> void add(const char* key, const T& v) { list.push_back({{"key", key}, {"value", attr_value(ordered_json(v))}}); }
    void add_string(const char* key, const std::string& v) {
        if (!v.empty()) add(key, v);
    }
};

// semconv's test.suite.run.status for go's package result.
std::string suite_status(const std::string& s) {
    if (s == "ok") return "success";
    if (s == "fail" || s == "FAIL") return "failure";
    if (s == "no_test_files" || s == "no test files" || s == "skip") return "skipped";
    return s;
}
std::string case_status(const std::string& s) {
    if (s == "pass") return "pass";
    if (s == "fail") return "fail";
    return s; // skip: go's own word
}

// The step kinds whose cache use the action shows: a build, link or vet
// that ran no command was satisfied from the cache.
bool cacheable(const std::string& mode) { return mode == "build" || mode == "link" || mode == "link-install" || mode == "vet"; }

class TraceWriter {
public:
    explicit TraceWriter(const Doc& doc) : m_doc(doc) {
        if (const Doc* ps = array_of(doc, "packages"))
            for (const auto& p : *ps) {
                if (!p.is_object()) continue;
                std::string objdir = doc_string(p, "objdir");
                if (!objdir.empty()) m_by_objdir[objdir] = &p; // the last invocation's, as the graph's
                std::string path = doc_string(p, "import_path");
                auto& slot = m_by_path[path];
                if (!slot || doc_string(p, "for_test").empty()) slot = &p; // the plain variant first
            }
        if (const Doc* ts = array_of(doc, "tests"))
            for (const auto& t : *ts) m_tests[doc_string(t, "package")] = &t;
        if (const Doc* cs = array_of(doc, "test_cases"))
            for (const auto& c : *cs) m_cases[doc_string(c, "package")].push_back(&c);
    }

    std::string render() {
        const Doc* graph = array_of(m_doc, "action_graph");
        std::vector<Act> acts = graph && !graph->empty() ? graph_actions(*graph) : timeline_actions(m_doc);
        // The root: the action no other one depends on (the first such).
        std::map<std::int64_t, std::size_t> dependents;
        for (const auto& a : acts)
            for (auto d : a.deps) dependents[d]++;
        std::size_t root = 0;
        for (std::size_t i = 0; i < acts.size(); ++i)
            if (!dependents.count(acts[i].id)) {
                root = i;
                break;
            }
        std::int64_t first = 0, last = 0;
        for (const auto& a : acts) {
            if (a.start_ns > 0 && (first == 0 || a.start_ns < first)) first = a.start_ns;
            last = std::max(last, a.end_ns);
        }
        std::string seed = command_line(m_doc) + "\n" + doc_string(m_doc, "go_version") + "\n" + std::to_string(first) +
                           "\n" + std::to_string(last);
        m_trace_id = hex64(hash_text(seed, 1)) + hex64(hash_text(seed, 2));
        m_seed = hash_text(seed, 3);

        ordered_json spans = ordered_json::array();
        const std::string root_span = span_id(acts.empty() ? 0 : acts[root].id);
        for (std::size_t i = 0; i < acts.size(); ++i) {
            if (i == root) spans.push_back(root_span_json(acts[i], first, last));
            else spans.push_back(action_span(acts[i], root_span));
        }
        Attrs resource;
        resource.add("service.name", std::string("gox"));
        resource.add("service.version", std::string(GOX_VERSION));
        ordered_json req = {
            {"resourceSpans",
             ordered_json::array({{{"resource", {{"attributes", resource.list}}},
                                   {"scopeSpans", ordered_json::array({{{"scope", {{"name", "gox"}, {"version", GOX_VERSION}}},
                                                                        {"spans", std::move(spans)}}})}}})}};
        return req.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
    }

private:
    const Doc& m_doc;
    std::map<std::string, const Doc*> m_by_objdir, m_by_path, m_tests;
    std::map<std::string, std::vector<const Doc*>> m_cases;
    std::string m_trace_id;
    std::uint64_t m_seed = 0;

    std::string span_id(std::int64_t action) const { return hex64(mix(m_seed ^ mix(static_cast<std::uint64_t>(action) + 1))); }

    ordered_json span(const std::string& name, const std::string& id, std::int64_t start, std::int64_t end) const {
        return {{"traceId", m_trace_id},
                {"spanId", id},
                {"name", name},
                {"kind", 1}, // SPAN_KIND_INTERNAL
                {"startTimeUnixNano", std::to_string(start)},
                {"endTimeUnixNano", std::to_string(std::max(start, end))}};
    }

    void links(ordered_json& s, const Act& a) const {
        if (a.deps.empty()) return;
        ordered_json ls = ordered_json::array();
        for (auto d : a.deps) ls.push_back({{"traceId", m_trace_id}, {"spanId", span_id(d)}});
        s["links"] = std::move(ls);
    }

    static void error_status(ordered_json& s, const std::string& message) {
        s["status"] = {{"code", 2}, {"message", message}}; // STATUS_CODE_ERROR
    }

    ordered_json root_span_json(const Act& a, std::int64_t first, std::int64_t last) const {
        std::string cmd = command_line(m_doc);
        const Doc command = m_doc.value("command", Doc::object());
        std::string verb = doc_string(command, "verb");
        bool failed = doc_flag(m_doc, "failed") || integer(command, "exit_code") != 0;
        ordered_json s = span(cmd.empty() ? a.mode : cmd, span_id(a.id), first ? first : a.start_ns, last);
        Attrs at;
        at.add("go.build.action.id", a.id);
        at.add("go.build.action.mode", a.mode);
        if (verb == "test" || verb == "vet") at.add("cicd.pipeline.task.type", std::string("test"));
        else if (!verb.empty()) at.add("cicd.pipeline.task.type", std::string("build"));
        at.add_string("cicd.pipeline.task.name", cmd);
        at.add("cicd.pipeline.task.run.result", std::string(failed ? "failure" : "success"));
        if (command.contains("exit_code") && command["exit_code"].is_number_integer())
            at.add("process.exit.code", integer(command, "exit_code"));
        at.add_string("go.build.verb", verb);
        at.add_string("go.build.go_version", doc_string(m_doc, "go_version"));
        if (m_doc.contains("summary") && m_doc["summary"].is_object()) {
            const Doc& sm = m_doc["summary"];
            at.add("go.build.packages", integer(sm, "packages"));
            at.add("go.build.packages.rebuilt", integer(sm, "packages_rebuilt"));
            at.add("go.build.packages.cached", integer(sm, "packages_cached"));
            at.add("go.build.packages.failed", integer(sm, "packages_failed"));
            at.add("go.build.tests.run", integer(sm, "tests_run"));
            at.add("go.build.tests.cached", integer(sm, "tests_cached"));
        }
        std::string cls;
        if (m_doc.contains("diagnosis") && m_doc["diagnosis"].is_object()) cls = doc_string(m_doc["diagnosis"], "class");
        if (failed) {
            at.add("error.type", cls.empty() ? std::string("go_failed") : cls);
            error_status(s, cls.empty() ? "go failed" : cls);
        }
        s["attributes"] = std::move(at.list);
        links(s, a);
        return s;
    }

    ordered_json action_span(const Act& a, const std::string& parent) const {
        std::string kind = model::step_kind(a.mode);
        ordered_json s = span(a.package.empty() ? kind : kind + " " + a.package, span_id(a.id), a.start_ns, a.end_ns);
        s["parentSpanId"] = parent;
        Attrs at;
        at.add("go.build.action.id", a.id);
        at.add("go.build.action.mode", kind);
        at.add("go.build.action.ran", a.ran);
        if (a.failed) at.add("go.build.action.failed", true);
        // A test run's commands are not in the graph: whether its result
        // came from the cache is go test's word, in the document's tests.
        const Doc* test = nullptr;
        if (auto it = m_tests.find(a.package); kind == "test run" && it != m_tests.end()) test = it->second;
        if (test) {
            if (doc_string(*test, "status") != "no_test_files") at.add("go.build.cache.hit", doc_flag(*test, "cached"));
        } else if (cacheable(kind) && kind != "test run") {
            at.add("go.build.cache.hit", !a.ran && !a.failed);
        }
        at.add_string("go.build.package", a.package);
        const Doc* p = nullptr;
        if (auto it = m_by_objdir.find(a.objdir); !a.objdir.empty() && it != m_by_objdir.end()) p = it->second;
        else if (auto jt = m_by_path.find(a.package); !a.package.empty() && jt != m_by_path.end()) p = jt->second;
        if (p) {
            at.add_string("go.build.package.outcome", doc_string(*p, "outcome"));
            at.add("go.build.package.standard", doc_flag(*p, "standard"));
            at.add_string("go.build.package.for_test", doc_string(*p, "for_test"));
            at.add_string("go.build.package.reason", doc_string(*p, "reason"));
            at.add_string("go.build.package.reason_detail", doc_string(*p, "reason_detail"));
            at.add_string("go.build.cache.action_id", doc_string(*p, "action_id"));
            at.add_string("go.build.cache.content_id", doc_string(*p, "content_id"));
            if (p->contains("output_unchanged")) at.add("go.build.cache.output_unchanged", doc_flag(*p, "output_unchanged"));
        }
        bool failed = a.failed || (p && doc_string(*p, "outcome") == "failed");
        if (kind == "test run") {
            at.add_string("test.suite.name", a.package);
            if (test) {
                const Doc& t = *test;
                std::string st = suite_status(doc_string(t, "status"));
                at.add_string("test.suite.run.status", st);
                at.add("go.build.test.cached", doc_flag(t, "cached"));
                at.add_string("go.build.test.reason", doc_string(t, "reason"));
                at.add_string("go.build.test.reason_detail", doc_string(t, "reason_detail"));
                failed = failed || st == "failure";
            }
            if (auto it = m_cases.find(a.package); it != m_cases.end()) {
                ordered_json events = ordered_json::array();
                for (const Doc* c : it->second) {
                    Attrs ea;
                    ea.add_string("test.case.name", doc_string(*c, "name"));
                    ea.add_string("test.case.result.status", case_status(doc_string(*c, "status")));
                    ea.add("go.build.test.case.seconds", doc_number(*c, "elapsed"));
                    events.push_back({{"timeUnixNano", std::to_string(std::max(a.start_ns, a.end_ns))},
                                      {"name", "test case"},
                                      {"attributes", std::move(ea.list)}});
                }
                s["events"] = std::move(events);
            }
        }
        s["attributes"] = std::move(at.list);
        links(s, a);
        if (failed) error_status(s, kind + " failed");
        return s;
    }
};

} // namespace

ordered_json action_graph_json(const model::ActionGraph& g) {
    ordered_json out = ordered_json::array();
    auto ns = [](double t) { return t > 0 ? static_cast<std::int64_t>(std::llround(t * 1e9)) : std::int64_t{0}; };
    for (const auto& a : g.actions) {
        ordered_json o;
        o["id"] = a.id;
        o["mode"] = model::step_kind(a.mode);
        o["package"] = a.package;
        o["objdir"] = a.objdir_number >= 0 ? fmt_objdir(a.objdir_number) : std::string();
        o["deps"] = a.deps;
        o["start_ns"] = ns(a.time_start);
        o["end_ns"] = ns(a.time_done);
        o["ran"] = a.ran;
        o["failed"] = a.failed;
        out.push_back(std::move(o));
    }
    return out;
}

std::string render_otlp(const Doc& doc) { return TraceWriter(doc).render(); }

} // namespace gox::report
