// The environment fingerprint and its cache (env_fingerprint.hpp).

#include <gox/cli/env_fingerprint.hpp>

#include <gox/cli/cli.hpp>
#include <gox/process/go_process.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace gox::cli::wrap {

using util::starts_with;

std::string gox_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    std::string base = xdg && *xdg == '/' ? xdg : home && *home == '/' ? std::string(home) + "/.cache" : "";
    return base.empty() ? "" : base + "/gox";
}

nlohmann::json env_fingerprint(const std::string& go, const std::vector<std::string>& args) {
    auto go_env = [&](std::vector<std::string> vars, const process::EnvOverrides& overrides) {
        // go env honours -C, which must come first: run it where the build ran.
        std::vector<std::string> cmd = {go, "env"};
        if (GoChdir c = go_chdir_at(args); c.present()) cmd.insert(cmd.end(), {"-C", c.dir});
        cmd.push_back("-json");
        cmd.insert(cmd.end(), vars.begin(), vars.end());
        nlohmann::json j = nlohmann::json::object();
        if (auto out = process::capture(cmd, overrides)) {
            auto parsed = nlohmann::json::parse(*out, nullptr, false);
            if (parsed.is_object()) j = parsed;
        }
        return j;
    };
    nlohmann::json env = go_env({"GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "GOARM", "GOFLAGS", "CGO_ENABLED",
                                 "CC", "CXX", "GOCACHE", "GOROOT", "GOEXPERIMENT", "GOMOD", "GOTOOLCHAIN", "GODEBUG",
                                 "GOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOPROXY"}, {});
    // `go env CGO_CFLAGS` (and the other two) writes entries into the build
    // cache (Go 1.26): ask with a GOCACHE of gox's own so that the user's
    // cache only ever gets what their build writes. It is kept
    // ($XDG_CACHE_HOME/gox/go-env-cache): with an empty one the query takes
    // ~140 ms, with a warm one ~10 ms. A temporary one when that cannot be made.
    {
        std::error_code fe;
        std::string dir;
        if (std::string base = gox_cache_dir(); !base.empty()) {
            std::string d = base + "/go-env-cache";
            std::filesystem::create_directories(d, fe);
            if (!fe && ::access(d.c_str(), W_OK | X_OK) == 0) dir = d;
        }
        bool temporary = false;
        if (dir.empty()) {
            std::string tmpl = (std::filesystem::temp_directory_path(fe) / "gox-env-XXXXXX").string();
            if (!fe && ::mkdtemp(tmpl.data())) {
                dir = tmpl;
                temporary = true;
            }
        }
        if (!dir.empty()) {
            nlohmann::json cg = go_env({"CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_LDFLAGS"}, {{"GOCACHE", dir}});
            if (temporary) std::filesystem::remove_all(dir, fe);
            for (auto& [k, v] : cg.items()) env[k] = v;
        }
    }
    if (env.value("CGO_ENABLED", "") == "1" && env.contains("CC") && env["CC"].is_string()) {
        std::string cc = env["CC"].get<std::string>();
        if (auto v = process::capture({cc.substr(0, cc.find(' ')), "--version"})) env["CC_VERSION"] = v->substr(0, v->find('\n'));
    }
    return env;
}

FingerprintCache::FingerprintCache(const std::string& go, const std::vector<std::string>& args) {
    std::string base = gox_cache_dir();
    if (base.empty()) return;
    m_path = base + "/env-fingerprint.json";
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    m_key = "go=" + go + "\ncwd=" + cwd + "\n";
    std::string dir = go_work_dir(args); // where go runs: -C resolved
    m_key += "dir=" + dir + "\n";
    std::vector<std::string> vars;
    for (char** e = environ; e && *e; ++e) {
        std::string_view v = *e;
        std::string_view name = v.substr(0, v.find('='));
        bool go_var = (starts_with(name, "GO") && !starts_with(name, "GOX_")) || starts_with(name, "CGO_");
        if (go_var || name == "CC" || name == "CXX" || name == "PATH" || name == "HOME" || starts_with(name, "XDG_"))
            vars.emplace_back(v);
    }
    std::sort(vars.begin(), vars.end());
    for (const auto& v : vars) m_key += v + "\n";
    add_file(go);
    // go's own config file (go env -w): $GOENV, else the user config dir.
    const char* goenv = std::getenv("GOENV");
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (goenv && *goenv) add_file(goenv);
    else if (xdg && *xdg) add_file(std::string(xdg) + "/go/env");
    else if (home && *home) add_file(std::string(home) + "/.config/go/env");
    if (const char* gw = std::getenv("GOWORK"); gw && *gw == '/') add_file(gw);
    std::filesystem::path d = std::filesystem::path(dir).lexically_normal();
    for (int depth = 0; depth < 64; ++depth) {
        add_file((d / "go.mod").string());
        add_file((d / "go.work").string());
        if (!d.has_relative_path()) break;
        d = d.parent_path();
    }
}

// The stored fingerprint, if every input is as it was when it was made.
std::optional<nlohmann::json> FingerprintCache::lookup() const {
    if (m_path.empty()) return std::nullopt;
    std::ifstream in(m_path, std::ios::binary);
    if (!in) return std::nullopt;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("entries") || !j["entries"].is_array()) return std::nullopt;
    for (const auto& e : j["entries"]) {
        if (!e.is_object() || e.value("key", "") != m_key || !e.contains("files") || !e["files"].is_array() ||
            !e.contains("env") || !e["env"].is_object())
            continue;
        bool same = true;
        for (const auto& f : e["files"])
            if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_string() ||
                file_state(f[0].get<std::string>()) != f[1].get<std::string>())
                same = false;
        if (same) return e["env"];
    }
    return std::nullopt;
}

// Keeps a fingerprint go answered (not one where go env failed).
void FingerprintCache::store(const nlohmann::json& env) {
    if (m_path.empty() || !env.is_object() || !env.contains("GOVERSION")) return;
    if (env.contains("GOROOT") && env["GOROOT"].is_string()) add_file(env["GOROOT"].get<std::string>() + "/go.env");
    if (env.contains("CC_VERSION") && env.contains("CC") && env["CC"].is_string()) {
        std::string cc = env["CC"].get<std::string>();
        cc = cc.substr(0, cc.find(' '));
        if (cc.find('/') == std::string::npos) cc = process::search_path(cc);
        if (!cc.empty()) add_file(cc);
    }
    nlohmann::json entry = {{"key", m_key}, {"files", m_files}, {"env", env}};
    nlohmann::json j = {{"version", 1}, {"entries", nlohmann::json::array({entry})}};
    {
        std::ifstream in(m_path, std::ios::binary);
        auto old = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
        if (old.is_object() && old.contains("entries") && old["entries"].is_array())
            for (const auto& e : old["entries"])
                if (j["entries"].size() < kEntries && e.is_object() && e.value("key", "") != m_key)
                    j["entries"].push_back(e);
    }
    // Written whole and renamed into place: a concurrent gox reads the
    // old file or the new one.
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(m_path).parent_path(), ec);
    std::string tmp = m_path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (!out) {
            std::filesystem::remove(tmp, ec);
            return;
        }
    }
    std::filesystem::rename(tmp, m_path, ec);
    if (ec) std::filesystem::remove(tmp, ec);
}

// mtime, size and inode, or "-" for a file that does not exist.
std::string FingerprintCache::file_state(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "-";
    return fmt::format("{}.{:09}:{}:{}", st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, st.st_ino);
}

} // namespace gox::cli::wrap
