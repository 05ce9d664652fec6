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

// "-" is standard output. Returns false (errno set) when writing failed.
bool write_text_file(const std::string& path, const std::string& text, bool append);

} // namespace gox::cli
