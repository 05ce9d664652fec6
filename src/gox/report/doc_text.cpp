// A short text view of a report document (gox report --format=text).

#include <gox/report/document.hpp>

#include <fmt/format.h>

namespace gox::report {

std::string render_doc_text(const Doc& doc) {
    std::string o;
    std::string cmd = command_line(doc);
    o += "command: " + (cmd.empty() ? std::string("(saved trace)") : clean_text(cmd));
    if (doc.contains("command") && doc["command"].is_object()) {
        const Doc& c = doc["command"];
        // No exit_code: recorded by gox cacheprog, which never learns it.
        std::string status = c.contains("exit_code") ? fmt::format("exit status {}", c.value("exit_code", 0))
                                                     : "exit status unknown, recorded by " + doc_string(c, "recorded_by", "?");
        o += fmt::format(" ({}, {:.2f} s)", clean_text(status), c.value("seconds", 0.0));
    }
    o += "\n";
    const Doc s = doc.value("summary", Doc::object());
    o += fmt::format("packages: {} — {} rebuilt, {} from cache, {} failed, {} unknown\n", s.value("packages", 0),
                     s.value("packages_rebuilt", 0), s.value("packages_cached", 0) + s.value("packages_installed", 0),
                     s.value("packages_failed", 0), s.value("packages_unknown", 0));
    if (doc.contains("diagnosis") && doc["diagnosis"].is_object()) {
        const Doc& d = doc["diagnosis"];
        o += "diagnosis: " + doc_string(d, "class", "unknown") + " — " + clean_text(doc_string(d, "title")) + "\n";
        if (auto r = doc_string(d, "remedy"); !r.empty()) o += "remedy: " + clean_text(r) + "\n";
        if (d.contains("repro") && d["repro"].is_object())
            o += "verdict: " + doc_string(d["repro"], "verdict", "?") + "\n";
    }
    if (doc.contains("failures") && doc["failures"].is_array())
        for (const auto& f : doc["failures"]) {
            o += "failed: " + doc_string(f, "package", "(no package)") + " (" + doc_string(f, "kind") + ")\n";
            std::size_t n = 0;
            for (const auto& l : f.value("first_lines", Doc::array()))
                if (n++ < 5) o += "    " + clean_text(l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
        }
    if (doc.contains("test_cases") && doc["test_cases"].is_array())
        for (const auto& c : doc["test_cases"])
            if (doc_string(c, "status") == "fail") {
                o += "failed test: " + clean_text(doc_string(c, "name")) + " (" + doc_string(c, "package") + ")\n";
                // Its output as the model kept it (long output is already cut in the middle).
                for (const auto& l : c.value("output", Doc::array()))
                    o += "    " + clean_text(l.is_string() ? l.get<std::string>() : l.dump()) + "\n";
            }
    if (doc.contains("packages") && doc["packages"].is_array())
        for (const auto& p : doc["packages"])
            if (doc_string(p, "outcome") == "rebuilt" && !p.value("standard", false)) {
                std::string ip = doc_string(p, "import_path"), ft = doc_string(p, "for_test");
                o += "rebuilt: " + ip + (ft.empty() || ft == ip ? "" : " [" + ft + "]");
                if (auto r = doc_string(p, "reason"); !r.empty()) o += " ← " + r;
                if (auto d = doc_string(p, "reason_detail"); !d.empty()) o += ": " + clean_text(d);
                o += "\n";
            }
    return o;
}

} // namespace gox::report
