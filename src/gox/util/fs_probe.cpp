#include <gox/util/fs_probe.hpp>

#include <filesystem>

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace gox::util {

PlaceFacts place_facts(const std::string& path) {
    namespace fs = std::filesystem;
    PlaceFacts f;
    f.path = path;
    if (path.empty()) return f;
    std::error_code ec;
    f.exists = fs::is_directory(path, ec);
    // The filesystem it is on, or would be created on: its nearest existing ancestor's.
    fs::path p = path;
    while (!p.empty() && !fs::exists(p, ec)) {
        if (p == p.parent_path()) break;
        p = p.parent_path();
    }
    struct statvfs sv {};
    bool have_fs = !p.empty() && ::statvfs(p.c_str(), &sv) == 0;
    if (have_fs) f.free_bytes = static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
    bool read_only = have_fs && (sv.f_flag & ST_RDONLY);
    f.writable = f.exists && !read_only && ::access(path.c_str(), W_OK | X_OK) == 0;
    return f;
}

TreeStats tree_stats(const std::string& dir, std::uintmax_t limit) {
    namespace fs = std::filesystem;
    TreeStats t;
    std::error_code ec;
    const uid_t me = ::geteuid();
    auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        t.failed = true;
        return t;
    }
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (t.files >= limit) {
            t.truncated = true;
            break;
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        ++t.files;
        t.bytes += static_cast<std::uintmax_t>(st.st_size);
        if (st.st_uid != me) ++t.foreign;
        if (::access(it->path().c_str(), R_OK) != 0) ++t.unreadable;
    }
    return t;
}

} // namespace gox::util
