// Path normalisation and redaction of a report document, and the format
// names. Redaction is pattern based: it removes what has the shape of a
// credential (URL user info, key=value where the key names a secret, token
// formats of the big forges and clouds, bearer headers) and, in the
// environment, values of secret-named variables and long opaque words in the
// variables that hold flags or proxy lists.

#include <gox/report/document.hpp>

#include <gox/analysis/cache_program.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <pwd.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace gox::report {

namespace {

constexpr std::string_view kRedacted = "REDACTED";

std::string home_dir(std::string home) {
    if (home.empty())
        if (const char* h = std::getenv("HOME")) home = h;
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    return home == "/" ? std::string() : home;
}

std::string user_name(std::string user) {
    if (!user.empty()) return user;
    if (const char* u = std::getenv("USER"); u && *u) return u;
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
    return "";
}

bool path_char(char c) {
    return !(c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == ':' || c == ',' || c == ')' ||
             c == '(' || c == ';' || c == '=' || c == '/' || c == ']' || c == '[' || c == '`');
}

// Replaces root (an absolute directory) by name where it stands as a whole
// path element: followed by '/', the end, or a character paths do not end in.
std::string replace_root(std::string s, const std::string& root, const std::string& name) {
    if (root.empty()) return s;
    std::size_t pos = 0;
    while ((pos = s.find(root, pos)) != std::string::npos) {
        std::size_t end = pos + root.size();
        bool whole_end = end == s.size() || !path_char(s[end]);
        bool whole_start = pos == 0 || !path_char(s[pos - 1]) || s[pos - 1] == '/';
        if (whole_end && whole_start && !(pos > 0 && s[pos - 1] == '/')) {
            s.replace(pos, root.size(), name);
            pos += name.size();
        } else {
            pos = end;
        }
    }
    return s;
}

void walk_strings(Doc& j, const std::function<void(std::string&)>& f) {
    if (j.is_string()) {
        f(j.get_ref<std::string&>());
    } else if (j.is_array() || j.is_object()) {
        for (auto& v : j) walk_strings(v, f);
    }
}

bool secret_name(std::string_view key) {
    static const RE2 re(R"((?i)(token|secret|passw(or)?d|pwd|api_?key|credential|private_?key|access_?key|auth))");
    return RE2::PartialMatch(key, re);
}

// Variables that carry flags or URL lists: opaque long words in them are
// treated as tokens.
bool flag_like(std::string_view key) {
    return key == "GOFLAGS" || util::starts_with(key, "CGO_") || key == "GOPROXY" || key == "GONOSUMDB" ||
           key == "GOPRIVATE" || key == "GONOPROXY" || key == "GOINSECURE" || key == "GOSUMDB" || key == "GOAUTH";
}

std::string redact_opaque_words(std::string s) {
    // 24+ characters of a token alphabet, with a digit and a letter, not a path.
    static const RE2 word(R"(([A-Za-z0-9_\-+]{24,}))");
    re2::StringPiece m;
    std::string result;
    re2::StringPiece rest(s);
    while (RE2::PartialMatch(rest, word, &m)) {
        result.append(rest.data(), static_cast<std::size_t>(m.data() - rest.data()));
        bool digit = std::any_of(m.begin(), m.end(), [](char c) { return c >= '0' && c <= '9'; });
        bool alpha = std::any_of(m.begin(), m.end(), [](char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; });
        bool after_slash = m.data() > s.data() && (m.data()[-1] == '/' || m.data()[-1] == '.');
        if (digit && alpha && !after_slash) result += kRedacted;
        else result.append(m.data(), m.size());
        rest.remove_prefix(static_cast<std::size_t>(m.data() + m.size() - rest.data()));
    }
    result.append(rest.data(), rest.size());
    return result;
}

std::size_t replace_all(std::string& s, const RE2& re, std::string_view rewrite) {
    return static_cast<std::size_t>(RE2::GlobalReplace(&s, re, re2::StringPiece(rewrite.data(), rewrite.size())));
}

} // namespace

std::string redact_text(std::string_view text, const RedactOptions& o) {
    std::string s(text);
    if (o.secrets) {
        // scheme://user:password@host or scheme://token@host
        static const RE2 url_userinfo(R"(([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@'"]+@)");
        replace_all(s, url_userinfo, "\\1REDACTED@");
        // Forge and cloud token formats.
        static const RE2 tokens(
            R"((gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|npm_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_\-]{20,}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}))");
        replace_all(s, tokens, kRedacted);
        // Authorization: Bearer xyz
        static const RE2 bearer(R"(\b(Bearer|Basic|bearer)(\s+)[A-Za-z0-9._~+/=\-]{16,})");
        replace_all(s, bearer, "\\1\\2REDACTED");
        // NAME=value / name: value where the name says secret.
        static const RE2 kv(
            R"((?i)([A-Za-z0-9_.\-]*(?:token|secret|passw(?:or)?d|pwd|api_?key|apikey|credential|private_?key|access_?key)[A-Za-z0-9_\-]*\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s'"&,;]+))");
        std::string out;
        re2::StringPiece in(s), key, val;
        std::size_t done = 0;
        while (RE2::FindAndConsume(&in, kv, &key, &val)) {
            std::size_t vstart = static_cast<std::size_t>(val.data() - s.data());
            // A file position (token.go:12) is not a secret.
            bool position = !val.empty() && std::all_of(val.begin(), val.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (util::ends_with(std::string_view(key.data(), key.size()), ":") && position) continue;
            out.append(s, done, vstart - done);
            out += kRedacted;
            done = vstart + val.size();
        }
        out.append(s, done, std::string::npos);
        s = std::move(out);
    }
    if (o.drop_paths) {
        // Absolute paths keep their last element only: /home/a/src/x.go → …/x.go
        static const RE2 abs(R"((^|[\s'"=(\[,:])/(?:[^\s'"():,\[\]/]+/)+([^\s'"():,\[\]/]*))");
        replace_all(s, abs, "\\1…/\\2");
        std::string user = user_name(o.user);
        if (user.size() >= 2 && user != "root") {
            RE2 word("\\b" + RE2::QuoteMeta(user) + "\\b");
            replace_all(s, word, "<user>");
        }
    }
    return s;
}

void normalise_paths(Doc& doc, std::string home) {
    home = home_dir(std::move(home));
    std::vector<std::pair<std::string, std::string>> roots; // (absolute, name)
    auto add = [&](const Doc& v, const char* name) {
        if (!v.is_string()) return;
        std::string p = v.get<std::string>();
        while (p.size() > 1 && p.back() == '/') p.pop_back();
        if (p.size() > 1 && p[0] == '/' && p != home) roots.emplace_back(p, name);
    };
    if (doc.contains("invocations") && doc["invocations"].is_array())
        for (const auto& i : doc["invocations"]) {
            if (!i.is_object()) continue;
            if (i.contains("work_dir")) add(i["work_dir"], "$WORK");
            if (i.contains("gocache")) add(i["gocache"], "$GOCACHE");
        }
    std::string env_cache, env_root;
    bool has_env = doc.contains("environment") && doc["environment"].is_object();
    if (has_env) {
        auto& env = doc["environment"];
        if (env.contains("GOCACHE")) add(env["GOCACHE"], "$GOCACHE");
        if (env.contains("GOROOT")) add(env["GOROOT"], "$GOROOT");
        env_cache = doc_string(env, "GOCACHE");
        env_root = doc_string(env, "GOROOT");
    }
    // Longest first: a work dir or GOCACHE under the home directory.
    std::sort(roots.begin(), roots.end(), [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
    walk_strings(doc, [&](std::string& s) {
        for (const auto& [abs, name] : roots) s = replace_root(std::move(s), abs, name);
        s = replace_root(std::move(s), home, "~");
    });
    if (has_env) {
        auto& env = doc["environment"];
        if (!env_cache.empty()) env["GOCACHE"] = replace_root(env_cache, home, "~");
        if (!env_root.empty()) env["GOROOT"] = replace_root(env_root, home, "~");
    }
}

bool redact_environment(Doc& env) {
    if (!env.is_object()) return false;
    bool changed = false;
    for (auto& [k, v] : env.items()) {
        if (!v.is_string()) continue;
        std::string before = v.get<std::string>();
        if (secret_name(k) && !before.empty() && k != "GOAUTH") v = kRedacted;
        else if (flag_like(k)) {
            // Secret-shaped words, then NAME=value pairs whose name says
            // secret (-DPASSWORD=...); paths are left alone.
            RedactOptions secrets_only;
            v = redact_text(redact_opaque_words(before), secrets_only);
        }
        changed = changed || v.get<std::string>() != before;
    }
    return changed;
}

void redact(Doc& doc, RedactOptions o) {
    o.home = home_dir(o.home);
    if (doc.contains("environment") && o.secrets) redact_environment(doc["environment"]);
    std::size_t changed = 0;
    walk_strings(doc, [&](std::string& s) {
        std::string r = redact_text(s, o);
        if (r != s) {
            ++changed;
            s = std::move(r);
        }
    });
    doc["redaction"] = {{"secrets", o.secrets}, {"paths", o.drop_paths}, {"strings_changed", changed}};
}

std::string clean_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == 0x1b) {
            i += util::escape_length(s, i) - 1;
            continue;
        }
        if (c < 0x20 && c != '\t' && c != '\n') {
            out += "\xEF\xBF\xBD";
            continue;
        }
        if (c == 0x7f) {
            out += "\xEF\xBF\xBD";
            continue;
        }
        if (c < 0x80) {
            out += static_cast<char>(c);
            continue;
        }
        // Copy one valid UTF-8 sequence or replace the byte.
        std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
        bool ok = n && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (ok) {
            out.append(s.substr(i, n));
            i += n - 1;
        } else {
            out += "\xEF\xBF\xBD";
        }
    }
    return out;
}

std::optional<Format> parse_format(std::string_view n) {
    if (n == "json") return Format::Json;
    if (n == "markdown" || n == "md") return Format::Markdown;
    if (n == "html") return Format::Html;
    if (n == "junit") return Format::Junit;
    if (n == "chrome-trace" || n == "trace") return Format::ChromeTrace;
    if (n == "text") return Format::Text;
    if (n == "otlp") return Format::Otlp;
    if (n == "openmetrics" || n == "prom") return Format::OpenMetrics;
    return std::nullopt;
}

std::optional<Format> format_for_file(std::string_view p) {
    using util::ends_with;
    if (ends_with(p, ".trace.json")) return Format::ChromeTrace;
    if (ends_with(p, ".otlp.json")) return Format::Otlp;
    if (ends_with(p, ".prom")) return Format::OpenMetrics;
    if (ends_with(p, ".json")) return Format::Json;
    if (ends_with(p, ".md") || ends_with(p, ".markdown")) return Format::Markdown;
    if (ends_with(p, ".html") || ends_with(p, ".htm")) return Format::Html;
    if (ends_with(p, ".xml")) return Format::Junit;
    if (ends_with(p, ".txt")) return Format::Text;
    return std::nullopt;
}

std::string render(const Doc& doc, Format f) {
    switch (f) {
    case Format::Json: return doc.dump(2, ' ', false, Doc::error_handler_t::replace) + "\n";
    case Format::Markdown: return render_markdown(doc);
    case Format::Html: return render_html(doc);
    case Format::Junit: return render_junit(doc);
    case Format::ChromeTrace: return render_chrome_trace(doc);
    case Format::Text: return render_doc_text(doc);
    case Format::Otlp: return render_otlp(doc);
    case Format::OpenMetrics: return render_openmetrics(doc);
    }
    return "";
}

std::string doc_string(const Doc& d, const char* key, std::string_view fallback) {
    if (!d.is_object()) return std::string(fallback);
    auto it = d.find(key);
    if (it == d.end() || it->is_null()) return std::string(fallback);
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

std::string test_results_line(const Doc& c) {
    auto count = [&](const char* key) { return static_cast<std::int64_t>(doc_number(c, key)); };
    std::string t = analysis::test_results_phrase(count("tests_hit"), count("tests_never_passed"),
                                                  count("tests_inputs_changed"), count("tests_without_get"));
    return t.empty() ? t : "Test results: " + t + ".";
}

std::string unattributed_gets_line(const Doc& c) {
    auto un = c.value("unattributed_gets", 0);
    if (un <= 0) return {};
    return fmt::format("{} get(s), {} of them misses, not tied to a package of this run (go's module index and vet, "
                       "the output lookup of a test that then failed, or actions no earlier run named, such as "
                       "packages an edit changed).",
                       un, c.value("unattributed_misses", 0));
}

double doc_number(const Doc& d, const char* key) {
    if (!d.is_object()) return 0;
    auto it = d.find(key);
    return it != d.end() && it->is_number() ? it->get<double>() : 0;
}

bool doc_flag(const Doc& d, const char* key) {
    if (!d.is_object()) return false;
    auto it = d.find(key);
    return it != d.end() && it->is_boolean() && it->get<bool>();
}

std::string command_line(const Doc& doc) {
    if (!doc.contains("command") || !doc["command"].is_object()) return "";
    const auto& c = doc["command"];
    std::string s = "go " + doc_string(c, "verb", "?");
    if (c.contains("args") && c["args"].is_array())
        for (const auto& a : c["args"]) {
            std::string w = a.is_string() ? a.get<std::string>() : a.dump();
            bool plain = !w.empty() && w.find_first_of(" \t\"'$`\\|&;<>()*?[]#~") == std::string::npos;
            if (plain) s += " " + w;
            else {
                std::string q = "'";
                for (char ch : w) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
                s += " " + q + "'";
            }
        }
    return s;
}

std::string failure_class(const Doc& doc, const std::string& package) {
    if (!doc.contains("diagnosis") || !doc["diagnosis"].is_object()) return "";
    const Doc& d = doc["diagnosis"];
    if (d.contains("failed") && d["failed"].is_array())
        for (const auto& f : d["failed"])
            if (doc_string(f, "package") == package) return doc_string(f, "class");
    return "";
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 16);
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

} // namespace gox::report
