// gox doctor: is this machine's Go build cache healthy? Each check prints a
// status (ok, warn, fail), what it found and, when not ok, a remedy.

#include <gox/analysis/diagnosis.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/command_line.hpp>
#include <gox/process/go_process.hpp>
#include <gox/util/error.hpp>
#include <gox/util/fs_probe.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace gox::cli {

namespace {

struct Check {
    std::string id, status, detail, remedy;
};

constexpr const char* kDoctorHelp = R"(usage: gox doctor [--format=text|json] [--mod-verify] [--verify-cache]

Checks what the Go build cache needs, each with a status and a remedy: go on
PATH and its version, GOROOT, GOCACHE (where it is and why, that it exists and
is writable, entries owned by another user, size and entry count, free space,
when it was last trimmed), the C compiler when cgo is on, GOTMPDIR/TMPDIR,
GOMODCACHE, GOFLAGS; with --mod-verify `go mod verify` for the module in the
current directory; with --verify-cache every output file in GOCACHE against
its content hash (reads the whole cache; writes nothing).
Exit status 1 when a check fails, 0 otherwise (warnings included).
)";

std::string human(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        ++u;
    }
    return fmt::format("{:.{}f} {}", bytes, u ? 1 : 0, units[u]);
}

// Writable for real (root passes access(2) checks that a write would fail on
// a read-only mount): create and remove a file.
std::string write_probe(const std::string& dir) {
    std::string tmpl = dir + "/.gox-doctor-XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return std::strerror(errno);
    ::close(fd);
    ::unlink(tmpl.c_str());
    return "";
}

constexpr double kLowSpace = 1024.0 * 1024 * 1024; // 1 GiB

void check_dir_space(std::vector<Check>& out, const std::string& id, const std::string& dir) {
    auto free = util::place_facts(dir).free_bytes;
    if (!free) return;
    double fb = static_cast<double>(*free);
    if (fb < kLowSpace)
        out.push_back({id + "_space", "warn", fmt::format("{} free on the filesystem of {}", human(fb), dir),
                       "free space there; builds fail with 'no space left on device'"});
    else
        out.push_back({id + "_space", "ok", fmt::format("{} free on the filesystem of {}", human(fb), dir), ""});
}

// The cache names every output file by the SHA-256 of its content: check
// them all (read-only).
void check_cache_integrity(std::vector<Check>& out, const std::string& gc) {
    std::vector<std::pair<std::string, std::string>> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(gc, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() == 66 && util::ends_with(name, "-d") && it->is_regular_file(ec)) files.emplace_back("", it->path().string());
    }
    std::size_t bad = 0, unreadable = 0;
    std::string first;
    // A large cache takes a while (every file is read and hashed): on a
    // terminal, a status line that is erased when done.
    bool draw = ::isatty(2) && !std::getenv("CI");
    auto last = std::chrono::steady_clock::now();
    bool drawn = false;
    auto progress = [&](std::size_t done, std::size_t total) {
        auto now = std::chrono::steady_clock::now();
        if (!draw || (drawn && now - last < std::chrono::milliseconds(100))) return;
        last = now;
        drawn = true;
        process::write_all(2, fmt::format("\r\x1b[Kgox doctor: checking cache files against their hashes: {} of {}",
                                          done, total));
    };
    auto checks = analysis::verify_cache_files(files, progress);
    if (drawn) process::write_all(2, "\r\x1b[K");
    for (const auto& c : checks) {
        if (c.status == "corrupt") {
            ++bad;
            if (first.size() < 400) first += " " + c.file;
        } else if (c.status == "unreadable") {
            ++unreadable;
        }
    }
    if (bad)
        out.push_back({"gocache_integrity", "fail",
                       fmt::format("{} of {} output files do not match their content hash:{}", bad, files.size(), first),
                       "remove those files (go rebuilds them) or go clean -cache; then check the disk"});
    else
        out.push_back({"gocache_integrity", "ok",
                       fmt::format("{} output files match their content hashes{}", files.size() - unreadable,
                                   unreadable ? fmt::format(" ({} unreadable)", unreadable) : ""),
                       ""});
}

// A program as exec would find it: a path, or a name looked up in PATH.
bool program_exists(const std::string& prog) {
    if (prog.empty()) return false;
    if (prog.find('/') != std::string::npos) return ::access(prog.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "";
    for (std::size_t i = 0; i <= p.size();) {
        auto e = p.find(':', i);
        std::string dir = p.substr(i, e == std::string::npos ? std::string::npos : e - i);
        if (::access(((dir.empty() ? "." : dir) + "/" + prog).c_str(), X_OK) == 0) return true;
        if (e == std::string::npos) break;
        i = e + 1;
    }
    return false;
}

void check_gocache(std::vector<Check>& out, const nlohmann::json& env) {
    std::string gc = env.value("GOCACHE", "");
    const char* env_gc = std::getenv("GOCACHE");
    std::string why = env_gc && *env_gc ? "from $GOCACHE"
                      : std::getenv("XDG_CACHE_HOME") && *std::getenv("XDG_CACHE_HOME") ? "from $XDG_CACHE_HOME/go-build"
                      : std::getenv("HOME") && *std::getenv("HOME")                       ? "from $HOME/.cache/go-build"
                                                                                          : "no GOCACHE, XDG_CACHE_HOME or HOME";
    // go env reports "off" for every unusable setting: tell them apart.
    if (env_gc && *env_gc && env_gc[0] != '/' && std::string(env_gc) != "off") {
        out.push_back({"gocache", "fail", std::string("GOCACHE is not an absolute path: ") + env_gc,
                       "use an absolute path"});
        return;
    }
    if (gc == "off" && !(env_gc && std::string(env_gc) == "off")) {
        out.push_back({"gocache", "fail", "no build cache location: " + why,
                       "set GOCACHE to an absolute, writable directory (or set HOME)"});
        return;
    }
    if (gc == "off") {
        out.push_back({"gocache", "fail", "GOCACHE=off (" + why + ")",
                       "unset GOCACHE or point it at a writable directory: the build cache is required since Go 1.12"});
        return;
    }
    if (gc.empty()) {
        out.push_back({"gocache", "fail", "no build cache location (" + why + ")",
                       "set GOCACHE to an absolute, writable directory (or set HOME)"});
        return;
    }
    if (gc[0] != '/') {
        out.push_back({"gocache", "fail", "GOCACHE is not an absolute path: " + gc, "use an absolute path"});
        return;
    }
    std::error_code ec;
    if (!fs::exists(gc, ec)) {
        fs::path parent = fs::path(gc).parent_path();
        while (!parent.empty() && !fs::exists(parent, ec)) parent = parent.parent_path();
        std::string err = parent.empty() ? "no existing parent" : write_probe(parent.string());
        if (err.empty())
            out.push_back({"gocache", "ok", gc + " (" + why + "): does not exist yet; go will create it", ""});
        else
            out.push_back({"gocache", "fail", gc + " (" + why + "): cannot be created: " + err,
                           "make its parent writable or set GOCACHE elsewhere"});
        return;
    }
    std::string err = write_probe(gc);
    if (!err.empty()) {
        out.push_back({"gocache", "fail", gc + " (" + why + ") is not writable: " + err,
                       "fix the permissions (chown -R to the building user) or set GOCACHE to a writable directory"});
    } else {
        out.push_back({"gocache", "ok", gc + " (" + why + ")", ""});
    }
    // Entries, size, owners (bounded walk).
    util::TreeStats t = util::tree_stats(gc);
    std::string size = fmt::format("{}{} files, {}", t.truncated ? "≥ " : "", t.files, human(static_cast<double>(t.bytes)));
    out.push_back({"gocache_size", "ok", size, ""});
    if (t.unreadable)
        out.push_back({"gocache_permissions", "fail", fmt::format("{} cache files cannot be read", t.unreadable),
                       "chown -R the cache to the building user, or go clean -cache"});
    else if (t.foreign)
        out.push_back({"gocache_owner", "warn", fmt::format("{} cache files belong to another user", t.foreign),
                       "a cache shared between users breaks when one cannot write the other's entries: chown -R it"});
    check_dir_space(out, "gocache", gc);
    struct stat st {};
    std::string trim = gc + "/trim.txt";
    if (::stat(trim.c_str(), &st) == 0) {
        double days = (std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
                       static_cast<double>(st.st_mtime)) / 86400.0;
        out.push_back({"gocache_trim", days > 7 ? "warn" : "ok", fmt::format("last trimmed {:.1f} days ago", days),
                       days > 7 ? "go trims at most daily; an old trim.txt means trims fail (check permissions / disk)" : ""});
    }
}

} // namespace

namespace {

// The go command and the environment it reports; env stays empty when go
// cannot be run.
nlohmann::json check_go(std::vector<Check>& out, std::string& go) {
    nlohmann::json env = nlohmann::json::object();
    try {
        go = process::find_go("");
    } catch (const util::Fatal& e) {
        out.push_back({"go", "fail", e.what(), "install Go or put it on PATH (or set GOX_GO)"});
        return env;
    }
    auto v = process::capture({go, "version"});
    out.push_back({"go", v ? "ok" : "fail", go + (v ? " (" + v->substr(0, v->find('\n')) + ")" : ": go version failed"),
                   v ? "" : "check the Go installation"});
    auto e = process::capture({go, "env", "-json", "GOROOT", "GOCACHE", "GOTMPDIR", "GOMODCACHE", "GOFLAGS", "GOVERSION",
                               "GOMOD", "CGO_ENABLED", "CC"});
    if (e) {
        auto j = nlohmann::json::parse(*e, nullptr, false);
        if (j.is_object()) env = j;
    } else {
        out.push_back({"go_env", "fail", "go env failed", "run `go env` to see why"});
    }
    return env;
}

void check_goroot(std::vector<Check>& out, const std::string& go, const nlohmann::json& env) {
    std::string goroot = env.value("GOROOT", "");
    std::error_code ec;
    bool same = !go.empty() && fs::exists(goroot + "/bin/go", ec) &&
                fs::equivalent(fs::canonical(go, ec), fs::canonical(goroot + "/bin/go", ec), ec);
    out.push_back({"goroot", same ? "ok" : "warn", goroot + (same ? "" : " (the go on PATH is not " + goroot + "/bin/go)"),
                   same ? "" : "a GOROOT that does not match the go binary mixes toolchains; unset GOROOT"});
}

void check_cc(std::vector<Check>& out, const nlohmann::json& env) {
    if (env.value("CGO_ENABLED", "") != "1") return;
    std::string cc = env.value("CC", "");
    std::string prog = cc.substr(0, cc.find(' '));
    bool found = program_exists(prog);
    out.push_back({"cc", found ? "ok" : "fail", "CGO_ENABLED=1, CC=" + cc + (found ? "" : ": not found"),
                   found ? "" : "install a C compiler, set CC to one, or set CGO_ENABLED=0"});
}

// Where go makes its work dir, and the module cache it downloads into.
void check_tmp_and_modcache(std::vector<Check>& out, const nlohmann::json& env) {
    std::string tmp = env.value("GOTMPDIR", "");
    std::string tmpwhy = tmp.empty() ? "TMPDIR" : "GOTMPDIR";
    if (tmp.empty()) tmp = std::getenv("TMPDIR") && *std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string terr = write_probe(tmp);
    out.push_back({"tmpdir", terr.empty() ? "ok" : "fail", tmp + " (" + tmpwhy + ")" + (terr.empty() ? "" : ": " + terr),
                   terr.empty() ? "" : "go creates its work dir there: make it writable or set GOTMPDIR"});
    if (terr.empty()) check_dir_space(out, "tmpdir", tmp);
    std::string mc = env.value("GOMODCACHE", "");
    std::error_code ec;
    if (!mc.empty() && fs::exists(mc, ec)) {
        std::string merr = write_probe(mc);
        out.push_back({"gomodcache", merr.empty() ? "ok" : "warn", mc + (merr.empty() ? "" : ": not writable: " + merr),
                       merr.empty() ? "" : "downloads of new modules will fail"});
    }
}

void check_goflags(std::vector<Check>& out, const nlohmann::json& env) {
    std::string flags = env.value("GOFLAGS", "");
    std::string bad;
    for (std::size_t p = 0; p < flags.size();) {
        auto e = flags.find(' ', p);
        std::string w = flags.substr(p, e == std::string::npos ? std::string::npos : e - p);
        if (!w.empty() && w[0] != '-') bad = w;
        if (w == "-a" || w == "-a=true") bad = "-a (rebuilds everything on every build)";
        if (e == std::string::npos) break;
        p = e + 1;
    }
    out.push_back({"goflags", bad.empty() ? "ok" : "warn", flags.empty() ? "(empty)" : flags,
                   bad.empty() ? "" : "GOFLAGS contains " + bad});
}

void check_mod_verify(std::vector<Check>& out, const std::string& go, const nlohmann::json& env) {
    std::string gomod = env.value("GOMOD", "");
    if (gomod.empty() || gomod == "/dev/null") {
        out.push_back({"mod_verify", "warn", "not in a module", "run gox doctor --mod-verify inside the module"});
        return;
    }
    auto r = process::capture({go, "mod", "verify"});
    out.push_back({"mod_verify", r ? "ok" : "fail", r ? "all modules verified" : "go mod verify failed",
                   r ? "" : "run go mod verify; go clean -modcache re-downloads corrupted modules"});
}

// Prints the checks; returns the number of problems.
int print_checks(const std::vector<Check>& out, const std::string& format) {
    int fails = 0, warns = 0;
    for (auto& c : out) {
        if (c.status == "fail") ++fails;
        if (c.status == "warn") ++warns;
    }
    if (format == "json") {
        nlohmann::ordered_json j;
        j["problems"] = fails;
        j["warnings"] = warns;
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (auto& c : out) arr.push_back({{"id", c.id}, {"status", c.status}, {"detail", c.detail}, {"remedy", c.remedy}});
        j["checks"] = arr;
        std::printf("%s\n", j.dump(2).c_str());
        return fails;
    }
    for (auto& c : out) {
        std::printf("%-4s %-20s %s\n", c.status.c_str(), c.id.c_str(), c.detail.c_str());
        if (!c.remedy.empty()) std::printf("     %-20s → %s\n", "", c.remedy.c_str());
    }
    std::printf("%d problem(s), %d warning(s)\n", fails, warns);
    return fails;
}

} // namespace

int cmd_doctor(const std::vector<std::string>& args) {
    CommandSpec spec("doctor", kDoctorHelp);
    std::string format = "text";
    bool mod_verify = false, verify_cache = false;
    spec.options.add_options()
        ("format", po::value<std::string>(&format)->value_name("text|json"), "text (default) or JSON")
        ("mod-verify", po::bool_switch(&mod_verify), "also run `go mod verify` for the module in the current directory")
        ("verify-cache", po::bool_switch(&verify_cache), "check every output file in GOCACHE against its content hash");
    auto vm = parse_command(spec, args);
    if (vm.count(kPositional))
        usage_error(fmt::format("doctor: unexpected argument {}", vm[kPositional].as<std::vector<std::string>>().front()),
                    "Run 'gox doctor --help' for usage.");
    if (format != "text" && format != "json") usage_error(fmt::format("doctor: unknown format \"{}\"", format));
    std::vector<Check> out;
    std::string go;
    nlohmann::json env = check_go(out, go);
    if (!env.empty()) {
        check_goroot(out, go, env);
        check_gocache(out, env);
        if (verify_cache) {
            std::string gc = env.value("GOCACHE", "");
            std::error_code ec;
            if (util::starts_with(gc, "/") && fs::is_directory(gc, ec)) check_cache_integrity(out, gc);
        }
        check_cc(out, env);
        check_tmp_and_modcache(out, env);
        check_goflags(out, env);
        if (mod_verify) check_mod_verify(out, go, env);
    }
    return print_checks(out, format) ? 1 : 0;
}

} // namespace gox::cli
