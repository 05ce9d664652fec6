#include <gox/model/hash_filter.hpp>

namespace gox::model {

namespace {
// cmd/go's hash debugging prints "HASH[name]: …", "HASH /file: …" and
// "HASH subkey …": "HASH" and then '[' or ' '.
constexpr std::string_view kMark = "HASH";
bool marks_hash_line(std::string_view held) {
    if (held.size() <= kMark.size()) return kMark.substr(0, held.size()) == held;
    return held.substr(0, kMark.size()) == kMark && (held[kMark.size()] == '[' || held[kMark.size()] == ' ');
}
} // namespace

void HashLineFilter::feed(std::string_view bytes) {
    std::size_t emit_from = 0; // bytes[emit_from, i) pass through
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        char c = bytes[i];
        if (m_dropping) {
            if (c == '\n') {
                m_dropping = false;
                m_at_start = true;
                ++m_dropped;
            }
            emit_from = i + 1;
            continue;
        }
        if (m_at_start || !m_held.empty()) {
            if (m_at_start) {
                if (i > emit_from) m_out(bytes.substr(emit_from, i - emit_from));
                m_at_start = false;
            }
            m_held += c;
            if (marks_hash_line(m_held)) {
                if (m_held.size() > kMark.size()) {
                    m_dropping = true;
                    m_held.clear();
                }
                emit_from = i + 1;
                continue;
            }
            // Not a HASH line: what was held is output, this byte too.
            m_out(m_held);
            m_held.clear();
            emit_from = i + 1;
        }
        if (c == '\n') {
            if (i + 1 > emit_from) m_out(bytes.substr(emit_from, i + 1 - emit_from));
            emit_from = i + 1;
            m_at_start = true;
        }
    }
    if (bytes.size() > emit_from && !m_dropping) m_out(bytes.substr(emit_from));
}

void HashLineFilter::finish() {
    if (!m_held.empty()) m_out(m_held);
    m_held.clear();
}

} // namespace gox::model
