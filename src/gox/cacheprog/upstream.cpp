// The upstream helper: posix_spawn with three pipes, a thread reading its
// responses, one reading its stderr.

#include <gox/cacheprog/upstream.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace gox::cacheprog {

namespace {

std::string status_text(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "";
    if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
    return fmt::format("wait status {}", status);
}

} // namespace

Upstream::Upstream(LineSink on_stderr) : m_on_stderr(std::move(on_stderr)) {}

Upstream::~Upstream() { close(2000); }

bool Upstream::start(const std::vector<std::string>& argv, std::string* error) {
    if (argv.empty()) {
        if (error) *error = "empty upstream command";
        return false;
    }
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        if (error) *error = fmt::format("pipe: {}", std::strerror(errno));
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // gox ignores SIGPIPE and SIGINT; the helper gets the defaults back.
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGQUIT);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = ::posix_spawnp(&m_pid, args[0], &fa, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        m_pid = -1;
        if (error) *error = fmt::format("cannot start {}: {}", argv[0], std::strerror(rc));
        std::lock_guard lock(m_mu);
        m_dead = error ? *error : "cannot start";
        m_reaped = true;
        return false;
    }
    m_in = in[1];
    m_out = out[0];
    m_err = err[0];
    {
        std::lock_guard lock(m_mu);
        m_pending[0] = std::make_shared<Pending>(); // its first message
    }
    m_reader = std::thread([this] { read_loop(); });
    m_stderr = std::thread([this] { stderr_loop(); });
    return true;
}

void Upstream::fail_all(const std::string& why) {
    std::lock_guard lock(m_mu);
    if (m_dead.empty()) m_dead = why;
    for (auto& [id, p] : m_pending) {
        p->done = true;
        p->error = m_dead;
    }
    m_pending.clear();
    m_cv.notify_all();
}

void Upstream::read_loop() {
    LineIn in(m_out);
    std::string line;
    while (in.next(line)) {
        if (line.empty()) continue;
        std::string why;
        auto r = parse_response(line, &why);
        if (!r) {
            fail_all(fmt::format("upstream sent an unreadable response ({}): {}", why, line.substr(0, 200)));
            break; // close() stops it; it is reaped below
        }
        std::lock_guard lock(m_mu);
        auto it = m_pending.find(r->id);
        if (it == m_pending.end()) continue; // an answer nobody waits for: ignored
        if (r->id == 0) {
            m_known = r->known_commands;
            m_can = std::set<std::string>(m_known.begin(), m_known.end());
            m_ready = true;
        }
        it->second->done = true;
        it->second->response = std::move(*r);
        m_pending.erase(it);
        m_cv.notify_all();
    }
    // End of its stdout: it exited (or closed it). The reader is the one
    // that reaps it, so its pid stays valid for close()'s kill until then.
    int status = 0;
    pid_t w;
    do w = ::waitpid(m_pid, &status, 0);
    while (w < 0 && errno == EINTR);
    std::string how = w == m_pid ? status_text(status) : "";
    {
        std::lock_guard lock(m_mu);
        m_reaped = true;
        m_status = w == m_pid ? status : 0;
    }
    fail_all(how.empty() ? "upstream exited" : "upstream exited: " + how);
}

void Upstream::stderr_loop() {
    LineIn in(m_err);
    std::string line;
    while (in.next(line))
        if (m_on_stderr) m_on_stderr(line);
}

bool Upstream::wait_ready(std::string* error) {
    std::unique_lock lock(m_mu);
    // go waits for its helper forever; gox has a local tier to fall back on.
    if (!m_cv.wait_for(lock, std::chrono::seconds(60), [&] { return m_ready || !m_dead.empty(); })) {
        lock.unlock();
        fail_all("upstream sent no capabilities within 60 s");
        lock.lock();
    }
    if (m_ready) return true;
    if (error) *error = m_dead;
    return false;
}

bool Upstream::can(const std::string& command) const {
    std::lock_guard lock(m_mu);
    return m_ready && m_dead.empty() && m_can.count(command);
}

std::optional<Response> Upstream::call(Request r, std::string* error) {
    auto p = std::make_shared<Pending>();
    {
        std::lock_guard lock(m_mu);
        if (!m_dead.empty()) {
            if (error) *error = m_dead;
            return std::nullopt;
        }
        r.id = ++m_next_id;
        m_pending[r.id] = p;
    }
    std::string bytes = encode_request(r);
    bool sent;
    {
        std::lock_guard lock(m_write_mu);
        sent = m_in >= 0 && write_all(m_in, bytes);
    }
    if (!sent) fail_all(fmt::format("writing to upstream: {}", std::strerror(errno)));
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return p->done; });
    if (!p->response) {
        if (error) *error = p->error;
        return std::nullopt;
    }
    return std::move(p->response);
}

std::string Upstream::close(int grace_ms) {
    if (m_pid <= 0) return {};
    if (can("close")) {
        std::string ignored;
        Request r;
        r.command = "close";
        call(r, &ignored);
    }
    {
        std::lock_guard lock(m_write_mu);
        if (m_in >= 0) ::close(m_in);
        m_in = -1;
    }
    // Wait for it to exit (the reader reaps it); kill it after the grace.
    {
        std::unique_lock lock(m_mu);
        if (!m_cv.wait_for(lock, std::chrono::milliseconds(grace_ms), [&] { return m_reaped; })) ::kill(m_pid, SIGKILL);
    }
    if (m_reader.joinable()) m_reader.join();
    if (m_stderr.joinable()) m_stderr.join();
    if (m_out >= 0) ::close(m_out);
    if (m_err >= 0) ::close(m_err);
    m_out = m_err = -1;
    std::string how = status_text(m_status);
    m_pid = -1;
    return how;
}

} // namespace gox::cacheprog
