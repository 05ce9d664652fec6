// go's command line as gox reads it: the verb, and go's -C dir found the way
// go's main.go finds it. Every place that needs go's directory or the
// position of -C (the wrapper, the environment fingerprint, the clean-cache
// re-run, the history) asks here.

#include <gox/cli/cli.hpp>
#include <gox/util/strings.hpp>

#include <filesystem>

namespace gox::cli {

GoChdir go_chdir_at(const std::vector<std::string>& args, std::size_t at) {
    GoChdir c;
    if (at >= args.size()) return c;
    const std::string& a = args[at];
    if (a == "-C" || a == "--C") {
        // `go build -C` with nothing after it: go's own flag error, no -C.
        if (at + 1 >= args.size()) return c;
        c.dir = args[at + 1];
        c.size = 2;
    } else if (util::starts_with(a, "-C=") || util::starts_with(a, "--C=")) {
        c.dir = a.substr(a.find('=') + 1);
        c.size = 1;
    } else {
        return c;
    }
    c.at = at;
    return c;
}

GoLine read_go_line(const std::vector<std::string>& line) {
    GoLine g;
    // go looks for -C right after the command path: before the verb
    // (`go -C dir build`) or right after it (`go build -C dir`), never both
    // (a second -C is a flag error of go's own, left to go).
    g.chdir = go_chdir_at(line, 0);
    g.verb_at = g.chdir.present() ? g.chdir.size : 0;
    if (g.verb_at >= line.size()) {
        g.verb_at = line.size();
        g.inject_at = line.size();
        return g;
    }
    g.verb = line[g.verb_at];
    g.inject_at = g.verb_at + 1;
    if (!g.chdir.present()) {
        g.chdir = go_chdir_at(line, g.verb_at + 1);
        if (g.chdir.present()) g.inject_at = g.chdir.at + g.chdir.size;
    }
    // The arguments after the verb, -C first wherever it was given: the form
    // `go VERB -C dir ...` that go accepts and the rest of gox reads.
    if (g.chdir.present())
        g.args.insert(g.args.end(), line.begin() + static_cast<std::ptrdiff_t>(g.chdir.at),
                      line.begin() + static_cast<std::ptrdiff_t>(g.chdir.at + g.chdir.size));
    for (std::size_t i = g.verb_at + 1; i < line.size(); ++i)
        if (!g.chdir.present() || i < g.chdir.at || i >= g.chdir.at + g.chdir.size) g.args.push_back(line[i]);
    return g;
}

std::string go_work_dir(const std::vector<std::string>& args) {
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    GoChdir c = go_chdir_at(args, 0);
    if (!c.present()) return cwd.string();
    return (cwd / c.dir).lexically_normal().string();
}

} // namespace gox::cli
