#include <gox/history/deferred.hpp>

#include <gox/history/spool.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace gox::history {

namespace {

bool g_in_writer = false; // this process is a detached writer: it holds the lock

bool set(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::string_view(v) != "false" && std::string_view(v) != "0";
}

bool on_ci() {
    for (const char* n : {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "JENKINS_URL", "TF_BUILD",
                          "TEAMCITY_VERSION"})
        if (set(n)) return true;
    return false;
}

void run_reporting(const std::function<void()>& write) {
    try {
        write();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: warning: %s (this run was not recorded)\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "gox: warning: unknown error (this run was not recorded)\n");
    }
}

// The child's standard streams: nothing the user waits on.
void detach_stdio(const std::string& warnings) {
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
    }
    int log = ::open(warnings.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (log >= 0) ::dup2(log, 2);
    else if (null >= 0) ::dup2(null, 2);
    if (null > 2) ::close(null);
    if (log > 2) ::close(log);
}

} // namespace

bool background_wanted() {
    if (const char* s = std::getenv("GOX_HISTORY_SYNC"); s && *s) return std::string_view(s) == "0";
    if (::getpid() == 1) return false;
    return !on_ci();
}

std::string writer_lock_path(const Location& where) {
    std::string base = where.server ? spool::default_path() : where.target;
    return base.empty() ? "" : base + ".writer-lock";
}

std::string writer_warnings_path(const Location& where) {
    std::string base = where.server ? spool::default_path() : where.target;
    return base.empty() ? "" : base + ".writer-warnings";
}

bool in_detached_writer() { return g_in_writer; }

bool write_deferred(const Location& where, const std::function<void()>& write) {
    const std::string lock = writer_lock_path(where);
    if (g_in_writer || lock.empty() || !background_wanted()) {
        run_reporting(write);
        return false;
    }
    std::error_code ec;
    auto dir = std::filesystem::path(lock).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        run_reporting(write);
        return false;
    }
    // Waits for an earlier writer: records land in the order of their runs.
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) {
        run_reporting(write);
        ::close(fd); // releases the lock
        return false;
    }
    if (pid == 0) {
        // The child: the lock stays held through its copy of fd until it exits.
        g_in_writer = true;
        ::setsid();
        detach_stdio(writer_warnings_path(where));
        // Test hook (tests/cli/test_fixedcost.py): a slow writer, to see that
        // gox has exited and its pipes are closed while the lock is held.
        if (const char* d = std::getenv("GOX_TEST_WRITER_DELAY_MS")) ::usleep(1000 * std::atoi(d));
        run_reporting(write);
        std::fflush(stderr);
        ::_exit(0);
    }
    ::close(fd); // the child's copy keeps the lock
    return true;
}

void wait_for_writer(const Location& where) {
    if (g_in_writer) return;
    const std::string lock = writer_lock_path(where);
    if (lock.empty()) return;
    int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    while (::flock(fd, LOCK_SH) != 0 && errno == EINTR) {
    }
    const std::string warnings = writer_warnings_path(where);
    std::error_code ec;
    if (std::filesystem::file_size(warnings, ec) > 0 && !ec) {
        std::ifstream in(warnings);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) std::fprintf(stderr, "%s [written after an earlier run]\n", line.c_str());
        std::filesystem::resize_file(warnings, 0, ec);
    }
    ::close(fd);
}

} // namespace gox::history
