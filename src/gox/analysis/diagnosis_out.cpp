// A diagnosis written out: the JSON object of the summary and the text
// lines of the wrapper's summary and gox parse (diagnosis.hpp), and the
// shell quoting of the commands they show.

#include <gox/analysis/diagnosis.hpp>
#include <gox/util/strings.hpp>

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

namespace gox::analysis {

nlohmann::ordered_json diagnosis_json(const model::Diagnosis& d) {
    using nlohmann::ordered_json;
    ordered_json j;
    auto c = class_from_name(d.cls).value_or(FailureClass::Unknown);
    j["class"] = d.cls;
    j["title"] = std::string(class_title(c));
    j["remedy"] = std::string(class_remedy(c));
    j["evidence"] = d.evidence;
    j["first_failed"] = d.first_failed.empty() ? ordered_json(nullptr) : ordered_json(d.first_failed);
    ordered_json failed = ordered_json::array();
    for (const auto& f : d.failed) {
        ordered_json o;
        o["package"] = f.package.empty() ? ordered_json(nullptr) : ordered_json(f.package);
        o["kind"] = f.kind;
        o["class"] = f.cls;
        o["first_lines"] = f.first_lines;
        failed.push_back(std::move(o));
    }
    j["failed"] = std::move(failed);
    j["skipped"] = d.skipped;
    ordered_json ver = ordered_json::array();
    for (const auto& v : d.verified) {
        ordered_json o;
        o["package"] = v.package;
        o["file"] = v.file;
        o["status"] = v.status;
        o["detail"] = v.detail.empty() ? ordered_json(nullptr) : ordered_json(v.detail);
        ver.push_back(std::move(o));
    }
    j["verified"] = std::move(ver);
    if (d.repro) {
        const auto& r = *d.repro;
        ordered_json o;
        o["verdict"] = r.verdict;
        o["command"] = r.command;
        o["seconds"] = r.seconds;
        o["exit_code"] = r.exit_code;
        o["clean_class"] = r.clean_class.empty() ? ordered_json(nullptr) : ordered_json(r.clean_class);
        o["clean_first_lines"] = r.clean_first_lines;
        o["suspects"] = r.suspects;
        o["evict"] = r.evict.empty() ? ordered_json(nullptr) : ordered_json(r.evict);
        o["detail"] = r.detail.empty() ? ordered_json(nullptr) : ordered_json(r.detail);
        j["repro"] = std::move(o);
    } else {
        j["repro"] = nullptr;
    }
    return j;
}

std::vector<std::string> diagnosis_text(const model::Diagnosis& d) {
    std::vector<std::string> out;
    auto c = class_from_name(d.cls).value_or(FailureClass::Unknown);
    out.push_back(fmt::format("diagnosis: {}: {}", d.cls, class_title(c)));
    std::size_t shown = 0;
    std::set<std::string_view> lines_shown;
    for (const auto& f : d.failed) {
        if (shown == 3) {
            out.push_back(fmt::format("  … and {} more failure(s)", d.failed.size() - shown));
            break;
        }
        ++shown;
        out.push_back(fmt::format("  failed: {} {} [{}]", f.kind, f.package.empty() ? "(no package)" : f.package, f.cls));
        for (std::size_t i = 0; i < f.first_lines.size() && i < 2; ++i) {
            out.push_back("    " + util::clip(f.first_lines[i], 200));
            lines_shown.insert(f.first_lines[i]);
        }
    }
    if (!d.skipped.empty()) {
        std::string s;
        for (std::size_t i = 0; i < d.skipped.size() && i < 5; ++i) s += (i ? ", " : "") + d.skipped[i];
        if (d.skipped.size() > 5) s += fmt::format(", … {} more", d.skipped.size() - 5);
        out.push_back("  skipped because of it: " + s);
    }
    // The evidence not shown above (the decisive line may come after the
    // first two, as ld's "cannot find -lfoo" after the gcc command line).
    for (const auto& e : d.evidence)
        if (!lines_shown.count(e)) out.push_back("  evidence: " + util::clip(e, 200));
    std::size_t bad = 0;
    for (const auto& v : d.verified)
        if (v.status != "ok") {
            ++bad;
            out.push_back(fmt::format("  cache entry of {}: {} ({}){}", v.package, v.status, v.file,
                                      v.detail.empty() ? "" : ": " + v.detail));
        }
    if (!d.verified.empty() && !bad)
        out.push_back(fmt::format("  cache entries checked: {}, all intact", d.verified.size()));
    if (d.repro) {
        const auto& r = *d.repro;
        std::string what = r.verdict == "cache_caused"   ? "fails with your cache, passes with an empty one"
                           : r.verdict == "reproducible" ? "fails with an empty cache too: the code or the environment, not the cache"
                                                         : "inconclusive";
        out.push_back(fmt::format("  clean-cache re-run ({:.1f}s): {}: {}", r.seconds, r.verdict, what));
        if (!r.detail.empty()) out.push_back("    " + r.detail);
        if (!r.suspects.empty()) {
            std::string s;
            for (std::size_t i = 0; i < r.suspects.size(); ++i) s += (i ? ", " : "") + r.suspects[i];
            out.push_back("    suspect cache entries of: " + s);
        }
        if (!r.evict.empty()) out.push_back("    to evict them: " + r.evict);
    }
    out.push_back(fmt::format("  remedy: {}", class_remedy(c)));
    return out;
}

std::string shell_quote(std::string_view s) {
    bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+=:,@%", c);
    });
    if (plain) return std::string(s);
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

} // namespace gox::analysis
