// The cache program's record: written one line per request, read back with
// every line checked (a record is also read from other machines' runs).

#include <gox/cacheprog/record.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace gox::cacheprog {

namespace {

using nlohmann::json;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json tier_json(const TierResult& t) {
    json j = {{"outcome", t.outcome}, {"latency_us", t.latency_us}};
    if (!t.error.empty()) j["error"] = t.error;
    return j;
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

std::string record_line(const RequestRecord& r) {
    json j = {{"v", kRecordVersion}, {"event", "request"}, {"session", r.session}, {"id", r.id}, {"cmd", r.cmd}};
    if (!r.action_id.empty()) j["action_id"] = r.action_id;
    if (!r.output_id.empty()) j["output_id"] = r.output_id;
    j["bytes"] = r.bytes;
    j["start_ns"] = r.start_ns;
    j["latency_us"] = r.latency_us;
    j["outcome"] = r.outcome;
    if (!r.source.empty()) j["source"] = r.source;
    if (!r.error.empty()) j["error"] = r.error;
    if (r.local.asked) j["local"] = tier_json(r.local);
    if (r.upstream.asked) j["upstream"] = tier_json(r.upstream);
    return dump(j);
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
    for (auto& p : log.problems)
        if (p.session == session) one.problems.push_back(std::move(p));
    return one;
}

} // namespace gox::cacheprog
