#include <gox/trace/hash_group.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace gox::trace::detail {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("libcrypto: SHA-256 is unavailable");
}

Sha256::Sha256(const Sha256& o) : m_ctx(EVP_MD_CTX_new()) {
    if (!m_ctx || EVP_MD_CTX_copy_ex(m_ctx.get(), o.m_ctx.get()) != 1)
        throw std::runtime_error("libcrypto: cannot copy a SHA-256 state");
}

Sha256& Sha256::operator=(const Sha256& o) {
    if (this != &o && EVP_MD_CTX_copy_ex(m_ctx.get(), o.m_ctx.get()) != 1)
        throw std::runtime_error("libcrypto: cannot copy a SHA-256 state");
    return *this;
}

std::string Sha256::hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(m_ctx.get(), md, &n);
    return util::to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

bool can_follow(const ChunkPlace& prev, int prev_rank, const ChunkPlace& next, int next_rank) {
    if (prev_rank < 0 || next_rank < 0) return true;
    if (prev_rank != next_rank) return prev_rank < next_rank;
    return !(prev.id == next.id && next.once) && !next.leads;
}

GroupSolver::GroupSolver(std::vector<Event> events, std::vector<Member> members, ChunkPlacer place)
    : m_events(std::move(events)), m_members(std::move(members)),
      m_owner(m_events.size(), kNone) {
    for (const Event& e : m_events) {
        m_in.push_back(e.type == 1 ? place(e.text, false) : ChunkPlace{});
        m_rank.push_back(e.type == 1 ? m_in.back().rank : 0);
    }
}

std::size_t GroupSolver::key(std::size_t e) const {
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

bool GroupSolver::dfs(std::size_t e) {
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

} // namespace gox::trace::detail
