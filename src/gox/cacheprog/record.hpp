#pragma once
// The record of a cache program: one JSON line per request go made, written
// by `gox cacheprog --record=FILE` (or $GOX_CACHEPROG_RECORD), and read back
// for the analysis (`gox --cacheprog build` hands it to analysis::analyse
// with the other collected records). Several go processes may append to one
// file: each line is one write(2) of an O_APPEND file, and carries the
// writing process's session.
//
// Lines (gox(1), CACHE PROGRAM RECORD):
//   {"v":1,"event":"start","session":S,"time":T,"gocache":DIR,"upstream":CMD,"local":true}
//   {"v":1,"event":"request","session":S,"id":N,"cmd":"get","action_id":HEX,
//    "output_id":HEX,"bytes":N,"start_ns":T,"latency_us":N,"outcome":"hit",
//    "source":"local","error":"...","local":{...},"upstream":{...}}
//   {"v":1,"event":"problem","session":S,"time":T,"message":"..."}
//   {"v":1,"event":"close","session":S,"time":T}
// A request's outcome is what go got: hit, miss or error for a get; stored
// or error for a put; ok for close. source says which tier served a hit or
// took a put first: local or upstream. local and upstream, when that tier
// was asked, hold that tier's own outcome, latency and error text.

#include <cstdint>
#include <istream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::cacheprog {

inline constexpr int kRecordVersion = 1;

struct TierResult {
    bool asked = false;
    std::string outcome; // hit, miss, stored, error
    std::int64_t latency_us = 0;
    std::string error;
};

struct RequestRecord {
    std::string session;
    std::int64_t id = 0;
    std::string cmd;       // get, put, close
    std::string action_id; // hex
    std::string output_id; // hex ("" for a miss)
    std::int64_t bytes = 0;
    std::int64_t start_ns = 0;   // Unix ns when the request arrived
    std::int64_t latency_us = 0; // until its response was written
    std::string outcome;   // hit, miss, error, stored, ok
    std::string source;    // local, upstream, "" (a miss)
    std::string error;     // the error go got, or the one recorded for the miss
    TierResult local, upstream;
};

// One line of the record.
std::string record_line(const RequestRecord& r);

// The writer: a file opened for appending; every method is thread-safe and
// never throws or prints (a failed write is counted, nothing else).
struct RecordLog;

class RecordWriter {
public:
    RecordWriter() = default;
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;

    // Opens path for appending (created 0644 if missing); false if it cannot.
    bool open(const std::string& path, std::string session);
    bool is_open() const { return m_fd >= 0; }
    const std::string& session() const { return m_session; }

    void start(const std::string& gocache, const std::string& upstream, bool local);
    void request(RequestRecord r);
    void problem(std::string_view message);
    void close_event();
    std::uint64_t failed_writes() const { return m_failed; }
    // Also keeps every request and problem in log (read only after the
    // session ended): gox cacheprog's own history record (standalone use).
    void keep(RecordLog* log, std::string session);

private:
    void write_line(const std::string& line);
    RecordLog* m_keep = nullptr;
    int m_fd = -1;
    std::string m_session;
    std::mutex m_mu;
    std::uint64_t m_failed = 0;
};

// Totals of one tier or of what go got.
struct CacheCounts {
    std::int64_t gets = 0, hits = 0, misses = 0, errors = 0, puts = 0, put_errors = 0;
    std::int64_t bytes_read = 0, bytes_written = 0;
    double wait_seconds = 0; // go's wait: the sum of request latencies
};

struct Problem {
    std::string session, message;
};

// A record read back.
struct RecordLog {
    std::vector<RequestRecord> requests;
    std::vector<Problem> problems;     // the cache program's own problems
    std::vector<std::string> sessions; // in the order they started
    std::map<std::string, std::string> local_gocache; // session -> its local tier's GOCACHE (none: --no-local)
    std::size_t bad_lines = 0;         // not JSON, or not a record line
    std::size_t json_lines = 0;        // lines the one-pass reader left to the JSON parser (other events, writers)
    std::size_t newer_lines = 0;       // a later version: skipped
    // Totals: "all" is what go saw (its gets, hits, misses, errors, puts,
    // the bytes of hits and puts and its wait); "local" and "upstream" what
    // each tier was asked and answered (an upstream hit that a local miss
    // asked for counts as a local miss and an upstream hit).
    std::map<std::string, CacheCounts> totals() const;
};

// Reads a record (any number of sessions); never throws on bad lines.
RecordLog read_record(std::istream& in);
// Only the lines of one session ("" for all).
RecordLog read_record_file(const std::string& path, const std::string& session = "");

} // namespace gox::cacheprog
