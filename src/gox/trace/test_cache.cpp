// Reading go's GODEBUG=gocachetest=1 lines (test_cache.hpp).

#include <gox/trace/test_cache.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>

namespace gox::trace {

using util::starts_with;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// go prints the key of a test ID as the hex of its 20-character string.
std::string unhex(std::string_view h) {
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    if (h.size() % 2) return std::string(h);
    for (std::size_t i = 0; i < h.size(); i += 2) {
        int a = nib(h[i]), b = nib(h[i + 1]);
        if (a < 0 || b < 0) return std::string(h);
        out += static_cast<char>(a * 16 + b);
    }
    return out;
}

std::string_view word(std::string_view s) { return s.substr(0, s.find(' ')); }

} // namespace

const TestLookup* TestCacheInfo::hit_lookup() const {
    for (const auto& l : lookups)
        if (l.result == TestLookup::Result::Pending && !l.input_id.empty()) return &l;
    return nullptr;
}

bool TestCacheInfo::hit() const { return hit_lookup() != nullptr; }

std::vector<std::string> TestCacheInfo::test_ids() const {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
        if (!id.empty() && !contains(out, id)) out.push_back(id);
    };
    for (const auto& l : lookups) add(l.test_id);
    for (const auto& s : saves) add(s.first);
    return out;
}

namespace {

// "save test ID <testID> => input ID <inputID> => <key>", or "test ID ..."
// (msg without "test ID "): a lookup starts, or its input list was found.
void read_test_id(TestCacheInfo& t, TestLookup* cur, std::string_view msg) {
    if (starts_with(msg, "save test ID ")) {
        std::string_view rest = msg.substr(13);
        auto in = rest.find(" => input ID ");
        if (in != std::string_view::npos) t.saves.emplace_back(word(rest), word(rest.substr(in + 13)));
        return;
    }
    std::string_view rest = msg.substr(8);
    auto in = rest.find(" => input ID ");
    if (in != std::string_view::npos) {
        // "test ID <testID> => input ID <inputID> => <key>": the list was found.
        std::string id(word(rest));
        if (cur && cur->test_id == id) cur->input_id = std::string(word(rest.substr(in + 13)));
    } else if (auto arrow = rest.find(" => "); arrow != std::string_view::npos) {
        // "test ID <hex of the key> => <testID>": a lookup starts.
        TestLookup l;
        l.key = unhex(rest.substr(0, arrow));
        l.test_id = std::string(word(rest.substr(arrow + 4)));
        t.lookups.push_back(std::move(l));
    }
}

// "input file <path>: file used as input is too new" (computeTestInputsID),
// while looking up (the lookup has no input ID yet) or while saving.
void read_input_file(TestCacheInfo& t, TestLookup* cur, std::string_view msg) {
    std::string_view rest = msg.substr(11);
    auto sep = rest.rfind(": ");
    std::string path(rest.substr(0, sep));
    if (rest.find("too new") == std::string_view::npos) return;
    t.too_new = path;
    if (cur && cur->result == TestLookup::Result::Pending && cur->input_id.empty()) {
        cur->result = TestLookup::Result::TooNew;
        cur->detail = path;
    } else {
        t.save_too_new = true;
    }
}

// One "<package>: <msg>" line about a test.
void read_test_message(TestCacheInfo& t, std::string_view msg) {
    TestLookup* cur = t.lookups.empty() ? nullptr : &t.lookups.back();
    auto set = [&](TestLookup::Result r) {
        if (cur && cur->result == TestLookup::Result::Pending) cur->result = r;
    };
    if (starts_with(msg, "save test ID ") || starts_with(msg, "test ID ")) {
        read_test_id(t, cur, msg);
    } else if (starts_with(msg, "input list not found") || starts_with(msg, "input list malformed")) {
        set(TestLookup::Result::NoInputList);
    } else if (starts_with(msg, "input file ")) {
        read_input_file(t, cur, msg);
    } else if (starts_with(msg, "test output not found") || starts_with(msg, "test output malformed")) {
        set(TestLookup::Result::NoOutput);
    } else if (starts_with(msg, "test output expired")) {
        set(TestLookup::Result::Expired);
    } else if (starts_with(msg, "cached cover profile missing") || starts_with(msg, "coverage metadata changed")) {
        set(TestLookup::Result::CoverChanged);
    }
}

} // namespace

void TestCacheCollector::feed(std::string_view line) {
    if (!starts_with(line, "testcache: ")) return;
    m_any = true;
    line.remove_prefix(11);
    if (starts_with(line, "caching disabled for test argument: ")) {
        std::string arg(line.substr(36));
        if (!contains(m_uncacheable, arg)) m_uncacheable.push_back(arg);
        return;
    }
    if (starts_with(line, "caching disabled in local directory mode")) {
        m_local = true;
        return;
    }
    constexpr std::string_view kOutside = "caching disabled for package outside of module root, GOPATH, or GOROOT: ";
    if (starts_with(line, kOutside)) {
        m_tests[std::string(line.substr(kOutside.size()))].disabled = "package outside of module root, GOPATH, or GOROOT";
        return;
    }
    auto colon = line.find(": ");
    if (colon == std::string_view::npos) return;
    TestCacheInfo& t = m_tests[std::string(line.substr(0, colon))];
    read_test_message(t, line.substr(colon + 2));
}

} // namespace gox::trace
