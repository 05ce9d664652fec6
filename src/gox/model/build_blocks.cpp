// What a "# pkg" block was (classified when its invocation is folded): a
// failure of a compile, cgo, link or vet step, bound to its package, or the
// output of a step that succeeded.
#include <gox/model/build_impl.hpp>

namespace gox::model {

// Decides what a "# pkg" block was: a failure (compile, link, vet) or
// output of a step that succeeded (warnings, -gcflags=-m, replays).
void BuildBuilder::Impl::classify_block(const Block& b) {
    if (b.replay) return;
    std::string_view header = b.header;
    std::string_view pkg = header.substr(0, header.find(' '));
    if (ends_with(pkg, ":")) pkg.remove_suffix(1);
    if (b.count == 0) return;
    if (header.empty() && loose_vet_block(b)) return;
    Inv& i = cur; // blocks are classified when their invocation is folded
    const char* kind = nullptr;
    ObjRec* hit = nullptr;
    // vet's own block: 1.22+ head it "# P" + "# [P]" (a compile's has no
    // second header), and vet's type-check errors start with "vet: ".
    // After a failed compile of the same package, go vet prints both.
    bool vet_block = !b.desc.empty() || (!b.lines.empty() && starts_with(b.lines.front(), "vet: "));
    if (vet_block)
        for (auto& [od, r] : i.objs)
            if (r.import_path == pkg && r.n(Action::Vet) && r.last_vet_line < b.line_no) {
                kind = "vet";
                hit = &r;
                break;
            }
    for (auto& [od, r] : i.objs) {
        if (vet_block && kind) break;
        if (r.import_path != pkg) continue;
        if (r.compiled && !r.compile_ok && r.last_compile_line < b.line_no) {
            kind = "compile";
            hit = &r;
            break;
        }
        if (r.n(Action::Link) && !r.link_done) {
            kind = "link";
            hit = &r;
        } else if (!kind && !r.compiled && !r.n(Action::Vet) && (r.n(Action::Cgo) || r.n(Action::CC))) {
            // Its cgo run or a C compile (a preamble, a .c file, a
            // header, the _cgo_.o link) failed: go never compiled it.
            kind = "cgo";
            hit = &r;
        } else if (!kind && r.n(Action::Vet) && r.last_vet_line < b.line_no) {
            kind = "vet";
            hit = &r;
        }
    }
    if (!kind && header.empty()) kind = "build"; // loose diagnostics
    if (!kind) {
        // A failed main package compile has no importcfg.link to name it.
        for (auto& [od, r] : i.objs) {
            if (r.main_flag && r.import_path.empty() && r.compiled && !r.compile_ok) {
                keep(r.import_path, pkg);
                kind = "compile";
                hit = &r;
                break;
            }
        }
    }
    if (!kind) {
        // Output of a step that succeeded, unless it looks like errors.
        bool errorish = false;
        bool any_known = false;
        for (auto& [od, r] : i.objs)
            if (r.import_path == pkg) any_known = true;
        if (!any_known)
            for (auto& l : b.lines)
                if (l.find(": ") != std::string::npos) errorish = true;
        if (!errorish) return;
        kind = "build";
    }
    if (hit && (std::string_view(kind) == "compile" || std::string_view(kind) == "cgo")) hit->failed = true;
    Failure f;
    keep(f.import_path, pkg);
    f.kind = kind;
    f.first_lines = b.lines;
    f.line_count = b.count;
    f.invocation = b.inv;
    add_failure(block_failures, std::move(f));
}

// "FILE:L:C: message" lines with no "# pkg" header: Go 1.26+ `go vet`
// runs vet with -json and prints its findings itself, headerless, at the
// end. Each line goes to the package whose vet.cfg names the file's
// directory (the one vet reported on, not a facts-only run for
// dependents); lines that follow without a position (continuations) go
// with the line before. True when every line found its package.
bool BuildBuilder::Impl::loose_vet_block(const Block& b) {
    Inv& i = cur;
    bool vet_json = false;
    for (auto& [od, r] : i.objs)
        if (r.vet_json && r.last_vet_line < b.line_no) vet_json = true;
    if (!vet_json) return false;
    // Package (by its record; nullptr: none found, e.g. a vet result
    // replayed from the cache, which writes no vet.cfg) and its lines.
    std::vector<std::pair<const ObjRec*, std::vector<std::string>>> groups;
    for (const auto& l : b.lines) {
        auto colon = l.find(".go:");
        if (colon == std::string::npos || starts_with(l, "\t") || starts_with(l, " ")) {
            if (groups.empty()) groups.push_back({nullptr, {}});
            groups.back().second.push_back(l);
            continue;
        }
        std::string_view file = std::string_view(l).substr(0, colon + 3);
        auto slash = file.rfind('/');
        std::string_view dir = slash == std::string_view::npos ? std::string_view() : file.substr(0, slash);
        const ObjRec* best = nullptr;
        for (auto& [od, r] : i.objs) {
            if (!r.n(Action::Vet) || r.last_vet_line > b.line_no || r.vet_dir.empty()) continue;
            std::string_view vd = r.vet_dir;
            bool match = dir.empty() || vd == dir ||
                         (!starts_with(dir, "/") && ends_with(vd, dir) && vd[vd.size() - dir.size() - 1] == '/');
            if (match && (!best || (best->vetx_only && !r.vetx_only))) best = &r;
        }
        auto same = [&](const auto& g) {
            return g.first == best || (g.first && best && g.first->import_path == best->import_path);
        };
        auto g = std::find_if(groups.begin(), groups.end(), same);
        if (g == groups.end()) g = groups.insert(groups.end(), {best, {}});
        g->second.push_back(l);
    }
    std::size_t kept = 0;
    for (const auto& g : groups) kept += g.second.size();
    for (auto& [r, lines] : groups) {
        Failure f;
        if (r) keep(f.import_path, r->import_path);
        f.kind = "vet";
        f.line_count = lines.size() + (&lines == &groups.back().second && b.count > kept ? b.count - kept : 0);
        f.first_lines = std::move(lines);
        f.invocation = b.inv;
        add_failure(block_failures, std::move(f));
    }
    return true;
}

} // namespace gox::model
