#pragma once
// gox cacheprog used on its own (GOCACHEPROG="gox cacheprog" exported in a
// shell or a CI job): each session, that is each go command that started
// it, becomes one run of the history, so that gox history and gox report
// show plain go's runs too.
//
// What is known without the trace: the go command line, its directory and
// module (read from /proc of the go process that started the cache program,
// and go.mod above that directory; no go is run), the session's start and
// length, and every get and put. The exit status is not (go never tells its
// cache program): it is kExitUnknown. Gets are tied to packages through the
// action IDs earlier runs recorded (history::Store::packages_by_action):
// a hit is cache_hit, a miss whose action go then put is rebuilt, any other
// miss unknown; the gets no run explains are counted as not attributed.
//
// The go command never waits for this: the session's record is made after
// the cache program answered close and let go of go's stdout and stderr.

#include <gox/cacheprog/record.hpp>

#include <string>
#include <vector>

namespace gox::cli {

// The wrapper (gox build|test|...) sets this in its own environment: the
// cache program of a wrapped go records nothing, the wrapper records the run.
inline constexpr const char* kWrappedEnv = "GOX_CACHEPROG_WRAPPED";
// What RunRecord::env carries for a run recorded by the cache program.
inline constexpr const char* kRecordedByKey = "(recorded by)";
inline constexpr const char* kRecordedBy = "gox cacheprog";

// The go command that started this process, read at the session's start
// (go may be gone when it ends).
struct GoParent {
    bool found = false;           // its /proc entry could be read
    std::string verb;             // build, test, list... ("" when there is none)
    std::vector<std::string> args; // after the verb
    std::string cwd;              // where go ran (after its -C)
    std::string go_version;       // from GOROOT/VERSION of its executable
    std::string goroot;
};
GoParent read_go_parent();

// Whether this session is recorded: not under the wrapper, not with
// --no-history (no_history) or GOX_CACHEPROG_NO_HISTORY=1.
bool standalone_recording(bool no_history);

struct StandaloneSession {
    GoParent go;
    double started = 0; // unix seconds
    double seconds = 0;
    std::string gocache, upstream;
    const cacheprog::RecordLog* log = nullptr;
};

// Records the session as one run of the history ($GOX_HISTORY...). Never
// throws; what goes wrong is said on stderr (by then not go's).
void record_session(const StandaloneSession& s);

} // namespace gox::cli
