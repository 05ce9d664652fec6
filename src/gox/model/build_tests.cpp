// go test's stdout (result lines, "--- FAIL" cases, test2json events) and
// go's own messages, read into test results, test cases and failures.
#include <gox/model/build_impl.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace gox::model {

void BuildBuilder::Impl::on_test_output(std::string_view line) {
    // ok  \tP\t0.01s | ok  \tP\t(cached) | FAIL\tP [build failed] | FAIL\tP\t0.01s | ?   \tP\t[no test files]
    auto tab = line.find('\t');
    if (tab == std::string_view::npos) return;
    std::string_view head = line.substr(0, tab), rest = line.substr(tab + 1);
    auto tab2 = rest.find('\t');
    std::string_view pkg = rest.substr(0, tab2);
    std::string_view tail = tab2 == std::string_view::npos ? std::string_view() : rest.substr(tab2 + 1);
    TestResult r;
    if (starts_with(head, "ok")) {
        r.status = "ok";
        r.cached = starts_with(tail, "(cached)");
    } else if (starts_with(head, "FAIL")) {
        r.status = "fail";
        if (ends_with(pkg, " [build failed]")) {
            r.status = "build_failed";
            pkg.remove_suffix(15);
        } else if (ends_with(pkg, " [setup failed]")) {
            r.status = "setup_failed";
            pkg.remove_suffix(15);
        }
    } else if (starts_with(head, "?")) {
        r.status = "no_test_files";
    } else {
        return;
    }
    keep(r.import_path, pkg);
    take_loose_cases(r.import_path);
    if (r.status == "fail" || r.status == "build_failed" || r.status == "setup_failed") {
        Failure f;
        f.import_path = r.import_path;
        f.kind = r.status == "fail" ? "test" : "build";
        f.first_lines.push_back(util::clip(line, kMaxLineChars));
        f.line_count = 1;
        f.invocation = inv_index();
        add_failure(out.failures, std::move(f));
    }
    if (out.tests.size() < kMaxListedTests) {
        out.tests.push_back(std::move(r));
        return;
    }
    count_unlisted(out.unlisted, r);
}

void BuildBuilder::Impl::on_go_message(std::string_view line, std::string_view text) {
    static constexpr std::string_view kInfo[] = {
        "downloading ", "finding ", "extracting ", "added ", "upgraded ", "downgraded ", "removed ",
        "switching to ", "warning: ", "creating new go.mod", "to add module requirements", "found ",
        "module ", "go.mod ", "updates to go.mod"};
    if (starts_with(line, "go: ")) {
        for (auto p : kInfo)
            if (starts_with(text, p)) return;
    } else if (!(starts_with(line, "go build ") || starts_with(line, "go test ") ||
                 starts_with(line, "go install ") || starts_with(line, "go vet ") ||
                 starts_with(line, "go run "))) {
        return;
    } else if (ends_with(line, ":") && line.find(": ") == std::string_view::npos) {
        return; // 1.20-1.21 "go build P:" prefix of the "# desc" block that follows
    }
    Failure f;
    f.kind = "go";
    f.first_lines.push_back(util::clip(line, kMaxLineChars));
    f.line_count = 1;
    f.invocation = inv_index();
    add_failure(out.failures, std::move(f));
}

void BuildBuilder::Impl::keep_output(OutputCut& out, std::string_view line) { out.add(util::clip(line, kMaxLineChars)); }

void BuildBuilder::Impl::set_output(TestCase& c, OutputCut& cut) {
    c.output_lines = cut.lines();
    c.output = cut.take();
}

// The plain "--- FAIL" cases seen so far, given their package (from the
// result line; "" when no result line followed).
void BuildBuilder::Impl::take_loose_cases(const std::string& package) {
    for (std::size_t i = 0; i < loose_cases.size(); ++i) {
        TestCase& c = loose_cases[i];
        if (!package.empty()) c.package = package;
        set_output(c, loose_output[i]);
        add_case(std::move(c));
    }
    loose_cases.clear();
    loose_output.clear();
}

// "--- FAIL: TestX/sub (0.01s)" and the indented lines after it.
bool BuildBuilder::Impl::on_plain_case_line(std::string_view line) {
    std::string_view t = line;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    std::string status = starts_with(t, "--- FAIL: ") ? "fail"
                       : starts_with(t, "--- PASS: ") ? "pass"
                       : starts_with(t, "--- SKIP: ") ? "skip" : "";
    if (status.empty()) {
        if (!loose_cases.empty() && loose_cases.back().status != "pass" && starts_with(line, "    "))
            keep_output(loose_output.back(), line);
        return false;
    }
    t.remove_prefix(10);
    TestCase c;
    c.status = status;
    auto paren = t.rfind(" (");
    c.name.assign(t.substr(0, paren));
    if (paren != std::string_view::npos) c.elapsed = std::strtod(std::string(t.substr(paren + 2)).c_str(), nullptr);
    loose_cases.push_back(std::move(c));
    loose_output.emplace_back();
    return true;
}

// A test2json event of one test (Action pass, fail, skip or output).
void BuildBuilder::Impl::on_json_case_event(std::string_view line) {
    // Decode only the events that matter (run, pause, cont, start... do not).
    auto at = line.find("\"Action\":\"");
    if (at == std::string_view::npos) return;
    std::string_view act = line.substr(at + 10, 7);
    if (!starts_with(act, "pass\"") && !starts_with(act, "fail\"") && !starts_with(act, "skip\"") &&
        !starts_with(act, "output\""))
        return;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("Test") || !j["Test"].is_string() || !j.contains("Action")) return;
    std::string pkg = j.value("Package", ""), name = j["Test"].get<std::string>();
    std::string action = j.value("Action", "");
    auto key = std::make_pair(pkg, name);
    if (action == "output") {
        std::string o = j.value("Output", "");
        while (!o.empty() && (o.back() == '\n' || o.back() == '\r')) o.pop_back();
        keep_output(case_output[key], o);
        return;
    }
    if (action != "pass" && action != "fail" && action != "skip") return;
    TestCase c;
    c.package = pkg;
    c.name = name;
    c.status = action;
    if (auto it = j.find("Elapsed"); it != j.end() && it->is_number()) c.elapsed = it->get<double>();
    if (auto it = case_output.find(key); it != case_output.end()) {
        if (action != "pass") set_output(c, it->second);
        case_output.erase(it);
    }
    add_case(std::move(c));
}

void BuildBuilder::Impl::add_case(TestCase&& c) {
    if (out.test_cases.size() < kMaxListedCases) out.test_cases.push_back(std::move(c));
    else ++unlisted_cases;
}

void BuildBuilder::on_stdout_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (starts_with(line, "ok  \t") || starts_with(line, "FAIL\t") || starts_with(line, "?   \t")) {
        m->on_test_output(line);
        return;
    }
    if (starts_with(line, "{\"") && line.find("\"Test\":\"") != std::string_view::npos) {
        m->on_json_case_event(line);
        // (a test's event is never a package result line)
        return;
    }
    if (!starts_with(line, "{")) {
        m->on_plain_case_line(line);
        return;
    }
    // go test -json: the package result line is the Output of an "output"
    // event. Only those lines are decoded (test2json escapes "\t" as \t).
    if (starts_with(line, "{") &&
        (line.find("\"Output\":\"ok  \\t") != std::string_view::npos ||
         line.find("\"Output\":\"FAIL\\t") != std::string_view::npos ||
         line.find("\"Output\":\"?   \\t") != std::string_view::npos)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("Output") || !j["Output"].is_string()) return;
        std::string out = j["Output"].get<std::string>();
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
        m->on_test_output(out);
    }
}

} // namespace gox::model
