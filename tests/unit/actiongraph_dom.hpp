#pragma once
// The reference reader of the -debug-actiongraph JSON: gox's reader before
// issue 14, a full nlohmann DOM walked afterwards. model::parse_actiongraph
// now reads the text in one pass without a DOM; the unit tests
// (test_actiongraph_reader.cpp) and the fuzz target (fuzz_actiongraph.cpp)
// check that both give the same graph, and fail on the same inputs.
#include <gox/model/actiongraph.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gox::testref {

inline std::string dom_str(const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::optional<model::ActionGraph> dom_parse_actiongraph(std::string_view text) {
    using nlohmann::json;
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_array()) return std::nullopt;
    model::ActionGraph g;
    for (const json& o : j) {
        if (!o.is_object()) continue;
        model::GraphAction a;
        if (auto it = o.find("ID"); it != o.end() && it->is_number_integer()) a.id = it->get<int>();
        a.mode = dom_str(o, "Mode");
        a.package = dom_str(o, "Package");
        a.objdir = dom_str(o, "Objdir");
        a.objdir_number = model::objdir_number(a.objdir);
        if (auto it = o.find("Cmd"); it != o.end()) a.ran = it->is_array() && !it->empty();
        if (auto it = o.find("Failed"); it != o.end() && it->is_boolean()) a.failed = it->get<bool>();
        if (auto it = o.find("Deps"); it != o.end() && it->is_array())
            for (const json& d : *it)
                if (d.is_number_integer()) a.deps.push_back(d.get<int>());
        a.action_id = dom_str(o, "ActionID");
        a.build_id = dom_str(o, "BuildID");
        a.time_start = model::parse_rfc3339(dom_str(o, "TimeStart"));
        a.time_done = model::parse_rfc3339(dom_str(o, "TimeDone"));
        g.actions.push_back(std::move(a));
    }
    return g;
}

// Field by field; the times compare exactly (both come from parse_rfc3339
// of the same text).
inline bool same_action(const model::GraphAction& x, const model::GraphAction& y) {
    return x.id == y.id && x.mode == y.mode && x.package == y.package && x.objdir == y.objdir &&
           x.objdir_number == y.objdir_number && x.ran == y.ran && x.failed == y.failed && x.deps == y.deps &&
           x.action_id == y.action_id && x.build_id == y.build_id && x.time_start == y.time_start &&
           x.time_done == y.time_done;
}

inline bool same_graph(const std::optional<model::ActionGraph>& x, const std::optional<model::ActionGraph>& y) {
    if (x.has_value() != y.has_value()) return false;
    if (!x) return true;
    if (x->actions.size() != y->actions.size()) return false;
    for (std::size_t i = 0; i < x->actions.size(); ++i)
        if (!same_action(x->actions[i], y->actions[i])) return false;
    return true;
}

} // namespace gox::testref
