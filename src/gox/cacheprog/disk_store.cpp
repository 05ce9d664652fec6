// go's on-disk cache layout, read and written the way go reads and writes
// it (see disk_store.hpp for the format).

#include <gox/cacheprog/disk_store.hpp>
#include <gox/cacheprog/protocol.hpp>
#include <gox/trace/hash_group.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace gox::cacheprog {

namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::size_t kEntrySize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1;

std::int64_t unix_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// go's markUsed: a file's mtime is its last use, updated at most once an hour.
void mark_used(const std::string& path, const struct stat& st) {
    if (::time(nullptr) - st.st_mtime >= kHour) ::utimes(path.c_str(), nullptr);
}

std::string errno_text(const std::string& what, const std::string& path) {
    return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

// The file of an executable entry: plain go stores it as a directory -d with
// one file in it.
std::optional<std::string> inner_file(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return std::nullopt;
    std::optional<std::string> only;
    int n = 0;
    while (auto* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        ++n;
        only = dir + "/" + e->d_name;
    }
    ::closedir(d);
    return n == 1 ? only : std::nullopt;
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = std::move(ss).str();
    return !in.bad();
}

std::string read_go_env_file() {
    std::string path;
    if (const char* e = std::getenv("GOENV")) {
        if (std::string(e) == "off") return {};
        path = e;
    } else if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) {
        path = std::string(x) + "/go/env";
    } else if (const char* h = std::getenv("HOME"); h && *h) {
        path = std::string(h) + "/.config/go/env";
    }
    std::string text;
    if (path.empty() || !read_file(path, text)) return {};
    std::string value;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, 8, "GOCACHE=") == 0) value = line.substr(8);
    return value;
}

} // namespace

std::string sha256(std::string_view bytes) {
    trace::detail::Sha256 h;
    h.update(bytes);
    return *unhex(h.hex());
}

std::string default_gocache() {
    std::string v;
    if (const char* g = std::getenv("GOCACHE"); g && *g) v = g;
    else v = read_go_env_file();
    if (v == "off") return {};
    if (!v.empty()) return v;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/go-build";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/go-build";
    return {};
}

DiskStore::DiskStore(std::string dir) : m_dir(std::move(dir)) {}

std::string DiskStore::file_name(std::string_view id, const char* key) const {
    std::string h = hex(id);
    return fmt::format("{}/{}/{}-{}", m_dir, h.substr(0, 2), h, key);
}

Lookup DiskStore::get(std::string_view action_id) const {
    Lookup out;
    std::string a = file_name(action_id, "a");
    int fd = ::open(a.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) out.problem = errno_text("open", a);
        return out;
    }
    char buf[kEntrySize + 1];
    ssize_t n = ::read(fd, buf, sizeof buf);
    struct stat ast {};
    bool have_stat = ::fstat(fd, &ast) == 0;
    ::close(fd);
    std::string_view e(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    // The checks go's get makes: exact size, separators, the id itself.
    if (e.size() != kEntrySize || e.substr(0, 3) != "v1 " || e[67] != ' ' || e[132] != ' ' || e[153] != ' ' ||
        e.back() != '\n') {
        out.problem = "invalid action entry " + a;
        return out;
    }
    if (e.substr(3, 64) != hex(action_id)) {
        out.problem = "mismatched action id in " + a;
        return out;
    }
    auto out_id = unhex(e.substr(68, 64));
    char* end = nullptr;
    std::string size_s(e.substr(133, 20)), time_s(e.substr(154, 20));
    long long size = std::strtoll(size_s.c_str(), &end, 10);
    bool size_ok = end && *end == '\0' && size >= 0;
    long long t = std::strtoll(time_s.c_str(), &end, 10);
    if (!out_id || !size_ok || !end || *end != '\0' || t < 0) {
        out.problem = "invalid action entry " + a;
        return out;
    }
    // The output must be there with its size, or go would miss anyway
    // (GetFile's check); a gone output is a plain miss, as for go.
    std::string d = file_name(*out_id, "d");
    struct stat dst {};
    if (::stat(d.c_str(), &dst) != 0) return out;
    std::string path = d;
    if (S_ISDIR(dst.st_mode)) {
        auto inner = inner_file(d);
        if (!inner || ::stat(inner->c_str(), &dst) != 0) return out;
        path = *inner;
    }
    if (dst.st_size != size) return out;
    if (have_stat) mark_used(a, ast);
    mark_used(d, dst);
    out.entry = StoredEntry{*out_id, size, t, path};
    return out;
}

bool DiskStore::write_atomically(const std::string& path, std::string_view bytes, std::string* error) const {
    static std::atomic<unsigned> counter{0};
    std::string dir = path.substr(0, path.rfind('/'));
    // go creates GOCACHE and its 256 subdirectories; a helper run alone may
    // find neither.
    if (::mkdir(dir.c_str(), 0777) != 0 && errno == ENOENT) {
        ::mkdir(m_dir.c_str(), 0777);
        ::mkdir(dir.c_str(), 0777);
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        if (error) *error = errno_text("mkdir", dir);
        return false;
    }
    std::string tmp = fmt::format("{}/.gox-tmp-{}-{}", dir, ::getpid(), counter++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        if (error) *error = errno_text("create", tmp);
        return false;
    }
    bool ok = write_all(fd, bytes);
    if (!ok && error) *error = errno_text("write", tmp);
    if (::close(fd) != 0 && ok) {
        ok = false;
        if (error) *error = errno_text("close", tmp);
    }
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
        ok = false;
        if (error) *error = errno_text("rename to", path);
    }
    if (!ok) ::unlink(tmp.c_str());
    return ok;
}

bool DiskStore::write_entry(std::string_view action_id, std::string_view output_id, std::int64_t size,
                            std::string* error) const {
    std::string line = fmt::format("v1 {} {} {:20} {:20}\n", hex(action_id), hex(output_id), size, unix_now_ns());
    return write_atomically(file_name(action_id, "a"), line, error);
}

std::optional<std::string> DiskStore::put(std::string_view action_id, std::string_view output_id, std::string_view body,
                                          std::string* error) const {
    if (action_id.size() != 32 || output_id.size() != 32) {
        if (error) *error = "action and output ids must be 32 bytes";
        return std::nullopt;
    }
    if (sha256(body) != output_id) {
        if (error) *error = "the body's SHA-256 is not its output id";
        return std::nullopt;
    }
    std::string d = file_name(output_id, "d");
    std::string path = d;
    struct stat st {};
    bool have = ::stat(d.c_str(), &st) == 0;
    if (have && S_ISDIR(st.st_mode)) {
        // Plain go's executable entry for the same bytes: keep it.
        auto inner = inner_file(d);
        if (!inner || ::stat(inner->c_str(), &st) != 0 || st.st_size != static_cast<off_t>(body.size())) {
            if (error) *error = "invalid executable entry " + d;
            return std::nullopt;
        }
        path = *inner;
    } else {
        // Same size is the same file unless its hash says otherwise (go checks it too).
        std::string old;
        bool same = have && st.st_size == static_cast<off_t>(body.size()) && read_file(d, old) && old == body;
        if (!same && !write_atomically(d, body, error)) return std::nullopt;
    }
    if (!write_entry(action_id, output_id, static_cast<std::int64_t>(body.size()), error)) return std::nullopt;
    return path;
}

std::optional<std::string> DiskStore::put_file(std::string_view action_id, std::string_view output_id, std::int64_t size,
                                               const std::string& path, std::string* error, bool* bad_source) const {
    std::string body;
    *bad_source = true;
    if (!read_file(path, body)) {
        if (error) *error = errno_text("read", path);
        return std::nullopt;
    }
    if (static_cast<std::int64_t>(body.size()) != size) {
        if (error) *error = fmt::format("{} has {} bytes, the entry says {}", path, body.size(), size);
        return std::nullopt;
    }
    if (sha256(body) != output_id) {
        if (error) *error = path + ": its SHA-256 is not the output id";
        return std::nullopt;
    }
    *bad_source = false;
    return put(action_id, output_id, body, error);
}

} // namespace gox::cacheprog
