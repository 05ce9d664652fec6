#include <gox/util/fs_probe.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <dirent.h>
#include <fcntl.h>

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

CacheAges cache_ages(const std::string& gocache, double since, const std::vector<std::string>& wanted) {
    CacheAges c;
    if (gocache.empty() || gocache == "off") return c;
    if (std::ifstream trim(gocache + "/trim.txt"); trim) {
        double t = 0;
        if (trim >> t && t > 0) c.trimmed_at = t;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    // The wanted prefixes by subdirectory (their first two hex digits).
    std::vector<std::vector<const std::string*>> wanted_in(256);
    for (const auto& w : wanted) {
        auto digit = [](char ch) { return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= '0' && ch <= '9' ? ch - '0' : -1; };
        if (w.size() < 2 || digit(w[0]) < 0 || digit(w[1]) < 0) continue;
        wanted_in[static_cast<std::size_t>(digit(w[0]) * 16 + digit(w[1]))].push_back(&w);
    }
    for (int d = 0; d < 256; ++d) {
        const char sub[3] = {kHex[d >> 4], kHex[d & 15], 0};
        std::string dir = gocache + "/" + sub;
        DIR* dp = ::opendir(dir.c_str());
        if (!dp) continue;
        c.read = true;
        while (const dirent* e = ::readdir(dp)) {
            std::string_view name = e->d_name;
            if (name.size() < 3 || name.substr(name.size() - 2) != "-a") continue;
            struct stat st {};
            if (::fstatat(::dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
            double mtime = static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
            ++c.entries;
            if (c.oldest == 0 || mtime < c.oldest) c.oldest = mtime;
            if (mtime >= since) continue;
            ++c.entries_before;
            c.newest_before = std::max(c.newest_before, mtime);
            for (const std::string* w : wanted_in[static_cast<std::size_t>(d)])
                if (name.substr(0, w->size()) == *w) c.present_before.push_back(*w);
        }
        ::closedir(dp);
    }
    return c;
}

} // namespace gox::util
