#pragma once
// What gox asks of a directory, asked one way everywhere (doctor, the failure
// diagnosis, the report's environment): does it exist, may this user write
// there, how much space is free, and how big is the tree under it. None of
// it writes anything: the diagnosis runs on the user's own GOCACHE.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gox::util {

struct PlaceFacts {
    std::string path;
    bool exists = false;   // a directory
    // This user may create files there: access(2) allows it and the
    // filesystem is not mounted read-only (root passes access(2) on a
    // read-only mount, where every write fails with EROFS).
    bool writable = false;
    std::optional<std::uint64_t> free_bytes; // of the filesystem it is (or would be) on
};
PlaceFacts place_facts(const std::string& path);

// Regular files under dir (symlinks not followed; unreadable subdirectories
// skipped), counted up to `limit` files.
struct TreeStats {
    std::uintmax_t files = 0, bytes = 0;
    std::uintmax_t foreign = 0;    // files owned by another user than the effective one
    std::uintmax_t unreadable = 0; // files this user cannot read
    bool truncated = false;        // the walk stopped at `limit`
    bool failed = false;           // dir could not be read at all
};
TreeStats tree_stats(const std::string& dir, std::uintmax_t limit = 500000);

// The ages of a GOCACHE's action entries (the "-a" files in its 256
// subdirectories), measured against `since` (a run's start, Unix seconds):
// what tells a cache that was never restored from one that was trimmed or
// saved at the wrong time. go rewrites an entry's mtime when it uses one
// older than an hour, so entries this run used may count as written after
// `since`. `wanted` are hex action-ID prefixes whose entries to look for.
struct CacheAges {
    bool read = false;                  // the directory could be listed
    std::uintmax_t entries = 0;         // action entries
    std::uintmax_t entries_before = 0;  // ... last written before since
    double newest_before = 0;           // mtime of the newest of those (0: none)
    double oldest = 0;                  // mtime of the oldest entry (0: none)
    std::optional<double> trimmed_at;   // trim.txt: go's last trim of the cache
    std::vector<std::string> present_before; // of wanted: an entry written before since
};
CacheAges cache_ages(const std::string& gocache, double since, const std::vector<std::string>& wanted);

} // namespace gox::util
