// The run's figures as an OpenMetrics text file, for node_exporter's
// textfile collector (which reads it as Prometheus text: every family is a
// gauge, so both parsers take it, and the "# EOF" OpenMetrics requires is a
// comment to the older one). Gauges, not counters: the file holds the last
// run's values and is replaced by the next run. Metric names: gox(1),
// OPENMETRICS.

#include <gox/report/document.hpp>

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gox::report {

namespace {


// A label value: backslash, double quote and newline escaped, text made
// valid UTF-8 (OpenMetrics requires it).
std::string label_value(std::string_view v) {
    std::string out;
    for (char c : clean_text(v)) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string value_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{}", v);
}

class Families {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;

    // A family: its HELP text and, for figures in seconds, the unit.
    void family(const std::string& name, const std::string& help, bool seconds = false) {
        m_out += "# TYPE " + name + " gauge\n";
        if (seconds) m_out += "# UNIT " + name + " seconds\n";
        m_out += "# HELP " + name + " " + help + "\n";
    }
    void sample(const std::string& name, double v, const Labels& labels = {}) {
        m_out += name;
        if (!labels.empty()) {
            m_out += '{';
            for (std::size_t i = 0; i < labels.size(); ++i)
                m_out += (i ? "," : "") + labels[i].first + "=\"" + label_value(labels[i].second) + "\"";
            m_out += '}';
        }
        m_out += " " + value_text(v) + "\n";
    }
    std::string finish() { return m_out + "# EOF\n"; }

private:
    std::string m_out;
};

// Counts by a string key, in key order.
std::map<std::string, double> count_by(const Doc* list, const std::function<bool(const Doc&)>& keep,
                                       const std::function<std::string(const Doc&)>& key) {
    std::map<std::string, double> n;
    if (list)
        for (const auto& x : *list)
            if (x.is_object() && keep(x)) n[key(x)] += 1;
    return n;
}

} // namespace

std::string render_openmetrics(const Doc& doc) {
    Families f;
    const Doc summary = doc.value("summary", Doc::object());
    const Doc command = doc.value("command", Doc::object());
    const Doc* packages = doc.contains("packages") && doc["packages"].is_array() ? &doc["packages"] : nullptr;
    const Doc* tests = doc.contains("tests") && doc["tests"].is_array() ? &doc["tests"] : nullptr;

    f.family("gox_run_info", "The run gox wrapped: go verb and version (value 1).");
    f.sample("gox_run_info", 1,
             {{"verb", doc_string(command, "verb", "unknown")}, {"go_version", doc_string(doc, "go_version", "unknown")}});
    f.family("gox_run_failed", "1 when go failed, else 0.");
    f.sample("gox_run_failed", doc_flag(doc, "failed") || doc_number(command, "exit_code") != 0 ? 1 : 0);
    if (command.contains("exit_code")) {
        f.family("gox_run_exit_code", "go's exit status.");
        f.sample("gox_run_exit_code", doc_number(command, "exit_code"));
    }
    if (command.contains("seconds")) {
        f.family("gox_run_seconds", "Wall time of the go command.", true);
        f.sample("gox_run_seconds", doc_number(command, "seconds"));
    }

    f.family("gox_packages", "Packages of the run by outcome (rebuilt, cache_hit, installed, failed, unknown).");
    const std::pair<const char*, const char*> outcomes[] = {{"rebuilt", "packages_rebuilt"},
                                                             {"cache_hit", "packages_cached"},
                                                             {"installed", "packages_installed"},
                                                             {"failed", "packages_failed"},
                                                             {"unknown", "packages_unknown"}};
    for (const auto& [outcome, key] : outcomes) f.sample("gox_packages", doc_number(summary, key), {{"outcome", outcome}});
    f.family("gox_cache_hits", "Packages the build cache supplied.");
    f.sample("gox_cache_hits", doc_number(summary, "packages_cached"));
    f.family("gox_cache_misses", "Packages compiled because the cache did not have them (rebuilt or failed).");
    f.sample("gox_cache_misses", doc_number(summary, "packages_rebuilt") + doc_number(summary, "packages_failed"));

    // Rebuilt packages by reason; "none" when the analysis gave none, and
    // those past the document's list cap as "unlisted".
    auto rebuilt = count_by(
        packages, [](const Doc& p) { return doc_string(p, "outcome") == "rebuilt"; },
        [](const Doc& p) { return doc_string(p, "reason", "none"); });
    double listed = 0;
    for (const auto& [r, n] : rebuilt) listed += n;
    if (double rest = doc_number(summary, "packages_rebuilt") - listed; rest > 0) rebuilt["unlisted"] += rest;
    f.family("gox_rebuilt_packages", "Rebuilt packages by the reason gox gave (gox explain --reasons).");
    for (const auto& [r, n] : rebuilt) f.sample("gox_rebuilt_packages", n, {{"reason", r}});

    if (doc.contains("timing") && doc["timing"].is_object()) {
        const Doc& t = doc["timing"];
        f.family("gox_actions_wall_seconds", "From the first action's start to the last one's end.", true);
        f.sample("gox_actions_wall_seconds", doc_number(t, "wall_seconds"));
        f.family("gox_step_seconds", "Summed time of the actions that ran, by step kind (build, link, vet, test run...).", true);
        if (t.contains("by_mode") && t["by_mode"].is_array())
            for (const auto& m : t["by_mode"]) f.sample("gox_step_seconds", doc_number(m, "seconds"), {{"step", doc_string(m, "mode")}});
    }

    if (doc_number(summary, "tests_run") + doc_number(summary, "tests_cached") > 0 || (tests && !tests->empty())) {
        f.family("gox_test_packages", "Test packages by result: ran, or cached.");
        f.sample("gox_test_packages", doc_number(summary, "tests_run"), {{"result", "ran"}});
        f.sample("gox_test_packages", doc_number(summary, "tests_cached"), {{"result", "cached"}});
        f.family("gox_test_packages_failed", "Test packages whose tests failed.");
        auto failed = count_by(
            tests, [](const Doc& t) { return doc_string(t, "status") == "fail"; }, [](const Doc&) { return std::string("fail"); });
        f.sample("gox_test_packages_failed", failed["fail"]);
        auto ran = count_by(
            tests, [](const Doc& t) { return !doc_flag(t, "cached") && t.contains("reason"); },
            [](const Doc& t) { return doc_string(t, "reason", "none"); });
        if (!ran.empty()) {
            f.family("gox_test_reruns", "Test packages that ran instead of a cached result, by reason.");
            for (const auto& [r, n] : ran) f.sample("gox_test_reruns", n, {{"reason", r}});
        }
        auto cases = count_by(
            doc.contains("test_cases") && doc["test_cases"].is_array() ? &doc["test_cases"] : nullptr,
            [](const Doc&) { return true; }, [](const Doc& c) { return doc_string(c, "status", "unknown"); });
        if (!cases.empty()) {
            f.family("gox_test_cases", "Test functions by status (pass, fail, skip), where go test -json named them.");
            for (const auto& [s, n] : cases) f.sample("gox_test_cases", n, {{"status", s}});
        }
    }
    return f.finish();
}

} // namespace gox::report
