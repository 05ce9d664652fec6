// The cache program's record: written one line per request, read back with
// every line checked (a record is also read from other machines' runs).

#include <gox/cacheprog/record.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <fstream>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

namespace gox::cacheprog {

namespace {

using nlohmann::json;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::int64_t num(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

TierResult tier_of(const json& j, const char* key) {
    TierResult t;
    auto it = j.find(key);
    if (it == j.end() || !it->is_object()) return t;
    t.asked = true;
    t.outcome = str(*it, "outcome");
    t.latency_us = num(*it, "latency_us");
    t.error = str(*it, "error");
    return t;
}

// The fast path of read_record: a request line whose keys are those
// record_line writes, whose strings have no escapes and whose numbers are
// integers; false for anything else, which the JSON parser then reads.
class LineScanner {
public:
    explicit LineScanner(std::string_view s) : m_s(s) {}
    bool eat(char c) {
        if (m_i < m_s.size() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }
    bool peek(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }
    bool at_end() const { return m_i == m_s.size(); }
    bool string(std::string_view& out) {
        if (!eat('"')) return false;
        std::size_t start = m_i;
        while (m_i < m_s.size() && m_s[m_i] != '"') {
            auto c = static_cast<unsigned char>(m_s[m_i]);
            if (c == '\\' || c < 0x20) return false;
            ++m_i;
        }
        if (m_i == m_s.size()) return false;
        out = m_s.substr(start, m_i - start);
        ++m_i;
        return true;
    }
    bool integer(std::int64_t& out) {
        const char* b = m_s.data() + m_i;
        const char* e = m_s.data() + m_s.size();
        auto [p, ec] = std::from_chars(b, e, out); // out of range: an error, so JSON decides
        if (ec != std::errc() || (p < e && (*p == '.' || *p == 'e' || *p == 'E'))) return false;
        m_i += static_cast<std::size_t>(p - b);
        return true;
    }

private:
    std::string_view m_s;
    std::size_t m_i = 0;
};

bool fast_tier(LineScanner& sc, TierResult& t) {
    if (!sc.eat('{')) return false;
    t.asked = true;
    bool first = true;
    while (!sc.eat('}')) {
        if (!first && !sc.eat(',')) return false;
        first = false;
        std::string_view key, v;
        if (!sc.string(key) || !sc.eat(':')) return false;
        if (key == "latency_us") {
            if (!sc.integer(t.latency_us)) return false;
        } else if (key == "outcome" || key == "error") {
            if (!sc.string(v)) return false;
            (key == "outcome" ? t.outcome : t.error) = v;
        } else {
            return false;
        }
    }
    return true;
}

bool fast_request(std::string_view line, RequestRecord& r) {
    LineScanner sc(line);
    if (!sc.eat('{')) return false;
    bool first = true, request = false, version = false;
    while (!sc.eat('}')) {
        if (!first && !sc.eat(',')) return false;
        first = false;
        std::string_view key, v;
        if (!sc.string(key) || !sc.eat(':')) return false;
        std::int64_t n = 0;
        if (key == "v") {
            if (!sc.integer(n) || n != kRecordVersion) return false;
            version = true;
        } else if (key == "event") {
            if (!sc.string(v) || v != "request") return false;
            request = true;
        } else if (key == "id" || key == "bytes" || key == "start_ns" || key == "latency_us") {
            if (!sc.integer(n)) return false;
            (key == "id" ? r.id : key == "bytes" ? r.bytes : key == "start_ns" ? r.start_ns : r.latency_us) = n;
        } else if (key == "local" || key == "upstream") {
            if (!fast_tier(sc, key == "local" ? r.local : r.upstream)) return false;
        } else {
            std::string* field = key == "session"     ? &r.session
                                 : key == "cmd"       ? &r.cmd
                                 : key == "action_id" ? &r.action_id
                                 : key == "output_id" ? &r.output_id
                                 : key == "outcome"   ? &r.outcome
                                 : key == "source"    ? &r.source
                                 : key == "error"     ? &r.error
                                                      : nullptr;
            if (!field || !sc.string(v)) return false;
            *field = v;
        }
    }
    return sc.at_end() && version && request && !r.cmd.empty() && !r.outcome.empty();
}

// One request into c: the outcome and latency of the tier (or of go's answer).
void count(CacheCounts& c, const RequestRecord& r, const std::string& outcome, std::int64_t latency_us) {
    if (r.cmd == "get") {
        ++c.gets;
        if (outcome == "hit") {
            ++c.hits;
            c.bytes_read += r.bytes;
        } else if (outcome == "miss") {
            ++c.misses;
        } else {
            ++c.errors;
        }
    } else if (r.cmd == "put") {
        ++c.puts;
        if (outcome == "error") ++c.put_errors;
        else c.bytes_written += r.bytes;
    }
    c.wait_seconds += static_cast<double>(latency_us) / 1e6;
}

} // namespace

// Built by hand: the server writes one line per request while go waits
// (a JSON object built and dumped costs several times more). Strings of
// printable ASCII go in as they are, any other through the JSON encoder.
void put_string(std::string& out, const std::string& v) {
    bool plain = true;
    for (unsigned char c : v)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    if (plain) {
        out += '"';
        out += v;
        out += '"';
    } else {
        out += json(v).dump(-1, ' ', false, json::error_handler_t::replace);
    }
}
void put_key(std::string& out, const char* key) {
    out += ",\"";
    out += key;
    out += "\":";
}
void put_tier(std::string& out, const char* key, const TierResult& t) {
    if (!t.asked) return;
    put_key(out, key);
    out += "{\"outcome\":";
    put_string(out, t.outcome);
    out += ",\"latency_us\":" + std::to_string(t.latency_us);
    if (!t.error.empty()) {
        put_key(out, "error");
        put_string(out, t.error);
    }
    out += '}';
}

std::string record_line(const RequestRecord& r) {
    std::string out = "{\"v\":" + std::to_string(kRecordVersion) + ",\"event\":\"request\"";
    auto str_field = [&](const char* key, const std::string& v, bool always) {
        if (v.empty() && !always) return;
        put_key(out, key);
        put_string(out, v);
    };
    auto num_field = [&](const char* key, std::int64_t v) {
        put_key(out, key);
        out += std::to_string(v);
    };
    str_field("session", r.session, true);
    num_field("id", r.id);
    str_field("cmd", r.cmd, true);
    str_field("action_id", r.action_id, false);
    str_field("output_id", r.output_id, false);
    num_field("bytes", r.bytes);
    num_field("start_ns", r.start_ns);
    num_field("latency_us", r.latency_us);
    str_field("outcome", r.outcome, true);
    str_field("source", r.source, false);
    str_field("error", r.error, false);
    put_tier(out, "local", r.local);
    put_tier(out, "upstream", r.upstream);
    out += "}\n";
    return out;
}

RecordWriter::~RecordWriter() {
    if (m_fd >= 0) ::close(m_fd);
}

bool RecordWriter::open(const std::string& path, std::string session) {
    m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    m_session = std::move(session);
    return m_fd >= 0;
}

void RecordWriter::keep(RecordLog* log, std::string session) {
    m_keep = log;
    if (m_session.empty()) m_session = std::move(session);
    log->sessions.push_back(m_session);
}

void RecordWriter::write_line(const std::string& line) {
    if (m_fd < 0) return;
    std::lock_guard lock(m_mu);
    // One write(2) per line, so appends of several processes do not interleave.
    std::size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(m_fd, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ++m_failed;
            return;
        }
        off += static_cast<std::size_t>(n);
    }
}

void RecordWriter::start(const std::string& gocache, const std::string& upstream, bool local) {
    write_line(dump({{"v", kRecordVersion}, {"event", "start"}, {"session", m_session}, {"time", now_ns()},
                     {"pid", static_cast<std::int64_t>(::getpid())}, {"gocache", gocache}, {"upstream", upstream},
                     {"local", local}}));
}

void RecordWriter::request(RequestRecord r) {
    r.session = m_session;
    if (m_fd >= 0) write_line(record_line(r));
    if (m_keep) {
        std::lock_guard lock(m_mu);
        m_keep->requests.push_back(std::move(r));
    }
}

void RecordWriter::problem(std::string_view message) {
    if (m_keep) {
        std::lock_guard lock(m_mu);
        m_keep->problems.push_back({m_session, std::string(message)});
    }
    write_line(dump({{"v", kRecordVersion}, {"event", "problem"}, {"session", m_session}, {"time", now_ns()},
                     {"message", std::string(message)}}));
}

void RecordWriter::close_event() {
    write_line(dump({{"v", kRecordVersion}, {"event", "close"}, {"session", m_session}, {"time", now_ns()}}));
}

std::map<std::string, CacheCounts> RecordLog::totals() const {
    std::map<std::string, CacheCounts> t;
    auto& all = t["all"];
    for (const auto& r : requests) {
        count(all, r, r.outcome, r.latency_us);
        if (r.local.asked) count(t["local"], r, r.local.outcome, r.local.latency_us);
        if (r.upstream.asked) count(t["upstream"], r, r.upstream.outcome, r.upstream.latency_us);
    }
    return t;
}

RecordLog read_record(std::istream& in) {
    RecordLog log;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        // A request line as record_line writes it, in one pass; anything
        // else (other events, escapes, another writer's layout) is parsed
        // and checked as JSON below.
        if (RequestRecord r; fast_request(line, r)) {
            log.requests.push_back(std::move(r));
            continue;
        }
        ++log.json_lines;
        auto j = json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("v") || !j["v"].is_number_integer() || !j.contains("event")) {
            ++log.bad_lines;
            continue;
        }
        if (j["v"].get<std::int64_t>() > kRecordVersion) {
            ++log.newer_lines;
            continue;
        }
        std::string event = str(j, "event");
        if (event == "start") {
            log.sessions.push_back(str(j, "session"));
            if (j.contains("local") && j["local"].is_boolean() && j["local"].get<bool>() && !str(j, "gocache").empty())
                log.local_gocache[log.sessions.back()] = str(j, "gocache");
        } else if (event == "problem") {
            log.problems.push_back({str(j, "session"), str(j, "message")});
        } else if (event == "request") {
            RequestRecord r;
            r.session = str(j, "session");
            r.id = num(j, "id");
            r.cmd = str(j, "cmd");
            r.action_id = str(j, "action_id");
            r.output_id = str(j, "output_id");
            r.bytes = num(j, "bytes");
            r.start_ns = num(j, "start_ns");
            r.latency_us = num(j, "latency_us");
            r.outcome = str(j, "outcome");
            r.source = str(j, "source");
            r.error = str(j, "error");
            r.local = tier_of(j, "local");
            r.upstream = tier_of(j, "upstream");
            if (r.cmd.empty() || r.outcome.empty()) {
                ++log.bad_lines;
                continue;
            }
            log.requests.push_back(std::move(r));
        } else if (event != "close") {
            ++log.bad_lines;
        }
    }
    return log;
}

RecordLog read_record_file(const std::string& path, const std::string& session) {
    std::ifstream in(path, std::ios::binary);
    RecordLog log = read_record(in);
    if (session.empty()) return log;
    RecordLog one;
    one.bad_lines = log.bad_lines;
    one.newer_lines = log.newer_lines;
    for (auto& r : log.requests)
        if (r.session == session) one.requests.push_back(std::move(r));
    for (auto& s : log.sessions)
        if (s == session) one.sessions.push_back(s);
    if (auto g = log.local_gocache.find(session); g != log.local_gocache.end()) one.local_gocache.insert(*g);
    for (auto& p : log.problems)
        if (p.session == session) one.problems.push_back(std::move(p));
    return one;
}

} // namespace gox::cacheprog
