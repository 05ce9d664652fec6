// gox diff's and the reports' forms of a CrossDiff: the grouped causes as
// text lines and as JSON.

#include <gox/analysis/cross_diff.hpp>

#include <fmt/format.h>

namespace gox::analysis {

std::string group_label(const CauseGroup& g) {
    std::string s = fmt::format("{} {}package{}", g.packages,
                                g.standard == g.packages ? "standard-library " : "", g.packages == 1 ? "" : "s");
    std::vector<std::string> notes;
    if (g.standard && g.standard != g.packages) notes.push_back(fmt::format("{} standard library", g.standard));
    if (g.indirect) notes.push_back(fmt::format("{} through a dependency", g.indirect));
    if (!notes.empty()) {
        s += " (" + notes[0];
        for (std::size_t i = 1; i < notes.size(); ++i) s += ", " + notes[i];
        s += ")";
    }
    return s;
}

nlohmann::ordered_json causes_json(const CrossDiff& d) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& g : d.groups)
        out.push_back({{"reason", g.cause}, {"detail", g.title}, {"remedy", g.remedy}, {"packages", g.packages},
                       {"standard", g.standard}, {"through_dependency", g.indirect}, {"import_paths", g.names}});
    return out;
}

std::string render_cross_diff(const CrossDiff& d, std::size_t names_per_group) {
    if (!d.available) return "";
    std::string s = "why B missed what A had (the first key input that differs, by cause):\n";
    if (d.groups.empty()) {
        s += fmt::format("  every package compared ({}) has the same key on both\n", d.compared);
        return s;
    }
    for (const auto& g : d.groups) {
        s += "  " + group_label(g) + ": " + g.title;
        if (!g.remedy.empty()) s += " → " + g.remedy;
        s += "\n    ";
        for (std::size_t i = 0; i < g.names.size() && i < names_per_group; ++i) s += (i ? ", " : "") + g.names[i];
        if (g.names.size() > names_per_group) s += fmt::format(", … {} more", g.names.size() - names_per_group);
        s += "\n";
    }
    return s;
}

} // namespace gox::analysis
