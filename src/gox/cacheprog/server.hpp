#pragma once
// gox cacheprog: the GOCACHEPROG server. Reads go's requests from one file
// descriptor and answers on another, from a pool of threads (answers go out
// as each is ready, in any order). Tiers: the local one (go's layout in
// GOCACHE, DiskStore) and an upstream helper (Upstream). A local hit never
// reaches the upstream; a local miss asks it and keeps what it returns; a
// put is stored locally, answered, then sent upstream. With no local tier
// every request is passed to the upstream and its answer passed back.
// Nothing is ever written to stderr: problems go to the record.

#include <string>

namespace gox::cacheprog {

struct RecordLog;

struct ServerOptions {
    std::string gocache;     // the local tier's directory
    bool local = true;       // false: --no-local
    std::string upstream;    // "CMD ARGS" as GOCACHEPROG takes it; "" for none
    std::string record;      // the record file; "" for none
    unsigned workers = 0;    // 0: by the machine
};

// Serves until close (or end of input); returns the exit status (0, or 1
// when the protocol could not be served at all). kept: when not null, gets
// every request and problem of the session as the record has them (the
// record file or not).
int serve(const ServerOptions& o, int in_fd, int out_fd, RecordLog* kept = nullptr);

} // namespace gox::cacheprog
