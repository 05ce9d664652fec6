#pragma once
// Where a run's record waits while the history server cannot be reached:
// one JSON line per run (the run, its packages, its report document) in a
// local file, sent to the server by the next run that reaches it, oldest
// first. The file is locked while it is written or sent (flock), so
// concurrent runs neither lose nor send a record twice; a run that finds it
// locked by another sender leaves it to that one.
//
// GOX_HISTORY_SPOOL, else $XDG_STATE_HOME/gox/history-spool.jsonl, else
// ~/.local/state/gox/history-spool.jsonl. Each line names the server it is
// for (a hash of GOX_HISTORY without its password: a record spooled for a
// wrong password goes once the password is right), so one file serves
// several servers.

#include <gox/history/store.hpp>

#include <string>
#include <vector>

namespace gox::history::spool {

std::string default_path();

// A line of the spool: the record of one run.
struct Entry {
    RunRecord run;
    std::vector<PackageRecord> packages;
    std::string report; // "" for none
};

// Appends the entry for target (the location's URI); HistoryError if it cannot.
void append(const std::string& path, const std::string& target, const Entry& e);

// Sends path's entries for target to store, oldest first, and removes them
// from the file. Stops at the first that fails because the server is gone
// (store.lost()); an entry the server refuses for itself is dropped, and
// said in `dropped`. Returns how many were sent.
int drain(const std::string& path, const std::string& target, Store& store, std::string* dropped = nullptr);

// The entries in the file for target (tests, gox doctor).
std::vector<Entry> read(const std::string& path, const std::string& target);

} // namespace gox::history::spool
