#pragma once
// Writers for a Build and its analysis: the JSON document (schema below,
// versioned) and a short text summary for people.

#include <gox/analysis/analyse.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace gox::report {

inline constexpr int kSchemaVersion = 1;

// "$WORK/b001": the objdir as the go command prints it.
std::string fmt_objdir(int n);

// The JSON model (keys in a fixed order, lists sorted), with the analysis'
// verdicts (reasons, diagnosis, notes) beside the model's facts.
nlohmann::ordered_json to_json(const model::Build& b, const analysis::RunAnalysis& a = analysis::no_analysis());
std::string render_json(const model::Build& b, const analysis::RunAnalysis& a = analysis::no_analysis());
// The same text as render_json, handed to `out` piece by piece (one package
// at a time): the document is never whole in memory.
using JsonSink = std::function<void(std::string_view)>;
void write_json(const model::Build& b, const analysis::RunAnalysis& a, const JsonSink& out);
void write_json(const model::Build& b, const JsonSink& out);

// go's action graph as the OTLP trace reads it from a report's document
// (key "action_graph"; not part of the JSON summary): every action with its
// id, step kind, package, objdir ($WORK/bNNN), dependencies, start and end
// (Unix nanoseconds), and whether it ran commands or failed.
nlohmann::ordered_json action_graph_json(const model::ActionGraph& g);

struct TextOptions {
    bool color = false;
    std::size_t max_listed = 20; // rebuilt packages listed by name
};
std::string render_text(const model::Build& b, const analysis::RunAnalysis& a, const TextOptions& opt = {});
inline std::string render_text(const model::Build& b, const TextOptions& opt = {}) {
    return render_text(b, analysis::no_analysis(), opt);
}

// The wrapper's after-run summary (every line starts with "gox: ").
std::string render_summary(const model::Build& b, const analysis::RunAnalysis& a, const TextOptions& opt,
                           double go_seconds);
inline std::string render_summary(const model::Build& b, const TextOptions& opt, double go_seconds) {
    return render_summary(b, analysis::no_analysis(), opt, go_seconds);
}

} // namespace gox::report
