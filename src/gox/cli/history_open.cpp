// Opening the run history for the commands that read it (explain, diff,
// history, report), and finding the module the user is in.

#include <gox/cli/cli.hpp>
#include <gox/history/deferred.hpp>
#include <gox/history/open.hpp>
#include <gox/util/error.hpp>
#include <gox/util/strings.hpp>

#include <filesystem>

namespace gox::cli {

std::unique_ptr<history::Store> open_history(const std::string& instead) {
    history::Location where = history::location_from_env();
    // A detached writer may be creating the history right now (the first
    // run's record): it finishes before the history is looked for.
    if (!where.target.empty()) history::wait_for_writer(where);
    if (where.target.empty() || !history::exists(where))
        throw util::Fatal("no run history yet (" + (where.target.empty() ? std::string("set GOX_HISTORY") : where.target) +
                          "): run gox build or gox test first" + (instead.empty() ? "" : ", or " + instead));
    try {
        return history::open_store(where);
    } catch (const history::HistoryError& e) {
        throw util::Fatal(e.what());
    }
}

std::string current_module(const history::Store& s) {
    std::string cwd = std::filesystem::current_path().string();
    for (const auto& r : s.runs("", 200))
        if (cwd == r.module_root || util::starts_with(cwd, r.module_root + "/")) return r.module_root;
    auto all = s.runs("", 1);
    if (all.empty()) throw util::Fatal("the run history is empty: run gox build or gox test first");
    return all.front().module_root;
}

} // namespace gox::cli
