#pragma once
// Writing a run's record after the user has their prompt back.
//
// A run's record (hundreds of package rows, the run's document) costs
// 15-60 ms of INSERTs on a 1,000-package module, all after go has exited:
// time the user of `alias go=gox` would wait on every command. So by
// default the record is written by a detached child process: the caller
// forks it and returns at once. The child owns nothing the user waits on:
// its stdin and stdout are /dev/null, its stderr appends to a warnings file
// that the next gox to open the history prints, and it is in its own
// session, so a terminal's ^C does not reach it.
//
// Ordering: the caller takes the history's writer lock (flock, exclusive) on
// <history>.writer-lock before forking, and the child inherits it; every
// open of the store (open_store) first waits for a shared lock on the same
// file. So `gox build && gox history` always shows the build, and two runs
// in a row write their records in order.
//
// Written inline instead (the caller waits) when:
//   - GOX_HISTORY_SYNC=1;
//   - a CI system is detected (CI, GITHUB_ACTIONS, GITLAB_CI, BUILDKITE,
//     CIRCLECI, JENKINS_URL, TF_BUILD, TEAMCITY_VERSION): a job's last
//     command may be followed at once by the end of its container, which
//     would take a detached child with it, and there the milliseconds matter
//     less than a fleet history without gaps (GOX_HISTORY_SYNC=0 overrides);
//   - gox is process 1 (a container's entry point);
//   - the lock file cannot be opened, or fork fails.

#include <gox/history/open.hpp>

#include <functional>
#include <string>

namespace gox::history {

// Whether write_deferred would fork (the environment's verdict, above).
bool background_wanted();

// Runs write() in a detached child holding the writer lock of `where`, and
// returns at once in the caller; or inline, when background_wanted() is
// false or the child cannot be had. write() must open its own store: a
// connection opened before the fork must not be used in the child (close
// it first). Flushes stdio before forking. Never throws; what write()
// throws is reported as a warning (in the child: into the warnings file).
// True when a child took write() (in the caller, which then must leave to
// the child whatever write() still uses); false when it ran inline.
bool write_deferred(const Location& where, const std::function<void()>& write);

// True in the detached writer (inside write()).
bool in_detached_writer();

// Waits until no writer of `where` holds its lock, then prints (to stderr,
// as gox warnings) and clears what the last detached writer left in its
// warnings file. open_store calls it; a no-op inside the writer itself.
void wait_for_writer(const Location& where);

// The lock file and the warnings file of a history location.
std::string writer_lock_path(const Location& where);
std::string writer_warnings_path(const Location& where);

} // namespace gox::history
