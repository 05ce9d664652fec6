#include <gox/analysis/hashes.hpp>
#include <gox/analysis/key_inputs.hpp>
#include <gox/analysis/why.hpp>
#include <gox/report/document.hpp>
#include <gox/util/strings.hpp>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace gox::analysis {

using util::starts_with;

std::string short_digest(std::string_view s) {
    return sha256_hex(s).substr(0, 16);
}

namespace {

constexpr std::size_t kMaxValue = 200;

std::string strip_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

bool path_end(const std::string& s, std::size_t end) {
    if (end == s.size()) return true;
    char c = s[end];
    return c == '/' || c == ' ' || c == '"' || c == '\'' || c == ':' || c == ',' || c == '=' || c == ']' ||
           c == '\n' || c == '\t';
}

// Every root in s replaced by its placeholder, where it stands as a whole
// path (at the start or after a separator, and ending where a path element
// ends). Longer roots first: the module root may lie under the home dir.
std::string normalise(std::string s, const KeyRoots& r) {
    std::vector<std::pair<std::string, std::string_view>> roots = {
        {strip_slashes(r.module_root), "$MODROOT"},
        {strip_slashes(r.gomodcache), "$GOMODCACHE"},
        {strip_slashes(r.goroot), "$GOROOT"},
        {strip_slashes(r.home), "~"}};
    std::stable_sort(roots.begin(), roots.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& [root, name] : roots) {
        if (root.size() < 2) continue; // "" or "/"
        std::size_t pos = 0;
        while ((pos = s.find(root, pos)) != std::string::npos) {
            bool start = pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == '"' || s[pos - 1] == '=' ||
                         s[pos - 1] == '\'' || s[pos - 1] == ':' || s[pos - 1] == '[';
            if (start && path_end(s, pos + root.size())) {
                s.replace(pos, root.size(), name);
                pos += name.size();
            } else {
                pos += root.size();
            }
        }
    }
    return s;
}

// Shown only when short and not secret-shaped.
bool safe_value(const std::string& v) {
    if (v.size() > kMaxValue) return false;
    report::RedactOptions o;
    o.secrets = true;
    o.home = "/nonexistent-home-for-key-inputs"; // only secrets are looked for here
    return report::redact_text(v, o) == v;
}

// Go's module path escaping ("!b" for "B") undone.
std::string unescape_module(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '!' && i + 1 < s.size() && s[i + 1] >= 'a' && s[i + 1] <= 'z') {
            out += static_cast<char>(s[i + 1] - 'a' + 'A');
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos) return out;
        start = p + 1;
    }
}

// The module cache's root from a package in it: dir is
// ROOT/<escaped module path>@<version>/<rest> and import_path is
// <module path>/<rest>. "" when dir is not like that.
std::string find_modcache(std::string_view dir, std::string_view import_path) {
    auto de = split(dir, '/');
    auto pe = split(import_path, '/');
    for (std::size_t at = 0; at < de.size(); ++at) {
        auto a = de[at].find('@');
        if (a == std::string_view::npos) continue;
        std::string last = unescape_module(de[at].substr(0, a));
        // The module path has j+1 elements: pe[0..j], the last one de[at]'s name.
        for (std::size_t j = 0; j < pe.size() && j <= at; ++j) {
            if (pe[j] != last) continue;
            bool match = true;
            for (std::size_t k = 0; k < j && match; ++k)
                match = unescape_module(de[at - j + k]) == pe[k];
            if (!match) continue;
            std::string root;
            for (std::size_t k = 0; k < at - j; ++k) {
                if (k) root += '/';
                root += de[k];
            }
            return root.size() > 1 ? root : std::string();
        }
        return "";
    }
    return "";
}

// Build settings of the build info whose values are shown.
bool shown_setting(std::string_view k) {
    static constexpr std::string_view kShown[] = {
        "-buildmode", "-compiler", "-race", "-msan", "-asan", "-tags", "-trimpath", "-gcflags", "-ldflags", "-asmflags",
        "CGO_ENABLED", "GOOS", "GOARCH", "GO386", "GOAMD64", "GOARM", "GOARM64", "GOMIPS", "GOMIPS64", "GOPPC64",
        "GORISCV64", "GOWASM", "GOEXPERIMENT", "GOFIPS140", "vcs", "vcs.revision", "vcs.time", "vcs.modified"};
    return std::find(std::begin(kShown), std::end(kShown), k) != std::end(kShown);
}

// Environment variables whose values are shown: the architecture variables.
bool shown_env(std::string_view k) {
    static constexpr std::string_view kShown[] = {"GO386",   "GOAMD64", "GOARM",     "GOARM64", "GOMIPS",
                                                  "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",  "GOEXPERIMENT",
                                                  "GO_EXTLINK_ENABLED", "GOFIPS140"};
    return std::find(std::begin(kShown), std::end(kShown), k) != std::end(kShown);
}

// Kinds whose values are never shown (hashes, environment, C flags, paths
// of profiles), besides the per-key rules.
bool digest_only(std::string_view id) {
    static constexpr std::string_view kIds[] = {"file",          "dependency", "link_dependency", "vet_dependency",
                                                "cgo_flags",     "nocache",    "pgo",             "packagemain",
                                                "link_shlib",    "test_env",   "test_chdir",      "test_stat",
                                                "test_open",     "other",      "vet_package",     "defaultgodebug",
                                                "test_binary"};
    return std::find(std::begin(kIds), std::end(kIds), id) != std::end(kIds);
}

void push(nlohmann::ordered_json& out, std::string_view kind, const std::string& key, std::string_view hashed,
          const std::string* value) {
    std::string e = std::string(kind) + '\t' + key + '\t' + short_digest(hashed);
    if (value) e += '\t' + *value;
    out.push_back(std::move(e));
}

// modinfo: one input per line of the build info.
void push_modinfo(nlohmann::ordered_json& out, std::string_view info, const KeyRoots& roots) {
    std::string last_dep;
    for (std::string_view line : split(info, '\n')) {
        if (line.empty()) continue;
        std::size_t tab = line.find('\t');
        std::string_view head = line.substr(0, tab);
        std::string_view rest = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
        std::string key, value;
        bool shown = true;
        if (head == "build") {
            auto eq = rest.find('=');
            std::string_view k = rest.substr(0, eq);
            key = "build " + std::string(k);
            value = eq == std::string_view::npos ? "" : std::string(rest.substr(eq + 1));
            shown = shown_setting(k);
        } else if (head == "dep" || head == "=>") {
            auto t2 = rest.find('\t');
            std::string_view path = rest.substr(0, t2);
            if (head == "dep") last_dep = std::string(path);
            key = std::string(head) + " " + (head == "dep" ? std::string(path) : last_dep);
            value = head == "dep" ? (t2 == std::string_view::npos ? "" : std::string(rest.substr(t2 + 1)))
                                  : std::string(rest);
        } else {
            key = std::string(head);
            value = std::string(rest);
        }
        for (auto& c : value)
            if (c == '\t') c = ' ';
        value = normalise(std::move(value), roots);
        bool show = shown && safe_value(value);
        push(out, "modinfo", key, line, show ? &value : nullptr);
    }
}

} // namespace

KeyRoots key_roots_from_env(const nlohmann::ordered_json& env) {
    KeyRoots r;
    auto str = [&](const char* k) {
        return env.is_object() && env.contains(k) && env[k].is_string() ? env[k].get<std::string>() : std::string();
    };
    std::string gomod = str("GOMOD");
    if (!gomod.empty() && gomod != "/dev/null" && gomod != "NUL") {
        auto slash = gomod.rfind('/');
        if (slash != std::string::npos && slash > 0) r.module_root = gomod.substr(0, slash);
    }
    r.goroot = str("GOROOT");
    r.gomodcache = str("GOMODCACHE");
    if (const char* h = std::getenv("HOME")) r.home = h;
    return r;
}

nlohmann::ordered_json portable_key_inputs(const std::vector<std::string>& chunks, std::string_view import_path,
                                           KeyRoots& roots) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        HashInput in = classify_chunk(chunks[i], i == 0);
        if (in.id == "modinfo") {
            push_modinfo(out, in.value, roots);
            continue;
        }
        if (in.id == "package_dir" && roots.gomodcache.empty() && in.value.find('@') != std::string::npos)
            roots.gomodcache = find_modcache(in.value, import_path);
        bool show = !digest_only(in.id);
        if (in.id == "env") show = shown_env(in.key) || in.key == "GOROOT";
        std::string value = show ? normalise(in.value, roots) : std::string();
        show = show && safe_value(value);
        push(out, in.id, in.key, chunks[i], show ? &value : nullptr);
    }
    return out;
}

void attach_key_inputs(nlohmann::ordered_json& doc, const std::map<std::string, std::string>& inputs) {
    if (inputs.empty() || !doc.contains("packages") || !doc["packages"].is_array()) return;
    KeyRoots roots = key_roots_from_env(doc.value("environment", nlohmann::ordered_json::object()));
    for (auto& p : doc["packages"]) {
        if (!p.is_object() || !p.contains("action_id") || !p["action_id"].is_string()) continue;
        auto it = inputs.find(p["action_id"].get<std::string>());
        if (it == inputs.end()) continue;
        std::string ip = p.contains("import_path") && p["import_path"].is_string() ? p["import_path"].get<std::string>() : "";
        p["key_inputs"] = portable_key_inputs(chunks_from_json(it->second), ip, roots);
    }
}

std::vector<KeyInput> key_inputs_from_json(const nlohmann::json& v) {
    std::vector<KeyInput> out;
    if (!v.is_array()) return out;
    for (const auto& e : v) {
        if (!e.is_string()) return {};
        const std::string& s = e.get_ref<const std::string&>();
        std::size_t t1 = s.find('\t'), t2 = t1 == std::string::npos ? t1 : s.find('\t', t1 + 1);
        if (t2 == std::string::npos) return {};
        std::size_t t3 = s.find('\t', t2 + 1);
        KeyInput k{s.substr(0, t1), s.substr(t1 + 1, t2 - t1 - 1), s.substr(t2 + 1, t3 == std::string::npos ? t3 : t3 - t2 - 1),
                   "", t3 != std::string::npos};
        if (k.has_value) k.value = s.substr(t3 + 1);
        out.push_back(std::move(k));
    }
    return out;
}

} // namespace gox::analysis
