#pragma once
// Which history store a run uses, and opening it: the one place that knows
// both backends.
//
// GOX_HISTORY chooses:
//   - a value starting with postgresql:// or postgres:// is a libpq
//     connection URI: the history lives in that PostgreSQL database. What the
//     URI leaves out (host, port, database, user, password, sslmode...) comes
//     from libpq's own environment variables (PGHOST, PGPORT, PGDATABASE,
//     PGUSER, PGPASSWORD, PGSSLMODE...) and ~/.pgpass, exactly as for psql;
//     so GOX_HISTORY=postgresql:// alone means "the server the PG* variables
//     name". PGHOST or PGDATABASE set without GOX_HISTORY do not move the
//     history to a server (they are often set for an application's own
//     database): the server is always asked for by GOX_HISTORY.
//   - any other non-empty value is the path of a SQLite file;
//   - unset or empty: $XDG_STATE_HOME/gox/history.db, else
//     ~/.local/state/gox/history.db.

#include <gox/history/store.hpp>

#include <memory>
#include <string>

namespace gox::history {

struct Location {
    bool server = false; // PostgreSQL; else a SQLite file
    std::string target;  // the file's path, or the connection URI
    // For messages: the path, or the URI without its password.
    std::string shown() const;
};

// From GOX_HISTORY, XDG_STATE_HOME and HOME.
Location location_from_env();
bool is_server_uri(const std::string& s);

// Opens (and creates or migrates) the store; a HistoryError when it cannot.
std::unique_ptr<Store> open_store(const Location& where);

// Whether the history exists already (a server is assumed to).
bool exists(const Location& where);

} // namespace gox::history
