#include <gox/analysis/diagnosis.hpp>

#include <gox/trace/hash_stream.hpp>
#include <gox/trace/tokenizer.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <unistd.h>

namespace gox::analysis {

using util::ends_with;
using util::starts_with;

namespace {

struct ClassRow {
    std::string_view name;
    bool cache;
    std::string_view title, remedy;
};
constexpr ClassRow kClasses[] = {
#define X(id, name, cache, title, remedy) {name, cache, title, remedy},
    GOX_FAILURE_CLASSES(X)
#undef X
};
const ClassRow& row(FailureClass c) { return kClasses[static_cast<std::size_t>(c)]; }

constexpr std::size_t kMaxLineChars = 400;
constexpr std::size_t kMaxSkipped = 200;

bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// ".../xx/<64 hex>-d": an output file of the build cache.
bool looks_like_cache_file(std::string_view p) {
    auto slash = p.find_last_of('/');
    std::string_view name = slash == std::string_view::npos ? p : p.substr(slash + 1);
    return name.size() == 66 && ends_with(name, "-d") && util::is_lower_hex(name.substr(0, 64));
}

} // namespace

std::optional<std::pair<std::string, std::string>> could_not_import(std::string_view line) {
    auto k = line.find("could not import ");
    if (k == std::string_view::npos) return std::nullopt;
    std::string_view rest = line.substr(k + 17);
    auto sp = rest.find(" (");
    std::string pkg(rest.substr(0, sp));
    std::string why = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 2));
    return std::make_pair(pkg, why);
}

namespace {

// The directory of "package P is not in std (DIR)".
std::string not_in_std_dir(std::string_view line) {
    auto k = line.find(" is not in std (");
    if (k == std::string_view::npos) return "";
    std::string_view d = line.substr(k + 16);
    auto e = d.rfind(')');
    return std::string(e == std::string_view::npos ? d : d.substr(0, e));
}

bool nearly_full(const std::optional<PlaceFacts>& p) {
    return p && p->free_bytes && *p->free_bytes < (4u << 20);
}

std::string human_bytes(std::uint64_t n) {
    if (n >= (1ull << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1ull << 30));
    if (n >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1ull << 20));
    if (n >= 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
    return fmt::format("{} bytes", n);
}

// go's own complaints about its environment (Go 1.19-1.27 wording). Some
// come with go's prefix twice ("go: go: module cache not found: ..." when a
// GOTOOLCHAIN switch needs the module cache).
bool go_environment_line(std::string_view l) {
    return contains(l, "module cache not found: neither GOMODCACHE nor GOPATH is set") ||
           contains(l, "GOPATH entry is relative; must be absolute path") ||
           contains(l, "GOMODCACHE entry is relative; must be absolute path") ||
           contains(l, "cannot find GOROOT directory") || contains(l, "parsing $GOFLAGS: ") ||
           contains(l, "unsupported GOOS/GOARCH pair") || contains(l, "unknown GOEXPERIMENT") ||
           contains(l, "invalid GOTOOLCHAIN");
}

// A toolchain go must not or cannot switch to: "go: go.mod requires go >=
// 1.28 (running go 1.26.8; GOTOOLCHAIN=local)", "go: download go1.27.3 for
// linux/amd64: toolchain not available" (GOPROXY=off or direct),
// "go: download go1.99.0: golang.org/toolchain@...: reading https://...: 403"
// (a proxy that does not have it, or no network), `go: cannot find
// "go1.27.3" in PATH` (GOTOOLCHAIN=path).
bool toolchain_unavailable_line(std::string_view l) {
    if (contains(l, "requires go >= ") && contains(l, "(running go ") && contains(l, "GOTOOLCHAIN=")) return true;
    if (contains(l, "toolchain not available")) return true;
    if (starts_with(l, "go: download go")) return true;
    return starts_with(l, "go: cannot find \"go") && ends_with(l, "\" in PATH");
}

bool is_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An error of the C side of cgo: a C compiler's "FILE:L[:C]: [fatal ]error:
// ..." (gcc and clang; Go's compiler never writes "error:" there), the
// external linker's missing library or symbol, and cgo's own "could not
// determine kind of name for C.x".
bool c_error_line(std::string_view l) {
    if (contains(l, "could not determine kind of name for C.")) return true;
    if (contains(l, ": cannot find -l") || contains(l, "library not found for -l") ||
        contains(l, "undefined reference to `") || contains(l, "Undefined symbols for architecture") ||
        contains(l, "collect2: error: ld returned") || contains(l, "linker command failed with exit code"))
        return true;
    if (l.empty() || l.front() == ' ' || l.front() == '\t') return false;
    auto k = l.find(": error: ");
    if (auto f = l.find(": fatal error: "); f != std::string_view::npos && (k == std::string_view::npos || f < k)) k = f;
    if (k == std::string_view::npos) return false;
    // FILE:L or FILE:L:C before it
    std::string_view pos = l.substr(0, k);
    auto c = pos.rfind(':');
    return c != std::string_view::npos && c > 0 && is_digits(pos.substr(c + 1));
}

// One line's class, if it says anything on its own.
std::optional<FailureClass> classify_line(std::string_view l, const DiagContext& ctx, const ErrorCollector* ec) {
    if (contains(l, "no space left on device") || contains(l, "disk quota exceeded") ||
        contains(l, "file too large"))
        return FailureClass::DiskFull;
    if (contains(l, "build cache is required") || contains(l, "build cache is disabled") ||
        contains(l, "failed to initialize build cache") || contains(l, "GOCACHE is not"))
        return FailureClass::CacheUnusable;
    if (contains(l, "creating work dir") || contains(l, "GOTMPDIR"))
        return FailureClass::TempDirUnusable;
    if (auto ci = could_not_import(l)) {
        const std::string& why = ci->second;
        std::string file;
        if (ec)
            if (auto it = ec->cache_files().find(ci->first); it != ec->cache_files().end()) file = it->second;
        bool from_cache = !file.empty() || contains(why, "go-build") ||
                          (!ctx.gocache.empty() && contains(why, ctx.gocache));
        if (contains(why, "no such file or directory") && from_cache) return FailureClass::CacheEntryMissing;
        if (contains(why, "permission denied")) return from_cache ? FailureClass::CacheUnusable : FailureClass::CompileError;
        if (contains(why, "object is [") && !from_cache) return FailureClass::ToolchainMismatch;
        if (from_cache) return FailureClass::CacheCorrupt;
        if (contains(why, "not the start of an archive") || contains(why, "export data") || contains(why, "object is ["))
            return FailureClass::CacheCorrupt;
    }
    if (contains(l, "object is [") && contains(l, "expected [")) {
        if (!ctx.goroot.empty() && contains(l, ctx.goroot + "/pkg/")) return FailureClass::ToolchainMismatch;
        return FailureClass::CacheCorrupt;
    }
    if (contains(l, "cache verify failed") || contains(l, "GODEBUG=gocacheverify")) return FailureClass::CacheCorrupt;
    if (go_environment_line(l)) return FailureClass::GoEnvironment;
    if (toolchain_unavailable_line(l)) return FailureClass::ToolchainUnavailable;
    if (contains(l, "does not match go tool version") || contains(l, "compiled with a newer version"))
        return FailureClass::ToolchainMismatch;
    if (auto d = not_in_std_dir(l); !d.empty()) {
        std::error_code err;
        if (std::filesystem::is_directory(d, err)) {
            // The package is there: go could not read its own index of
            // GOROOT, which lives in the build cache.
            if (nearly_full(ctx.cache_place)) return FailureClass::DiskFull;
            if (ctx.cache_place && !ctx.cache_place->writable) return FailureClass::CacheUnusable;
            return FailureClass::CacheCorrupt;
        }
        return FailureClass::MissingPackageOrModule;
    }
    if (contains(l, "C compiler") && contains(l, "not found")) return FailureClass::CgoToolchain;
    // (before the toolchain's own "clang: error: linker command failed")
    if (c_error_line(l)) return FailureClass::CgoError;
    if ((contains(l, "exec: \"") && contains(l, "executable file not found")) || starts_with(l, "gcc: error") ||
        starts_with(l, "cc1: ") || starts_with(l, "clang: error") || contains(l, "cgo: exit status"))
        return FailureClass::CgoToolchain;
    if (contains(l, "cannot find package") || contains(l, "no required module provides") ||
        contains(l, "missing go.sum entry") || contains(l, "cannot find module providing") ||
        contains(l, "unknown revision") || contains(l, "module lookup disabled") ||
        contains(l, "is not in GOROOT") || contains(l, "malformed module path") ||
        contains(l, "cannot find main module") || contains(l, "reading https://") ||
        contains(l, "no matching versions for query") || contains(l, "matched no packages"))
        return FailureClass::MissingPackageOrModule;
    if (contains(l, "permission denied") || contains(l, "read-only file system")) {
        if (!ctx.gocache.empty() && contains(l, ctx.gocache)) return FailureClass::CacheUnusable;
        if (ctx.temp_place && !ctx.temp_place->path.empty() && contains(l, ctx.temp_place->path))
            return FailureClass::TempDirUnusable;
    }
    return std::nullopt;
}

FailureClass by_kind(const std::string& kind) {
    if (kind == "compile") return FailureClass::CompileError;
    if (kind == "link") return FailureClass::LinkError;
    if (kind == "vet") return FailureClass::VetFailure;
    if (kind == "cgo") return FailureClass::CgoError;
    if (kind == "test") return FailureClass::TestFailure;
    return FailureClass::Unknown;
}

// "FAIL\tP [build failed]" / "[setup failed]": the consequence of a failure
// reported elsewhere.
bool is_consequence(const model::Failure& f) {
    return f.kind == "build" && f.first_lines.size() == 1 && starts_with(f.first_lines[0], "FAIL\t") &&
           (ends_with(f.first_lines[0], "[build failed]") || ends_with(f.first_lines[0], "[setup failed]"));
}

} // namespace

std::string_view class_name(FailureClass c) { return row(c).name; }
std::string_view class_title(FailureClass c) { return row(c).title; }
std::string_view class_remedy(FailureClass c) { return row(c).remedy; }
bool class_about_cache(FailureClass c) { return row(c).cache; }
std::optional<FailureClass> class_from_name(std::string_view name) {
    for (auto c : all_classes())
        if (class_name(c) == name) return c;
    return std::nullopt;
}
std::vector<FailureClass> all_classes() {
    std::vector<FailureClass> v;
    for (std::size_t i = 0; i < static_cast<std::size_t>(FailureClass::Count_); ++i) v.push_back(static_cast<FailureClass>(i));
    return v;
}

void ErrorCollector::add_line(std::string_view line) {
    if (m_lines.size() < kMaxLines) m_lines.push_back(util::clip(line, kMaxLineChars));
}

void ErrorCollector::on_event(const trace::Event& ev) {
    using trace::Kind;
    switch (ev.kind) {
    case Kind::UserHeader:
    case Kind::UserOutput:
    case Kind::Diagnostic:
    case Kind::GoMessage:
    case Kind::Unrecognized:
    case Kind::TestOutput:
        add_line(ev.line);
        break;
    case Kind::HeredocBody:
    case Kind::EchoWrite:
        if ((ev.target == trace::WriteTarget::Importcfg || ev.target == trace::WriteTarget::ImportcfgLink) &&
            starts_with(ev.text, "packagefile ") && m_cache_files.size() < kMaxCacheFiles) {
            std::string_view rest = ev.text.substr(12);
            auto eq = rest.find('=');
            if (eq == std::string_view::npos) break;
            std::string_view archive = rest.substr(eq + 1);
            if (trace::Tokenizer::is_cache_entry(archive) || looks_like_cache_file(archive))
                m_cache_files.try_emplace(std::string(rest.substr(0, eq)), std::string(archive));
        }
        break;
    default:
        break;
    }
}

std::pair<FailureClass, std::string> classify(const std::string& kind, const std::vector<std::string>& lines,
                                              const DiagContext& ctx, const ErrorCollector* ec) {
    std::optional<FailureClass> best;
    std::string evidence;
    for (const auto& l : lines) {
        if (auto c = classify_line(l, ctx, ec); c && (!best || *c < *best)) {
            best = c;
            evidence = l;
        }
    }
    if (best) return {*best, evidence};
    return {by_kind(kind), ""};
}

std::string fault_note(FailureClass c, std::string_view l, const DiagContext& ctx) {
    auto var = [&](const char* k) -> std::optional<std::string> {
        if (auto it = ctx.env.find(k); it != ctx.env.end()) return it->second;
        return std::nullopt;
    };
    auto unset = [&](const char* k) { return ctx.env_known && var(k).value_or("").empty(); };
    // The version after a marker ("go1.27.3", "go >= 1.28"), up to a space, ':' or ')'.
    auto word_after = [&](std::string_view marker) -> std::string {
        auto k = l.find(marker);
        if (k == std::string_view::npos) return "";
        std::string_view w = l.substr(k + marker.size());
        return std::string(w.substr(0, w.find_first_of(" :;)\"")));
    };
    std::string toolchain = var("GOTOOLCHAIN").value_or("");
    if (c == FailureClass::GoEnvironment) {
        if (contains(l, "neither GOMODCACHE nor GOPATH is set")) {
            std::string s = "at fault: GOMODCACHE and GOPATH are unset";
            if (unset("HOME")) s += ", and so is HOME (GOPATH defaults to $HOME/go)";
            if (!toolchain.empty() && toolchain != "local" && toolchain != "auto" && toolchain != "path")
                s += fmt::format("; GOTOOLCHAIN={} makes go look for that toolchain in the module cache", toolchain);
            else if (contains(l, "go: go: "))
                s += "; a toolchain switch (GOTOOLCHAIN or the go line of go.mod) needs the module cache";
            return s;
        }
        if (contains(l, "GOPATH entry is relative")) return "at fault: GOPATH (a relative path)";
        if (contains(l, "GOMODCACHE entry is relative")) return "at fault: GOMODCACHE (a relative path)";
        if (contains(l, "cannot find GOROOT directory")) return "at fault: GOROOT (no such directory)";
        if (contains(l, "parsing $GOFLAGS")) return "at fault: GOFLAGS";
        if (contains(l, "unsupported GOOS/GOARCH pair")) return "at fault: GOOS/GOARCH";
        if (contains(l, "unknown GOEXPERIMENT")) return "at fault: GOEXPERIMENT";
        if (contains(l, "invalid GOTOOLCHAIN")) return "at fault: GOTOOLCHAIN";
        return "";
    }
    if (c != FailureClass::ToolchainUnavailable) return "";
    if (contains(l, "requires go >= ")) {
        std::string want = word_after("requires go >= "), have = word_after("(running go ");
        std::string setting = word_after("GOTOOLCHAIN=");
        // "go: go.mod requires", "go: go.work requires", "go: module M@V requires"
        std::string_view who = l.substr(0, l.find(" requires go >= "));
        if (auto g = who.rfind("go: "); g != std::string_view::npos) who.remove_prefix(g + 4);
        return fmt::format("at fault: {} requires go{}, but GOTOOLCHAIN={} keeps go {} from switching to it", who, want,
                           setting.empty() ? "local" : setting, have);
    }
    if (std::string v = word_after("download go"); !v.empty()) {
        v = "go" + v;
        std::string proxy = var("GOPROXY").value_or("");
        if (contains(l, "toolchain not available"))
            return fmt::format("at fault: {} could not be downloaded: {} does not serve it", v,
                               proxy.empty() ? "the module proxy" : "GOPROXY=" + proxy);
        return fmt::format("at fault: {} could not be downloaded ({})", v,
                           proxy.empty() ? "the module proxy failed" : "GOPROXY=" + proxy);
    }
    if (contains(l, "in PATH")) {
        std::string w = word_after("cannot find \"");
        return fmt::format("at fault: {} is not on PATH (GOTOOLCHAIN={})", w, toolchain.empty() ? "path" : toolchain);
    }
    return "";
}

namespace {

// A diagnosis as it is put together: the failures, the best (lowest) class
// seen, and at most ten distinct evidence lines.
struct DiagnosisDraft {
    const DiagContext& ctx;
    const ErrorCollector& ec;
    model::Diagnosis d;
    std::set<std::string> failed_pkgs;
    std::vector<std::string> consequences; // test packages not run because their build failed
    std::optional<FailureClass> best;
    std::set<std::string> evidence_seen;

    void add_evidence(const std::string& e) {
        if (!e.empty() && evidence_seen.insert(e).second && d.evidence.size() < 10) d.evidence.push_back(e);
    }
    void take(FailureClass c) {
        if (!best || c < *best) best = c;
    }

    void add_failures(const model::Build& b) {
        for (const auto& f : b.failures) {
            if (is_consequence(f)) {
                consequences.push_back(f.import_path);
                continue;
            }
            // Findings that 1.26+ `go vet` replays from the cache come with no
            // header and no vet step to tie them to.
            std::string kind = f.kind == "build" && f.import_path.empty() && ctx.verb == "vet" ? "vet" : f.kind;
            auto [c, ev] = classify(kind, f.first_lines, ctx, &ec);
            model::FailedPackage fp;
            fp.package = f.import_path;
            fp.kind = kind;
            fp.cls = std::string(class_name(c));
            fp.first_lines = f.first_lines;
            if (!f.import_path.empty()) failed_pkgs.insert(f.import_path);
            if (d.first_failed.empty() && !f.import_path.empty() && c != FailureClass::TestFailure)
                d.first_failed = f.import_path;
            add_evidence(ev);
            take(c);
            d.failed.push_back(std::move(fp));
        }
    }

    // go's own messages that the model does not tie to a failure ("build
    // cache is required…", "go: creating work dir…"); failing that, whatever
    // go printed, as an unknown failure.
    void add_go_messages() {
        auto [c, ev] = classify("go", ec.lines(), ctx, &ec);
        if (!ev.empty() && (!best || c < *best)) {
            bool covered = false;
            for (const auto& fp : d.failed)
                if (std::find(fp.first_lines.begin(), fp.first_lines.end(), ev) != fp.first_lines.end()) covered = true;
            if (!covered) {
                model::FailedPackage fp;
                fp.kind = "go";
                fp.cls = std::string(class_name(c));
                fp.first_lines.push_back(ev);
                d.failed.insert(d.failed.begin(), std::move(fp));
            }
            add_evidence(ev);
            take(c);
        }
        if (d.failed.empty() && !ec.lines().empty()) {
            model::FailedPackage fp;
            fp.kind = "go";
            fp.cls = std::string(class_name(FailureClass::Unknown));
            for (const auto& l : ec.lines())
                if (fp.first_lines.size() < 10) fp.first_lines.push_back(l);
            d.failed.push_back(std::move(fp));
            take(FailureClass::Unknown);
        }
    }

    // The variable or toolchain at fault, from the line that decided the
    // class, and the facts that back a filesystem class.
    void add_fault_facts() {
        if (best)
            for (const auto& e : std::vector<std::string>(d.evidence))
                if (classify_line(e, ctx, &ec) == best) {
                    add_evidence(fault_note(*best, e, ctx));
                    break;
                }
        auto place_evidence = [&](const std::optional<PlaceFacts>& p, const char* what) {
            if (!p) return;
            if (!p->exists) add_evidence(fmt::format("{} {} does not exist", what, p->path));
            else if (!p->writable) add_evidence(fmt::format("{} {} is not writable by this user", what, p->path));
            if (p->free_bytes && nearly_full(p))
                add_evidence(fmt::format("{} {} has {} free", what, p->path, human_bytes(*p->free_bytes)));
        };
        if (d.cls == "disk_full" || d.cls == "cache_unusable" || d.cls == "cache_corrupt")
            place_evidence(ctx.cache_place, "GOCACHE");
        if (d.cls == "disk_full" || d.cls == "temp_dir_unusable") place_evidence(ctx.temp_place, "the temporary directory");
    }

    // Skipped: test packages go did not run because their build failed, and
    // packages left unbuilt because something they import failed.
    void add_skipped(const model::Build& b) {
        std::set<std::string> skipped;
        for (const auto& p : consequences)
            if (!failed_pkgs.count(p)) skipped.insert(p);
        std::set<std::string> broken = failed_pkgs;
        for (bool grew = true; grew;) {
            grew = false;
            for (const auto& p : b.packages) {
                if (p.outcome != model::Outcome::Unknown || broken.count(p.import_path)) continue;
                for (const auto& dep : p.deps)
                    if (broken.count(dep)) {
                        broken.insert(p.import_path);
                        skipped.insert(p.import_path);
                        grew = true;
                        break;
                    }
            }
        }
        for (const auto& s : skipped)
            if (d.skipped.size() < kMaxSkipped) d.skipped.push_back(s);
    }
};

} // namespace

std::optional<model::Diagnosis> diagnose(const model::Build& b, const ErrorCollector* ecp, const DiagContext& ctx) {
    if (!ctx.interrupted && ctx.exit_code == 0) return std::nullopt;
    ErrorCollector offline;
    if (!ecp)
        for (const auto& l : b.lines.unrecognized_examples) offline.add_line(l);
    DiagnosisDraft draft{ctx, ecp ? *ecp : offline, {}, {}, {}, {}, {}};
    draft.add_failures(b);
    draft.add_go_messages();
    if (ctx.interrupted) draft.best = FailureClass::Interrupted;
    draft.d.cls = std::string(class_name(draft.best.value_or(FailureClass::Unknown)));
    draft.add_fault_facts();
    draft.add_skipped(b);
    return std::move(draft.d);
}

std::vector<std::string> suspects(const model::Build& b, const model::Diagnosis& d, const ErrorCollector& ec) {
    std::set<std::string> out;
    std::set<std::string> failed;
    for (const auto& f : d.failed) {
        if (!f.package.empty()) failed.insert(f.package);
        for (const auto& l : f.first_lines)
            if (auto ci = could_not_import(l)) out.insert(ci->first);
    }
    for (const auto& p : b.packages)
        if (failed.count(p.import_path))
            for (const auto& dep : p.deps)
                if (ec.cache_files().count(dep)) out.insert(dep);
    return {out.begin(), out.end()};
}

std::vector<model::EntryCheck> verify_cache_files(const std::vector<std::pair<std::string, std::string>>& pkg_files,
                                                  const std::function<void(std::size_t, std::size_t)>& progress) {
    std::vector<model::EntryCheck> out;
    for (const auto& [pkg, file] : pkg_files) {
        if (progress) progress(out.size(), pkg_files.size());
        model::EntryCheck c;
        c.package = pkg;
        c.file = file;
        std::string_view name = util::base_name(file);
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            int e = errno;
            c.status = e == ENOENT ? "missing" : "unreadable";
            c.detail = std::strerror(e);
        } else {
            std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (in.bad()) {
                c.status = "unreadable";
                c.detail = "read error";
            } else if (name.size() >= 64 && util::is_lower_hex(name.substr(0, 64))) {
                std::string sum = trace::sha256_hex(data);
                if (sum == name.substr(0, 64)) {
                    c.status = "ok";
                } else {
                    c.status = "corrupt";
                    c.detail = fmt::format("content hashes to {}…, its name says {}…", sum.substr(0, 12), name.substr(0, 12));
                }
            } else {
                c.status = "ok";
                c.detail = "not named by its content; only its presence was checked";
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace gox::analysis
