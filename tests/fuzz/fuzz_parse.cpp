// libFuzzer target: `gox parse FILE` end to end without the command line:
// the input goes through a file descriptor (LineReader), the tokenizer and the
// model builder, then both reports are rendered. Then LineReader alone again,
// with a cap of 1-64 bytes (the first byte), so that cut lines are common.
#include <gox/model/build.hpp>
#include <gox/report/report.hpp>
#include <gox/util/line_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fd = ::memfd_create("fuzz_parse", MFD_CLOEXEC);
    if (fd < 0) std::abort();
    for (std::size_t done = 0; done < size;) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) std::abort();
        done += static_cast<std::size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    gox::model::Build b = gox::model::parse_trace_fd(fd);
    ::lseek(fd, 0, SEEK_SET);
    std::size_t cap = size ? 1 + data[0] % 64 : 1;
    gox::util::LineReader r(fd, cap);
    std::string_view line;
    while (r.next(line)) {
        if (line.size() > cap || line.find('\n') != std::string_view::npos) std::abort();
        if (r.truncated() && line.size() != cap) std::abort(); // a cut line is its first cap bytes
    }
    if (r.bytes_read() != size) std::abort(); // every byte read, none twice
    ::close(fd);
    std::string json = gox::report::render_json(b);
    std::string text = gox::report::render_text(b, {.color = true, .max_listed = 5});
    if (json.empty() || text.empty()) std::abort();
    return 0;
}
