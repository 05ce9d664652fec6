#pragma once
// A history store in a temporary directory, removed afterwards, for unit
// tests that record runs by hand; and the records and packages they use.
#include <gox/history/pg_store.hpp>
#include <gox/history/sqlite_store.hpp>
#include <gox/model/build.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace gox::testing {

// A SQLite file; or, when GOX_TEST_PG_URL names a PostgreSQL database
// (tests/cli/with_pg.py), a schema of its own there, dropped afterwards:
// the analysis' unit tests run on both backends.
struct TempStore {
    std::string path;
    std::string pg_schema;
    std::unique_ptr<history::Store> owned;
    history::Store& store;
    TempStore() : path(make_path()), owned(open(path, pg_schema)), store(*owned) {}
    ~TempStore() {
        owned.reset();
        if (!pg_schema.empty()) {
            history::PgStore admin(std::getenv("GOX_TEST_PG_URL"), false);
            admin.exec_script("DROP SCHEMA " + pg_schema + " CASCADE");
        }
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
    }
    static std::string make_path() {
        std::mt19937_64 rng(std::random_device{}());
        auto dir = std::filesystem::temp_directory_path() / ("gox-unit-store-" + std::to_string(rng()));
        return (dir / "history.db").string();
    }
    static std::unique_ptr<history::Store> open(const std::string& path, std::string& schema) {
        const char* url = std::getenv("GOX_TEST_PG_URL");
        if (!url || !*url) return std::make_unique<history::SqliteStore>(path);
        static int n = 0;
        schema = "gox_t" + std::to_string(++n);
        {
            history::PgStore admin(url, false);
            admin.exec_script("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
        }
        std::string u = url;
        u += (u.find('?') == std::string::npos ? "?" : "&") + std::string("options=-c%20search_path%3D") + schema;
        return std::make_unique<history::PgStore>(u);
    }
    std::int64_t add(const std::string& verb, const std::vector<std::string>& args,
                     const std::vector<history::PackageRecord>& pkgs, const std::string& root = "/m") {
        history::RunRecord r;
        r.module_root = root;
        r.verb = verb;
        r.args = nlohmann::json(args).dump();
        return store.add_run(r, pkgs);
    }
};

// A package record of a past run, and a package this run rebuilt.
inline history::PackageRecord rec(const std::string& path, const std::string& action, const std::string& content,
                           const std::string& outcome = "rebuilt") {
    history::PackageRecord p;
    p.import_path = path;
    p.action_id = action;
    p.content_id = content;
    p.outcome = outcome;
    return p;
}

inline model::Package pkg(const std::string& path, const std::string& action, const std::string& content,
                   std::vector<std::string> deps = {}) {
    model::Package p;
    p.import_path = path;
    p.for_test = path;
    p.outcome = model::Outcome::Rebuilt;
    p.action_id = action;
    p.content_id = content;
    p.deps = std::move(deps);
    return p;
}

} // namespace gox::testing
