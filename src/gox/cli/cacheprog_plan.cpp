// gox --cacheprog: the GOCACHEPROG value that points go at gox's own cache
// program, with a private record and the upstream passed through.

#include <gox/cacheprog/protocol.hpp>
#include <gox/cli/cli.hpp>
#include <gox/cli/wrap_internal.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace gox::cli::wrap {

namespace {

// One word as go's GOCACHEPROG splitter reads it back: bare when it has no
// space or quote, else in the quote it lacks (go unquotes nothing inside).
std::string quote_word(const std::string& w) {
    if (!w.empty() && w.find_first_of(" \t\r\n'\"") == std::string::npos) return w;
    if (w.find('\'') == std::string::npos) return "'" + w + "'";
    if (w.find('"') == std::string::npos) return "\"" + w + "\"";
    usage_error(fmt::format("--cacheprog: cannot pass `{}` to go's GOCACHEPROG (it holds both ' and \")", w));
}

std::string self_path() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("gox") : p.string();
}

bool is_gox_cacheprog(const std::vector<std::string>& words) {
    return words.size() >= 2 && words[1] == "cacheprog" &&
           std::filesystem::path(words[0]).filename().string().rfind("gox", 0) == 0;
}

} // namespace

CacheprogPlan plan_cacheprog(const std::string& upstream_opt, const std::string& record) {
    CacheprogPlan p;
    p.record = record;
    std::vector<std::string> words;
    const char* user = std::getenv("GOCACHEPROG");
    std::optional<std::vector<std::string>> user_words;
    if (user && *user) user_words = cacheprog::split_command(user);
    if (upstream_opt.empty() && user_words && is_gox_cacheprog(*user_words)) {
        // Already gox cacheprog: the same, recording for this run too.
        words = *user_words;
        for (std::size_t i = 2; i < words.size(); ++i)
            if (words[i].rfind("--upstream=", 0) == 0) p.upstream = words[i].substr(11);
    } else {
        words = {self_path(), "cacheprog"};
        if (!upstream_opt.empty()) p.upstream = upstream_opt;
        else if (user && *user) p.upstream = user;
        else if (const char* e = std::getenv("GOX_CACHEPROG_UPSTREAM"); e && *e) p.upstream = e;
        if (!p.upstream.empty()) words.push_back("--upstream=" + p.upstream);
    }
    words.push_back("--record=" + record);
    for (const auto& w : words) p.gocacheprog += (p.gocacheprog.empty() ? "" : " ") + quote_word(w);
    return p;
}

} // namespace gox::cli::wrap
