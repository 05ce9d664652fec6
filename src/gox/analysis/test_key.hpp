#pragma once
// The ID under which go looks a test result up, computed offline: how the
// cache program's gets for test results are tied to their package
// (cache_program.hpp).
//
// cmd/go/internal/test (Go 1.19 to 1.27) hashes, after the cache's salt
// (runtime.Version() without " X:<experiments>"), the text
//   test binary <ID> args <cacheArgs %q> execcmd <-exec words %q>
// where ID is the test binary link's action ID (20 characters, as the
// action graph's ActionID) or, after a miss and a link, the binary's content
// ID; cacheArgs are go's own test arguments as it hands them to the binary
// (-test.NAME=VALUE with VALUE as the flag prints it: -short is
// "-test.short=true", -timeout 90s "-test.timeout=1m30s"): -test.v=test2json
// under -json, then the test flags of GOFLAGS (by name), then the default
// -test.timeout=10m0s unless a timeout was given, then the command line's, in
// its order; -coverprofile and -outputdir are left out. Any other argument
// makes the result uncacheable: there is no ID.
//
// What go finds under that ID is the list of env vars and files the last
// passing run read; the output is under a subkey of it and of their current
// values, which only go computes (the cache program ties it to its package
// through the output's last line, "ok  \tP\t...").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gox::analysis {

// "args [...] execcmd [...]" for go test's arguments (after the verb) and
// GOFLAGS; nullopt when the run's results are not cacheable or an argument
// cannot be read as go reads it (no ID is then better than a wrong one).
std::optional<std::string> test_key_text(const std::vector<std::string>& args, std::string_view goflags);

// The test ID in hex: SHA-256 of salt + "test binary " + id + " " + text.
std::string test_id_hex(std::string_view salt, std::string_view id, std::string_view text);

// The cache's salt for a Go version ("go1.26.8 X:nocoverageredesign" ->
// "go1.26.8").
std::string cache_salt(std::string_view go_version);

// A time.Duration as go prints it (90 s -> "1m30s") and parses it ("1m30s",
// "1.5h", "300ms"; nullopt when go would not accept it). Nanoseconds.
std::string go_duration_string(long long ns);
std::optional<long long> parse_go_duration(std::string_view s);


} // namespace gox::analysis
