// A test result's ID as go computes it (test_key.hpp).

#include <gox/analysis/test_key.hpp>

#include <gox/cacheprog/disk_store.hpp>
#include <gox/trace/go_flags.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>

namespace gox::analysis {

using util::starts_with;

namespace {

constexpr long long kSecond = 1'000'000'000LL;

// The flags go test hands to the test binary (passFlagToTest), by how their
// value prints; and the ones a cached result may have been run with.
enum class Kind { Bool, Verbose, Int, Duration, String };
struct PassFlag {
    std::string_view name;
    Kind kind;
    bool cacheable; // in the ID
    bool ignored;   // cacheable, left out of the ID (-coverprofile, -outputdir)
};
constexpr std::array<PassFlag, 29> kPass = {{
    {"artifacts", Kind::Bool, false, false},        {"bench", Kind::String, false, false},
    {"benchmem", Kind::Bool, false, false},         {"benchtime", Kind::String, true, false},
    {"blockprofile", Kind::String, false, false},   {"blockprofilerate", Kind::Int, false, false},
    {"count", Kind::Int, false, false},             {"coverprofile", Kind::String, false, true},
    {"cpu", Kind::String, true, false},             {"cpuprofile", Kind::String, false, false},
    {"failfast", Kind::Bool, true, false},          {"fullpath", Kind::Bool, true, false},
    {"fuzz", Kind::String, false, false},           {"fuzzminimizetime", Kind::String, false, false},
    {"fuzztime", Kind::String, false, false},       {"list", Kind::String, true, false},
    {"memprofile", Kind::String, false, false},     {"memprofilerate", Kind::Int, false, false},
    {"mutexprofile", Kind::String, false, false},   {"mutexprofilefraction", Kind::Int, false, false},
    {"outputdir", Kind::String, false, true},       {"parallel", Kind::Int, true, false},
    {"run", Kind::String, true, false},             {"short", Kind::Bool, true, false},
    {"shuffle", Kind::String, false, false},        {"skip", Kind::String, true, false},
    {"timeout", Kind::Duration, true, false},       {"trace", Kind::String, false, false},
    {"v", Kind::Verbose, true, false},
}};

const PassFlag* pass_flag(std::string_view name) {
    for (const auto& f : kPass)
        if (f.name == name) return &f;
    return nullptr;
}

std::optional<bool> parse_bool(std::string_view v) {
    for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"})
        if (v == t) return true;
    for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"})
        if (v == f) return false;
    return std::nullopt;
}

// strconv.ParseInt(v, 0, 64), printed back in decimal.
std::optional<std::string> parse_int(std::string_view v) {
    bool neg = false;
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
        neg = v[0] == '-';
        v.remove_prefix(1);
    }
    int base = 10;
    if (v.size() > 1 && v[0] == '0') {
        char p = static_cast<char>(v[1] | 0x20);
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
        v.remove_prefix(p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
    }
    if (v.empty()) return std::nullopt;
    unsigned long long n = 0;
    bool digit_before = false;
    for (char c : v) {
        if (c == '_' && base != 10 && digit_before) continue;
        int d = util::hex_val(c);
        if (d < 0 || d >= base || n > (1ULL << 62)) return std::nullopt;
        n = n * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        digit_before = true;
    }
    return fmt::format("{}{}", neg && n ? "-" : "", n);
}

// A value as go's flag prints it back (nullopt when go would refuse it).
std::optional<std::string> normalise(const PassFlag& f, const std::optional<std::string>& value) {
    switch (f.kind) {
    case Kind::Bool:
    case Kind::Verbose: {
        if (!value) return std::string("true");
        if (f.kind == Kind::Verbose && *value == "test2json") return *value;
        auto b = parse_bool(*value);
        if (!b) return std::nullopt;
        return std::string(*b ? "true" : "false");
    }
    case Kind::Int:
        return value ? parse_int(*value) : std::nullopt;
    case Kind::Duration: {
        if (!value) return std::nullopt;
        auto d = parse_go_duration(*value);
        return d ? std::optional<std::string>(go_duration_string(*d)) : std::nullopt;
    }
    case Kind::String:
        return value;
    }
    return std::nullopt;
}

std::vector<std::string> words_of(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
        if (i >= s.size()) break;
        std::string w;
        if (s[i] == '"' || s[i] == '\'') { // -exec's quoted words
            char q = s[i++];
            while (i < s.size() && s[i] != q) w += s[i++];
            ++i;
        } else {
            while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') w += s[i++];
        }
        out.push_back(std::move(w));
    }
    return out;
}

// "-name=v" / "--name" / "-test.name": the name (without test.) and the value.
struct Word {
    std::string name;
    std::optional<std::string> value;
    bool test_prefix = false;
};
std::optional<Word> flag_word(std::string_view a) {
    if (a.size() < 2 || a[0] != '-') return std::nullopt;
    a.remove_prefix(a[1] == '-' ? 2 : 1);
    if (a.empty() || a[0] == '-' || a[0] == '=') return std::nullopt;
    Word w;
    auto eq = a.find('=');
    std::string_view name = a.substr(0, eq);
    if (eq != std::string_view::npos) w.value = std::string(a.substr(eq + 1));
    if (starts_with(name, "test.")) {
        name.remove_prefix(5);
        w.test_prefix = true;
    }
    w.name = std::string(name);
    return w;
}

} // namespace

std::string go_duration_string(long long ns) {
    if (ns == 0) return "0s";
    const bool neg = ns < 0;
    unsigned long long u = neg ? 0ULL - static_cast<unsigned long long>(ns) : static_cast<unsigned long long>(ns);
    // v / 10^prec with its fraction, trailing zeros dropped.
    auto frac = [](unsigned long long v, int prec) {
        unsigned long long scale = 1;
        for (int i = 0; i < prec; ++i) scale *= 10;
        std::string f = fmt::format("{:0{}}", v % scale, prec);
        while (!f.empty() && f.back() == '0') f.pop_back();
        return fmt::format("{}{}{}", v / scale, f.empty() ? "" : ".", f);
    };
    std::string out;
    if (u < static_cast<unsigned long long>(kSecond)) {
        if (u < 1000) out = fmt::format("{}ns", u);
        else if (u < 1000'000) out = frac(u, 3) + "\xc2\xb5s";
        else out = frac(u, 6) + "ms";
    } else {
        unsigned long long secs = u / kSecond;
        std::string s = frac((secs % 60) * kSecond + u % kSecond, 9) + "s";
        unsigned long long mins = secs / 60;
        if (mins > 0) {
            s = fmt::format("{}m", mins % 60) + s;
            if (mins / 60 > 0) s = fmt::format("{}h", mins / 60) + s;
        }
        out = s;
    }
    return neg ? "-" + out : out;
}

std::optional<long long> parse_go_duration(std::string_view s) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return 0;
    if (s.empty()) return std::nullopt;
    long double total = 0;
    while (!s.empty()) {
        std::size_t i = 0;
        long double v = 0, scale = 1;
        bool digits = false;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0'), digits = true;
        if (i < s.size() && s[i] == '.') {
            ++i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                scale /= 10;
                v += (s[i++] - '0') * scale;
                digits = true;
            }
        }
        if (!digits) return std::nullopt;
        std::size_t u = i;
        while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
        std::string_view unit = s.substr(i, u - i);
        static const std::map<std::string_view, long double> kUnits = {
            {"ns", 1},         {"us", 1e3},          {"\xc2\xb5s", 1e3},        {"\xce\xbcs", 1e3},
            {"ms", 1e6},       {"s", 1e9},           {"m", 60e9},               {"h", 3600e9}};
        auto it = kUnits.find(unit);
        if (it == kUnits.end()) return std::nullopt;
        total += v * it->second;
        if (total > 9.2e18L) return std::nullopt;
        s.remove_prefix(u);
    }
    auto n = static_cast<long long>(total + 0.5L);
    return neg ? -n : n;
}

std::string cache_salt(std::string_view v) {
    for (std::string_view sep : {" X:", "-X:"})
        if (auto i = v.find(sep); i != std::string_view::npos) return std::string(v.substr(0, i));
    return std::string(v);
}

std::string test_id_hex(std::string_view salt, std::string_view id, std::string_view text) {
    std::string in;
    in.reserve(salt.size() + id.size() + text.size() + 13);
    in.append(salt).append("test binary ").append(id).append(" ").append(text);
    return util::to_hex(cacheprog::sha256(in));
}

std::optional<std::string> test_key_text(const std::vector<std::string>& args, std::string_view goflags) {
    bool json = false, timeout_set = false;
    std::vector<std::string> exec;
    // GOFLAGS' test flags, by the name they were set under (go visits flags
    // in name order); the command line's take their place.
    std::map<std::string, std::string> from_goflags;
    for (const auto& w : words_of(goflags)) {
        auto f = flag_word(w);
        if (!f) continue;
        if (f->name == "json" && !f->test_prefix) {
            json = !f->value || parse_bool(*f->value).value_or(false);
            continue;
        }
        if (f->name == "exec" && !f->test_prefix && f->value) {
            exec = words_of(*f->value);
            continue;
        }
        const PassFlag* p = pass_flag(f->name);
        if (!p) continue; // a build flag, or one go test does not define (go ignores it)
        auto v = normalise(*p, f->value);
        if (!v) return std::nullopt;
        if (p->name == "timeout") timeout_set = true;
        from_goflags[(f->test_prefix ? "test." : "") + f->name] = "-test." + f->name + "=" + *v;
    }
    std::vector<std::string> explicit_args;
    bool packages = false, in_packages = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") return std::nullopt; // handed to the test binary as it is
        if (a == "-args" || a == "--args") {
            // The rest goes to the binary unread: cacheable only as -test.NAME=V.
            for (std::size_t k = i + 1; k < args.size(); ++k) explicit_args.push_back(args[k]);
            break;
        }
        auto f = flag_word(a);
        if (!f) {
            if (packages && !in_packages) return std::nullopt; // a positional argument for the binary
            packages = in_packages = true;
            continue;
        }
        in_packages = false;
        const PassFlag* p = pass_flag(f->name);
        const trace::GoFlag* g = p ? nullptr : trace::find_go_flag(f->name);
        if (!p && (!g || f->test_prefix)) return std::nullopt; // go does not know it: the binary gets it
        bool takes_value = p ? (p->kind != Kind::Bool && p->kind != Kind::Verbose) : g->takes_value;
        if (!f->value && takes_value) {
            if (i + 1 >= args.size()) return std::nullopt;
            f->value = args[++i];
        }
        if (!p) {
            if (f->name == "json") json = !f->value || parse_bool(*f->value).value_or(false);
            if (f->name == "exec") exec = words_of(f->value.value_or(""));
            continue;
        }
        auto v = normalise(*p, f->value);
        if (!v) return std::nullopt;
        if (p->name == "timeout") timeout_set = true;
        explicit_args.push_back("-test." + f->name + "=" + *v);
        from_goflags.erase(f->name);
        from_goflags.erase("test." + f->name);
    }
    if (!packages) return std::nullopt; // local directory mode: never cached
    std::vector<std::string> all;
    if (json) {
        all.push_back("-test.v=test2json");
        from_goflags.erase("v");
        from_goflags.erase("test.v");
    }
    for (auto& [name, text] : from_goflags) all.push_back(text);
    if (!timeout_set) all.push_back("-test.timeout=10m0s");
    all.insert(all.end(), explicit_args.begin(), explicit_args.end());
    std::vector<std::string> cache_args;
    for (const auto& a : all) {
        auto eq = a.find('=');
        if (eq == std::string::npos || !starts_with(a, "-test.")) return std::nullopt;
        const PassFlag* p = pass_flag(std::string_view(a).substr(6, eq - 6));
        if (!p || !(p->cacheable || p->ignored)) return std::nullopt;
        if (p->cacheable) cache_args.push_back(a);
    }
    return "args " + util::go_quote_list(cache_args) + " execcmd " + util::go_quote_list(exec);
}

} // namespace gox::analysis
