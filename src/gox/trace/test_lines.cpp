#include <gox/trace/test_lines.hpp>
#include <gox/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace gox::trace {

using util::ends_with;
using util::starts_with;

std::optional<TestResultLine> read_test_result(std::string_view line) {
    auto tab = line.find('\t');
    if (tab == std::string_view::npos) return std::nullopt;
    std::string_view head = line.substr(0, tab), rest = line.substr(tab + 1);
    auto tab2 = rest.find('\t');
    TestResultLine r;
    r.package = rest.substr(0, tab2);
    std::string_view tail = tab2 == std::string_view::npos ? std::string_view() : rest.substr(tab2 + 1);
    if (starts_with(head, "ok")) {
        r.status = "ok";
        r.cached = starts_with(tail, "(cached)");
    } else if (starts_with(head, "FAIL")) {
        r.status = "fail";
        if (ends_with(r.package, " [build failed]")) {
            r.status = "build_failed";
            r.package.remove_suffix(15);
        } else if (ends_with(r.package, " [setup failed]")) {
            r.status = "setup_failed";
            r.package.remove_suffix(15);
        }
    } else if (starts_with(head, "?")) {
        r.status = "no_test_files";
    } else {
        return std::nullopt;
    }
    return r;
}

std::optional<TestCaseLine> read_test_case_line(std::string_view line) {
    std::string_view t = line;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    TestCaseLine c;
    c.status = starts_with(t, "--- FAIL: ") ? "fail"
             : starts_with(t, "--- PASS: ") ? "pass"
             : starts_with(t, "--- SKIP: ") ? "skip" : "";
    if (c.status.empty()) return std::nullopt;
    t.remove_prefix(10);
    auto paren = t.rfind(" (");
    c.name = t.substr(0, paren);
    if (paren != std::string_view::npos) c.elapsed = std::strtod(std::string(t.substr(paren + 2)).c_str(), nullptr);
    return c;
}

namespace {
void trim_line_end(std::string& s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}
} // namespace

std::optional<Test2JsonCase> read_test2json_case(std::string_view line) {
    // Decode only the events that matter (run, pause, cont, start... do not).
    auto at = line.find("\"Action\":\"");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view act = line.substr(at + 10, 7);
    if (!starts_with(act, "pass\"") && !starts_with(act, "fail\"") && !starts_with(act, "skip\"") &&
        !starts_with(act, "output\""))
        return std::nullopt;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("Test") || !j["Test"].is_string() || !j.contains("Action")) return std::nullopt;
    Test2JsonCase c;
    c.package = j.value("Package", "");
    c.test = j["Test"].get<std::string>();
    c.action = j.value("Action", "");
    if (c.action == "output") {
        c.output = j.value("Output", "");
        trim_line_end(c.output);
        return c;
    }
    if (c.action != "pass" && c.action != "fail" && c.action != "skip") return std::nullopt;
    if (auto it = j.find("Elapsed"); it != j.end() && it->is_number()) c.elapsed = it->get<double>();
    return c;
}

TestStdoutLine test_stdout_line(std::string_view line) {
    if (starts_with(line, "ok  \t") || starts_with(line, "FAIL\t") || starts_with(line, "?   \t"))
        return TestStdoutLine::Result;
    if (starts_with(line, "{\"") && line.find("\"Test\":\"") != std::string_view::npos)
        return TestStdoutLine::Test2JsonCase; // (a test's event is never a package result line)
    if (!starts_with(line, "{")) return TestStdoutLine::Plain;
    return TestStdoutLine::Test2JsonOther;
}

std::optional<std::string> test2json_result(std::string_view line) {
    if (!starts_with(line, "{") || (line.find("\"Output\":\"ok  \\t") == std::string_view::npos &&
                                     line.find("\"Output\":\"FAIL\\t") == std::string_view::npos &&
                                     line.find("\"Output\":\"?   \\t") == std::string_view::npos))
        return std::nullopt;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("Output") || !j["Output"].is_string()) return std::nullopt;
    std::string out = j["Output"].get<std::string>();
    trim_line_end(out);
    return out;
}

namespace {
// "name_test.go:12: " (t.Error, t.Fatal, t.Log): a file name ending in .go,
// a line number, a colon.
bool go_file_line(std::string_view t) {
    auto go = t.find(".go:");
    if (go == std::string_view::npos || go == 0) return false;
    for (std::size_t i = 0; i < go; ++i) {
        char c = t[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '.' || c == '/';
        if (!ok) return false;
    }
    std::size_t i = go + 4, digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
    return digits > 0 && i < t.size() && t[i] == ':';
}
} // namespace

bool looks_like_test_failure(std::string_view line) {
    std::string_view t = line;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    static constexpr std::string_view kHeads[] = {"--- FAIL", "panic:", "fatal error:", "Error Trace:", "Error:",
                                                  "FAIL\t", "FAIL "};
    for (auto h : kHeads)
        if (starts_with(t, h)) return true;
    return go_file_line(t);
}

} // namespace gox::trace
