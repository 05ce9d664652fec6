#pragma once
// The environment fingerprint of a wrapped run (what `go env` says about
// the build's inputs) and the cache that spares asking go env again.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gox::cli::wrap {

// gox's own cache dir: $XDG_CACHE_HOME/gox, else ~/.cache/gox; "" when
// neither variable names an absolute dir.
std::string gox_cache_dir();

// The environment fingerprint of this go: `go env -json` of the variables
// that are build inputs or say where things are, plus the C compiler's
// version line when cgo is on. Runs on a thread of its own while go builds
// (see FingerprintCache): it changes no process-wide state, the children
// get their environment changes passed to them alone.
nlohmann::json env_fingerprint(const std::string& go, const std::vector<std::string>& args);

// The environment fingerprint is reused while everything it depends on is
// unchanged, so that a run whose inputs did not move starts no process
// besides go: the go binary, the environment variables go env reads (GO*,
// CGO_*, CC, CXX, PATH, HOME, XDG_*), the working dir and -C, the go env
// config file, every go.mod and go.work from the build's dir up to /, and,
// once known, GOROOT/go.env and the C compiler. Kept in
// $XDG_CACHE_HOME/gox/env-fingerprint.json (16 entries, newest first); a
// miss runs env_fingerprint on a thread while go builds and stores the
// answer afterwards with the file states seen before go started.
class FingerprintCache {
public:
    FingerprintCache(const std::string& go, const std::vector<std::string>& args);

    // The stored fingerprint, if every input is as it was when it was made.
    std::optional<nlohmann::json> lookup() const;

    // Keeps a fingerprint go answered (not one where go env failed).
    void store(const nlohmann::json& env);

    // What the lookup compares: the key (go, dirs, environment) and the
    // [path, state] of each file it depends on.
    const std::string& key() const { return m_key; }
    const nlohmann::json& files() const { return m_files; }

    // mtime, size and inode, or "-" for a file that does not exist.
    static std::string file_state(const std::string& path);

private:
    static constexpr std::size_t kEntries = 16;

    void add_file(const std::string& path) { m_files.push_back({path, file_state(path)}); }

    std::string m_path, m_key;
    nlohmann::json m_files = nlohmann::json::array();
};

} // namespace gox::cli::wrap
