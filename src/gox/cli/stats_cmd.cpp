// gox stats: the history's figures over a window (stats/stats.hpp), on
// whichever backend GOX_HISTORY names.

#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/cli/report_out.hpp>
#include <gox/stats/stats.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

namespace gox::cli {

namespace {

constexpr const char* kStatsHelp = R"(usage: gox stats [--since=DURATION] [--project=PATH] [--format=text|json|html] [-o FILE] [--report=FILE]

What the run history (GOX_HISTORY: a SQLite file, or a PostgreSQL server a
fleet shares) says about the runs of a window: the build cache's hit rate by
day, project, CI job and host; the packages that miss most and their dominant
reasons; the reasons ranked by the compile time they cost; the slowest
packages with their trend (the first half of the runs against the second);
the test cache's hit rate; the failure classes seen.
)";

std::string render(const stats::Stats& s, const std::string& format) {
    if (format == "json") return stats::to_json(s).dump(2) + "\n";
    if (format == "html") return stats::render_html(s);
    return stats::render_text(s);
}

// A --report file's format, from its extension.
std::string format_of_file(const std::string& path) {
    if (util::ends_with(path, ".html") || util::ends_with(path, ".htm")) return "html";
    if (util::ends_with(path, ".json")) return "json";
    if (util::ends_with(path, ".txt")) return "text";
    return "";
}

void write_or_fail(const std::string& path, const std::string& text) {
    if (!write_text_file(path, text, false))
        throw util::Fatal(fmt::format("cannot write {}: {}", path == "-" ? "standard output" : path, std::strerror(errno)));
}

} // namespace

int cmd_stats(const std::vector<std::string>& args) {
    std::string since = "7d", project, format = "text", output;
    std::vector<std::string> reports;
    CommandSpec spec("stats", kStatsHelp);
    spec.options.add_options()
        ("since", po::value<std::string>(&since)->value_name("DURATION"),
         "the window: the runs started in the last N seconds, minutes, hours, days or weeks (30m, 36h, 7d, 2w; default 7d)")
        ("project", po::value<std::string>(&project)->value_name("PATH"),
         "only the runs of this project (its module path, as `gox stats` lists them; default: every project)")
        ("format", po::value<std::string>(&format)->value_name("text|json|html"),
         "text (default), JSON (schema in gox(1); `runs` is the number of runs counted) or a self-contained HTML page")
        ("output,o", po::value<std::string>(&output)->value_name("FILE"), "write to FILE instead of standard output")
        ("report", po::value<std::vector<std::string>>(&reports)->composing()->value_name("FILE"),
         "also write the figures to FILE (repeatable), in the format of its extension: .html, .json or .txt");
    auto vm = parse_command(spec, args);
    if (vm.count(kPositional)) usage_error("stats takes no arguments", "Run 'gox stats --help' for usage.");
    if (format != "text" && format != "json" && format != "html")
        usage_error(fmt::format("stats: unknown format \"{}\" (want text, json or html)", format));
    auto window = stats::parse_duration(since);
    if (!window) usage_error(fmt::format("stats: --since wants a duration such as 30m, 36h, 7d or 2w, not \"{}\"", since));
    for (const auto& r : reports)
        if (format_of_file(r).empty())
            usage_error(fmt::format("stats: cannot tell the format from \"{}\" (want .html, .json or .txt)", r));

    stats::Options o;
    o.window = *window;
    o.window_label = since;
    o.project = project;
    o.now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto store = open_history();
    stats::Stats s;
    try {
        s = stats::compute(*store, o);
        // A project the history has never seen is a mistake, not an empty window.
        if (!project.empty() && s.runs == 0) {
            history::StatsQuery all;
            all.since = -1e300;
            std::set<std::string> known;
            for (const auto& r : store->run_tallies(all)) known.insert(r.project);
            if (!known.count(project)) {
                std::string names;
                std::size_t n = 0;
                for (const auto& k : known) {
                    if (++n > 10) {
                        names += ", …";
                        break;
                    }
                    names += (names.empty() ? "" : ", ") + k;
                }
                throw util::Fatal(fmt::format("stats: no run of project {} in the history{}", project,
                                              names.empty() ? std::string(" (it is empty)") : " (its projects: " + names + ")"));
            }
        }
    } catch (const history::HistoryError& e) {
        throw util::Fatal(e.what());
    }
    for (const auto& r : reports) write_or_fail(r, render(s, format_of_file(r)));
    write_or_fail(output.empty() ? "-" : output, render(s, format));
    return 0;
}

} // namespace gox::cli
