#include <algorithm>
#include <cstdint>
#include <functional>
#include <gox/analysis/hashes.hpp>
#include <gox/util/strings.hpp>
#include <map>
#include <optional>
#include <tuple>

namespace gox::analysis {

using trace::looks_like_salt;
using util::go_quoted_end;
using util::go_unquote;
using util::go_unquote_or_raw;
using util::starts_with;

namespace {

constexpr std::size_t kNone = SIZE_MAX;

std::string_view strip_newline(std::string_view s) {
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    return s;
}

// True if s is one or more lists separated by single spaces, optionally followed
// by " word" (the link line's build mode).
bool lists_then_word(std::string_view s) {
    std::size_t i = util::go_quoted_list_end(s, 0);
    if (i == std::string_view::npos) return false;
    while (i < s.size()) {
        if (s[i] != ' ') return false;
        std::size_t j = util::go_quoted_list_end(s, i + 1);
        if (j == std::string_view::npos)
            return s.find(' ', i + 1) == std::string_view::npos && i + 1 < s.size();
        i = j;
    }
    return true;
}

// "compile version go1.26.8 X:fieldtrack [] [\"-N\"]" -> {tool id, flags}. The
// tool id may contain spaces ("devel go1.27-abc Tue ..."), so the split is at the
// first " [" after which only flag lists (and a final word) follow.
std::pair<std::string, std::string> split_tool(std::string_view rest) {
    for (std::size_t i = rest.find(" ["); i != std::string_view::npos; i = rest.find(" [", i + 1))
        if (lists_then_word(rest.substr(i + 1)))
            return {std::string(rest.substr(0, i)), std::string(rest.substr(i + 1))};
    return {std::string(rest), std::string()};
}

std::pair<std::string, std::string> split_last(std::string_view rest, char sep) {
    auto p = rest.rfind(sep);
    if (p == std::string_view::npos) return {std::string(rest), std::string()};
    return {std::string(rest.substr(0, p)), std::string(rest.substr(p + 1))};
}

bool is_env_name(std::string_view n) {
    if (n.empty()) return true; // an arch without a variable prints "=\n"
    if (n[0] < 'A' || n[0] > 'Z') return false;
    for (char c : n)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

constexpr InputKindInfo kInputKinds[] = {
#define X(kind, id, rank, keyed, once, reason) \
    {InputKind::kind, id, rank, keyed, once, Reason::reason},
    GOX_HASH_INPUTS(X)
#undef X
};

HashInput make(InputKind kind, std::string key, std::string value) {
    return HashInput{std::string(input_kind(kind).id), std::move(key), std::move(value)};
}

// Position of each input id in go's hashing order (the rank column); -1 for an
// unknown one.
int rank_of(std::string_view id) {
    const InputKindInfo* k = find_input_kind(id);
    return k ? k->rank : -1;
}

} // namespace

std::span<const InputKindInfo> input_kind_table() {
    return kInputKinds;
}

const InputKindInfo& input_kind(InputKind k) {
    return kInputKinds[static_cast<std::size_t>(k)];
}

const InputKindInfo* find_input_kind(std::string_view id) {
    for (const InputKindInfo& k : kInputKinds)
        if (k.id == id) return &k;
    return nullptr;
}

Reason input_reason(std::string_view id) {
    const InputKindInfo* k = find_input_kind(id);
    return k ? k->reason : Reason::InputsChanged;
}

bool is_keyed_input(std::string_view id) {
    const InputKindInfo* k = find_input_kind(id);
    return k && k->keyed;
}

trace::ChunkPlace place_chunk(std::string_view chunk, bool first) {
    HashInput in = classify_chunk(chunk, first);
    trace::ChunkPlace p;
    if (const InputKindInfo* k = find_input_kind(in.id)) {
        p.id = k->id;
        p.rank = k->rank;
        p.once = k->once;
    }
    // testInputs always starts with test_env GODEBUG: nothing of its rank
    // comes before it, and a record has it once.
    p.leads = in.id == "test_env" && in.key == "GODEBUG";
    p.once = p.once || p.leads;
    return p;
}

// ---- classify_chunk --------------------------------------------------------

namespace {

// l without the prefix, if it starts with it.
std::optional<std::string_view> after(std::string_view l, std::string_view prefix) {
    if (starts_with(l, prefix)) return l.substr(prefix.size());
    return std::nullopt;
}

// Literal lines.
std::optional<HashInput> literal_input(std::string_view l) {
    if (l == "compile") return make(InputKind::Compile, "", "");
    if (l == "link") return make(InputKind::Link, "", "");
    if (l == "trimpath") return make(InputKind::Trimpath, "", "");
    if (l == "forcelibrary") return make(InputKind::ForceLibrary, "", "");
    return std::nullopt;
}

// build: the package, its module and its target, cgo.
std::optional<HashInput> build_input(std::string_view l) {
    if (auto r = after(l, "dir ")) return make(InputKind::PackageDir, "", std::string(*r));
    if (auto r = after(l, "module ")) return make(InputKind::Module, "", std::string(*r));
    if (auto r = after(l, "go ")) return make(InputKind::GoDirective, "", std::string(*r));
    if (auto r = after(l, "goos ")) {
        // "goos linux goarch amd64"
        auto sp = r->find(" goarch ");
        if (sp != std::string_view::npos)
            return make(InputKind::Target, "",
                        std::string(r->substr(0, sp)) + "/" + std::string(r->substr(sp + 8)));
        return make(InputKind::Target, "", std::string(*r));
    }
    if (auto r = after(l, "import \"")) return make(InputKind::ImportPath, "", go_unquote_or_raw(l.substr(7)));
    if (auto r = after(l, "import ")) {
        auto [dep, id] = split_last(*r, ' ');
        return make(InputKind::Dependency, std::move(dep), std::move(id));
    }
    if (auto r = after(l, "omitdebug ")) return make(InputKind::OmitDebug, "", std::string(*r));
    if (auto r = after(l, "cgo ")) return make(InputKind::CgoTool, "", go_unquote_or_raw(*r));
    for (std::string_view cc : {"CC", "CXX", "FC"}) {
        if (!starts_with(l, cc)) continue;
        std::string_view r = l.substr(cc.size());
        if (starts_with(r, "=["))
            return make(InputKind::CgoFlags, std::string(cc), std::string(r.substr(1)));
        if (starts_with(r, " ID="))
            return make(InputKind::CgoToolchain, std::string(cc), go_unquote_or_raw(r.substr(4)));
        if (starts_with(r, " ID ERROR="))
            return make(InputKind::CgoToolchain, std::string(cc), "error: " + go_unquote_or_raw(r.substr(10)));
    }
    return std::nullopt;
}

// build: cover, fuzz, build info, tool ids and flags, env, files.
std::optional<HashInput> build_tool_input(std::string_view l) {
    if (auto r = after(l, "cover ")) {
        // cover "mode" "tool id"
        std::size_t e = go_quoted_end(*r, 0);
        if (e != std::string_view::npos && e + 1 < r->size() && (*r)[e] == ' ')
            return make(InputKind::Cover, go_unquote_or_raw(r->substr(e + 1)), go_unquote_or_raw(r->substr(0, e)));
        return make(InputKind::Cover, "", std::string(*r));
    }
    if (auto r = after(l, "fuzz ")) return make(InputKind::Fuzz, "", std::string(*r));
    if (auto r = after(l, "modinfo ")) return make(InputKind::Modinfo, "", go_unquote_or_raw(*r));
    if (auto r = after(l, "compile ")) {
        auto [tool, flags] = split_tool(*r);
        return make(InputKind::CompileTool, std::move(tool), std::move(flags));
    }
    if (auto r = after(l, "asm ")) {
        std::size_t e = go_quoted_end(*r, 0);
        if (e == std::string_view::npos) return make(InputKind::AsmFlags, "", std::string(*r));
        std::string_view flags = r->substr(e);
        if (!flags.empty() && flags[0] == ' ') flags.remove_prefix(1);
        return make(InputKind::AsmFlags, go_unquote_or_raw(r->substr(0, e)), std::string(flags));
    }
    if (auto r = after(l, "magic ")) {
        auto eq = r->find('=');
        if (eq == std::string_view::npos) return make(InputKind::Env, std::string(*r), "");
        return make(InputKind::Env, std::string(r->substr(0, eq)), std::string(r->substr(eq + 1)));
    }
    if (auto r = after(l, "file ")) {
        auto [name, hash] = split_last(*r, ' ');
        return make(InputKind::File, std::move(name), std::move(hash));
    }
    if (auto r = after(l, "pgofile ")) return make(InputKind::Pgo, "", std::string(*r));
    if (auto r = after(l, "nocache ")) return make(InputKind::NoCache, "", std::string(*r));
    return std::nullopt;
}

// link.
std::optional<HashInput> link_input(std::string_view l) {
    if (auto r = after(l, "buildmode ")) return make(InputKind::BuildMode, "", std::string(*r));
    if (auto r = after(l, "defaultgodebug ")) return make(InputKind::DefaultGodebug, "", go_unquote_or_raw(*r));
    if (auto r = after(l, "linkflags ")) return make(InputKind::Ldflags, "", std::string(*r));
    if (auto r = after(l, "link ")) {
        auto [tool, rest] = split_tool(*r);
        if (rest.empty()) { // gccgo: "link <id> <buildmode>"
            auto [t, mode] = split_last(tool, ' ');
            return make(InputKind::LinkTool, std::move(t), std::move(mode));
        }
        return make(InputKind::LinkTool, std::move(tool), std::move(rest));
    }
    if (auto r = after(l, "packagefile ")) {
        auto [dep, id] = split_last(*r, '=');
        return make(InputKind::LinkDependency, std::move(dep), std::move(id));
    }
    if (auto r = after(l, "packagemain ")) return make(InputKind::PackageMain, "", std::string(*r));
    if (auto r = after(l, "packageshlib ")) {
        auto [dep, id] = split_last(*r, '=');
        return make(InputKind::LinkShlib, std::move(dep), std::move(id));
    }
    return std::nullopt;
}

// vet.
std::optional<HashInput> vet_input(std::string_view l) {
    if (auto r = after(l, "vet \"")) return make(InputKind::VetTool, "", go_unquote_or_raw(l.substr(4)));
    if (auto r = after(l, "vetxonly ")) return make(InputKind::VetXOnly, "", std::string(*r));
    if (auto r = after(l, "vetflags ")) return make(InputKind::VetFlags, "", std::string(*r));
    if (auto r = after(l, "pkg \"")) {
        auto u = go_unquote(l.substr(4));
        return make(InputKind::VetPackage, "", u ? util::to_hex(*u) : std::string(l.substr(4)));
    }
    if (auto r = after(l, "vetout ")) {
        std::size_t e = go_quoted_end(*r, 0);
        if (e != std::string_view::npos) {
            std::string_view h = r->substr(e);
            if (!h.empty() && h[0] == ' ') h.remove_prefix(1);
            return make(InputKind::VetDependency, go_unquote_or_raw(r->substr(0, e)), std::string(h));
        }
        auto [dep, h] = split_last(*r, ' ');
        return make(InputKind::VetDependency, std::move(dep), std::move(h));
    }
    return std::nullopt;
}

// testResult / testInputs.
std::optional<HashInput> test_input(std::string_view l) {
    if (auto r = after(l, "test binary ")) {
        auto sp = r->find(' ');
        if (sp == std::string_view::npos) return make(InputKind::TestBinary, std::string(*r), "");
        return make(InputKind::TestBinary, std::string(r->substr(0, sp)), std::string(r->substr(sp + 1)));
    }
    if (auto r = after(l, "env ")) {
        auto [name, h] = split_last(*r, ' ');
        return make(InputKind::TestEnv, std::move(name), std::move(h));
    }
    static constexpr std::pair<std::string_view, InputKind> kFileOps[] = {
        {"chdir", InputKind::TestChdir}, {"stat", InputKind::TestStat}, {"open", InputKind::TestOpen}};
    for (auto [op, kind] : kFileOps) {
        if (starts_with(l, op) && l.size() > op.size() && l[op.size()] == ' ') {
            auto [path, h] = split_last(l.substr(op.size() + 1), ' ');
            return make(kind, std::move(path), std::move(h));
        }
    }
    return std::nullopt;
}

// An environment variable the build reads.
std::optional<HashInput> env_var_input(std::string_view l) {
    // Architecture variables (GOAMD64=v1), GOEXPERIMENT="...", GOROOT=, GO_EXTLINK_ENABLED=.
    if (auto eq = l.find('='); eq != std::string_view::npos && is_env_name(l.substr(0, eq))) {
        std::string_view v = l.substr(eq + 1);
        std::string value = !v.empty() && v.front() == '"' ? go_unquote_or_raw(v) : std::string(v);
        return make(InputKind::Env, std::string(l.substr(0, eq)), std::move(value));
    }
    return std::nullopt;
}

} // namespace

HashInput classify_chunk(std::string_view chunk, bool first) {
    if (first || looks_like_salt(chunk)) return make(InputKind::Toolchain, "", std::string(chunk));
    std::string_view l = strip_newline(chunk);
    // In this order: the first that matches names the input.
    for (auto classify : {literal_input, build_input, build_tool_input, link_input, vet_input, test_input,
                          env_var_input})
        if (auto in = classify(l)) return std::move(*in);
    return make(InputKind::Other, "", std::string(l));
}

// ---- diff_inputs -----------------------------------------------------------

namespace {

struct Item {
    HashInput in;
    int rank = 0;
    std::size_t pos = 0;
};

std::vector<Item> classify_all(const std::vector<std::string>& chunks) {
    std::vector<Item> out;
    out.reserve(chunks.size());
    int prev = 0;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        Item it{classify_chunk(chunks[i], i == 0), 0, i};
        int r = rank_of(it.in.id);
        it.rank = r < 0 ? prev : r; // an unknown input sorts after the one before it
        prev = it.rank;
        out.push_back(std::move(it));
    }
    return out;
}

// Match key of each item: id, key (keyed inputs only) and the occurrence of
// that pair in its list.
std::vector<std::string> match_keys(const std::vector<Item>& items) {
    std::map<std::string, std::size_t> seen;
    std::vector<std::string> out;
    out.reserve(items.size());
    for (const Item& it : items) {
        std::string k = it.in.id;
        k += '\0';
        if (is_keyed_input(it.in.id)) k += it.in.key;
        k += '\0';
        k += std::to_string(seen[k]++);
        out.push_back(std::move(k));
    }
    return out;
}

struct Entry {
    std::string key, value;
};

// modinfo: one entry per line of debug.BuildInfo.String().
std::vector<Entry> modinfo_entries(std::string_view s) {
    std::vector<Entry> out;
    std::string last_dep;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t nl = s.find('\n', start);
        std::string_view line =
            s.substr(start, (nl == std::string_view::npos ? s.size() : nl) - start);
        start = nl == std::string_view::npos ? s.size() : nl + 1;
        if (line.empty()) continue;
        std::size_t tab = line.find('\t');
        std::string_view head = line.substr(0, tab);
        std::string_view rest =
            tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
        if (head == "build") {
            // build\tKEY=VALUE (the key itself may be quoted when unusual)
            auto eq = rest.find('=');
            if (eq == std::string_view::npos)
                out.push_back({std::string(rest), ""});
            else
                out.push_back({std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 1))});
        } else if (head == "dep" || head == "=>") {
            std::size_t t2 = rest.find('\t');
            std::string_view path = rest.substr(0, t2);
            std::string_view v =
                t2 == std::string_view::npos ? std::string_view() : rest.substr(t2 + 1);
            if (head == "dep") {
                last_dep = std::string(path);
                out.push_back({"dep " + last_dep, std::string(v)});
            } else {
                out.push_back({"=> " + last_dep, std::string(rest)});
            }
        } else {
            out.push_back({std::string(head), std::string(rest)});
        }
    }
    return out;
}

std::vector<Entry> godebug_entries(std::string_view s) {
    std::vector<Entry> out;
    std::size_t start = 0;
    while (start <= s.size() && !s.empty()) {
        std::size_t c = s.find(',', start);
        std::string_view kv = s.substr(start, (c == std::string_view::npos ? s.size() : c) - start);
        auto eq = kv.find('=');
        if (!kv.empty())
            out.push_back({std::string(kv.substr(0, eq)),
                           eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1))});
        if (c == std::string_view::npos) break;
        start = c + 1;
    }
    return out;
}

struct Sorted {
    int rank;
    std::size_t pos, sub;
    HashChange change;
};

// For each old item: where it sits among the new items. Matched items sit at
// their match; a removed one just before the next old item that was matched.
std::vector<std::size_t> anchors(const std::vector<std::size_t>& match, std::size_t new_size) {
    std::vector<std::size_t> out(match.size());
    std::size_t next = new_size;
    for (std::size_t i = match.size(); i-- > 0;) {
        if (match[i] != kNone) next = match[i];
        out[i] = next;
    }
    return out;
}

void diff_entries(const std::string& id, const std::vector<Entry>& a, const std::vector<Entry>& b,
                  int rank, std::size_t pos, std::vector<Sorted>& out) {
    std::map<std::string, std::vector<std::size_t>> old_by_key;
    for (std::size_t i = 0; i < a.size(); ++i)
        old_by_key[a[i].key].push_back(i);
    std::map<std::string, std::size_t> used;
    std::vector<std::size_t> match(a.size(), kNone);
    for (std::size_t j = 0; j < b.size(); ++j) {
        auto& v = old_by_key[b[j].key];
        std::size_t n = used[b[j].key]++;
        if (n < v.size()) {
            match[v[n]] = j;
            if (a[v[n]].value != b[j].value)
                out.push_back(
                    {rank, pos, 2 * j + 1,
                     HashChange{id, b[j].key, a[v[n]].value, b[j].value, HashChange::Changed}});
        } else {
            out.push_back({rank, pos, 2 * j + 1,
                           HashChange{id, b[j].key, "", b[j].value, HashChange::Added}});
        }
    }
    std::vector<std::size_t> at = anchors(match, b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (match[i] == kNone)
            out.push_back({rank, pos, 2 * at[i],
                           HashChange{id, a[i].key, a[i].value, "", HashChange::Removed}});
}

std::string joined(const HashInput& in) {
    if (in.value.empty()) return in.key;
    if (in.key.empty()) return in.value;
    return in.key + " " + in.value;
}

} // namespace

std::vector<HashChange> diff_inputs(const std::vector<std::string>& old_chunks,
                                    const std::vector<std::string>& new_chunks) {
    std::vector<Item> a = classify_all(old_chunks), b = classify_all(new_chunks);
    std::vector<std::string> ka = match_keys(a), kb = match_keys(b);
    std::map<std::string_view, std::size_t> old_index;
    for (std::size_t i = 0; i < ka.size(); ++i)
        old_index.emplace(ka[i], i);
    std::vector<std::size_t> match(a.size(), kNone);
    std::vector<Sorted> out;

    // Sort keys: go's order (rank), then the place among the new inputs (2j+1,
    // or 2*anchor for a removed input: just before the input that followed it).
    for (std::size_t j = 0; j < b.size(); ++j) {
        const Item& nb = b[j];
        const std::size_t pos = 2 * j + 1;
        auto f = old_index.find(kb[j]);
        if (f == old_index.end()) {
            out.push_back({nb.rank, pos, 0,
                           HashChange{nb.in.id, nb.in.key, "", nb.in.value, HashChange::Added}});
            continue;
        }
        match[f->second] = j;
        const Item& oa = a[f->second];
        if (oa.in.key == nb.in.key && oa.in.value == nb.in.value) continue;
        if (nb.in.id == "modinfo") {
            diff_entries(nb.in.id, modinfo_entries(oa.in.value), modinfo_entries(nb.in.value),
                         nb.rank, pos, out);
        } else if (nb.in.id == "defaultgodebug") {
            diff_entries(nb.in.id, godebug_entries(oa.in.value), godebug_entries(nb.in.value),
                         nb.rank, pos, out);
        } else if (oa.in.key == nb.in.key) {
            out.push_back(
                {nb.rank, pos, 0,
                 HashChange{nb.in.id, nb.in.key, oa.in.value, nb.in.value, HashChange::Changed}});
        } else {
            out.push_back(
                {nb.rank, pos, 0,
                 HashChange{nb.in.id, "", joined(oa.in), joined(nb.in), HashChange::Changed}});
        }
    }
    std::vector<std::size_t> at = anchors(match, b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (match[i] == kNone)
            out.push_back(
                {a[i].rank, 2 * at[i], 0,
                 HashChange{a[i].in.id, a[i].in.key, a[i].in.value, "", HashChange::Removed}});

    std::stable_sort(out.begin(), out.end(), [](const Sorted& x, const Sorted& y) {
        return std::tie(x.rank, x.pos, x.sub) < std::tie(y.rank, y.pos, y.sub);
    });
    std::vector<HashChange> result;
    result.reserve(out.size());
    for (Sorted& s : out)
        result.push_back(std::move(s.change));
    return result;
}

std::vector<HashChange> diff_records(const HashRecord& old_record, const HashRecord& new_record) {
    return diff_inputs(old_record.chunks(), new_record.chunks());
}

std::string describe(const HashChange& c) {
    std::string s = c.id;
    if (!c.key.empty()) s += " " + c.key;
    switch (c.what) {
    case HashChange::Added:
        return s + " added: " + util::clip(c.new_value, 200);
    case HashChange::Removed:
        return s + " removed (was " + util::clip(c.old_value, 200) + ")";
    case HashChange::Changed:
        break;
    }
    return s + " changed: " + util::clip(c.old_value, 200) + " -> " + util::clip(c.new_value, 200);
}

} // namespace gox::analysis
