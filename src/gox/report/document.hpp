#pragma once
// Reports over the JSON document (report::to_json plus, for a live run,
// "command" and "environment"): path normalisation and redaction applied to
// the document first, then one renderer per format. Every renderer reads
// only the document, so `gox report` renders a saved JSON summary or a past
// run exactly like the live one.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gox::report {

// What the summaries call packages with the unknown outcome: in a failed
// build they are the ones go never got to (a package they import failed, or
// go stopped), so every format says "not built" there and the counts add up
// to the total; elsewhere "unknown".
constexpr const char* unknown_label(bool build_failed) { return build_failed ? "not built" : "unknown"; }


using Doc = nlohmann::ordered_json;

struct RedactOptions {
    bool secrets = true;     // credentials in URLs, token-shaped words, secret env values
    bool drop_paths = false; // --redact-paths: absolute paths and the user name too
    std::string home;        // replaced by "~" ("" = $HOME)
    std::string user;        // replaced by "<user>" with drop_paths ("" = $USER / the login name)
};

// Paths under the go work dir, GOCACHE, GOROOT and the home directory become
// $WORK, $GOCACHE, $GOROOT and ~ in every string of the document (the
// environment's GOCACHE and GOROOT values keep their location, as ~/...).
void normalise_paths(Doc& doc, std::string home);

// Removes secrets (and with drop_paths, absolute paths and the user name)
// from every string of the document; records what was done under
// "redaction". Call after normalise_paths.
void redact(Doc& doc, RedactOptions o);

// The secret-named variables and the secret-shaped words of flag variables
// (GOFLAGS, CGO_CFLAGS...) of a document's "environment", in place; paths
// stay. True when anything changed. The JSON summary applies it too.
bool redact_environment(Doc& env);

// The redaction of one text (exposed for the tests and for annotations).
std::string redact_text(std::string_view s, const RedactOptions& o);

// Text safe to show: ANSI escape sequences removed, other control characters
// (but tab and newline) replaced by U+FFFD, invalid UTF-8 replaced.
std::string clean_text(std::string_view s);

enum class Format { Json, Markdown, Html, Junit, ChromeTrace, Text, Otlp, OpenMetrics };
// json, markdown|md, html, junit, chrome-trace|trace, text, otlp, openmetrics|prom.
std::optional<Format> parse_format(std::string_view name);
// From a file name: .json (a name ending in .trace.json: chrome-trace, in
// .otlp.json: otlp), .md, .html/.htm, .xml (JUnit), .txt, .prom (openmetrics).
std::optional<Format> format_for_file(std::string_view path);

inline constexpr std::size_t kMarkdownLimit = 65000; // GitHub's comment and step-summary ceiling is 65,536

std::string render(const Doc& doc, Format f);
std::string render_markdown(const Doc& doc, std::size_t limit = kMarkdownLimit);
std::string render_html(const Doc& doc);
std::string render_junit(const Doc& doc);
std::string render_chrome_trace(const Doc& doc);
std::string render_doc_text(const Doc& doc);
// OTLP/JSON (one ExportTraceServiceRequest line, the collector's file
// format): one span per action of the document's "action_graph" (the report
// copy of a live run or of gox parse --actiongraph carries it; otherwise the
// timeline's actions under a root for the command). otlp.cpp says how.
std::string render_otlp(const Doc& doc);
// OpenMetrics text for node_exporter's textfile collector (openmetrics.cpp).
std::string render_openmetrics(const Doc& doc);

// Helpers shared by the renderers.
std::string doc_string(const Doc& d, const char* key, std::string_view fallback = "");
// d[key] when it is a number (a boolean that is true), else 0 (false): a
// saved document may hold anything.
double doc_number(const Doc& d, const char* key);
bool doc_flag(const Doc& d, const char* key);
// The cache program's test results in one sentence ("" when it saw none):
// from the cache, never passed with that binary and flags, inputs changed.
std::string test_results_line(const Doc& cache_program);
// How many of its gets the cache program could not tie to a package, and
// what those usually are ("" when it tied them all).
std::string unattributed_gets_line(const Doc& cache_program);
std::string command_line(const Doc& doc); // "go build ./..." or "" when unknown
std::string html_escape(std::string_view s);
// The failure class the diagnosis gave a package ("" when none).
std::string failure_class(const Doc& doc, const std::string& package);

} // namespace gox::report
