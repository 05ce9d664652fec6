#pragma once
// Readers of the paths the go command prints: the objdir (bNNN) of a path
// below the work dir, and build cache entries. Pure functions of their
// arguments, shared by the tokenizer and the model (which finds archive paths
// in importcfg bodies), so that the model reads events and never asks the
// tokenizer.

#include <string_view>

namespace gox::trace {

// "NNN" right after a "b": digits (at most 9), then a separator or the end;
// the number, or -1.
inline int objdir_digits(std::string_view s) {
    std::size_t i = 0;
    int v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 9) v = v * 10 + (s[i++] - '0');
    if (i == 0) return -1;
    if (i < s.size() && s[i] != '/' && s[i] != '\\') return -1;
    return v;
}

// bNNN number of a path below $WORK or below work_dir (the absolute work dir
// printed by WORK=, which 1.20+ heredocs use; empty for none), or -1.
inline int objdir_of(std::string_view p, std::string_view work_dir) {
    if (p.substr(0, 5) == "$WORK") {
        p.remove_prefix(5);
    } else if (!work_dir.empty() && p.substr(0, work_dir.size()) == work_dir) {
        p.remove_prefix(work_dir.size());
    } else {
        return -1;
    }
    if (p.size() < 3 || (p[0] != '/' && p[0] != '\\') || p[1] != 'b') return -1;
    return objdir_digits(p.substr(2));
}

// The GOCACHE root of a build cache entry path (.../xx/<64 hex>-d, optionally
// followed by /name: 1.24+ cached executables), without the "/xx/<hex>-d"
// part; empty for a path that is no cache entry.
std::string_view cache_root(std::string_view path);

// True for a build cache entry path.
inline bool is_cache_entry(std::string_view path) { return !cache_root(path).empty(); }

} // namespace gox::trace
