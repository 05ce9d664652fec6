// The cache program's record joined to the model (cache_program.hpp): gets
// attributed to packages by action ID, totals per tier, and the causes.

#include <gox/analysis/cache_program.hpp>

#include <gox/analysis/test_key.hpp>

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/protocol.hpp>
#include <gox/trace/hash_stream.hpp>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <unordered_map>

namespace gox::analysis {

namespace {

struct CauseInfo {
    const char* name;
    const char* description;
};
constexpr CauseInfo kCauses[] = {
#define X(id, name, desc) {name, desc},
    GOX_CACHEPROG_CAUSES(X)
#undef X
};

// The entries go keeps under subkeys of a build or link action's full ID
// (cmd/go/internal/work: buildid.go, exec.go). A cgo package's generated
// files, named by its "srcfiles" entry, are not among them.
constexpr std::array<const char*, 5> kSubkeys = {"stdout", "link-stdout", "srcfiles", "fix.zip", "_cgo_install.h"};

// Below this wait a hit cannot cost more than a compile: its compile time is
// not looked up (a local hit takes well under a millisecond).
constexpr double kAskCompileAbove = 0.005;

// cmd/go's cache.Subkey, in hex. Five per action of the build: one fetched
// digest and one context for all of them (a fresh EVP context and an
// implicit fetch per hash cost more than the hash).
std::string subkey_hex(const std::string& parent_hex, const char* desc) {
    auto raw = cacheprog::unhex(parent_hex);
    if (!raw) return {};
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static EVP_MD_CTX* const ctx = EVP_MD_CTX_new();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, nullptr) || !EVP_DigestUpdate(ctx, "subkey:", 7) ||
        !EVP_DigestUpdate(ctx, raw->data(), raw->size()) || !EVP_DigestUpdate(ctx, desc, std::strlen(desc)) ||
        !EVP_DigestFinal_ex(ctx, out, &n))
        return cacheprog::hex(cacheprog::sha256("subkey:" + *raw + desc));
    return cacheprog::hex(std::string_view(reinterpret_cast<const char*>(out), n));
}

bool disk_full_text(const std::string& e) {
    return e.find("No space left") != std::string::npos || e.find("File too large") != std::string::npos ||
           e.find("quota exceeded") != std::string::npos;
}

CacheCause upstream_cause(const std::string& e) {
    if (e.rfind("upstream DiskPath", 0) == 0 || e.rfind("upstream hit without a DiskPath", 0) == 0)
        return CacheCause::DiskPathVanished;
    if (e.rfind("upstream exited", 0) == 0 || e.rfind("writing to upstream", 0) == 0 ||
        e.rfind("upstream sent an unreadable", 0) == 0 || e.rfind("upstream sent no capabilities", 0) == 0 ||
        e.rfind("upstream cannot", 0) == 0)
        return CacheCause::UpstreamDied;
    return CacheCause::UpstreamErrors;
}

std::string ms(double seconds) { return fmt::format("{:.0f} ms", seconds * 1000); }

std::string package_name(const model::Package& p) {
    return p.for_test.empty() || p.for_test == p.import_path ? p.import_path
                                                             : fmt::format("{} [{}]", p.import_path, p.for_test);
}

class Causes {
public:
    void add(CacheCause c, const std::string& detail, const std::string& example = {}) {
        auto& f = m_found[static_cast<std::size_t>(c)];
        if (f.count++ == 0) {
            f.cause = c;
            f.detail = detail;
        }
        const std::string& ex = example.empty() ? detail : example;
        if (f.examples.size() < 3 && std::find(f.examples.begin(), f.examples.end(), ex) == f.examples.end())
            f.examples.push_back(ex);
    }
    std::vector<CacheCauseFound> take() {
        std::vector<CacheCauseFound> out;
        for (auto& f : m_found)
            if (f.count) out.push_back(std::move(f));
        return out;
    }

private:
    std::array<CacheCauseFound, std::size(kCauses)> m_found{};
};

// The compile time the package took when it was last rebuilt, from the history.
std::optional<double> last_compile(const history::Store& store, const history::Scope& scope, const model::Package& p) {
    std::string variant = p.for_test == p.import_path ? "" : p.for_test;
    for (const auto& e : store.earlier(scope, p.import_path, variant, INT64_MAX, 10))
        if (e.pkg.outcome == "rebuilt" && e.pkg.seconds > 0) return e.pkg.seconds;
    return std::nullopt;
}

// A get's outcome merged into what the earlier ones said: a hit wins, then an error.
void merge_outcome(std::string& into, const std::string& outcome) {
    if (into == "hit" || (into == "error" && outcome != "hit")) return;
    if (into.empty() || outcome == "hit" || outcome == "error") into = outcome;
}

// The import path of a cached test output's last line ("ok  \tP\t0.01s\n"),
// read from its end; "" when it is not one.
std::string tested_package(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff take = std::min<std::streamoff>(size, 4096);
    if (take <= 0) return {};
    std::string tail(static_cast<std::size_t>(take), '\0');
    in.seekg(size - take);
    if (!in.read(tail.data(), take)) return {};
    if (tail.back() != '\n') return {};
    tail.pop_back();
    std::string_view last(tail);
    if (auto nl = last.rfind('\n'); nl != std::string_view::npos) last.remove_prefix(nl + 1);
    if (last.substr(0, 5) != "ok  \t") return {};
    last.remove_prefix(5);
    return std::string(last.substr(0, last.find('\t')));
}

} // namespace

const char* cause_name(CacheCause c) { return kCauses[static_cast<std::size_t>(c)].name; }
const char* cause_description(CacheCause c) { return kCauses[static_cast<std::size_t>(c)].description; }
std::vector<CacheCause> all_cache_causes() {
    return {
#define X(id, name, desc) CacheCause::id,
        GOX_CACHEPROG_CAUSES(X)
#undef X
    };
}

CacheProgramAnalysis analyse_cache_program(const model::Build& b, const CacheProgramRun& run,
                                           const history::Store* store, const history::Scope& scope) {
    CacheProgramAnalysis a;
    a.upstream = run.upstream;
    a.packages.resize(b.packages.size());
    Causes causes;
    static const cacheprog::RecordLog kEmpty;
    const cacheprog::RecordLog& log = run.log ? *run.log : kEmpty;
    a.sessions = log.sessions.size();
    a.totals = log.totals();
    a.bad_lines = log.bad_lines;
    if (log.sessions.empty() && log.requests.empty()) causes.add(CacheCause::NotStarted, "no request was recorded");

    // Which action each 20-character ID is: a package's build (its index),
    // or another action of the graph (-1: attributed, no package row).
    std::unordered_map<std::string, int> by_id;
    if (run.graph)
        for (const auto& g : run.graph->actions)
            if (!g.action_id.empty()) by_id.emplace(g.action_id, -1);
    for (std::size_t i = 0; i < b.packages.size(); ++i)
        if (!b.packages[i].action_id.empty()) by_id[b.packages[i].action_id] = static_cast<int>(i);
    for (const auto& t : b.tests)
        if (!t.link_action_id.empty()) by_id.emplace(t.link_action_id, -1);

    // Direct: the get's ID is an action's. Subkeys of every full ID that is
    // an action's are that action's too.
    std::unordered_map<std::string, int> full; // hex -> package index or -1
    auto direct = [&](const std::string& hex) -> const int* {
        auto it = by_id.find(trace::hash_to_action_id(hex));
        return it == by_id.end() ? nullptr : &it->second;
    };
    for (const auto& r : log.requests) {
        if (r.action_id.empty() || full.count(r.action_id)) continue;
        if (const int* d = direct(r.action_id)) full.emplace(r.action_id, *d);
    }
    std::unordered_map<std::string, int> sub;
    for (const auto& [hex, idx] : full)
        for (const char* k : kSubkeys) sub.emplace(subkey_hex(hex, k), idx);

    // Test results: each test's IDs under each salt.
    a.tests.resize(b.tests.size());
    std::unordered_map<std::string, std::size_t> test_by_id;
    if (run.test_key)
        for (std::size_t i = 0; i < b.tests.size(); ++i)
            for (const std::string* id : {&b.tests[i].link_action_id, &b.tests[i].binary_id})
                if (!id->empty())
                    for (const auto& salt : run.test_salts) test_by_id.emplace(test_id_hex(salt, *id, *run.test_key), i);
    auto count_test_get = [&](TestCacheUse& u, const cacheprog::RequestRecord& r) {
        ++a.attributed_gets;
        ++u.gets;
        u.wait_seconds += static_cast<double>(r.latency_us) / 1e6;
        if (r.outcome == "hit") u.bytes += r.bytes;
    };
    std::vector<const cacheprog::RequestRecord*> loose; // unattributed, while tests are about
    std::int64_t first_id_hit_ns = INT64_MAX; // go asks for an output only after its test ID hit

    std::vector<int> hit_of(b.packages.size(), 0), asked(b.packages.size(), 0), erred(b.packages.size(), 0);
    for (const auto& r : log.requests) {
        // Causes, from every request.
        if (r.upstream.asked && r.upstream.outcome == "error")
            causes.add(upstream_cause(r.upstream.error), r.upstream.error);
        if (!r.local.error.empty() || (r.local.asked && r.local.outcome == "error")) {
            const std::string& e = r.local.error;
            causes.add(disk_full_text(e) ? CacheCause::LocalDiskFull : CacheCause::LocalErrors, e);
        }
        if (r.cmd != "get") continue;
        int idx = -2;
        bool is_direct = false;
        if (auto it = full.find(r.action_id); it != full.end()) {
            idx = it->second;
            is_direct = true;
        } else if (auto s = sub.find(r.action_id); s != sub.end()) {
            idx = s->second;
        }
        if (idx == -2) {
            if (auto t = test_by_id.find(r.action_id); t != test_by_id.end()) {
                TestCacheUse& u = a.tests[t->second];
                count_test_get(u, r);
                merge_outcome(u.id_get, r.outcome);
                if (r.outcome == "hit") first_id_hit_ns = std::min(first_id_hit_ns, r.start_ns);
                continue;
            }
            ++a.unattributed_gets;
            if (r.outcome == "miss") ++a.unattributed_misses;
            if (!test_by_id.empty()) loose.push_back(&r);
            continue;
        }
        ++a.attributed_gets;
        if (idx < 0) continue;
        auto i = static_cast<std::size_t>(idx);
        PackageCacheUse& u = a.packages[i];
        ++u.gets;
        u.wait_seconds += static_cast<double>(r.latency_us) / 1e6;
        if (r.outcome == "hit") u.bytes += r.bytes;
        if (u.error.empty()) u.error = !r.upstream.error.empty() ? r.upstream.error : r.local.error;
        if (!is_direct) continue;
        ++asked[i];
        if (r.outcome == "hit") {
            ++hit_of[i];
            u.source = r.source;
        } else if (r.outcome == "error") {
            ++erred[i];
        }
    }
    // A test's output is under a subkey of its test ID and of what the test
    // read: tied to the test by the output itself (a hit's, or what go put
    // under the same ID after running it), from the local tier.
    if (!loose.empty()) {
        std::unordered_map<std::string, const cacheprog::RequestRecord*> put_of;
        for (const auto& r : log.requests)
            if (r.cmd == "put" && r.outcome == "stored" && !r.output_id.empty()) put_of[r.action_id] = &r;
        std::unordered_map<std::string, std::size_t> test_of;
        for (std::size_t i = b.tests.size(); i-- > 0;) test_of[b.tests[i].import_path] = i;
        std::size_t reads = 0;
        for (const cacheprog::RequestRecord* g : loose) {
            if (g->start_ns < first_id_hit_ns) continue; // go's module index, vet: before any test ran
            const cacheprog::RequestRecord* out = g->outcome == "hit" ? g : nullptr;
            if (!out)
                if (auto p = put_of.find(g->action_id); p != put_of.end()) out = p->second;
            if (!out || out->output_id.empty() || ++reads > 4 * b.tests.size() + 64) continue;
            auto dir = log.local_gocache.find(out->session);
            auto raw = cacheprog::unhex(out->output_id);
            if (dir == log.local_gocache.end() || !raw) continue;
            auto t = test_of.find(tested_package(cacheprog::DiskStore(dir->second).output_path(*raw)));
            if (t == test_of.end()) continue;
            --a.unattributed_gets;
            if (g->outcome == "miss") --a.unattributed_misses;
            TestCacheUse& u = a.tests[t->second];
            count_test_get(u, *g);
            merge_outcome(u.result_get, g->outcome);
            if (g->outcome == "hit") u.source = g->source;
        }
    }
    for (std::size_t i = 0; i < b.tests.size() && run.test_key; ++i) {
        const model::TestResult& t = b.tests[i];
        const TestCacheUse& u = a.tests[i];
        if (t.status != "ok" && t.status != "fail") continue; // not run: no result to look up
        if (u.gets == 0) {
            ++a.tests_without_get;
            continue;
        }
        if (u.result_get == "hit") ++a.tests_hit;
        else if (u.id_get == "hit") ++a.tests_inputs_changed;
        else ++a.tests_never_passed;
        // go says "(cached)" exactly when the output was found.
        if (!u.result_get.empty() && (u.result_get == "hit") != t.cached)
            a.disagreements.push_back(fmt::format("{} [test result]: get {}, go {}", t.import_path, u.result_get,
                                                  t.cached ? "(cached)" : "ran the test"));
    }
    for (const auto& p : log.problems) {
        if (p.message.rfind("upstream exited", 0) == 0) causes.add(CacheCause::UpstreamDied, p.message);
        else causes.add(CacheCause::ProgramProblems, p.message);
        if (a.problems.size() < 5) a.problems.push_back(p.message);
    }

    // Per package: what its get said, against the model's outcome.
    std::vector<std::string> slow;
    for (std::size_t i = 0; i < b.packages.size(); ++i) {
        const model::Package& p = b.packages[i];
        PackageCacheUse& u = a.packages[i];
        if (!asked[i]) {
            if (!p.action_id.empty()) ++a.packages_without_get;
            continue;
        }
        u.get = hit_of[i] ? "hit" : erred[i] ? "error" : "miss";
        if (hit_of[i]) ++a.packages_hit;
        else ++a.packages_missed;
        bool model_hit = p.outcome == model::Outcome::CacheHit;
        bool model_built = p.outcome == model::Outcome::Rebuilt || p.outcome == model::Outcome::Failed;
        if ((hit_of[i] && model_hit) || (!hit_of[i] && model_built)) ++a.agree;
        else
            a.disagreements.push_back(fmt::format("{}: get {}, model {}", package_name(p), u.get,
                                                  model::outcome_name(p.outcome)));
        if (hit_of[i] && store && u.wait_seconds >= kAskCompileAbove) {
            try {
                u.compile_seconds = last_compile(*store, scope, p);
            } catch (const std::exception&) {
                u.compile_seconds.reset();
            }
            if (u.compile_seconds && u.wait_seconds > *u.compile_seconds) {
                u.negative_savings = true;
                causes.add(CacheCause::NegativeSavings,
                           fmt::format("{}: fetched in {}, compiled in {}", package_name(p), ms(u.wait_seconds),
                                       ms(*u.compile_seconds)));
            }
        }
    }
    a.causes = causes.take();
    return a;
}

namespace {

nlohmann::ordered_json counts_json(const cacheprog::CacheCounts& c) {
    return {{"gets", c.gets},           {"hits", c.hits},
            {"misses", c.misses},       {"errors", c.errors},
            {"puts", c.puts},           {"put_errors", c.put_errors},
            {"bytes_read", c.bytes_read}, {"bytes_written", c.bytes_written},
            {"wait_seconds", c.wait_seconds}};
}

nlohmann::ordered_json or_null(const std::string& s) {
    return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

cacheprog::CacheCounts counts_of(const CacheProgramAnalysis& a, const char* tier) {
    auto it = a.totals.find(tier);
    return it == a.totals.end() ? cacheprog::CacheCounts{} : it->second;
}

std::string mib(std::int64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

} // namespace

nlohmann::ordered_json cache_program_json(const CacheProgramAnalysis& a) {
    nlohmann::ordered_json j = counts_json(counts_of(a, "all"));
    j["local"] = counts_json(counts_of(a, "local"));
    j["upstream"] = counts_json(counts_of(a, "upstream"));
    j.update(nlohmann::ordered_json{{"upstream_command", or_null(a.upstream)},
                                    {"sessions", a.sessions},
                                    {"attributed_gets", a.attributed_gets},
                                    {"unattributed_gets", a.unattributed_gets},
                                    {"unattributed_misses", a.unattributed_misses},
                                    {"packages_hit", a.packages_hit},
                                    {"packages_missed", a.packages_missed},
                                    {"packages_without_get", a.packages_without_get},
                                    {"packages_agree", a.agree},
                                    {"tests_hit", a.tests_hit},
                                    {"tests_never_passed", a.tests_never_passed},
                                    {"tests_inputs_changed", a.tests_inputs_changed},
                                    {"tests_without_get", a.tests_without_get},
                                    {"disagreements", a.disagreements}});
    auto& causes = j["causes"] = nlohmann::ordered_json::array();
    for (const auto& c : a.causes)
        causes.push_back({{"id", cause_name(c.cause)}, {"count", c.count}, {"detail", c.detail}, {"examples", c.examples}});
    j["problems"] = a.problems;
    j["bad_lines"] = a.bad_lines;
    return j;
}

nlohmann::ordered_json test_cache_json(const TestCacheUse& t) {
    return {{"id_get", or_null(t.id_get)},
            {"result_get", or_null(t.result_get)},
            {"source", or_null(t.source)},
            {"gets", t.gets},
            {"bytes", t.bytes},
            {"wait_seconds", t.wait_seconds}};
}

nlohmann::ordered_json package_cache_json(const PackageCacheUse& p) {
    nlohmann::ordered_json j = {{"get", or_null(p.get)},   {"source", or_null(p.source)},
                                {"gets", p.gets},          {"bytes", p.bytes},
                                {"wait_seconds", p.wait_seconds}};
    if (!p.error.empty()) j["error"] = p.error;
    if (p.compile_seconds) j["compile_seconds"] = *p.compile_seconds;
    j["negative_savings"] = p.negative_savings;
    return j;
}

std::string test_results_phrase(std::int64_t hit, std::int64_t never_passed, std::int64_t inputs_changed,
                                std::int64_t without_get) {
    if (hit + never_passed + inputs_changed + without_get <= 0) return {};
    std::string out = fmt::format("{} from the cache", hit);
    if (never_passed > 0) out += fmt::format(", {} with no passing run of that test binary and flags", never_passed);
    if (inputs_changed > 0) out += fmt::format(", {} whose files or env vars read changed since it passed", inputs_changed);
    if (without_get > 0) out += fmt::format(", {} not matched to a get", without_get);
    return out;
}

std::vector<std::string> cache_program_text(const CacheProgramAnalysis& a, std::size_t max_listed) {
    std::vector<std::string> out;
    auto all = counts_of(a, "all"), local = counts_of(a, "local"), up = counts_of(a, "upstream");
    std::int64_t up_hits = all.hits - std::min(all.hits, local.hits);
    std::string from = a.upstream.empty() && !up.gets ? fmt::format("{} local", all.hits)
                                                      : fmt::format("{} local, {} upstream", local.hits, up_hits);
    out.push_back(fmt::format("cache program: {} gets: {} hits ({}), {} misses, {} errors; {} puts; {} read, {} written; "
                              "go waited {:.2f} s",
                              all.gets, all.hits, from, all.misses, all.errors, all.puts, mib(all.bytes_read),
                              mib(all.bytes_written), all.wait_seconds));
    std::string agree = a.disagreements.empty()
                            ? "as the action graph says"
                            : fmt::format("{} disagree with the action graph: {}", a.disagreements.size(),
                                          a.disagreements.front());
    out.push_back(fmt::format("cache program: packages: {} hits, {} misses, {}; {} gets not attributed to a package's build",
                              a.packages_hit, a.packages_missed, agree, a.unattributed_gets));
    if (auto t = test_results_phrase(a.tests_hit, a.tests_never_passed, a.tests_inputs_changed, a.tests_without_get);
        !t.empty())
        out.push_back("cache program: test results: " + t);
    for (const auto& c : a.causes) {
        std::string ex;
        for (std::size_t i = 0; i < c.examples.size() && i < max_listed; ++i) ex += (i ? "; " : "") + c.examples[i];
        out.push_back(fmt::format("cache program: {} ({}×): {}", cause_name(c.cause), c.count,
                                  ex.empty() ? std::string(cause_description(c.cause)) : ex));
    }
    return out;
}

} // namespace gox::analysis
