#include <gox/history/spool.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace gox::history::spool {

namespace {

// Which server a line is for, without keeping its password in the file.
std::string target_key(const std::string& target) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : target) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

nlohmann::json to_json(const Entry& e, const std::string& key) {
    const RunRecord& r = e.run;
    nlohmann::json pk = nlohmann::json::array();
    for (const auto& p : e.packages)
        pk.push_back({p.import_path, p.variant, p.action_id, p.content_id, p.outcome, p.reason, p.detail, p.seconds,
                      p.inputs});
    return {{"target", key},
            {"run",
             {{"started", r.started}, {"cwd", r.cwd}, {"module_root", r.module_root}, {"verb", r.verb}, {"args", r.args},
              {"go_version", r.go_version}, {"env", r.env}, {"exit_code", r.exit_code}, {"seconds", r.seconds},
              {"project", r.project}, {"host", r.host}, {"job", r.job}, {"job_id", r.job_id}, {"branch", r.branch},
              {"failure_class", r.failure_class}}},
            {"packages", std::move(pk)},
            {"report", e.report}};
}

bool from_json(const nlohmann::json& j, Entry& e) {
    try {
        const auto& r = j.at("run");
        e.run.started = r.at("started").get<double>();
        e.run.cwd = r.at("cwd").get<std::string>();
        e.run.module_root = r.at("module_root").get<std::string>();
        e.run.verb = r.at("verb").get<std::string>();
        e.run.args = r.at("args").get<std::string>();
        e.run.go_version = r.at("go_version").get<std::string>();
        e.run.env = r.at("env").get<std::string>();
        e.run.exit_code = r.at("exit_code").get<int>();
        e.run.seconds = r.at("seconds").get<double>();
        e.run.project = r.at("project").get<std::string>();
        e.run.host = r.at("host").get<std::string>();
        e.run.job = r.at("job").get<std::string>();
        e.run.job_id = r.at("job_id").get<std::string>();
        e.run.branch = r.at("branch").get<std::string>();
        e.run.failure_class = r.value("failure_class", ""); // absent in a spool of gox before it
        for (const auto& p : j.at("packages")) {
            PackageRecord k;
            k.import_path = p.at(0).get<std::string>();
            k.variant = p.at(1).get<std::string>();
            k.action_id = p.at(2).get<std::string>();
            k.content_id = p.at(3).get<std::string>();
            k.outcome = p.at(4).get<std::string>();
            k.reason = p.at(5).get<std::string>();
            k.detail = p.at(6).get<std::string>();
            k.seconds = p.at(7).get<double>();
            k.inputs = p.at(8).get<std::string>();
            e.packages.push_back(std::move(k));
        }
        e.report = j.at("report").get<std::string>();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

class Locked {
public:
    Locked(const std::string& path, int flags, bool wait) {
        m_fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
        if (m_fd < 0) return;
        while (::flock(m_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
            if (errno == EINTR) continue;
            ::close(m_fd);
            m_fd = -1;
            return;
        }
    }
    ~Locked() {
        if (m_fd >= 0) ::close(m_fd); // releases the lock
    }
    Locked(const Locked&) = delete;
    Locked& operator=(const Locked&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd = -1;
};

std::string read_all(int fd) {
    std::string s;
    char buf[65536];
    ::lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
}

bool write_all(int fd, const std::string& s) {
    for (std::size_t off = 0; off < s.size();) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::size_t b = 0;
    while (b < s.size()) {
        auto e = s.find('\n', b);
        if (e == std::string::npos) e = s.size(); // a torn last line: dropped when parsed
        if (e > b) out.push_back(s.substr(b, e - b));
        b = e + 1;
    }
    return out;
}

} // namespace

std::string default_path() {
    if (const char* e = std::getenv("GOX_HISTORY_SPOOL"); e && *e) return e;
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x && x[0] == '/')
        return std::string(x) + "/gox/history-spool.jsonl";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/gox/history-spool.jsonl";
    return "";
}

void append(const std::string& path, const std::string& target, const Entry& e) {
    if (path.empty()) throw HistoryError("history: no spool file (set GOX_HISTORY_SPOOL or HOME)");
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    Locked f(path, O_WRONLY | O_CREAT | O_APPEND, true);
    if (f.fd() < 0) throw HistoryError("history: cannot write the spool " + path + ": " + std::strerror(errno));
    std::string line = to_json(e, target_key(target)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!write_all(f.fd(), line + "\n"))
        throw HistoryError("history: cannot write the spool " + path + ": " + std::strerror(errno));
}

std::vector<Entry> read(const std::string& path, const std::string& target) {
    std::vector<Entry> out;
    Locked f(path, O_RDONLY, true);
    if (f.fd() < 0) return out;
    std::string key = target_key(target);
    for (const auto& line : lines_of(read_all(f.fd()))) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        Entry e;
        if (j.is_object() && j.value("target", "") == key && from_json(j, e)) out.push_back(std::move(e));
    }
    return out;
}

int drain(const std::string& path, const std::string& target, Store& store, std::string* dropped) {
    if (path.empty()) return 0;
    Locked f(path, O_RDWR, false);
    if (f.fd() < 0) return 0; // none, or another run is sending it
    std::string key = target_key(target);
    std::string kept;
    int sent = 0, refused = 0;
    bool stop = false;
    for (const auto& line : lines_of(read_all(f.fd()))) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object()) continue; // torn or damaged: nothing to send
        Entry e;
        if (stop || j.value("target", "") != key || !from_json(j, e)) {
            if (stop || j.value("target", "") != key) kept += line + "\n";
            continue;
        }
        try {
            auto id = store.add_run(e.run, e.packages);
            ++sent;
            try {
                if (!e.report.empty()) store.set_report(id, e.report);
            } catch (const HistoryError&) {
                // recorded; only gox report cannot show it
            }
        } catch (const HistoryError& err) {
            if (store.lost()) {
                stop = true;
                kept += line + "\n";
            } else if (dropped) {
                ++refused;
                *dropped = err.what();
            }
        }
    }
    if (refused && dropped) *dropped = std::to_string(refused) + " spooled record(s) refused: " + *dropped;
    if (::ftruncate(f.fd(), 0) == 0) {
        ::lseek(f.fd(), 0, SEEK_SET);
        write_all(f.fd(), kept);
    }
    return sent;
}

} // namespace gox::history::spool
