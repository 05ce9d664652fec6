#include <gox/process/go_process.hpp>
#include <gox/util/error.hpp>

#include <boost/process.hpp>
#include <boost/process/posix.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bp = boost::process;

namespace gox::process {

namespace {

volatile sig_atomic_t g_child_pid = 0;
volatile sig_atomic_t g_last_signal = 0;
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void forward_signal(int sig) {
    g_last_signal = sig;
    pid_t pid = g_child_pid;
    if (pid > 0) ::kill(pid, sig);
}

// The pids whose parent is this process (children go left behind re-parent
// to gox because it is their subreaper).
std::vector<pid_t> own_children() {
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    pid_t self = ::getpid();
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (!end || *end || pid <= 0) continue;
        std::ifstream st(std::string("/proc/") + e->d_name + "/stat");
        std::string stat;
        std::getline(st, stat);
        auto rp = stat.rfind(')');
        if (rp == std::string::npos || rp + 4 >= stat.size()) continue;
        // after ") S " comes the ppid
        long ppid = std::strtol(stat.c_str() + rp + 4, nullptr, 10);
        if (ppid == self) out.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(d);
    return out;
}

void reap_leftovers(int sig) {
    for (int round = 0; round < 50; ++round) {
        auto kids = own_children();
        if (kids.empty()) return;
        for (pid_t k : kids) ::kill(k, round < 10 ? sig : SIGKILL);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        ::usleep(20000);
    }
}

// gox's environment with the overrides applied, for one child.
bp::environment child_environment(const EnvOverrides& overrides) {
    bp::environment e = boost::this_process::environment();
    for (const auto& [name, value] : overrides) {
        if (value) e[name] = *value;
        else e.erase(name);
    }
    return e;
}

} // namespace

std::string find_go(const std::string& explicit_path) {
    std::string name = explicit_path;
    if (name.empty())
        if (const char* e = std::getenv("GOX_GO"); e && *e) name = e;
    if (name.empty()) name = "go";
    if (name.find('/') != std::string::npos) {
        if (::access(name.c_str(), X_OK) != 0)
            throw util::Fatal("cannot run go: " + name + ": " + std::strerror(errno));
        return name;
    }
    auto p = bp::search_path(name);
    if (p.empty()) throw util::Fatal("cannot find \"" + name + "\" on PATH (use --go=PATH or GOX_GO)");
    return p.string();
}

std::string search_path(const std::string& name) { return bp::search_path(name).string(); }

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

GoRun run_go(const std::vector<std::string>& argv, const Sink& on_stdout, const Sink& on_stderr,
             const EnvOverrides& env) {
    auto t0 = std::chrono::steady_clock::now();
    const double started = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    struct sigaction sa{}, old[4]{};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 4; ++i) {
        ::sigaction(kForwarded[i], nullptr, &old[i]);
        // A signal the caller ignores (nohup, a background job of a
        // non-interactive shell) stays ignored: go inherits SIG_IGN, as it
        // would if run directly, instead of getting it forwarded.
        if ((old[i].sa_flags & SA_SIGINFO) || old[i].sa_handler != SIG_IGN) ::sigaction(kForwarded[i], &sa, nullptr);
    }
    ::signal(SIGPIPE, SIG_IGN);

    // Pipes of our own (close-on-exec): the child gets the write ends as its
    // fds 1 and 2 through dup2, which clears close-on-exec on those copies.
    int out_p[2], err_p[2];
    if (::pipe2(out_p, O_CLOEXEC) != 0 || ::pipe2(err_p, O_CLOEXEC) != 0)
        throw util::Fatal(std::string("cannot create pipes: ") + std::strerror(errno));
    std::error_code ec;
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    bp::child child(bp::exe = argv[0], bp::args = args, child_environment(env), bp::posix::fd.bind(1, out_p[1]),
                    bp::posix::fd.bind(2, err_p[1]), ec);
    ::close(out_p[1]);
    ::close(err_p[1]);
    if (ec) {
        ::close(out_p[0]);
        ::close(err_p[0]);
        for (int i = 0; i < 4; ++i) ::sigaction(kForwarded[i], &old[i], nullptr);
        throw util::Fatal("cannot run " + argv[0] + ": " + ec.message());
    }
    g_child_pid = child.id();
    if (g_last_signal) ::kill(child.id(), g_last_signal);

    // Read until go exits, not until the pipes close: a process that go's
    // program or test left running may hold them open for as long as it
    // lives, and plain go does not wait for it either. A pidfd tells when go
    // exits; without one (kernel < 5.3), poll with a timeout and look.
    const pid_t pid = child.id();
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    auto go_exited = [&] {
        siginfo_t si{};
        return ::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
    };
    pollfd fds[3] = {{out_p[0], POLLIN, 0}, {err_p[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
    std::string buf(64 * 1024, '\0');
    int open_fds = 2;
    bool draining = false;
    while (open_fds > 0) {
        int r = draining ? 1 : ::poll(fds, 3, pidfd >= 0 ? -1 : 100);
        if (r < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (!draining && ((fds[2].revents & POLLIN) || (pidfd < 0 && go_exited()))) {
            // go is gone and all it wrote is in the pipes: take what is there, then stop.
            draining = true;
            for (int i = 0; i < 2; ++i)
                if (fds[i].fd >= 0) ::fcntl(fds[i].fd, F_SETFL, ::fcntl(fds[i].fd, F_GETFL) | O_NONBLOCK);
        }
        for (int i = 0; i < 2; ++i) {
            if (draining && fds[i].fd >= 0) fds[i].revents = POLLIN;
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { // EOF, an error, or (draining) nothing left
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
            (i == 0 ? on_stdout : on_stderr)(chunk);
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    for (int i = 0; i < 2; ++i)
        if (fds[i].fd >= 0) ::close(fds[i].fd);
    child.wait(ec);
    int status = child.native_exit_code();
    g_child_pid = 0;
    GoRun r;
    if (WIFSIGNALED(status)) {
        r.term_signal = WTERMSIG(status);
        r.exit_code = 128 + r.term_signal;
    } else {
        r.exit_code = WEXITSTATUS(status);
    }
    // Only an interrupted build leaves work behind that must stop; after a
    // normal exit, whatever go's programs started on purpose keeps running,
    // as it would under plain go.
    if (r.term_signal || g_last_signal) reap_leftovers(r.term_signal ? r.term_signal : g_last_signal);
    for (int i = 0; i < 4; ++i) ::sigaction(kForwarded[i], &old[i], nullptr);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.started = started;
    return r;
}

void exec_go(const std::vector<std::string>& argv) {
    if (argv.empty()) throw util::Fatal("cannot run go: no command");
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    ::execv(argv[0].c_str(), cargv.data());
    throw util::Fatal("cannot run " + argv[0] + ": " + std::strerror(errno));
}

int received_signal() { return g_last_signal; }

std::optional<std::string> capture(const std::vector<std::string>& argv, const EnvOverrides& env) {
    if (argv.empty()) return std::nullopt;
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    auto exe = argv[0].find('/') == std::string::npos ? bp::search_path(argv[0]) : boost::filesystem::path(argv[0]);
    if (exe.empty()) return std::nullopt;
    // Every fd made close-on-exec, as run_go's: this runs in a thread beside
    // run_go (the environment fingerprint's go env), and a descriptor without
    // it that run_go's fork catches would go to go and its programs. A
    // program's child that outlives it (go run of a server) would then hold
    // this pipe open, and gox would wait for it to exit.
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return std::nullopt;
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) {
        ::close(p[0]);
        ::close(p[1]);
        return std::nullopt;
    }
    std::error_code ec;
    bp::child c(exe, bp::args = args, child_environment(env), bp::posix::fd.bind(0, null_fd),
                bp::posix::fd.bind(1, p[1]), bp::posix::fd.bind(2, null_fd), ec);
    ::close(p[1]);
    ::close(null_fd);
    if (ec) {
        ::close(p[0]);
        return std::nullopt;
    }
    std::string text;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(p[0]);
    if (!text.empty() && text.back() != '\n') text += '\n'; // whole lines, as before
    c.wait(ec);
    if (ec || c.exit_code() != 0) return std::nullopt;
    return text;
}

void exit_like(const GoRun& r) {
    std::fflush(stdout);
    std::fflush(stderr);
    if (r.term_signal) {
        ::signal(r.term_signal, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, r.term_signal);
        ::sigprocmask(SIG_UNBLOCK, &s, nullptr);
        ::raise(r.term_signal);
    }
    std::_Exit(r.exit_code);
}

} // namespace gox::process
