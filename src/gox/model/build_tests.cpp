// go test's stdout (result lines, "--- FAIL" cases, test2json events, read
// by trace/test_lines.hpp) and go's own messages, applied to test results,
// test cases and failures.
#include <gox/model/build_impl.hpp>
#include <gox/trace/test_lines.hpp>

namespace gox::model {

void BuildBuilder::Impl::on_test_output(std::string_view line) {
    auto read = trace::read_test_result(line);
    if (!read) return;
    TestResult r;
    r.status = read->status;
    r.cached = read->cached;
    keep(r.import_path, read->package);
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
    auto read = trace::read_test_case_line(line);
    if (!read) {
        if (!loose_cases.empty() && loose_cases.back().status != "pass" && starts_with(line, "    "))
            keep_output(loose_output.back(), line);
        return false;
    }
    TestCase c;
    c.status = read->status;
    c.name.assign(read->name);
    if (read->elapsed) c.elapsed = *read->elapsed;
    loose_cases.push_back(std::move(c));
    loose_output.emplace_back();
    return true;
}

// A test2json event of one test (Action pass, fail, skip or output).
void BuildBuilder::Impl::on_json_case_event(std::string_view line) {
    auto read = trace::read_test2json_case(line);
    if (!read) return;
    auto key = std::make_pair(read->package, read->test);
    if (read->action == "output") {
        keep_output(case_output[key], read->output);
        return;
    }
    TestCase c;
    c.package = read->package;
    c.name = read->test;
    c.status = read->action;
    if (read->elapsed) c.elapsed = *read->elapsed;
    if (auto it = case_output.find(key); it != case_output.end()) {
        if (c.status != "pass") set_output(c, it->second);
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
    switch (trace::test_stdout_line(line)) {
    case trace::TestStdoutLine::Result: m->on_test_output(line); return;
    case trace::TestStdoutLine::Test2JsonCase: m->on_json_case_event(line); return;
    case trace::TestStdoutLine::Plain: m->on_plain_case_line(line); return;
    case trace::TestStdoutLine::Test2JsonOther:
        if (auto out = trace::test2json_result(line)) m->on_test_output(*out);
        return;
    }
}

} // namespace gox::model
