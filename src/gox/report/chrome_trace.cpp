// Chrome trace event JSON (chrome://tracing, Perfetto) from the action
// timings: one complete ("X") event per action, on as few lanes as keep
// them from overlapping, named after the mode and package.

#include <gox/report/document.hpp>

#include <cmath>
#include <vector>

namespace gox::report {

std::string render_chrome_trace(const Doc& doc) {
    Doc events = Doc::array();
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 0},
                      {"args", {{"name", command_line(doc).empty() ? std::string("go") : command_line(doc)}}}});
    std::vector<double> lane_end; // when each lane is free again (µs)
    if (doc.contains("timing") && doc["timing"].is_object() && doc["timing"].contains("actions") &&
        doc["timing"]["actions"].is_array()) {
        for (const auto& a : doc["timing"]["actions"]) {
            double ts = std::round(a.value("start", 0.0) * 1e6), dur = std::round(a.value("seconds", 0.0) * 1e6);
            std::size_t lane = 0;
            while (lane < lane_end.size() && lane_end[lane] > ts) ++lane;
            if (lane == lane_end.size()) lane_end.push_back(0);
            lane_end[lane] = ts + dur;
            std::string mode = doc_string(a, "mode"), pkg = doc_string(a, "package");
            bool ran = a.value("ran", false);
            events.push_back({{"name", pkg.empty() ? mode : mode + " " + pkg},
                              {"cat", ran ? "ran" : "cached"},
                              {"ph", "X"},
                              {"ts", ts},
                              {"dur", dur},
                              {"pid", 1},
                              {"tid", lane + 1},
                              {"args", {{"mode", mode}, {"package", pkg}, {"ran", ran}, {"critical", a.value("critical", false)}}}});
        }
    }
    for (std::size_t l = 0; l < lane_end.size(); ++l)
        events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", l + 1},
                          {"args", {{"name", "lane " + std::to_string(l + 1)}}}});
    // One event per line: small, and two exports diff line by line.
    Doc other = {{"generator", "gox"}, {"go_version", doc_string(doc, "go_version")}};
    std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":" + other.dump(-1, ' ', false, Doc::error_handler_t::replace) +
                      ",\"traceEvents\":[\n";
    for (std::size_t i = 0; i < events.size(); ++i)
        out += events[i].dump(-1, ' ', false, Doc::error_handler_t::replace) + (i + 1 < events.size() ? ",\n" : "\n");
    return out + "]}\n";
}

} // namespace gox::report
