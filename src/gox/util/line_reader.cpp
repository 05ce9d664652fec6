#include <gox/util/error.hpp>
#include <gox/util/line_reader.hpp>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace gox::util {

namespace {
constexpr std::size_t kChunk = 256 * 1024;
}

LineReader::LineReader(int fd, std::size_t max_line) : m_fd(fd), m_max_line(max_line) {
    m_buf.resize(kChunk);
}

bool LineReader::fill() {
    if (m_eof) return false;
    for (;;) {
        ssize_t n = ::read(m_fd, m_buf.data(), m_buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Fatal(std::string("read error: ") + std::strerror(errno));
        }
        m_pos = 0;
        m_end = static_cast<std::size_t>(n);
        m_total += static_cast<std::uint64_t>(n);
        if (n == 0) m_eof = true;
        return n > 0;
    }
}

bool LineReader::next(std::string_view& line) {
    m_line.clear();
    m_truncated = false;
    m_unterminated = false;
    bool have_any = false;
    for (;;) {
        if (m_pos == m_end && !fill()) {
            if (!have_any) return false;
            m_unterminated = true;
            break;
        }
        have_any = true;
        const char* start = m_buf.data() + m_pos;
        const void* nl = std::memchr(start, '\n', m_end - m_pos);
        std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start)
                              : m_end - m_pos;
        // Fast path: a whole line inside the buffer and nothing assembled yet.
        if (nl && m_line.empty() && !m_truncated && take <= m_max_line) {
            m_pos += take + 1;
            line = std::string_view(start, take);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            return true;
        }
        std::size_t room = m_max_line > m_line.size() ? m_max_line - m_line.size() : 0;
        if (take > room) {
            m_line.append(start, room);
            m_truncated = true;
        } else {
            m_line.append(start, take);
        }
        m_pos += take;
        if (nl) {
            ++m_pos;
            break;
        }
    }
    if (m_truncated) ++m_truncated_count;
    line = m_line;
    if (!m_truncated && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
}

} // namespace gox::util
