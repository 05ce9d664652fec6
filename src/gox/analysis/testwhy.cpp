#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/util/strings.hpp>


namespace gox::analysis {

using util::starts_with;

void TestCacheCollector::feed(std::string_view line) {
    if (!starts_with(line, "testcache: ")) return;
    line.remove_prefix(11);
    if (starts_with(line, "caching disabled for test argument: ")) {
        std::string arg(line.substr(36));
        for (const auto& a : m_uncacheable)
            if (a == arg) return;
        m_uncacheable.push_back(arg);
        return;
    }
    auto colon = line.find(": ");
    if (colon == std::string_view::npos) return;
    std::string pkg(line.substr(0, colon));
    std::string_view msg = line.substr(colon + 2);
    TestCacheInfo& t = m_tests[pkg];
    auto field_after = [&](std::string_view text, std::string_view key) -> std::string_view {
        auto k = text.find(key);
        if (k == std::string_view::npos) return {};
        std::string_view v = text.substr(k + key.size());
        return v.substr(0, v.find(' '));
    };
    bool save = starts_with(msg, "save ");
    if (save) msg.remove_prefix(5);
    if (starts_with(msg, "test ID ")) {
        std::string_view rest = msg.substr(8);
        std::string_view first = rest.substr(0, rest.find(' '));
        std::string_view input = field_after(rest, "=> input ID ");
        std::string_view second = field_after(rest, " => ");
        if (!input.empty()) {
            // "test ID <testID> => input ID <inputID> => <output>"
            t.test_id = std::string(first);
            t.input_id = std::string(input);
            if (save) t.saved = true;
            else t.hit = true; // found the output entry for these inputs
        } else if (second.size() == 64) {
            // "test ID <binary ID hex> => <testID>"
            t.test_id = std::string(second);
        }
    }
}

std::string uncacheable_test_flag(const std::vector<std::string>& args) {
    // go test's own test flags (as -name or -test.name); build flags and
    // packages are not test flags.
    static constexpr std::string_view kTestFlags[] = {
        "bench", "benchmem", "benchtime", "blockprofile", "blockprofilerate", "count", "coverprofile", "cpu",
        "cpuprofile", "failfast", "fullpath", "fuzz", "fuzzminimizetime", "fuzztime", "json", "list", "memprofile",
        "memprofilerate", "mutexprofile", "mutexprofilefraction", "outputdir", "parallel", "run", "short", "shuffle",
        "skip", "timeout", "trace", "v", "vet", "artifacts"};
    static constexpr std::string_view kCacheable[] = {"benchtime", "cpu", "list", "parallel", "run", "short",
                                                      "timeout", "failfast", "fullpath", "v", "vet", "json"};
    static constexpr std::string_view kValued[] = {"benchtime", "blockprofile", "blockprofilerate", "count",
        "coverprofile", "cpu", "cpuprofile", "fuzz", "fuzzminimizetime", "fuzztime", "list", "memprofile",
        "memprofilerate", "mutexprofile", "mutexprofilefraction", "outputdir", "parallel", "run", "shuffle",
        "skip", "timeout", "trace", "vet", "bench", "o", "p", "C", "tags", "gcflags", "ldflags", "asmflags",
        "exec", "covermode", "coverpkg", "mod", "modfile", "overlay", "pgo", "pkgdir", "toolexec", "buildmode",
        "compiler", "gccgoflags", "installsuffix"};
    bool any_package = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "-args" || a == "--args" || a == "--") break;
        if (a.empty() || a[0] != '-') {
            any_package = true;
            continue;
        }
        std::string_view f = a.substr(a.size() > 1 && a[1] == '-' ? 2 : 1);
        if (starts_with(f, "test.")) f.remove_prefix(5);
        auto eq = f.find('=');
        std::string_view name = f.substr(0, eq);
        bool is_test_flag = false, cacheable = false, valued = false;
        for (auto t : kTestFlags) is_test_flag = is_test_flag || t == name;
        for (auto c : kCacheable) cacheable = cacheable || c == name;
        for (auto v : kValued) valued = valued || v == name;
        if (is_test_flag && !cacheable) return std::string(a) + (eq == std::string_view::npos && valued && i + 1 < args.size() ? "=" + args[i + 1] : "");
        if (valued && eq == std::string_view::npos) ++i;
    }
    return any_package ? "" : "local directory mode (no package named)";
}

std::map<std::string, std::string> test_inputs_by_sum(const std::vector<HashRecord>& records) {
    return records_by(records, "testInputs", false);
}


std::vector<TestReason> test_reasons(const TestCacheCollector& tc, const std::vector<std::string>& ran_packages,
                                     const std::map<std::string, PrevTest>& prev,
                                     const std::map<std::string, std::string>& inputs_by_id) {
    std::vector<TestReason> out;
    for (const auto& pkg : ran_packages) {
        TestReason r;
        r.package = pkg;
        auto it = tc.tests().find(pkg);
        auto pv = prev.find(pkg);
        if (!tc.uncacheable_args().empty()) {
            r.reason = std::string(reason_name(Reason::UncacheableFlag));
            for (const auto& a : tc.uncacheable_args()) r.detail += (r.detail.empty() ? "" : ", ") + a;
        } else if (it == tc.tests().end()) {
            continue; // go said nothing about it (no testcache lines: caching not attempted)
        } else if (pv == prev.end()) {
            r.reason = std::string(reason_name(Reason::NoHistory));
        } else if (pv->second.test_id.empty()) {
            continue; // the previous run had no --why: keep the cheap reason
        } else if (!it->second.test_id.empty() && it->second.test_id != pv->second.test_id) {
            r.reason = std::string(reason_name(Reason::TestBinaryChanged));
            r.detail = "the test binary or its arguments changed";
        } else if (!it->second.input_id.empty() && !pv->second.input_id.empty() &&
                   it->second.input_id != pv->second.input_id) {
            // What the test read changed: name it from the testInputs records.
            auto cur = inputs_by_id.find(it->second.input_id);
            r.reason = std::string(reason_name(Reason::TestFileChanged));
            r.detail = "an input the test read changed (run with --why to name it)";
            if (cur != inputs_by_id.end() && !pv->second.inputs.empty()) {
                for (const auto& c : diff_inputs(chunks_from_json(pv->second.inputs), chunks_from_json(cur->second))) {
                    if (c.id == "test_env") {
                        r.reason = std::string(reason_name(Reason::TestEnvChanged));
                        r.detail = c.key;
                    } else {
                        r.reason = std::string(reason_name(Reason::TestFileChanged));
                        r.detail = c.key;
                    }
                    break;
                }
            }
        } else {
            r.reason = std::string(reason_name(Reason::TestResultMissing));
        }
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace gox::analysis
