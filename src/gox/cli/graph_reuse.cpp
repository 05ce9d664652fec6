// A repeated no-op without go's action graph (graph_reuse.hpp).

#include <gox/cli/graph_reuse.hpp>

#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace gox::cli::wrap {

namespace fs = std::filesystem;
using util::starts_with;

namespace {

constexpr std::size_t kKept = 32;
constexpr long kSkipSeconds = 24 * 60 * 60;

// FNV-1a, 64 bits: a digest to compare with the next run's, not a defence.
struct Fnv {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    void add(std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 0x100000001b3ULL;
        }
        h ^= 0xff; // a separator no name contains
        h *= 0x100000001b3ULL;
    }
    void add(std::uint64_t v) { add(std::string_view(reinterpret_cast<const char*>(&v), sizeof v)); }
    std::string hex() const { return fmt::format("{:016x}", h); }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The local paths a go.mod or go.work names: use dirs (go.work) and the
// targets of replace directives that are paths (./x, ../x, /x).
std::vector<std::string> local_dirs(const std::string& file) {
    std::vector<std::string> out;
    const std::string text = slurp(file);
    const fs::path base = fs::path(file).parent_path();
    std::istringstream lines(text);
    std::string line, block;
    auto add = [&](std::string_view w) {
        if (w.size() >= 2 && w.front() == '"' && w.back() == '"') w = w.substr(1, w.size() - 2);
        if (w.empty()) return;
        if (!(w[0] == '/' || starts_with(w, "./") || starts_with(w, "../") || w == "." || w == "..")) return;
        fs::path p = w[0] == '/' ? fs::path(w) : base / fs::path(w);
        out.push_back(p.lexically_normal().string());
    };
    while (std::getline(lines, line)) {
        if (auto c = line.find("//"); c != std::string::npos) line.erase(c);
        std::istringstream ws(line);
        std::vector<std::string> words;
        for (std::string w; ws >> w;) words.push_back(w);
        if (words.empty()) continue;
        std::string verb = block;
        std::size_t at = 0;
        if (block.empty()) {
            if (words[0] != "use" && words[0] != "replace") continue;
            verb = words[0];
            at = 1;
            if (words.size() > 1 && words[1] == "(") {
                block = verb;
                continue;
            }
        } else if (words[0] == ")") {
            block.clear();
            continue;
        }
        if (verb == "use") {
            if (at < words.size()) add(words[at]);
        } else if (auto arrow = std::find(words.begin(), words.end(), "=>"); arrow != words.end() && arrow + 1 != words.end())
            add(*(arrow + 1));
    }
    return out;
}

// The digest of one tree, sorted by name in each dir; false past max entries.
bool walk(int dirfd, const std::string& rel, Fnv& d, std::size_t& entries, std::size_t max_entries) {
    DIR* dir = ::fdopendir(dirfd);
    if (!dir) {
        ::close(dirfd);
        return false;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(dir)) {
        std::string_view n = e->d_name;
        if (n.empty() || n[0] == '.' || n[0] == '_') continue;
        names.emplace_back(n);
    }
    std::sort(names.begin(), names.end());
    bool ok = true;
    for (const auto& n : names) {
        if (++entries > max_entries) {
            ok = false;
            break;
        }
        struct stat st {};
        if (::fstatat(::dirfd(dir), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue; // gone meanwhile
        d.add(rel + n);
        d.add(static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(st.st_mtim.tv_nsec));
        d.add(static_cast<std::uint64_t>(st.st_size));
        d.add(static_cast<std::uint64_t>(st.st_ino));
        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(::dirfd(dir), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0 || !walk(fd, rel + n + "/", d, entries, max_entries)) {
                ok = false;
                break;
            }
        }
    }
    ::closedir(dir);
    return ok;
}

std::string state_of(const std::string& path) { return FingerprintCache::file_state(path); }

} // namespace

std::vector<std::string> source_roots(const nlohmann::json& env, const std::string& build_dir) {
    std::vector<std::string> roots, mods;
    std::string gomod = env.is_object() ? env.value("GOMOD", "") : "";
    if (!gomod.empty() && gomod[0] == '/' && gomod != "/dev/null") mods.push_back(gomod);
    // The go.work that applies: $GOWORK, else the first from build_dir up.
    std::string work;
    const char* gw = std::getenv("GOWORK");
    if (gw && *gw) {
        if (std::string_view(gw) != "off" && gw[0] == '/') work = gw;
    } else {
        fs::path d = fs::path(build_dir).lexically_normal();
        for (int depth = 0; depth < 64 && work.empty(); ++depth) {
            struct stat st {};
            if (::stat((d / "go.work").c_str(), &st) == 0 && S_ISREG(st.st_mode)) work = (d / "go.work").string();
            if (!d.has_relative_path()) break;
            d = d.parent_path();
        }
    }
    if (!work.empty())
        for (const auto& u : local_dirs(work)) {
            roots.push_back(u);
            mods.push_back(u + "/go.mod");
        }
    for (const auto& m : mods) {
        roots.push_back(fs::path(m).parent_path().string());
        for (const auto& r : local_dirs(m)) roots.push_back(r);
    }
    if (roots.empty()) return roots;
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    std::vector<std::string> outer;
    for (const auto& r : roots)
        if (outer.empty() || !(starts_with(r, outer.back() + "/") || outer.back() == "/")) outer.push_back(r);
    return outer;
}

std::string source_tree_state(const std::vector<std::string>& roots, const std::string& gocache, std::size_t max_entries) {
    if (roots.empty()) return "";
    Fnv d;
    std::size_t entries = 0;
    for (const auto& r : roots) {
        d.add(r);
        int fd = ::open(r.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !walk(fd, "", d, entries, max_entries)) return "";
    }
    // `go clean -cache` removes GOCACHE/00..ff (go makes them again), a trim
    // rewrites trim.txt: either may have emptied what the kept graph says hits.
    struct stat st {};
    d.add(gocache);
    d.add(::stat((gocache + "/00").c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0);
    d.add(state_of(gocache + "/trim.txt"));
    return fmt::format("{}:{}", d.hex(), entries);
}

GraphReuse::GraphReuse(const FingerprintCache& fp, const nlohmann::json& env, const std::vector<std::string>& go_line,
                       const std::string& build_dir) {
    std::string base = gox_cache_dir();
    if (base.empty() || fp.key().empty()) return;
    m_key = fp.key() + "argv=";
    for (const auto& a : go_line) m_key += a + '\x1f';
    m_key += "\n";
    m_files = fp.files();
    m_gocache = env.is_object() ? env.value("GOCACHE", "") : "";
    if (m_gocache.empty() || m_gocache == "off") return;
    m_roots = source_roots(env, build_dir);
    if (m_roots.empty()) return;
    Fnv k;
    k.add(m_key);
    const std::string at = base + "/noop-graphs/" + k.hex();
    // A tree too big to walk stays too big: not tried again for a day.
    const std::string skip = at + ".skip";
    struct stat sst {};
    if (::stat(skip.c_str(), &sst) == 0 && std::time(nullptr) - sst.st_mtim.tv_sec < kSkipSeconds) return;
    m_tree = source_tree_state(m_roots, m_gocache);
    if (m_tree.empty()) {
        std::error_code ec;
        fs::create_directories(fs::path(skip).parent_path(), ec);
        std::ofstream(skip, std::ios::trunc) << "source trees past the walk limit\n";
        return;
    }
    m_base = at;
    std::ifstream in(m_base + ".json", std::ios::binary);
    if (!in) return;
    auto meta = nlohmann::json::parse(in, nullptr, false);
    if (!meta.is_object() || meta.value("key", "") != m_key || meta.value("tree", "") != m_tree) return;
    if (!meta.contains("files") || meta["files"] != m_files) return;
    for (const auto& f : m_files)
        if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_string() ||
            state_of(f[0].get<std::string>()) != f[1].get<std::string>())
            return;
    std::string graph = m_base + ".graph";
    if (::access(graph.c_str(), R_OK) == 0) m_kept = graph;
}

namespace {

// The graph as go writes it, with only the fields the reader keeps.
std::string compact_graph(const model::ActionGraph& g) {
    std::string out = "[";
    auto str = [&](std::string_view key, const std::string& v) {
        out += fmt::format(",\"{}\":{}", key, nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    };
    for (const auto& a : g.actions) {
        if (a.mode == "build check cache") continue;
        if (out.size() > 1) out += ",\n";
        out += fmt::format("{{\"ID\":{}", a.id);
        str("Mode", a.mode);
        str("Package", a.package);
        out += ",\"Deps\":[";
        for (std::size_t i = 0; i < a.deps.size(); ++i) out += (i ? "," : "") + std::to_string(a.deps[i]);
        out += "]";
        str("Objdir", a.objdir);
        str("ActionID", a.action_id);
        str("BuildID", a.build_id);
        out += a.ran ? ",\"Cmd\":[\"\"]" : ",\"Cmd\":null";
        if (a.failed) out += ",\"Failed\":true";
        out += "}";
    }
    return out + "]\n";
}

bool write_renamed(const std::string& path, const std::string& text) {
    const std::string tmp = fmt::format("{}.{}", path, ::getpid());
    std::error_code ec;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            fs::remove(tmp, ec);
            return false;
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) fs::remove(tmp, ec);
    return !ec;
}

} // namespace

void GraphReuse::keep(const model::ActionGraph& graph) const {
    if (m_base.empty() || source_tree_state(m_roots, m_gocache) != m_tree) return;
    std::error_code ec;
    const fs::path dir = fs::path(m_base).parent_path();
    fs::create_directories(dir, ec);
    // The graph first, then the entry that names it, each renamed into
    // place: a concurrent gox reads a whole old one or a whole new one.
    if (!write_renamed(m_base + ".graph", compact_graph(graph))) return;
    nlohmann::json meta = {{"version", 1}, {"key", m_key}, {"files", m_files}, {"tree", m_tree}};
    if (!write_renamed(m_base + ".json", meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))) return;
    // At most kKept commands: the entries kept longest ago go first.
    std::vector<std::pair<fs::file_time_type, fs::path>> metas;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") metas.emplace_back(e.last_write_time(ec), e.path());
    if (metas.size() <= kKept) return;
    std::sort(metas.begin(), metas.end());
    for (std::size_t i = 0; i + kKept < metas.size(); ++i) {
        fs::remove(metas[i].second, ec);
        fs::path g = metas[i].second;
        fs::remove(g.replace_extension(".graph"), ec);
    }
}

void GraphReuse::forget() const {
    if (m_base.empty()) return;
    std::error_code ec;
    fs::remove(m_base + ".json", ec);
}

bool adopt_kept_graph(model::ActionGraph& g, const std::map<int, std::string>& compiled, const std::string& work_dir,
                      std::string& why_not) {
    std::map<int, const model::GraphAction*> builds;
    for (const auto& a : g.actions)
        if (a.mode == "build" && a.objdir_number >= 0) builds[a.objdir_number] = &a;
    std::size_t differ = 0;
    for (const auto& [objdir, id] : compiled) {
        auto it = builds.find(objdir);
        if (it == builds.end() || it->second->action_id != id) ++differ;
    }
    if (differ) {
        why_not = fmt::format("{} of the {} package(s) go compiled have other action IDs than the kept graph's",
                              differ, compiled.size());
        return false;
    }
    std::string old_work;
    for (const auto& a : g.actions) {
        if (a.objdir.empty()) continue;
        std::string s = a.objdir;
        if (!s.empty() && s.back() == '/') s.pop_back();
        old_work = s.substr(0, s.rfind('/') + 1);
        break;
    }
    std::string new_work = work_dir.empty() ? "" : work_dir + (work_dir.back() == '/' ? "" : "/");
    for (auto& a : g.actions) {
        a.time_start = a.time_done = 0;
        if (!new_work.empty() && !old_work.empty() && starts_with(a.objdir, old_work))
            a.objdir = new_work + a.objdir.substr(old_work.size());
    }
    return true;
}

} // namespace gox::cli::wrap
