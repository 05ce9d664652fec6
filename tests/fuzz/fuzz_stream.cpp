// libFuzzer target: the wrapper's stderr path (TraceStream: bytes in arbitrary
// chunks -> tokenizer -> model builder -> Build). The first byte picks the
// chunk size and the mode. With the user's own -x nothing may be hidden, so the
// bytes passed through must equal the bytes fed, whatever they are.
#include <gox/model/stream.hpp>
#include <gox/report/report.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::uint8_t mode = data[0];
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    bool show_trace = mode & 1;
    std::size_t chunk = 1 + ((mode >> 1) & 63); // 1..64 bytes per read
    std::string out;
    gox::model::TraceStream ts([&](std::string_view s) { out.append(s); }, show_trace);
    ts.hide_hash_lines = !show_trace && (mode & 128);
    // Half of the inputs also carry go's stdout after a line "--stdout--".
    std::string_view err = in, std_out;
    if (auto p = in.find("\n--stdout--\n"); p != std::string_view::npos) {
        err = in.substr(0, p + 1);
        std_out = in.substr(p + 12);
    }
    for (std::size_t i = 0; i < err.size(); i += chunk) ts.feed(err.substr(i, chunk));
    for (std::size_t i = 0; i < std_out.size(); i += chunk) ts.feed_stdout(std_out.substr(i, chunk));
    ts.finish();
    if (show_trace && out != err) std::abort(); // the user's -x output lost or changed
    gox::model::Build b = ts.take_build();
    (void)gox::report::render_summary(b, {}, 1.0);
    return 0;
}
