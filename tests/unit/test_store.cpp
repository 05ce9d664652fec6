// The history store's per-package queries (prepared once per Store) and its
// pruning (in batches), on a store in a temporary file.
#include <catch2/catch.hpp>

#include <gox/history/store.hpp>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

using gox::history::PackageRecord;
using gox::history::RunRecord;
using gox::history::Store;

namespace {

struct TempDir {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("gox-unit-store-" + std::to_string(std::random_device{}()));
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    std::string db() const { return (dir / "history.db").string(); }
};

std::int64_t add(Store& s, const std::string& root, const std::vector<std::string>& paths, const std::string& tag,
                 const std::string& verb = "build") {
    RunRecord r;
    r.module_root = root;
    r.verb = verb;
    r.args = "[]";
    std::vector<PackageRecord> pkgs;
    for (const auto& p : paths) {
        PackageRecord k;
        k.import_path = p;
        k.action_id = p + "-" + tag;
        k.content_id = "c-" + tag;
        k.outcome = "rebuilt";
        pkgs.push_back(k);
    }
    return s.add_run(r, pkgs);
}

} // namespace

TEST_CASE("Store: the per-package queries see every run, asked again and again", "[history][store]") {
    TempDir t;
    Store s(t.db());
    CHECK_FALSE(s.previous("/m", "a", "", INT64_MAX));
    auto r1 = add(s, "/m", {"a", "b"}, "1");
    add(s, "/other", {"a"}, "x");
    auto r2 = add(s, "/m", {"a"}, "2");
    for (int round = 0; round < 3; ++round) {
        auto p = s.previous("/m", "a", "", INT64_MAX);
        REQUIRE(p);
        CHECK(p->action_id == "a-2");
        CHECK(s.previous("/m", "a", "", r2)->action_id == "a-1");
        CHECK_FALSE(s.previous("/m", "a", "", r1));
        CHECK(s.previous("/m", "b", "", INT64_MAX)->action_id == "b-1");
        CHECK_FALSE(s.previous("/m", "b", "P.test", INT64_MAX));
        auto e = s.earlier("/m", "a", "", INT64_MAX, 32);
        REQUIRE(e.size() == 2);
        CHECK(e[0].pkg.action_id == "a-2");
        CHECK(e[1].pkg.action_id == "a-1");
        CHECK(e[0].verb == "build");
        CHECK(s.earlier("/m", "a", "", INT64_MAX, 1).size() == 1);
        CHECK(s.action_seen("/m", "a-1", INT64_MAX));
        CHECK_FALSE(s.action_seen("/m", "a-x", INT64_MAX));
        CHECK_FALSE(s.action_seen("/m", "a-2", r2));
    }
    // A run recorded after the queries ran (their statements kept, reset):
    // the next answers include it.
    add(s, "/m", {"a"}, "3", "vet");
    CHECK(s.previous("/m", "a", "", INT64_MAX)->action_id == "a-3");
    auto e = s.earlier("/m", "a", "", INT64_MAX, 32);
    REQUIRE(e.size() == 3);
    CHECK(e[0].verb == "vet");
    CHECK(s.action_seen("/m", "a-3", INT64_MAX));
    // Another connection writes while this one keeps its statements.
    {
        Store other(t.db());
        add(other, "/m", {"a"}, "4");
    }
    CHECK(s.previous("/m", "a", "", INT64_MAX)->action_id == "a-4");
}

TEST_CASE("Store::prune keeps the newest runs, removing old ones in batches", "[history][store]") {
    TempDir t;
    Store s(t.db());
    const int keep = 20;
    const int slack = Store::prune_slack(keep);
    REQUIRE(slack >= 1);
    std::vector<std::int64_t> ids;
    std::size_t most = 0;
    for (int i = 0; i < 3 * keep; ++i) {
        ids.push_back(add(s, "/m", {"a", "b"}, std::to_string(i)));
        s.set_report(ids.back(), "{\"run\": " + std::to_string(i) + "}");
        s.prune(keep);
        auto runs = s.runs("", 1000);
        most = std::max(most, runs.size());
        // Never more than keep + slack, and the newest keep always there.
        CHECK(runs.size() <= static_cast<std::size_t>(keep + slack));
        CHECK(runs.size() >= std::min<std::size_t>(ids.size(), keep));
        for (std::size_t k = ids.size() > static_cast<std::size_t>(keep) ? ids.size() - keep : 0; k < ids.size(); ++k)
            CHECK(s.run(ids[k]));
        // Reports: the newest kReportRuns (more than keep here: all runs kept).
        for (const auto& r : runs) CHECK(s.report(r.id));
    }
    CHECK(most == static_cast<std::size_t>(keep + slack));
    // A removed run's packages are gone with it; the previous record comes
    // from the runs kept.
    std::int64_t oldest = s.runs("", 1000).back().id;
    CHECK(oldest > ids.front());
    CHECK(s.packages(ids.front()).empty());
    CHECK_FALSE(s.report(ids.front()));
    CHECK(s.packages(oldest).size() == 2);
    CHECK(s.earlier("/m", "a", "", INT64_MAX, 1000).size() == s.runs("", 1000).size());
    // keep 0: everything goes once past the slack (0 for keep 0).
    s.prune(0);
    CHECK(s.runs("", 1000).empty());
    CHECK_FALSE(s.previous("/m", "a", "", INT64_MAX));
}

TEST_CASE("Store::prune keeps the reports of the newest kReportRuns runs every time", "[history][store]") {
    TempDir t;
    Store s(t.db());
    std::vector<std::int64_t> ids;
    for (int i = 0; i < Store::kReportRuns + 5; ++i) {
        ids.push_back(add(s, "/m", {"a"}, std::to_string(i)));
        s.set_report(ids.back(), "{}");
        s.prune(200);
    }
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(s.report(ids[k]).has_value() == (k >= 5));
    CHECK(s.runs("", 1000).size() == ids.size());
}
