#include <gox/history/open.hpp>

#include <gox/history/deferred.hpp>
#include <gox/history/pg_store.hpp>
#include <gox/history/sqlite_store.hpp>

#include <cstdlib>
#include <filesystem>

namespace gox::history {

bool is_server_uri(const std::string& s) { return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0; }

std::string Store::default_path() {
    if (const char* e = std::getenv("GOX_HISTORY"); e && *e) return e;
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x && x[0] == '/') return std::string(x) + "/gox/history.db";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/gox/history.db";
    return "";
}

Location location_from_env() {
    Location l;
    l.target = Store::default_path();
    l.server = is_server_uri(l.target);
    return l;
}

std::string Location::shown() const { return server ? PgStore::without_password(target) : target; }

std::unique_ptr<Store> open_store(const Location& where) {
    wait_for_writer(where); // a detached writer of the last run finishes first
    if (where.server) return std::make_unique<PgStore>(where.target);
    return std::make_unique<SqliteStore>(where.target);
}

bool exists(const Location& where) {
    return where.server || (!where.target.empty() && std::filesystem::exists(where.target));
}

} // namespace gox::history
