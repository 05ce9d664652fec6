#include <gox/model/test_output.hpp>
#include <gox/trace/test_lines.hpp>

#include <fmt/format.h>

namespace gox::model {

std::string omitted_marker(std::size_t n) { return fmt::format("… {} line{} omitted …", n, n == 1 ? "" : "s"); }

void OutputCut::add(std::string line) {
    const std::size_t n = m_count++;
    if (n < kWhole) m_all.push_back(line);
    else m_all.clear();
    if (n < kFirst) {
        m_head.emplace_back(n, line);
    } else if (m_after_left > 0) {
        m_head.emplace_back(n, line);
        --m_after_left;
    } else if (!m_seen_failure && trace::looks_like_test_failure(line)) {
        m_seen_failure = true;
        for (auto& b : m_before) m_head.push_back(std::move(b));
        m_before.clear();
        m_head.emplace_back(n, line);
        m_after_left = kAfter - 1;
    } else if (!m_seen_failure) {
        m_before.emplace_back(n, line);
        if (m_before.size() > kBefore) m_before.pop_front();
    }
    if (n < kFirst) return; // already kept
    m_last.emplace_back(n, std::move(line));
    if (m_last.size() > kLast) m_last.pop_front();
}

std::vector<std::string> OutputCut::take() {
    if (m_count <= kWhole) {
        auto all = std::move(m_all);
        *this = OutputCut{};
        return all;
    }
    std::vector<std::string> out;
    std::size_t next = 0; // the number of the next line not yet shown
    auto put = [&](Numbered& l) {
        if (l.first < next) return; // already shown (the head and the tail overlap)
        if (l.first > next) out.push_back(omitted_marker(l.first - next));
        out.push_back(std::move(l.second));
        next = l.first + 1;
    };
    for (auto& l : m_head) put(l);
    for (auto& l : m_last) put(l);
    if (next < m_count) out.push_back(omitted_marker(m_count - next)); // cannot happen: the last line is kept
    *this = OutputCut{};
    return out;
}

} // namespace gox::model
