#pragma once
// Inside trace/hash_stream.cpp only: the search that explains a group of
// records with the same name open at once (HashCollector::solve_group), and
// the copyable SHA-256 it forks partial hashes of.

#include <gox/trace/hash_stream.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <openssl/evp.h>

namespace gox::trace::detail {

inline constexpr std::size_t kNone = SIZE_MAX;

// SHA-256 from OpenSSL's libcrypto. Copyable, because the record solver
// forks partial hashes while it searches.
class Sha256 {
public:
    Sha256();
    Sha256(const Sha256& o);
    Sha256& operator=(const Sha256& o);
    Sha256(Sha256&&) noexcept = default;
    Sha256& operator=(Sha256&&) noexcept = default;
    ~Sha256() = default;

    void update(std::string_view data) { EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()); }
    // The hex digest; ends this hash (hex() a copy to go on feeding).
    std::string hex();
    // Tells equal partial hashes apart: the digest of what was fed so far.
    std::string state() const { return Sha256(*this).hex(); }

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> m_ctx;
};

// Can `next` follow `prev` inside one record? (go's order; unknown inputs can
// be anywhere.) A record that already has an input it has at most once has
// passed that point.
bool can_follow(const ChunkPlace& prev, int prev_rank, const ChunkPlace& next, int next_rank);

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
        ChunkPlace last;
        int last_rank = 0;
        bool started = false;
        bool active = false;
        bool closed = false;
    };

    GroupSolver(std::vector<Event> events, std::vector<Member> members, ChunkPlacer place);

    bool solve() { return dfs(0); }
    // For each event: the member that owns it (chunks, sums, opens), kNone if none.
    const std::vector<std::size_t>& owners() const { return m_owner; }
    const std::vector<Member>& members() const { return m_members; }

private:
    static constexpr std::size_t kBudget = 20000;

    // The search state at event e. Members that are closed can take nothing
    // more, and open members with equal states are interchangeable, so the key
    // is the sorted states of the open ones (plus how many are yet to open).
    std::size_t key(std::size_t e) const;
    bool dfs(std::size_t e);

    std::vector<Event> m_events;
    std::vector<Member> m_members;
    std::vector<std::size_t> m_owner;
    std::vector<ChunkPlace> m_in;
    std::vector<int> m_rank;
    std::unordered_set<std::size_t> m_memo;
    std::size_t m_work = 0;
};

} // namespace gox::trace::detail
