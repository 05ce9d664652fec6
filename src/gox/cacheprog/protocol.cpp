// The GOCACHEPROG wire format: JSON lines through nlohmann::json, base64 and
// hex by hand (bodies are whole object files, so these stay simple loops).

#include <gox/cacheprog/protocol.hpp>
#include <gox/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <unistd.h>

namespace gox::cacheprog {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> b64_table() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<signed char>(i);
    return t;
}
constexpr auto kB64Val = b64_table();

std::string bytes_field(const nlohmann::json& j, const char* key, bool& ok) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_string()) {
        ok = false;
        return {};
    }
    auto raw = base64_decode(it->get_ref<const std::string&>());
    if (!raw) ok = false;
    return raw ? *raw : std::string();
}

std::int64_t int_field(const nlohmann::json& j, const char* key, bool& ok) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) {
        ok = false;
        return 0;
    }
    return it->get<std::int64_t>();
}

void set_error(std::string* error, const char* why) {
    if (error) *error = why;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian), and back.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

std::string base64_encode(std::string_view raw) {
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(raw[k]); };
    for (; i + 3 <= raw.size(); i += 3) {
        unsigned v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += kB64[v & 63];
    }
    if (raw.size() - i == 1) {
        unsigned v = at(i) << 16;
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += "==";
    } else if (raw.size() - i == 2) {
        unsigned v = at(i) << 16 | at(i + 1) << 8;
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view s) {
    if (s.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(s.size() / 4 * 3);
    for (std::size_t i = 0; i < s.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s[i + static_cast<std::size_t>(k)];
            if (c == '=' && i + 4 == s.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad) return std::nullopt; // data after padding
            v[k] = kB64Val[static_cast<unsigned char>(c)];
            if (v[k] < 0) return std::nullopt;
        }
        unsigned w = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out += static_cast<char>(w >> 16);
        if (pad < 2) out += static_cast<char>((w >> 8) & 255);
        if (pad < 1) out += static_cast<char>(w & 255);
    }
    return out;
}

std::string hex(std::string_view raw) { return util::to_hex(raw); }

std::optional<std::string> unhex(std::string_view h) {
    if (h.size() % 2) return std::nullopt;
    auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < h.size(); i += 2) {
        int a = val(h[i]), b = val(h[i + 1]);
        if (a < 0 || b < 0) return std::nullopt;
        out += static_cast<char>(a << 4 | b);
    }
    return out;
}

std::optional<Request> parse_request(std::string_view line, std::string* error) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) return set_error(error, "not a JSON object"), std::nullopt;
    Request r;
    bool ok = true;
    r.id = int_field(j, "ID", ok);
    if (auto it = j.find("Command"); it != j.end() && it->is_string()) r.command = it->get<std::string>();
    r.action_id = bytes_field(j, "ActionID", ok);
    r.output_id = bytes_field(j, "OutputID", ok);
    r.body_size = int_field(j, "BodySize", ok);
    if (!ok || r.body_size < 0) return set_error(error, "a field has the wrong type"), std::nullopt;
    return r;
}

std::optional<std::string> parse_body(std::string_view line) {
    // A JSON string of base64 has no escapes: read it without a JSON DOM.
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.size() < 2 || line.front() != '"' || line.back() != '"') return std::nullopt;
    return base64_decode(line.substr(1, line.size() - 2));
}

std::string encode_request(const Request& r) {
    nlohmann::json j;
    j["ID"] = r.id;
    j["Command"] = r.command;
    if (!r.action_id.empty()) j["ActionID"] = base64_encode(r.action_id);
    if (!r.output_id.empty()) j["OutputID"] = base64_encode(r.output_id);
    if (r.body_size > 0) j["BodySize"] = r.body_size;
    std::string out = j.dump() + "\n";
    if (r.body_size > 0) out += "\"" + base64_encode(r.body) + "\"\n";
    return out;
}

std::string encode_response(const Response& r) {
    nlohmann::json j;
    j["ID"] = r.id;
    if (!r.err.empty()) j["Err"] = r.err;
    if (!r.known_commands.empty()) j["KnownCommands"] = r.known_commands;
    if (r.miss) j["Miss"] = true;
    if (!r.output_id.empty()) j["OutputID"] = base64_encode(r.output_id);
    if (r.size) j["Size"] = r.size;
    if (r.time_ns >= 0) j["Time"] = format_time(r.time_ns);
    if (!r.disk_path.empty()) j["DiskPath"] = r.disk_path;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<Response> parse_response(std::string_view line, std::string* error) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) return set_error(error, "not a JSON object"), std::nullopt;
    Response r;
    bool ok = true;
    r.id = int_field(j, "ID", ok);
    if (auto it = j.find("Err"); it != j.end() && it->is_string()) r.err = it->get<std::string>();
    if (auto it = j.find("KnownCommands"); it != j.end() && it->is_array())
        for (const auto& c : *it)
            if (c.is_string()) r.known_commands.push_back(c.get<std::string>());
    if (auto it = j.find("Miss"); it != j.end() && it->is_boolean()) r.miss = it->get<bool>();
    r.output_id = bytes_field(j, "OutputID", ok);
    r.size = int_field(j, "Size", ok);
    if (auto it = j.find("Time"); it != j.end() && it->is_string())
        if (auto t = parse_time(it->get_ref<const std::string&>())) r.time_ns = *t;
    if (auto it = j.find("DiskPath"); it != j.end() && it->is_string()) r.disk_path = it->get<std::string>();
    if (!ok) return set_error(error, "a field has the wrong type"), std::nullopt;
    return r;
}

std::string format_time(std::int64_t unix_ns) {
    std::int64_t secs = unix_ns / 1000000000, ns = unix_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        --secs;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    if (ns) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(ns));
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    return out + "Z";
}

std::optional<std::int64_t> parse_time(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
    auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
        if (at + n > s.size()) return std::nullopt;
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
    if (!y || !mo || !d || !h || !mi || !se || s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't'))
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t frac = 0;
    if (i < s.size() && s[i] == '.') {
        int digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
            if (digits++ < 9) frac = frac * 10 + (s[i] - '0');
        for (; digits < 9; ++digits) frac *= 10;
    }
    std::int64_t offset = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        auto oh = num(i + 1, 2), om = num(i + 4, 2);
        if (!oh || !om) return std::nullopt;
        offset = (*oh * 3600 + *om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    std::int64_t days = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
    std::int64_t secs = days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
    return secs * 1000000000 + frac;
}

std::optional<std::vector<std::string>> split_command(std::string_view s) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (true) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
        if (i == s.size()) break;
        if (s[i] == '"' || s[i] == '\'') {
            char q = s[i++];
            auto end = s.find(q, i);
            if (end == std::string_view::npos) return std::nullopt;
            words.emplace_back(s.substr(i, end - i));
            i = end + 1;
            continue;
        }
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') ++i;
        words.emplace_back(s.substr(start, i - start));
    }
    return words;
}

bool LineIn::next(std::string& line) {
    while (true) {
        auto nl = m_buf.find('\n', std::max(m_pos, m_scanned));
        if (nl != std::string::npos) {
            line.assign(m_buf, m_pos, nl - m_pos);
            m_pos = nl + 1;
            m_scanned = 0;
            return true;
        }
        if (m_eof) {
            if (m_pos >= m_buf.size()) return false;
            line.assign(m_buf, m_pos, std::string::npos);
            m_pos = m_buf.size();
            return true;
        }
        if (m_pos) {
            m_buf.erase(0, m_pos);
            m_pos = 0;
        }
        m_scanned = m_buf.size(); // no newline up to here
        std::size_t old = m_buf.size();
        m_buf.resize(old + (1u << 16));
        ssize_t n;
        do n = ::read(m_fd, m_buf.data() + old, 1u << 16);
        while (n < 0 && errno == EINTR);
        m_buf.resize(old + static_cast<std::size_t>(n > 0 ? n : 0));
        if (n <= 0) m_eof = true;
    }
}

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace gox::cacheprog
