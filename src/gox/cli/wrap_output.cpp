// What a wrapped run writes after go: the summary, the --report files and
// the GitHub step summary, and GitHub annotations.

#include <gox/cli/wrap_internal.hpp>

#include <gox/report/report.hpp>
#include <gox/trace/hash_stream.hpp>
#include <gox/util/fs_probe.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <unistd.h>

namespace gox::cli::wrap {

// The document every JSON summary and report is made from.
report::Doc run_document(const model::Build& b, const analysis::RunAnalysis& a, const analysis::RunFacts& f,
                         const process::GoRun& run) {
    auto j = report::to_json(b, a);
    j["command"] = {{"verb", f.verb},         {"exit_code", run.exit_code}, {"seconds", run.seconds},
                    {"started", run.started}, {"args", f.args}};
    // The environment fingerprint, so that gox diff can compare two saved
    // summaries (CI against a laptop).
    j["environment"] = f.env;
    if (!f.cache_evidence.is_null()) j["cache_evidence"] = f.cache_evidence;
    return j;
}

nlohmann::json cache_evidence(const nlohmann::json& env, double started, const model::Build& b) {
    std::string gocache = env.is_object() && env.contains("GOCACHE") && env["GOCACHE"].is_string()
                              ? env["GOCACHE"].get<std::string>()
                              : "";
    std::vector<std::string> wanted;
    std::map<std::string, std::string> id_of; // hex prefix → the summary's action ID
    for (const auto& p : b.packages) {
        if (p.outcome != model::Outcome::Rebuilt && p.outcome != model::Outcome::Failed) continue;
        std::string hex = trace::action_id_to_hex(p.action_id);
        if (hex.empty() || !id_of.emplace(hex, p.action_id).second) continue;
        wanted.push_back(hex);
    }
    util::CacheAges c = util::cache_ages(gocache, started, wanted);
    if (!c.read || started <= 0) return nullptr;
    auto when = [](double t) { return t > 0 ? nlohmann::json(t) : nlohmann::json(nullptr); };
    nlohmann::json present = nlohmann::json::array();
    for (const auto& hex : c.present_before) present.push_back(id_of[hex]);
    return {{"run_started", started},
            {"entries", c.entries},
            {"entries_before_run", c.entries_before},
            {"newest_before_run", when(c.newest_before)},
            {"oldest_entry", when(c.oldest)},
            {"trimmed_at", when(c.trimmed_at.value_or(0))},
            {"present_before_run", std::move(present)}};
}

void print_summary(const report::Doc& doc, const model::Build& b, const analysis::RunAnalysis& a,
                   const process::GoRun& run, const WrapOptions& o) {
    if (o.summary == "off") return;
    std::string text;
    if (o.summary_format == "json") {
        // Paths stay (gox diff compares them), secrets in the environment
        // (a token in GOFLAGS, a password in CGO_CFLAGS) do not.
        report::Doc env = doc.contains("environment") ? doc["environment"] : report::Doc();
        if (report::redact_environment(env)) {
            report::Doc copy = doc;
            copy["environment"] = std::move(env);
            text = copy.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
        } else {
            text = doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
        }
    } else {
        bool color = o.summary == "stderr" && ::isatty(2) && !std::getenv("NO_COLOR");
        text = report::render_summary(b, a, {.color = color, .max_listed = 10}, run.seconds);
    }
    if (o.summary == "stderr") {
        process::write_all(2, text);
        return;
    }
    std::ofstream out(o.summary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out)
        std::fprintf(stderr, "gox: warning: cannot write summary to %s: %s\n", o.summary.c_str(), std::strerror(errno));
}

namespace {

// Size of a directory tree (bounded walk), for the report's environment.
std::string tree_size(const std::string& dir) {
    util::TreeStats t = util::tree_stats(dir);
    if (t.failed) return "";
    return fmt::format("{}{:.1f} MiB in {} files", t.truncated ? "≥ " : "", static_cast<double>(t.bytes) / (1 << 20), t.files);
}

} // namespace

// The --report files and the GitHub step summary. Failures to write warn
// and never change the exit status. An OTLP trace also reads go's action
// graph (graph_file), from a copy of the document made for it alone.
void write_reports(report::Doc doc, const WrapOptions& o, const std::string& graph_file) {
    const char* step = std::getenv("GITHUB_STEP_SUMMARY");
    if (o.reports.empty() && !(step && *step)) return;
    if (doc.contains("environment") && doc["environment"].is_object()) {
        std::string gc = report::doc_string(doc["environment"], "GOCACHE");
        if (!gc.empty() && gc != "off")
            if (auto sz = tree_size(gc); !sz.empty()) doc["environment"]["GOCACHE_SIZE"] = sz;
    }
    auto format_of = [&](const std::string& file) {
        auto f = o.report_format.empty() ? report::format_for_file(file) : report::parse_format(o.report_format);
        return f.value_or(report::Format::Json);
    };
    std::optional<report::Doc> traced; // the document with the action graph
    if (std::any_of(o.reports.begin(), o.reports.end(), [&](auto& f) { return format_of(f) == report::Format::Otlp; }))
        traced = prepare_report(with_action_graph(doc, graph_file), o.redact);
    report::Doc ready = prepare_report(std::move(doc), o.redact);
    for (const auto& file : o.reports) {
        auto f = format_of(file);
        std::string text = report::render(f == report::Format::Otlp ? *traced : ready, f);
        if (!(f == report::Format::OpenMetrics ? replace_text_file(file, text) : write_text_file(file, text, false)))
            std::fprintf(stderr, "gox: warning: cannot write report to %s: %s\n", file.c_str(), std::strerror(errno));
    }
    if (step && *step && !write_text_file(step, report::render_markdown(ready) + "\n", true))
        std::fprintf(stderr, "gox: warning: cannot append to GITHUB_STEP_SUMMARY %s: %s\n", step, std::strerror(errno));
}

// GitHub workflow commands for compile errors ("file.go:12:5: message"),
// on stderr after go's own output.
// go_dir: go's -C dir ("" without): go names files relative to it.
void print_annotations(const model::Build& b, const RedactChoice& rc, const std::string& go_dir) {
    static const RE2 pos(R"(^\s*(?:\./)?([^\s:][^:]*\.(?:go|s|c|h|cc|cpp|m)):(\d+)(?::(\d+))?: (.*)$)");
    // Workflow-command escaping: % CR LF always, ':' and ',' in properties.
    auto esc = [](const std::string& v, bool property) {
        std::string out;
        for (char c : v) {
            if (c == '%') out += "%25";
            else if (c == '\r') out += "%0D";
            else if (c == '\n') out += "%0A";
            else if (property && c == ':') out += "%3A";
            else if (property && c == ',') out += "%2C";
            else out += c;
        }
        return out;
    };
    auto prop = [&](const std::string& v) { return esc(v, true); };
    auto msg = [&](const std::string& v) { return esc(v, false); };
    report::RedactOptions ro;
    ro.secrets = rc.redact;
    std::string out;
    for (const auto& f : b.failures)
        for (const auto& line : f.first_lines) {
            std::string file, l, c, text;
            if (!RE2::FullMatch(line, pos, &file, &l, &c, &text)) continue;
            if (!go_dir.empty() && file[0] != '/') file = (std::filesystem::path(go_dir) / file).lexically_normal().string();
            text = report::clean_text(report::redact_text(text, ro));
            out += "::error file=" + prop(file) + ",line=" + l + (c.empty() ? "" : ",col=" + c) +
                   (f.import_path.empty() ? "" : ",title=" + prop(f.import_path)) + "::" + msg(text) + "\n";
        }
    if (!out.empty()) process::write_all(2, out);
}

} // namespace gox::cli::wrap
