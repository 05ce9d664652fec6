#pragma once
// A history store in a temporary directory, removed afterwards, for unit
// tests that record runs by hand; and the records and packages they use.
#include <gox/history/sqlite_store.hpp>
#include <gox/model/build.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace gox::testing {

struct TempStore {
    std::string path;
    history::SqliteStore store;
    TempStore() : path(make_path()), store(path) {}
    ~TempStore() {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
    }
    static std::string make_path() {
        std::mt19937_64 rng(std::random_device{}());
        auto dir = std::filesystem::temp_directory_path() / ("gox-unit-store-" + std::to_string(rng()));
        return (dir / "history.db").string();
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
