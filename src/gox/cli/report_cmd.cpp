// gox report: render a past run (from the history) or a saved JSON summary
// as JSON, Markdown, HTML, JUnit XML, a Chrome trace or text; and the
// writing of reports shared with the wrapper's --report=FILE.

#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/history/store.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/report/report.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace gox::cli {

namespace {

constexpr const char* kReportHelp = R"(usage: gox report [--format=FORMAT] [-o FILE] [--redact-paths] [--no-redact] [RUN|FILE.json]

Renders the report of a past run: the last run of the module you are in, run
RUN of `gox history`, or a saved JSON summary (gox --summary-format=json or
--report=FILE.json) or `gox parse --format=json` output.
)";

} // namespace

report::Doc prepare_report(report::Doc doc, const RedactChoice& r) {
    report::normalise_paths(doc, "");
    report::RedactOptions o;
    o.secrets = r.redact;
    o.drop_paths = r.redact_paths;
    if (o.secrets || o.drop_paths) report::redact(doc, o);
    else doc["redaction"] = {{"secrets", false}, {"paths", false}, {"strings_changed", 0}};
    return doc;
}

report::Doc with_action_graph(report::Doc doc, const std::string& graph_file) {
    std::string err;
    if (graph_file.empty()) return doc;
    if (auto g = model::read_actiongraph_file(graph_file, err)) doc["action_graph"] = report::action_graph_json(*g);
    return doc;
}

bool write_text_file(const std::string& path, const std::string& text, bool append) {
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return std::fflush(stdout) == 0;
    }
    std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

bool replace_text_file(const std::string& path, const std::string& text) {
    if (path == "-") return write_text_file(path, text, false);
    std::string tmp = path + "." + std::to_string(::getpid()) + ".tmp";
    if (!write_text_file(tmp, text, false) || std::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        std::remove(tmp.c_str());
        errno = e;
        return false;
    }
    return true;
}

int cmd_report(const std::vector<std::string>& args) {
    CommandSpec spec("report", kReportHelp);
    std::string format, output, source;
    RedactChoice rc;
    spec.options.add_options()
        ("format", po::value<std::string>(&format)->value_name("FORMAT"),
         "json, markdown (md), html, junit, chrome-trace, text, otlp, openmetrics (prom) (default: from the -o file's extension, else markdown)")
        ("output,o", po::value<std::string>(&output)->value_name("FILE"), "write to FILE instead of standard output")
        ("redact-paths", po::bool_switch(&rc.redact_paths), "also drop absolute paths (keeping the last element) and the user name")
        ("no-redact", "keep secrets (for local use only); paths are still normalised ($WORK, $GOCACHE, $GOROOT, ~)");
    auto vm = parse_command(spec, args);
    if (vm.count("no-redact")) rc.redact = false;
    if (vm.count(kPositional)) {
        const auto& sources = vm[kPositional].as<std::vector<std::string>>();
        if (sources.size() > 1) usage_error("report takes one run id or JSON file", "Run 'gox report --help' for usage.");
        source = sources.front();
    }
    std::optional<report::Format> f;
    if (!format.empty()) {
        f = report::parse_format(format);
        if (!f) usage_error(fmt::format("report: unknown format \"{}\" (want json, markdown, html, junit, chrome-trace, text, otlp or openmetrics)", format));
    } else if (!output.empty() && output != "-") {
        f = report::format_for_file(output);
        if (!f) usage_error(fmt::format("report: cannot tell the format from \"{}\"; give --format", output));
    } else {
        f = report::Format::Markdown;
    }

    report::Doc doc;
    bool is_file = !source.empty() && (source == "-" || !std::all_of(source.begin(), source.end(), [](unsigned char c) { return std::isdigit(c) != 0; }));
    if (is_file) {
        std::string text;
        if (source == "-") {
            std::ostringstream ss;
            ss << std::cin.rdbuf();
            text = ss.str();
        } else {
            std::error_code ec;
            if (std::filesystem::is_directory(source, ec)) throw util::Fatal(fmt::format("cannot read {}: is a directory", source));
            std::ifstream in(source, std::ios::binary);
            if (!in) throw util::Fatal(fmt::format("cannot open {}: {}", source, std::strerror(errno)));
            std::ostringstream ss;
            ss << in.rdbuf();
            text = ss.str();
        }
        doc = report::Doc::parse(text, nullptr, false);
        if (doc.is_discarded() || !doc.is_object() || !doc.contains("schema_version"))
            throw util::Fatal(fmt::format("{}: not a gox JSON report (no schema_version)", source == "-" ? "stdin" : source));
    } else {
        auto store = open_history("give a saved JSON file");
        std::int64_t id = 0;
        std::optional<std::string> text;
        try {
            if (source.empty()) {
                auto rs = store->runs(current_module(*store), 1);
                if (rs.empty()) throw util::Fatal("the run history is empty: run gox build or gox test first");
                id = rs.front().id;
            } else {
                id = std::stoll(source);
                if (!store->run(id)) throw util::Fatal(fmt::format("no run {} in the history", source));
            }
            text = store->report(id);
        } catch (const history::HistoryError& e) {
            throw util::Fatal(e.what()); // e.g. a read-only history from before reports were kept
        } catch (const std::out_of_range&) {
            throw util::Fatal(fmt::format("no run {} in the history", source));
        }
        if (!text) throw util::Fatal(fmt::format("run {} has no stored report (only the newest {} runs keep one)", id,
                                                 history::Store::kReportRuns));
        doc = report::Doc::parse(*text, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) throw util::Fatal(fmt::format("the stored report of run {} is damaged", id));
    }
    std::string out = report::render(prepare_report(std::move(doc), rc), *f);
    if (!(*f == report::Format::OpenMetrics ? replace_text_file(output.empty() ? "-" : output, out)
                                            : write_text_file(output.empty() ? "-" : output, out, false)))
        throw util::Fatal(fmt::format("cannot write {}: {}", output.empty() ? "standard output" : output, std::strerror(errno)));
    return 0;
}

} // namespace gox::cli
