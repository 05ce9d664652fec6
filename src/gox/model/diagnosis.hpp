#pragma once
// What gox concluded about a failed run (analysis/diagnosis.cpp fills it):
// the class of the failure with its evidence, the packages that failed and
// were skipped, the cache entries checked, and the verdict of a re-run
// against an empty temporary cache.

#include <optional>
#include <string>
#include <vector>

namespace gox::model {

struct FailedPackage {
    std::string package; // "" when go did not name one
    std::string kind;    // compile | cgo | link | vet | test | build | go
    std::string cls;     // failure class id
    std::vector<std::string> first_lines;
};

// One cache file checked against its name (the cache names output files by
// the SHA-256 of their content).
struct EntryCheck {
    std::string package;
    std::string file;
    std::string status; // ok | corrupt | missing | unreadable
    std::string detail;
};

struct Repro {
    std::string verdict; // cache_caused | reproducible | inconclusive
    std::string command;
    double seconds = 0;
    int exit_code = 0;
    std::string clean_class; // class of the clean run's failure, "" if it passed
    std::vector<std::string> clean_first_lines;
    std::vector<std::string> suspects; // packages whose cached entries differ or failed to load
    std::string evict;                 // shell command removing just those entries, or go clean -cache
    std::string detail;
};

struct Diagnosis {
    std::string cls;
    std::vector<std::string> evidence;
    std::string first_failed;
    std::vector<FailedPackage> failed;
    std::vector<std::string> skipped;
    std::vector<EntryCheck> verified;
    std::optional<Repro> repro;
};

} // namespace gox::model
