// gox: runs or reads the go command's -x trace and explains the build cache.
// main only catches what escaped: environment failures (util::Fatal) and
// anything unexpected, printed as one line with gox's own exit status.

#include <gox/cli/cli.hpp>
#include <gox/util/error.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    try {
        return gox::cli::run(argc, argv);
    } catch (const gox::util::Fatal& e) {
        std::fprintf(stderr, "gox: error: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gox: internal error: %s\n", e.what());
    }
    return gox::util::kExitGoxError;
}
