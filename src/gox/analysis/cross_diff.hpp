#pragma once
// Why machine B missed what machine A had: two JSON summaries made with
// --why (from any two machines) compared through their packages' key inputs
// (key_inputs.hpp). For each package whose action ID differs, the first key
// input that differs in go's hashing order names a cause and a remedy; a
// package whose first difference is a dependency takes that dependency's
// cause. Packages are then grouped by cause, largest group first.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

struct PackageCause {
    std::string package; // import path, and " [variant]" for a test variant
    std::string cause;   // the cause id (cross_diff.cpp's table: race, package_dir, ...)
    std::string title;   // the cause as the group shows it: "-race only on B"
    std::string detail;  // this package's: the input ("file lib.go added on B"), "through fmt"
    bool standard = false;
    bool indirect = false; // the cause is a dependency's
};

struct CauseGroup {
    std::string cause, title, remedy;
    std::size_t packages = 0, standard = 0, indirect = 0;
    std::vector<std::string> names; // every package of the group, in the documents' order
};

struct CrossDiff {
    bool available = false;  // both documents carry key_inputs
    std::size_t compared = 0; // packages in both with key inputs on both sides
    std::size_t differ = 0;   // ... whose action IDs differ
    std::vector<PackageCause> packages;
    std::vector<CauseGroup> groups; // largest first
};

// a and b: two JSON summaries (gox --why --summary-format=json).
CrossDiff cross_diff(const nlohmann::json& a, const nlohmann::json& b);

// The section gox diff prints: "" when !available. Lines are indented by two.
std::string render_cross_diff(const CrossDiff& d, std::size_t names_per_group = 6);

// The causes as JSON, for gox diff --format=json: a list ordered by packages
// affected, each {reason, detail, remedy, packages (count), standard,
// through_dependency, import_paths}.
nlohmann::ordered_json causes_json(const CrossDiff& d);

// The group's label: "181 standard-library packages", "3 packages (1 through
// a dependency)".
std::string group_label(const CauseGroup& g);

} // namespace gox::analysis
