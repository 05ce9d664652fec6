#include <gox/trace/hash_group.hpp>
#include <gox/trace/hash_stream.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>

namespace gox::trace {

using detail::can_follow;
using detail::GroupSolver;
using detail::kNone;
using detail::Sha256;
using util::go_unquote;
using util::is_lower_hex;
using util::starts_with;

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool is_sum(std::string_view s) {
    return s.size() == 64 && is_lower_hex(s);
}

} // namespace

bool looks_like_salt(std::string_view c) {
    return !c.empty() && c.find('\n') == std::string_view::npos &&
           (starts_with(c, "go1") || starts_with(c, "devel "));
}

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

std::string action_id_to_hex(std::string_view id) {
    if (id.size() != 20) return {};
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    };
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(30);
    for (std::size_t i = 0; i < 20; i += 4) {
        unsigned v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            int d = value(id[i + k]);
            if (d < 0) return {};
            v = (v << 6) | static_cast<unsigned>(d);
        }
        for (int shift : {16, 8, 0}) {
            unsigned byte = (v >> shift) & 0xff;
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        }
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

std::size_t HashCollector::route_chunk(const std::vector<std::size_t>& open,
                                       std::string_view chunk) const {
    if (open.size() == 1) return 0;
    // Every hash starts with the salt: it belongs to a record with no chunk yet.
    if (looks_like_salt(chunk))
        for (std::size_t i = 0; i < open.size(); ++i)
            if (m_records[open[i]].chunk_count() == 0) return i;
    ChunkPlace in = m_place(chunk, false);
    int r = in.rank;
    std::size_t best = kNone;
    int best_rank = std::numeric_limits<int>::min();
    for (std::size_t i = 0; i < open.size(); ++i) {
        const HashRecord& rec = m_records[open[i]];
        if (rec.chunk_count() == 0) continue;
        ChunkPlace last = m_place(rec.chunk(rec.chunk_count() - 1), rec.chunk_count() == 1);
        int last_rank = last.rank;
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
            m.last = m_place(ch, c == 0);
            if (m.last.rank >= 0) m.last_rank = m.last.rank;
            m.started = true;
        }
    }
    GroupSolver solver(std::move(events), std::move(start), m_place);
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
                                                    : m_place(rec.chunk(rec.chunk_count() - 1), false).rank;
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

} // namespace gox::trace
