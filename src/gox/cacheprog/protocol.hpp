#pragma once
// The GOCACHEPROG wire protocol (Go 1.24+, cmd/go/internal/cacheprog), as
// values: one JSON object per line each way. go sends requests {ID, Command,
// ActionID, OutputID, BodySize}; a put with BodySize > 0 is followed by its
// body as one JSON string of standard base64 on the next line. The helper
// first sends {ID:0, KnownCommands:[...]}, then one response per request
// {ID, Err, Miss, OutputID, Size, Time, DiskPath}, in any order. []byte
// fields are standard base64 in JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::cacheprog {

struct Request {
    std::int64_t id = 0;
    std::string command;   // "get", "put", "close" (others are answered with Err)
    std::string action_id; // raw bytes (32 for go's SHA-256 ids), "" if absent
    std::string output_id; // raw bytes, put only
    std::int64_t body_size = 0;
    std::string body;      // put: the decoded body
};

struct Response {
    std::int64_t id = 0;
    std::string err;
    std::vector<std::string> known_commands; // the first message only
    bool miss = false;
    std::string output_id;     // raw bytes
    std::int64_t size = 0;
    std::int64_t time_ns = -1; // Unix nanoseconds; -1: absent
    std::string disk_path;
};

// Standard base64 with padding, as Go's encoding/json writes []byte.
std::string base64_encode(std::string_view raw);
// nullopt when s is not valid standard base64.
std::optional<std::string> base64_decode(std::string_view s);
// Lower-case hex of raw bytes, and back (nullopt on a bad digit or length).
std::string hex(std::string_view raw);
std::optional<std::string> unhex(std::string_view h);

// One request line (without the body): nullopt plus why in *error when it
// is not a request object.
std::optional<Request> parse_request(std::string_view line, std::string* error = nullptr);
// The body line that follows a put: a JSON string of base64.
std::optional<std::string> parse_body(std::string_view line);
// The request as go writes it: the JSON line and, with a body, the body line
// (each ending in '\n').
std::string encode_request(const Request& r);

// One response line ending in '\n', fields omitted when empty as go's
// `omitempty` does.
std::string encode_response(const Response& r);
std::optional<Response> parse_response(std::string_view line, std::string* error = nullptr);

// Time as Go's time.Time marshals it (RFC 3339 with nanoseconds, UTC), and
// back; parse returns nullopt for what it cannot read.
std::string format_time(std::int64_t unix_ns);
std::optional<std::int64_t> parse_time(std::string_view rfc3339);

// GOCACHEPROG's "CMD ARGS" split into words as go splits it
// (cmd/internal/quoted: spaces separate words, '...' and "..." quote without
// escapes). nullopt for an unterminated quote.
std::optional<std::vector<std::string>> split_command(std::string_view s);

// Reads lines of any length from a file descriptor (the protocol's bodies
// are whole files on one line).
class LineIn {
public:
    explicit LineIn(int fd) : m_fd(fd) {}
    // Next line without '\n'; false at end of input or on a read error.
    bool next(std::string& line);

private:
    int m_fd;
    std::string m_buf;
    std::size_t m_pos = 0;
    std::size_t m_scanned = 0; // m_buf holds no newline before this
    bool m_eof = false;
};

// Writes all of s to fd (retrying short writes and EINTR); false on error.
bool write_all(int fd, std::string_view s);

} // namespace gox::cacheprog
