#include <gox/trace/paths.hpp>
#include <gox/util/strings.hpp>

namespace gox::trace {

std::string_view cache_root(std::string_view p) {
    // .../xx/<64 hex>-d  or  .../xx/<64 hex>-d/name
    std::size_t from = 0;
    for (;;) {
        std::size_t d = p.find("-d", from);
        if (d == std::string_view::npos) return {};
        from = d + 1;
        bool end_ok = d + 2 == p.size() || p[d + 2] == '/' || p[d + 2] == '\\';
        if (!end_ok || d < 68) continue;
        std::size_t h = d - 64;
        char s1 = p[h - 1], s0 = p[h - 4];
        if ((s1 != '/' && s1 != '\\') || (s0 != '/' && s0 != '\\')) continue;
        if (!util::is_lower_hex(p.substr(h, 64)) || !util::is_lower_hex(p.substr(h - 3, 2))) continue;
        if (p.substr(h - 3, 2) != p.substr(h, 2)) continue;
        return p.substr(0, h - 4);
    }
}

} // namespace gox::trace
