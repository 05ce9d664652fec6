#pragma once
// Reproducing a failed run against an empty temporary build cache (and work
// directory), to tell a broken cache from broken code. The user's own GOCACHE
// is never written: the re-run gets its own, removed afterwards.

#include <gox/analysis/diagnosis.hpp>
#include <gox/model/build.hpp>
#include <gox/model/diagnosis.hpp>

#include <string>
#include <vector>

namespace gox::cli {

// The go command line of the re-run: the same flags and packages, but
// nothing written where the user would see it (build, install and run
// become `go build -o /dev/null`; the program of go run is not run) and, when
// keep_tests is false, go test builds and vets without running a test.
std::vector<std::string> repro_args(const std::string& verb, const std::vector<std::string>& args, bool keep_tests);

struct ReproRequest {
    std::string go;
    std::string verb;
    std::vector<std::string> args;
    const model::Build* failing = nullptr;
    const analysis::ErrorCollector* errors = nullptr;
    const model::Diagnosis* diagnosis = nullptr;
    bool announce = true; // one line on stderr before the (long) re-run
};

model::Repro repro_clean(const ReproRequest& req);

// Cache files of the suspects checked against their names (read-only).
std::vector<model::EntryCheck> verify_suspects(const model::Build& b, const model::Diagnosis& d,
                                               const analysis::ErrorCollector& ec);

} // namespace gox::cli
