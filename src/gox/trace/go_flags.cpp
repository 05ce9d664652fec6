#include <gox/trace/go_flags.hpp>

#include <iterator>

namespace gox::trace {

namespace {

// name, takes_value, test_flag, cacheable, in_test_id
constexpr GoFlag kGoFlags[] = {
    // build flags (go help build) and the -C that comes first
    {"C", true, false, false, false},
    {"a", false, false, false, false},
    {"asan", false, false, false, false},
    {"asmflags", true, false, false, false},
    {"buildmode", true, false, false, false},
    {"buildvcs", false, false, false, false}, // -buildvcs=false: a boolean-like flag, value after '='
    {"compiler", true, false, false, false},
    {"cover", false, false, false, false},
    {"covermode", true, false, false, false},
    {"coverpkg", true, false, false, false},
    {"gccgoflags", true, false, false, false},
    {"gcflags", true, false, false, false},
    {"installsuffix", true, false, false, false},
    {"json", false, true, true, false}, // go build -json (1.24+); go test -json: cacheable, not in the ID
    {"ldflags", true, false, false, false},
    {"linkshared", false, false, false, false},
    {"mod", true, false, false, false},
    {"modcacherw", false, false, false, false},
    {"modfile", true, false, false, false},
    {"msan", false, false, false, false},
    {"n", false, false, false, false},
    {"o", true, false, false, false},
    {"overlay", true, false, false, false},
    {"p", true, false, false, false},
    {"pgo", true, false, false, false},
    {"pkgdir", true, false, false, false},
    {"race", false, false, false, false},
    {"tags", true, false, false, false},
    {"toolexec", true, false, false, false},
    {"trimpath", false, false, false, false},
    {"v", false, true, true, true}, // build: list packages; test: verbose (cacheable)
    {"work", false, false, false, false},
    {"x", false, false, false, false},
    // go's -debug-* flags take a file (-debug-actiongraph FILE -x ...)
    {"debug-actiongraph", true, false, false, false},
    {"debug-runtime-trace", true, false, false, false},
    {"debug-trace", true, false, false, false},
    // go test's own flags (go help testflag; go help test)
    {"args", false, false, false, false},
    {"c", false, false, false, false},
    {"exec", true, false, false, false},
    {"i", false, false, false, false},
    {"artifacts", false, true, false, false},
    {"bench", true, true, false, false},
    {"benchmem", false, true, false, false},
    {"benchtime", true, true, true, true},
    {"blockprofile", true, true, false, false},
    {"blockprofilerate", true, true, false, false},
    {"count", true, true, false, false},
    {"coverprofile", true, true, true, false},
    {"cpu", true, true, true, true},
    {"cpuprofile", true, true, false, false},
    {"failfast", false, true, true, true},
    {"fullpath", false, true, true, true},
    {"fuzz", true, true, false, false},
    {"fuzzminimizetime", true, true, false, false},
    {"fuzztime", true, true, false, false},
    {"list", true, true, true, true},
    {"memprofile", true, true, false, false},
    {"memprofilerate", true, true, false, false},
    {"mutexprofile", true, true, false, false},
    {"mutexprofilefraction", true, true, false, false},
    {"outputdir", true, true, true, false},
    {"parallel", true, true, true, true},
    {"run", true, true, true, true},
    {"short", false, true, true, true},
    {"shuffle", true, true, false, false},
    {"skip", true, true, true, true},
    {"timeout", true, true, true, true},
    {"trace", true, true, false, false},
    {"vet", true, true, true, false},
};

} // namespace

const GoFlag* find_go_flag(std::string_view f) {
    if (!f.empty() && f[0] == '-') f.remove_prefix(1);
    if (!f.empty() && f[0] == '-') f.remove_prefix(1);
    if (f.substr(0, 5) == "test.") f.remove_prefix(5);
    f = f.substr(0, f.find('='));
    for (const auto& g : kGoFlags)
        if (g.name == f) return &g;
    return nullptr;
}

bool go_flag_takes_value(std::string_view flag) {
    const GoFlag* g = find_go_flag(flag);
    return g && g->takes_value && flag.find('=') == std::string_view::npos;
}

} // namespace gox::trace
