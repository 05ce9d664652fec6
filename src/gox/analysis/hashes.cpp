#include <algorithm>
#include <cstdint>
#include <functional>
#include <gox/analysis/hashes.hpp>
#include <gox/util/strings.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <unordered_set>

#include <openssl/evp.h>

namespace gox::analysis {

using util::go_unquote;
using util::is_lower_hex;
using util::starts_with;

namespace {

constexpr std::size_t kNone = SIZE_MAX;

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool is_sum(std::string_view s) {
    return s.size() == 64 && is_lower_hex(s);
}

std::string_view strip_newline(std::string_view s) {
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    return s;
}

// End (one past the closing quote) of the Go quoted string starting at s[pos],
// or npos.
std::size_t skip_quoted(std::string_view s, std::size_t pos) {
    if (pos >= s.size() || s[pos] != '"') return std::string_view::npos;
    for (std::size_t i = pos + 1; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
            continue;
        }
        if (s[i] == '"') return i + 1;
    }
    return std::string_view::npos;
}

// The unquoted text of a whole quoted string, or the text itself when it is not one.
std::string unquote_or_raw(std::string_view s) {
    if (auto u = go_unquote(s)) return std::move(*u);
    return std::string(s);
}

// End of a %q-printed []string ("[]", "[\"-N\" \"-l\"]") starting at s[pos], or npos.
std::size_t skip_list(std::string_view s, std::size_t pos) {
    if (pos >= s.size() || s[pos] != '[') return std::string_view::npos;
    std::size_t i = pos + 1;
    if (i < s.size() && s[i] == ']') return i + 1;
    for (;;) {
        i = skip_quoted(s, i);
        if (i == std::string_view::npos || i >= s.size()) return std::string_view::npos;
        if (s[i] == ']') return i + 1;
        if (s[i] != ' ') return std::string_view::npos;
        ++i;
    }
}

// True if s is one or more lists separated by single spaces, optionally followed
// by " word" (the link line's build mode).
bool lists_then_word(std::string_view s) {
    std::size_t i = skip_list(s, 0);
    if (i == std::string_view::npos) return false;
    while (i < s.size()) {
        if (s[i] != ' ') return false;
        std::size_t j = skip_list(s, i + 1);
        if (j == std::string_view::npos)
            return s.find(' ', i + 1) == std::string_view::npos && i + 1 < s.size();
        i = j;
    }
    return true;
}

// "compile version go1.26.8 X:fieldtrack [] [\"-N\"]" -> {tool id, flags}. The
// tool id may contain spaces ("devel go1.27-abc Tue ..."), so the split is at the
// first " [" after which only flag lists (and a final word) follow.
std::pair<std::string, std::string> split_tool(std::string_view rest) {
    for (std::size_t i = rest.find(" ["); i != std::string_view::npos; i = rest.find(" [", i + 1))
        if (lists_then_word(rest.substr(i + 1)))
            return {std::string(rest.substr(0, i)), std::string(rest.substr(i + 1))};
    return {std::string(rest), std::string()};
}

std::pair<std::string, std::string> split_last(std::string_view rest, char sep) {
    auto p = rest.rfind(sep);
    if (p == std::string_view::npos) return {std::string(rest), std::string()};
    return {std::string(rest.substr(0, p)), std::string(rest.substr(p + 1))};
}

bool is_env_name(std::string_view n) {
    if (n.empty()) return true; // an arch without a variable prints "=\n"
    if (n[0] < 'A' || n[0] > 'Z') return false;
    for (char c : n)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string to_hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

bool looks_like_salt(std::string_view c) {
    return !c.empty() && c.find('\n') == std::string_view::npos &&
           (starts_with(c, "go1") || starts_with(c, "devel "));
}

HashInput make(std::string id, std::string key, std::string value) {
    return HashInput{std::move(id), std::move(key), std::move(value)};
}

// Position of each input id in go's hashing order. Build and link share one
// scale (the ids they have in common come in the same relative order); ids of
// vet and test records only need to be consistent among themselves.
int rank_of(std::string_view id) {
    struct Entry {
        std::string_view id;
        int rank;
    };
    static constexpr Entry table[] = {
        {"toolchain", 0},    {"compile", 1},        {"link", 1},
        {"vet_tool", 1},     {"test_binary", 1},    {"test_env", 1},
        {"test_chdir", 1},   {"test_stat", 1},      {"test_open", 1},
        {"buildmode", 2},    {"vetxonly", 2},       {"module", 3},
        {"vetflags", 3},     {"package_dir", 4},    {"vet_package", 4},
        {"go_directive", 5}, {"vet_dependency", 5}, {"target", 6},
        {"import_path", 7},  {"omitdebug", 8},      {"defaultgodebug", 9},
        {"trimpath", 10},    {"forcelibrary", 11},  {"cgo_tool", 12},
        {"cgo_flags", 13},   {"cgo_toolchain", 13}, {"cover", 15},
        {"fuzz", 16},        {"modinfo", 17},       {"compile_tool", 18},
        {"link_tool", 18},   {"ldflags", 19},       {"asm_flags", 20},
        {"env", 21},         {"nocache", 21},       {"file", 22},
        {"dependency", 23},  {"pgo", 23},           {"link_dependency", 23},
        {"packagemain", 23}, {"link_shlib", 23},
    };
    for (const Entry& e : table)
        if (e.id == id) return e.rank;
    return -1;
}

int chunk_rank(std::string_view chunk) {
    return rank_of(classify_chunk(chunk).id);
}

// SHA-256 from OpenSSL's libcrypto. Copyable, because the record solver
// below forks partial hashes while it searches.
class Sha256 {
public:
    Sha256() : m_ctx(EVP_MD_CTX_new()) {
        if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("libcrypto: SHA-256 is unavailable");
    }
    Sha256(const Sha256& o) : m_ctx(EVP_MD_CTX_new()) {
        if (!m_ctx || EVP_MD_CTX_copy_ex(m_ctx.get(), o.m_ctx.get()) != 1)
            throw std::runtime_error("libcrypto: cannot copy a SHA-256 state");
    }
    Sha256& operator=(const Sha256& o) {
        if (this != &o && EVP_MD_CTX_copy_ex(m_ctx.get(), o.m_ctx.get()) != 1)
            throw std::runtime_error("libcrypto: cannot copy a SHA-256 state");
        return *this;
    }
    Sha256(Sha256&&) noexcept = default;
    Sha256& operator=(Sha256&&) noexcept = default;
    ~Sha256() = default;

    void update(std::string_view data) { EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()); }
    // The hex digest; ends this hash (hex() a copy to go on feeding).
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(m_ctx.get(), md, &n);
        static const char* digits = "0123456789abcdef";
        std::string out;
        out.reserve(2 * n);
        for (unsigned int i = 0; i < n; ++i) {
            out += digits[md[i] >> 4];
            out += digits[md[i] & 15];
        }
        return out;
    }
    // Tells equal partial hashes apart: the digest of what was fed so far.
    std::string state() const { return Sha256(*this).hex(); }

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> m_ctx;
};

} // namespace

std::string sha256_hex(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.hex();
}

std::string hash_to_action_id(std::string_view hex) {
    if (!is_sum(hex)) return {};
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[15];
    for (int i = 0; i < 15; ++i)
        bytes[i] =
            static_cast<unsigned char>(hex_digit(hex[2 * i]) * 16 + hex_digit(hex[2 * i + 1]));
    std::string out;
    out.reserve(20);
    for (int i = 0; i < 15; i += 3) {
        unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
        out += b64[(v >> 18) & 63];
        out += b64[(v >> 12) & 63];
        out += b64[(v >> 6) & 63];
        out += b64[v & 63];
    }
    return out;
}

// ---- HashRecord ------------------------------------------------------------

HashRecord::HashRecord(std::string name) : m_name(std::move(name)) {}

std::string_view HashRecord::kind() const {
    std::string_view n = m_name;
    return n.substr(0, n.find(' '));
}

std::string_view HashRecord::subject() const {
    std::string_view n = m_name;
    auto sp = n.find(' ');
    return sp == std::string_view::npos ? std::string_view() : n.substr(sp + 1);
}

std::string_view HashRecord::chunk(std::size_t i) const {
    if (i >= m_ends.size()) return {};
    std::size_t begin = i == 0 ? 0 : m_ends[i - 1];
    return std::string_view(m_arena).substr(begin, m_ends[i] - begin);
}

std::vector<std::string> HashRecord::chunks() const {
    std::vector<std::string> out;
    out.reserve(m_ends.size());
    for (std::size_t i = 0; i < m_ends.size(); ++i)
        out.emplace_back(chunk(i));
    return out;
}

std::string HashRecord::action_id() const {
    return hash_to_action_id(m_sum);
}

bool HashRecord::add_chunk(std::string_view c) {
    if (m_arena.size() + c.size() > std::numeric_limits<std::uint32_t>::max()) return false;
    m_arena.append(c);
    m_ends.push_back(static_cast<std::uint32_t>(m_arena.size()));
    return true;
}

// ---- HashCollector ---------------------------------------------------------

bool HashCollector::keeps_kind(std::string_view kind) {
    return kind == "build" || kind == "link" || kind == "linkShared" || kind == "vet" ||
           starts_with(kind, "test");
}

namespace {
std::string_view kind_of(std::string_view name) {
    return name.substr(0, name.find(' '));
}
} // namespace

void HashCollector::feed(std::string_view line) {
    if (m_finished) return;
    ++m_stats.lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!starts_with(line, "HASH") || line.size() < 6) {
        ++m_stats.bad_lines;
        return;
    }
    std::string_view rest = line.substr(4);
    if (rest[0] == ' ') {
        rest.remove_prefix(1);
        if (starts_with(rest, "subkey "))
            ++m_stats.subkeys;
        else
            file_line(rest);
        return;
    }
    if (rest[0] != '[') {
        ++m_stats.bad_lines;
        return;
    }
    rest.remove_prefix(1);
    // Sum: NAME]: <64 hex>
    if (rest.size() > 67 && rest.substr(rest.size() - 67, 3) == "]: " &&
        is_sum(rest.substr(rest.size() - 64))) {
        close_record(rest.substr(0, rest.size() - 67), rest.substr(rest.size() - 64));
        return;
    }
    // Chunk: NAME]: "..."
    if (auto q = rest.find("]: \""); q != std::string_view::npos && q > 0) {
        std::string_view name = rest.substr(0, q), quoted = rest.substr(q + 3);
        if (auto u = go_unquote(quoted)) {
            add_chunk(name, *u);
        } else {
            // Keep the raw text so that the record keeps its shape (and diffs
            // still line up); the line was cut or mangled.
            ++m_stats.bad_quoting;
            add_chunk(name, quoted);
        }
        return;
    }
    // Open: NAME]
    if (rest.size() > 1 && rest.back() == ']' && rest.find("]: ") == std::string_view::npos) {
        open_record(rest.substr(0, rest.size() - 1));
        return;
    }
    ++m_stats.bad_lines;
}

void HashCollector::file_line(std::string_view rest) {
    // "/abs/file: <64 hex>", or "/abs/file: <error text>" (which can itself
    // contain ": "). Windows paths have "C:\" but never ": " inside the drive.
    if (rest.size() > 66 && rest.substr(rest.size() - 66, 2) == ": " &&
        is_sum(rest.substr(rest.size() - 64))) {
        m_files.insert_or_assign(std::string(rest.substr(0, rest.size() - 66)),
                                 std::string(rest.substr(rest.size() - 64)));
        ++m_stats.file_hashes;
        return;
    }
    auto p = rest.find(": ");
    if (p == std::string_view::npos || p == 0) {
        ++m_stats.bad_lines;
        return;
    }
    ++m_stats.file_errors;
    if (m_file_errors.size() < kMaxOpen)
        m_file_errors.insert_or_assign(std::string(rest.substr(0, p)),
                                       std::string(rest.substr(p + 2)));
}

std::size_t HashCollector::new_record(std::string_view name, bool continued) {
    auto seen = m_seen.find(name);
    if (seen == m_seen.end()) seen = m_seen.emplace(std::string(name), Seen{}).first;
    HashRecord r{std::string(name)};
    r.m_occurrence = seen->second.count++;
    seen->second.indexes.push_back(m_records.size());
    r.m_continued = continued;
    if (continued && seen->second.last_complete != kNone) {
        const HashRecord& prev = m_records[seen->second.last_complete];
        r.m_arena = prev.m_arena;
        r.m_ends = prev.m_ends;
    }
    m_records.push_back(std::move(r));
    ++m_stats.kept;
    return m_records.size() - 1;
}

void HashCollector::open_record(std::string_view name) {
    ++m_stats.opens;
    std::string_view kind = kind_of(name);
    if (auto k = m_stats.opens_by_kind.find(kind); k != m_stats.opens_by_kind.end())
        ++k->second;
    else if (m_stats.opens_by_kind.size() < 64)
        m_stats.opens_by_kind.emplace(std::string(kind), 1);
    else
        ++m_stats.opens_by_kind["(other)"];

    auto it = m_open.find(name);
    if (it == m_open.end()) it = m_open.emplace(std::string(name), OpenSet{}).first;
    OpenSet& os = it->second;
    if (!keeps_kind(kind)) {
        ++os.ignored;
        ++m_stats.ignored;
    } else {
        std::size_t idx = new_record(name, false);
        if (!os.kept.empty()) {
            ++m_stats.duplicate_opens;
            if (os.members.empty()) {
                // A group forms: the open records, with the chunks they have
                // (which no other record could have taken), and the new one.
                for (std::size_t o : os.kept) {
                    os.members.push_back(o);
                    os.prefix.push_back(static_cast<std::uint32_t>(m_records[o].chunk_count()));
                }
            }
            os.members.push_back(idx);
            os.prefix.push_back(0);
            os.events.push_back({GroupEvent::Open, {}, os.members.size() - 1});
            for (std::size_t o : os.kept)
                m_records[o].m_ambiguous = true;
            m_records[idx].m_ambiguous = true;
        }
        os.kept.push_back(idx);
    }
    ++m_open_count;
    evict_if_full();
}

void HashCollector::evict_if_full() {
    while (m_open_count > kMaxOpen) {
        // Drop an ignored open record (a hash go abandoned, like moduleIndex for
        // a directory modified too recently), else the oldest open kept record.
        auto victim = std::find_if(m_open.begin(), m_open.end(),
                                   [](const auto& e) { return e.second.ignored > 0; });
        if (victim != m_open.end()) {
            --victim->second.ignored;
        } else {
            std::size_t oldest = kNone;
            for (auto it = m_open.begin(); it != m_open.end(); ++it) {
                if (!it->second.kept.empty() && it->second.kept.front() < oldest) {
                    oldest = it->second.kept.front();
                    victim = it;
                }
            }
            if (victim == m_open.end()) break;
            OpenSet& os = victim->second;
            os.kept.erase(os.kept.begin());
            dissolve_group(os);
            ++m_stats.truncated;
        }
        if (victim->second.kept.empty() && victim->second.ignored == 0) m_open.erase(victim);
        --m_open_count;
    }
}

void HashCollector::dissolve_group(OpenSet& os) {
    os.members.clear();
    os.prefix.clear();
    os.events.clear();
}

namespace {
// Inputs that a record has at most once: a record that already has one has
// passed that point. (file, import, env... repeat.)
bool single_occurrence(const HashInput& in) {
    static constexpr std::string_view ids[] = {
        "toolchain",    "compile",      "link",        "module",      "package_dir",
        "go_directive", "target",       "import_path", "omitdebug",   "defaultgodebug",
        "trimpath",     "forcelibrary", "cgo_tool",    "cover",       "fuzz",
        "modinfo",      "compile_tool", "link_tool",   "ldflags",     "buildmode",
        "asm_flags",    "pgo",          "nocache",     "packagemain", "vet_tool",
        "vetxonly",     "vetflags",     "vet_package", "test_binary",
    };
    if (in.id == "test_env" && in.key == "GODEBUG") return true; // testInputs always starts with it
    return std::find(std::begin(ids), std::end(ids), in.id) != std::end(ids);
}

// Can `next` follow `prev` inside one record? (go's order; unknown inputs can
// be anywhere.)
bool can_follow(const HashInput& prev, int prev_rank, const HashInput& next, int next_rank) {
    if (prev_rank < 0 || next_rank < 0) return true;
    if (prev_rank != next_rank) return prev_rank < next_rank;
    return !(prev.id == next.id && single_occurrence(next)) &&
           !(next.id == "test_env" && next.key == "GODEBUG");
}

// Explains the lines of a group (records with the same name open at the same
// time) exactly: which record each chunk and each sum belongs to, such that
// every sum is the SHA-256 of its record's chunks at that moment. A depth-first
// search over the events in order, trying the tentative owner first, pruned by
// go's hashing order and by remembering the (event, hash states) it has tried,
// so that the runs of identical chunks two variants of a package share are not
// explored twice. Gives up after a fixed amount of work.
class GroupSolver {
public:
    struct Event {
        int type; // 0 open, 1 chunk, 2 sum
        std::string_view text;
        std::size_t hint; // member the tentative routing chose
    };
    struct Member {
        Sha256 h;
        HashInput last;
        int last_rank = 0;
        bool started = false;
        bool active = false;
        bool closed = false;
    };

    GroupSolver(std::vector<Event> events, std::vector<Member> members)
        : m_events(std::move(events)), m_members(std::move(members)),
          m_owner(m_events.size(), kNone) {
        for (const Event& e : m_events) {
            m_in.push_back(e.type == 1 ? classify_chunk(e.text) : HashInput{});
            m_rank.push_back(e.type == 1 ? rank_of(m_in.back().id) : 0);
        }
    }

    bool solve() { return dfs(0); }
    // For each event: the member that owns it (chunks, sums, opens), kNone if none.
    const std::vector<std::size_t>& owners() const { return m_owner; }
    const std::vector<Member>& members() const { return m_members; }

private:
    static constexpr std::size_t kBudget = 20000;

    // The search state at event e. Members that are closed can take nothing
    // more, and open members with equal states are interchangeable, so the key
    // is the sorted states of the open ones (plus how many are yet to open).
    std::size_t key(std::size_t e) const {
        std::vector<std::string> open;
        std::size_t waiting = 0;
        for (const Member& m : m_members) {
            if (!m.active) ++waiting;
            if (!m.active || m.closed) continue;
            std::string k = m.h.state();
            k += m.started ? 's' : '-';
            k += m.last.id;
            open.push_back(std::move(k));
        }
        std::sort(open.begin(), open.end());
        std::string k = std::to_string(e) + "/" + std::to_string(waiting);
        for (const std::string& o : open) {
            k += '\x1f';
            k += o;
        }
        return std::hash<std::string>{}(k);
    }

    bool dfs(std::size_t e) {
        if (e == m_events.size()) return true;
        if (++m_work > kBudget) return false;
        if (!m_memo.insert(key(e)).second) return false;
        const Event& ev = m_events[e];
        if (ev.type == 0) {
            Member& m = m_members[ev.hint];
            m.active = true;
            m_owner[e] = ev.hint;
            if (dfs(e + 1)) return true;
            m.active = false;
            return false;
        }
        // Candidates: the tentative owner first, then the others in order.
        std::vector<std::size_t> order;
        if (ev.hint < m_members.size()) order.push_back(ev.hint);
        for (std::size_t i = 0; i < m_members.size(); ++i)
            if (i != ev.hint) order.push_back(i);
        for (std::size_t i : order) {
            Member& m = m_members[i];
            if (!m.active || m.closed) continue;
            if (ev.type == 1) {
                bool salt = looks_like_salt(ev.text);
                if (m.started ? salt || !can_follow(m.last, m.last_rank, m_in[e], m_rank[e])
                              : !salt)
                    continue;
                Member saved = m;
                m.h.update(ev.text);
                m.last = m_in[e];
                if (m_rank[e] >= 0) m.last_rank = m_rank[e];
                m.started = true;
                m_owner[e] = i;
                if (dfs(e + 1)) return true;
                m = std::move(saved);
            } else {
                if (!m.started || Sha256(m.h).hex() != ev.text) continue;
                m.closed = true;
                m_owner[e] = i;
                if (dfs(e + 1)) return true;
                m.closed = false;
            }
            if (m_work > kBudget) break;
        }
        m_owner[e] = kNone;
        return false;
    }

    std::vector<Event> m_events;
    std::vector<Member> m_members;
    std::vector<std::size_t> m_owner;
    std::vector<HashInput> m_in;
    std::vector<int> m_rank;
    std::unordered_set<std::size_t> m_memo;
    std::size_t m_work = 0;
};
} // namespace

std::size_t HashCollector::route_chunk(const std::vector<std::size_t>& open,
                                       std::string_view chunk) const {
    if (open.size() == 1) return 0;
    // Every hash starts with the salt: it belongs to a record with no chunk yet.
    if (looks_like_salt(chunk))
        for (std::size_t i = 0; i < open.size(); ++i)
            if (m_records[open[i]].chunk_count() == 0) return i;
    HashInput in = classify_chunk(chunk);
    int r = rank_of(in.id);
    std::size_t best = kNone;
    int best_rank = std::numeric_limits<int>::min();
    for (std::size_t i = 0; i < open.size(); ++i) {
        const HashRecord& rec = m_records[open[i]];
        if (rec.chunk_count() == 0) continue;
        HashInput last = classify_chunk(rec.chunk(rec.chunk_count() - 1), rec.chunk_count() == 1);
        int last_rank = rank_of(last.id);
        if (!can_follow(last, last_rank, in, r)) continue; // that record is past this input
        if (best == kNone || last_rank > best_rank) {
            best = i;
            best_rank = last_rank;
        }
    }
    if (best != kNone) return best;
    for (std::size_t i = 0; i < open.size(); ++i)
        if (m_records[open[i]].chunk_count() > 0) return i;
    return 0;
}

void HashCollector::add_chunk(std::string_view name, std::string_view chunk) {
    auto it = m_open.find(name);
    if (it == m_open.end()) {
        ++m_stats.orphan_chunks;
        if (!keeps_kind(kind_of(name))) return;
        // go kept writing to a hash after its sum (or the stream started in the
        // middle of a record): start a continued record.
        std::size_t idx = new_record(name, true);
        it = m_open.emplace(std::string(name), OpenSet{}).first;
        it->second.kept.push_back(idx);
        ++m_open_count;
        evict_if_full();
        it = m_open.find(name);
        if (it == m_open.end()) return;
    }
    ++m_stats.chunks;
    OpenSet& os = it->second;
    if (os.kept.empty()) return; // an ignored kind: counted only
    std::size_t i = route_chunk(os.kept, chunk);
    if (!m_records[os.kept[i]].add_chunk(chunk)) return;
    if (!os.members.empty()) {
        std::size_t member = static_cast<std::size_t>(
            std::find(os.members.begin(), os.members.end(), os.kept[i]) - os.members.begin());
        os.events.push_back({GroupEvent::Chunk, std::string(chunk), member});
    }
}

bool HashCollector::solve_group(OpenSet& os) {
    std::vector<GroupSolver::Event> events;
    events.reserve(os.events.size());
    for (const GroupEvent& e : os.events)
        events.push_back({static_cast<int>(e.type), e.text, e.member});
    // The members' starting states: the chunks they had when the group formed.
    // Members that were open when the group formed are active from the start;
    // the others from their Open event.
    std::size_t joined = static_cast<std::size_t>(
        std::count_if(os.events.begin(), os.events.end(),
                      [](const GroupEvent& e) { return e.type == GroupEvent::Open; }));
    std::vector<GroupSolver::Member> start(os.members.size());
    std::vector<std::vector<std::string>> prefix(os.members.size());
    for (std::size_t i = 0; i < os.members.size(); ++i) {
        const HashRecord& r = m_records[os.members[i]];
        GroupSolver::Member& m = start[i];
        m.active = i + joined < os.members.size();
        for (std::uint32_t c = 0; c < os.prefix[i]; ++c) {
            std::string_view ch = r.chunk(c);
            prefix[i].emplace_back(ch);
            m.h.update(ch);
            m.last = classify_chunk(ch, c == 0);
            if (int rk = rank_of(m.last.id); rk >= 0) m.last_rank = rk;
            m.started = true;
        }
    }
    GroupSolver solver(std::move(events), std::move(start));
    if (!solver.solve()) return false;

    // Rewrite the members from the solution.
    const auto& owner = solver.owners();
    std::vector<HashRecord> rebuilt;
    for (std::size_t i = 0; i < os.members.size(); ++i) {
        rebuilt.emplace_back(m_records[os.members[i]].name());
        for (const std::string& ch : prefix[i])
            rebuilt.back().add_chunk(ch);
    }
    std::vector<std::string> sums(os.members.size());
    for (std::size_t e = 0; e < os.events.size(); ++e) {
        if (os.events[e].type == GroupEvent::Chunk)
            rebuilt[owner[e]].add_chunk(os.events[e].text);
        else if (os.events[e].type == GroupEvent::Sum)
            sums[owner[e]] = os.events[e].text;
        if (os.events[e].type != GroupEvent::Open) os.events[e].member = owner[e];
    }
    os.kept.clear();
    for (std::size_t i = 0; i < os.members.size(); ++i) {
        HashRecord& r = m_records[os.members[i]];
        if (r.complete() && !r.m_verified) --m_stats.unverified;
        r.m_arena = std::move(rebuilt[i].m_arena);
        r.m_ends = std::move(rebuilt[i].m_ends);
        r.m_sum = sums[i];
        r.m_verified = !sums[i].empty();
        if (sums[i].empty()) os.kept.push_back(os.members[i]);
    }
    return true;
}

void HashCollector::drop_abandoned(OpenSet& os) {
    // go computes a hash in one go, so a record still open after several later
    // records of the same name have come and gone is one go abandoned (no Sum).
    // It leaves the group, and stays incomplete.
    std::vector<std::size_t> gone;
    for (std::size_t k : os.kept) {
        std::size_t later_closed = 0;
        for (std::size_t m : os.members)
            if (m > k && m_records[m].complete()) ++later_closed;
        if (later_closed >= kAbandonedAfter) gone.push_back(k);
    }
    if (gone.empty()) return;
    for (std::size_t k : gone) {
        os.kept.erase(std::find(os.kept.begin(), os.kept.end(), k));
        --m_open_count;
        ++m_stats.truncated;
    }
    // Start over with the open records as they are now.
    dissolve_group(os);
    if (os.kept.size() < 2) return;
    for (std::size_t o : os.kept) {
        os.members.push_back(o);
        os.prefix.push_back(static_cast<std::uint32_t>(m_records[o].chunk_count()));
    }
}

void HashCollector::close_record(std::string_view name, std::string_view sum) {
    auto it = m_open.find(name);
    if (it == m_open.end()) {
        ++m_stats.orphan_sums;
        return;
    }
    ++m_stats.sums;
    OpenSet& os = it->second;
    if (os.kept.empty()) {
        --os.ignored;
    } else {
        // Tentatively: the record whose chunks hash to the sum (the newest, as an
        // older one may be a hash go abandoned), else the one furthest along.
        std::size_t i = kNone;
        for (std::size_t k = os.kept.size(); k-- > 0 && i == kNone;)
            if (sha256_hex(m_records[os.kept[k]].m_arena) == sum) i = k;
        if (i == kNone) {
            int best_rank = std::numeric_limits<int>::min();
            for (std::size_t k = 0; k < os.kept.size(); ++k) {
                const HashRecord& rec = m_records[os.kept[k]];
                int last = rec.chunk_count() == 0   ? -2
                           : rec.chunk_count() == 1 ? 0
                                                    : chunk_rank(rec.chunk(rec.chunk_count() - 1));
                if (last > best_rank) {
                    i = k;
                    best_rank = last;
                }
            }
        }
        std::size_t idx = os.kept[i];
        HashRecord& rec = m_records[idx];
        rec.m_sum = std::string(sum);
        rec.m_verified = sha256_hex(rec.m_arena) == sum;
        if (!rec.m_verified) ++m_stats.unverified;
        os.kept.erase(os.kept.begin() + static_cast<std::ptrdiff_t>(i));
        if (!os.members.empty()) {
            std::size_t member = static_cast<std::size_t>(
                std::find(os.members.begin(), os.members.end(), idx) - os.members.begin());
            os.events.push_back({GroupEvent::Sum, std::string(sum), member});
            // Exactly, if possible: the whole group's lines explained by the sums.
            if (solve_group(os)) {
                idx = os.members[os.events.back().member];
                drop_abandoned(os);
            }
        }
        if (auto s = m_seen.find(name); s != m_seen.end()) s->second.last_complete = idx;
        // The group ends with its last open record (until then a later sum can
        // still correct an earlier one); a group that keeps going (an abandoned
        // record stays open for ever) is cut to bound the work.
        if (os.kept.empty() || os.events.size() > kMaxGroupEvents) dissolve_group(os);
    }
    --m_open_count;
    if (os.kept.empty() && os.ignored == 0) m_open.erase(it);
}

void HashCollector::finish() {
    if (m_finished) return;
    m_finished = true;
    for (const auto& [name, os] : m_open)
        m_stats.truncated += os.kept.size();
    m_open.clear();
    m_open_count = 0;
}

std::vector<HashRecord> HashCollector::take_records() {
    finish();
    m_seen.clear();
    std::vector<HashRecord> out = std::move(m_records);
    m_records.clear();
    return out;
}

const HashRecord* HashCollector::find(std::string_view name, std::size_t occurrence) const {
    auto it = m_seen.find(name);
    if (it == m_seen.end() || occurrence >= it->second.indexes.size()) return nullptr;
    return &m_records[it->second.indexes[occurrence]];
}

// ---- classify_chunk --------------------------------------------------------

HashInput classify_chunk(std::string_view chunk, bool first) {
    if (first || looks_like_salt(chunk)) return make("toolchain", "", std::string(chunk));
    std::string_view l = strip_newline(chunk);
    auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (starts_with(l, prefix)) return l.substr(prefix.size());
        return std::nullopt;
    };

    // Literal lines.
    if (l == "compile") return make("compile", "", "");
    if (l == "link") return make("link", "", "");
    if (l == "trimpath") return make("trimpath", "", "");
    if (l == "forcelibrary") return make("forcelibrary", "", "");

    // build
    if (auto r = after("dir ")) return make("package_dir", "", std::string(*r));
    if (auto r = after("module ")) return make("module", "", std::string(*r));
    if (auto r = after("go ")) return make("go_directive", "", std::string(*r));
    if (auto r = after("goos ")) {
        // "goos linux goarch amd64"
        auto sp = r->find(" goarch ");
        if (sp != std::string_view::npos)
            return make("target", "",
                        std::string(r->substr(0, sp)) + "/" + std::string(r->substr(sp + 8)));
        return make("target", "", std::string(*r));
    }
    if (auto r = after("import \"")) return make("import_path", "", unquote_or_raw(l.substr(7)));
    if (auto r = after("import ")) {
        auto [dep, id] = split_last(*r, ' ');
        return make("dependency", std::move(dep), std::move(id));
    }
    if (auto r = after("omitdebug ")) return make("omitdebug", "", std::string(*r));
    if (auto r = after("cgo ")) return make("cgo_tool", "", unquote_or_raw(*r));
    for (std::string_view cc : {"CC", "CXX", "FC"}) {
        if (!starts_with(l, cc)) continue;
        std::string_view r = l.substr(cc.size());
        if (starts_with(r, "=["))
            return make("cgo_flags", std::string(cc), std::string(r.substr(1)));
        if (starts_with(r, " ID="))
            return make("cgo_toolchain", std::string(cc), unquote_or_raw(r.substr(4)));
        if (starts_with(r, " ID ERROR="))
            return make("cgo_toolchain", std::string(cc), "error: " + unquote_or_raw(r.substr(10)));
    }
    if (auto r = after("cover ")) {
        // cover "mode" "tool id"
        std::size_t e = skip_quoted(*r, 0);
        if (e != std::string_view::npos && e + 1 < r->size() && (*r)[e] == ' ')
            return make("cover", unquote_or_raw(r->substr(e + 1)), unquote_or_raw(r->substr(0, e)));
        return make("cover", "", std::string(*r));
    }
    if (auto r = after("fuzz ")) return make("fuzz", "", std::string(*r));
    if (auto r = after("modinfo ")) return make("modinfo", "", unquote_or_raw(*r));
    if (auto r = after("compile ")) {
        auto [tool, flags] = split_tool(*r);
        return make("compile_tool", std::move(tool), std::move(flags));
    }
    if (auto r = after("asm ")) {
        std::size_t e = skip_quoted(*r, 0);
        if (e == std::string_view::npos) return make("asm_flags", "", std::string(*r));
        std::string_view flags = r->substr(e);
        if (!flags.empty() && flags[0] == ' ') flags.remove_prefix(1);
        return make("asm_flags", unquote_or_raw(r->substr(0, e)), std::string(flags));
    }
    if (auto r = after("magic ")) {
        auto eq = r->find('=');
        if (eq == std::string_view::npos) return make("env", std::string(*r), "");
        return make("env", std::string(r->substr(0, eq)), std::string(r->substr(eq + 1)));
    }
    if (auto r = after("file ")) {
        auto [name, hash] = split_last(*r, ' ');
        return make("file", std::move(name), std::move(hash));
    }
    if (auto r = after("pgofile ")) return make("pgo", "", std::string(*r));
    if (auto r = after("nocache ")) return make("nocache", "", std::string(*r));

    // link
    if (auto r = after("buildmode ")) return make("buildmode", "", std::string(*r));
    if (auto r = after("defaultgodebug ")) return make("defaultgodebug", "", unquote_or_raw(*r));
    if (auto r = after("linkflags ")) return make("ldflags", "", std::string(*r));
    if (auto r = after("link ")) {
        auto [tool, rest] = split_tool(*r);
        if (rest.empty()) { // gccgo: "link <id> <buildmode>"
            auto [t, mode] = split_last(tool, ' ');
            return make("link_tool", std::move(t), std::move(mode));
        }
        return make("link_tool", std::move(tool), std::move(rest));
    }
    if (auto r = after("packagefile ")) {
        auto [dep, id] = split_last(*r, '=');
        return make("link_dependency", std::move(dep), std::move(id));
    }
    if (auto r = after("packagemain ")) return make("packagemain", "", std::string(*r));
    if (auto r = after("packageshlib ")) {
        auto [dep, id] = split_last(*r, '=');
        return make("link_shlib", std::move(dep), std::move(id));
    }

    // vet
    if (auto r = after("vet \"")) return make("vet_tool", "", unquote_or_raw(l.substr(4)));
    if (auto r = after("vetxonly ")) return make("vetxonly", "", std::string(*r));
    if (auto r = after("vetflags ")) return make("vetflags", "", std::string(*r));
    if (auto r = after("pkg \"")) {
        auto u = go_unquote(l.substr(4));
        return make("vet_package", "", u ? to_hex(*u) : std::string(l.substr(4)));
    }
    if (auto r = after("vetout ")) {
        std::size_t e = skip_quoted(*r, 0);
        if (e != std::string_view::npos) {
            std::string_view h = r->substr(e);
            if (!h.empty() && h[0] == ' ') h.remove_prefix(1);
            return make("vet_dependency", unquote_or_raw(r->substr(0, e)), std::string(h));
        }
        auto [dep, h] = split_last(*r, ' ');
        return make("vet_dependency", std::move(dep), std::move(h));
    }

    // testResult / testInputs
    if (auto r = after("test binary ")) {
        auto sp = r->find(' ');
        if (sp == std::string_view::npos) return make("test_binary", std::string(*r), "");
        return make("test_binary", std::string(r->substr(0, sp)), std::string(r->substr(sp + 1)));
    }
    if (auto r = after("env ")) {
        auto [name, h] = split_last(*r, ' ');
        return make("test_env", std::move(name), std::move(h));
    }
    for (std::string_view op : {"chdir", "stat", "open"}) {
        if (starts_with(l, op) && l.size() > op.size() && l[op.size()] == ' ') {
            auto [path, h] = split_last(l.substr(op.size() + 1), ' ');
            return make("test_" + std::string(op), std::move(path), std::move(h));
        }
    }

    // Architecture variables (GOAMD64=v1), GOEXPERIMENT="...", GOROOT=, GO_EXTLINK_ENABLED=.
    if (auto eq = l.find('='); eq != std::string_view::npos && is_env_name(l.substr(0, eq))) {
        std::string_view v = l.substr(eq + 1);
        std::string value = !v.empty() && v.front() == '"' ? unquote_or_raw(v) : std::string(v);
        return make("env", std::string(l.substr(0, eq)), std::move(value));
    }
    return make("other", "", std::string(l));
}

bool is_keyed_input(std::string_view id) {
    static constexpr std::string_view keyed[] = {
        "file",          "dependency",      "env",        "cgo_flags",
        "cgo_toolchain", "link_dependency", "link_shlib", "vet_dependency",
        "test_env",      "test_chdir",      "test_stat",  "test_open",
    };
    return std::find(std::begin(keyed), std::end(keyed), id) != std::end(keyed);
}

// ---- diff_inputs -----------------------------------------------------------

namespace {

struct Item {
    HashInput in;
    int rank = 0;
    std::size_t pos = 0;
};

std::vector<Item> classify_all(const std::vector<std::string>& chunks) {
    std::vector<Item> out;
    out.reserve(chunks.size());
    int prev = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        Item it{classify_chunk(chunks[i], i == 0), 0, i};
        int r = rank_of(it.in.id);
        it.rank = r < 0 ? prev : r; // an unknown input sorts after the one before it
        prev = it.rank;
        out.push_back(std::move(it));
    }
    return out;
}

// Match key of each item: id, key (keyed inputs only) and the occurrence of
// that pair in its list.
std::vector<std::string> match_keys(const std::vector<Item>& items) {
    std::map<std::string, std::size_t> seen;
    std::vector<std::string> out;
    out.reserve(items.size());
    for (const Item& it : items) {
        std::string k = it.in.id;
        k += '\0';
        if (is_keyed_input(it.in.id)) k += it.in.key;
        k += '\0';
        k += std::to_string(seen[k]++);
        out.push_back(std::move(k));
    }
    return out;
}

struct Entry {
    std::string key, value;
};

// modinfo: one entry per line of debug.BuildInfo.String().
std::vector<Entry> modinfo_entries(std::string_view s) {
    std::vector<Entry> out;
    std::string last_dep;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t nl = s.find('\n', start);
        std::string_view line =
            s.substr(start, (nl == std::string_view::npos ? s.size() : nl) - start);
        start = nl == std::string_view::npos ? s.size() : nl + 1;
        if (line.empty()) continue;
        std::size_t tab = line.find('\t');
        std::string_view head = line.substr(0, tab);
        std::string_view rest =
            tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
        if (head == "build") {
            // build\tKEY=VALUE (the key itself may be quoted when unusual)
            auto eq = rest.find('=');
            if (eq == std::string_view::npos)
                out.push_back({std::string(rest), ""});
            else
                out.push_back({std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 1))});
        } else if (head == "dep" || head == "=>") {
            std::size_t t2 = rest.find('\t');
            std::string_view path = rest.substr(0, t2);
            std::string_view v =
                t2 == std::string_view::npos ? std::string_view() : rest.substr(t2 + 1);
            if (head == "dep") {
                last_dep = std::string(path);
                out.push_back({"dep " + last_dep, std::string(v)});
            } else {
                out.push_back({"=> " + last_dep, std::string(rest)});
            }
        } else {
            out.push_back({std::string(head), std::string(rest)});
        }
    }
    return out;
}

std::vector<Entry> godebug_entries(std::string_view s) {
    std::vector<Entry> out;
    std::size_t start = 0;
    while (start <= s.size() && !s.empty()) {
        std::size_t c = s.find(',', start);
        std::string_view kv = s.substr(start, (c == std::string_view::npos ? s.size() : c) - start);
        auto eq = kv.find('=');
        if (!kv.empty())
            out.push_back({std::string(kv.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1))});
        if (c == std::string_view::npos) break;
        start = c + 1;
    }
    return out;
}

struct Sorted {
    int rank;
    std::size_t pos, sub;
    HashChange change;
};

// For each old item: where it sits among the new items. Matched items sit at
// their match; a removed one just before the next old item that was matched.
std::vector<std::size_t> anchors(const std::vector<std::size_t>& match, std::size_t new_size) {
    std::vector<std::size_t> out(match.size());
    std::size_t next = new_size;
    for (std::size_t i = match.size(); i-- > 0;) {
        if (match[i] != kNone) next = match[i];
        out[i] = next;
    }
    return out;
}

void diff_entries(const std::string& id, const std::vector<Entry>& a, const std::vector<Entry>& b,
                  int rank, std::size_t pos, std::vector<Sorted>& out) {
    std::map<std::string, std::vector<std::size_t>> old_by_key;
    for (std::size_t i = 0; i < a.size(); ++i)
        old_by_key[a[i].key].push_back(i);
    std::map<std::string, std::size_t> used;
    std::vector<std::size_t> match(a.size(), kNone);
    for (std::size_t j = 0; j < b.size(); ++j) {
        auto& v = old_by_key[b[j].key];
        std::size_t n = used[b[j].key]++;
        if (n < v.size()) {
            match[v[n]] = j;
            if (a[v[n]].value != b[j].value)
                out.push_back(
                    {rank, pos, 2 * j + 1,
                     HashChange{id, b[j].key, a[v[n]].value, b[j].value, HashChange::Changed}});
        } else {
            out.push_back({rank, pos, 2 * j + 1,
                           HashChange{id, b[j].key, "", b[j].value, HashChange::Added}});
        }
    }
    std::vector<std::size_t> at = anchors(match, b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (match[i] == kNone)
            out.push_back({rank, pos, 2 * at[i],
                           HashChange{id, a[i].key, a[i].value, "", HashChange::Removed}});
}

std::string joined(const HashInput& in) {
    if (in.value.empty()) return in.key;
    if (in.key.empty()) return in.value;
    return in.key + " " + in.value;
}

} // namespace

std::vector<HashChange> diff_inputs(const std::vector<std::string>& old_chunks,
                                    const std::vector<std::string>& new_chunks) {
    std::vector<Item> a = classify_all(old_chunks), b = classify_all(new_chunks);
    std::vector<std::string> ka = match_keys(a), kb = match_keys(b);
    std::map<std::string_view, std::size_t> old_index;
    for (std::size_t i = 0; i < ka.size(); ++i)
        old_index.emplace(ka[i], i);
    std::vector<std::size_t> match(a.size(), kNone);
    std::vector<Sorted> out;

    // Sort keys: go's order (rank), then the place among the new inputs (2j+1,
    // or 2*anchor for a removed input: just before the input that followed it).
    for (std::size_t j = 0; j < b.size(); ++j) {
        const Item& nb = b[j];
        const std::size_t pos = 2 * j + 1;
        auto f = old_index.find(kb[j]);
        if (f == old_index.end()) {
            out.push_back({nb.rank, pos, 0,
                           HashChange{nb.in.id, nb.in.key, "", nb.in.value, HashChange::Added}});
            continue;
        }
        match[f->second] = j;
        const Item& oa = a[f->second];
        if (oa.in.key == nb.in.key && oa.in.value == nb.in.value) continue;
        if (nb.in.id == "modinfo") {
            diff_entries(nb.in.id, modinfo_entries(oa.in.value), modinfo_entries(nb.in.value),
                         nb.rank, pos, out);
        } else if (nb.in.id == "defaultgodebug") {
            diff_entries(nb.in.id, godebug_entries(oa.in.value), godebug_entries(nb.in.value),
                         nb.rank, pos, out);
        } else if (oa.in.key == nb.in.key) {
            out.push_back(
                {nb.rank, pos, 0,
                 HashChange{nb.in.id, nb.in.key, oa.in.value, nb.in.value, HashChange::Changed}});
        } else {
            out.push_back(
                {nb.rank, pos, 0,
                 HashChange{nb.in.id, "", joined(oa.in), joined(nb.in), HashChange::Changed}});
        }
    }
    std::vector<std::size_t> at = anchors(match, b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (match[i] == kNone)
            out.push_back(
                {a[i].rank, 2 * at[i], 0,
                 HashChange{a[i].in.id, a[i].in.key, a[i].in.value, "", HashChange::Removed}});

    std::stable_sort(out.begin(), out.end(), [](const Sorted& x, const Sorted& y) {
        return std::tie(x.rank, x.pos, x.sub) < std::tie(y.rank, y.pos, y.sub);
    });
    std::vector<HashChange> result;
    result.reserve(out.size());
    for (Sorted& s : out)
        result.push_back(std::move(s.change));
    return result;
}

std::vector<HashChange> diff_records(const HashRecord& old_record, const HashRecord& new_record) {
    return diff_inputs(old_record.chunks(), new_record.chunks());
}

std::string describe(const HashChange& c) {
    std::string s = c.id;
    if (!c.key.empty()) s += " " + c.key;
    switch (c.what) {
    case HashChange::Added:
        return s + " added: " + util::clip(c.new_value, 200);
    case HashChange::Removed:
        return s + " removed (was " + util::clip(c.old_value, 200) + ")";
    case HashChange::Changed:
        break;
    }
    return s + " changed: " + util::clip(c.old_value, 200) + " -> " + util::clip(c.new_value, 200);
}

} // namespace gox::analysis
