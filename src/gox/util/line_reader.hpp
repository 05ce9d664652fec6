#pragma once
// Splits a byte stream into lines without holding more than one line (capped)
// in memory. Handles LF and CRLF endings, NUL bytes and a last line without a
// newline. Lines longer than the cap are cut; the cut is reported, not hidden.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gox::util {

class LineReader {
public:
    // fd is read with read(2); the reader does not close it.
    explicit LineReader(int fd, std::size_t max_line = kDefaultMaxLine);

    // Next line without its terminator ("\n" or "\r\n"). The view stays valid
    // until the next call. Returns false at end of input. Throws Fatal on a
    // read error.
    bool next(std::string_view& line);

    // True when the line last returned was longer than the cap (the view holds
    // the first max_line bytes).
    bool truncated() const { return m_truncated; }
    // True when the line last returned had no newline (end of input).
    bool unterminated() const { return m_unterminated; }
    std::uint64_t bytes_read() const { return m_total; }
    std::uint64_t lines_truncated() const { return m_truncated_count; }

    static constexpr std::size_t kDefaultMaxLine = 1u << 20;

private:
    bool fill();

    int m_fd;
    std::size_t m_max_line;
    std::string m_buf;   // read buffer
    std::size_t m_pos = 0, m_end = 0;
    std::string m_line;  // assembled line when it spans reads
    bool m_eof = false;
    bool m_truncated = false;
    bool m_unterminated = false;
    std::uint64_t m_total = 0;
    std::uint64_t m_truncated_count = 0;
};

} // namespace gox::util
