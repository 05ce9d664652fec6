// gox parse: a saved trace in, the build model out.

#include <gox/analysis/analyse.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/model/actiongraph.hpp>
#include <gox/model/build.hpp>
#include <gox/report/report.hpp>
#include <gox/trace/ci_log.hpp>
#include <gox/util/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace gox::cli {

namespace {
constexpr const char* kParseUsage = R"(usage: gox parse [--format=text|json|otlp|openmetrics] [--actiongraph=FILE] [--stdout=FILE] FILE|-

Reads a saved trace: what `go build -x`, `go test -x`, `go install -x` or
`go run -x` printed on stderr (Go 1.19 to 1.27), a CI log or a ticket
attachment. `-` reads standard input. Lines gox does not recognise are counted
and shown, never fatal.

Logs as CI systems give them are read as they are: the line prefix style is
recognised from the first lines and stripped (the output names it):
%STYLES%CRLF line ends and a leading byte-order mark are accepted; a command line
pasted behind a prompt or marker ("$ ", "> ") still counts when a go tool
path follows it.
)";

// The usage text with the log styles of trace/ci_log.hpp's table, wrapped.
std::string parse_usage() {
    std::string styles;
    for (std::size_t i = 0; i < trace::kLogStyleCount; ++i) {
        std::string line = fmt::format("  {:<16}", trace::kLogStyleNames[i]);
        std::string_view desc = trace::kLogStyleDescriptions[i];
        while (!desc.empty()) {
            auto sp = desc.find(' ');
            std::string_view word = desc.substr(0, sp);
            if (line.size() + 1 + word.size() > 78 && line.size() > 18) {
                styles += line + "\n";
                line = std::string(18, ' ');
            } else if (line.size() > 18) {
                line += ' ';
            }
            line += word;
            desc.remove_prefix(sp == std::string_view::npos ? desc.size() : sp + 1);
        }
        styles += line + "\n";
    }
    std::string usage = kParseUsage;
    usage.replace(usage.find("%STYLES%"), 8, styles);
    return usage;
}
} // namespace

int cmd_parse(const std::vector<std::string>& args) {
    CommandSpec spec("parse", parse_usage());
    spec.style = po::command_line_style::default_style; // takes a unique prefix of an option, as it always has
    std::string format = "text", actiongraph, input, stdout_file;
    spec.options.add_options()
        ("format", po::value<std::string>(&format)->value_name("text|json|otlp|openmetrics"),
         "output format: a short summary (text, the default), the full model as JSON (schema in gox(1)), or, "
         "redacted as gox report's, an OpenTelemetry trace (otlp: one span per action of the --actiongraph) "
         "or OpenMetrics text")
        ("actiongraph", po::value<std::string>(&actiongraph)->value_name("FILE"),
         "merge the -debug-actiongraph=FILE output of the same run: adds the cache hits the "
         "trace does not show, and timings")
        ("stdout", po::value<std::string>(&stdout_file)->value_name("FILE"),
         "go's stdout of the same run (go test results: ok, FAIL, (cached))");
    auto vm = parse_command(spec, args);
    if (vm.count(kPositional)) {
        const auto& inputs = vm[kPositional].as<std::vector<std::string>>();
        if (inputs.size() > 1) usage_error("parse takes one trace file (or - for standard input)", "Run 'gox parse --help' for usage.");
        input = inputs.front();
    }
    if (format != "text" && format != "json" && format != "otlp" && format != "openmetrics")
        usage_error(fmt::format("parse: unknown format \"{}\" (want text, json, otlp or openmetrics)", format));
    if (input.empty()) usage_error("parse: no input file (use - for standard input)", "Run 'gox parse --help' for usage.");

    int fd = 0;
    if (input != "-") {
        fd = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw util::Fatal(fmt::format("cannot open {}: {}", input, std::strerror(errno)));
        struct stat st{};
        if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            ::close(fd);
            throw util::Fatal(fmt::format("cannot read {}: is a directory", input));
        }
    }
    int out_fd = -1;
    if (!stdout_file.empty()) {
        out_fd = ::open(stdout_file.c_str(), O_RDONLY | O_CLOEXEC);
        if (out_fd < 0) {
            if (fd > 0) ::close(fd);
            throw util::Fatal(fmt::format("cannot open {}: {}", stdout_file, std::strerror(errno)));
        }
    }
    model::Build b;
    try {
        b = model::parse_trace_fd(fd, out_fd);
    } catch (...) {
        if (fd > 0) ::close(fd);
        if (out_fd >= 0) ::close(out_fd);
        throw;
    }
    if (fd > 0) ::close(fd);
    if (out_fd >= 0) ::close(out_fd);
    std::optional<model::ActionGraph> graph;
    if (!actiongraph.empty()) {
        std::string err;
        graph = model::read_actiongraph_file(actiongraph, err);
        if (!graph) throw util::Fatal(fmt::format("--actiongraph {}: {}", actiongraph, err));
        model::merge_actiongraph(b, *graph);
    }
    // A saved trace: a failure classified from what go printed (no exit
    // status, no filesystem facts, no cache to check, no history).
    analysis::RunFacts facts;
    facts.saved_trace = true;
    const analysis::RunAnalysis a = analysis::analyse(b, nullptr, facts, {});
    if (format == "otlp" || format == "openmetrics") {
        // As gox report renders them: the document redacted, with the
        // graph for the trace.
        report::Doc doc = report::to_json(b, a);
        if (graph && format == "otlp") doc["action_graph"] = report::action_graph_json(*graph);
        std::string out = report::render(prepare_report(std::move(doc), {}),
                                         format == "otlp" ? report::Format::Otlp : report::Format::OpenMetrics);
        std::fwrite(out.data(), 1, out.size(), stdout);
    } else if (format == "json") {
        report::write_json(b, a, [](std::string_view part) { std::fwrite(part.data(), 1, part.size(), stdout); });
    } else {
        std::string out = report::render_text(b, a, {.color = false, .max_listed = 20});
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (std::fflush(stdout) != 0) throw util::Fatal(fmt::format("writing output: {}", std::strerror(errno)));
    return 0;
}

} // namespace gox::cli
