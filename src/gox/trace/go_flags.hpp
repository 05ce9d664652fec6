#pragma once
// The go command's own flags for build, install, run, vet and test, as one
// table: which take a value, which are test flags (passed to the test
// binary), and which of those go's test cache accepts. Everything in gox that
// reads go's command line (the wrapper's argument scan, the clean re-run's
// arguments, the test-cache reasons) asks this table; go's own source is
// cmd/go/internal/work/build.go (AddBuildFlags) and
// cmd/go/internal/test/testflag.go, test.go (tryCacheWithID).

#include <string_view>

namespace gox::trace {

struct GoFlag {
    std::string_view name;     // without the leading dash(es): "tags"
    bool takes_value;          // "-tags x" as well as "-tags=x"
    bool test_flag;            // go test passes it to the test binary (-test.NAME)
    bool cacheable;            // a test result run with it can be cached (tryCacheWithID)
    bool in_test_id;           // cacheable and part of the test result's ID
};

// The entry for a flag as written ("-tags", "--tags", "-tags=x", "-test.run",
// or a bare name); nullptr when go has no such flag of its own (an analyzer
// flag of vet, a flag of the test binary, a typo).
const GoFlag* find_go_flag(std::string_view flag);

// Whether `flag` ("-o", "--tags"; no "=value") takes the next argument as its
// value, so that argument is no package.
bool go_flag_takes_value(std::string_view flag);

} // namespace gox::trace
