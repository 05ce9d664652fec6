// libFuzzer target: the -x trace tokenizer, one line at a time, as the wrapper
// and `gox parse` feed it. Checks that every event it returns is consistent
// with the line it was given and that finish() can always be called.
#include <gox/trace/tokenizer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    gox::trace::Tokenizer tok;
    // A first line starting with "toolexec " sets the user's -toolexec program.
    if (in.starts_with("toolexec ")) {
        auto nl = in.find('\n');
        tok.set_toolexec(in.substr(9, nl == std::string_view::npos ? std::string_view::npos : nl - 9));
        in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    }
    while (!in.empty()) {
        auto nl = in.find('\n');
        std::string_view line = in.substr(0, nl);
        const gox::trace::Event& ev = tok.feed(line);
        // The event's line is the line given (minus a trailing '\r').
        if (ev.line.size() > line.size()) std::abort();
        (void)tok.objdir_of(line);
        (void)gox::trace::Tokenizer::is_cache_entry(line);
        (void)gox::trace::Tokenizer::cache_root(line);
        if (nl == std::string_view::npos) break;
        in.remove_prefix(nl + 1);
    }
    (void)tok.finish();
    return 0;
}
