#pragma once
// Reports as the command line writes them: the document path-normalised and
// redacted, then rendered (gox report, and the wrapper's --report=FILE).

#include <gox/report/document.hpp>

#include <string>

namespace gox::cli {

struct RedactChoice {
    bool redact = true;        // --no-redact turns it off
    bool redact_paths = false; // --redact-paths
};

report::Doc prepare_report(report::Doc doc, const RedactChoice& r);

// The document with go's action graph from graph_file under "action_graph",
// for the OTLP trace (unchanged when there is no file or it cannot be read).
report::Doc with_action_graph(report::Doc doc, const std::string& graph_file);

// "-" is standard output. Returns false (errno set) when writing failed.
bool write_text_file(const std::string& path, const std::string& text, bool append);
// The same, for a file that another program may read at any moment (the
// OpenMetrics file node_exporter polls): written beside it under a
// temporary name, then renamed over it.
bool replace_text_file(const std::string& path, const std::string& text);

} // namespace gox::cli
