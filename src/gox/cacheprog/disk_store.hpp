#pragma once
// The local tier: go's own on-disk cache layout in GOCACHE
// (cmd/go/internal/cache/cache.go), so that plain go without GOCACHEPROG
// shares the entries and `go clean -cache` and go's trim still apply.
// GOCACHE/xx/<hex action id>-a holds the action entry, one line
//   "v1 <hex action id> <hex output id> <size %20d> <unix ns %20d>\n";
// GOCACHE/xx/<hex output id>-d the output's bytes (xx: the id's first byte in
// hex). An executable stored by plain go is a directory -d holding one file.
// Safe for several processes at once: files are written under a temporary
// name and renamed into place.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gox::cacheprog {

struct StoredEntry {
    std::string output_id;  // raw bytes
    std::int64_t size = 0;
    std::int64_t time_ns = 0;
    std::string disk_path;  // the output file
};

// The outcome of a lookup: an entry, a miss, or an error to record.
struct Lookup {
    std::optional<StoredEntry> entry;
    std::string problem; // why it is a miss when something was there but unusable ("" for a plain miss)
};

class DiskStore {
public:
    explicit DiskStore(std::string dir);
    const std::string& dir() const { return m_dir; }

    // The entry for action_id when both its -a line and its output file (of
    // the recorded size) are there. Touches them as go does (mtime at most
    // once an hour) so go's trim keeps what is used.
    Lookup get(std::string_view action_id) const;

    // Stores body under output_id (computed by go: SHA-256 of body; checked)
    // and the action entry. The output file's path, or nullopt with why in
    // *error.
    std::optional<std::string> put(std::string_view action_id, std::string_view output_id, std::string_view body,
                                   std::string* error) const;

    // Stores the file at path (an upstream's DiskPath) under output_id, after
    // checking its size and SHA-256; then the action entry. *bad_source is
    // set when the failure is the file's (unreadable, wrong size or hash)
    // rather than the store's.
    std::optional<std::string> put_file(std::string_view action_id, std::string_view output_id, std::int64_t size,
                                        const std::string& path, std::string* error, bool* bad_source) const;

    std::string action_path(std::string_view action_id) const { return file_name(action_id, "a"); }
    std::string output_path(std::string_view output_id) const { return file_name(output_id, "d"); }

private:
    std::string file_name(std::string_view id, const char* key) const;
    bool write_entry(std::string_view action_id, std::string_view output_id, std::int64_t size, std::string* error) const;
    bool write_atomically(const std::string& path, std::string_view bytes, std::string* error) const;
    std::string m_dir;
};

// The SHA-256 of bytes (raw, 32 bytes).
std::string sha256(std::string_view bytes);

// GOCACHE as go resolves it for the environment gox runs in: $GOCACHE, else
// GOCACHE= in go's env file ($GOENV, else $XDG_CONFIG_HOME/go/env, else
// ~/.config/go/env), else $XDG_CACHE_HOME/go-build, else ~/.cache/go-build.
// "" when none can be found (or GOCACHE=off).
std::string default_gocache();

} // namespace gox::cacheprog
