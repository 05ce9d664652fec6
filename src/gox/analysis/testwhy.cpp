#include <gox/analysis/reasons.hpp>
#include <gox/analysis/testwhy.hpp>
#include <gox/analysis/why.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace gox::analysis {

using util::starts_with;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (const auto& x : a)
        if (contains(b, x)) return true;
    return false;
}

} // namespace

// ---- flags ------------------------------------------------------------------

namespace {

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p < s.size()) {
        auto b = s.find_first_not_of(" \t\n", p);
        if (b == std::string_view::npos) break;
        auto e = s.find_first_of(" \t\n", b);
        out.emplace_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
        p = e == std::string_view::npos ? s.size() : e;
    }
    return out;
}

struct TestFlag {
    std::string name, value; // value "" and has_value false for a bare boolean flag
    bool has_value = false;
    std::string text;         // as given (with its value when separate)
};

// go test's flags of args (the command line) then GOFLAGS; stops at -args.
// packages: set when args name a package.
std::vector<TestFlag> scan_test_flags(const std::vector<std::string>& args, std::string_view goflags,
                                      bool* packages) {
    std::vector<TestFlag> out;
    auto scan = [&](const std::vector<std::string>& words, bool from_goflags) {
        for (std::size_t i = 0; i < words.size(); ++i) {
            std::string_view a = words[i];
            if (a == "-args" || a == "--args" || a == "--") break;
            if (a.empty() || a[0] != '-') {
                if (packages && !from_goflags) *packages = true;
                continue;
            }
            std::string_view f = a.substr(a.size() > 1 && a[1] == '-' ? 2 : 1);
            if (starts_with(f, "test.")) f.remove_prefix(5);
            auto eq = f.find('=');
            std::string_view name = f.substr(0, eq);
            // go test's own test flags (as -name or -test.name); build flags
            // and packages are not test flags.
            const trace::GoFlag* gf = trace::find_go_flag(name);
            bool is_test_flag = gf && gf->test_flag;
            bool valued = gf && gf->takes_value;
            bool separate = valued && eq == std::string_view::npos && i + 1 < words.size() && !from_goflags;
            if (is_test_flag) {
                TestFlag t;
                t.name = std::string(name);
                t.text = std::string(a);
                if (eq != std::string_view::npos) {
                    t.value = std::string(f.substr(eq + 1));
                    t.has_value = true;
                } else if (separate) {
                    t.value = words[i + 1];
                    t.has_value = true;
                    t.text += "=" + words[i + 1];
                }
                out.push_back(std::move(t));
            }
            if (separate) ++i;
        }
    };
    scan(args, false);
    scan(split_words(goflags), true);
    return out;
}

bool is_cacheable(std::string_view name) {
    const trace::GoFlag* f = trace::find_go_flag(name);
    return f && f->cacheable;
}

bool in_test_id(std::string_view name) {
    const trace::GoFlag* f = trace::find_go_flag(name);
    return f && f->in_test_id;
}

} // namespace

std::string uncacheable_test_flag(const std::vector<std::string>& args, std::string_view goflags) {
    bool any_package = false;
    for (const auto& f : scan_test_flags(args, goflags, &any_package))
        if (!is_cacheable(f.name)) return f.text;
    return any_package ? "" : "local directory mode (no package named)";
}

std::vector<std::string> cacheable_test_args(const std::vector<std::string>& args, std::string_view goflags) {
    std::vector<std::string> out;
    for (const auto& f : scan_test_flags(args, goflags, nullptr))
        if (in_test_id(f.name)) out.push_back("-" + f.name + (f.has_value ? "=" + f.value : ""));
    return out;
}

bool test_inputs_include_godebug(std::string_view v) {
    if (!starts_with(v, "go1.")) return starts_with(v, "devel");
    v.remove_prefix(4);
    int minor = 0;
    for (std::size_t i = 0; i < v.size() && v[i] >= '0' && v[i] <= '9' && minor < 1000; ++i) minor = minor * 10 + (v[i] - '0');
    return minor >= 23;
}

std::map<std::string, std::string> test_inputs_by_sum(const std::vector<HashRecord>& records) {
    return records_by(records, "testInputs", false);
}

// ---- TestRecord -------------------------------------------------------------

std::string TestRecord::to_json() const {
    nlohmann::json s = {{"test_ids", stored.test_ids}, {"input_id", stored.input_id},
                        {"link_id", stored.link_id},   {"binary_id", stored.binary_id},
                        {"args", stored.args},         {"godebug", stored.godebug}};
    if (!stored.inputs.empty()) s["inputs"] = nlohmann::json::parse(stored.inputs, nullptr, false);
    nlohmann::json j = {{"v", 2},           {"status", status},       {"link_id", link_id},
                        {"binary_id", binary_id}, {"args", args},     {"godebug", godebug},
                        {"goflags", goflags}, {"go_version", go_version}, {"uncacheable", uncacheable},
                        {"why", why},       {"test_ids", test_ids},   {"input_id", input_id},
                        {"too_new", too_new},     {"saved", saved}};
    if (!inputs.empty()) j["inputs"] = nlohmann::json::parse(inputs, nullptr, false);
    if (stored.known) j["stored"] = s;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TestRecord TestRecord::from_history(const std::string& inputs, const std::string& action_id,
                                    const std::string& content_id, const std::string& outcome) {
    TestRecord r;
    r.status = outcome;
    auto j = nlohmann::json::parse(inputs, nullptr, false);
    auto str = [](const nlohmann::json& o, const char* k) {
        return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
    };
    auto strs = [](const nlohmann::json& o, const char* k) {
        std::vector<std::string> v;
        if (o.contains(k) && o[k].is_array())
            for (const auto& x : o[k])
                if (x.is_string()) v.push_back(x.get<std::string>());
        return v;
    };
    auto chunks = [](const nlohmann::json& o) {
        return o.contains("inputs") && o["inputs"].is_array() ? o["inputs"].dump() : std::string();
    };
    if (j.is_object()) {
        r.link_id = str(j, "link_id");
        r.binary_id = str(j, "binary_id");
        r.args = strs(j, "args");
        r.godebug = str(j, "godebug");
        r.goflags = str(j, "goflags");
        r.go_version = str(j, "go_version");
        r.uncacheable = str(j, "uncacheable");
        r.why = j.value("why", false);
        r.test_ids = strs(j, "test_ids");
        r.input_id = str(j, "input_id");
        r.inputs = chunks(j);
        r.too_new = str(j, "too_new");
        r.saved = j.value("saved", false);
        if (j.contains("stored") && j["stored"].is_object()) {
            const auto& s = j["stored"];
            r.stored.known = true;
            r.stored.test_ids = strs(s, "test_ids");
            r.stored.input_id = str(s, "input_id");
            r.stored.inputs = chunks(s);
            r.stored.link_id = str(s, "link_id");
            r.stored.binary_id = str(s, "binary_id");
            r.stored.args = strs(s, "args");
            r.stored.godebug = str(s, "godebug");
        }
        return r;
    }
    // Older gox: one test ID (the last go printed), the input ID and the
    // chunks; nothing else.
    r.why = !action_id.empty();
    if (r.why) r.test_ids = {action_id};
    r.input_id = content_id;
    if (j.is_array()) r.inputs = inputs;
    r.saved = outcome == "cached" || (outcome == "ok" && r.why);
    if (r.why && (outcome == "ok" || outcome == "cached")) {
        r.stored.known = true;
        r.stored.test_ids = r.test_ids;
        r.stored.input_id = r.input_id;
        r.stored.inputs = r.inputs;
    }
    return r;
}

// ---- the decision -----------------------------------------------------------

namespace {

struct Decision {
    Reason reason;
    std::string detail;
};

std::string join(const std::vector<std::string>& v, std::string_view sep = " ") {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
    return out;
}

// The same test binary: the same link inputs, or the same linked bytes.
// nullopt when the IDs are not known on both sides.
std::optional<bool> same_binary(const TestRecord& cur, const std::string& link_id, const std::string& binary_id) {
    if (cur.link_id.empty() || link_id.empty()) return std::nullopt;
    if (cur.link_id == link_id) return true;
    if (!cur.binary_id.empty() && cur.binary_id == binary_id) return true;
    return false;
}

class Decider {
public:
    Decider(const model::Build& b, const TestRunFacts& f, const model::TestResult& t, const TestRecord& cur,
            const TestCacheInfo* info, const TestRecord* prev)
        : m_b(b), m_f(f), m_t(t), m_cur(cur), m_info(info), m_prev(prev) {}

    Decision decide() const {
        const auto* tc = m_f.testcache;
        // 1. go did not cache this run at all.
        if (tc && (!tc->uncacheable_args().empty() || tc->local_directory_mode() || (m_info && !m_info->disabled.empty()))) {
            if (!tc->uncacheable_args().empty())
                return {Reason::UncacheableFlag, m_cur.uncacheable.empty() ? join(tc->uncacheable_args(), ", ") : m_cur.uncacheable};
            if (tc->local_directory_mode()) return {Reason::UncacheableFlag, "local directory mode (no package named)"};
            return {Reason::UncacheableFlag, m_info->disabled};
        }
        if (!m_cur.uncacheable.empty()) return {Reason::UncacheableFlag, m_cur.uncacheable};
        // 2. A file it read is too new to look the result up.
        if (m_info)
            for (const auto& l : m_info->lookups)
                if (l.result == TestLookup::Result::TooNew) return {Reason::TestFileTooNew, l.detail};
        if (!m_prev) return {Reason::NoHistory, ""};
        const TestRecord& p = *m_prev;
        if (m_info) {
            for (const auto& l : m_info->lookups)
                if (l.result == TestLookup::Result::Expired) return {Reason::TestResultMissing, "go clean -testcache"};
            // 3. go found the list of what the test read under a test ID, but
            // no output for those values: what it read changed.
            for (const auto& l : m_info->lookups) {
                if (l.input_id.empty()) continue;
                if (l.result == TestLookup::Result::CoverChanged)
                    return {Reason::TestBinaryChanged, "a package covered by -coverpkg changed, or the cover profile was gone"};
                if (p.why && contains(p.test_ids, l.test_id) && p.input_id == l.input_id && !p.saved)
                    return not_saved_by_prev();
                if (p.stored.known && contains(p.stored.test_ids, l.test_id)) {
                    if (p.stored.input_id == l.input_id)
                        return {Reason::TestResultMissing, "the result saved for these inputs is gone from the cache"};
                    if (auto d = input_change(p.stored.inputs, l.input_id)) return *d;
                }
                return inputs_unknown(p);
            }
            // 4. No list under any test ID.
            auto ids = m_info->test_ids();
            if (p.stored.known && intersects(p.stored.test_ids, ids))
                return {Reason::TestResultMissing, "go's record of what the test read is gone from the cache"};
            if (p.why && intersects(p.test_ids, ids) && !p.saved) return not_saved_by_prev();
        }
        // 5. The test binary or its flags, against the previous run and the
        // newest result go saved.
        bool same_prev = same_binary(m_cur, p.link_id, p.binary_id).value_or(!relinked());
        if (!p.saved && p.uncacheable.empty() && same_prev && m_cur.args == p.args && !m_info)
            return not_saved_by_prev();
        if (!p.stored.known) {
            if (!same_prev) return {Reason::TestBinaryChanged, binary_detail(p)};
            if (m_cur.args != p.args) return args_changed(p.args);
            return not_saved_by_prev();
        }
        const TestRecord::Stored& base = p.stored;
        if (!same_binary(m_cur, base.link_id, base.binary_id).value_or(same_prev))
            return {Reason::TestBinaryChanged, binary_detail(p)};
        if (m_cur.args != base.args) return args_changed(base.args);
        if (m_info) return {Reason::TestResultMissing, "go's record of what the test read is gone from the cache"};
        return inputs_unknown(p);
    }

private:
    Decision args_changed(const std::vector<std::string>& before) const {
        return {Reason::TestArgsChanged, "[" + join(before) + "] → [" + join(m_cur.args) + "]"};
    }

    // The previous run ran the same test with the same inputs and left no result.
    Decision not_saved_by_prev() const {
        const TestRecord& p = *m_prev;
        if (!p.too_new.empty()) return {Reason::TestFileTooNew, "previous run: " + p.too_new};
        if (p.status == "fail") return {Reason::TestNotCachedBefore, "the previous run failed"};
        if (!p.uncacheable.empty()) return {Reason::TestNotCachedBefore, "the previous run had " + p.uncacheable};
        return {Reason::TestResultMissing, "go's record of what the test read is gone from the cache"};
    }

    // The first testInputs entry that differs between what go saved and now.
    std::optional<Decision> input_change(const std::string& saved_inputs, const std::string& input_id) const {
        if (saved_inputs.empty() || !m_f.test_inputs) return std::nullopt;
        auto cur = m_f.test_inputs->find(input_id);
        if (cur == m_f.test_inputs->end()) return std::nullopt;
        for (const auto& c : diff_inputs(chunks_from_json(saved_inputs), chunks_from_json(cur->second))) {
            // An env var or a file the test read (the reason column of GOX_HASH_INPUTS).
            Reason r = input_reason(c.id);
            if (r == Reason::TestEnvChanged || r == Reason::TestFileChanged) return Decision{r, c.key};
        }
        return std::nullopt;
    }

    // Something the test read changed, but which is not known (no --why on
    // one side): GODEBUG is the one gox can see.
    Decision inputs_unknown(const TestRecord& p) const {
        const std::string& before = p.stored.known && !p.saved ? p.stored.godebug : p.godebug;
        if (before != m_cur.godebug && test_inputs_include_godebug(m_cur.go_version)) {
            bool gox = m_cur.why != p.why;
            return {Reason::TestEnvChanged,
                    gox ? "GODEBUG (gox --why adds gocachehash=1,gocachetest=1 to it)" : "GODEBUG"};
        }
        return {Reason::TestInputsChanged, ""};
    }

    // Whether a package of the test binary was compiled in this run (the
    // test binary changed), when the action graph gave no link IDs.
    bool relinked() const {
        for (const auto& pk : m_b.packages)
            if (pk.for_test == m_t.import_path + ".test" && pk.outcome == model::Outcome::Rebuilt) return true;
        return false;
    }

    std::string binary_detail(const TestRecord& p) const {
        if (!p.go_version.empty() && p.go_version != m_cur.go_version) return "Go " + p.go_version + " → " + m_cur.go_version;
        if (p.goflags != m_cur.goflags) return "GOFLAGS \"" + p.goflags + "\" → \"" + m_cur.goflags + "\"";
        std::vector<std::string> rebuilt;
        for (const auto& pk : m_b.packages)
            if (pk.outcome == model::Outcome::Rebuilt && !pk.standard &&
                (pk.for_test == m_t.import_path + ".test" || pk.import_path == m_t.import_path) &&
                !contains(rebuilt, pk.import_path) && rebuilt.size() < 3)
                rebuilt.push_back(pk.import_path);
        return rebuilt.empty() ? "its link inputs changed" : "rebuilt: " + join(rebuilt, ", ");
    }

    const model::Build& m_b;
    const TestRunFacts& m_f;
    const model::TestResult& m_t;
    const TestRecord& m_cur;
    const TestCacheInfo* m_info;
    const TestRecord* m_prev;
};

// ---- steps of decide_test_reasons, per test ---------------------------------

// What go said about the test (--why), or nullptr.
const TestCacheInfo* cache_info_of(const TestRunFacts& f, const std::string& import_path) {
    if (f.testcache)
        if (auto it = f.testcache->tests().find(import_path); it != f.testcache->tests().end()) return &it->second;
    return nullptr;
}

// The test's last run in the history, or nullptr.
const TestRecord* previous_of(const TestRunFacts& f, const std::string& import_path) {
    auto pv = f.previous.find(import_path);
    return pv == f.previous.end() ? nullptr : &pv->second;
}

// This run's status, binary, flags and environment.
TestRecord new_record(const model::TestResult& t, const TestRunFacts& f, const std::vector<std::string>& args) {
    TestRecord r;
    r.status = t.cached ? "cached" : t.status;
    r.link_id = t.link_action_id;
    r.binary_id = t.binary_id;
    r.args = args;
    r.godebug = f.godebug;
    r.goflags = f.goflags;
    r.go_version = f.go_version;
    return r;
}

// Sets r.why and what made the run uncacheable: go's word for it when its
// testcache lines came, else uncacheable (from the flags).
void set_uncacheable(TestRecord& r, const TestRunFacts& f, const TestCacheInfo* info, const std::string& uncacheable) {
    if (f.testcache && f.testcache->any()) {
        r.why = true;
        if (!f.testcache->uncacheable_args().empty())
            r.uncacheable = uncacheable.empty() ? join(f.testcache->uncacheable_args(), ", ") : uncacheable;
        else if (f.testcache->local_directory_mode()) r.uncacheable = "local directory mode (no package named)";
        else if (info && !info->disabled.empty()) r.uncacheable = info->disabled;
    } else {
        r.uncacheable = uncacheable;
    }
}

// Sets the test IDs, input ID and inputs go printed, and returns whether the
// result was saved (or came from the cache).
bool set_ids(TestRecord& r, const model::TestResult& t, const TestRunFacts& f, const TestCacheInfo* info) {
    if (!info) {
        // Without go's lines: a passing, cacheable run was saved (unless
        // a file was too new, which only --why shows).
        return t.cached || (t.status == "ok" && r.uncacheable.empty() && !r.why);
    }
    r.test_ids = info->test_ids();
    r.too_new = info->too_new;
    if (const auto* h = info->hit_lookup()) r.input_id = h->input_id;
    else if (!info->saves.empty()) r.input_id = info->saves.front().second;
    else
        for (const auto& l : info->lookups)
            if (!l.input_id.empty()) r.input_id = l.input_id;
    if (!r.input_id.empty() && f.test_inputs)
        if (auto in = f.test_inputs->find(r.input_id); in != f.test_inputs->end()) r.inputs = in->second;
    return info->hit() || !info->saves.empty();
}

// Sets r.stored: this run's result when it was saved, else the previous
// run's record of the newest saved one.
void set_stored(TestRecord& r, const model::TestResult& t, const TestRecord* prev) {
    if (r.saved) {
        r.stored.known = true;
        r.stored.test_ids = r.test_ids;
        r.stored.input_id = r.input_id;
        r.stored.inputs = r.inputs;
        r.stored.link_id = r.link_id;
        r.stored.binary_id = r.binary_id;
        r.stored.args = r.args;
        r.stored.godebug = r.godebug;
        // A cached run was not linked: keep the binary ID go saved it
        // with, and the other test ID it was saved under.
        if (t.cached && prev && prev->stored.known && prev->stored.link_id == r.link_id) {
            r.stored.binary_id = prev->stored.binary_id;
            if (prev->stored.input_id == r.input_id)
                for (const auto& id : prev->stored.test_ids)
                    if (!contains(r.stored.test_ids, id)) r.stored.test_ids.push_back(id);
        }
    } else if (prev) {
        r.stored = prev->stored;
    }
}

// The verdict of a test that ran, from d.
Verdict verdict_of(const Decision& d, const TestCacheInfo* info) {
    Verdict v;
    v.reason = d.reason;
    v.detail = d.detail;
    // Whatever made it run, say that this result was not cached either.
    if (info && info->save_too_new && d.reason != Reason::TestFileTooNew)
        v.detail += (v.detail.empty() ? "" : "; ") + std::string("result not cached: ") + info->too_new +
                    " is less than 2 s old";
    return v;
}

} // namespace

TestDecisions decide_test_reasons(const model::Build& b, const TestRunFacts& f) {
    TestDecisions out;
    out.verdicts.resize(b.tests.size());
    std::string uncacheable = uncacheable_test_flag(f.args, f.goflags);
    auto args = cacheable_test_args(f.args, f.goflags);
    for (std::size_t i = 0; i < b.tests.size(); ++i) {
        const model::TestResult& t = b.tests[i];
        bool ran = !t.cached && (t.status == "ok" || t.status == "fail");
        if (!ran && !t.cached) continue;
        const TestCacheInfo* info = cache_info_of(f, t.import_path);
        const TestRecord* prev = previous_of(f, t.import_path);

        TestRecord r = new_record(t, f, args);
        set_uncacheable(r, f, info, uncacheable);
        r.saved = set_ids(r, t, f, info);
        set_stored(r, t, prev);
        if (ran) out.verdicts[i] = verdict_of(Decider(b, f, t, r, info, prev).decide(), info);
        out.records[t.import_path] = std::move(r);
    }
    return out;
}

} // namespace gox::analysis
