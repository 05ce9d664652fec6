#pragma once
// One exception type for environment failures (unreadable file, go missing):
// thrown anywhere, caught once in main, printed as "gox: error: ...".
// Expected failures (a bad trace line) are values, not exceptions.

#include <stdexcept>
#include <string>

namespace gox::util {

class Fatal : public std::runtime_error {
public:
    explicit Fatal(const std::string& what) : std::runtime_error(what) {}
};

// Exit status for gox's own failures (bad gox option, unreadable input).
// Distinct from go's own statuses (0, 1, 2) so scripts can tell them apart.
inline constexpr int kExitGoxError = 125;

} // namespace gox::util
