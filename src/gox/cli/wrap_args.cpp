// The go flags the wrapper looks at (wrap_internal.hpp): scanned, never changed.

#include <gox/cli/wrap_internal.hpp>

#include <gox/trace/go_flags.hpp>
#include <gox/util/strings.hpp>

#include <cstdlib>
#include <string_view>

namespace gox::cli::wrap {

using util::starts_with;

namespace {

// The program of a -toolexec value, as go splits it (quoted.Split): the
// first word, unquoted.
std::string first_word(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    if (!v.empty() && (v.front() == '\'' || v.front() == '"')) {
        auto end = v.find(v.front(), 1);
        return std::string(v.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
    }
    return std::string(v.substr(0, v.find_first_of(" \t")));
}


} // namespace

GoArgs scan_go_args(const std::string& verb, const std::vector<std::string>& args) {
    GoArgs g;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--" || a == "-args" || a == "--args") break;
        if (a.empty() || a[0] != '-') {
            // go test takes flags after the packages too; the others stop here.
            if (verb == "test") continue;
            break;
        }
        std::string_view f = starts_with(a, "--") ? a.substr(1) : a;
        if (f == "-x" || f == "-x=true") g.user_x = true;
        else if (f == "-n" || f == "-n=true") g.dry_run = true;
        else if (f == "-json" || f == "-json=true") g.json = true;
        else if (f == "-work" || f == "-work=true") g.work = true;
        else if (starts_with(f, "-toolexec=")) g.toolexec = first_word(f.substr(10));
        else if (f == "-toolexec" && i + 1 < args.size()) g.toolexec = first_word(args[i + 1]);
        else if (starts_with(f, "-debug-actiongraph=")) g.user_actiongraph = std::string(f.substr(19));
        else if (f == "-debug-actiongraph" && i + 1 < args.size()) g.user_actiongraph = args[i + 1];
        if (trace::go_flag_takes_value(f)) ++i;
    }
    if (const char* gf = std::getenv("GOFLAGS")) {
        std::string_view s = gf;
        for (std::size_t p = 0; p < s.size();) {
            auto e = s.find(' ', p);
            std::string_view w = s.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p);
            if (w == "-x" || w == "-x=true") g.user_x = true;
            if (w == "-json" || w == "-json=true") g.json = true;
            if (w == "-work" || w == "-work=true") g.work = true;
            if (starts_with(w, "-toolexec=") && g.toolexec.empty()) g.toolexec = first_word(w.substr(10));
            if (e == std::string_view::npos) break;
            p = e + 1;
        }
    }
    return g;
}

} // namespace gox::cli::wrap
